"""im2col / col2im and the layout passes around them.

For ``x`` of logical shape ``(N, C, H, W)``, a ``kh x kw`` kernel, stride ``(sh, sw)`` and zero
padding ``(ph, pw)``, the conv output size is ``Ho = (H + 2 ph - kh) // sh + 1`` (likewise
``Wo``) and the im2col matrix has shape ``(C * kh * kw, Ho * Wo * N)`` with

    cols[(c * kh + i) * kw + j, (oh * Wo + ow) * N + n] = x[n, c, oh*sh + i - ph, ow*sw + j - pw]

(0 in the padding). The row index matches ``w.reshape(C_out, C * kh * kw)`` of a PyTorch conv
weight, so a whole batch is *one* GEMM ``w2 @ cols -> (C_out, Ho * Wo * N)``; the weight gradient
``dy2 @ cols.T`` and the column gradient ``w2.T @ dy2`` are single GEMMs too, and BLAS reads the
transposed operands through its trans flags, so ``cols`` is never transposed or copied.

Every GEMM operand and result is "channel-major", ``(C, H * W * N)``: the memory of a
batch-inner activation (:mod:`.layout`). The batch being innermost, im2col is a sequence of
contiguous ``N``-element copies, which LLVM vectorises, and a GEMM's result *is* the next layer's
input: no layout pass between convolutions. A C-contiguous (NCHW) input is transposed once into
a work buffer (:func:`channel_major`); a gradient for a C-contiguous input is transposed back
(:func:`to_nchw`).

``col2im`` is the adjoint of ``im2col``: every column entry is added back onto the image position
it was read from; entries in the padding are dropped. The padding is never materialised: the
kernels skip (col2im) or zero-fill (im2col) the out-of-range positions.

Each kernel works on a range of channels ``[c0, c1)``, and the composite functions spread the
channels over :mod:`.threads`' pool (every channel's values are computed exactly as in one call,
so results do not depend on the thread count).

Index arithmetic is done in uint64 on flat views on purpose. numba supports negative indices, so
every signed index it cannot prove non-negative gets an ``if i < 0: i += n`` select, which blocks
vectorisation in an inner loop (im2col ran 4x slower with signed indices). Mixing int64 and
uint64 promotes to float64 and fails to compile as an index, so indices are converted once, after
the range checks.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit
from ._scratch import scratch, take
from .layout import batch_inner, dense, from_batch_inner
from .threads import n_threads, parallel, split


def _pair(v) -> tuple[int, int]:
    """``v`` as an ``(h, w)`` pair of ints; an int means the same for both."""
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv_output_size(size: int, k: int, stride: int, padding: int) -> int:
    """Output length of a convolution along one axis: ``(size + 2 p - k) // s + 1``."""
    return (size + 2 * padding - k) // stride + 1


_U = np.uint64
_BLOCK = 16     # batch block of the transposes: one 64-byte line of float32


# ------------------------------------------------------------------ kernels

@njit
def _nchw_to_chwn(x, out, sums, want_sums, c0, c1):
    """``out[c, r, q, n] = x[n, c, r, q]`` for ``c0 <= c < c1``; optional float64 channel sums.

    Each input row of ``W`` values is read contiguously and scattered to ``W`` output lines that
    stay in L1 while the batch is walked.
    """
    n_img, n_ch, h, w = x.shape
    xf = x.reshape(-1)
    of = out.reshape(-1)
    un, uc, uh, uw = _U(n_img), _U(n_ch), _U(h), _U(w)
    for c in range(_U(c0), _U(c1)):
        acc = 0.0
        for r in range(uh):
            dst = (c * uh + r) * uw * un
            for n in range(un):
                src = ((n * uc + c) * uh + r) * uw
                for q in range(uw):
                    v = xf[src + q]
                    of[dst + q * un + n] = v
                    if want_sums:
                        acc += v
        if want_sums:
            sums[c] = acc


@njit
def _chwn_to_nchw(a, out, c0, c1):
    """``out[n, c, r, q] = a[c, r, q, n]`` for ``c0 <= c < c1``."""
    n_img, n_ch, h, w = out.shape
    af = a.reshape(-1)
    of = out.reshape(-1)
    un, uc, uh, uw = _U(n_img), _U(n_ch), _U(h), _U(w)
    blk = _U(_BLOCK)
    for c in range(_U(c0), _U(c1)):
        for r in range(uh):
            src = (c * uh + r) * uw * un
            for n0 in range(_U(0), un, blk):
                n1 = min(n0 + blk, un)
                for n in range(n0, n1):
                    dst = ((n * uc + c) * uh + r) * uw
                    for q in range(uw):
                        of[dst + q] = af[src + q * un + n]


