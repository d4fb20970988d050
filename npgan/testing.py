"""Numerical gradient checking for any :class:`npgan.nn.Module` (layer or network).

Central differences in float64: ``df/dx_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / (2ε)``,
with truncation error O(ε²) and rounding error O(1e-16 |f| / ε); ε = 1e-6 balances
them for O(1) values. Example::

    net = Sequential(Conv2d(1, 2, 3, rng=rng, dtype=np.float64, init="kaiming_uniform"),
                     ReLU(), Flatten())
    errors = check_gradients(net, rng.standard_normal((2, 1, 5, 5)), rng)
    assert max(errors.values()) < 1e-6

Caveats: the relative error is only meaningful for gradients of order 1. With tiny
weights (the default ``init_std=0.02``) gradients are tiny and the rounding noise of
the central difference (~1e-10 absolute) dominates, and a gradient that is exactly
zero (a bias followed by BatchNorm in training mode) reports pure noise. Scale the
weights up (e.g. ``init="kaiming_uniform"``) for a check. Inputs must stay away from
kinks (ReLU at 0) by more than ``eps``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import check_float_array, check_generator, check_real
from .nn.module import Module

__all__ = ["rel_error", "numerical_gradient", "numerical_partial", "check_gradients"]


def rel_error(a, b) -> float:
    """Relative error ``max|a - b| / max(1e-8, max(|a| + |b|))`` of two arrays of equal shape."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"`a` and `b` must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def _check_difference_args(f, x, eps) -> float:
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}")
    check_float_array(x, "x")
    if x.dtype != np.float64:
        raise TypeError(f"`x` must be float64 for central differences, got {x.dtype}")
    if not x.flags.writeable:
        raise ValueError("`x` must be writeable (it is perturbed in place)")
    return check_real(eps, "eps", minimum=0.0, strict_min=True)


def _central_difference(f, x: np.ndarray, idx: tuple, eps: float) -> float:
    orig = x[idx]
    x[idx] = orig + eps
    fp = float(f())
    x[idx] = orig - eps
    fm = float(f())
    x[idx] = orig  # restored exactly: the caller's array is unchanged afterwards
    return (fp - fm) / (2.0 * eps)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place one element at a time (so ``f`` may read it, or a
    parameter array aliased by it) and restored exactly afterwards.

    Parameters
    ----------
    f : callable () -> float
        Evaluates the scalar function at the current contents of ``x``.
    x : ndarray, float64, writeable
    eps : float > 0
        Step size.

    Returns
    -------
    ndarray, shape of ``x``, float64
    """
    eps = _check_difference_args(f, x, eps)
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        grad[it.multi_index] = _central_difference(f, x, it.multi_index, eps)
    return grad


def numerical_partial(f: Callable[[], float], x: np.ndarray, index, eps: float = 1e-6) -> float:
    """Central-difference derivative of the scalar ``f()`` with respect to the one element ``x[index]``.

    For spot checks of large parameter arrays, where a full :func:`numerical_gradient` would cost
    two evaluations of ``f`` per element. ``x[index]`` is perturbed in place and restored exactly.

    Parameters
    ----------
    f : callable () -> float
    x : ndarray, float64, writeable
    index : tuple of int, one per dimension of ``x``
    eps : float > 0

    Returns
    -------
    float
    """
    eps = _check_difference_args(f, x, eps)
    if (not isinstance(index, tuple) or len(index) != x.ndim
            or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index)):
        raise TypeError(f"`index` must be a tuple of {x.ndim} ints, got {index!r}")
    if not all(-n <= i < n for i, n in zip(index, x.shape)):
        raise ValueError(f"`index` {index} is out of bounds for shape {x.shape}")
    return _central_difference(f, x, tuple(int(i) for i in index), eps)


def check_gradients(module: Module, x: np.ndarray, rng: np.random.Generator,
                    eps: float = 1e-6) -> dict[str, float]:
    """Compare a module's backward pass with central differences.

    The loss is a random linear functional ``L = sum(module(x) * r)`` with ``r`` standard
    normal, so ``dL/dy = r``. The gradient with respect to the input and to every parameter
    is computed both ways in the module's current mode (training or evaluation).

    The module is left as found: parameters, gradients and buffers (BatchNorm running
    statistics, which training-mode forwards update) are restored, and no forward cache
    is left pending.

    Parameters
    ----------
    module : Module
        With float64 parameters.
    x : ndarray, float64
        Input batch (not modified).
    rng : numpy.random.Generator
        Draws ``r``.
    eps : float
        Central-difference step.

    Returns
    -------
    dict
        ``{"input": rel_error, "<dotted param name>": rel_error, ...}``.
    """
    if not isinstance(module, Module):
        raise TypeError(f"`module` must be a npgan.nn.Module, got {type(module).__name__}")
    check_float_array(x, "x")
    if x.dtype != np.float64:
        raise TypeError(f"`x` must be float64 for gradient checking, got {x.dtype}")
    check_generator(rng)
    eps = check_real(eps, "eps", minimum=0.0, strict_min=True)
    params = module.parameters()
    for name, p in params.items():
        if p.dtype != np.float64:
            raise TypeError(f"parameter `{name}` must be float64 for gradient checking, got {p.dtype} "
                            "(construct the module with dtype=np.float64)")
    grads = module.gradients()
    buffers = module.named_buffers()
    saved_grads = {k: g.copy() for k, g in grads.items()}
    saved_buffers = {k: b.copy() for k, b in buffers.items()}
    x = x.copy()

    def restore_buffers() -> None:
        for k, b in buffers.items():
            np.copyto(b, saved_buffers[k])

    try:
        y = module.forward(x)
        r = rng.standard_normal(y.shape)
        module.zero_grad()
        dx = module.backward(r)
        analytic = {"input": np.array(dx, dtype=np.float64, copy=True)}
        analytic.update({k: g.copy() for k, g in grads.items()})

        def loss() -> float:
            restore_buffers()
            return float(np.sum(module.forward(x) * r))

        errors = {"input": rel_error(analytic["input"], numerical_gradient(loss, x, eps))}
        for name, p in params.items():
            errors[name] = rel_error(analytic[name], numerical_gradient(loss, p, eps))
    finally:
        restore_buffers()
        for _, mod in module.named_modules():   # drop the caches the probing forwards left
            mod._clear_cache()
        for k, g in grads.items():
            np.copyto(g, saved_grads[k])
    return errors
