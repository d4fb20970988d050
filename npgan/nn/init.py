"""Weight initialisers. Every function fills an array in place and returns it.

Randomness only comes from the ``rng`` passed in. Samples are drawn directly in
the array's dtype (float32 stays float32).

Schemes used by the layers' ``init=`` argument (:func:`init_layer_`):

``"normal"`` (default)
    weight ~ N(0, init_std²), bias = 0 — the InfoGAN code's initialisation.
``"truncated_normal"``
    as ``"normal"`` but samples beyond 2 std are redrawn (TensorFlow's ``truncated_normal``).
``"kaiming_uniform"``
    PyTorch's default for Linear/Conv layers: weight ~ U(-b, b) with
    b = sqrt(6 / ((1 + a²) fan_in)), a = sqrt(5), i.e. b = 1/sqrt(fan_in); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_generator, check_real

SCHEMES = ("normal", "truncated_normal", "kaiming_uniform")


def _check_array(arr, name: str = "arr") -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray, got {type(arr).__name__}")
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"`{name}` must have dtype float32 or float64, got {arr.dtype}")
    return arr


def zeros_(arr: np.ndarray) -> np.ndarray:
    """Fill ``arr`` with 0."""
    _check_array(arr).fill(0)
    return arr


def ones_(arr: np.ndarray) -> np.ndarray:
    """Fill ``arr`` with 1."""
    _check_array(arr).fill(1)
    return arr


def constant_(arr: np.ndarray, value: float) -> np.ndarray:
    """Fill ``arr`` with ``value``."""
    _check_array(arr).fill(check_real(value, "value"))
    return arr


def normal_(arr: np.ndarray, std: float, rng: np.random.Generator, mean: float = 0.0) -> np.ndarray:
    """Fill ``arr`` with samples of N(mean, std²)."""
    _check_array(arr)
    std = check_real(std, "std", minimum=0.0)
    mean = check_real(mean, "mean")
    check_generator(rng)
    if arr.flags.c_contiguous:
        rng.standard_normal(arr.shape, dtype=arr.dtype, out=arr)
    else:
        arr[...] = rng.standard_normal(arr.shape, dtype=arr.dtype)
    arr *= std
    arr += mean
    return arr


def truncated_normal_(arr: np.ndarray, std: float, rng: np.random.Generator, mean: float = 0.0) -> np.ndarray:
    """Fill ``arr`` with N(mean, std²) samples, redrawing any farther than 2 std from the mean.

    Same distribution as TensorFlow's ``tf.truncated_normal``.
    """
    _check_array(arr)
    std = check_real(std, "std", minimum=0.0)
    mean = check_real(mean, "mean")
    check_generator(rng)
    z = rng.standard_normal(arr.shape, dtype=arr.dtype)
    bad = np.abs(z) > 2.0
    while bad.any():  # ~4.6% redrawn per round, so a handful of rounds at most
        z[bad] = rng.standard_normal(int(bad.sum()), dtype=arr.dtype)
        bad = np.abs(z) > 2.0
    arr[...] = z
    arr *= std
    arr += mean
    return arr


def uniform_(arr: np.ndarray, low: float, high: float, rng: np.random.Generator) -> np.ndarray:
    """Fill ``arr`` with samples of U(low, high)."""
    _check_array(arr)
    low = check_real(low, "low")
    high = check_real(high, "high")
    if not high >= low:
        raise ValueError(f"`high` must be >= `low`, got low={low}, high={high}")
    check_generator(rng)
    arr[...] = rng.uniform(low, high, arr.shape)
    return arr


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` computed as PyTorch does.

    ``fan_in = shape[1] * receptive``, ``fan_out = shape[0] * receptive`` with
    ``receptive = prod(shape[2:])``. (For a ConvTranspose2d weight (C_in, C_out, kH, kW)
    this gives PyTorch's fan_in = C_out·kH·kW.)
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"`shape` must have at least 2 dimensions for fan computation, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def kaiming_uniform_(arr: np.ndarray, rng: np.random.Generator, a: float = math.sqrt(5.0)) -> np.ndarray:
    """He-uniform init as PyTorch's ``kaiming_uniform_`` (leaky-ReLU gain, fan_in mode).

    With the default ``a = sqrt(5)`` this is PyTorch's default Linear/Conv weight init:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """
    _check_array(arr)
    a = check_real(a, "a", minimum=0.0)
    fan_in, _ = fan_in_and_fan_out(arr.shape)
    gain = math.sqrt(2.0 / (1.0 + a * a))
    bound = gain * math.sqrt(3.0 / fan_in)
    return uniform_(arr, -bound, bound, rng)


def init_layer_(weight: np.ndarray, bias: np.ndarray | None, *, scheme: str, std: float,
                rng: np.random.Generator) -> None:
    """Initialise a layer's ``weight`` (and ``bias`` if not None) with the named scheme.

    Parameters
    ----------
    weight : ndarray, at least 2-D
        Linear (out, in), Conv2d (C_out, C_in, kH, kW) or ConvTranspose2d (C_in, C_out, kH, kW).
    bias : ndarray or None
    scheme : {"normal", "truncated_normal", "kaiming_uniform"}
    std : float
        Standard deviation of the (truncated) normal schemes; unused by ``"kaiming_uniform"``.
    rng : numpy.random.Generator
    """
    if scheme == "normal":
        normal_(weight, std, rng)
        if bias is not None:
            zeros_(bias)
    elif scheme == "truncated_normal":
        truncated_normal_(weight, std, rng)
        if bias is not None:
            zeros_(bias)
    elif scheme == "kaiming_uniform":
        kaiming_uniform_(weight, rng)
        if bias is not None:
            fan_in, _ = fan_in_and_fan_out(weight.shape)
            bound = 1.0 / math.sqrt(fan_in)
            uniform_(bias, -bound, bound, rng)
    else:
        raise ValueError(f"`init` must be one of {SCHEMES}, got {scheme!r}")
