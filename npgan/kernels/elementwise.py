"""Fused elementwise activation kernels: relu, leaky_relu, sigmoid, tanh.

Each kind has its own forward and backward kernel over the flattened array
(one pass, one output allocation; NumPy would need several passes and
temporaries, e.g. ``np.where(x > 0, dy, slope * dy)``).

Exception: the transcendental functions. Without Intel SVML, numba calls
scalar libm ``expf``/``tanhf`` per element, while NumPy's ufuncs are SIMD:
on 1.6M float32 values ``math.tanh`` in numba took 23 ms, ``np.tanh`` 0.25 ms
(``exp``: 2.8 ms vs 0.5 ms). So tanh's forward is ``np.tanh`` and sigmoid's
forward computes ``exp(-|x|)`` with NumPy ufuncs in place and finishes in
one numba pass; the backward passes need no transcendental and stay fused.

Large arrays are cut into one contiguous part per thread of :mod:`.threads`'
pool (elementwise work: results do not depend on the thread count). The
kernels walk the arrays in memory order, so an activation keeps its input's
layout (:mod:`.layout`) and costs no transpose.

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

import numpy as np

from ._jit import njit
from .layout import dense, flat, like
from .threads import n_threads, parallel, split


@njit
def _relu_fwd(x, zero, y):
    for i in range(x.size):
        v = x[i]
        y[i] = zero if v < 0 else v


@njit
def _leaky_fwd(x, slope, y):
    for i in range(x.size):
        v = x[i]
        y[i] = v * slope if v < 0 else v


@njit
def _sigmoid_from_exp(x, one, y):
    """In place: ``y`` holds ``e = exp(-|x|)`` on entry, ``sigmoid(x)`` on exit.

    ``1 / (1 + e)`` where ``x >= 0``, else ``e / (1 + e)``: never overflows
    (``e <= 1``) and keeps full relative accuracy for very negative ``x``
    (unlike ``(1 + tanh(x/2)) / 2``). Reading and writing one array (rather
    than passing ``e`` and ``y`` as two aliasing arguments) lets LLVM prove
    the loop vectorisable; with two aliasing arguments it ran scalar, 5x slower.
    """
    for i in range(x.size):
        v = y[i]
        r = one / (one + v)
        y[i] = r if x[i] >= 0 else v * r


@njit
def _relu_bwd(dy, x, zero, dx):
    for i in range(x.size):
        dx[i] = dy[i] if x[i] > 0 else zero


@njit
def _leaky_bwd(dy, x, slope, dx):
    for i in range(x.size):
        g = dy[i]
        dx[i] = g if x[i] > 0 else g * slope


@njit
def _sigmoid_bwd(dy, y, one, dx):
    for i in range(y.size):
        v = y[i]
        dx[i] = dy[i] * (v * (one - v))


@njit
def _tanh_bwd(dy, y, one, dx):
    for i in range(y.size):
        v = y[i]
        dx[i] = dy[i] * (one - v * v)


#: The activation kinds the kernels implement.
KINDS = ("relu", "leaky_relu", "sigmoid", "tanh")

#: Arrays with fewer elements than this are done in one piece (a hand-off costs microseconds).
MIN_SPLIT_ELEMENTS = 1 << 16


def _in_parts(size, piece):
    """``piece(start, stop)`` over ``range(size)``: one part per pool thread, or one if small."""
    parts = split(size, n_threads() if size >= MIN_SPLIT_ELEMENTS else 1, align=16)
    parallel(lambda i: piece(*parts[i]), len(parts))


def _forward_part(kind, xf, slope, yf):
    t = xf.dtype.type
    if kind == "relu":
        _relu_fwd(xf, t(0), yf)
    elif kind == "leaky_relu":
        _leaky_fwd(xf, t(slope), yf)
    elif kind == "sigmoid":
        # exp in NumPy (SIMD), the rest fused in one numba pass, in place in y.
        np.abs(xf, out=yf)
        np.negative(yf, out=yf)
        np.exp(yf, out=yf)
        _sigmoid_from_exp(xf, t(1), yf)
    else:
        np.tanh(xf, out=yf)


def _backward_part(kind, dyf, xf, yf, slope, dxf):
    t = dyf.dtype.type
    if kind == "relu":
        _relu_bwd(dyf, xf, t(0), dxf)
    elif kind == "leaky_relu":
        _leaky_bwd(dyf, xf, t(slope), dxf)
    elif kind == "sigmoid":
        _sigmoid_bwd(dyf, yf, t(1), dxf)
    else:
        _tanh_bwd(dyf, yf, t(1), dxf)


def activation_forward(kind, x, slope=0.01):
    """Apply an activation elementwise. Unvalidated.

    Parameters
    ----------
    kind : {"relu", "leaky_relu", "sigmoid", "tanh"}
    x : ndarray, any shape, float32 or float64, dense (:func:`.layout.dense`: any axis order)
    slope : float
        Negative-side slope of ``leaky_relu`` (ignored otherwise).

    Returns
    -------
    y : ndarray, shape, dtype and memory layout of ``x``
    """
    x = dense(x)                       # a no-op for the layouts the layers pass
    y = np.empty_like(x)               # keeps x's axis order
    xf, yf = flat(x), flat(y)
    _in_parts(xf.size, lambda a, b: _forward_part(kind, xf[a:b], slope, yf[a:b]))
    return y


def activation_backward(kind, dy, x, y, slope=0.01):
    """``dx = dy * f'(x)``. Unvalidated.

    Parameters
    ----------
    kind : {"relu", "leaky_relu", "sigmoid", "tanh"}
    dy : ndarray, shape and dtype of the forward input (copied into its layout if it has another)
    x : ndarray or None
        Forward input; needed for relu and leaky_relu (may be None otherwise).
    y : ndarray or None
        Forward output; needed for sigmoid and tanh (may be None otherwise).
    slope : float
        Negative-side slope of ``leaky_relu``.

    Returns
    -------
    dx : ndarray, shape and dtype of ``dy``, memory layout of the forward input
    """
    x = None if x is None else dense(x)
    y = None if y is None else (dense(y) if x is None else like(y, x))   # all in one layout
    dy = like(dy, x if x is not None else y)
    dx = np.empty_like(dy)
    dyf, dxf = flat(dy), flat(dx)
    xf = None if x is None else flat(x)
    yf = None if y is None else flat(y)
    _in_parts(dyf.size, lambda a, b: _backward_part(kind, dyf[a:b], None if xf is None else xf[a:b],
                                                     None if yf is None else yf[a:b], slope, dxf[a:b]))
    return dx


def zero_fill(arrays) -> None:
    """Set every array of ``arrays`` to zero; large C-contiguous ones in one part per pool thread."""
    for a in arrays:
        if not a.flags.c_contiguous:
            a.fill(0)
            continue
        flat = a.reshape(-1)
        _in_parts(flat.size, lambda i, j: flat[i:j].fill(0))
