"""Checked mode: a NaN or an infinity is stopped where it first appears, with the layer's name.

Outside checked mode nothing is checked (layers and losses pass NaN/inf through, as NumPy does).
Inside ``with checked_mode(...)`` the containers and the losses check what flows through them:
:class:`~npgan.nn.Sequential` checks the input of each child before its forward, its own output,
the upstream gradient of each child before its backward and the input gradient it returns; the
losses check their inputs. The first non-finite array raises :class:`NonFiniteError`, naming the
layer (``G.3 (Linear)``) and the layer that produced the values.

The switch is per thread (training runs in worker threads of a sweep), and the check costs one
``sum`` per array: a sum is NaN or infinite whenever an element is, so a finite sum proves the
array finite; only a non-finite sum (which a float32 overflow of large finite values can also
give) is confirmed element by element.

Example::

    with checked_mode(nets.modules()):      # {"G": ..., "trunk": ...} names the layers
        trainer.update(batch)               # NonFiniteError: "... the forward input of G.3 (Linear) ..."
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import contextmanager

import numpy as np

__all__ = ["NonFiniteError", "checked_mode", "is_checked", "verify_finite", "describe_module"]

_local = threading.local()


class NonFiniteError(FloatingPointError):
    """A NaN or an infinity reached a layer or a loss in checked mode; the message says where."""


def is_checked() -> bool:
    """Whether this thread is in checked mode."""
    return getattr(_local, "names", None) is not None


@contextmanager
def checked_mode(named: Mapping | None = None, enabled: bool = True):
    """Check every array flowing through containers and losses in this thread (``enabled=False``: don't).

    Parameters
    ----------
    named : mapping of str to Module, optional
        The networks by name (e.g. ``InfoGANNets.modules()``), so messages say ``trunk.3`` rather
        than ``3``. Modules not reachable from them are named by their type only.
    enabled : bool
        False makes the block unchecked (so a caller can check a sample of its steps).
    """
    previous = getattr(_local, "names", None)
    names = None
    if enabled:
        names = {}
        for root, module in (named or {}).items():
            for sub, mod in module.named_modules(root):
                names[id(mod)] = sub
    _local.names = names
    try:
        yield
    finally:
        _local.names = previous


def describe_module(module) -> str:
    """``"G.3 (Linear)"`` in checked mode with named networks, else the type name."""
    names = getattr(_local, "names", None) or {}
    name = names.get(id(module))
    return f"{name} ({type(module).__name__})" if name else type(module).__name__


def _count(x: np.ndarray) -> str | None:
    """None if ``x`` is finite, else how many NaN and infinite values it holds."""
    if not np.issubdtype(x.dtype, np.inexact) or x.size == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(x, axis=None)):
            return None
    nan = int(np.count_nonzero(np.isnan(x)))
    inf = int(np.count_nonzero(np.isinf(x)))
    if nan == 0 and inf == 0:
        return None  # the sum overflowed, the values are finite
    return f"{nan} NaN and {inf} inf among {x.size} values"


def verify_finite(x: np.ndarray, where: Callable[[], str]) -> None:
    """In checked mode, raise :class:`NonFiniteError` if ``x`` holds NaN or inf.

    ``where()`` (called only on failure) says which array it is, e.g. ``"the forward input of G.3 (Linear)"``.
    """
    if getattr(_local, "names", None) is None or not isinstance(x, np.ndarray):
        return
    found = _count(x)
    if found is not None:
        raise NonFiniteError(f"non-finite values in {where()}: {found}")
