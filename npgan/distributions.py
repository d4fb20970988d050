r"""Latent-code distributions of InfoGAN and the posterior heads of its Q network.

Priors (what ``c`` is drawn from). Each has ``sample(n, rng)``, ``log_prob(c)``
(per sample, summed over the code's dimensions), ``entropy(base=None)`` and
``dim`` (the number of columns the code takes in the generator's input)::

    Categorical(k, probs=None)        c in {0..k-1}; fed to G one-hot (one_hot(c))
    Uniform(low=-1, high=1, dim=1)    c in [low, high]^dim
    Gaussian(mean=0, std=1, dim=1)    c ~ N(mean, std^2 I_dim)

Posterior heads (what Q outputs), giving :math:`\log Q(c|x)` per sample and its
gradient with respect to the head's outputs, in the dtype of those outputs
(float32 in, float32 out)::

    categorical_log_q(logits, codes) -> log_q (N,), dlogits (N, K)
        log Q(c|x) = log_softmax(logits)[c];  d/dlogits = onehot(c) - softmax(logits)
    categorical_codes_log_q(logits, codes, out=None, scale=1.0, weight=1.0, dtype=float64) -> log_q (N,)
        the sum over several categorical codes (one logits block each), gradients written into out if given
    gaussian_log_q(mean, log_std, codes) -> log_q (N,), dmean (N, D), dlog_std (N, D) | None
        log Q(c|x) = sum_d [-(c_d - mu_d)^2 / (2 s_d^2) - log s_d - log(2 pi) / 2],  s = exp(log_std)
        d/dmu = (c - mu) / s^2;  d/dlog_std = ((c - mu) / s)^2 - 1;  log_std=None: s = 1 (fixed)

Categorical codes are integers (N,) in ``[0, K)`` or exactly one-hot (N, K)
float arrays. These are *log-likelihoods*: the InfoGAN loss is
``-lambda * mean(log_q)``, whose gradient is ``-lambda / N`` times the returned gradient.

Entropies are in nats; :func:`npgan.info.product_entropy` of a list of these
objects is the :math:`H(c)` of the code set.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import FLOAT_DTYPES, check_float_array, check_generator, check_int, check_real
from .info import entropy as _entropy
from .info import gaussian_entropy as _gaussian_entropy
from .info._validate import check_probabilities, in_base, log_base

__all__ = ["Categorical", "Uniform", "Gaussian", "categorical_log_q", "categorical_codes_log_q", "gaussian_log_q"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"`dtype` must be float32 or float64, got {dtype!r}") from None
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"`dtype` must be float32 or float64, got {dt}")
    return dt


def _code_indices(codes, k: int, name: str = "codes") -> np.ndarray:
    """Integer class indices (N,) from integer codes (N,) or exactly one-hot codes (N, k)."""
    if not isinstance(codes, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray, got {type(codes).__name__}")
    if codes.dtype.kind in "iu":
        if codes.ndim != 1:
            raise ValueError(f"integer `{name}` must be 1-D (N,), got shape {codes.shape}")
        if codes.size and (codes.min() < 0 or codes.max() >= k):
            raise ValueError(f"`{name}` must lie in [0, {k}), got range "
                             f"[{codes.min()}, {codes.max()}]")
        return codes.astype(np.intp, copy=False)
    if codes.dtype in FLOAT_DTYPES:
        if codes.ndim != 2 or codes.shape[1] != k:
            raise ValueError(f"one-hot `{name}` must have shape (N, {k}), got {codes.shape}")
        if not (np.all((codes == 0) | (codes == 1)) and np.all(codes.sum(axis=1) == 1)):
            raise ValueError(f"float `{name}` must be exactly one-hot (one 1 per row, zeros elsewhere)")
        return codes.argmax(axis=1)
    raise TypeError(f"`{name}` must be integer (N,) or one-hot float (N, K), got dtype {codes.dtype}")


# --------------------------------------------------------------------------- priors


class Categorical:
    r"""Categorical code over ``k`` classes (uniform unless ``probs`` is given).

    :math:`\log p(c) = \log \pi_c`, :math:`H = -\sum_i \pi_i \log \pi_i`
    (``log k`` when uniform).

    Parameters
    ----------
    k : int
        Number of classes (>= 1).
    probs : array_like, shape (k,), optional
        Class probabilities (default uniform).
    dtype : float32 or float64
        dtype of :meth:`one_hot` and :meth:`log_prob` results.

    Examples
    --------
    >>> import numpy as np
    >>> cat = Categorical(4)
    >>> c = cat.sample(3, np.random.default_rng(0))
    >>> c.shape, cat.one_hot(c).shape, cat.dim
    ((3,), (3, 4), 4)
    >>> print(round(cat.entropy(base=2), 12))
    2.0
    """

    def __init__(self, k, probs=None, *, dtype=np.float32):
        self.k = check_int(k, "k", minimum=1)
        self.dtype = _check_dtype(dtype)
        self.uniform = probs is None
        if probs is None:
            self.probs = np.full(self.k, 1.0 / self.k)
        else:
            self.probs = check_probabilities(probs, "probs", ndim=1).astype(np.float64)
            if self.probs.shape != (self.k,):
                raise ValueError(f"`probs` must have shape ({self.k},), got {self.probs.shape}")
        with np.errstate(divide="ignore"):
            self._log_probs = np.log(self.probs)

    @property
    def dim(self) -> int:
        """Columns the code takes in the generator input (one-hot width)."""
        return self.k

    def sample(self, n, rng) -> np.ndarray:
        """Draw ``n`` class indices, int64 array of shape (n,)."""
        n = check_int(n, "n", minimum=1)
        rng = check_generator(rng)
        if self.uniform:
            return rng.integers(0, self.k, size=n, dtype=np.int64)
        return rng.choice(self.k, size=n, p=self.probs).astype(np.int64)

    def one_hot(self, codes) -> np.ndarray:
        """One-hot encoding (n, k) of integer codes (n,), in ``dtype``."""
        idx = _code_indices(codes, self.k)
        out = np.zeros((idx.shape[0], self.k), dtype=self.dtype)
        out[np.arange(idx.shape[0]), idx] = 1
        return out

    def log_prob(self, codes) -> np.ndarray:
        """:math:`\\log \\pi_c` per sample, shape (n,), for integer or one-hot codes."""
        return self._log_probs[_code_indices(codes, self.k)].astype(self.dtype)

    def entropy(self, base=None) -> float:
        """Entropy in nats (or ``base``)."""
        if self.uniform:
            return in_base(math.log(self.k), log_base(base))
        return float(_entropy(self.probs, base=base))

    def __repr__(self) -> str:
        extra = "" if self.uniform else f", probs={self.probs.tolist()}"
        return f"Categorical(k={self.k}{extra})"


class _Continuous:
    """Shared parts of the continuous codes: validation of ``x`` (n, dim)."""

    def __init__(self, dim, dtype):
        self.dim = check_int(dim, "dim", minimum=1)
        self.dtype = _check_dtype(dtype)

    def _check_x(self, x) -> np.ndarray:
        x = check_float_array(x, "x", ndim=2)
        if x.shape[1] != self.dim:
            raise ValueError(f"`x` must have shape (n, {self.dim}), got {x.shape}")
        return x


class Uniform(_Continuous):
    r"""Continuous code uniform on :math:`[a, b]^D` (InfoGAN uses ``Uniform(-1, 1)``).

    :math:`\log p(x) = -D \log(b - a)` inside the box, :math:`-\infty` outside;
    :math:`h = D \log(b - a)`.

    Parameters
    ----------
    low, high : float
        Bounds, ``low < high``.
    dim : int
        Number of independent dimensions D.
    dtype : float32 or float64
        dtype of the samples.

    Examples
    --------
    >>> import numpy as np
    >>> u = Uniform(-1.0, 1.0, dim=2, dtype=np.float64)
    >>> x = u.sample(5, np.random.default_rng(0))
    >>> x.shape, bool(np.all(np.abs(x) <= 1))
    ((5, 2), True)
    >>> print(u.log_prob(np.array([[0.0, 0.5], [0.0, 2.0]])))
    [-1.38629436        -inf]
    """

    def __init__(self, low=-1.0, high=1.0, dim=1, *, dtype=np.float32):
        super().__init__(dim, dtype)
        self.low = check_real(low, "low")
        self.high = check_real(high, "high")
        if not self.high > self.low:
            raise ValueError(f"`high` must be > `low`, got low={self.low}, high={self.high}")

    def sample(self, n, rng) -> np.ndarray:
        """Draw ``n`` codes, shape (n, dim), in ``dtype``."""
        n = check_int(n, "n", minimum=1)
        rng = check_generator(rng)
        return rng.uniform(self.low, self.high, size=(n, self.dim)).astype(self.dtype)

    def log_prob(self, x) -> np.ndarray:
        """Log density per sample, shape (n,), dtype of ``x``; ``-inf`` outside the box."""
        x = self._check_x(x)
        inside = np.all((x >= self.low) & (x <= self.high), axis=1)
        val = -self.dim * math.log(self.high - self.low)
        return np.where(inside, val, -np.inf).astype(x.dtype)

    def score(self, x) -> np.ndarray:
        """Gradient of :meth:`log_prob` w.r.t. ``x``: zero inside the box (n, dim)."""
        return np.zeros_like(self._check_x(x))

    def entropy(self, base=None) -> float:
        """Differential entropy :math:`D \\log(b - a)` in nats (or ``base``)."""
        return in_base(self.dim * math.log(self.high - self.low), log_base(base))

    def __repr__(self) -> str:
        return f"Uniform(low={self.low}, high={self.high}, dim={self.dim})"


class Gaussian(_Continuous):
    r"""Continuous code :math:`N(\mu, \sigma^2 I_D)`.

    :math:`\log p(x) = \sum_d -\frac{(x_d - \mu)^2}{2\sigma^2} - \log\sigma - \frac12\log 2\pi`,
    :math:`h = \frac{D}{2} \log(2\pi e \sigma^2)`.

    Parameters
    ----------
    mean : float
    std : float
        ``> 0``.
    dim : int
        Number of independent dimensions D.
    dtype : float32 or float64
        dtype of the samples.

    Examples
    --------
    >>> import numpy as np
    >>> g = Gaussian(0.0, 1.0, dim=1, dtype=np.float64)
    >>> print(g.log_prob(np.zeros((1, 1))).round(6), round(g.entropy(), 6))
    [-0.918939] 1.418939
    """

    def __init__(self, mean=0.0, std=1.0, dim=1, *, dtype=np.float32):
        super().__init__(dim, dtype)
        self.mean = check_real(mean, "mean")
        self.std = check_real(std, "std", minimum=0.0, strict_min=True)

    def sample(self, n, rng) -> np.ndarray:
        """Draw ``n`` codes, shape (n, dim), in ``dtype``."""
        n = check_int(n, "n", minimum=1)
        rng = check_generator(rng)
        return rng.normal(self.mean, self.std, size=(n, self.dim)).astype(self.dtype)

    def log_prob(self, x) -> np.ndarray:
        """Log density per sample (summed over dim), shape (n,), dtype of ``x``."""
        x = self._check_x(x)
        z = (x - self.mean) / self.std
        return (-0.5 * z * z).sum(axis=1) - self.dim * (math.log(self.std) + _HALF_LOG_2PI)

    def score(self, x) -> np.ndarray:
        """Gradient of :meth:`log_prob` w.r.t. ``x``: :math:`-(x - \\mu)/\\sigma^2`, (n, dim)."""
        x = self._check_x(x)
        return -(x - self.mean) / (self.std * self.std)

    def entropy(self, base=None) -> float:
        """Differential entropy in nats (or ``base``)."""
        return float(_gaussian_entropy(np.full(self.dim, self.std), base=base))

    def __repr__(self) -> str:
        return f"Gaussian(mean={self.mean}, std={self.std}, dim={self.dim})"


# --------------------------------------------------------------------------- posterior heads


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in the dtype of ``logits`` (max-shifted logsumexp)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def categorical_log_q(logits, codes):
    r"""Categorical posterior head: :math:`\log Q(c|x)` and its gradient w.r.t. the logits.

    .. math:: \log Q(c \mid x) = \ell_c - \log \sum_j e^{\ell_j},
              \qquad \frac{\partial \log Q}{\partial \ell_j} = [j = c] - \mathrm{softmax}(\ell)_j

    Parameters
    ----------
    logits : ndarray, shape (N, K), float32 or float64
        Raw outputs of the Q head.
    codes : ndarray
        Integer classes (N,) in ``[0, K)`` or one-hot (N, K) floats.

    Returns
    -------
    log_q : ndarray, shape (N,)
        Per-sample log-likelihood, dtype of ``logits``.
    dlogits : ndarray, shape (N, K)
        :math:`\partial \log Q(c_i|x_i) / \partial \text{logits}_i`, dtype of ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> log_q, g = categorical_log_q(np.zeros((1, 4)), np.array([2]))
    >>> print(log_q.round(6), g)
    [-1.386294] [[-0.25 -0.25  0.75 -0.25]]
    """
    logits = check_float_array(logits, "logits", ndim=2)
    n, k = logits.shape
    if not np.all(np.isfinite(logits)):
        raise ValueError("`logits` must be finite")
    idx = _code_indices(codes, k)
    if idx.shape[0] != n:
        raise ValueError(f"`codes` must have {n} rows like `logits` {logits.shape}, got {codes.shape}")
    log_sm = _log_softmax(logits)
    rows = np.arange(n)
    log_q = log_sm[rows, idx]
    dlogits = -np.exp(log_sm)
    dlogits[rows, idx] += 1
    return log_q, dlogits


def categorical_codes_log_q(logits, codes, out=None, scale: float = 1.0, weight: float = 1.0,
                            dtype=np.float64):
    r"""Several categorical posterior heads at once: :math:`\sum_j \log Q(c_j|x)`, each head's
    gradient written, scaled, into ``out`` (if given).

    The categorical half of L_I on Q's output (``LatentSpec.split_q`` gives the per-code logits and,
    of the gradient array, the views to write into): for each code ``j``,
    ``out[j][...] = (dlogits_j * scale) * weight`` with ``dlogits_j`` from :func:`categorical_log_q`,
    so ``scale = -1/N`` and ``weight = lambda`` give the gradient of ``-lambda * mean(log Q)``.

    Parameters
    ----------
    logits : sequence of ndarray, each (N, K_j)
        One block of Q's logits per code (views are made contiguous first).
    codes : ndarray, shape (N, J)
        Integer classes; column ``j`` is code ``j``'s.
    out : sequence of ndarray, each the shape of ``logits[j]``, optional
        Where each code's scaled gradient is written (views of the gradient of Q's output); None
        when only the value is wanted.
    scale, weight : float
        The factors of the gradient, applied in this order.
    dtype : dtype
        The dtype of the returned sum (default float64); the per-code terms are added to it in order.

    Returns
    -------
    log_q : ndarray, shape (N,)
        Per-sample log-likelihood summed over the codes (zeros when there are none).

    Examples
    --------
    >>> import numpy as np
    >>> out = [np.empty((1, 2)), np.empty((1, 4))]
    >>> log_q = categorical_codes_log_q([np.zeros((1, 2)), np.zeros((1, 4))], np.array([[1, 2]]), out, -1.0)
    >>> print(log_q.round(6), out[0], out[1])
    [-2.079442] [[ 0.5 -0.5]] [[ 0.25  0.25 -0.75  0.25]]
    """
    log_q = np.zeros(codes.shape[0], dtype=dtype)
    for j, lg in enumerate(logits):
        log_q_j, dlg = categorical_log_q(np.ascontiguousarray(lg), codes[:, j])
        log_q += log_q_j
        if out is not None:
            out[j][...] = (dlg * scale) * weight
    return log_q


def gaussian_log_q(mean, log_std, codes):
    r"""Factored Gaussian posterior head: :math:`\log Q(c|x)` and its gradients.

    With :math:`s = e^{\text{log\_std}}` and :math:`z = (c - \mu)/s`:

    .. math:: \log Q(c \mid x) = \sum_{d=1}^{D} -\tfrac12 z_d^2 - \log s_d - \tfrac12 \log 2\pi,
              \qquad \frac{\partial \log Q}{\partial \mu_d} = \frac{z_d}{s_d},
              \qquad \frac{\partial \log Q}{\partial \log s_d} = z_d^2 - 1

    Parameters
    ----------
    mean : ndarray, shape (N, D), float32 or float64
    log_std : ndarray, shape (N, D), or None
        Learned log standard deviations; None fixes the std to 1.
    codes : ndarray, shape (N, D)
        The codes ``c``, same dtype as ``mean``.

    Returns
    -------
    log_q : ndarray, shape (N,)
        Per-sample log-density summed over D, dtype of ``mean``.
    dmean : ndarray, shape (N, D)
    dlog_std : ndarray, shape (N, D), or None when ``log_std`` is None

    Examples
    --------
    >>> import numpy as np
    >>> log_q, dm, dls = gaussian_log_q(np.zeros((1, 2)), None, np.array([[1.0, 0.0]]))
    >>> print(log_q.round(6), dm, dls)
    [-2.337877] [[1. 0.]] None
    """
    mean = check_float_array(mean, "mean", ndim=2)
    codes = check_float_array(codes, "codes", ndim=2)
    if codes.shape != mean.shape:
        raise ValueError(f"`codes` must have the shape of `mean` {mean.shape}, got {codes.shape}")
    if codes.dtype != mean.dtype:
        raise TypeError(f"`codes` must have the dtype of `mean` ({mean.dtype}), got {codes.dtype}")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(codes))):
        raise ValueError("`mean` and `codes` must be finite")
    diff = codes - mean
    d = mean.shape[1]
    if log_std is None:
        log_q = (-0.5 * diff * diff).sum(axis=1) - d * _HALF_LOG_2PI
        return log_q, diff, None
    log_std = check_float_array(log_std, "log_std", ndim=2)
    if log_std.shape != mean.shape:
        raise ValueError(f"`log_std` must have the shape of `mean` {mean.shape}, got {log_std.shape}")
    if log_std.dtype != mean.dtype:
        raise TypeError(f"`log_std` must have the dtype of `mean` ({mean.dtype}), got {log_std.dtype}")
    if not np.all(np.isfinite(log_std)):
        raise ValueError("`log_std` must be finite")
    inv_std = np.exp(-log_std)
    z = diff * inv_std
    z2 = z * z
    log_q = (-0.5 * z2 - log_std).sum(axis=1) - d * _HALF_LOG_2PI
    return log_q, z * inv_std, z2 - 1