@njit
def _im2col_chwn(x, cols, kh, kw, sh, sw, ph, pw, ho, wo, c0, c1):
    """``cols[(c*kh + i)*kw + j, (oh*wo + ow)*N + n] = x[c, oh*sh + i - ph, ow*sw + j - pw, n]``
    (0 outside ``x``) for ``c0 <= c < c1``; ``x`` is ``(C, H, W, N)``."""
    n_ch, h, w, n_img = x.shape
    xf = x.reshape(-1)
    cf = cols.reshape(-1)
    un, uh, uw = _U(n_img), _U(h), _U(w)
    run = _U(wo) * un
    ncol = _U(ho) * run
    for c in range(c0, c1):
        uc = _U(c)
        for i in range(kh):
            for j in range(kw):
                d = _U((c * kh + i) * kw + j) * ncol
                for oh in range(ho):
                    ih = oh * sh + i - ph
                    if ih < 0 or ih >= h:
                        for k in range(run):
                            cf[d + k] = 0
                        d += run
                        continue
                    row = (uc * uh + _U(ih)) * uw
                    for ow in range(wo):
                        iw = ow * sw + j - pw
                        if iw < 0 or iw >= w:
                            for n in range(un):
                                cf[d + n] = 0
                        else:
                            s = (row + _U(iw)) * un
                            for n in range(un):
                                cf[d + n] = xf[s + n]
                        d += un


@njit
def _col2im_chwn(cols, out, bias, kh, kw, sh, sw, ph, pw, ho, wo, c0, c1):
    """Adjoint of :func:`_im2col_chwn` into channels ``[c0, c1)`` of ``out`` ``(C, H, W, N)``
    (overwritten), then ``+ bias[c]``."""
    n_ch, h, w, n_img = out.shape
    of = out.reshape(-1)
    cf = cols.reshape(-1)
    un, uh, uw = _U(n_img), _U(h), _U(w)
    plane = uh * uw * un
    run = _U(wo) * un
    ncol = _U(ho) * run
    for c in range(c0, c1):
        uc = _U(c)
        base = uc * plane
        for k in range(plane):
            of[base + k] = 0
        for i in range(kh):
            for j in range(kw):
                d = _U((c * kh + i) * kw + j) * ncol
                for oh in range(ho):
                    ih = oh * sh + i - ph
                    if ih < 0 or ih >= h:
                        d += run
                        continue
                    row = (uc * uh + _U(ih)) * uw
                    for ow in range(wo):
                        iw = ow * sw + j - pw
                        if iw >= 0 and iw < w:
                            s = (row + _U(iw)) * un
                            for n in range(un):
                                of[s + n] += cf[d + n]
                        d += un
        b = bias[c]
        for k in range(plane):
            of[base + k] += b


@njit
def _add_rows(a, bias, c0, c1):
    """``a[c, :] += bias[c]`` for ``c0 <= c < c1`` (a channel-major bias add)."""
    length = a.shape[1]
    for c in range(c0, c1):
        b = bias[c]
        for k in range(length):
            a[c, k] += b


@njit(fastmath=True)
def _nchw_sums(a, sums, c0, c1):
    """``sums[c] = sum over n, l of a[n, c, l]`` for ``c0 <= c < c1``, accumulated in float64."""
    n_img, _, length = a.shape
    for c in range(c0, c1):
        acc = 0.0
        for n in range(n_img):
            for l in range(length):
                acc += a[n, c, l]
        sums[c] = acc


@njit(fastmath=True)
def _row_sums(a, sums, c0, c1):
    """``sums[c] = sum(a[c, :])`` for ``c0 <= c < c1``, accumulated in float64."""
    length = a.shape[1]
    for c in range(c0, c1):
        acc = 0.0
        for k in range(length):
            acc += a[c, k]
        sums[c] = acc


# ---------------------------------------------------------------- composites

#: Passes over fewer elements than this run as one piece (a hand-off costs a few microseconds).
MIN_SPLIT_ELEMENTS = 1 << 15


def _over(count, elements, piece):
    """``piece(start, stop)`` over ``range(count)`` in one part per pool thread (one part if small)."""
    parts = split(count, n_threads() if elements >= MIN_SPLIT_ELEMENTS else 1)
    parallel(lambda i: piece(*parts[i]), len(parts))


def channel_sums(x):
    """Per-channel sums (float64, shape (C,)) of ``(N, C, H, W)`` ``x``, batch-inner or C-contiguous,
    read where they lie (no copy)."""
    n, c = x.shape[:2]
    sums = np.empty(c, dtype=np.float64)
    buf = batch_inner(x)
    if buf is not None:
        rows = buf.reshape(c, -1)
        _over(c, x.size, lambda c0, c1: _row_sums(rows, sums, c0, c1))
    else:
        a3 = np.ascontiguousarray(x).reshape(n, c, -1)
        _over(c, x.size, lambda c0, c1: _nchw_sums(a3, sums, c0, c1))
    return sums


