"""Batch normalisation forward/backward kernels for (N, C) and (N, C, H, W) inputs.

Both layouts are handled as a ``(N, C, L)`` view (``L = 1`` or ``H * W``),
normalising each channel ``c`` over its ``M = N * L`` values. One fused
kernel per direction runs ``prange`` over channels; each channel's data is
read in consecutive passes while it is still in cache.

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

import math

import numpy as np
from numba import prange

from ._jit import njit_parallel


@njit_parallel
def _bn_forward_kernel(x, gamma, beta, eps, training, mean, var, inv_std, y):
    """Normalise ``x (N, C, L)`` into ``y``.

    In training mode ``mean``/``var`` (float64, shape (C,)) are outputs (batch
    statistics); in evaluation mode they are inputs (running statistics).
    ``inv_std`` (float64, (C,)) is always an output, kept for the backward pass.
    """
    n_img, n_ch, length = x.shape
    m = n_img * length
    for c in prange(n_ch):
        if training:
            acc = 0.0
            for n in range(n_img):
                for l in range(length):
                    acc += x[n, c, l]
            mu = acc / m
            acc2 = 0.0
            for n in range(n_img):
                for l in range(length):
                    d = x[n, c, l] - mu
                    acc2 += d * d
            mean[c] = mu
            var[c] = acc2 / m
        mu = mean[c]
        inv = 1.0 / math.sqrt(var[c] + eps)
        inv_std[c] = inv
        scale = gamma[c] * inv
        shift = beta[c] * 1.0          # promote to float64 for the fused arithmetic
        for n in range(n_img):
            for l in range(length):
                y[n, c, l] = (x[n, c, l] - mu) * scale + shift


@njit_parallel
def _bn_backward_kernel(dy, x, gamma, mean, inv_std, training, dx, dgamma, dbeta):
    """Gradients for ``x (N, C, L)``; ``mean``/``inv_std`` are the statistics the forward used.

    With ``xhat = (x - mean) inv_std``: ``dbeta = sum dy``, ``dgamma = sum dy xhat`` and
    ``dx = gamma inv_std (dy - a - xhat b)`` where ``a = mean(dy)``, ``b = mean(dy xhat)``
    in training mode (the statistics depend on ``x``) and ``a = b = 0`` in
    evaluation mode (they do not), so one loop serves both.
    """
    n_img, n_ch, length = x.shape
    m = n_img * length
    for c in prange(n_ch):
        mu = mean[c]
        inv = inv_std[c]
        s_dy = 0.0
        s_dyx = 0.0
        for n in range(n_img):
            for l in range(length):
                g = dy[n, c, l] * 1.0
                s_dy += g
                s_dyx += g * ((x[n, c, l] - mu) * inv)
        dbeta[c] = s_dy
        dgamma[c] = s_dyx
        k = gamma[c] * inv
        a = s_dy / m if training else 0.0
        b = s_dyx / m if training else 0.0
        for n in range(n_img):
            for l in range(length):
                xhat = (x[n, c, l] - mu) * inv
                dx[n, c, l] = k * (dy[n, c, l] - a - xhat * b)


class BatchNormCtx:
    """What :func:`batchnorm_backward` needs (``x`` is a reference, not a copy)."""

    __slots__ = ("x", "gamma", "mean", "inv_std", "training")

    def __init__(self, x, gamma, mean, inv_std, training):
        self.x = x
        self.gamma = gamma
        self.mean = mean
        self.inv_std = inv_std
        self.training = training


def _as_ncl(a):
    """(N, C) or (N, C, H, W) C-contiguous array as an (N, C, L) view."""
    return a.reshape(a.shape[0], a.shape[1], -1)


def batchnorm_forward(x, gamma, beta, eps, training, running_mean, running_var):
    """Batch-norm forward ``y = gamma (x - mu) / sqrt(var + eps) + beta``. Unvalidated.

    Parameters
    ----------
    x : ndarray, shape (N, C) or (N, C, H, W), C-contiguous
    gamma, beta : ndarray, shape (C,), dtype of ``x``
    eps : float
    training : bool
        True: normalise with the batch statistics; False: with the running ones.
    running_mean, running_var : ndarray, shape (C,)
        Used only when ``training`` is False (may be None otherwise). Never modified.

    Returns
    -------
    y : ndarray, shape and dtype of ``x``
    ctx : BatchNormCtx
        Opaque; pass to :func:`batchnorm_backward`. Holds a reference to ``x``.
    batch_mean, batch_var : ndarray, shape (C,), dtype of ``x``, or None
        The batch mean and biased variance (training mode); None in evaluation
        mode. The layer turns them into running averages.
    """
    x3 = _as_ncl(x)
    c = x3.shape[1]
    if training:
        mean = np.empty(c, dtype=np.float64)
        var = np.empty(c, dtype=np.float64)
    else:
        mean = np.array(running_mean, dtype=np.float64)
        var = np.array(running_var, dtype=np.float64)
    inv_std = np.empty(c, dtype=np.float64)
    y = np.empty_like(x)
    _bn_forward_kernel(x3, gamma, beta, float(eps), bool(training), mean, var, inv_std, _as_ncl(y))
    ctx = BatchNormCtx(x, gamma, mean, inv_std, bool(training))
    if training:
        return y, ctx, mean.astype(x.dtype), var.astype(x.dtype)
    return y, ctx, None, None


def batchnorm_backward(dy, ctx):
    """Gradients of :func:`batchnorm_forward` in the mode it was called with. Unvalidated.

    Parameters
    ----------
    dy : ndarray, shape of ``x``, C-contiguous
    ctx : BatchNormCtx

    Returns
    -------
    dx : ndarray, shape and dtype of ``x``
    dgamma, dbeta : ndarray, shape (C,), dtype of ``x``
    """
    x = ctx.x
    c = x.shape[1]
    dx = np.empty_like(x)
    dgamma = np.empty(c, dtype=x.dtype)
    dbeta = np.empty(c, dtype=x.dtype)
    _bn_backward_kernel(_as_ncl(dy), _as_ncl(x), ctx.gamma, ctx.mean, ctx.inv_std,
                        ctx.training, _as_ncl(dx), dgamma, dbeta)
    return dx, dgamma, dbeta
