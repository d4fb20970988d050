"""Fused elementwise activation kernels: relu, leaky_relu, sigmoid, tanh.

Each kind has its own forward and backward kernel over the flattened array
(one pass, one output allocation; NumPy would need several passes and
temporaries, e.g. ``np.where(x > 0, dy, slope * dy)``).

Conventions (as PyTorch): ``relu'(0) = 0``, ``leaky_relu'(0) = slope``. NaN
inputs propagate (the selects are written as ``0 if v < 0 else v``, which
keeps NaN, not ``v if v > 0 else 0``, which would hide it). Sigmoid is
evaluated as ``1 / (1 + e)`` or ``e / (1 + e)`` with ``e = exp(-|x|)``, which
never overflows. The backward of sigmoid and tanh uses the forward output
``y``; relu and leaky relu use the input ``x``.

The slope and the constants 0 and 1 are passed in already cast to the array
dtype: numba types a bare literal as int64 and int64 with float32 promotes to
float64, which would silently compute float32 activations in float64.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import njit_parallel


@njit_parallel
def _relu_fwd(x, zero, y):
    for i in prange(x.size):
        v = x[i]
        y[i] = zero if v < 0 else v


@njit_parallel
def _leaky_fwd(x, slope, y):
    for i in prange(x.size):
        v = x[i]
        y[i] = v * slope if v < 0 else v


@njit_parallel
def _sigmoid_fwd(x, one, y):
    for i in prange(x.size):
        v = x[i]
        e = math.exp(-abs(v))
        r = one / (one + e)
        y[i] = r if v >= 0 else e * r


@njit_parallel
def _tanh_fwd(x, y):
    for i in prange(x.size):
        y[i] = math.tanh(x[i])


@njit_parallel
def _relu_bwd(dy, x, zero, dx):
    for i in prange(x.size):
        dx[i] = dy[i] if x[i] > 0 else zero


@njit_parallel
def _leaky_bwd(dy, x, slope, dx):
    for i in prange(x.size):
        g = dy[i]
        dx[i] = g if x[i] > 0 else g * slope


@njit_parallel
def _sigmoid_bwd(dy, y, one, dx):
    for i in prange(y.size):
        v = y[i]
        dx[i] = dy[i] * (v * (one - v))


@njit_parallel
def _tanh_bwd(dy, y, one, dx):
    for i in prange(y.size):
        v = y[i]
        dx[i] = dy[i] * (one - v * v)


#: The activation kinds the kernels implement.
KINDS = ("relu", "leaky_relu", "sigmoid", "tanh")


def activation_forward(kind, x, slope=0.01):
    """Apply an activation elementwise. Unvalidated.

    Parameters
    ----------
    kind : {"relu", "leaky_relu", "sigmoid", "tanh"}
    x : ndarray, any shape, C-contiguous, float32 or float64
    slope : float
        Negative-side slope of ``leaky_relu`` (ignored otherwise).

    Returns
    -------
    y : ndarray, shape and dtype of ``x``
    """
    t = x.dtype.type
    y = np.empty_like(x)
    xf, yf = x.reshape(-1), y.reshape(-1)
    if kind == "relu":
        _relu_fwd(xf, t(0), yf)
    elif kind == "leaky_relu":
        _leaky_fwd(xf, t(slope), yf)
    elif kind == "sigmoid":
        _sigmoid_fwd(xf, t(1), yf)
    else:
        _tanh_fwd(xf, yf)
    return y


def activation_backward(kind, dy, x, y, slope=0.01):
    """``dx = dy * f'(x)``. Unvalidated.

    Parameters
    ----------
    kind : {"relu", "leaky_relu", "sigmoid", "tanh"}
    dy : ndarray, C-contiguous, shape and dtype of the forward input
    x : ndarray or None
        Forward input; needed for relu and leaky_relu (may be None otherwise).
    y : ndarray or None
        Forward output; needed for sigmoid and tanh (may be None otherwise).
    slope : float
        Negative-side slope of ``leaky_relu``.

    Returns
    -------
    dx : ndarray, shape and dtype of ``dy``
    """
    t = dy.dtype.type
    dx = np.empty_like(dy)
    dyf, dxf = dy.reshape(-1), dx.reshape(-1)
    if kind == "relu":
        _relu_bwd(dyf, x.reshape(-1), t(0), dxf)
    elif kind == "leaky_relu":
        _leaky_bwd(dyf, x.reshape(-1), t(slope), dxf)
    elif kind == "sigmoid":
        _sigmoid_bwd(dyf, y.reshape(-1), t(1), dxf)
    else:
        _tanh_bwd(dyf, y.reshape(-1), t(1), dxf)
    return dx
