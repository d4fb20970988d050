"""The :class:`Sequential` container."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .activations import _Activation
from .checked import describe_module, is_checked, verify_finite
from .module import Module
from .shape import Flatten, Reshape

#: layers whose output (and input gradient) is finite whenever their input (and upstream gradient)
#: is: ReLU, leaky ReLU, sigmoid and tanh of a finite value are finite, and so are their derivatives
#: times a finite gradient; reshapes move values. What they pass on is not checked again.
_KEEP_FINITE = (_Activation, Flatten, Reshape)


class Sequential(Module):
    """Chain of modules applied in order; children are named ``"0"``, ``"1"``, ...

    ``backward`` runs the children's backward passes in reverse order. Each child keeps
    its own one-slot cache (see :class:`~npgan.nn.Module`), so the two-batch and shared-trunk
    recipes apply to a ``Sequential`` as to any module.

    In checked mode (:func:`npgan.nn.checked.checked_mode`) the forward pass checks the input of
    each child and its own output, the backward pass the upstream gradient of each child and the
    input gradient it returns, and a NaN or an infinity raises
    :class:`~npgan.nn.checked.NonFiniteError` naming the child that received it and the one that
    produced it. What an activation or a reshape passes on is not checked again (it cannot turn
    finite values into non-finite ones). The layers' own files hold no such checks.

    Parameters
    ----------
    *layers : Module
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a npgan.nn.Module, got {type(layer).__name__}")
            self.add_module(str(i), layer)

    def __len__(self) -> int:
        return len(self._children)

    def __getitem__(self, index: int) -> Module:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} index must be an int, got {type(index).__name__}")
        n = len(self._children)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__} index {index} out of range for {n} layers")
        return self._children[str(int(index) % n)]

    def append(self, layer: Module) -> Sequential:
        """Add ``layer`` at the end; return self."""
        self.add_module(str(len(self._children)), layer)
        return self

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._children.values()))

    def forward(self, x: np.ndarray) -> np.ndarray:
        if is_checked():
            return self._forward_checked(x)
        for layer in self._children.values():
            x = layer(x)
        return x

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Backpropagate through the children in reverse order."""
        layers = list(self._children.values())
        checked = is_checked()
        for i in range(len(layers) - 1, -1, -1):
            if checked and not (i + 1 < len(layers) and isinstance(layers[i + 1], _KEEP_FINITE)):
                verify_finite(dy, lambda: self._where(layers, i, "the upstream gradient of", +1))
            if i == 0 and not need_dx:
                dy = layers[0].backward(dy, need_dx=False)
            else:
                dy = layers[i].backward(dy)
        if checked and need_dx and layers and not isinstance(layers[0], _KEEP_FINITE):
            verify_finite(dy, lambda: f"the input gradient returned by {describe_module(layers[0])}")
        return dy if need_dx else None

    def _forward_checked(self, x: np.ndarray) -> np.ndarray:
        layers = list(self._children.values())
        for i, layer in enumerate(layers):
            if not (i and isinstance(layers[i - 1], _KEEP_FINITE)):
                verify_finite(x, lambda: self._where(layers, i, "the forward input of", -1))
            x = layer(x)
        if layers and not isinstance(layers[-1], _KEEP_FINITE):
            verify_finite(x, lambda: f"the forward output of {describe_module(layers[-1])}")
        return x

    def _where(self, layers: list[Module], i: int, what: str, step: int) -> str:
        """Which array failed: child ``i``'s input (or upstream gradient), and who produced it."""
        j = i + step
        source = (f"produced by {describe_module(layers[j])}" if 0 <= j < len(layers)
                  else f"given to {describe_module(self)} by its caller")
        return f"{what} {describe_module(layers[i])}, {source}"

    @property
    def has_pending_forward(self) -> bool:
        """Whether the last layer holds a forward cache waiting for its backward."""
        return bool(self._children) and list(self._children.values())[-1].has_pending_forward
