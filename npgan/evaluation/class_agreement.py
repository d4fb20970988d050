"""Does a continuous code mean the same thing for every digit class?

InfoGAN's generator receives the category with the continuous codes, so nothing makes c2 rotate a
2 the way it rotates a 3: it may use the opposite sign, or the other code, for some categories. The
pooled code-by-factor information (:mod:`npgan.evaluation.factors`) then drops, and traversal figures
(one row per category of c1) do not show why. Here the rank correlation between each code and each
factor is computed *within* each class, and for each factor the classes are counted that agree with
the majority on which code follows it and with which sign.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.stats import spearmanr

from npgan._checks import check_float_array

__all__ = ["class_rank_correlations", "class_agreement"]


def _rank_corr(a: np.ndarray, b: np.ndarray) -> float:
    # undefined (NaN, without scipy's constant-input warning) below 3 pairs or for a constant side
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def class_rank_correlations(codes, factors, labels) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rank correlation of every code with every factor, within each class.

    Parameters
    ----------
    codes : float array, shape (N, n_codes)
        Q's continuous readings of N images.
    factors : float array, shape (N, n_factors)
        The true factor values of the same images.
    labels : integer array, shape (N,)
        The class of each image.

    Returns
    -------
    rho : ndarray, shape (n_codes, n_factors, n_classes)
        NaN where a class has fewer than 3 images or a constant code or factor.
    classes : ndarray, shape (n_classes,)
        The class values, sorted (the last axis of ``rho``).
    """
    codes = check_float_array(codes, "codes", ndim=2)
    factors = check_float_array(factors, "factors", ndim=2)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "biu":
        raise TypeError(f"`labels` must hold integers, got dtype {labels.dtype}")
    if labels.ndim != 1:
        raise ValueError(f"`labels` must be 1-dimensional, got shape {labels.shape}")
    if not (codes.shape[0] == factors.shape[0] == labels.shape[0]):
        raise ValueError(f"`codes`, `factors` and `labels` must have the same number of rows, got "
                         f"{codes.shape[0]}, {factors.shape[0]} and {labels.shape[0]}")
    classes = np.unique(labels)
    rho = np.full((codes.shape[1], factors.shape[1], classes.size), np.nan)
    for k, cls in enumerate(classes):
        m = labels == cls
        for i in range(codes.shape[1]):
            for j in range(factors.shape[1]):
                rho[i, j, k] = _rank_corr(codes[m, i], factors[m, j])
    return rho, classes


def class_agreement(rho: np.ndarray) -> np.ndarray:
    """For each factor, the fraction of classes that follow it with the majority's code and sign.

    In each class the factor's code is the one with the largest ``|rho|``, taken with its sign; the
    most common (code, sign) pair over the classes is the majority.

    Parameters
    ----------
    rho : ndarray, shape (n_codes, n_factors, n_classes)
        From :func:`class_rank_correlations`.

    Returns
    -------
    ndarray, shape (n_factors,)
        1 when every class uses the same code with the same sign; NaN for a factor with no class
        where any correlation is defined.
    """
    rho = check_float_array(rho, "rho", ndim=3)
    out = np.full(rho.shape[1], np.nan)
    for j in range(rho.shape[1]):
        picks = []
        for k in range(rho.shape[2]):
            col = rho[:, j, k]
            if np.all(np.isnan(col)):
                continue
            i = int(np.nanargmax(np.abs(col)))
            picks.append((i, bool(col[i] > 0)))
        if picks:
            out[j] = Counter(picks).most_common(1)[0][1] / len(picks)
    return out
