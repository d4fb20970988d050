r"""Closed-form entropies and divergences of the InfoGAN latent-code families.

Results are in nats (``base=2`` for bits). Discrete entropies are Shannon
entropies; the continuous ones are *differential* entropies (they can be
negative). Array parameters broadcast; float32 input gives float32 output.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import check_int
from ._validate import as_float_array, check_shape_ndim, in_base, log_base, scalar
from .discrete import entropy

__all__ = ["categorical_entropy", "uniform_entropy", "gaussian_entropy", "gaussian_kl",
           "product_entropy"]

_HALF_LOG_2PI_E = 0.5 * math.log(2.0 * math.pi * math.e)


def _finite(x, name: str):
    """A finite real: Python scalars stay Python floats so they do not upcast float32 arrays."""
    if isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_, np.generic)):
        if not math.isfinite(x):
            raise ValueError(f"`{name}` must be finite, got {x}")
        return float(x)
    arr = as_float_array(x, name)
    if arr.ndim > 0:
        check_shape_ndim(arr, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {arr}")
    return arr


def _positive(x, name: str):
    arr = _finite(x, name)
    if np.any(np.asarray(arr) <= 0):
        raise ValueError(f"`{name}` must be > 0, got minimum {np.min(arr)}")
    return arr


def categorical_entropy(k=None, *, probs=None, base=None):
    r"""Entropy of a categorical distribution.

    With ``k``: the uniform categorical over ``k`` classes (InfoGAN's
    ``Cat(K)`` code), :math:`H = \log k`. With ``probs``: the general case
    :math:`H = -\sum_i p_i \log p_i` (same as :func:`npgan.info.entropy`).
    Give exactly one of them.

    Parameters
    ----------
    k : int, optional
        Number of equally likely classes (>= 1).
    probs : array_like, shape (..., K), optional
        Class probabilities along the last axis.
    base : float, optional
        Logarithm base of the result (default: nats).

    Examples
    --------
    >>> print(categorical_entropy(8, base=2))
    3.0
    >>> print(categorical_entropy(probs=[0.5, 0.5, 0.0], base=2))
    1.0
    """
    if (k is None) == (probs is None):
        raise ValueError(f"give exactly one of `k` and `probs`, got k={k!r}, probs={probs!r}")
    if probs is not None:
        return entropy(probs, base=base)
    k = check_int(k, "k", minimum=1)
    return in_base(math.log(k), log_base(base))


def uniform_entropy(low, high, *, base=None):
    r"""Differential entropy of :math:`\mathrm{Uniform}(a, b)`: :math:`h = \log(b - a)`.

    Parameters
    ----------
    low, high : float or array_like
        Bounds ``a < b`` (arrays broadcast; the result is elementwise).
    base : float, optional
        Logarithm base of the result (default: nats).

    Examples
    --------
    >>> print(uniform_entropy(-1.0, 1.0, base=2))
    1.0
    >>> print(uniform_entropy(0.0, 1.0))
    0.0
    """
    lb = log_base(base)
    a, b = _finite(low, "low"), _finite(high, "high")
    try:
        width = b - a
    except ValueError:
        raise ValueError("`low` and `high` shapes do not broadcast: "
                         f"{np.shape(a)} and {np.shape(b)}") from None
    if np.any(width <= 0):
        raise ValueError(f"`high` must be > `low`, got low={a}, high={b}")
    return scalar(in_base(np.log(width), lb))


def gaussian_entropy(std, *, base=None):
    r"""Differential entropy of a diagonal Gaussian :math:`N(\mu, \mathrm{diag}(\sigma^2))`.

    .. math:: h = \sum_{d=1}^{D} \tfrac12 \log(2 \pi e\, \sigma_d^2)

    It does not depend on the mean.

    Parameters
    ----------
    std : float or array_like, shape (..., D)
        Standard deviations; a scalar is one dimension, an array is summed
        over its last axis (leading axes are a batch).
    base : float, optional
        Logarithm base of the result (default: nats).

    Examples
    --------
    >>> print(round(float(gaussian_entropy(1.0)), 10))
    1.4189385332
    >>> print(round(float(gaussian_entropy([1.0, 1.0]) - 2 * gaussian_entropy(1.0)), 12))
    0.0
    """
    lb = log_base(base)
    s = _positive(std, "std")
    per_dim = _HALF_LOG_2PI_E + np.log(s)
    h = per_dim if np.ndim(s) == 0 else per_dim.sum(axis=-1)
    return scalar(in_base(h, lb))


def gaussian_kl(mean_p, std_p, mean_q, std_q, *, base=None):
    r"""KL divergence between diagonal Gaussians :math:`KL(N(\mu_p, \sigma_p^2) \| N(\mu_q, \sigma_q^2))`.

    .. math:: \sum_d \tfrac12 \Big( r_d + \frac{(\mu_{p,d} - \mu_{q,d})^2}{\sigma_{q,d}^2}
              - 1 - \log r_d \Big), \qquad r_d = \sigma_{p,d}^2 / \sigma_{q,d}^2

    Exactly 0.0 for identical parameters.

    Parameters
    ----------
    mean_p, std_p, mean_q, std_q : float or array_like, shape (..., D)
        Parameters; they broadcast. Scalars are one dimension; arrays are
        summed over the last axis of the broadcast shape.
    base : float, optional
        Logarithm base of the result (default: nats).

    Examples
    --------
    >>> print(gaussian_kl(0.0, 1.0, 0.0, 1.0))
    0.0
    >>> print(gaussian_kl([0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0]))
    0.5
    """
    lb = log_base(base)
    mp, mq = _finite(mean_p, "mean_p"), _finite(mean_q, "mean_q")
    sp, sq = _positive(std_p, "std_p"), _positive(std_q, "std_q")
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in (mp, sp, mq, sq)))
    except ValueError:
        raise ValueError("`mean_p`, `std_p`, `mean_q`, `std_q` shapes do not broadcast: "
                         + ", ".join(str(np.shape(v)) for v in (mp, sp, mq, sq))) from None
    r = (sp / sq) ** 2
    per_dim = 0.5 * (r + ((mp - mq) / sq) ** 2 - 1.0 - np.log(r))
    kl = per_dim if len(shape) == 0 else np.broadcast_to(per_dim, shape).sum(axis=-1)
    return scalar(in_base(kl, lb))


def product_entropy(components, *, base=None):
    r"""Entropy of independent codes, :math:`H(c_1, \dots, c_L) = \sum_i H(c_i)`.

    This is the :math:`H(c)` of an InfoGAN latent-code set (the codes are
    drawn independently). With mixed discrete and continuous codes it is the
    sum of Shannon and differential entropies, the quantity the variational
    bound :math:`L_I = \mathbb{E}[\log Q(c|x)] + H(c)` uses.

    Parameters
    ----------
    components : sequence
        Each item is an entropy in nats (a real number) or an object with an
        ``entropy()`` method returning nats (e.g. the distributions of
        :mod:`npgan.distributions`).
    base : float, optional
        Logarithm base of the result (default: nats).

    Examples
    --------
    >>> print(round(product_entropy([categorical_entropy(10), uniform_entropy(-1, 1),
    ...                              uniform_entropy(-1, 1)]), 6))
    3.688879
    """
    lb = log_base(base)
    if isinstance(components, (str, bytes)) or not hasattr(components, "__iter__"):
        raise TypeError(f"`components` must be a sequence, got {type(components).__name__}")
    total = 0.0
    for i, c in enumerate(components):
        h = c.entropy() if hasattr(c, "entropy") else c
        if isinstance(h, np.ndarray) and h.ndim == 0:
            h = h[()]
        if isinstance(h, (bool, np.bool_)) or not isinstance(h, numbers.Real):
            raise TypeError(f"`components[{i}]` must be an entropy (real number) or have an "
                            f"entropy() method, got {type(c).__name__}")
        if not math.isfinite(float(h)):
            raise ValueError(f"`components[{i}]` has a non-finite entropy: {h}")
        total += float(h)
    return in_base(total, lb)
