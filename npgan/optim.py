"""Optimisers that update :class:`npgan.nn.Module` parameters in place.

An optimiser collects the live parameter and gradient arrays of the modules it is
given (a Module or a sequence of Modules) into aligned lists; its state (moments,
momentum buffers) lives in lists aligned with them, so equal parameter names in
different modules never collide. A parameter reachable from several of the given
modules (a shared trunk) is updated once. ``step()`` reads the accumulated
gradients and updates the parameters in place without allocating: Adam runs one
numba pass per parameter (:func:`npgan.kernels.adam.adam_update`, bit-identical
to its NumPy formulation, which remains the fallback for non-contiguous arrays);
NumPy updates go through ``out=`` arguments and one preallocated scratch buffer
per dtype. Hyperparameters are Python floats, cast to the parameter dtype, so
float32 parameters stay float32.

``state_dict()`` is a flat ``{str: scalar or ndarray}`` dict (``"step"``, the
hyperparameters, ``"m.0"``, ``"m.1"``, ...) that ``np.savez`` can store directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ._checks import check_int, check_real
from .kernels.adam import adam_update
from .kernels.elementwise import zero_fill
from .nn.module import Module

__all__ = ["Optimizer", "Adam", "SGD"]


def _collect(modules) -> tuple[list[str], list[np.ndarray], list[np.ndarray], list[tuple[Module, list[str]]]]:
    """Names, parameters and gradients of ``modules`` (each shared array once), and which
    (sub)module owns which of those gradients, as ``(module, keys)``."""
    if isinstance(modules, Module):
        modules = [modules]
    elif isinstance(modules, Sequence) and not isinstance(modules, str):
        modules = list(modules)
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"`modules[{i}]` must be a npgan.nn.Module, got {type(m).__name__}")
    else:
        raise TypeError(f"`modules` must be a Module or a sequence of Modules, got {type(modules).__name__}")
    names, params, grads, owners, seen = [], [], [], [], set()
    for i, mod in enumerate(modules):
        for sub_name, sub in mod.named_modules():
            for key, p in sub.params.items():
                if id(p) in seen:        # shared between the given modules: one update only
                    continue
                seen.add(id(p))
                g = sub.grads[key]
                name = f"{sub_name}.{key}" if sub_name else key
                if g.shape != p.shape or g.dtype != p.dtype:
                    raise ValueError(f"gradient of `{name}` has shape {g.shape} dtype {g.dtype}, "
                                     f"parameter has shape {p.shape} dtype {p.dtype}")
                names.append(f"{i}.{name}" if len(modules) > 1 else name)
                params.append(p)
                grads.append(g)
                if not owners or owners[-1][0] is not sub:
                    owners.append((sub, []))
                owners[-1][1].append(key)
    if not params:
        raise ValueError("`modules` have no parameters to optimise")
    return names, params, grads, owners


def _flat_views(*arrays: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """1-D views of C-contiguous float32/float64 arrays of one dtype, or None (then use NumPy).

    ``reshape(-1)`` of a non-contiguous array would be a copy, and an in-place
    update of a copy would be lost, hence the check.
    """
    dt = arrays[0].dtype
    if dt not in (np.float32, np.float64):
        return None
    for a in arrays:
        if a.dtype != dt or not a.flags.c_contiguous:
            return None
    return tuple(a.reshape(-1) for a in arrays)


class Optimizer:
    """Base class: parameter/gradient lists, scratch buffers, ``zero_grad`` and state (de)serialisation.

    Subclasses define ``_slots`` (names of per-parameter state lists), ``_hyper`` (names of
    float hyperparameters saved in the state dict) and :meth:`step`.
    """

    _slots: tuple[str, ...] = ()
    _hyper: tuple[str, ...] = ()

    def __init__(self, modules, lr: float) -> None:
        self.names, self.params, self.grads, self._owners = _collect(modules)
        self.lr = lr
        self.step_count = 0
        self.state: dict[str, list[np.ndarray]] = {
            slot: [np.zeros_like(p) for p in self.params] for slot in self._slots}
        # One scratch buffer per dtype, as large as the largest parameter, reused by every update.
        self._scratch: dict[np.dtype, np.ndarray] = {}
        for p in self.params:
            buf = self._scratch.get(p.dtype)
            if buf is None or buf.size < p.size:
                self._scratch[p.dtype] = np.empty(p.size, dtype=p.dtype)

    @property
    def lr(self) -> float:
        """Learning rate (a Python float > 0; may be changed between steps)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_real(value, "lr", minimum=0.0, strict_min=True)

    def _tmp(self, p: np.ndarray) -> np.ndarray:
        return self._scratch[p.dtype][: p.size].reshape(p.shape)

    def zero_grad(self) -> None:
        """Set all gradients to zero, in place."""
        zero_fill(self.grads)
        for mod, keys in self._owners:     # so that their next backward writes rather than adds
            mod._mark_grads_zero(keys)

    def step(self) -> None:
        """Update every parameter in place from its accumulated gradient."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Return ``{"step", "lr", hyperparameters..., "<slot>.<i>": copy}``, a flat dict."""
        state: dict = {"step": self.step_count, "lr": self.lr}
        for h in self._hyper:
            state[h] = getattr(self, h)
        for slot, arrays in self.state.items():
            for i, a in enumerate(arrays):
                state[f"{slot}.{i}"] = a.copy()
        return state

    def load_state_dict(self, state: Mapping) -> None:
        """Restore the step count, hyperparameters and per-parameter state, in place.

        Raises ``ValueError`` when keys are missing or unexpected (e.g. a state from an
        optimiser over other parameters) or an array has the wrong shape; nothing is
        changed unless every check passes.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"`state` must be a mapping, got {type(state).__name__}")
        kind = type(self).__name__
        expected = {"step", "lr", *self._hyper}
        expected |= {f"{slot}.{i}" for slot in self._slots for i in range(len(self.params))}
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if missing or unexpected:
            raise ValueError(f"{kind}.load_state_dict: state does not match this optimiser "
                             f"({len(self.params)} parameters): missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        step = state["step"]
        if isinstance(step, np.ndarray) and step.ndim == 0:
            step = step.item()
        step = check_int(step, "state['step']", minimum=0)
        scalars = {}
        for h in ("lr", *self._hyper):
            v = state[h]
            scalars[h] = v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v
        for slot in self._slots:
            for i, p in enumerate(self.params):
                a = state[f"{slot}.{i}"]
                if not isinstance(a, np.ndarray):
                    raise TypeError(f"{kind}.load_state_dict: state['{slot}.{i}'] must be a numpy.ndarray, "
                                    f"got {type(a).__name__}")
                if a.shape != p.shape:
                    raise ValueError(f"{kind}.load_state_dict: state['{slot}.{i}'] has shape {a.shape}, "
                                     f"expected {p.shape} (parameter `{self.names[i]}`)")
        old = {h: getattr(self, h) for h in ("lr", *self._hyper)}
        try:
            for h, v in scalars.items():
                setattr(self, h, v)        # setters validate
        except (TypeError, ValueError):
            for h, v in old.items():
                setattr(self, h, v)
            raise
        self.step_count = step
        for slot, arrays in self.state.items():
            for i, a in enumerate(arrays):
                np.copyto(a, state[f"{slot}.{i}"], casting="unsafe")


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as PyTorch's ``torch.optim.Adam``.

    Kernel: :func:`npgan.kernels.adam_update`; slow twin: :func:`npgan.kernels.reference.adam_step`.

    At step t (starting at 1), for each parameter p with gradient g::

        m = β1 m + (1 - β1) g
        v = β2 v + (1 - β2) g²
        p -= lr · (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps)

    Parameters
    ----------
    modules : Module or sequence of Module
    lr : float > 0
    betas : (float, float), each in [0, 1)
    eps : float > 0
    """

    _slots = ("m", "v")
    _hyper = ("beta1", "beta2", "eps")

    def __init__(self, modules, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"`betas` must be a pair of floats, got {betas!r}")
        self.beta1, self.beta2 = betas
        self.eps = eps
        super().__init__(modules, lr)

    @property
    def beta1(self) -> float:
        return self._beta1

    @beta1.setter
    def beta1(self, value: float) -> None:
        self._beta1 = check_real(value, "betas[0]", minimum=0.0)
        if not self._beta1 < 1.0:
            raise ValueError(f"`betas[0]` must be < 1, got {self._beta1}")

    @property
    def beta2(self) -> float:
        return self._beta2

    @beta2.setter
    def beta2(self, value: float) -> None:
        self._beta2 = check_real(value, "betas[1]", minimum=0.0)
        if not self._beta2 < 1.0:
            raise ValueError(f"`betas[1]` must be < 1, got {self._beta2}")

    @property
    def betas(self) -> tuple[float, float]:
        return self._beta1, self._beta2

    @property
    def eps(self) -> float:
        return self._eps

    @eps.setter
    def eps(self, value: float) -> None:
        self._eps = check_real(value, "eps", minimum=0.0, strict_min=True)

    def step(self) -> None:
        self.step_count += 1
        t = self.step_count
        b1, b2 = self._beta1, self._beta2
        bc1 = 1.0 - b1 ** t
        bc2 = 1.0 - b2 ** t
        step_size = self._lr / bc1
        inv_sqrt_bc2 = 1.0 / math.sqrt(bc2)
        for p, g, m, v in zip(self.params, self.grads, self.state["m"], self.state["v"]):
            flat = _flat_views(p, g, m, v)
            if flat is not None:
                adam_update(*flat, b1, b2, self._eps, step_size, inv_sqrt_bc2)
            else:
                self._step_numpy(p, g, m, v, step_size, inv_sqrt_bc2)

    def _step_numpy(self, p, g, m, v, step_size: float, inv_sqrt_bc2: float) -> None:
        """The same update as the numba kernel, in NumPy passes (for non-contiguous arrays).

        The operations and their order (each rounded to the parameter dtype) are the
        kernel's, so both give bit-identical results.
        """
        b1, b2 = self._beta1, self._beta2
        s = self._tmp(p)
        m *= b1
        np.multiply(g, 1.0 - b1, out=s)
        m += s
        v *= b2
        np.multiply(g, g, out=s)
        s *= 1.0 - b2
        v += s
        np.sqrt(v, out=s)               # s = sqrt(v_hat) + eps
        s *= inv_sqrt_bc2
        s += self._eps
        np.divide(m, s, out=s)
        s *= step_size
        p -= s

    def __repr__(self) -> str:
        return (f"Adam(lr={self._lr}, betas={self.betas}, eps={self._eps}, "
                f"{len(self.params)} parameters, step={self.step_count})")


