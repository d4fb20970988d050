"""Evaluation of a trained InfoGAN: what the paper measures, as numbers.

- :func:`cluster_accuracy`: unsupervised accuracy of a categorical code. Category indices are
  arbitrary, so each category is matched to one class by the Hungarian method (maximum total
  agreement, scipy's ``linear_sum_assignment``) before accuracy means anything.
- :func:`estimate_li`: the variational lower bound L_I = E[log Q(c|x)] + H(c) on fresh samples.
- :func:`slant` and :func:`width`: a digit's rotation and width from its image moments.
- :func:`sweep_correlations`: for each continuous code, how strongly sweeping it moves slant and
  width (Spearman rank correlation along each sweep, averaged over many base latents).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import spearmanr

from npgan._checks import check_float_array, check_generator, check_int
from npgan.distributions import categorical_log_q, gaussian_log_q
from npgan.info import mi_lower_bound
from npgan.models.infogan import InfoGANNets


def cluster_accuracy(pred: np.ndarray, labels: np.ndarray, n_clusters: int | None = None,
                     n_classes: int | None = None):
    """Accuracy of cluster assignments after the best one-to-one matching to classes.

    Parameters
    ----------
    pred : integer ndarray, shape (n,)
        Cluster index of each sample.
    labels : integer ndarray, shape (n,)
        True class of each sample.

    Returns
    -------
    accuracy : float
    mapping : dict[int, int]
        cluster -> matched class.
    confusion : ndarray, shape (n_clusters, n_classes)
    """
    pred = np.asarray(pred)
    labels = np.asarray(labels)
    if pred.shape != labels.shape or pred.ndim != 1:
        raise ValueError(f"`pred` and `labels` must be 1-D of the same length, got {pred.shape} and {labels.shape}")
    if pred.size == 0:
        raise ValueError("`pred` is empty")
    if not (np.issubdtype(pred.dtype, np.integer) and np.issubdtype(labels.dtype, np.integer)):
        raise TypeError(f"`pred` and `labels` must hold integers, got {pred.dtype} and {labels.dtype}")
    k = int(n_clusters if n_clusters is not None else pred.max() + 1)
    m = int(n_classes if n_classes is not None else labels.max() + 1)
    confusion = np.zeros((k, m), dtype=np.int64)
    np.add.at(confusion, (pred, labels), 1)
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    accuracy = confusion[rows, cols].sum() / pred.size
    return float(accuracy), {int(r): int(c) for r, c in zip(rows, cols)}, confusion


def q_outputs(nets: InfoGANNets, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Q's outputs on ``images`` (n, 1, 28, 28) in evaluation mode (BN running averages)."""
    check_float_array(images, "images", ndim=4)
    nets.eval()
    outs = []
    for i in range(0, images.shape[0], batch_size):
        _, q = nets.discriminate(images[i: i + batch_size])
        outs.append(q.copy())
    return np.concatenate(outs)


def categorical_predictions(nets: InfoGANNets, images: np.ndarray, code: int = 0) -> np.ndarray:
    """argmax of the ``code``-th categorical head of Q on real images."""
    logits, _, _ = nets.config.latent.split_q(q_outputs(nets, images))
    return np.argmax(logits[code], axis=1)


def generate(nets: InfoGANNets, z, cat, cont, batch_size: int = 500) -> np.ndarray:
    """G(z, c) in evaluation mode, in batches. Returns (n, 1, 28, 28)."""
    lat = nets.config.latent
    x = lat.assemble(z, cat, cont, dtype=nets.dtype)
    nets.eval()
    return np.concatenate([nets.generate(x[i: i + batch_size]).copy() for i in range(0, x.shape[0], batch_size)])


def estimate_li(nets: InfoGANNets, n: int, rng: np.random.Generator) -> dict[str, float]:
    """Estimate L_I = E[log Q(c|x)] + H(c) with ``n`` fresh samples (networks in evaluation mode).

    Returns the categorical part (nats, at most H(c_cat)), the continuous part (Gaussian Q with the
    network's std if learned, else 1), and H(c_cat).
    """
    n = check_int(n, "n", minimum=1)
    check_generator(rng)
    lat = nets.config.latent
    z, cat, cont = lat.sample(n, rng, dtype=np.float64)
    q = q_outputs(nets, generate(nets, z, cat, cont)).astype(np.float64)
    logits, mean, log_std = lat.split_q(q)
    log_q_cat = np.zeros(n)
    for j, lg in enumerate(logits):
        log_q_cat += categorical_log_q(np.ascontiguousarray(lg), cat[:, j])[0]
    li_cat = mi_lower_bound(log_q_cat, lat.categorical_entropy()) if lat.categorical else 0.0
    li_cont = 0.0
    if lat.continuous:
        ls = np.ascontiguousarray(log_std) if nets.config.q_std == "learned" else None
        li_cont = mi_lower_bound(gaussian_log_q(np.ascontiguousarray(mean), ls, cont)[0],
                                 lat.continuous_entropy())
    return {"li_cat": li_cat, "li_cont": li_cont, "h_cat": lat.categorical_entropy()}


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
