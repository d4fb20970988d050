"""Slow, obviously correct NumPy references for every kernel (the tests' ground truth).

Each function follows the textbook definition as literally as practical:
convolutions loop over the kernel offsets ``(i, j)`` and contract the
strided input slice with ``w[..., i, j]`` via ``einsum``; im2col/col2im loop
over every element. Nothing here is fast and nothing here is clever. All
computations are done in float64; results are returned in float64.

Stride, padding and output padding are ``(h, w)`` pairs or ints.

Most references have the name and the arguments of the kernel function they
check (the tests read ``R.conv2d_forward(...)`` beside ``K.conv2d_forward(...)``).
Where a kernel's arguments are an implementation detail, the reference takes what
the mathematics needs instead:

- ``conv2d_backward`` / ``conv_transpose2d_backward`` take ``(dy, x, w, has_bias,
  ...)`` where the kernels take the opaque ``ctx`` of their forward call;
- ``batchnorm_backward`` takes ``(dy, x, gamma, eps, training, running_mean,
  running_var)`` for the kernel's ``(dy, ctx)``;
- ``activation_backward`` takes the input ``x`` and ``activation_backward_from_output``
  the output ``y`` (the kernel takes both and uses the one its kind needs);
- ``adam_step(p, g, m, v, lr, beta1, beta2, eps, t)`` is Adam's textbook step for the
  kernel ``adam_update``, which gets the bias corrections precomputed.

References compute in float64 and ignore memory layouts (kernels may return
batch-inner arrays, :mod:`npgan.kernels.layout`; the values are what is compared).
The benchmarks' NumPy baseline lives with the benchmarks (``benchmarks/numpy_conv.py``).
"""

from __future__ import annotations

import numpy as np


def _pair(v):
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


# --------------------------------------------------------------------- conv2d

def conv2d_forward(x, w, b, stride, padding, keep_cols=False):
    """``y[n,o,oh,ow] = b[o] + sum_{c,i,j} w[o,c,i,j] xpad[n,c,oh*sh+i,ow*sw+j]`` (``keep_cols``: speed only, ignored)."""
    x, w, b = _f64(x), _f64(w), _f64(b)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, _, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, c_out, ho, wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv2d_backward(dy, x, w, has_bias, stride, padding):
    """Gradients of :func:`conv2d_forward` w.r.t. ``x``, ``w`` and ``b`` (None if no bias)."""
    dy, x, w = _f64(dy), _f64(x), _f64(w)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    _, _, h, wd = x.shape
    _, _, kh, kw = w.shape
    _, _, ho, wo = dy.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            sl = (slice(None), slice(None),
                  slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw))
            dw[:, :, i, j] = np.einsum("nohw,nchw->oc", dy, xp[sl])
            dxp[sl] += np.einsum("nohw,oc->nchw", dy, w[:, :, i, j])
    dx = dxp[:, :, ph:ph + h, pw:pw + wd]
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


# ----------------------------------------------------------- conv_transpose2d

