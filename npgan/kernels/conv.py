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

Every GEMM covers the whole batch at once, on channel-major operands
(:mod:`.im2col`). Outputs are batch-inner arrays (:mod:`.layout`): the GEMM's
result itself, viewed as ``(N, C_out, Ho, Wo)``; input gradients come back in
the layout of the forward input (a C-contiguous input costs one transpose each
way).

Intermediates (im2col matrix, column gradients, transposed inputs) live in
reused work buffers (:mod:`._scratch`); only returned arrays are allocated.

``ctx`` objects keep *references* to ``x`` and ``w``: do not modify them in
place between a forward call and its backward call.
"""

from __future__ import annotations

import numpy as np

from ._scratch import give, scratch
from .gemm import matmul
from .im2col import (
    _pair,
    add_bias_rows,
    channel_major,
    channel_sums,
    col2im_fresh,
    conv_output_size,
    im2col_scratch,
    to_nchw,
)
from .layout import batch_inner, dense, from_batch_inner


class ConvCtx:
    """What the conv and conv-transpose backward passes need: references to ``x`` and ``w``
    (not copies: do not modify them between forward and backward), the geometry, and the
    forward's im2col matrix when it was kept for the weight gradient."""

    __slots__ = ("x", "w", "stride", "padding", "has_bias", "cols")

    def __init__(self, x, w, stride, padding, has_bias, cols=None):
        self.x = x
        self.w = w
        self.stride = stride
        self.padding = padding
        self.has_bias = has_bias
        self.cols = cols


def _gemm(a, b, name):
    """``a @ b`` into the named scratch buffer (no fresh allocation, no page faults), on the pool."""
    return matmul(a, b, scratch(name, (a.shape[0], b.shape[1]), a.dtype))


def _gemm_fresh(a, b):
    """``a @ b`` into a new array (a result handed to the caller), on the pool."""
    return matmul(a, b, np.empty((a.shape[0], b.shape[1]), dtype=a.dtype))


def _in_layout_of(x, grad):
    """``grad`` (batch-inner, shape of ``x``) in ``x``'s layout: itself, or a C-contiguous copy."""
    return grad if batch_inner(x) is not None else to_nchw(grad)


def _as_channels(sums, dtype):
    return sums.astype(dtype) if sums is not None else None


def conv2d_forward(x, w, b, stride, padding, keep_cols=False):
    """Cross-correlation ``y = conv2d(x, w) + b`` (PyTorch ``Conv2d``). Unvalidated.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W), C-contiguous or batch-inner
    w : ndarray, shape (C_out, C_in, kH, kW), C-contiguous, dtype of ``x``
    b : ndarray, shape (C_out,), or None
    stride : int or (int, int), >= 1
    padding : int or (int, int), >= 0
    keep_cols : bool
        Keep the im2col matrix in ``ctx`` for the weight gradient (a layer that will need one),
        instead of rebuilding it in the backward pass. Speed and memory only.

    Returns
    -------
    y : ndarray, shape (N, C_out, Ho, Wo), dtype of ``x``, batch-inner memory
    ctx : ConvCtx
        Opaque; pass to :func:`conv2d_backward`. Holds references to ``x`` and ``w``.
    """
    x, w = dense(x), np.ascontiguousarray(w)        # no-ops for the layouts the layers pass
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, _, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(wd, kw, sw, pw)
    cols = im2col_scratch(x, kh, kw, sh, sw, ph, pw, keep_cols)  # (C_in*kh*kw, Ho*Wo*N)
    y_cm = _gemm_fresh(w.reshape(c_out, -1), cols)               # (C_out, Ho*Wo*N)
    if b is not None:
        add_bias_rows(y_cm, b)
    y = from_batch_inner(y_cm.reshape(c_out, ho, wo, n))
    return y, ConvCtx(x, w, (sh, sw), (ph, pw), b is not None, cols if keep_cols else None)


