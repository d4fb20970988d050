"""2-D convolution and transposed convolution as im2col + one BLAS GEMM.

Shapes follow PyTorch exactly (NCHW):

- ``conv2d``: ``x (N, C_in, H, W)``, ``w (C_out, C_in, kH, kW)``, ``b (C_out,)``
  -> ``y (N, C_out, Ho, Wo)`` with ``Ho = (H + 2 p - kH) // s + 1``.
- ``conv_transpose2d``: ``x (N, C_in, H, W)``, ``w (C_in, C_out, kH, kW)``,
  ``b (C_out,)`` -> ``y (N, C_out, Ho, Wo)`` with
  ``Ho = (H - 1) s - 2 p + kH + output_padding`` (``output_padding < s``, as
  in PyTorch, so the adjoint conv maps ``Ho`` back to ``H``).

Transposed convolution is implemented as the adjoint of convolution: its
forward pass is the conv's input-gradient computation (GEMM then
:func:`~.im2col.col2im`) and its backward pass is a conv forward
(:func:`~.im2col.im2col` then GEMM).

Every GEMM covers the whole batch at once; :mod:`.im2col` describes the
channel-major layout of GEMM operands, its two column orderings and how one
is chosen per geometry. Converting GEMM results back to NCHW happens in the
same pass that adds the bias (forward) or sums it (conv backward).

Only returned arrays are allocated; intermediates (im2col matrix, GEMM
results, padded copies) live in reused work buffers (:mod:`._scratch`).
The im2col matrix is therefore *recomputed* in the backward pass instead of
being kept in ``ctx``: rebuilding it in a warm buffer is cheaper than
page-faulting a fresh 25 MB array per forward call, and a cached layer then
holds only a reference to its input.

``ctx`` objects keep *references* to ``x`` and ``w``: do not modify them in
place between a forward call and its backward call.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit
from ._scratch import give, scratch
from .gemm import matmul
from .im2col import (
    _pair,
    batch_inner_is_faster,
    col2im_fresh,
    conv_output_size,
    from_channel_major,
    im2col_scratch,
    to_channel_major,
)

#: Tests set this to True/False to force one column ordering; None = cost model.
_FORCE_BATCH_INNER = None


def _batch_inner(n, c_img, h, w, c_gemm, ho, wo, kh, kw):
    if _FORCE_BATCH_INNER is not None:
        return bool(_FORCE_BATCH_INNER)
    return batch_inner_is_faster(n, c_img, h, w, c_gemm, ho, wo, kh, kw)


class ConvCtx:
    """What the conv and conv-transpose backward passes need: references to ``x`` and ``w``
    (not copies: do not modify them between forward and backward), the geometry, and the
    forward's im2col matrix when it was kept for the weight gradient."""

    __slots__ = ("x", "w", "stride", "padding", "has_bias", "inner", "cols")

    def __init__(self, x, w, stride, padding, has_bias, inner, cols=None):
        self.x = x
        self.w = w
        self.stride = stride
        self.padding = padding
        self.has_bias = has_bias
        self.inner = inner
        self.cols = cols


def _gemm(a, b, name):
    """``a @ b`` into the named scratch buffer (no fresh allocation, no page faults), on the pool."""
    return matmul(a, b, scratch(name, (a.shape[0], b.shape[1]), a.dtype))


def _gemm_fresh(a, b):
    """``a @ b`` into a new array (a gradient handed to the caller), on the pool."""
    return matmul(a, b, np.empty((a.shape[0], b.shape[1]), dtype=a.dtype))


def conv2d_forward(x, w, b, stride, padding, keep_cols=False):
    """Cross-correlation ``y = conv2d(x, w) + b`` (PyTorch ``Conv2d``). Unvalidated.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W), C-contiguous
    w : ndarray, shape (C_out, C_in, kH, kW), C-contiguous, dtype of ``x``
    b : ndarray, shape (C_out,), or None
    stride : int or (int, int), >= 1
    padding : int or (int, int), >= 0
    keep_cols : bool
        Keep the im2col matrix in ``ctx`` for the weight gradient (a layer that will need one),
        instead of rebuilding it in the backward pass. Speed and memory only.

    Returns
    -------
    y : ndarray, shape (N, C_out, Ho, Wo), dtype of ``x``
    ctx : ConvCtx
        Opaque; pass to :func:`conv2d_backward`. Holds references to ``x`` and ``w``.
    """
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)   # no-ops for C-contiguous input
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, _, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(wd, kw, sw, pw)
    inner = _batch_inner(n, x.shape[1], h, wd, c_out, ho, wo, kh, kw)
    cols = im2col_scratch(x, kh, kw, sh, sw, ph, pw, inner, keep_cols)  # (C_in*kh*kw, N*Ho*Wo)
    y_cm = _gemm(w.reshape(c_out, -1), cols, "gemm")          # (C_out, N*Ho*Wo)
    y = from_channel_major(y_cm, (n, c_out, ho, wo), b, inner)
    return y, ConvCtx(x, w, (sh, sw), (ph, pw), b is not None, inner, cols if keep_cols else None)