def conv_transpose2d_forward(x, w, b, stride, padding, output_padding):
    """PyTorch's definition: scatter ``x[n,c,h,w] * w[c,o,i,j]`` to ``(h*s+i, w*s+j)``, crop ``p``.

    Written as the direct scatter (not as "the adjoint of conv") so that the
    adjoint identity checked in the tests is a real check.
    """
    x, w, b = _f64(x), _f64(w), _f64(b)
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(padding), _pair(output_padding)
    n, _, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    ho = (h - 1) * sh - 2 * ph + kh + oph
    wo = (wd - 1) * sw - 2 * pw + kw + opw
    # Full (uncropped) canvas; the output_padding rows/cols may lie beyond every contribution.
    full = np.zeros((n, c_out, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + sh * (h - 1) + 1:sh, j:j + sw * (wd - 1) + 1:sw] += \
                np.einsum("nchw,co->nohw", x, w[:, :, i, j])
    y = full[:, :, ph:ph + ho, pw:pw + wo].copy()
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv_transpose2d_backward(dy, x, w, has_bias, stride, padding, output_padding):
    """Gradients of :func:`conv_transpose2d_forward` (gather from the un-cropped ``dy``)."""
    dy, x, w = _f64(dy), _f64(x), _f64(w)
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(padding), _pair(output_padding)
    n, _, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    _, _, ho, wo = dy.shape
    full = np.zeros((n, c_out, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    full[:, :, ph:ph + ho, pw:pw + wo] = dy
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            g = full[:, :, i:i + sh * (h - 1) + 1:sh, j:j + sw * (wd - 1) + 1:sw]
            dx += np.einsum("nohw,co->nchw", g, w[:, :, i, j])
            dw[:, :, i, j] = np.einsum("nchw,nohw->co", x, g)
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


# -------------------------------------------------------------- im2col/col2im

def im2col(x, kh, kw, stride, padding):
    """Element-by-element im2col in the layout of :mod:`npgan.kernels.im2col`."""
    x = _f64(x)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, c, h, w = x.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    cols = np.zeros((c * kh * kw, n * ho * wo))
    for nn in range(n):
        for cc in range(c):
            for i in range(kh):
                for j in range(kw):
                    for oh in range(ho):
                        for ow in range(wo):
                            ih, iw = oh * sh + i - ph, ow * sw + j - pw
                            if 0 <= ih < h and 0 <= iw < w:
                                cols[(cc * kh + i) * kw + j, (oh * wo + ow) * n + nn] = x[nn, cc, ih, iw]
    return cols


def col2im(cols, x_shape, kh, kw, stride, padding):
    """Element-by-element adjoint of :func:`im2col` (padding entries dropped)."""
    cols = _f64(cols)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, c, h, w = x_shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    x = np.zeros((n, c, h, w))
    for nn in range(n):
        for cc in range(c):
            for i in range(kh):
                for j in range(kw):
                    for oh in range(ho):
                        for ow in range(wo):
                            ih, iw = oh * sh + i - ph, ow * sw + j - pw
                            if 0 <= ih < h and 0 <= iw < w:
                                x[nn, cc, ih, iw] += cols[(cc * kh + i) * kw + j, (oh * wo + ow) * n + nn]
    return x


# ----------------------------------------------------------------- batch norm

def _bn_axes(x):
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _bn_shape(x):
    return (1, -1) if x.ndim == 2 else (1, -1, 1, 1)


def batchnorm_forward(x, gamma, beta, eps, training, running_mean, running_var):
    """``y = gamma (x - mu) / sqrt(var + eps) + beta`` per channel (axis 1).

    Training: ``mu, var`` are the batch mean and biased variance over all
    axes but 1. Evaluation: the running statistics. Returns
    ``(y, batch_mean, batch_var)`` (the batch statistics are None in evaluation).
    """
    x, gamma, beta = _f64(x), _f64(gamma), _f64(beta)
    axes, shp = _bn_axes(x), _bn_shape(x)
    if training:
        mu = x.mean(axis=axes)
        var = ((x - mu.reshape(shp)) ** 2).mean(axis=axes)
    else:
        mu, var = _f64(running_mean), _f64(running_var)
    xhat = (x - mu.reshape(shp)) / np.sqrt(var.reshape(shp) + eps)
    y = gamma.reshape(shp) * xhat + beta.reshape(shp)
    return (y, mu, var) if training else (y, None, None)


def batchnorm_backward(dy, x, gamma, eps, training, running_mean, running_var):
    """Gradients ``(dx, dgamma, dbeta)`` of :func:`batchnorm_forward`.

    Training mode differentiates through the batch statistics (textbook
    formula ``dx = gamma/sigma (dy - mean(dy) - xhat mean(dy xhat))``);
    evaluation mode is affine in ``x``: ``dx = gamma/sigma dy``.
    """
    dy, x, gamma = _f64(dy), _f64(x), _f64(gamma)
    axes, shp = _bn_axes(x), _bn_shape(x)
    if training:
        mu = x.mean(axis=axes)
        var = ((x - mu.reshape(shp)) ** 2).mean(axis=axes)
    else:
        mu, var = _f64(running_mean), _f64(running_var)
    sigma = np.sqrt(var.reshape(shp) + eps)
    xhat = (x - mu.reshape(shp)) / sigma
    dgamma = (dy * xhat).sum(axis=axes)
    dbeta = dy.sum(axis=axes)
    if training:
        dx = gamma.reshape(shp) / sigma * (
            dy - dy.mean(axis=axes, keepdims=True)
            - xhat * (dy * xhat).mean(axis=axes, keepdims=True))
    else:
        dx = gamma.reshape(shp) / sigma * dy
    return dx, dgamma, dbeta


# ---------------------------------------------------------------- activations

def activation_forward(kind, x, slope=0.01):
    """relu / leaky_relu / sigmoid / tanh, in float64."""
    x = _f64(x)
    if kind == "relu":
        return np.where(x > 0, x, 0.0)
    if kind == "leaky_relu":
        return np.where(x > 0, x, slope * x)
    if kind == "sigmoid":
        # 1 / (1 + exp(-x)) without overflow warnings for very negative x.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if kind == "tanh":
        return np.tanh(x)
    raise ValueError(f"unknown activation {kind!r}")


def activation_backward(kind, dy, x, slope=0.01):
    """``dy * f'(x)`` with ``f'(0) = 0`` for relu and ``slope`` for leaky relu (as PyTorch)."""
    dy, x = _f64(dy), _f64(x)
    if kind == "relu":
        return np.where(x > 0, dy, 0.0)
    if kind == "leaky_relu":
        return np.where(x > 0, dy, slope * dy)
    y = activation_forward(kind, x)
    if kind == "sigmoid":
        return dy * y * (1.0 - y)
    if kind == "tanh":
        return dy * (1.0 - y * y)
    raise ValueError(f"unknown activation {kind!r}")


def activation_backward_from_output(kind, dy, y):
    """``dy * f'`` for sigmoid/tanh written in terms of the forward output ``y`` (as PyTorch does).

    In float32 this is what the kernel can be held to: near saturation
    ``1 - y`` has few correct bits once ``y`` is rounded, whatever the backward does.
    """
    dy, y = _f64(dy), _f64(y)
    if kind == "sigmoid":
        return dy * y * (1.0 - y)
    if kind == "tanh":
        return dy * (1.0 - y * y)
    raise ValueError(f"{kind!r} is not computed from its output")


def affine_warp(images, mats):
    """Reference for :func:`npgan.kernels.warp.affine_warp`: pixel by pixel, float64.

    ``out[s, r, c]`` is the bilinear interpolation of ``images[s]`` (zero outside) at the source
    position ``mats[s] @ (r, c, 1)`` in (row, column) pixel units.
    """
    images = _f64(images)
    n, h, w = images.shape
    out = np.zeros_like(images)

    def pixel(s, i, j):
        return images[s, i, j] if 0 <= i < h and 0 <= j < w else 0.0

    for s in range(n):
        for r in range(h):
            for c in range(w):
                sr, sc = mats[s] @ np.array([r, c, 1.0])
                r0, c0 = int(np.floor(sr)), int(np.floor(sc))
                fr, fc = sr - r0, sc - c0
                out[s, r, c] = ((1 - fr) * (1 - fc) * pixel(s, r0, c0) + (1 - fr) * fc * pixel(s, r0, c0 + 1)
                                + fr * (1 - fc) * pixel(s, r0 + 1, c0) + fr * fc * pixel(s, r0 + 1, c0 + 1))
    return out


# ----------------------------------------------------------------------- adam

def adam_step(p, g, m, v, lr, beta1, beta2, eps, t):
    """Reference for :func:`npgan.kernels.adam.adam_update`: Adam's step ``t`` (>= 1), float64.

    The textbook form with the bias-corrected moments written out (eps added to
    ``sqrt(v_hat)``, as PyTorch); returns the new ``(p, m, v)`` and changes nothing::

        m = β1 m + (1 - β1) g;  v = β2 v + (1 - β2) g²
        m_hat = m / (1 - β1^t);  v_hat = v / (1 - β2^t)
        p = p - lr m_hat / (sqrt(v_hat) + eps)
    """
    p, g, m, v = _f64(p), _f64(g), _f64(m), _f64(v)
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# --------------------------------------------------------------- glyph renderer

#: Distance outside the atlas canvas (as :data:`npgan.kernels.glyphs._FAR`).
_GLYPH_FAR = 1.0e3


def render_from_sdf(sdf, glyph, cos_t, sin_t, inv_width, offset, scale, ramp, target_r, target_c,
                    n_passes, out):
    """Reference for :func:`npgan.kernels.glyphs.render_from_sdf` (same arguments): NumPy, per image."""
    n, h, w = out.shape
    cs = (sdf.shape[1] - 1) * 0.5
    ii, jj = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    for s in range(n):
        tr, tc = float(target_r), float(target_c)
        for _ in range(n_passes):
            dx, dyu = jj - tc, tr - ii
            gx = (cos_t[s] * dx + sin_t[s] * dyu) * inv_width[s]
            gy = -sin_t[s] * dx + cos_t[s] * dyu
            r, c = cs - gy * scale, cs + gx * scale
            inside = (r >= 0) & (c >= 0) & (r < sdf.shape[1] - 1) & (c < sdf.shape[2] - 1)
            r0 = np.where(inside, np.floor(r), 0).astype(np.int64)
            c0 = np.where(inside, np.floor(c), 0).astype(np.int64)
            fr, fc = r - r0, c - c0
            f = sdf[glyph[s]].astype(np.float64)
            d = ((f[r0, c0] * (1 - fc) + f[r0, c0 + 1] * fc) * (1 - fr)
                 + (f[r0 + 1, c0] * (1 - fc) + f[r0 + 1, c0 + 1] * fc) * fr)
            d = np.where(inside, d, _GLYPH_FAR)
            v = np.clip(0.5 + (offset[s] - d) / ramp, 0.0, 1.0)
            out[s] = v
            mass = v.sum()
            if mass > 0:
                tr += target_r - (v * ii).sum() / mass
                tc += target_c - (v * jj).sum() / mass
    return out