def conv2d_backward(dy, ctx, need_dx=True, need_dw=True):
    """Gradients of :func:`conv2d_forward`. Unvalidated.

    The weight gradient uses the forward's im2col matrix if it was kept
    (``keep_cols``; its buffer is then given back for the next forward to
    reuse, warm), else rebuilds it from ``x`` in a work buffer.

    Parameters
    ----------
    dy : ndarray, shape (N, C_out, Ho, Wo), C-contiguous or batch-inner
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
    dx : ndarray (N, C_in, H, W) in the layout of the forward's ``x``, or None
    dw : ndarray (C_out, C_in, kH, kW) or None
    db : ndarray (C_out,) or None (None when the forward had no bias or ``need_dw`` is False)
    """
    x, w = ctx.x, ctx.w
    (sh, sw), (ph, pw) = ctx.stride, ctx.padding
    c_out, _, kh, kw = w.shape
    dy_cm, db = channel_major(dense(dy), "gemm", ctx.has_bias and need_dw)  # (C_out, Ho*Wo*N)
    dw = None
    if need_dw:
        cols = ctx.cols if ctx.cols is not None else im2col_scratch(x, kh, kw, sh, sw, ph, pw)
        dw = _gemm_fresh(dy_cm, cols.T).reshape(w.shape)      # BLAS reads cols.T via its trans flag
    if ctx.cols is not None:
        give(ctx.cols)
        ctx.cols = None
    dx = None
    if need_dx:
        dcols = _gemm(w.reshape(c_out, -1).T, dy_cm, "dcols")  # (C_in*kh*kw, Ho*Wo*N)
        dx = _in_layout_of(x, col2im_fresh(dcols, x.shape, kh, kw, sh, sw, ph, pw))
    return dx, dw, _as_channels(db, w.dtype)


def conv_transpose_output_size(size, k, stride, padding, output_padding):
    """Output length of a transposed convolution: ``(size - 1) s - 2 p + k + output_padding``."""
    return (size - 1) * stride - 2 * padding + k + output_padding


def conv_transpose2d_forward(x, w, b, stride, padding, output_padding):
    """Transposed convolution (PyTorch ``ConvTranspose2d``), the adjoint of conv2d. Unvalidated.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W), C-contiguous or batch-inner
    w : ndarray, shape (C_in, C_out, kH, kW), C-contiguous, dtype of ``x``
    b : ndarray, shape (C_out,), or None
    stride : int or (int, int), >= 1
    padding : int or (int, int), >= 0
    output_padding : int or (int, int), 0 <= output_padding < stride

    Returns
    -------
    y : ndarray, shape (N, C_out, Ho, Wo), ``Ho = (H-1) s - 2 p + kH + output_padding``,
        batch-inner memory
    ctx : ConvCtx
        Opaque; pass to :func:`conv_transpose2d_backward`. Holds references to ``x`` and ``w``.
    """
    x, w = dense(x), np.ascontiguousarray(w)
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(padding), _pair(output_padding)
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    ho = conv_transpose_output_size(h, kh, sh, ph, oph)
    wo = conv_transpose_output_size(wd, kw, sw, pw, opw)
    x_cm, _ = channel_major(x, "gemm")                        # (C_in, H*W*N)
    cols = _gemm(w.reshape(c_in, -1).T, x_cm, "dcols")        # (C_out*kh*kw, H*W*N)
    y = col2im_fresh(cols, (n, c_out, ho, wo), kh, kw, sh, sw, ph, pw, bias=b)
    return y, ConvCtx(x, w, (sh, sw), (ph, pw), b is not None)


def conv_transpose2d_backward(dy, ctx, need_dx=True, need_dw=True):
    """Gradients of :func:`conv_transpose2d_forward`. Unvalidated.

    Parameters
    ----------
    dy : ndarray, shape (N, C_out, Ho, Wo), C-contiguous or batch-inner
    ctx : ConvCtx
    need_dx : bool
        Skip the input gradient (one GEMM and a layout pass) when False.
    need_dw : bool
        Skip the weight and bias gradients (a layout pass, one GEMM, a sum) when False.

    Returns
    -------
    dx : ndarray (N, C_in, H, W) in the layout of the forward's ``x``, or None
    dw : ndarray (C_in, C_out, kH, kW) or None
    db : ndarray (C_out,) or None (None when the forward had no bias or ``need_dw`` is False)
    """
    x, w = ctx.x, ctx.w
    dy = dense(dy)
    (sh, sw), (ph, pw) = ctx.stride, ctx.padding
    n, c_in, h, wd = x.shape
    kh, kw = w.shape[2:]
    # im2col of dy is the conv (adjoint) geometry: it has N*H*W columns since output_padding < stride.
    cols = im2col_scratch(dy, kh, kw, sh, sw, ph, pw)        # (C_out*kh*kw, H*W*N)
    dw = db = None
    if need_dw:
        x_cm, _ = channel_major(x, "gemm")                    # (C_in, H*W*N)
        dw = _gemm_fresh(x_cm, cols.T).reshape(w.shape)
        if ctx.has_bias:
            db = channel_sums(dy).astype(w.dtype)
    dx = None
    if need_dx:
        dx_cm = _gemm_fresh(w.reshape(c_in, -1), cols)        # (C_in, H*W*N)
        dx = _in_layout_of(x, from_batch_inner(dx_cm.reshape(c_in, h, wd, n)))
    return dx, dw, db