def conv2d_backward(dy, ctx, need_dx=True, need_dw=True):
    """Gradients of :func:`conv2d_forward`. Unvalidated.

    The weight gradient uses the forward's im2col matrix if it was kept
    (``keep_cols``; its buffer is then given back for the next forward to
    reuse, warm), else rebuilds it from ``x`` in a work buffer.

    Parameters
    ----------
    dy : ndarray, shape (N, C_out, Ho, Wo), C-contiguous
    ctx : ConvCtx
        From the matching forward call.
    need_dx : bool
        Skip the input gradient (one GEMM and a col2im) when False, e.g. for
        the first layer of a network.
    need_dw : bool
        Skip the weight and bias gradients (an im2col and one GEMM) when False,
        e.g. when backpropagating through a network that is not being trained.

    Returns
    -------
    dx : ndarray (N, C_in, H, W) or None
    dw : ndarray (C_out, C_in, kH, kW) or None
    db : ndarray (C_out,) or None (None when the forward had no bias or ``need_dw`` is False)
    """
    x, w = ctx.x, ctx.w
    dy = np.ascontiguousarray(dy)
    (sh, sw), (ph, pw) = ctx.stride, ctx.padding
    c_out, _, kh, kw = w.shape
    inner = ctx.inner
    dy_cm, db = to_channel_major(dy, ctx.has_bias and need_dw, "gemm", inner)  # (C_out, N*Ho*Wo)
    dw = None
    if need_dw:
        cols = ctx.cols if ctx.cols is not None else im2col_scratch(x, kh, kw, sh, sw, ph, pw, inner)
        dw = _gemm_fresh(dy_cm, cols.T).reshape(w.shape)      # BLAS reads cols.T via its trans flag
    if ctx.cols is not None:
        give(ctx.cols)
        ctx.cols = None
    dx = None
    if need_dx:
        dcols = _gemm(w.reshape(c_out, -1).T, dy_cm, "dcols")  # (C_in*kh*kw, N*Ho*Wo)
        dx = col2im_fresh(dcols, x.shape, kh, kw, sh, sw, ph, pw, inner)
    return dx, dw, db


def conv_transpose_output_size(size, k, stride, padding, output_padding):
    """Output length of a transposed convolution: ``(size - 1) s - 2 p + k + output_padding``."""
    return (size - 1) * stride - 2 * padding + k + output_padding


def conv_transpose2d_forward(x, w, b, stride, padding, output_padding):
    """Transposed convolution (PyTorch ``ConvTranspose2d``), the adjoint of conv2d. Unvalidated.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W), C-contiguous
    w : ndarray, shape (C_in, C_out, kH, kW), C-contiguous, dtype of ``x``
    b : ndarray, shape (C_out,), or None
    stride : int or (int, int), >= 1
    padding : int or (int, int), >= 0
    output_padding : int or (int, int), 0 <= output_padding < stride

    Returns
    -------
    y : ndarray, shape (N, C_out, Ho, Wo), ``Ho = (H-1) s - 2 p + kH + output_padding``
    ctx : ConvCtx
        Opaque; pass to :func:`conv_transpose2d_backward`. Holds references to ``x`` and ``w``.
    """
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(padding), _pair(output_padding)
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    ho = conv_transpose_output_size(h, kh, sh, ph, oph)
    wo = conv_transpose_output_size(wd, kw, sw, pw, opw)
    # The geometry is that of the conv it is the adjoint of: image side (C_out, Ho, Wo).
    inner = _batch_inner(n, c_out, ho, wo, c_in, h, wd, kh, kw)
    x_cm, _ = to_channel_major(x, False, "gemm", inner)      # (C_in, N*H*W)
    cols = _gemm(w.reshape(c_in, -1).T, x_cm, "dcols")        # (C_out*kh*kw, N*H*W)
    y = col2im_fresh(cols, (n, c_out, ho, wo), kh, kw, sh, sw, ph, pw, inner, bias=b)
    return y, ConvCtx(x, w, (sh, sw), (ph, pw), b is not None, inner)


def conv_transpose2d_backward(dy, ctx, need_dx=True, need_dw=True):
    """Gradients of :func:`conv_transpose2d_forward`. Unvalidated.

    Parameters
    ----------
    dy : ndarray, shape (N, C_out, Ho, Wo), C-contiguous
    ctx : ConvCtx
    need_dx : bool
        Skip the input gradient (one GEMM and a layout pass) when False.
    need_dw : bool
        Skip the weight and bias gradients (a layout pass, one GEMM, a sum) when False.

    Returns
    -------
    dx : ndarray (N, C_in, H, W) or None
    dw : ndarray (C_in, C_out, kH, kW) or None
    db : ndarray (C_out,) or None (None when the forward had no bias or ``need_dw`` is False)
    """
    x, w = ctx.x, ctx.w
    dy = np.ascontiguousarray(dy)
    (sh, sw), (ph, pw) = ctx.stride, ctx.padding
    c_in, _, kh, kw = w.shape
    inner = ctx.inner
    # im2col of dy is the conv (adjoint) geometry: it has N*H*W columns since output_padding < stride.
    cols = im2col_scratch(dy, kh, kw, sh, sw, ph, pw, inner)  # (C_out*kh*kw, N*H*W)
    dw = db = None
    if need_dw:
        x_cm, _ = to_channel_major(x, False, "gemm", inner)  # (C_in, N*H*W)
        dw = _gemm_fresh(x_cm, cols.T).reshape(w.shape)
        db = _channel_sums(dy) if ctx.has_bias else None
    dx = None
    if need_dx:
        dx_cm = _gemm(w.reshape(c_in, -1), cols, "gemm")      # x_cm is no longer needed
        dx = from_channel_major(dx_cm, x.shape, None, inner)
    return dx, dw, db


@njit(fastmath=True)
def _channel_sum(a, sums):
    """``sums[c] = sum over n, l of a[n, c, l]`` (float64 accumulation; reassociated, NaN-safe)."""
    n_img, n_ch, length = a.shape
    for c in range(n_ch):
        acc = 0.0
        for n in range(n_img):
            for l in range(length):
                acc += a[n, c, l]
        sums[c] = acc


def _channel_sums(a):
    """Per-channel sum of NCHW ``a`` in ``a``'s dtype."""
    n, c, h, w = a.shape
    sums = np.empty(c, dtype=a.dtype)
    _channel_sum(a.reshape(n, c, h * w), sums)
    return sums
