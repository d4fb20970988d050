"""A categorical code as a clustering of the true classes.

- :func:`cluster_accuracy`: unsupervised accuracy. Category indices are arbitrary, so each
  category is matched to one class by the Hungarian method (maximum total agreement, scipy's
  ``linear_sum_assignment``) before accuracy means anything.
- :func:`normalized_mutual_information`: NMI, arithmetic-mean normalisation (scikit-learn's default).

Both take ``(labels_true, labels_pred)``, scikit-learn's order.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from npgan.evaluation.factors import _entropy_of_codes, _joint_table
from npgan.info import mutual_information

__all__ = ["cluster_accuracy", "normalized_mutual_information"]


def cluster_accuracy(labels_true: np.ndarray, labels_pred: np.ndarray, n_classes: int | None = None,
                     n_clusters: int | None = None):
    """Accuracy of cluster assignments after the best one-to-one matching to classes.

    Arguments in scikit-learn's order: the true classes first, the clusters second.

    Parameters
    ----------
    labels_true : integer ndarray, shape (n,)
        True class of each sample.
    labels_pred : integer ndarray, shape (n,)
        Cluster index of each sample.
    n_classes, n_clusters : int, optional
        Number of classes and of clusters (default: the largest label + 1 of each).

    Returns
    -------
    accuracy : float
    mapping : dict[int, int]
        cluster -> matched class.
    confusion : ndarray, shape (n_classes, n_clusters)
        ``confusion[i, j]`` samples of class i in cluster j (rows: true classes, as scikit-learn's
        contingency matrix).
    """
    labels = np.asarray(labels_true)
    pred = np.asarray(labels_pred)
    if pred.shape != labels.shape or pred.ndim != 1:
        raise ValueError(f"`labels_true` and `labels_pred` must be 1-D of the same length, got "
                         f"{labels.shape} and {pred.shape}")
    if pred.size == 0:
        raise ValueError("`labels_pred` is empty")
    if not (np.issubdtype(pred.dtype, np.integer) and np.issubdtype(labels.dtype, np.integer)):
        raise TypeError(f"`labels_true` and `labels_pred` must hold integers, got {labels.dtype} and {pred.dtype}")
    k = int(n_clusters if n_clusters is not None else pred.max() + 1)
    m = int(n_classes if n_classes is not None else labels.max() + 1)
    confusion = np.zeros((m, k), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    classes, clusters = linear_sum_assignment(confusion, maximize=True)
    accuracy = confusion[classes, clusters].sum() / pred.size
    return float(accuracy), {int(c): int(r) for r, c in zip(classes, clusters)}, confusion


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


def normalized_mutual_information(labels_true, labels_pred) -> float:
    r"""NMI of a clustering, arithmetic-mean normalisation (scikit-learn's default).

    .. math:: \mathrm{NMI} = \frac{2\, I(\text{true}; \text{pred})}{H(\text{true}) + H(\text{pred})}

    Invariant to renaming clusters or classes: 1 for a clustering that matches the classes up to
    relabelling, ~0 for independent labels. Both constant gives 1 (the two partitions are
    identical), as in scikit-learn.

    Arguments in scikit-learn's order: the true classes first, the clusters second (NMI itself
    is symmetric).

    Parameters
    ----------
    labels_true : integer array_like, shape (N,)
        Class of each sample.
    labels_pred : integer array_like, shape (N,)
        Cluster of each sample (any integer values).

    Returns
    -------
    float in [0, 1]
    """
    labels = _labels_1d(labels_true, "labels_true")
    pred = _labels_1d(labels_pred, "labels_pred")
    if pred.shape != labels.shape:
        raise ValueError(f"`labels_true` and `labels_pred` must have the same length, got {labels.size} "
                         f"and {pred.size}")
    a = np.unique(pred, return_inverse=True)[1].reshape(-1)
    b = np.unique(labels, return_inverse=True)[1].reshape(-1)
    ha, hb = _entropy_of_codes(a), _entropy_of_codes(b)
    if ha == 0.0 and hb == 0.0:
        return 1.0
    i = float(mutual_information(_joint_table(a, b), normalize=True))
    # I <= min(H_a, H_b) exactly; rounding may exceed it by ~1e-16, so clip into [0, 1].
    return float(min(max(2.0 * i / (ha + hb), 0.0), 1.0))
