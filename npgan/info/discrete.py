r"""Information quantities of discrete distributions given as probability arrays.

Conventions
-----------
- A distribution is a non-negative array whose **last axis** sums to 1; leading
  axes are a batch and the result has the batch shape (a NumPy scalar for a
  single distribution). A **joint table** ``joint[x, y] = P(X=x, Y=y)`` is a
  2-D array summing to 1 in total.
- Sums must be 1 within :func:`~npgan.info.sum_tolerance` of the dtype
  (``sqrt(eps)``: ~1.5e-8 in float64). ``normalize=True`` divides by the sum
  instead; nothing is renormalised silently.
- Results are in nats; ``base=2`` gives bits (any finite ``base > 0, != 1``).
- ``0 log 0 = 0`` (``scipy.special.xlogy`` / ``rel_entr``), so zeros in the
  tables are fine and degenerate cases give an exact ``0.0`` (the entropy of
  a one-hot distribution, ``KL(p || p)``, ``H(Y|X)`` for ``Y = g(X)``).
- float32 input gives float32 output; other real input is computed in float64.
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr, xlogy

from ._validate import check_probabilities, in_base, log_base, scalar

__all__ = [
    "entropy", "cross_entropy", "kl_divergence", "joint_entropy", "conditional_entropy",
    "mutual_information", "pointwise_information", "marginals", "conditional",
    "joint_from_conditional",
]


def _check_given(given) -> int:
    if isinstance(given, (bool, np.bool_)) or given not in (0, 1):
        raise ValueError(f"`given` must be 0 (rows) or 1 (columns), got {given!r}")
    return int(given)


def _pair(p, q, normalize):
    """Validate two distributions over the same last axis (leading axes broadcast)."""
    p = check_probabilities(p, "p", normalize=normalize)
    q = check_probabilities(q, "q", normalize=normalize)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"`p` and `q` must have the same number of outcomes (last axis), "
                         f"got shapes {p.shape} and {q.shape}")
    try:
        np.broadcast_shapes(p.shape, q.shape)
    except ValueError:
        raise ValueError(f"`p` and `q` have shapes that do not broadcast: {p.shape} and {q.shape}") from None
    dtype = np.result_type(p, q)
    return p.astype(dtype, copy=False), q.astype(dtype, copy=False)


def entropy(p, *, base=None, normalize=False):
    r"""Shannon entropy :math:`H(p) = -\sum_k p_k \log p_k` along the last axis.

    Parameters
    ----------
    p : array_like, shape (..., K)
        Distributions along the last axis.
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Divide ``p`` by its sum first instead of requiring it to sum to 1.

    Returns
    -------
    H : scalar or ndarray, shape (...)
        ``0 <= H <= log K``; exactly 0 for a one-hot ``p``.

    Examples
    --------
    >>> print(entropy([0.5, 0.5], base=2))
    1.0
    >>> print(entropy([0.0, 1.0, 0.0]))
    0.0
    """
    lb = log_base(base)
    p = check_probabilities(p, "p", normalize=normalize)
    return scalar(in_base(0.0 - xlogy(p, p).sum(axis=-1), lb))


def kl_divergence(p, q, *, base=None, normalize=False):
    r"""Kullback-Leibler divergence :math:`KL(p\|q) = \sum_k p_k \log(p_k / q_k)`.

    Terms with ``p_k = 0`` are 0; a term with ``q_k = 0 < p_k`` is ``+inf``, so
    ``KL(p||q) = inf`` when ``p`` is not absolutely continuous w.r.t. ``q``.
    ``KL(p||q) >= 0`` with equality iff ``p == q`` (then it is exactly 0.0).

    Parameters
    ----------
    p, q : array_like, shape (..., K)
        Distributions along the last axis (leading axes broadcast).
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise both inputs first.

    Returns
    -------
    scalar or ndarray, shape (...)

    Examples
    --------
    >>> print(kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    >>> print(kl_divergence([0.5, 0.5], [1.0, 0.0]))
    inf
    >>> print(round(float(kl_divergence([1.0, 0.0], [0.5, 0.5], base=2)), 12))
    1.0
    """
    lb = log_base(base)
    p, q = _pair(p, q, normalize)
    return scalar(in_base(rel_entr(p, q).sum(axis=-1), lb))


def cross_entropy(p, q, *, base=None, normalize=False):
    r"""Cross-entropy :math:`H(p, q) = -\sum_k p_k \log q_k = H(p) + KL(p\|q)`.

    Computed as ``entropy(p) + kl_divergence(p, q)`` so that the identity
    ``CE = H + KL`` holds exactly; ``inf`` where ``q_k = 0 < p_k``.

    Parameters
    ----------
    p, q : array_like, shape (..., K)
        Distributions along the last axis (leading axes broadcast).
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise both inputs first.

    Returns
    -------
    scalar or ndarray, shape (...)

    Examples
    --------
    >>> print(cross_entropy([1.0, 0.0], [0.5, 0.5], base=2))
    1.0
    """
    lb = log_base(base)
    p, q = _pair(p, q, normalize)
    h = 0.0 - xlogy(p, p).sum(axis=-1)  # 0.0 - x: never -0.0
    return scalar(in_base(h + rel_entr(p, q).sum(axis=-1), lb))


def joint_entropy(joint, *, base=None, normalize=False):
    r"""Joint entropy :math:`H(X, Y, \dots) = -\sum p(x, y, \dots) \log p(x, y, \dots)`.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y, ...)
        One joint table (all axes together sum to 1), any number of variables.
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise the table first.

    Examples
    --------
    >>> print(joint_entropy([[0.25, 0.25], [0.25, 0.25]], base=2))
    2.0
    """
    lb = log_base(base)
    p = check_probabilities(joint, "joint", table=True, normalize=normalize)
    return scalar(in_base(0.0 - xlogy(p, p).sum(), lb))


def marginals(joint, *, normalize=False):
    r"""Marginals :math:`p(x) = \sum_y p(x, y)` and :math:`p(y) = \sum_x p(x, y)`.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)

    Returns
    -------
    p_x : ndarray, shape (n_x,)
    p_y : ndarray, shape (n_y,)

    Examples
    --------
    >>> px, py = marginals([[0.1, 0.2], [0.3, 0.4]])
    >>> print(px.round(12), py.round(12))
    [0.3 0.7] [0.4 0.6]
    """
    p = check_probabilities(joint, "joint", ndim=2, table=True, normalize=normalize)
    return p.sum(axis=1), p.sum(axis=0)


def _conditional_table(p: np.ndarray, given: int) -> np.ndarray:
    """P(other | given) with the conditioned-on variable first; zero-mass rows -> uniform."""
    t = p if given == 0 else p.T
    m = t.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = t / m
    # A conditional on a zero-probability value is arbitrary (it never carries
    # weight); uniform keeps every row a valid distribution.
    return np.where(m > 0, c, 1.0 / t.shape[1]).astype(p.dtype, copy=False)


def conditional(joint, *, given=0, normalize=False):
    r"""Conditional distribution table from a joint.

    ``given=0``: :math:`P(Y{=}y \mid X{=}x) = p(x, y) / p(x)`, shape (n_x, n_y).
    ``given=1``: :math:`P(X{=}x \mid Y{=}y) = p(x, y) / p(y)`, shape (n_y, n_x).
    Either way row ``i`` is the distribution conditioned on the ``i``-th value
    of the ``given`` variable (distributions on the last axis). Rows for a
    value of probability 0 are undefined and returned uniform.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)
    given : {0, 1}
        The axis of ``joint`` that is conditioned on.

    Examples
    --------
    >>> print(conditional([[0.1, 0.3], [0.2, 0.4]], given=1).round(12))
    [[0.33333333 0.66666667]
     [0.42857143 0.57142857]]
    """
    given = _check_given(given)
    p = check_probabilities(joint, "joint", ndim=2, table=True, normalize=normalize)
    return _conditional_table(p, given)


def joint_from_conditional(p_x, p_y_given_x, *, normalize=False):
    r"""Joint table :math:`p(x, y) = p(x)\, p(y \mid x)`.

    Parameters
    ----------
    p_x : array_like, shape (n_x,)
    p_y_given_x : array_like, shape (n_x, n_y)
        Row ``x`` is the distribution of Y given X = x.

    Returns
    -------
    joint : ndarray, shape (n_x, n_y)

    Examples
    --------
    >>> print(joint_from_conditional([0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]]))
    [[0.5  0.  ]
     [0.25 0.25]]
    """
    px = check_probabilities(p_x, "p_x", ndim=1, normalize=normalize)
    pyx = check_probabilities(p_y_given_x, "p_y_given_x", ndim=2, normalize=normalize)
    if pyx.shape[0] != px.shape[0]:
        raise ValueError(f"`p_y_given_x` must have one row per value of X ({px.shape[0]}), "
                         f"got shape {pyx.shape}")
    return px[:, None] * pyx


def conditional_entropy(joint, *, given=0, base=None, normalize=False):
    r"""Conditional entropy from a joint table.

    ``given=0`` (default): :math:`H(Y \mid X) = -\sum_{x,y} p(x,y) \log \frac{p(x,y)}{p(x)}`
    for ``joint[x, y]``; ``given=1``: :math:`H(X \mid Y)`.
    Each term has ``p(x,y)/p(x) <= 1`` (also in floating point), so the result
    is never negative, and it is exactly 0 when Y is a function of X.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)
    given : {0, 1}
        The axis conditioned on.
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise the table first.

    Examples
    --------
    >>> print(conditional_entropy([[0.5, 0.0], [0.0, 0.5]]))
    0.0
    >>> print(conditional_entropy([[0.25, 0.25], [0.25, 0.25]], base=2))
    1.0
    """
    given = _check_given(given)
    lb = log_base(base)
    p = check_probabilities(joint, "joint", ndim=2, table=True, normalize=normalize)
    m = p.sum(axis=1 - given, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(p > 0, p / m, 0.0).astype(p.dtype, copy=False)
    return scalar(in_base(0.0 - xlogy(p, ratio).sum(), lb))


def mutual_information(joint, *, base=None, normalize=False):
    r"""Mutual information :math:`I(X; Y) = KL\big(p(x, y) \,\|\, p(x)\,p(y)\big)`.

    Computed as the KL divergence from the product of the marginals, so it is
    never negative beyond rounding (~1e-16), symmetric, and 0 (up to
    rounding) for a product distribution. It equals
    ``H(X) - H(X|Y) = H(Y) - H(Y|X) = H(X) + H(Y) - H(X, Y)``.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise the table first.

    Examples
    --------
    >>> print(mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2))
    1.0
    >>> print(mutual_information([[0.25, 0.25], [0.25, 0.25]]))
    0.0
    """
    lb = log_base(base)
    p = check_probabilities(joint, "joint", ndim=2, table=True, normalize=normalize)
    prod = p.sum(axis=1, keepdims=True) * p.sum(axis=0, keepdims=True)
    # Where p(x, y) > 0 both marginals are > 0, so every term is finite.
    return scalar(in_base(rel_entr(p, prod).sum(), lb))


def pointwise_information(p, *, base=None):
    r"""Pointwise (self-)information :math:`i(p) = -\log p`, elementwise.

    ``+inf`` where ``p = 0``. The entropy is its expectation,
    :math:`H(p) = \mathbb{E}_{k \sim p}[-\log p_k]` (terms with ``p_k = 0``
    contribute 0).

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1] (any shape; they need not sum to 1).
    base : float, optional
        Logarithm base of the result (default: nats).

    Returns
    -------
    ndarray or scalar, same shape as ``p``

    Examples
    --------
    >>> print(pointwise_information([0.5, 0.25, 1.0], base=2))
    [1. 2. 0.]
    """
    lb = log_base(base)
    arr = check_probabilities(p, "p", min_ndim=0, check_sum=False)
    with np.errstate(divide="ignore"):
        out = -np.log(arr)
    return scalar(in_base(out + 0.0, lb))  # + 0.0 turns -0.0 (p = 1) into 0.0
