"""Batch normalisation forward/backward kernels for (N, C) and (N, C, H, W) inputs.

Both layouts are handled as a ``(N, C, L)`` view (``L = 1`` or ``H * W``),
normalising each channel ``c`` over its ``M = N * L`` values; a batch-inner
array (:mod:`.layout`) is the ``(1, C, H * W * N)`` view of its memory. Every pass
walks the arrays in memory order with float64 per-channel accumulators
(for ``L == 1`` the inner loop runs over channels so that it vectorises);
per-channel scalars (``C`` values) are computed in NumPy between passes.
Forward: statistics (2 passes, training only) + 1 output pass; backward:
1 pass for the two sums + 1 output pass.

Each kernel works on a range of channels ``[c0, c1)``; the public functions
spread the channels over :mod:`.threads`' pool (a channel's statistics are
computed exactly as in one call, so results do not depend on the thread count).

Precision: per-channel sums are accumulated in float64 and the per-element
arithmetic is done in float64 registers, then stored in the input dtype.
This keeps float32 results accurate even when ``|mean| >> std`` (computing
``x * scale + shift`` in float32 would cancel catastrophically there) and
costs little because the kernels are memory-bound. No float64 *array* is
returned for float32 input.

Statistics: training mode uses the batch mean and the biased (``/ M``)
variance, computed in two passes (mean, then centred sum of squares) rather
than from ``E[x^2] - E[x]^2``, which cancels. Evaluation mode uses the
running statistics given by the caller, so the layer is affine in ``x``.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit
from .layout import channel_rows, like
from .threads import n_threads, parallel, split


_U = np.uint64


# The (N, C) case (L == 1) has kernels of its own: the inner loop runs over a row's channels with
# per-channel float64 accumulators in local arrays and unsigned flat indices, so LLVM vectorises it
# (indexing x[n, c, 0] and the caller's arrays ran scalar, 5-8x slower). The sums go over n in the
# same order as before: results are unchanged to the bit.

@njit
def _row_stats(x, mean, var, c0, c1):
    """:func:`_channel_stats` for ``L == 1``: per-column mean and biased variance of (N, C) rows."""
    n_img, n_ch = x.shape[0], x.shape[1]
    xf = x.reshape(-1)
    un, uc, uc0, cnt = _U(n_img), _U(n_ch), _U(c0), _U(c1 - c0)
    mu = np.zeros(c1 - c0)
    sq = np.zeros(c1 - c0)
    for n in range(un):
        base = n * uc + uc0
        for k in range(cnt):
            mu[k] += xf[base + k]
    mu /= n_img
    for n in range(un):
        base = n * uc + uc0
        for k in range(cnt):
            d = xf[base + k] - mu[k]
            sq[k] += d * d
    mean[c0:c1] = mu
    var[c0:c1] = sq / n_img


@njit
def _row_apply(x, mean, scale, shift, y, c0, c1):
    """:func:`_bn_apply` for ``L == 1``."""
    n_img, n_ch = x.shape[0], x.shape[1]
    xf, yf = x.reshape(-1), y.reshape(-1)
    un, uc, uc0, cnt = _U(n_img), _U(n_ch), _U(c0), _U(c1 - c0)
    mu, sc, sh = mean[c0:c1].copy(), scale[c0:c1].copy(), shift[c0:c1].copy()
    for n in range(un):
        base = n * uc + uc0
        for k in range(cnt):
            yf[base + k] = (xf[base + k] - mu[k]) * sc[k] + sh[k]


@njit
def _row_grad_sums(dy, x, mean, inv_std, s_dy, s_dyx, c0, c1):
    """:func:`_bn_grad_sums` for ``L == 1``."""
    n_img, n_ch = x.shape[0], x.shape[1]
    xf, gf = x.reshape(-1), dy.reshape(-1)
    un, uc, uc0, cnt = _U(n_img), _U(n_ch), _U(c0), _U(c1 - c0)
    mu, inv = mean[c0:c1].copy(), inv_std[c0:c1].copy()
    a = np.zeros(c1 - c0)
    b = np.zeros(c1 - c0)
    for n in range(un):
        base = n * uc + uc0
        for k in range(cnt):
            g = gf[base + k] * 1.0
            a[k] += g
            b[k] += g * ((xf[base + k] - mu[k]) * inv[k])
    s_dy[c0:c1] = a
    s_dyx[c0:c1] = b


@njit
def _row_dx(dy, x, mean, inv_std, k, a, b, dx, c0, c1):
    """:func:`_bn_dx` for ``L == 1``."""
    n_img, n_ch = x.shape[0], x.shape[1]
    xf, gf, of = x.reshape(-1), dy.reshape(-1), dx.reshape(-1)
    un, uc, uc0, cnt = _U(n_img), _U(n_ch), _U(c0), _U(c1 - c0)
    mu, inv = mean[c0:c1].copy(), inv_std[c0:c1].copy()
    kc, ac, bc = k[c0:c1].copy(), a[c0:c1].copy(), b[c0:c1].copy()
    for n in range(un):
        base = n * uc + uc0
        for j in range(cnt):
            xhat = (xf[base + j] - mu[j]) * inv[j]
            of[base + j] = kc[j] * (gf[base + j] - ac[j] - xhat * bc[j])


@njit(fastmath=True)
def _channel_stats(x, mean, var, c0, c1):
    """Per-channel mean and biased variance of ``x (N, C, L)`` into float64 ``mean``, ``var``.

    Two passes (mean, then centred squares) in memory order. ``fastmath`` lets LLVM reassociate
    the sums over ``l`` (several partial sums, which is also more accurate); it keeps NaN semantics.
    """
    n_img, n_ch, length = x.shape
    if length == 1:
        _row_stats(x, mean, var, c0, c1)
        return
    m = n_img * length
    mean[c0:c1] = 0.0
    var[c0:c1] = 0.0
    for n in range(n_img):
        for c in range(c0, c1):
            acc = 0.0
            for l in range(length):
                acc += x[n, c, l]
            mean[c] += acc
    mean[c0:c1] /= m
    for n in range(n_img):
        for c in range(c0, c1):
            mu = mean[c]
            acc = 0.0
            for l in range(length):
                d = x[n, c, l] - mu
                acc += d * d
            var[c] += acc
    var[c0:c1] /= m


@njit
def _bn_apply(x, mean, scale, shift, y, c0, c1):
    """``y = (x - mean[c]) * scale[c] + shift[c]`` in float64 registers, stored in ``y``'s dtype."""
    n_img, n_ch, length = x.shape
    if length == 1:
        _row_apply(x, mean, scale, shift, y, c0, c1)
        return
    for n in range(n_img):
        for c in range(c0, c1):
            mu, sc, sh = mean[c], scale[c], shift[c]
            for l in range(length):
                y[n, c, l] = (x[n, c, l] - mu) * sc + sh


