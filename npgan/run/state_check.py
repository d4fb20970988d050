"""A training checkpoint's contents, checked against the run's config before anything is loaded.

:func:`check_meta` checks the top level (the update count, seed, dataset, run id; the settings are
read by :func:`npgan.train.config.checkpoint_config`); :func:`check_trainer_state` checks the
networks and optimisers against a trainer built from those settings, and :func:`check_stream_state`
the data stream. What must hold:

- arrays: exactly the names, shapes and dtypes of the trainer's (nothing is cast), finite, and
  non-negative where a variance is stored (BatchNorm's ``running_var``, Adam's ``v``);
- optimisers: the hyperparameters the config gives, and a step count equal to the update count;
- random generators: PCG64 states within range (128-bit state, odd increment);
- the data stream: a permutation of the dataset's indices and a position at a batch boundary.

Every failure is a :class:`~npgan.run.checkpoint.CheckpointError` whose one-line message names the
file and the entry.
"""

from __future__ import annotations

import numbers

import numpy as np

from npgan.run.checkpoint import CheckpointError

_TOP = {"update", "seed", "dataset", "config", "trainer", "data"}
_OPTIONAL = {"run_id"}
_NONNEGATIVE = ("running_var",)


def _fail(source, what: str):
    raise CheckpointError(f"{source}: {what}")


