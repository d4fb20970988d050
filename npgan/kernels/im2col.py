"""im2col / col2im and the layout passes around them, in two column orderings.

For ``x`` of shape ``(N, C, H, W)``, a ``kh x kw`` kernel, stride ``(sh, sw)``
and zero padding ``(ph, pw)``, the conv output size is
``Ho = (H + 2 ph - kh) // sh + 1`` (likewise ``Wo``), ``L = Ho * Wo``, and
the im2col matrix has shape ``(C * kh * kw, N * L)`` with

    cols[(c * kh + i) * kw + j, col(n, oh, ow)] = x[n, c, oh*sh + i - ph, ow*sw + j - pw]

(0 in the padding). The row index matches ``w.reshape(C_out, C * kh * kw)`` of
a PyTorch conv weight, so a whole batch is *one* GEMM ``w2 @ cols ->
(C_out, N * L)``; the weight gradient ``dy2 @ cols.T`` and the column
gradient ``w2.T @ dy2`` are single GEMMs too, and BLAS reads the transposed
operands through its trans flags, so ``cols`` is never transposed or copied.
Every GEMM operand and result is "channel-major": ``(C, N * L)`` with the
same column ordering as ``cols``. Two orderings are implemented:

- **batch-inner** ``col = (oh * Wo + ow) * N + n`` (the public :func:`im2col`
  layout). im2col then reads a padded ``(C, Hp, Wp, N)`` copy of the input
  and is a sequence of contiguous ``N``-element copies, which LLVM
  vectorises; but converting activations between NCHW and channel-major is
  a real transpose (~0.4 ns per element here).
- **batch-outer** ``col = (n * Ho + oh) * Wo + ow``. NCHW <-> channel-major
  is then a copy of contiguous ``L``-element runs (~0.08 ns/element), but
  im2col works on runs of only ``Wo`` elements (3-14 for the MNIST nets),
  where loop overhead dominates.

:func:`batch_inner_is_faster` picks per geometry with a cost model fitted to
measurements on the 2-core development machine: batch-inner wins when the
im2col matrix is large compared with the activations (64->128 channels at
14x14 -> 7x7), batch-outer when it is small (1->64 channels, 28x28 -> 14x14).

``col2im`` is the adjoint of ``im2col``: every column entry is added back onto
the image position it was read from; entries in the padding are dropped.

Each kernel works on a range of channels ``[c0, c1)``, and the composite functions
spread the channels over :mod:`.threads`' pool (every channel's values are computed
exactly as in one call, so results do not depend on the thread count).

Index arithmetic is done in uint64 on flat views on purpose. numba supports
negative indices, so every signed index it cannot prove non-negative gets
an ``if i < 0: i += n`` select, which blocks vectorisation in an inner loop
(im2col ran 4x slower with signed indices). Mixing int64 and uint64 promotes
to float64 and fails to compile as an index, so indices are converted once,
up front.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit
from ._scratch import scratch, take
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


# ------------------------------------------------------ batch-inner kernels

@njit
def _nchw_to_chwn(x, ph, pw, out, sums, want_sums, c0, c1):
    """``out[c, ph + r, pw + q, n] = x[n, c, r, q]`` for ``c0 <= c < c1``, zero border; optional channel sums.

    ``out`` is ``(C, H + 2 ph, W + 2 pw, N)``. Each input row of ``W`` values is read
    contiguously and scattered to ``W`` output lines that stay in L1 while the batch is
    walked. ``sums[c]`` (if ``want_sums``) is accumulated in float64.
    """
    n_img, n_ch, h, w = x.shape
    hp, wp = out.shape[1], out.shape[2]
    if ph > 0 or pw > 0:
        out[c0:c1] = 0
    xf = x.reshape(-1)
    of = out.reshape(-1)
    un, uc, uh, uw = _U(n_img), _U(n_ch), _U(h), _U(w)
    uhp, uwp, uph, upw = _U(hp), _U(wp), _U(ph), _U(pw)
    for c in range(_U(c0), _U(c1)):
        acc = 0.0
        for r in range(uh):
            dst = ((c * uhp + uph + r) * uwp + upw) * un
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
def _chwn_to_nchw(a, ph, pw, bias, out, c0, c1):
    """``out[n, c, r, q] = a[c, ph + r, pw + q, n] + bias[c]`` for ``c0 <= c < c1`` (crop, transpose, bias)."""
    n_img, n_ch, h, w = out.shape
    hp, wp = a.shape[1], a.shape[2]
    af = a.reshape(-1)
    of = out.reshape(-1)
    un, uc, uh, uw = _U(n_img), _U(n_ch), _U(h), _U(w)
    uhp, uwp, uph, upw = _U(hp), _U(wp), _U(ph), _U(pw)
    blk = _U(_BLOCK)
    for c in range(_U(c0), _U(c1)):
        b = bias[c]
        for r in range(uh):
            src = ((c * uhp + uph + r) * uwp + upw) * un
            for n0 in range(_U(0), un, blk):
                n1 = min(n0 + blk, un)
                for n in range(n0, n1):
                    dst = ((n * uc + c) * uh + r) * uw
                    for q in range(uw):
                        of[dst + q] = af[src + q * un + n] + b


@njit
def _im2col_chwn(xp, cols, kh, kw, sh, sw, ho, wo, c0, c1):
    """``cols[(c*kh + i)*kw + j, (oh*wo + ow)*N + n] = xp[c, oh*sh + i, ow*sw + j, n]``, ``c0 <= c < c1``."""
    n_ch, hp, wp, n_img = xp.shape
    xf = xp.reshape(-1)
    cf = cols.reshape(-1)
    un, uhp, uwp = _U(n_img), _U(hp), _U(wp)
    ukh, ukw, ush, usw, uho, uwo = _U(kh), _U(kw), _U(sh), _U(sw), _U(ho), _U(wo)
    ncol = uho * uwo * un
    for c in range(_U(c0), _U(c1)):
        for i in range(ukh):
            for j in range(ukw):
                d = ((c * ukh + i) * ukw + j) * ncol
                for oh in range(uho):
                    srow = (c * uhp + oh * ush + i) * uwp + j
                    for ow in range(uwo):
                        s = (srow + ow * usw) * un
                        for n in range(un):
                            cf[d + n] = xf[s + n]
                        d += un


@njit
def _col2im_chwn(cols, xp, kh, kw, sh, sw, ho, wo, c0, c1):
    """Adjoint of :func:`_im2col_chwn` for channels ``[c0, c1)``: ``xp[c0:c1]`` (zeroed here) accumulates."""
    n_ch, hp, wp, n_img = xp.shape
    xp[c0:c1] = 0
    xf = xp.reshape(-1)
    cf = cols.reshape(-1)
    un, uhp, uwp = _U(n_img), _U(hp), _U(wp)
    ukh, ukw, ush, usw, uho, uwo = _U(kh), _U(kw), _U(sh), _U(sw), _U(ho), _U(wo)
    ncol = uho * uwo * un
    for c in range(_U(c0), _U(c1)):
        for i in range(ukh):
            for j in range(ukw):
                d = ((c * ukh + i) * ukw + j) * ncol
                for oh in range(uho):
                    srow = (c * uhp + oh * ush + i) * uwp + j
                    for ow in range(uwo):
                        s = (srow + ow * usw) * un
                        for n in range(un):
                            xf[s + n] += cf[d + n]
                        d += un


# ------------------------------------------------------ batch-outer kernels

@njit
def _valid_range(out_len, k_off, stride, pad, in_len):
    """``[lo, hi)``: the outputs ``o`` whose input index ``o*stride + k_off - pad`` is in ``[0, in_len)``."""
    lo = -((k_off - pad) // stride)          # ceil((pad - k_off) / stride)
    lo = max(lo, 0)
    hi = min((in_len - 1 + pad - k_off) // stride + 1, out_len)
    return lo, max(hi, lo)


@njit
def _im2col_nchw(x, cols, kh, kw, sh, sw, ph, pw, ho, wo, n0, n1):
    """``cols[(c*kh + i)*kw + j, (n*ho + oh)*wo + ow] = x[n, c, oh*sh + i - ph, ow*sw + j - pw]``, ``n0 <= n < n1``."""
    n_img, n_ch, h, w = x.shape
    xf = x.reshape(-1)
    cf = cols.reshape(-1)
    un, uc, uh, uw, uho, uwo, usw = _U(n_img), _U(n_ch), _U(h), _U(w), _U(ho), _U(wo), _U(sw)
    ncol = un * uho * uwo
    for c in range(n_ch):
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(ho, i, sh, ph, h)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(wo, j, sw, pw, w)
                uow_lo, uow_hi = _U(ow_lo), _U(ow_hi)
                iw_lo = _U(ow_lo * sw + j - pw)     # >= 0 by construction of ow_lo
                d = _U((c * kh + i) * kw + j) * ncol + _U(n0) * uho * uwo
                for n in range(_U(n0), _U(n1)):
                    for oh in range(ho):
                        if oh < oh_lo or oh >= oh_hi:
                            for ow in range(uwo):
                                cf[d + ow] = 0
                        else:
                            s = ((n * uc + _U(c)) * uh + _U(oh * sh + i - ph)) * uw + iw_lo
                            for ow in range(uow_lo):
                                cf[d + ow] = 0
                            for k in range(uow_hi - uow_lo):
                                cf[d + uow_lo + k] = xf[s + k * usw]
                            for ow in range(uow_hi, uwo):
                                cf[d + ow] = 0
                        d += uwo


@njit
def _col2im_nchw(cols, out, bias, kh, kw, sh, sw, ph, pw, ho, wo, n0, n1):
    """Adjoint of :func:`_im2col_nchw` into images ``n0 <= n < n1`` of NCHW ``out`` (overwritten), plus ``bias[c]``."""
    n_img, n_ch, h, w = out.shape
    xf = out.reshape(-1)
    cf = cols.reshape(-1)
    un, uc, uh, uw, uho, uwo, usw = _U(n_img), _U(n_ch), _U(h), _U(w), _U(ho), _U(wo), _U(sw)
    plane = uh * uw
    for n in range(_U(n0), _U(n1)):
        for c in range(uc):
            b = bias[c]
            base = (n * uc + c) * plane
            for k in range(plane):
                xf[base + k] = b
    ncol = un * uho * uwo
    for c in range(n_ch):
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(ho, i, sh, ph, h)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(wo, j, sw, pw, w)
                uow_lo, cnt = _U(ow_lo), _U(ow_hi - ow_lo)
                iw_lo = _U(ow_lo * sw + j - pw)
                row = _U((c * kh + i) * kw + j) * ncol
                for n in range(_U(n0), _U(n1)):
                    for oh in range(oh_lo, oh_hi):
                        d = row + (n * uho + _U(oh)) * uwo + uow_lo
                        s = ((n * uc + _U(c)) * uh + _U(oh * sh + i - ph)) * uw + iw_lo
                        for k in range(cnt):
                            xf[s + k * usw] += cf[d + k]


@njit
def _nchw_to_cm(x, out, sums, want_sums, c0, c1):
    """``out[c, n*L + l] = x[n, c, l]`` for ``x (N, C, L)``, ``c0 <= c < c1``; optional float64 channel sums."""
    n_img, n_ch, length = x.shape
    xf = x.reshape(-1)
    of = out.reshape(-1)
    un, uc, ul = _U(n_img), _U(n_ch), _U(length)
    for c in range(_U(c0), _U(c1)):
        acc = 0.0
        for n in range(un):
            s = (n * uc + c) * ul
            d = (c * un + n) * ul
            for l in range(ul):
                v = xf[s + l]
                of[d + l] = v
                if want_sums:
                    acc += v
        if want_sums:
            sums[c] = acc


@njit
def _cm_to_nchw(a, bias, out, c0, c1):
    """``out[n, c, l] = a[c, n*L + l] + bias[c]`` for ``out (N, C, L)``, ``c0 <= c < c1``."""
    n_img, n_ch, length = out.shape
    af = a.reshape(-1)
    of = out.reshape(-1)
    un, uc, ul = _U(n_img), _U(n_ch), _U(length)
    for n in range(un):
        for c in range(_U(c0), _U(c1)):
            b = bias[c]
            s = (c * un + n) * ul
            d = (n * uc + c) * ul
            for l in range(ul):
                of[d + l] = af[s + l] + b


# ---------------------------------------------------- layout choice, composites

def batch_inner_is_faster(n, c_in, h, w, c_out, ho, wo, kh, kw):
    """Cost model: is the batch-inner ordering cheaper for this conv geometry?

    ``(c_in, h, w)`` is the image side of im2col, ``(c_out, ho, wo)`` the
    GEMM side. Per-element costs in ns, measured on the 2-core development
    machine (float32, batch 128): transpose 0.4, batch-inner im2col copy
    0.15, batch-outer layout copy 0.08, batch-outer im2col ``0.1 + 3 / wo``
    (runs of ``wo`` elements). Only which side is larger matters.
    """
    acts = n * (c_in * h * w + c_out * ho * wo)
    cols = n * c_in * kh * kw * ho * wo
    inner = 0.4 * acts + 0.15 * cols
    outer = 0.08 * acts + (0.1 + 3.0 / max(wo, 1)) * cols
    return inner < outer


def _zeros_bias(bias, c, dtype):
    return bias if bias is not None else np.zeros(c, dtype=dtype)


#: Passes over fewer elements than this run as one piece (a hand-off costs a few microseconds).
MIN_SPLIT_ELEMENTS = 1 << 15


def _over(count, elements, piece):
    """``piece(start, stop)`` over ``range(count)`` in one part per pool thread (one part if small)."""
    parts = split(count, n_threads() if elements >= MIN_SPLIT_ELEMENTS else 1)
    parallel(lambda i: piece(*parts[i]), len(parts))


def im2col_scratch(x, kh, kw, sh, sw, ph, pw, inner, keep=False):
    """im2col of NCHW ``x``; ``inner`` picks the column ordering.

    Into the ``"cols"`` work buffer, or with ``keep`` into a buffer from :func:`._scratch.take`
    that the caller keeps (and gives back).
    """
    n, c, h, w = x.shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    shape = (c * kh * kw, n * ho * wo)
    cols = take(shape, x.dtype) if keep else scratch("cols", shape, x.dtype)
    if inner:
        xp = scratch("xpad", (c, h + 2 * ph, w + 2 * pw, n), x.dtype)
        none = np.empty(0, dtype=x.dtype)

        def piece(c0, c1):   # both passes on one thread's channels: its part of xp stays in cache
            _nchw_to_chwn(x, ph, pw, xp, none, False, c0, c1)
            _im2col_chwn(xp, cols, kh, kw, sh, sw, ho, wo, c0, c1)
        _over(c, cols.size, piece)
    else:
        _over(n, cols.size, lambda n0, n1: _im2col_nchw(x, cols, kh, kw, sh, sw, ph, pw, ho, wo, n0, n1))
    return cols


def col2im_fresh(cols, x_shape, kh, kw, sh, sw, ph, pw, inner, bias=None):
    """col2im of ``cols`` into a fresh NCHW array of ``x_shape``, plus ``bias[c]`` if given."""
    n, c, h, w = x_shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    out = np.empty(x_shape, dtype=cols.dtype)
    b = _zeros_bias(bias, c, cols.dtype)
    if inner:
        xp = scratch("xpad", (c, h + 2 * ph, w + 2 * pw, n), cols.dtype)

        def piece(c0, c1):
            _col2im_chwn(cols, xp, kh, kw, sh, sw, ho, wo, c0, c1)
            _chwn_to_nchw(xp, ph, pw, b, out, c0, c1)
        _over(c, cols.size, piece)
    else:
        _over(n, cols.size, lambda n0, n1: _col2im_nchw(cols, out, b, kh, kw, sh, sw, ph, pw, ho, wo, n0, n1))
    return out


def to_channel_major(x, want_sums, name, inner):
    """NCHW ``x`` -> ``(C, N*H*W)`` work buffer ``name`` in the chosen ordering, and channel sums."""
    n, c, h, w = x.shape
    out = scratch(name, (c, n * h * w), x.dtype)
    sums = np.empty(c if want_sums else 0, dtype=x.dtype)
    if inner:
        _over(c, x.size, lambda c0, c1: _nchw_to_chwn(x, 0, 0, out.reshape(c, h, w, n), sums, want_sums, c0, c1))
    else:
        _over(c, x.size, lambda c0, c1: _nchw_to_cm(x.reshape(n, c, h * w), out, sums, want_sums, c0, c1))
    return out, (sums if want_sums else None)


def from_channel_major(a, shape, bias, inner):
    """``(C, N*H*W)`` ``a`` in the chosen ordering -> fresh NCHW array of ``shape``, plus bias."""
    n, c, h, w = shape
    out = np.empty(shape, dtype=a.dtype)
    b = _zeros_bias(bias, c, a.dtype)
    if inner:
        _over(c, a.size, lambda c0, c1: _chwn_to_nchw(a.reshape(c, h, w, n), 0, 0, b, out, c0, c1))
    else:
        _over(c, a.size, lambda c0, c1: _cm_to_nchw(a, b, out.reshape(n, c, h * w), c0, c1))
    return out


# ------------------------------------------------------------------ public

def im2col(x, kh, kw, stride, padding):
    """Unfold the patches of ``x`` into columns, batch-inner ordering (module docstring).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), C-contiguous, float32 or float64
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
    x = np.ascontiguousarray(x)
    return im2col_scratch(x, int(kh), int(kw), sh, sw, ph, pw, True).copy()


def col2im(cols, x_shape, kh, kw, stride, padding):
    """Adjoint of :func:`im2col`: sum columns back into an image of shape ``x_shape``.

    Parameters
    ----------
    cols : ndarray, shape (C * kh * kw, Ho * Wo * N), C-contiguous, batch-inner ordering
        ``Ho, Wo`` are the conv output sizes of ``x_shape`` for this kernel, stride and padding.
    x_shape : tuple (N, C, H, W)
    kh, kw : int
    stride, padding : int or (int, int)

    Returns
    -------
    x : ndarray, shape ``x_shape``, dtype of ``cols``
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    shape = tuple(int(s) for s in x_shape)
    cols = np.ascontiguousarray(cols)
    return col2im_fresh(cols, shape, int(kh), int(kw), sh, sw, ph, pw, True)
