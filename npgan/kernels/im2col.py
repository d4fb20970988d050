"""im2col / col2im in a batch-innermost layout that feeds BLAS directly.

Layout
------
For ``x`` of shape ``(N, C, H, W)``, a ``kh x kw`` kernel, stride ``(sh, sw)``
and zero padding ``(ph, pw)``, the conv output size is
``Ho = (H + 2 ph - kh) // sh + 1`` (likewise ``Wo``) and

    cols[(c * kh + i) * kw + j, (oh * Wo + ow) * N + n]
        = x[n, c, oh * sh + i - ph, ow * sw + j - pw]      (0 in the padding)

so ``cols`` has shape ``(C * kh * kw, Ho * Wo * N)``.

Why this layout:

- The row index matches ``w.reshape(C_out, C * kh * kw)`` of a PyTorch conv
  weight, so a whole batch is *one* GEMM ``w2 @ cols -> (C_out, Ho*Wo*N)``,
  and the weight gradient ``dy2 @ cols.T`` and column gradient ``w2.T @ dy2``
  are single GEMMs too; BLAS reads the transposed operands through its trans
  flags, so the big ``cols`` matrix is never transposed or copied.
- The batch index is innermost. im2col on a padded ``(C, Hp, Wp, N)`` copy of
  the input is then a sequence of contiguous ``N``-element copies (``col2im``
  of contiguous ``N``-element adds) that LLVM vectorises; with the batch
  outermost, the contiguous runs would be ``Wo`` long (7 for a 14x14 image
  with stride 2), dominated by loop overhead.

The price is one transposing pass NCHW <-> "CHWN" per activation, which the
kernels fuse with work that needs a pass anyway: zero padding on the way in,
cropping and the bias on the way out.

``col2im`` is the adjoint of ``im2col``: every column entry is added back to
the image position it was read from; entries in the padding are dropped.

All kernels here are serial (``njit``) on purpose: they run between BLAS
calls, and OpenBLAS worker threads keep spinning for a while after each
GEMM. On a 2-core machine a ``prange`` kernel then fights them for the cores
and ran 2-4x *slower* than the serial kernel in our measurements.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit


def _pair(v) -> tuple[int, int]:
    """``v`` as an ``(h, w)`` pair of ints; an int means the same for both."""
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv_output_size(size: int, k: int, stride: int, padding: int) -> int:
    """Output length of a convolution along one axis: ``(size + 2 p - k) // s + 1``."""
    return (size + 2 * padding - k) // stride + 1


# ------------------------------------------------------------ layout kernels
#
# Index arithmetic below is done in uint64 on flat views on purpose. numba
# supports negative indices, so every signed index it cannot prove
# non-negative gets an ``if i < 0: i += n`` select; in an inner loop that
# select blocks vectorisation (im2col ran 4x slower with signed indices).
# Unsigned indices cannot be negative, so the select disappears. Mixing
# int64 and uint64 would promote to float64 and fail to compile as an index,
# so every index term is converted once, up front.

_BLOCK = 16     # batch block of the transposes: one 64-byte line of float32


@njit
def _nchw_to_chwn(x, ph, pw, out, sums, want_sums):
    """``out[c, ph + r, pw + q, n] = x[n, c, r, q]``, zero border; optional channel sums.

    ``out`` is ``(C, H + 2 ph, W + 2 pw, N)``. The batch is processed in
    blocks of 16 so the 16 input rows being read stay in L1 while each
    output line is written whole. If ``want_sums``, ``sums[c]`` is the sum of
    channel ``c`` (accumulated in float64).
    """
    n_img, n_ch, h, w = x.shape
    hp, wp = out.shape[1], out.shape[2]
    if ph > 0 or pw > 0:
        out[...] = 0
    xf = x.reshape(-1)
    of = out.reshape(-1)
    un, uc, uh, uw = np.uint64(n_img), np.uint64(n_ch), np.uint64(h), np.uint64(w)
    uhp, uwp, uph, upw = np.uint64(hp), np.uint64(wp), np.uint64(ph), np.uint64(pw)
    blk = np.uint64(_BLOCK)
    for c in range(uc):
        acc = 0.0
        for r in range(uh):
            for n0 in range(np.uint64(0), un, blk):
                n1 = min(n0 + blk, un)
                for q in range(uw):
                    dst = ((c * uhp + uph + r) * uwp + upw + q) * un
                    for n in range(n0, n1):
                        v = xf[((n * uc + c) * uh + r) * uw + q]
                        of[dst + n] = v
                        if want_sums:
                            acc += v
        if want_sums:
            sums[c] = acc


