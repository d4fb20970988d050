r"""Code-by-factor information: how well Q's codes line up with known factors of variation.

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
- the categorical code as a clustering of the digit classes: :mod:`npgan.evaluation.clustering`;
  everything for trained networks on a :class:`SyntheticDigits` set:
  :func:`npgan.evaluation.factor_report.factor_report`; the heat map: :func:`npgan.figures.plot_mi_matrix`.

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
from collections.abc import Sequence

import numpy as np

from npgan._checks import check_int
from npgan.info import entropy, mutual_information

__all__ = ["discretize", "mutual_information_matrix", "mig"]


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
