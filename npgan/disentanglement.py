r"""Disentanglement metrics: how well Q's codes line up with known factors of variation.

On the synthetic digits (:mod:`npgan.data.synthetic`) every image comes with the true values of
its factors (digit, rotation, width, thickness, font), so what InfoGAN's codes learned can be
measured instead of eyeballed from traversals:

- :func:`mutual_information_matrix`: :math:`I(c_i; v_j)` between every inferred code
  :math:`c_i` (Q's categorical argmax, Q's continuous means) and every factor :math:`v_j`,
  estimated by discretising both (:func:`discretize`) and evaluating the empirical joint table
  with :func:`npgan.info.mutual_information`.
- :func:`mig`: the mutual information gap of Chen et al. (2018), "Isolating Sources of
  Disentanglement in VAEs": for each factor, the MI of its most informative code minus that of
  the runner-up, divided by :math:`H(v_j)`; 1 when exactly one code captures the factor
  completely, 0 when two codes share it equally.
- :func:`normalized_mutual_information` and :func:`cluster_accuracy` (from
  :mod:`npgan.evaluate`): the categorical code as a clustering of the digit classes.
- :func:`factor_report` runs all of it for trained networks on a :class:`SyntheticDigits` set;
  :func:`plot_mi_matrix` draws the MI matrix as a heat map.

Estimation: MI between continuous variables is estimated from equal-frequency bins, so
continuous entries are bounded by ``log(n_bins)`` and carry a small positive bias of about
``(a - 1)(b - 1) / (2 N)`` nats for an ``a x b`` table of N samples (Miller-Madow); with the
default 20 bins and 10 000 images that is ~0.02 nats, small against factor entropies of
``log 10 ~ 2.3`` (digit) or ``log 20 ~ 3.0`` (continuous factors). Quantile binning depends
only on the order of the values, so the estimates are exactly invariant under strictly
increasing transforms of a code (and a decreasing one only reverses the bin labels).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from npgan._checks import check_float_array, check_int
from npgan.class_agreement import class_agreement, class_rank_correlations
from npgan.data.synthetic import SyntheticDigits
from npgan.evaluate import cluster_accuracy, q_outputs
from npgan.info import entropy, mutual_information
from npgan.models.infogan import InfoGANNets
from npgan.models.latent import LatentSpec

__all__ = [
    "discretize",
    "mutual_information_matrix",
    "mig",
    "normalized_mutual_information",
    "cluster_accuracy",
    "code_names",
    "codes_from_q",
    "code_values",
    "factor_report",
    "plot_mi_matrix",
]

#: Factors that the paper's continuous codes are meant to capture (c2: rotation, c3: width).
STYLE_FACTORS = ("rotation", "width")


# ------------------------------------------------------------------ discretisation
def _real_1d(values, name: str) -> np.ndarray:
    """``values`` as a finite 1-D real (bool/int/float) array of length >= 1."""
    arr = np.asarray(values)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-dimensional, got shape {arr.shape} ({arr.ndim}-D)")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {int(np.sum(~np.isfinite(arr)))} non-finite values")
    return arr


def _real_2d(values, name: str) -> np.ndarray:
    """``values`` as a finite 2-D real array with at least one row and one column."""
    arr = np.asarray(values)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"`{name}` must be 2-dimensional (samples, variables), got shape {arr.shape} "
                         f"({arr.ndim}-D)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"`{name}` must have at least one sample and one column, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {int(np.sum(~np.isfinite(arr)))} non-finite values")
    return arr


def _discretize(arr: np.ndarray, n_bins: int) -> np.ndarray:
    """Unvalidated core of :func:`discretize`."""
    uniq, inv, counts = np.unique(arr, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    if uniq.size <= n_bins:
        # Few distinct values (categorical codes and factors, constants): one bin per value,
        # which is what quantile binning with tied values kept together would give anyway.
        return inv.astype(np.int64)
    # Equal-frequency bins from the ranks alone (never from interpolated quantiles, which
    # could round onto a data value): a run of tied values goes, whole, to the bin holding
    # the middle of its rank interval, so ties never split and strictly increasing
    # transforms give exactly the same codes.
    n = arr.size
    below = np.cumsum(counts) - counts
    bin_of_value = np.minimum(((2 * below + counts) * n_bins) // (2 * n), n_bins - 1)
    # Heavy ties can leave a bin empty; renumber the occupied ones 0, 1, ... in order.
    _, dense = np.unique(bin_of_value, return_inverse=True)
    return dense.reshape(-1)[inv].astype(np.int64)


def discretize(values, n_bins: int = 20) -> np.ndarray:
    """Equal-frequency (quantile) binning of a 1-D array into integer codes.

    Parameters
    ----------
    values : array_like, shape (N,)
        Real values (bool, integer or float; finite).
    n_bins : int
        Maximum number of bins, >= 2.

    Returns
    -------
    codes : ndarray of int64, shape (N,)
        Bin index of each value, ``0 .. k-1`` with ``k <= n_bins`` bins, all occupied, ordered
        like the values (a larger value never gets a smaller code).

    Notes
    -----
    - At most ``n_bins`` distinct values (a categorical variable such as the digit class or
      Q's argmax, or a constant): each distinct value is its own bin, i.e. the variable is
      kept as a category (relabelled ``0 .. k-1`` in sorted order; a constant gives all 0).
    - Otherwise the values are split into ``n_bins`` bins of (nearly) equal counts by rank.
      Equal values always share a bin, so heavy ties give unequal bins (and possibly fewer).

    Examples
    --------
    >>> discretize(np.array([5, 3, 5, 9]))
    array([1, 0, 1, 2])
    >>> discretize(np.arange(8.0) ** 3, n_bins=4)
    array([0, 0, 1, 1, 2, 2, 3, 3])
    >>> discretize(np.full(5, 2.5))
    array([0, 0, 0, 0, 0])
    """
    n_bins = check_int(n_bins, "n_bins", minimum=2)
    return _discretize(_real_1d(values, "values"), n_bins)


# ----------------------------------------------------------------- MI estimation
def _joint_table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Count table of two code arrays (values 0 .. max), shape (a.max()+1, b.max()+1), float64."""
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    counts = np.bincount(a * nb + b, minlength=na * nb)
    return counts.reshape(na, nb).astype(np.float64)


def _entropy_of_codes(codes: np.ndarray) -> float:
    return float(entropy(np.bincount(codes).astype(np.float64), normalize=True))


def mutual_information_matrix(codes, factors, n_bins: int = 20):
    r"""Estimated :math:`I(c_i; v_j)` between every code column and every factor column.

    Each column of ``codes`` and of ``factors`` is discretised with :func:`discretize`; for each
    pair the empirical joint histogram, divided by its total, is passed to
    :func:`npgan.info.mutual_information`.

    Parameters
    ----------
    codes : array_like, shape (N, n_codes)
        Inferred code values, one column per code (e.g. Q's categorical argmax and continuous
        means, see :func:`code_values`).
    factors : array_like, shape (N, n_factors)
        True factor values of the same N samples.
    n_bins : int
        Bins per continuous column, >= 2.

    Returns
    -------
    mi : ndarray, shape (n_codes, n_factors)
        Mutual information in nats; ``0 <= mi[i, j] <= min(H(c_i), H(v_j))`` (up to ~1e-15
        rounding) of the discretised variables.
    factor_entropies : ndarray, shape (n_factors,)
        :math:`H(v_j)` of the discretised factors, in nats.
    """
    n_bins = check_int(n_bins, "n_bins", minimum=2)
    codes = _real_2d(codes, "codes")
    factors = _real_2d(factors, "factors")
    if codes.shape[0] != factors.shape[0]:
        raise ValueError(f"`codes` and `factors` must have the same number of samples (rows), "
                         f"got {codes.shape[0]} and {factors.shape[0]}")
    c = [_discretize(codes[:, i], n_bins) for i in range(codes.shape[1])]
    v = [_discretize(factors[:, j], n_bins) for j in range(factors.shape[1])]
    mi = np.empty((len(c), len(v)))
    for i, ci in enumerate(c):
        for j, vj in enumerate(v):
            mi[i, j] = mutual_information(_joint_table(ci, vj), normalize=True)
    h = np.array([_entropy_of_codes(vj) for vj in v])
    return mi, h


def _check_index_list(factors, n: int) -> list[int]:
    if isinstance(factors, (str, bytes)) or not isinstance(factors, Sequence | np.ndarray):
        raise TypeError(f"`factors` must be a sequence of factor indices, got {type(factors).__name__}")
    idx = []
    for k, f in enumerate(factors):
        if isinstance(f, (bool, np.bool_)) or not isinstance(f, numbers.Integral):
            raise TypeError(f"`factors[{k}]` must be an integer index, got {type(f).__name__} {f!r}")
        if not 0 <= int(f) < n:
            raise ValueError(f"`factors[{k}]` must be in 0 .. {n - 1} (one of the {n} factors), got {int(f)}")
        idx.append(int(f))
    if not idx:
        raise ValueError("`factors` must select at least one factor, got an empty sequence")
    return idx


def mig(mi, factor_entropies, factors=None):
    r"""Mutual information gap (Chen et al. 2018).

    .. math:: \mathrm{MIG} = \frac{1}{K} \sum_{j} \frac{I(c_{a_j}; v_j) - I(c_{b_j}; v_j)}{H(v_j)},

    where :math:`c_{a_j}` and :math:`c_{b_j}` are the codes with the largest and second-largest
    MI with factor :math:`v_j`, averaged over the K selected factors.

    Parameters
    ----------
    mi : array_like, shape (n_codes, n_factors)
        Mutual information matrix (nats), ``n_codes >= 2``, e.g. from
        :func:`mutual_information_matrix`.
    factor_entropies : array_like, shape (n_factors,)
        :math:`H(v_j)` in nats (same units as ``mi``).
    factors : sequence of int, optional
        Column indices of the factors to average over (default: all), e.g. only rotation and
        width.

    Returns
    -------
    score : float
        Mean gap over the selected factors with ``H > 0``, in [0, 1]; NaN if none has ``H > 0``.
    per_factor : ndarray, shape (len(factors),)
        The normalised gap of each selected factor, in selection order; NaN for a factor with
        zero entropy (a constant factor carries no information, so its gap is undefined and it
        is left out of the mean rather than crashing an evaluation).
    """
    mi = np.asarray(mi)
    h = np.asarray(factor_entropies)
    for arr, name in ((mi, "mi"), (h, "factor_entropies")):
        if arr.dtype == object or arr.dtype.kind not in "iuf":
            raise TypeError(f"`{name}` must hold real numbers, got dtype {arr.dtype}")
    mi = mi.astype(np.float64)
    h = h.astype(np.float64)
    if mi.ndim != 2:
        raise ValueError(f"`mi` must be 2-dimensional (codes, factors), got shape {mi.shape} ({mi.ndim}-D)")
    if mi.shape[0] < 2:
        raise ValueError(f"`mi` must have at least 2 codes (rows) for a gap, got shape {mi.shape}")
    if mi.shape[1] == 0:
        raise ValueError(f"`mi` must have at least one factor (column), got shape {mi.shape}")
    if h.ndim != 1 or h.shape[0] != mi.shape[1]:
        raise ValueError(f"`factor_entropies` must have shape ({mi.shape[1]},) (one per column of `mi`), "
                         f"got {h.shape}")
    if not (np.all(np.isfinite(mi)) and np.all(np.isfinite(h))):
        raise ValueError("`mi` and `factor_entropies` must be finite")
    if np.any(h < 0):
        raise ValueError(f"`factor_entropies` must be non-negative, got minimum {h.min()}")
    idx = list(range(mi.shape[1])) if factors is None else _check_index_list(factors, mi.shape[1])
    top2 = -np.sort(-mi[:, idx], axis=0)[:2]
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(h[idx] > 0, (top2[0] - top2[1]) / h[idx], np.nan)
    score = float(np.mean(per[np.isfinite(per)])) if np.any(np.isfinite(per)) else float("nan")
    return score, per


# ---------------------------------------------------------------------- clustering
def _labels_1d(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"`{name}` must hold integers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-dimensional, got shape {arr.shape} ({arr.ndim}-D)")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty")
    return arr


def normalized_mutual_information(pred, labels) -> float:
    r"""NMI of a clustering, arithmetic-mean normalisation (scikit-learn's default).

    .. math:: \mathrm{NMI} = \frac{2\, I(\text{pred}; \text{labels})}{H(\text{pred}) + H(\text{labels})}

    Invariant to renaming clusters or classes: 1 for a clustering that matches the classes up to
    relabelling, ~0 for independent labels. Both constant gives 1 (the two partitions are
    identical), as in scikit-learn.

    Parameters
    ----------
    pred : integer array_like, shape (N,)
        Cluster of each sample (any integer values).
    labels : integer array_like, shape (N,)
        Class of each sample.

    Returns
    -------
    float in [0, 1]
    """
    pred = _labels_1d(pred, "pred")
    labels = _labels_1d(labels, "labels")
    if pred.shape != labels.shape:
        raise ValueError(f"`pred` and `labels` must have the same length, got {pred.size} and {labels.size}")
    a = np.unique(pred, return_inverse=True)[1].reshape(-1)
    b = np.unique(labels, return_inverse=True)[1].reshape(-1)
    ha, hb = _entropy_of_codes(a), _entropy_of_codes(b)
    if ha == 0.0 and hb == 0.0:
        return 1.0
    i = float(mutual_information(_joint_table(a, b), normalize=True))
    # I <= min(H_a, H_b) exactly; rounding may exceed it by ~1e-16, so clip into [0, 1].
    return float(min(max(2.0 * i / (ha + hb), 0.0), 1.0))


# --------------------------------------------------------------- codes from Q
def code_names(latent: LatentSpec) -> list[str]:
    """Names of the structured codes: ``c1 .. c{n_categorical}`` then the continuous ones."""
    if not isinstance(latent, LatentSpec):
        raise TypeError(f"`latent` must be a LatentSpec, got {type(latent).__name__}")
    return [f"c{i + 1}" for i in range(latent.n_categorical + latent.continuous)]


def codes_from_q(q_out: np.ndarray, latent: LatentSpec):
    """Q's point estimate of each code from Q's raw outputs.

    Parameters
    ----------
    q_out : ndarray, shape (N, latent.q_output_dim)
        Q's outputs (categorical logits, continuous means, continuous log-stds).
    latent : LatentSpec

    Returns
    -------
    values : ndarray of float64, shape (N, n_categorical + continuous)
        The argmax of each categorical head (as a float), then the mean of each continuous code.
    names : list of str
        ``["c1", "c2", ...]`` in the same order.
    """
    names = code_names(latent)
    check_float_array(q_out, "q_out", ndim=2)
    if q_out.shape[1] != latent.q_output_dim:
        raise ValueError(f"`q_out` must have {latent.q_output_dim} columns for this latent layout, "
                         f"got shape {q_out.shape}")
    logits, mean, _ = latent.split_q(q_out)
    cols = [np.argmax(lg, axis=1).astype(np.float64) for lg in logits]
    cols += [mean[:, j].astype(np.float64) for j in range(latent.continuous)]
    values = np.column_stack(cols) if cols else np.zeros((q_out.shape[0], 0))
    return values, names


def code_values(nets: InfoGANNets, images: np.ndarray, batch_size: int = 500):
    """Q's code estimates on real ``images`` (networks in evaluation mode).

    Parameters
    ----------
    nets : InfoGANNets
    images : ndarray, shape (N, 1, 28, 28)
        float32/float64 images in [0, 1].
    batch_size : int
        Images per forward pass.

    Returns
    -------
    values : ndarray of float64, shape (N, n_codes)
    names : list of str
        See :func:`codes_from_q`.
    """
    if not isinstance(nets, InfoGANNets):
        raise TypeError(f"`nets` must be an InfoGANNets, got {type(nets).__name__}")
    check_float_array(images, "images", ndim=4)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return codes_from_q(q_outputs(nets, images, batch_size=batch_size), nets.config.latent)


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
        acc = cluster_accuracy(pred, labels, n_clusters=lat.categorical[0],
                               n_classes=max(10, int(labels.max()) + 1))[0]
        nmi = normalized_mutual_information(pred, labels)
    return {
        "code_names": names, "factor_names": fnames, "mi": mi, "factor_entropies": h,
        "mi_normalized": mi_norm, "mig": score, "mig_style": style_score, "style_factors": style,
        "gaps": {f: float(g) for f, g in zip(fnames, per)}, "n_samples": int(values.shape[0]),
        "n_bins": n_bins, "cluster_accuracy": acc, "nmi": nmi,
        "class_rho": rho_cls, "class_agreement": agree, "classes": classes,
    }


_REPORT_KEYS = ("code_names", "factor_names", "mi", "factor_entropies")


def plot_mi_matrix(report: Mapping, path) -> Path:
    """Heat map of the MI matrix (codes x factors), saved as a PNG.

    Colours show ``I(c; v) / H(v)`` on a fixed [0, 1] scale (the fraction of each factor's
    entropy a code captures, so columns are comparable); each cell is annotated with the MI
    itself in nats. The title carries the MIG (all factors, and rotation/width when present).

    Parameters
    ----------
    report : mapping
        A :func:`factor_report` result (at least ``code_names``, ``factor_names``, ``mi``,
        ``factor_entropies``; ``mig`` and ``mig_style`` are shown when present).
    path : str or Path
        Where to write the PNG (parent folders are created).

    Returns
    -------
    Path
    """
    if not isinstance(report, Mapping):
        raise TypeError(f"`report` must be a dict from factor_report, got {type(report).__name__}")
    missing = [k for k in _REPORT_KEYS if k not in report]
    if missing:
        raise ValueError(f"`report` lacks the keys {missing}; pass the dict returned by factor_report")
    mi = np.asarray(report["mi"], dtype=np.float64)
    h = np.asarray(report["factor_entropies"], dtype=np.float64)
    codes, fnames = list(report["code_names"]), list(report["factor_names"])
    if mi.shape != (len(codes), len(fnames)) or h.shape != (len(fnames),):
        raise ValueError(f"`report`: `mi` has shape {mi.shape} and `factor_entropies` {h.shape}, expected "
                         f"({len(codes)}, {len(fnames)}) and ({len(fnames)},) from the names")
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = np.where(h > 0, mi / h, 0.0)

    from npgan.figures import pyplot, save_figure  # pyplot: the one place that selects Agg
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.3 * len(fnames) + 2.4, 0.6 * len(codes) + 1.9), dpi=110)
    im = ax.imshow(norm, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(len(codes)):
        for j in range(len(fnames)):
            ax.text(j, i, f"{mi[i, j]:.2f}", ha="center", va="center", fontsize=9,
                    color="black" if norm[i, j] > 0.6 else "white")
    ax.set_xticks(range(len(fnames)))
    ax.set_xticklabels([f"{f}\nH={hj:.2f}" for f, hj in zip(fnames, h)], fontsize=8)
    ax.set_yticks(range(len(codes)))
    ax.set_yticklabels(codes)
    ax.set_xlabel("true factor (H in nats)")
    ax.set_ylabel("inferred code")
    cbar = fig.colorbar(im, ax=ax)
    cbar.set_label("I(code; factor) / H(factor)", fontsize=8)
    title = "I(code; factor), nats"
    score = report.get("mig")
    if score is not None:
        title += f"   MIG = {float(score):.3f}"
        style = report.get("mig_style")
        if style is not None and np.isfinite(style):
            title += f" ({'+'.join(report.get('style_factors', STYLE_FACTORS))}: {float(style):.3f})"
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)
