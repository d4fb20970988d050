"""Numba kernel that renders synthetic digits from a signed-distance atlas.

Unvalidated: :mod:`npgan.data.synthetic` checks every argument first. The slow reference is
:func:`npgan.kernels.reference.render_from_sdf`.

Each glyph is stored once as a signed distance field (SDF) on a fine grid,
in output-pixel units (negative inside the glyph). Rendering one sample is
then an inverse affine warp (rotation, horizontal scale) of that field,
bilinearly sampled at each output pixel centre, followed by a threshold at
the stroke offset with a linear antialiasing ramp. Offsetting the distance
threshold dilates (offset > 0) or erodes (offset < 0) the outline by exactly
that many pixels, which gives a continuous stroke thickness for free.
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import njit, njit_parallel

#: Distance returned outside the atlas canvas: far from any stroke.
_FAR = 1.0e3


@njit(fastmath=True)
def _sample_sdf(sdf, g, r, c):
    """Bilinear sample of ``sdf[g]`` at fractional (row, col); ``_FAR`` outside."""
    size_r = sdf.shape[1]
    size_c = sdf.shape[2]
    if not (r >= 0.0 and c >= 0.0 and r < size_r - 1.0 and c < size_c - 1.0):
        return _FAR
    r0 = int(r)
    c0 = int(c)
    fr = r - r0
    fc = c - c0
    top = sdf[g, r0, c0] * (1.0 - fc) + sdf[g, r0, c0 + 1] * fc
    bot = sdf[g, r0 + 1, c0] * (1.0 - fc) + sdf[g, r0 + 1, c0 + 1] * fc
    return top * (1.0 - fr) + bot * fr


@njit_parallel(fastmath=True)
def render_from_sdf(sdf, glyph, cos_t, sin_t, inv_width, offset, scale, ramp, target_r, target_c,
                    n_passes, out):
    """Render ``out[s]`` (H, W) for every sample ``s`` in parallel.

    Parameters
    ----------
    sdf : float32 (G, S, S)
        Signed distance of each glyph in output pixels; grid cell (i, j)
        sits at glyph point (x, y_up) = ((j - cs) / scale, (cs - i) / scale),
        cs = (S - 1) / 2, relative to the glyph's bounding-box centre.
    glyph : int64 (N,)
        Atlas index of each sample.
    cos_t, sin_t : float64 (N,)
        Cosine and sine of the counter-clockwise rotation angle.
    inv_width : float64 (N,)
        1 / horizontal scale.
    offset : float64 (N,)
        Outline offset in output pixels (> 0 thickens).
    scale : float
        Atlas grid cells per output pixel.
    ramp : float
        Width of the antialiasing ramp in output pixels.
    target_r, target_c : float
        Where the centre of mass must land (row, col).
    n_passes : int
        Render passes; after each, the placement is shifted by the
        centre-of-mass error, so 2 passes centre to sub-pixel accuracy.
    out : float32 (N, H, W)
        Written in place with values in [0, 1].
    """
    n = glyph.shape[0]
    h = out.shape[1]
    w = out.shape[2]
    cs = (sdf.shape[1] - 1) * 0.5
    inv_ramp = 1.0 / ramp
    for s in numba.prange(n):
        g = glyph[s]
        ct = cos_t[s]
        st = sin_t[s]
        iw = inv_width[s]
        off = offset[s]
        tr = target_r
        tc = target_c
        for _ in range(n_passes):
            mass = 0.0
            mr = 0.0
            mc = 0.0
            for i in range(h):
                dyu = tr - i
                for j in range(w):
                    dx = j - tc
                    # inverse of (scale x by width, then rotate counter-clockwise)
                    gx = (ct * dx + st * dyu) * iw
                    gy = -st * dx + ct * dyu
                    d = _sample_sdf(sdf, g, cs - gy * scale, cs + gx * scale)
                    v = 0.5 + (off - d) * inv_ramp
                    v = min(max(v, 0.0), 1.0)
                    out[s, i, j] = v
                    mass += v
                    mr += v * i
                    mc += v * j
            if mass > 0.0:
                tr += target_r - mr / mass
                tc += target_c - mc / mass


__all__ = ["render_from_sdf"]