@njit(fastmath=True)
def _bn_grad_sums(dy, x, mean, inv_std, s_dy, s_dyx, c0, c1):
    """``s_dy[c] = sum dy``, ``s_dyx[c] = sum dy * xhat`` (float64) with ``xhat = (x - mean) inv_std``."""
    n_img, n_ch, length = x.shape
    if length == 1:
        _row_grad_sums(dy, x, mean, inv_std, s_dy, s_dyx, c0, c1)
        return
    s_dy[c0:c1] = 0.0
    s_dyx[c0:c1] = 0.0
    for n in range(n_img):
        for c in range(c0, c1):
            mu, inv = mean[c], inv_std[c]
            a = 0.0
            b = 0.0
            for l in range(length):
                g = dy[n, c, l] * 1.0
                a += g
                b += g * ((x[n, c, l] - mu) * inv)
            s_dy[c] += a
            s_dyx[c] += b


@njit
def _bn_dx(dy, x, mean, inv_std, k, a, b, dx, c0, c1):
    """``dx = k[c] (dy - a[c] - xhat b[c])`` with ``xhat = (x - mean[c]) inv_std[c]``."""
    n_img, n_ch, length = x.shape
    if length == 1:
        _row_dx(dy, x, mean, inv_std, k, a, b, dx, c0, c1)
        return
    for n in range(n_img):
        for c in range(c0, c1):
            mu, inv, kc, ac, bc = mean[c], inv_std[c], k[c], a[c], b[c]
            for l in range(length):
                xhat = (x[n, c, l] - mu) * inv
                dx[n, c, l] = kc * (dy[n, c, l] - ac - xhat * bc)


class BatchNormCtx:
    """What :func:`batchnorm_backward` needs (``x`` is a reference, not a copy)."""

    __slots__ = ("x", "scale", "mean", "inv_std", "training")

    def __init__(self, x, scale, mean, inv_std, training):
        self.x = x
        self.scale = scale          # gamma * inv_std (float64)
        self.mean = mean
        self.inv_std = inv_std
        self.training = training


