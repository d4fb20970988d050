"""Random small affine distortions of image batches (for the real-data consistency term).

The improved recipe (:mod:`npgan.train.consistency`) asks Q to give a real image and a slightly
distorted copy of it the same category. The distortions are the ones that should not change a
digit's class: a small rotation, horizontal and vertical scaling, shear, a shift of a pixel or
two, and a thicker or thinner stroke (a blend with a grey-scale dilation or erosion). Each image gets its own random transform, drawn from the passed-in generator.

The warp is a numba kernel (:func:`npgan.kernels.warp.affine_warp`, bilinear, zero outside the
image); this module validates and builds the transforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npgan._checks import check_float_array, check_generator, check_int, check_real
from npgan.kernels.threads import n_threads, parallel, split
from npgan.kernels.warp import affine_warp as _affine_warp_kernel


def affine_warp(images: np.ndarray, mats: np.ndarray) -> np.ndarray:
    """Warp each image by its own affine map (bilinear, zero outside).

    Parameters
    ----------
    images : float32 or float64 array, shape (N, H, W) or (N, 1, H, W)
    mats : array, shape (N, 2, 3)
        For output pixel (row r, column c) of image s the source position is
        ``mats[s] @ (r, c, 1)`` in (row, column) pixel units.

    Returns
    -------
    ndarray, the shape and dtype of ``images``
    """
    check_float_array(images, "images")
    if images.ndim == 4:
        if images.shape[1] != 1:
            raise ValueError(f"`images` must have one channel, got shape {images.shape}")
        flat = images.reshape(images.shape[0], images.shape[2], images.shape[3])
    elif images.ndim == 3:
        flat = images
    else:
        raise ValueError(f"`images` must have shape (N, H, W) or (N, 1, H, W), got {images.shape}")
    mats = np.asarray(mats, dtype=np.float64)
    if mats.shape != (images.shape[0], 2, 3):
        raise ValueError(f"`mats` must have shape ({images.shape[0]}, 2, 3), got {mats.shape}")
    if not np.all(np.isfinite(mats)):
        raise ValueError("`mats` must be finite")
    out = np.empty_like(flat)
    flat, mats = np.ascontiguousarray(flat), np.ascontiguousarray(mats)
    parts = split(flat.shape[0], n_threads())   # images are independent: one block per pool thread
    parallel(lambda i: _affine_warp_kernel(*(a[slice(*parts[i])] for a in (flat, mats, out))), len(parts))
    return out.reshape(images.shape)


#: Distortion's largest shift, in pixels (the images' width)
MAX_SHIFT = 28.0
#: Distortion's smallest and largest scale factors
SCALE_RANGE = (0.1, 10.0)


@dataclass(frozen=True)
class Distortion:
    """Ranges of the random distortions (each drawn uniformly and independently per image).

    The ranges the warp can run: ``shift`` at most :data:`MAX_SHIFT` pixels (an image's width: beyond,
    every pixel leaves the image), scales within :data:`SCALE_RANGE` (a digit from 3 to 280 pixels wide;
    a scale near 0 makes the map singular).

    ``rotation`` in degrees (±), ``scale_x``/``scale_y`` as (low, high) factors, ``shear`` (±,
    horizontal shift per row, relative), ``shift`` in pixels (±, each axis), ``stroke`` (±, in
    [0, 1]: the weight of the blend with a one-pixel dilation (> 0) or erosion (< 0)).
    Why these ranges: on MNIST, runs with rotation ±15°, shear ±0.15 and no stroke change split
    the 4/9 group by stroke weight, and then by slant, instead of by digit; MNIST's slants span
    about ±30°.
    """

    rotation: float = 30.0
    scale_x: tuple[float, float] = (0.8, 1.2)
    scale_y: tuple[float, float] = (0.9, 1.1)
    shear: float = 0.3
    shift: float = 2.0
    stroke: float = 1.0

    def __post_init__(self):
        check_real(self.stroke, "stroke", minimum=0.0, maximum=1.0)
        check_real(self.rotation, "rotation", minimum=0.0, maximum=180.0)
        check_real(self.shear, "shear", minimum=0.0, maximum=1.0)
        check_real(self.shift, "shift", minimum=0.0, maximum=MAX_SHIFT)
        for name in ("scale_x", "scale_y"):
            lo, hi = (check_real(v, name, minimum=SCALE_RANGE[0], maximum=SCALE_RANGE[1])
                      for v in getattr(self, name))
            if lo > hi:
                raise ValueError(f"`{name}` must be (low, high) with low <= high, got {getattr(self, name)}")

    def matrices(self, n: int, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
        """``n`` inverse maps (output pixel -> source pixel), shape (n, 2, 3), about the image centre."""
        check_generator(rng, "rng")
        theta = np.deg2rad(rng.uniform(-self.rotation, self.rotation, n))
        sx = rng.uniform(*self.scale_x, n)
        sy = rng.uniform(*self.scale_y, n)
        sh = rng.uniform(-self.shear, self.shear, n)
        t = rng.uniform(-self.shift, self.shift, (n, 2))
        cos, sin = np.cos(theta), np.sin(theta)
        # forward map in (x = column, y = row) about the centre: rotate @ shear @ scale
        fwd = np.empty((n, 2, 2))
        fwd[:, 0, 0] = cos * sx
        fwd[:, 0, 1] = (cos * sh - sin) * sy
        fwd[:, 1, 0] = sin * sx
        fwd[:, 1, 1] = (sin * sh + cos) * sy
        inv_xy = np.linalg.inv(fwd)
        # to (row, column) order: swap both axes
        inv = inv_xy[:, ::-1, ::-1]
        centre = np.array([(size[0] - 1) / 2.0, (size[1] - 1) / 2.0])
        # source = centre + inv @ (p - centre - t)
        offset = centre - np.einsum("nij,nj->ni", inv, centre + t)
        return np.concatenate([inv, offset[:, :, None]], axis=2)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A randomly distorted copy of ``images`` (N, 1, H, W) or (N, H, W)."""
        check_float_array(images, "images")
        warped = affine_warp(images, self.matrices(images.shape[0], rng, images.shape[-2:]))
        alpha = rng.uniform(-self.stroke, self.stroke, images.shape[0])
        return stroke_blend(warped, alpha)

    def grouped(self, images: np.ndarray, group_size: int, rng: np.random.Generator) -> np.ndarray:
        """A distorted copy of ``images`` where each run of ``group_size`` consecutive images shares
        one random distortion (``group_size`` must divide N)."""
        check_float_array(images, "images")
        group_size = check_int(group_size, "group_size", minimum=1)
        n = images.shape[0]
        if n % group_size:
            raise ValueError(f"`group_size` ({group_size}) must divide the number of images ({n})")
        groups = n // group_size
        mats = np.repeat(self.matrices(groups, rng, images.shape[-2:]), group_size, axis=0)
        alpha = np.repeat(rng.uniform(-self.stroke, self.stroke, groups), group_size)
        return stroke_blend(affine_warp(images, mats), alpha)


