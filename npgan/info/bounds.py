r"""The variational (Barber-Agakov) mutual-information bound and Lemma 5.1 of InfoGAN.

InfoGAN maximises :math:`I(c; G(z, c)) = H(c) - H(c \mid x)` with
:math:`x = G(z, c)`. The posterior :math:`P(c|x)` is intractable, so an
auxiliary distribution :math:`Q(c|x)` gives the lower bound

.. math::

    I(c; x) = H(c) + \mathbb{E}_{x}\,\mathbb{E}_{c \sim P(c|x)}[\log P(c|x)]
            = \underbrace{H(c) + \mathbb{E}_{c, x}[\log Q(c|x)]}_{L_I(G, Q)}
              + \mathbb{E}_{x}\big[KL\big(P(\cdot|x) \,\|\, Q(\cdot|x)\big)\big]
            \;\ge\; L_I(G, Q),

tight when :math:`Q = P(c|x)`. Lemma 5.1 lets the expectation over the
posterior be replaced by one over the generative process :math:`c \sim P(c),
x \sim G(z, c)`, which is how :func:`mi_lower_bound` estimates it from samples.

Layout: a discrete joint is ``joint[c, x] = P(c, x)`` and a conditional
``q[x, c] = Q(c|x)`` has one distribution over ``c`` per row (the last-axis
convention, matching a Q head's per-sample output), like
``conditional(joint, given=1)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr, xlogy

from .._checks import check_real
from ._validate import as_float_array, check_probabilities, check_shape_ndim, in_base, log_base, scalar
from .discrete import _conditional_table

__all__ = ["mi_lower_bound", "mi_lower_bound_exact", "variational_gap", "lemma_5_1"]


def mi_lower_bound(log_q, prior_entropy, *, base=None):
    r"""Monte-Carlo estimate of the variational bound :math:`L_I = \mathbb{E}[\log Q(c|x)] + H(c)`.

    .. math:: \hat L_I = \frac1N \sum_{i=1}^N \log Q(c_i \mid x_i) + H(c),
              \qquad c_i \sim P(c),\; x_i \sim G(z_i, c_i)

    Unbiased for the exact bound (:func:`mi_lower_bound_exact`), with
    standard error ``std(log_q) / sqrt(N)``.

    Parameters
    ----------
    log_q : array_like, shape (N,)
        :math:`\log Q(c_i|x_i)` in nats (e.g. from
        :func:`npgan.distributions.categorical_log_q`); ``-inf`` is allowed.
    prior_entropy : float
        :math:`H(c)` in nats (e.g. :func:`npgan.info.product_entropy`).
    base : float, optional
        Logarithm base of the result (default: nats).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> print(round(mi_lower_bound(np.log([1.0, 0.5]), np.log(2)), 12))  # (0 - log 2)/2 + log 2
    0.34657359028
    """
    lb = log_base(base)
    lq = as_float_array(log_q, "log_q")
    check_shape_ndim(lq, "log_q", ndim=1)
    if np.any(np.isnan(lq)) or np.any(lq == np.inf):
        raise ValueError("`log_q` must not contain NaN or +inf")
    h = check_real(prior_entropy, "prior_entropy")
    return float(in_base(float(np.mean(lq, dtype=np.float64)) + h, lb))


def _joint_and_q(joint, q, normalize):
    p = check_probabilities(joint, "joint", ndim=2, table=True, normalize=normalize)
    qq = check_probabilities(q, "q", ndim=2, normalize=normalize)
    n_c, n_x = p.shape
    if qq.shape != (n_x, n_c):
        raise ValueError(f"`q` must have shape (n_x, n_c) = {(n_x, n_c)} for `joint` of shape "
                         f"{p.shape} (row x is Q(.|x)), got {qq.shape}")
    dtype = np.result_type(p, qq)
    return p.astype(dtype, copy=False), qq.astype(dtype, copy=False)


def mi_lower_bound_exact(joint, q, *, base=None, normalize=False):
    r"""Exact variational bound for a discrete joint :math:`P(c, x)` and any :math:`Q(c|x)`.

    .. math:: L_I = \sum_{c, x} P(c, x) \log Q(c \mid x) + H(c)
              \;\le\; I(c; x)

    ``-inf`` if ``Q(c|x) = 0`` where ``P(c, x) > 0``; equal to ``I(c; x)``
    when ``q`` is the true posterior ``conditional(joint, given=1)``.

    Parameters
    ----------
    joint : array_like, shape (n_c, n_x)
        ``joint[c, x] = P(c, x)``.
    q : array_like, shape (n_x, n_c)
        ``q[x, c] = Q(c | x)``; each row sums to 1.
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise ``joint`` (in total) and ``q`` (per row) first.

    Examples
    --------
    >>> joint = [[0.5, 0.0], [0.0, 0.5]]     # x reveals c: I = log 2
    >>> print(mi_lower_bound_exact(joint, [[0.5, 0.5], [0.5, 0.5]]))   # ignorant Q
    0.0
    >>> print(mi_lower_bound_exact(joint, [[1.0, 0.0], [0.0, 1.0]], base=2))  # true posterior
    1.0
    """
    lb = log_base(base)
    p, qq = _joint_and_q(joint, q, normalize)
    h_c = 0.0 - xlogy(p.sum(axis=1), p.sum(axis=1)).sum()
    return scalar(in_base(xlogy(p, qq.T).sum() + h_c, lb))


def variational_gap(joint, q, *, base=None, normalize=False):
    r"""Gap of the bound, :math:`I(c; x) - L_I = \mathbb{E}_{x}[KL(P(c|x) \,\|\, Q(c|x))]`.

    .. math:: \sum_{x:\,P(x) > 0} P(x)\, KL\big(P(\cdot \mid x) \,\|\, Q(\cdot \mid x)\big) \;\ge\; 0

    Exactly 0.0 when ``q`` is the posterior computed by
    ``conditional(joint, given=1)``; ``inf`` when ``Q(c|x) = 0 < P(c|x)``.

    Parameters
    ----------
    joint : array_like, shape (n_c, n_x)
        ``joint[c, x] = P(c, x)``.
    q : array_like, shape (n_x, n_c)
        ``q[x, c] = Q(c | x)``.
    base : float, optional
        Logarithm base of the result (default: nats).
    normalize : bool
        Normalise ``joint`` and ``q`` first.

    Examples
    --------
    >>> print(variational_gap([[0.5, 0.0], [0.0, 0.5]], [[0.5, 0.5], [0.5, 0.5]], base=2))
    1.0
    """
    lb = log_base(base)
    p, qq = _joint_and_q(joint, q, normalize)
    p_x = p.sum(axis=0)
    post = _conditional_table(p, 1)          # (n_x, n_c): P(c | x)
    seen = p_x > 0                            # rows with P(x) = 0 carry no weight
    kl = rel_entr(post[seen], qq[seen]).sum(axis=1)
    return scalar(in_base((p_x[seen] * kl).sum(), lb))


def lemma_5_1(joint, f, *, normalize=False):
    r"""Both sides of Lemma 5.1 of the InfoGAN paper for a discrete joint.

    .. math:: \mathbb{E}_{x \sim X,\, y \sim Y|x}[f(x, y)]
              = \mathbb{E}_{x \sim X,\, y \sim Y|x,\, x' \sim X|y}[f(x', y)]

    The left side is :math:`\sum_{x,y} p(x)\,p(y|x)\,f(x,y)`; the right side
    is evaluated as the triple sum
    :math:`\sum_{x,y,x'} p(x)\,p(y|x)\,p(x'|y)\,f(x', y)` (not simplified), so
    comparing them checks the lemma numerically.

    Parameters
    ----------
    joint : array_like, shape (n_x, n_y)
        ``joint[x, y] = P(X=x, Y=y)``.
    f : array_like of shape (n_x, n_y), or callable
        The values ``f[x, y]``, or a function ``f(x, y)`` of integer index
        arrays ``x`` (shape (n_x, 1)) and ``y`` (shape (1, n_y)) returning a
        broadcastable array of finite reals.
    normalize : bool
        Normalise ``joint`` first.

    Returns
    -------
    lhs, rhs : float
        The two sides (equal up to rounding).

    Examples
    --------
    >>> lhs, rhs = lemma_5_1([[0.1, 0.2], [0.3, 0.4]], lambda x, y: (x + 1.0) * (2.0 - y))
    >>> print(round(lhs, 12), round(rhs, 12))
    2.4 2.4
    """
    p = check_probabilities(joint, "joint", ndim=2, table=True, normalize=normalize)
    n_x, n_y = p.shape
    if callable(f):
        x_idx, y_idx = np.arange(n_x)[:, None], np.arange(n_y)[None, :]
        try:
            vals = np.broadcast_to(np.asarray(f(x_idx, y_idx)), (n_x, n_y))
        except ValueError:
            raise ValueError(f"`f(x, y)` must return an array broadcastable to {(n_x, n_y)}") from None
        vals = as_float_array(vals, "f(x, y)")
    else:
        vals = as_float_array(f, "f")
        if vals.shape != (n_x, n_y):
            raise ValueError(f"`f` must have the shape of `joint` {(n_x, n_y)}, got {vals.shape}")
    if not np.all(np.isfinite(vals)):
        raise ValueError("`f` must have finite values")
    p = p.astype(np.float64)
    vals = vals.astype(np.float64)
    p_x = p.sum(axis=1)
    y_given_x = _conditional_table(p, 0)       # (n_x, n_y)
    x_given_y = _conditional_table(p, 1)       # (n_y, n_x): row y is P(x' | y)
    lhs = np.einsum("x,xy,xy->", p_x, y_given_x, vals)
    # rhs[x, y, x'] = p(x) p(y|x) p(x'|y) f(x', y)
    rhs = np.einsum("x,xy,yz,zy->", p_x, y_given_x, x_given_y, vals)
    return float(lhs), float(rhs)