#: Arrays with fewer elements than this are normalised in one piece (a hand-off costs microseconds).
MIN_SPLIT_ELEMENTS = 1 << 15


def _by_channel(x3, piece):
    """``piece(c0, c1)`` over the channels of ``x3 (N, C, L)``, one range per pool thread (one if small)."""
    parts = split(x3.shape[1], n_threads() if x3.size >= MIN_SPLIT_ELEMENTS else 1, align=16)
    parallel(lambda i: piece(*parts[i]), len(parts))


def _as_ncl(a):
    """(N, C) or (N, C, H, W) ``a`` as an ``(M, C, L)`` view in memory order (:func:`.layout.channel_rows`)."""
    return channel_rows(a)


def batchnorm_forward(x, gamma, beta, eps, training, running_mean, running_var):
    """Batch-norm forward ``y = gamma (x - mu) / sqrt(var + eps) + beta``. Unvalidated.

    Parameters
    ----------
    x : ndarray, shape (N, C) or (N, C, H, W), C-contiguous or with the channel axis outermost
        in memory (batch-inner, :mod:`.layout`); other layouts are copied
    gamma, beta : ndarray, shape (C,), dtype of ``x``
    eps : float
    training : bool
        True: normalise with the batch statistics; False: with the running ones.
    running_mean, running_var : ndarray, shape (C,)
        Used only when ``training`` is False (may be None otherwise). Never modified.

    Returns
    -------
    y : ndarray, shape, dtype and memory layout of ``x``
    ctx : BatchNormCtx
        Opaque; pass to :func:`batchnorm_backward`. Holds a reference to ``x``.
    batch_mean, batch_var : ndarray, shape (C,), dtype of ``x``, or None
        The batch mean and biased variance (training mode); None in evaluation
        mode. The layer turns them into running averages.
    """
    if channel_rows(x) is None:
        x = np.ascontiguousarray(x)
    x3 = _as_ncl(x)
    c = x3.shape[1]
    if training:
        mean = np.empty(c, dtype=np.float64)
        var = np.empty(c, dtype=np.float64)
        _by_channel(x3, lambda c0, c1: _channel_stats(x3, mean, var, c0, c1))
    else:
        mean = np.asarray(running_mean, dtype=np.float64)
        var = np.asarray(running_var, dtype=np.float64)
    # Per-channel scalars in float64 (C values, negligible cost).
    inv_std = 1.0 / np.sqrt(var + float(eps))
    scale = np.asarray(gamma, dtype=np.float64) * inv_std
    shift = np.asarray(beta, dtype=np.float64)
    y = np.empty_like(x)
    y3 = _as_ncl(y)
    _by_channel(x3, lambda c0, c1: _bn_apply(x3, mean, scale, shift, y3, c0, c1))
    ctx = BatchNormCtx(x, scale, mean, inv_std, bool(training))
    if training:
        return y, ctx, mean.astype(x.dtype), var.astype(x.dtype)
    return y, ctx, None, None


def batchnorm_backward(dy, ctx):
    """Gradients of :func:`batchnorm_forward` in the mode it was called with. Unvalidated.

    Parameters
    ----------
    dy : ndarray, shape of ``x`` (copied into ``x``'s layout if it has another)
    ctx : BatchNormCtx

    Returns
    -------
    dx : ndarray, shape, dtype and memory layout of ``x``
    dgamma, dbeta : ndarray, shape (C,), dtype of ``x``
    """
    x = ctx.x
    x3, dy3 = _as_ncl(x), _as_ncl(like(dy, x))
    c = x3.shape[1]
    m = x3.shape[0] * x3.shape[2]
    s_dy = np.empty(c, dtype=np.float64)
    s_dyx = np.empty(c, dtype=np.float64)
    _by_channel(x3, lambda c0, c1: _bn_grad_sums(dy3, x3, ctx.mean, ctx.inv_std, s_dy, s_dyx, c0, c1))
    if ctx.training:
        # The batch statistics depend on x: dx = gamma/sigma (dy - mean(dy) - xhat mean(dy xhat)).
        a, b = s_dy / m, s_dyx / m
    else:
        # Running statistics are constants: BN is affine in x, dx = gamma/sigma dy.
        a = b = np.zeros(c)
    dx = np.empty_like(x)
    dx3 = _as_ncl(dx)
    _by_channel(x3, lambda c0, c1: _bn_dx(dy3, x3, ctx.mean, ctx.inv_std, ctx.scale, a, b, dx3, c0, c1))
    return dx, s_dyx.astype(x.dtype), s_dy.astype(x.dtype)
