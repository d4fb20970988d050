"""What sweeping a continuous code does to G's images: slant and width along the sweep.

- :func:`slant` and :func:`width`: a digit's rotation and width from its image moments.
- :func:`sweep_correlations`: for each continuous code, how strongly sweeping it moves slant and
  width (Spearman rank correlation along each sweep, averaged over many base latents).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from npgan._checks import check_generator, check_int
from npgan.evaluation.probes import generate
from npgan.models.infogan import InfoGANNets

__all__ = ["slant", "width", "sweep_correlations"]


def _moments(images: np.ndarray):
    img = images.reshape(images.shape[0], images.shape[-2], images.shape[-1]).astype(np.float64)
    h, w = img.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w]
    mass = img.sum(axis=(1, 2))
    mass = np.where(mass > 0, mass, 1.0)
    cy = (img * ys).sum(axis=(1, 2)) / mass
    cx = (img * xs).sum(axis=(1, 2)) / mass
    dy = ys[None] - cy[:, None, None]
    dx = xs[None] - cx[:, None, None]
    mu20 = (img * dx * dx).sum(axis=(1, 2)) / mass
    mu02 = (img * dy * dy).sum(axis=(1, 2)) / mass
    mu11 = (img * dx * dy).sum(axis=(1, 2)) / mass
    return mu20, mu02, mu11


def slant(images: np.ndarray) -> np.ndarray:
    """Slant angle in degrees from second moments: the lean of the digit's vertical axis.

    ``atan(-mu11 / mu02)``: the horizontal shift per row, image rows growing downwards, so a
    digit whose top leans to the right has a positive slant.
    """
    mu20, mu02, mu11 = _moments(images)
    return np.degrees(np.arctan2(-mu11, np.maximum(mu02, 1e-12)))


def width(images: np.ndarray) -> np.ndarray:
    """Horizontal spread in pixels: the standard deviation of the ink's column positions."""
    mu20, _, _ = _moments(images)
    return np.sqrt(mu20)


def sweep_correlations(nets: InfoGANNets, rng: np.random.Generator, n_bases: int = 64,
                       values: np.ndarray | None = None) -> list[dict[str, float]]:
    """For each continuous code, the mean Spearman correlation of slant and width with the code.

    Each of ``n_bases`` random latents (noise, categories, other codes) is kept fixed while one code
    sweeps ``values`` (default 11 points in [-1, 1], the training range). Returns one dict per code
    with ``rotation`` and ``width`` (mean rho over the bases) and their standard errors.
    """
    check_generator(rng)
    n_bases = check_int(n_bases, "n_bases", minimum=2)
    lat = nets.config.latent
    values = np.linspace(-1.0, 1.0, 11) if values is None else np.asarray(values, dtype=np.float64)
    results = []
    z, cat, cont = lat.sample(n_bases, rng, dtype=nets.dtype)
    s = values.size
    for j in range(lat.continuous):
        zz = np.repeat(z, s, axis=0)
        cc = np.repeat(cat, s, axis=0)
        kk = np.repeat(cont, s, axis=0)
        kk[:, j] = np.tile(values, n_bases)
        imgs = generate(nets, zz, cc, kk)
        sl = slant(imgs).reshape(n_bases, s)
        wd = width(imgs).reshape(n_bases, s)
        rot = [spearmanr(values, r).statistic if np.ptp(r) > 0 else 0.0 for r in sl]
        wid = [spearmanr(values, r).statistic if np.ptp(r) > 0 else 0.0 for r in wd]
        results.append({"code": j, "rotation": float(np.mean(rot)), "width": float(np.mean(wid)),
                        "rotation_se": float(np.std(rot) / np.sqrt(n_bases)),
                        "width_se": float(np.std(wid) / np.sqrt(n_bases))})
    return results
