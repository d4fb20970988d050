"""Shape-only layers: :class:`Flatten` and :class:`Reshape` (no parameters)."""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_int
from .module import Module, check_dy, check_input


class Flatten(Module):
    """Flatten every axis but the batch axis: (N, d1, d2, ...) -> (N, d1·d2·...).

    Works on any float dtype; the output is a view when the input is contiguous.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input(x, "x", ndim=tuple(range(1, 33)), dtype=None, layer="Flatten")
        y = x.reshape(x.shape[0], -1)
        self._save_for_backward((x.shape, y.shape, x.dtype))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Reshape ``dy`` (N, D) back to the input shape."""
        in_shape, out_shape, dtype = self._pending_cache()
        check_dy(dy, out_shape, dtype, "Flatten")
        self._clear_cache()
        return dy.reshape(in_shape) if need_dx else None


class Reshape(Module):
    """Reshape each sample: (N, ...) -> (N, *shape), e.g. ``Reshape((128, 7, 7))`` in a generator.

    Parameters
    ----------
    shape : tuple of int
        Per-sample output shape (without the batch axis); its size must equal the
        per-sample input size.
    """

    def __init__(self, shape) -> None:
        super().__init__()
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)) or len(shape) == 0:
            raise TypeError(f"`shape` must be a non-empty tuple of ints, got {shape!r}")
        self.shape = tuple(check_int(s, f"shape[{i}]", minimum=1) for i, s in enumerate(shape))
        self.size = math.prod(self.shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input(x, "x", ndim=tuple(range(1, 33)), dtype=None, layer="Reshape")
        per_sample = math.prod(x.shape[1:])
        if per_sample != self.size:
            raise ValueError(f"Reshape: `x` has {per_sample} values per sample (shape {x.shape}), "
                             f"cannot reshape to {self.shape} ({self.size} values)")
        y = x.reshape((x.shape[0],) + self.shape)
        self._save_for_backward((x.shape, y.shape, x.dtype))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Reshape ``dy`` (N, *shape) back to the input shape."""
        in_shape, out_shape, dtype = self._pending_cache()
        check_dy(dy, out_shape, dtype, "Reshape")
        self._clear_cache()
        return dy.reshape(in_shape) if need_dx else None

    def extra_repr(self) -> str:
        return f"{self.shape}"