@njit
def _chwn_to_nchw(a, ph, pw, bias, out):
    """``out[n, c, r, q] = a[c, ph + r, pw + q, n] + bias[c]`` (crop, transpose, bias)."""
    n_img, n_ch, h, w = out.shape
    hp, wp = a.shape[1], a.shape[2]
    af = a.reshape(-1)
    of = out.reshape(-1)
    un, uc, uh, uw = np.uint64(n_img), np.uint64(n_ch), np.uint64(h), np.uint64(w)
    uhp, uwp, uph, upw = np.uint64(hp), np.uint64(wp), np.uint64(ph), np.uint64(pw)
    blk = np.uint64(_BLOCK)
    for c in range(uc):
        b = bias[c]
        for r in range(uh):
            src = ((c * uhp + uph + r) * uwp + upw) * un
            for n0 in range(np.uint64(0), un, blk):
                n1 = min(n0 + blk, un)
                for n in range(n0, n1):
                    dst = ((n * uc + c) * uh + r) * uw
                    for q in range(uw):
                        of[dst + q] = af[src + q * un + n] + b


@njit
def _im2col_chwn(xp, cols, kh, kw, sh, sw, ho, wo):
    """``cols[(c*kh + i)*kw + j, (oh*wo + ow)*N + n] = xp[c, oh*sh + i, ow*sw + j, n]``."""
    n_ch, hp, wp, n_img = xp.shape
    xf = xp.reshape(-1)
    cf = cols.reshape(-1)
    un, uhp, uwp = np.uint64(n_img), np.uint64(hp), np.uint64(wp)
    ukh, ukw, ush, usw = np.uint64(kh), np.uint64(kw), np.uint64(sh), np.uint64(sw)
    uho, uwo = np.uint64(ho), np.uint64(wo)
    ncol = uho * uwo * un
    for c in range(np.uint64(n_ch)):
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
def _col2im_chwn(cols, xp, kh, kw, sh, sw, ho, wo):
    """Adjoint of :func:`_im2col_chwn`: ``xp`` (zeroed here) accumulates every column entry."""
    n_ch, hp, wp, n_img = xp.shape
    xp[...] = 0
    xf = xp.reshape(-1)
    cf = cols.reshape(-1)
    un, uhp, uwp = np.uint64(n_img), np.uint64(hp), np.uint64(wp)
    ukh, ukw, ush, usw = np.uint64(kh), np.uint64(kw), np.uint64(sh), np.uint64(sw)
    uho, uwo = np.uint64(ho), np.uint64(wo)
    ncol = uho * uwo * un
    for c in range(np.uint64(n_ch)):
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


# ------------------------------------------------------------ scratch buffers

class _Scratch:
    """Named, reusable work buffers (one set per thread).

    Freshly allocated large arrays are expensive: the kernel has to fault in
    (and zero) every page on first touch, which cost more than im2col itself
    in our measurements (and NumPy's huge-page advice can make it worse).
    Intermediates that never leave a kernel call therefore live here and are
    reused across calls; only returned arrays are allocated fresh. Buffers
    only grow; :func:`clear_scratch` releases them.
    """

    def __init__(self):
        import threading
        self._local = threading.local()

    def get(self, name, shape, dtype):
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        buf = pool.get(name)
        if buf is None or buf.size < nbytes:
            buf = pool[name] = np.empty(max(nbytes, 64), dtype=np.uint8)
        return buf[:nbytes].view(dtype).reshape(shape)

    def clear(self):
        self._local.pool = {}


SCRATCH = _Scratch()


