"""Does a continuous code mean the same thing for every digit class?

InfoGAN's generator receives the category with the continuous codes, so nothing makes c2 rotate a
2 the way it rotates a 3: it may use the opposite sign, or the other code, for some categories. The
pooled code-by-factor information (:mod:`npgan.disentanglement`) then drops, and traversal figures
(one row per noise vector) do not show why. Here the rank correlation between each code and each
factor is computed *within* each class, and for each factor the classes are counted that agree with
the majority on which code follows it and with which sign.

On the synthetic digits (README, "Codes whose meaning changes with the digit") this found runs whose
rotation code followed the true angle with rank correlation 0.95-1.00 inside most classes while two
classes used the opposite sign or the other code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from npgan._checks import check_float_array

__all__ = ["class_rank_correlations", "class_agreement", "plot_class_correlations"]


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


def plot_class_correlations(report, path) -> Path:
    """Heat map of the per-class rank correlations (rows: code and factor, columns: digit class).

    Red and blue are the two signs, so a class that uses a code with the other sign, or the other
    code, stands out in its column.

    Parameters
    ----------
    report : mapping
        A :func:`npgan.disentanglement.factor_report` result with ``class_rho`` (not None),
        ``classes``, ``code_names``, ``style_factors`` and ``class_agreement``.
    path : str or Path
        Where to write the PNG (parent folders are created).

    Returns
    -------
    Path
    """
    if not isinstance(report, Mapping):
        raise TypeError(f"`report` must be a dict from factor_report, got {type(report).__name__}")
    if report.get("class_rho") is None:
        raise ValueError("`report` has no per-class correlations (`class_rho`): the networks need a "
                         "continuous code and the data set rotation or width")
    rho = np.asarray(report["class_rho"], dtype=np.float64)
    classes = [int(k) for k in report["classes"]]
    names = list(report["code_names"])
    cont = names[len(names) - rho.shape[0]:]
    factors = list(report["style_factors"])
    rows = [(i, j) for j in range(len(factors)) for i in range(len(cont))]
    table = np.array([rho[i, j] for i, j in rows])

    from npgan.figures import pyplot, save_figure  # pyplot: the one place that selects Agg
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(0.55 * len(classes) + 2.6, 0.5 * len(rows) + 1.7), dpi=110)
    im = ax.imshow(np.nan_to_num(table), cmap="RdBu_r", vmin=-1.0, vmax=1.0, aspect="auto")
    for r in range(len(rows)):
        for k in range(len(classes)):
            v = table[r, k]
            ax.text(k, r, "-" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(np.nan_to_num(v)) > 0.6 else "black")
    ax.set_xticks(range(len(classes)))
    ax.set_xticklabels(classes)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{cont[i]} / {factors[j]}" for i, j in rows], fontsize=8)
    ax.set_xlabel("digit class")
    fig.colorbar(im, ax=ax).set_label("rank correlation", fontsize=8)
    agree = report.get("class_agreement") or {}
    ax.set_title("code vs factor within each class; classes agreeing on code and sign: " + ", ".join(
        f"{f} {a * len(classes):.0f}/{len(classes)}" for f, a in agree.items() if np.isfinite(a)), fontsize=8)
    return save_figure(fig, path)
