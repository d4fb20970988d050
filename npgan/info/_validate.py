"""Input checks shared by the information-theory functions.

Probability arrays are accepted as any real array-like. float32 and float64
arrays keep their dtype; anything else real (lists, integers) becomes float64.
A table must sum to 1 within :func:`sum_tolerance` of its dtype; nothing is
renormalised silently (``normalize=True`` asks for it explicitly).
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import FLOAT_DTYPES, check_real


def sum_tolerance(dtype) -> float:
    """Tolerance on ``|sum(p) - 1|`` for probability tables of ``dtype``.

    It is ``sqrt(eps)`` of the dtype: about ``1.5e-8`` for float64 and
    ``3.5e-4`` for float32. That absorbs the rounding of a normalisation
    (a few ulps) and of printed probabilities with many digits, but rejects a
    table that is genuinely not normalised.

    >>> sum_tolerance(np.float64) < 2e-8
    True
    """
    return float(np.sqrt(np.finfo(dtype).eps))


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a float32/float64 array (other real input becomes float64)."""
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.dtype in FLOAT_DTYPES:
        return arr
    if arr.dtype.kind in "iuf":  # integers and other float widths
        return arr.astype(np.float64)
    raise TypeError(f"`{name}` must be an array of real numbers, got dtype {arr.dtype}")


def check_shape_ndim(arr: np.ndarray, name: str, *, ndim: int | None = None, min_ndim: int = 1) -> None:
    """ValueError unless ``arr`` has the wanted dimensionality and no empty axis."""
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-dimensional, got shape {arr.shape} ({arr.ndim}-D)")
    if arr.ndim < min_ndim:
        raise ValueError(f"`{name}` must be at least {min_ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")


def check_probabilities(x, name: str, *, ndim: int | None = None, min_ndim: int = 1,
                        table: bool = False, normalize: bool = False,
                        check_sum: bool = True) -> np.ndarray:
    """Validate a probability array and return it as float32/float64.

    Parameters
    ----------
    x : array_like
        Probabilities. Distributions lie along the last axis, or, with
        ``table=True``, the whole array is one joint distribution.
    name : str
        Parameter name used in error messages.
    ndim, min_ndim : int
        Exact / minimum dimensionality.
    table : bool
        Sum over all axes instead of the last one.
    normalize : bool
        Divide by the sum instead of requiring it to be 1 (the sum must be > 0).
    check_sum : bool
        If False, only check ``0 <= x <= 1`` elementwise (single probabilities).
    """
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"`normalize` must be a bool, got {type(normalize).__name__} {normalize!r}")
    p = as_float_array(x, name)
    check_shape_ndim(p, name, ndim=ndim, min_ndim=min_ndim)
    if not np.all(np.isfinite(p)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(p))[0])
        raise ValueError(f"`{name}` must be finite, got {p[bad]} at index {bad}")
    if np.any(p < 0):
        raise ValueError(f"`{name}` must be non-negative, got minimum {p.min()}")
    if not check_sum:
        if np.any(p > 1):
            raise ValueError(f"`{name}` must hold probabilities in [0, 1], got maximum {p.max()}")
        return p
    axis = None if table else -1
    where = "in total" if table else "along the last axis"
    s = p.sum(axis=axis, keepdims=True)
    if normalize:
        if np.any(s == 0):
            raise ValueError(f"`{name}` cannot be normalised: it sums to 0 {where}")
        return p / s
    tol = sum_tolerance(p.dtype)
    dev = np.abs(s - 1)
    if np.any(dev > tol):
        worst = float(s.ravel()[int(np.argmax(dev))])
        raise ValueError(
            f"`{name}` must sum to 1 {where} (within {tol:.1e}), got sum {worst!r}; "
            "pass normalize=True to divide by the sum")
    return p


def log_base(base) -> float | None:
    """Return ``log(base)``, or None for nats (``base=None``).

    ``base`` must be a finite real > 0 and != 1.
    """
    if base is None:
        return None
    b = check_real(base, "base", minimum=0.0, strict_min=True)
    if b == 1.0:
        raise ValueError("`base` must not be 1 (log 1 = 0), got 1.0")
    return math.log(b)


def in_base(value, lb: float | None):
    """Convert a value in nats to the base whose log is ``lb`` (None: nats)."""
    return value if lb is None else value / lb


def scalar(value):
    """A 0-d array as a NumPy scalar of the same dtype; arrays unchanged."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value