class SGD(Optimizer):
    """Stochastic gradient descent with optional (PyTorch-style) momentum.

    ``buf = momentum · buf + g``, ``p -= lr · buf`` (buf starts at 0, so the first
    step is ``p -= lr · g``); with ``momentum = 0``, ``p -= lr · g``.

    Parameters
    ----------
    modules : Module or sequence of Module
    lr : float > 0
    momentum : float in [0, 1)
    """

    _slots = ("momentum_buffer",)
    _hyper = ("momentum",)

    def __init__(self, modules, lr: float, momentum: float = 0.0) -> None:
        self.momentum = momentum
        super().__init__(modules, lr)

    @property
    def momentum(self) -> float:
        return self._momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        self._momentum = check_real(value, "momentum", minimum=0.0)
        if not self._momentum < 1.0:
            raise ValueError(f"`momentum` must be < 1, got {self._momentum}")

    def step(self) -> None:
        self.step_count += 1
        mu, lr = self._momentum, self._lr
        for p, g, buf in zip(self.params, self.grads, self.state["momentum_buffer"]):
            s = self._tmp(p)
            if mu > 0.0:
                buf *= mu
                buf += g
                np.multiply(buf, lr, out=s)
            else:
                np.multiply(g, lr, out=s)
            p -= s

    def __repr__(self) -> str:
        return f"SGD(lr={self._lr}, momentum={self._momentum}, {len(self.params)} parameters, step={self.step_count})"
