"""Shape-only layers: :class:`Flatten` and :class:`Reshape` (no parameters)."""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_int
from ..kernels.layout import as_batch_inner, is_batch_inner, reshape_samples
from .module import Module, check_dy, check_input


def _reshape_back(layer: Module, dy: np.ndarray, need_dx: bool, name: str) -> np.ndarray | None:
    """A reshaping layer's backward: ``dy`` to the input shape, in the input's layout."""
    in_shape, out_shape, dtype, inner = layer._pending_cache()
    check_dy(dy, out_shape, dtype, name)
    layer._clear_cache()
    if not need_dx:
        return None
    return reshape_samples(as_batch_inner(dy) if inner else dy, in_shape[1:])


class Flatten(Module):
    """Flatten every axis but the batch axis: (N, d1, d2, ...) -> (N, d1·d2·...).

    Works on any float dtype. The output is a view when the input is C-contiguous or batch-inner
    (:mod:`npgan.kernels.layout`: then the transposed view of its ``(D, N)`` memory, which the
    next Linear layer's GEMM reads as it is); the input gradient has the input's layout.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input(x, "x", ndim=tuple(range(1, 33)), dtype=None, layer="Flatten")
        y = reshape_samples(x, (-1,))
        self._save_for_backward((x.shape, y.shape, x.dtype, is_batch_inner(x)))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Reshape ``dy`` (N, D) back to the input shape, in the input's layout."""
        return _reshape_back(self, dy, need_dx, "Flatten")


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
        y = reshape_samples(x, self.shape)
        self._save_for_backward((x.shape, y.shape, x.dtype, is_batch_inner(x)))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Reshape ``dy`` (N, *shape) back to the input shape, in the input's layout."""
        return _reshape_back(self, dy, need_dx, "Reshape")

    def extra_repr(self) -> str:
        return f"{self.shape}"