def channel_major(x, name, want_sums=False):
    """``(C, H*W*N)`` memory of ``(N, C, H, W)`` ``x``, and its channel sums (float64, or None).

    A batch-inner ``x`` is its own memory (no copy); a C-contiguous one is transposed into the
    work buffer ``name`` (valid until the next call that asks for it).
    """
    n, c, h, w = x.shape
    buf = batch_inner(x)
    if buf is not None:
        return buf.reshape(c, h * w * n), (channel_sums(x) if want_sums else None)
    x = np.ascontiguousarray(x)
    sums = np.empty(c if want_sums else 0, dtype=np.float64)
    cm = scratch(name, (c, h * w * n), x.dtype)
    cm4 = cm.reshape(c, h, w, n)
    _over(c, x.size, lambda c0, c1: _nchw_to_chwn(x, cm4, sums, want_sums, c0, c1))  # sums in the same pass
    return cm, (sums if want_sums else None)


def to_nchw(x):
    """A C-contiguous copy of a batch-inner ``(N, C, H, W)`` array (``x`` itself if C-contiguous)."""
    buf = batch_inner(x)
    if x.flags.c_contiguous or buf is None:
        return np.ascontiguousarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    _over(x.shape[1], x.size, lambda c0, c1: _chwn_to_nchw(buf, out, c0, c1))
    return out


def add_bias_rows(a, bias):
    """``a[c, :] += bias[c]`` on a channel-major ``(C, L)`` array, on the pool."""
    _over(a.shape[0], a.size, lambda c0, c1: _add_rows(a, bias, c0, c1))


def im2col_scratch(x, kh, kw, sh, sw, ph, pw, keep=False):
    """im2col of ``(N, C, H, W)`` ``x`` (batch-inner or C-contiguous).

    Into the ``"cols"`` work buffer, or with ``keep`` into a buffer from :func:`._scratch.take`
    that the caller keeps (and gives back).
    """
    n, c, h, w = x.shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    shape = (c * kh * kw, n * ho * wo)
    cols = take(shape, x.dtype) if keep else scratch("cols", shape, x.dtype)
    buf = batch_inner(x)
    if buf is not None:
        _over(c, cols.size, lambda c0, c1: _im2col_chwn(buf, cols, kh, kw, sh, sw, ph, pw, ho, wo, c0, c1))
        return cols
    x = np.ascontiguousarray(x)
    xt = scratch("xchwn", (c, h, w, n), x.dtype)
    none = np.empty(0, dtype=np.float64)

    def piece(c0, c1):   # both passes on one thread's channels: its part of xt stays in cache
        _nchw_to_chwn(x, xt, none, False, c0, c1)
        _im2col_chwn(xt, cols, kh, kw, sh, sw, ph, pw, ho, wo, c0, c1)
    _over(c, cols.size, piece)
    return cols


def col2im_fresh(cols, x_shape, kh, kw, sh, sw, ph, pw, bias=None):
    """col2im of ``cols`` into a fresh batch-inner array of logical shape ``x_shape``, plus ``bias[c]``."""
    n, c, h, w = x_shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    out = np.empty((c, h, w, n), dtype=cols.dtype)
    b = bias if bias is not None else np.zeros(c, dtype=cols.dtype)
    _over(c, cols.size, lambda c0, c1: _col2im_chwn(cols, out, b, kh, kw, sh, sw, ph, pw, ho, wo, c0, c1))
    return from_batch_inner(out)


# ------------------------------------------------------------------ public

def im2col(x, kh, kw, stride, padding):
    """Unfold the patches of ``x`` into columns (module docstring).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float32 or float64, any memory layout
    kh, kw : int
        Kernel height and width.
    stride, padding : int or (int, int)
        Stride ``>= 1`` and zero padding ``>= 0`` (one value for both axes, or ``(h, w)``).

    Returns
    -------
    cols : ndarray, shape (C * kh * kw, Ho * Wo * N), dtype of ``x`` (a fresh array);
        column ``(oh * Wo + ow) * N + n``.
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    return im2col_scratch(dense(x), int(kh), int(kw), sh, sw, ph, pw).copy()


def col2im(cols, x_shape, kh, kw, stride, padding):
    """Adjoint of :func:`im2col`: sum columns back into an image of shape ``x_shape``.

    Parameters
    ----------
    cols : ndarray, shape (C * kh * kw, Ho * Wo * N)
        ``Ho, Wo`` are the conv output sizes of ``x_shape`` for this kernel, stride and padding.
    x_shape : tuple (N, C, H, W)
    kh, kw : int
    stride, padding : int or (int, int)

    Returns
    -------
    x : ndarray, shape ``x_shape``, dtype of ``cols``, batch-inner memory (:mod:`.layout`)
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    shape = tuple(int(s) for s in x_shape)
    cols = np.ascontiguousarray(cols)
    return col2im_fresh(cols, shape, int(kh), int(kw), sh, sw, ph, pw)
