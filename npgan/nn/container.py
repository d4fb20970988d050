"""The :class:`Sequential` container."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .module import Module


class Sequential(Module):
    """Chain of modules applied in order; children are named ``"0"``, ``"1"``, ...

    ``backward`` runs the children's backward passes in reverse order. Each child keeps
    its own one-slot cache (see :class:`~npgan.nn.Module`), so the two-batch and shared-trunk
    recipes apply to a ``Sequential`` as to any module.

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
        for layer in self._children.values():
            x = layer(x)
        return x

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Backpropagate through the children in reverse order."""
        layers = list(self._children.values())
        for i in range(len(layers) - 1, -1, -1):
            if i == 0 and not need_dx:
                dy = layers[0].backward(dy, need_dx=False)
            else:
                dy = layers[i].backward(dy)
        return dy if need_dx else None

    @property
    def has_pending_forward(self) -> bool:
        """Whether the last layer holds a forward cache waiting for its backward."""
        return bool(self._children) and list(self._children.values())[-1].has_pending_forward