def clear_scratch():
    """Release this thread's reusable work buffers (they are re-created on demand)."""
    SCRATCH.clear()


# ------------------------------------------------------- internal composites

def pad_to_chwn(x, ph, pw, name="xpad"):
    """NCHW ``x`` -> zero-padded ``(C, H + 2 ph, W + 2 pw, N)`` scratch array."""
    n, c, h, w = x.shape
    out = SCRATCH.get(name, (c, h + 2 * ph, w + 2 * pw, n), x.dtype)
    _nchw_to_chwn(x, ph, pw, out, np.empty(0, dtype=x.dtype), False)
    return out


def to_channel_major(x, want_sums, name):
    """NCHW ``x`` -> ``(C, H*W*N)`` scratch array (column ``(h*W + w)*N + n``), plus channel sums."""
    n, c, h, w = x.shape
    out = SCRATCH.get(name, (c, h, w, n), x.dtype)
    sums = np.empty(c if want_sums else 0, dtype=x.dtype)
    _nchw_to_chwn(x, 0, 0, out, sums, want_sums)
    return out.reshape(c, h * w * n), (sums if want_sums else None)


def from_channel_major(a, shape, bias, ph=0, pw=0):
    """``(C, (H+2ph)*(W+2pw)*N)`` (or 4-D CHWN) ``a`` -> fresh NCHW array of ``shape``, cropped, + bias."""
    n, c, h, w = shape
    a4 = a.reshape(c, h + 2 * ph, w + 2 * pw, n)
    out = np.empty(shape, dtype=a.dtype)
    b = bias if bias is not None else np.zeros(c, dtype=a.dtype)
    _chwn_to_nchw(a4, ph, pw, b, out)
    return out


def im2col_scratch(x, kh, kw, sh, sw, ph, pw):
    """im2col of NCHW ``x`` into the ``"cols"`` scratch buffer (valid until the next kernel call)."""
    n, c, h, w = x.shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    xp = pad_to_chwn(x, ph, pw)
    cols = SCRATCH.get("cols", (c * kh * kw, ho * wo * n), x.dtype)
    _im2col_chwn(xp, cols, kh, kw, sh, sw, ho, wo)
    return cols


def col2im_fresh(cols, x_shape, kh, kw, sh, sw, ph, pw, bias=None):
    """col2im of ``cols`` into a fresh NCHW array of ``x_shape`` (plus ``bias`` per channel)."""
    n, c, h, w = x_shape
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    xp = SCRATCH.get("xpad", (c, h + 2 * ph, w + 2 * pw, n), cols.dtype)
    _col2im_chwn(cols, xp, kh, kw, sh, sw, ho, wo)
    return from_channel_major(xp, x_shape, bias, ph, pw)


# ------------------------------------------------------------------ public

def im2col(x, kh, kw, stride, padding):
    """Unfold the patches of ``x`` into columns (layout in the module docstring).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), C-contiguous, float32 or float64
    kh, kw : int
        Kernel height and width.
    stride, padding : int or (int, int)
        Stride ``>= 1`` and zero padding ``>= 0`` (one value for both axes, or ``(h, w)``).

    Returns
    -------
    cols : ndarray, shape (C * kh * kw, Ho * Wo * N), dtype of ``x`` (a fresh array)
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    return im2col_scratch(x, int(kh), int(kw), sh, sw, ph, pw).copy()


def col2im(cols, x_shape, kh, kw, stride, padding):
    """Adjoint of :func:`im2col`: sum columns back into an image of shape ``x_shape``.

    Parameters
    ----------
    cols : ndarray, shape (C * kh * kw, Ho * Wo * N), C-contiguous
        ``Ho, Wo`` are the conv output sizes of ``x_shape`` for this kernel,
        stride and padding.
    x_shape : tuple (N, C, H, W)
    kh, kw : int
    stride, padding : int or (int, int)

    Returns
    -------
    x : ndarray, shape ``x_shape``, dtype of ``cols``
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    shape = tuple(int(s) for s in x_shape)
    return col2im_fresh(cols, shape, int(kh), int(kw), sh, sw, ph, pw)
