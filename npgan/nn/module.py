"""The :class:`Module` base class: parameters, gradients, buffers and the cache protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np

from .._checks import FLOAT_DTYPES
from ..kernels.elementwise import zero_fill


class LoadResult(NamedTuple):
    """Keys that :meth:`Module.load_state_dict` skipped (only non-empty with ``strict=False``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and network, with hand-written backward passes.

    A module owns three dictionaries:

    ``params``
        Trainable arrays (e.g. ``"weight"``, ``"bias"``) of the module's dtype.
    ``grads``
        Same keys as ``params``; preallocated zero arrays of the same shape and dtype.
        :meth:`backward` *accumulates* into them (``+=``) and never changes ``params``;
        an optimiser (:mod:`npgan.optim`) does that, and :meth:`zero_grad` resets them.
        Layers write them through :meth:`_accumulate` / :meth:`_grad_to_write`, which know
        when an array holds zeros only (reset and not written since) and then write the
        contribution instead of adding it: the same values, one pass over the array fewer.
        Code outside a backward pass that writes into ``grads`` calls :meth:`zero_grad` first
        or afterwards, so that the layer does not take the array for zero.
    ``buffers``
        Non-trained state that belongs in a checkpoint (BatchNorm running statistics).

    Child modules assigned as attributes (``self.trunk = Sequential(...)``) or with
    :meth:`add_module` are registered by name; :meth:`parameters`, :meth:`gradients`,
    :meth:`named_buffers` and :meth:`state_dict` use dotted names such as ``"trunk.0.weight"``.
    The arrays in ``params``/``grads``/``buffers`` are never replaced after construction
    (:meth:`load_state_dict` copies into them), so an optimiser can hold references to them.

    Cache design
    ------------
    ``forward(x)`` stores what the backward pass needs in a single slot, overwriting the
    slot of any previous forward; ``backward(dy)`` consumes the slot (clears it) and returns
    ``dx``. Calling ``backward`` with no pending forward raises ``RuntimeError``, so a
    forward must be followed by *its* backward before the module is run on another batch.

    Two batches through one network in one step (a GAN discriminator on real and fake
    data): run the forward/backward pairs one after the other. Gradients add up, and each
    batch is normalised with its own BatchNorm statistics::

        d_real = D(x_real); D.backward(dloss_real)   # grads accumulate
        d_fake = D(x_fake); D.backward(dloss_fake)   # D.grads now hold the sum

    Several heads on one shared trunk (InfoGAN's D and Q): run the trunk once, run each
    head and its backward, then call the trunk's backward once with the summed gradient::

        h = trunk(x)
        d = d_head(h); dh_d = d_head.backward(dloss_d)
        q = q_head(h); dh_q = q_head.backward(dloss_q)
        trunk.backward(dh_d + dh_q)

    ``backward(dy, need_dx=False)`` may skip the input gradient (returns ``None``) where
    nobody needs it, e.g. for the first layer of a network whose input is data.
    Subclasses implement :meth:`forward` and :meth:`backward`; built-in layers accept the
    ``need_dx`` keyword, and :class:`~npgan.nn.Sequential` only passes it when it is ``False``.

    Frozen parameters
    -----------------
    The opposite case, a network backpropagated through only for its input gradient (a GAN's
    discriminator in the generator step): ``requires_grad_(False)`` sets ``requires_grad`` on
    the module and all its children, and a layer whose ``requires_grad`` is False neither
    computes nor accumulates its parameter gradients in :meth:`backward` (``grads`` are left
    as they are); it still returns the same ``dx``. The forward pass and training mode
    (BatchNorm batch statistics, running-average updates) are unaffected. Turn it back on
    with ``requires_grad_(True)``, best in a ``finally`` block::

        D.requires_grad_(False)
        try:
            dx = D.backward(dy)      # dx for G; D's grads untouched
        finally:
            D.requires_grad_(True)

    Subclasses with parameters honour the flag in their :meth:`backward`.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_children", {})
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self.requires_grad = True
        self._cache = None
        self._zero_grads: set[str] = set()     # grads reset by zero_grad and not written since

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        children = self.__dict__.get("_children")
        if isinstance(value, Module):
            if children is None:
                raise RuntimeError(
                    f"cannot assign child module {name!r} before Module.__init__() has run; "
                    "call super().__init__() first in the subclass constructor")
            children[name] = value
        elif children is not None and name in children:
            del children[name]
        object.__setattr__(self, name, value)

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` as a child called ``name`` (also set as an attribute)."""
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"`name` must be a non-empty string without '.', got {name!r}")
        if not isinstance(module, Module):
            raise TypeError(f"`module` must be a npgan.nn.Module, got {type(module).__name__}")
        if "_children" not in self.__dict__:
            raise RuntimeError("call Module.__init__() before add_module()")
        self._children[name] = module
        object.__setattr__(self, name, module)

    def _add_param(self, name: str, value: np.ndarray) -> np.ndarray:
        """Register a trainable array and its zero gradient (for subclass constructors)."""
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)
        return value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Iterate over ``(name, child)`` for the direct children, in registration order."""
        return iter(list(self._children.items()))

    def children(self) -> Iterator[Module]:
        """Iterate over the direct children."""
        return iter(list(self._children.values()))

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Iterate over ``(dotted_name, module)`` for this module (name ``prefix``) and all descendants."""
        yield prefix, self
        for name, child in self._children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def _named(self, attr: str) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for mod_name, mod in self.named_modules():
            for key, arr in getattr(mod, attr).items():
                out[f"{mod_name}.{key}" if mod_name else key] = arr
        return out

    def parameters(self) -> dict[str, np.ndarray]:
        """Return ``{dotted_name: live parameter array}`` (own parameters first, then children's)."""
        return self._named("params")

    def gradients(self) -> dict[str, np.ndarray]:
        """Return ``{dotted_name: live gradient array}`` with the same keys as :meth:`parameters`."""
        return self._named("grads")

    def named_buffers(self) -> dict[str, np.ndarray]:
        """Return ``{dotted_name: live buffer array}`` (e.g. BatchNorm running statistics)."""
        return self._named("buffers")

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return int(sum(p.size for p in self.parameters().values()))

    # ------------------------------------------------------------------ modes, grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and all children."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"`mode` must be a bool, got {type(mode).__name__} {mode!r}")
        for _, mod in self.named_modules():
            mod.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (same as ``train(False)``)."""
        return self.train(False)

    def requires_grad_(self, flag: bool = True) -> Module:
        """Set ``requires_grad`` on this module and all children; return self.

        With ``flag=False`` backward passes skip the parameter gradients (see the class
        docstring, "Frozen parameters"); with True (the default state) they accumulate them.
        """
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"`flag` must be a bool, got {type(flag).__name__} {flag!r}")
        for _, mod in self.named_modules():
            mod.requires_grad = bool(flag)
        return self

    def zero_grad(self) -> None:
        """Set every gradient of this module and its children to zero, in place."""
        for _, mod in self.named_modules():
            zero_fill(mod.grads.values())
            mod._mark_grads_zero()

    def _mark_grads_zero(self, keys=None) -> None:
        """Record that this module's own gradients ``keys`` (all if None) hold zeros only; for
        whoever zeroed them (:meth:`zero_grad`, an optimiser's ``zero_grad``)."""
        self._zero_grads = set(self.grads) if keys is None else self._zero_grads | set(keys)

    def _grad_to_write(self, name: str) -> tuple[np.ndarray, bool]:
        """Gradient array ``name`` and whether it holds zeros only, for a backward pass that is
        about to add to it: when True the caller writes its contribution into the array instead
        (e.g. a GEMM with ``out=``), which gives the same values without the add pass."""
        fresh = name in self._zero_grads
        self._zero_grads.discard(name)
        return self.grads[name], fresh

    def _accumulate(self, name: str, value: np.ndarray) -> None:
        """``grads[name] += value``, or a copy when the array holds zeros only (0 + v is v)."""
        g, fresh = self._grad_to_write(name)
        if fresh:
            np.copyto(g, value, casting="same_kind")
        else:
            g += value

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        """Return copies of all parameters and buffers, keyed by dotted name."""
        state = {k: v.copy() for k, v in self.parameters().items()}
        state.update({k: v.copy() for k, v in self.named_buffers().items()})
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray], strict: bool = True) -> LoadResult:
        """Copy arrays from ``state`` into the parameters and buffers, in place.

        Parameters
        ----------
        state : mapping of str to ndarray
            As returned by :meth:`state_dict`. Values are cast to each array's dtype.
        strict : bool
            If True (default), missing or unexpected keys raise ``ValueError``;
            otherwise they are skipped and reported in the result.

        Returns
        -------
        LoadResult
            ``(missing_keys, unexpected_keys)``.

        Raises
        ------
        ValueError
            Missing/unexpected keys (strict mode) or a shape mismatch. Nothing is
            loaded unless every check passes.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"`state` must be a mapping of name -> array, got {type(state).__name__}")
        targets = {**self.parameters(), **self.named_buffers()}
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: state does not match {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}")
        for key, target in targets.items():
            if key not in state:
                continue
            value = state[key]
            if not isinstance(value, np.ndarray):
                raise TypeError(f"load_state_dict: state[{key!r}] must be a numpy.ndarray, "
                                f"got {type(value).__name__}")
            if value.shape != target.shape:
                raise ValueError(f"load_state_dict: state[{key!r}] has shape {value.shape}, "
                                 f"expected {target.shape}")
            if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
                raise TypeError(f"load_state_dict: state[{key!r}] must be numeric, got dtype {value.dtype}")
        for key, target in targets.items():
            if key in state:
                np.copyto(target, state[key], casting="unsafe")
        return LoadResult(missing, unexpected)

    # ------------------------------------------------------------------ forward/backward
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output and keep the cache for :meth:`backward`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Accumulate parameter gradients from ``dy`` (d loss / d output); return d loss / d input."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _save_for_backward(self, cache) -> None:
        """Store the cache of the latest forward (one slot, overwriting any older one)."""
        self._cache = cache

    def _pending_cache(self):
        """Return the pending cache without consuming it; ``RuntimeError`` when there is none.

        Layers validate ``dy`` against it and only then call :meth:`_clear_cache`, so a
        rejected ``dy`` leaves the forward pending.
        """
        cache = self._cache
        if cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called with no pending forward: every backward "
                "must follow its own forward (the cache of a forward is consumed by one backward)")
        return cache

    def _clear_cache(self) -> None:
        """Drop the pending cache (the backward has consumed it)."""
        self._cache = None

    @property
    def has_pending_forward(self) -> bool:
        """Whether a forward cache is waiting for its backward."""
        return self._cache is not None

    def extra_repr(self) -> str:
        """Layer hyperparameters shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._children:
            return head + ")"
        lines = [head]
        for name, child in self._children.items():
            sub = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {sub}")
        return "\n".join(lines) + "\n)"


# ---------------------------------------------------------------------- shared checks
def check_input(x, name: str, *, ndim: int | tuple[int, ...], dtype: np.dtype | None, layer: str) -> np.ndarray:
    """Check a layer input: ndarray, float dtype equal to the layer's (if any), right ndim."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer}: `{name}` must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{layer}: `{name}` must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{layer}: `{name}` has dtype {x.dtype} but the layer's parameters are {dtype}; "
                        f"convert the input with x.astype(np.{dtype})")
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise ValueError(f"{layer}: `{name}` must be {want}-dimensional, got shape {x.shape} ({x.ndim}-D)")
    if x.size == 0:
        raise ValueError(f"{layer}: `{name}` must not be empty, got shape {x.shape}")
    return x


def check_dy(dy, shape: tuple[int, ...], dtype: np.dtype, layer: str) -> np.ndarray:
    """Check an output gradient against the shape and dtype of the forward output."""
    if not isinstance(dy, np.ndarray):
        raise TypeError(f"{layer}: `dy` must be a numpy.ndarray, got {type(dy).__name__}")
    if dy.dtype != dtype:
        raise TypeError(f"{layer}: `dy` must have the forward output's dtype {dtype}, got {dy.dtype}")
    if dy.shape != tuple(shape):
        raise ValueError(f"{layer}: `dy` must have the forward output's shape {tuple(shape)}, got {dy.shape}")
    return dy


def check_dtype(dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"`dtype` must be float32 or float64, got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"`dtype` must be float32 or float64, got {dt}")
    return dt


def make_weights(module: Module, weight_shape: tuple[int, ...], bias_shape: tuple[int, ...] | None, *,
                 rng, dtype, init_std, init: str) -> np.dtype:
    """Create, initialise and register ``weight`` (and ``bias``) for a layer; return its dtype.

    Shared by Linear, Conv2d and ConvTranspose2d so their argument checks agree.
    """
    from .._checks import check_generator, check_real
    from .init import SCHEMES, init_layer_

    dt = check_dtype(dtype)
    check_generator(rng)
    std = check_real(init_std, "init_std", minimum=0.0)
    if not isinstance(init, str) or init not in SCHEMES:
        raise ValueError(f"`init` must be one of {SCHEMES}, got {init!r}")
    weight = module._add_param("weight", np.empty(weight_shape, dtype=dt))
    bias = module._add_param("bias", np.empty(bias_shape, dtype=dt)) if bias_shape is not None else None
    init_layer_(weight, bias, scheme=init, std=std, rng=rng)
    return dt
