"""Elementwise activations: :class:`ReLU`, :class:`LeakyReLU`, :class:`Sigmoid`, :class:`Tanh`.

No parameters; any float dtype and shape (the output keeps both). The layers call
the numba kernels of :mod:`npgan.kernels` and cache only what the derivative needs
(the input for ReLU/LeakyReLU, the output for Sigmoid/Tanh). Slow twins of the kernels:
:func:`npgan.kernels.reference.activation_forward`, ``activation_backward`` (from the input) and
``activation_backward_from_output``.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_real
from ..kernels import activation_backward, activation_forward
from ..kernels.layout import dense
from .module import Module, check_dy, check_input


class _Activation(Module):
    kind = ""
    _needs_x = True

    def __init__(self) -> None:
        super().__init__()
        self.slope = 0.0

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = type(self).__name__
        check_input(x, "x", ndim=tuple(range(1, 33)), dtype=None, layer=name)
        x = dense(x)                   # C-contiguous or any other dense layout, kept
        y = activation_forward(self.kind, x, self.slope)
        self._save_for_backward((x if self._needs_x else None, None if self._needs_x else y,
                                 y.shape, y.dtype))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Return dx = dy · f'(x) (shape and dtype of the input)."""
        x, y, shape, dtype = self._pending_cache()
        check_dy(dy, shape, dtype, type(self).__name__)
        self._clear_cache()
        if not need_dx:
            return None
        return activation_backward(self.kind, dy, x, y, self.slope)


class ReLU(_Activation):
    """``max(x, 0)``; derivative 1 for x > 0, else 0."""

    kind = "relu"


class LeakyReLU(_Activation):
    """``x`` for x > 0, ``slope · x`` otherwise.

    Parameters
    ----------
    slope : float
        Negative-side slope (default 0.01 as PyTorch; the InfoGAN code uses 0.1).
    """

    kind = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = check_real(slope, "slope")

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``, computed without overflow; derivative y (1 - y)."""

    kind = "sigmoid"
    _needs_x = False


class Tanh(_Activation):
    """``tanh(x)``; derivative 1 - y²."""

    kind = "tanh"
    _needs_x = False