def _cross_filter(x: np.ndarray, op) -> np.ndarray:
    """``op`` (np.maximum or np.minimum) over each pixel and its 4 neighbours; 0 outside."""
    pad = np.zeros(x.shape[:-2] + (x.shape[-2] + 2, x.shape[-1] + 2), dtype=x.dtype)
    pad[..., 1:-1, 1:-1] = x
    out = x.copy()
    for dr, dc in ((0, 1), (2, 1), (1, 0), (1, 2)):
        op(out, pad[..., dr: dr + x.shape[-2], dc: dc + x.shape[-1]], out=out)
    return out


def stroke_blend(images: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Thicken (``alpha > 0``) or thin (``alpha < 0``) each image's strokes.

    ``out = (1 - |a|) x + |a| dilate(x)`` for ``a > 0`` and with ``erode(x)`` for ``a < 0``, where
    dilate/erode are the grey-scale max/min over a pixel and its four neighbours (zero outside).

    Parameters
    ----------
    images : float array, shape (N, H, W) or (N, 1, H, W)
    alpha : array-like, shape (N,), values in [-1, 1]

    Returns
    -------
    ndarray, the shape and dtype of ``images``
    """
    check_float_array(images, "images")
    if images.ndim not in (3, 4):
        raise ValueError(f"`images` must have shape (N, H, W) or (N, 1, H, W), got {images.shape}")
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.shape != (images.shape[0],):
        raise ValueError(f"`alpha` must have shape ({images.shape[0]},), got {alpha.shape}")
    if not np.all(np.abs(alpha) <= 1.0):
        raise ValueError(f"`alpha` must lie in [-1, 1], got values in [{alpha.min()}, {alpha.max()}]")
    a = np.abs(alpha).astype(images.dtype).reshape((-1,) + (1,) * (images.ndim - 1))
    grown = np.where(alpha.reshape(a.shape) > 0, _cross_filter(images, np.maximum),
                     _cross_filter(images, np.minimum))
    return (1 - a) * images + a * grown
