"""Every disentanglement number for trained networks on a data set with known factors.

:func:`factor_report` reads Q's codes off the synthetic digits' test images and measures them
against the true factors: the code-by-factor information matrix and MIG
(:mod:`npgan.evaluation.factors`), the categorical code's accuracy and NMI
(:mod:`npgan.evaluation.clustering`), and the per-class agreement of the continuous codes
(:mod:`npgan.evaluation.class_agreement`).
"""

from __future__ import annotations

import numpy as np

from npgan._checks import check_int
from npgan.data.synthetic import SyntheticDigits
from npgan.evaluation.class_agreement import class_agreement, class_rank_correlations
from npgan.evaluation.clustering import cluster_accuracy, normalized_mutual_information
from npgan.evaluation.factors import mig, mutual_information_matrix
from npgan.evaluation.probes import code_values
from npgan.models.infogan import InfoGANNets

__all__ = ["STYLE_FACTORS", "factor_report"]

#: Factors that the paper's continuous codes are meant to capture (c2: rotation, c3: width).
STYLE_FACTORS = ("rotation", "width")


# ------------------------------------------------------------------------ report
def factor_report(nets: InfoGANNets, dataset: SyntheticDigits, n_bins: int = 20,
                  batch_size: int = 500) -> dict:
    """Every disentanglement number for ``nets`` on a synthetic data set with known factors.

    Parameters
    ----------
    nets : InfoGANNets
    dataset : SyntheticDigits
        Images and their true factors (:func:`npgan.data.make_synthetic_digits`).
    n_bins : int
        Bins per continuous variable for the MI estimates.
    batch_size : int
        Images per forward pass of Q.

    Returns
    -------
    dict with
        ``code_names`` (list of str, n_codes), ``factor_names`` (list of str, n_factors),
        ``mi`` (ndarray (n_codes, n_factors), nats), ``factor_entropies`` (ndarray (n_factors,)),
        ``mi_normalized`` (``mi / H(factor)``), ``mig`` (float, over all factors),
        ``mig_style`` (float, over rotation and width only; NaN if the data set has neither),
        ``style_factors`` (the names used for ``mig_style``),
        ``gaps`` (dict factor name -> normalised gap), ``n_samples``, ``n_bins``,
        ``cluster_accuracy`` and ``nmi`` (float: the first categorical code against the digit
        class; None without a categorical code), ``class_rho`` (ndarray (n_continuous,
        n_style_factors, n_classes): rank correlation of each continuous code with rotation and
        width within each digit class, :mod:`npgan.class_agreement`), ``class_agreement`` (dict
        style factor -> fraction of classes that follow it with the majority's code and sign),
        ``classes`` (the digit classes along the last axis of ``class_rho``).
        MIG entries are NaN with fewer than 2 codes; the class entries are None without a
        continuous code.
    """
    if not isinstance(nets, InfoGANNets):
        raise TypeError(f"`nets` must be an InfoGANNets, got {type(nets).__name__}")
    if not isinstance(dataset, SyntheticDigits):
        raise TypeError(f"`dataset` must be a SyntheticDigits (images and factors), got {type(dataset).__name__}")
    n_bins = check_int(n_bins, "n_bins", minimum=2)
    lat = nets.config.latent
    values, names = code_values(nets, dataset.images, batch_size=batch_size)
    if values.shape[1] == 0:
        raise ValueError("`nets` has no structured codes (no categorical and no continuous code) to evaluate")
    fnames = list(dataset.factor_names)
    factors = np.column_stack([np.asarray(dataset.factors[f], dtype=np.float64) for f in fnames])
    mi, h = mutual_information_matrix(values, factors, n_bins=n_bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi_norm = np.where(h > 0, mi / h, 0.0)
    style = [f for f in STYLE_FACTORS if f in fnames]
    if mi.shape[0] >= 2:
        score, per = mig(mi, h)
        style_score = mig(mi, h, [fnames.index(f) for f in style])[0] if style else float("nan")
    else:
        score, per, style_score = float("nan"), np.full(len(fnames), np.nan), float("nan")
    rho_cls = agree = classes = None
    labels = np.asarray(dataset.labels, dtype=np.int64)
    n_cat = len(lat.categorical)
    if values.shape[1] > n_cat and style:
        rho_cls, classes = class_rank_correlations(values[:, n_cat:],
                                                   factors[:, [fnames.index(f) for f in style]], labels)
        agree = {f: float(a) for f, a in zip(style, class_agreement(rho_cls))}
    acc = nmi = None
    if lat.categorical:
        pred = values[:, 0].astype(np.int64)
        acc = cluster_accuracy(labels, pred, n_classes=max(10, int(labels.max()) + 1),
                               n_clusters=lat.categorical[0])[0]
        nmi = normalized_mutual_information(labels, pred)
    return {
        "code_names": names, "factor_names": fnames, "mi": mi, "factor_entropies": h,
        "mi_normalized": mi_norm, "mig": score, "mig_style": style_score, "style_factors": style,
        "gaps": {f: float(g) for f, g in zip(fnames, per)}, "n_samples": int(values.shape[0]),
        "n_bins": n_bins, "cluster_accuracy": acc, "nmi": nmi,
        "class_rho": rho_cls, "class_agreement": agree, "classes": classes,
    }