def _int(value, source, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        _fail(source, f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            allowed = f">= {minimum}"
        elif maximum + 1 in (2**32, 2**128):
            allowed = f"a {(maximum + 1).bit_length() - 1}-bit unsigned integer"
        else:
            allowed = f"in [{minimum}, {maximum}]"
        _fail(source, f"{name} must be {allowed}, got {value}")
    return int(value)


def _keys(d, expected: set, source, name: str, optional: set = frozenset()) -> None:
    if not isinstance(d, dict):
        _fail(source, f"{name} must be a mapping, got {type(d).__name__}")
    missing, unexpected = sorted(expected - set(d)), sorted(set(d) - expected - optional)
    if missing or unexpected:
        _fail(source, f"{name} does not match this npgan version's: missing {missing[:5]}, unexpected {unexpected[:5]}")


def check_meta(state, source) -> None:
    """The top level of a training checkpoint (its settings are read by
    :func:`npgan.train.config.checkpoint_config`).

    ``state`` may come from :func:`~npgan.run.checkpoint.load_checkpoint` or
    :func:`~npgan.run.checkpoint.read_checkpoint_meta` (arrays not loaded).
    """
    _keys(state, _TOP, source, "the checkpoint's top level", _OPTIONAL)
    _int(state["update"], source, "update")
    _int(state["seed"], source, "seed")
    if not isinstance(state["dataset"], str):
        _fail(source, f"dataset must be a string, got {type(state['dataset']).__name__}")
    if "run_id" in state and not isinstance(state["run_id"], str):
        _fail(source, f"run_id must be a string, got {type(state['run_id']).__name__}")


def _array(value, expected: np.ndarray, source, name: str) -> None:
    if not isinstance(value, np.ndarray):
        _fail(source, f"{name} must be an array, got {type(value).__name__}")
    if value.dtype != expected.dtype:
        _fail(source, f"{name} has dtype {value.dtype}, expected {expected.dtype} (nothing is cast)")
    if value.shape != expected.shape:
        _fail(source, f"{name} has shape {value.shape}, expected {expected.shape}")
    if np.issubdtype(value.dtype, np.inexact):
        finite = np.isfinite(value)
        if not finite.all():
            _fail(source, f"{name} holds {value.size - int(np.count_nonzero(finite))} non-finite values")


def _arrays(given, expected: dict, source, name: str, nonnegative=()) -> None:
    _keys(given, set(expected), source, name)
    for key, ref in expected.items():
        _array(given[key], ref, source, f"{name}[{key!r}]")
        if key.split(".")[-1] in nonnegative and given[key].size and given[key].min() < 0:
            _fail(source, f"{name}[{key!r}] holds negative values (it is a variance)")


def check_rng_state(s, source, name: str) -> None:
    """A PCG64 bit-generator state as ``Generator.bit_generator.state`` gives it."""
    _keys(s, {"bit_generator", "state", "has_uint32", "uinteger"}, source, name)
    if s["bit_generator"] != "PCG64":
        _fail(source, f"{name} is a {s['bit_generator']!r} state, expected 'PCG64'")
    _keys(s["state"], {"state", "inc"}, source, f"{name}['state']")
    _int(s["state"]["state"], source, f"{name} state", maximum=2**128 - 1)
    if _int(s["state"]["inc"], source, f"{name} increment", maximum=2**128 - 1) % 2 == 0:
        _fail(source, f"{name} increment must be odd")
    _int(s["has_uint32"], source, f"{name} has_uint32", maximum=1)
    _int(s["uinteger"], source, f"{name} uinteger", maximum=2**32 - 1)


def _optimiser(given, opt, update: int, source, name: str) -> None:
    expected = {"step", "lr", *opt._hyper} | {f"{slot}.{i}" for slot in opt._slots for i in range(len(opt.params))}
    _keys(given, expected, source, name)
    if _int(given["step"], source, f"{name} step") != update:
        _fail(source, f"{name} has made {given['step']} steps but the checkpoint is of update {update}")
    for h in ("lr", *opt._hyper):
        if not isinstance(given[h], numbers.Real) or float(given[h]) != getattr(opt, h):
            _fail(source, f"{name} {h} is {given[h]!r}, but the run's config gives {getattr(opt, h)!r}")
    for slot in opt._slots:
        for i, p in enumerate(opt.params):
            key = f"{slot}.{i}"
            _array(given[key], p, source, f"{name}[{key!r}]")
            if slot == "v" and given[key].size and given[key].min() < 0:
                _fail(source, f"{name}[{key!r}] holds negative values (Adam's second moment)")


def check_trainer_state(s, trainer, update: int, source) -> None:
    """The ``trainer`` entry against a trainer built from the run's config."""
    _keys(s, {"nets", "opt_d", "opt_g", "rng"}, source, "trainer")
    expected = {}
    for name, module in trainer.nets.modules().items():
        for key, arr in {**module.parameters(), **module.named_buffers()}.items():
            expected[f"{name}.{key}"] = arr
    _arrays(s["nets"], expected, source, "trainer.nets", nonnegative=_NONNEGATIVE)
    _optimiser(s["opt_d"], trainer.opt_d, update, source, "trainer.opt_d")
    _optimiser(s["opt_g"], trainer.opt_g, update, source, "trainer.opt_g")
    check_rng_state(s["rng"], source, "trainer.rng")


def check_stream_state(s, n_images: int | None, batch_size: int, source) -> None:
    """The ``data`` entry: a permutation of ``n_images`` indices and a position at a batch boundary."""
    _keys(s, {"perm", "pos", "rng"}, source, "data")
    perm = s["perm"]
    if not isinstance(perm, np.ndarray) or perm.dtype != np.int64 or perm.ndim != 1:
        _fail(source, f"data.perm must be a 1-D int64 array, got {getattr(perm, 'dtype', type(perm).__name__)} "
                      f"of shape {getattr(perm, 'shape', None)}")
    n = perm.size
    if n_images is not None and n != n_images:
        _fail(source, f"the data stream was made for a dataset of {n} images, but {n_images} were given "
                      "(the run's --subset or dataset differs)")
    if n == 0 or perm.min() < 0 or perm.max() >= n or np.unique(perm).size != n:
        _fail(source, f"data.perm is not a permutation of the {n} image indices")
    pos = _int(s["pos"], source, "data.pos", maximum=n)
    if pos % batch_size:
        _fail(source, f"data.pos {pos} is not at a batch boundary (batch size {batch_size})")
    check_rng_state(s["rng"], source, "data.rng")
