"""Argument checks shared by every public function.

Errors follow one convention: ``TypeError`` for a wrong type, ``ValueError``
for a wrong value or shape, ``RuntimeError`` for a wrong call order. Every
message names the parameter and shows what was received. Kernels never call
these; the public functions that call kernels do.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integral number in [``minimum``, ``maximum``]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {value}")
    return value


def check_real(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
               strict_min: bool = False, finite: bool = True) -> float:
    """Return ``value`` as Python ``float`` after checking type and range.

    A Python float is returned on purpose: NumPy 2 promotes ``float32 array *
    np.float64 scalar`` to float64, so hyperparameters must stay Python floats.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if finite and not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}")
    if minimum is not None:
        if strict_min and not value > minimum:
            raise ValueError(f"`{name}` must be > {minimum}, got {value}")
        if not strict_min and not value >= minimum:
            raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    if maximum is not None and not value <= maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {value}")
    return value


def check_float_array(x, name: str, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Check that ``x`` is a float32/float64 ndarray of the given ndim; return it unchanged."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"`{name}` must have dtype float32 or float64, got {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"`{name}` must be {want}-dimensional, got shape {x.shape} ({x.ndim}-D)")
    return x


def check_generator(rng, name: str = "rng") -> np.random.Generator:
    """Check that ``rng`` is a ``numpy.random.Generator`` (never the global state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`{name}` must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng
