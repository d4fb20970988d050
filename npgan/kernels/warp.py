"""Batched affine warp of single-channel images with bilinear sampling (numba).

Unvalidated: :func:`npgan.augment.affine_warp` checks every argument first. The NumPy
reference is :func:`npgan.kernels.reference.affine_warp`.
"""

from __future__ import annotations

from npgan.kernels._jit import njit


@njit
def affine_warp(images, mats, out):
    """``out[s, r, c]`` = bilinear sample of ``images[s]`` at ``mats[s] @ (r, c, 1)``; 0 outside.

    Parameters
    ----------
    images : float32 or float64 (N, H, W)
    mats : float64 (N, 2, 3)
        For each output pixel (row r, column c), the source position is
        ``(mats[s,0,0] r + mats[s,0,1] c + mats[s,0,2], mats[s,1,0] r + mats[s,1,1] c + mats[s,1,2])``
        in (row, column) pixel units.
    out : same dtype as images, (N, H, W)
    """
    n, h, w = images.shape
    for s in range(n):
        a00 = mats[s, 0, 0]
        a01 = mats[s, 0, 1]
        a02 = mats[s, 0, 2]
        a10 = mats[s, 1, 0]
        a11 = mats[s, 1, 1]
        a12 = mats[s, 1, 2]
        for r in range(h):
            for c in range(w):
                sr = a00 * r + a01 * c + a02
                sc = a10 * r + a11 * c + a12
                # pixels outside the image read as 0 (background), one bilinear tap at a time
                r0 = int(sr // 1.0)
                c0 = int(sc // 1.0)
                fr = sr - r0
                fc = sc - c0
                acc = 0.0
                if 0 <= r0 < h:
                    if 0 <= c0 < w:
                        acc += (1.0 - fr) * (1.0 - fc) * images[s, r0, c0]
                    if 0 <= c0 + 1 < w:
                        acc += (1.0 - fr) * fc * images[s, r0, c0 + 1]
                if 0 <= r0 + 1 < h:
                    if 0 <= c0 < w:
                        acc += fr * (1.0 - fc) * images[s, r0 + 1, c0]
                    if 0 <= c0 + 1 < w:
                        acc += fr * fc * images[s, r0 + 1, c0 + 1]
                out[s, r, c] = acc
