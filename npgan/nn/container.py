"""The :class:`Sequential` and :class:`Parallel` containers."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .module import Module, check_dy


class _Indexed(Module):
    """A container whose children are named ``"0"``, ``"1"``, ...: ``len`` and integer indexing."""

    _child_noun = "children"  # how the error messages call the children

    def __len__(self) -> int:
        return len(self._children)

    def __getitem__(self, index: int) -> Module:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} index must be an int, got {type(index).__name__}")
        n = len(self._children)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__} index {index} out of range for {n} {self._child_noun}")
        return self._children[str(int(index) % n)]


class Sequential(_Indexed):
    """Chain of modules applied in order; children are named ``"0"``, ``"1"``, ...

    ``backward`` runs the children's backward passes in reverse order. Each child keeps
    its own one-slot cache (see :class:`~npgan.nn.Module`), so the two-batch and shared-trunk
    recipes apply to a ``Sequential`` as to any module.

    Parameters
    ----------
    *layers : Module
    """

    _child_noun = "layers"

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a npgan.nn.Module, got {type(layer).__name__}")
            self.add_module(str(i), layer)

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


class Parallel(_Indexed):
    """Branches applied to the same input, outputs concatenated along axis 1.

    ``Parallel(a, b)(x) == concatenate([a(x), b(x)], axis=1)``; children are named ``"0"``,
    ``"1"``, ... Used for a head whose outputs should not share hidden units (InfoGAN's Q head
    with ``q_split=True``: one branch for the categorical logits, one for the continuous
    codes). ``backward`` splits ``dy`` by each branch's output width and returns the sum of
    the branches' input gradients; each branch keeps its own one-slot cache, and this module
    remembers the widths of its latest forward.

    Parameters
    ----------
    *branches : Module
        At least one; each must map (n, ...) to (n, width_i, ...) with the same trailing shape.
    """

    _child_noun = "branches"

    def __init__(self, *branches: Module) -> None:
        super().__init__()
        if not branches:
            raise ValueError("Parallel: needs at least one branch, got none")
        for i, branch in enumerate(branches):
            if not isinstance(branch, Module):
                raise TypeError(f"Parallel: branch {i} must be a npgan.nn.Module, got {type(branch).__name__}")
            self.add_module(str(i), branch)

    def forward(self, x: np.ndarray) -> np.ndarray:
        outs = [branch(x) for branch in self._children.values()]
        y = np.concatenate(outs, axis=1)
        self._save_for_backward(([o.shape[1] for o in outs], y.shape, y.dtype))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Split ``dy`` by branch and sum the branches' input gradients."""
        widths, shape, dtype = self._pending_cache()
        dy = check_dy(dy, shape, dtype, "Parallel")
        self._clear_cache()
        dx, start = None, 0
        for branch, w in zip(self._children.values(), widths):
            part = np.ascontiguousarray(dy[:, start: start + w])
            start += w
            if not need_dx:
                branch.backward(part, need_dx=False)
                continue
            d = branch.backward(part)
            dx = d if dx is None else dx + d
        return dx
