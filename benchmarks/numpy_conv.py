"""The benchmark baseline: convolutions as a NumPy-only user would write them.

``as_strided`` im2col, one matmul per product, strided ``+=`` col2im, in the input dtype.
``benchmarks/bench_kernels.py`` times npgan's kernels against these; ``tests/test_kernels.py``
checks that they compute what :mod:`npgan.kernels.reference` computes.
"""

from __future__ import annotations

import numpy as np


def _pair(v):
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def im2col_numpy(x, kh, kw, stride, padding):
    """Vectorised im2col with ``np.pad`` + ``as_strided`` (the usual batch-outer layout).

    Returns ``cols (C*kh*kw, N*Ho*Wo)``, column ``(n*Ho + oh)*Wo + ow``, in
    ``x``'s dtype (one pad copy and one gather copy via ``reshape`` of the
    strided view).
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, c, h, w = x.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    s0, s1, s2, s3 = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, shape=(c, kh, kw, n, ho, wo), strides=(s1, s2, s3, s0, s2 * sh, s3 * sw),
        writeable=False)
    return view.reshape(c * kh * kw, n * ho * wo)


def col2im_numpy(cols, x_shape, kh, kw, stride, padding):
    """Vectorised col2im: one ``+=`` of a strided slice per kernel offset."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, c, h, w = x_shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    c6 = cols.reshape(c, kh, kw, n, ho, wo)
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += \
                c6[:, i, j].transpose(1, 0, 2, 3)
    return xp[:, :, ph:ph + h, pw:pw + w]


def conv2d_numpy(x, w, b, stride, padding):
    """Baseline conv forward: ``im2col_numpy`` + matmul + transpose; returns ``(y, cols)``."""
    n, _, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    cols = im2col_numpy(x, kh, kw, stride, padding)
    y = (w.reshape(c_out, -1) @ cols).reshape(c_out, n, ho, wo).transpose(1, 0, 2, 3)
    if b is not None:
        y = y + b[None, :, None, None]
    return np.ascontiguousarray(y), cols


def conv2d_backward_numpy(dy, cols, x_shape, w, stride, padding):
    """Baseline conv backward: ``(dx, dw, db)`` via two matmuls and ``col2im_numpy``."""
    c_out, _, kh, kw = w.shape
    dy_cm = dy.transpose(1, 0, 2, 3).reshape(c_out, -1)
    dw = (dy_cm @ cols.T).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3))
    dx = col2im_numpy(w.reshape(c_out, -1).T @ dy_cm, x_shape, kh, kw, stride, padding)
    return dx, dw, db


def conv_transpose2d_numpy(x, w, b, stride, padding, output_padding):
    """Baseline transposed-conv forward (matmul + ``col2im_numpy``); returns ``(y, x_cm)``."""
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(padding), _pair(output_padding)
    ho = (h - 1) * sh - 2 * ph + kh + oph
    wo = (wd - 1) * sw - 2 * pw + kw + opw
    x_cm = x.transpose(1, 0, 2, 3).reshape(c_in, -1)
    y = col2im_numpy(w.reshape(c_in, -1).T @ x_cm, (n, c_out, ho, wo), kh, kw, stride, padding)
    if b is not None:
        y = y + b[None, :, None, None]
    return np.ascontiguousarray(y), x_cm


def conv_transpose2d_backward_numpy(dy, x_cm, x_shape, w, stride, padding):
    """Baseline transposed-conv backward: ``im2col_numpy(dy)`` + two matmuls."""
    c_in, _, kh, kw = w.shape
    n, _, h, wd = x_shape
    cols = im2col_numpy(dy, kh, kw, stride, padding)
    dw = (x_cm @ cols.T).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3))
    dx = (w.reshape(c_in, -1) @ cols).reshape(c_in, n, h, wd).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dx), dw, db
