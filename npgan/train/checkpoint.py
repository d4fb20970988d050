"""Checkpoints: one ``.npz`` file holding every array plus a JSON skeleton of the rest.

A checkpoint stores an arbitrary nest of dicts, lists, arrays and JSON scalars (model state,
optimiser state, RNG states, the data stream position, the config). Arrays go into the ``.npz``
under generated keys; everything else goes into a JSON document stored in the same file, where each
array is replaced by ``{"__array__": key}``. Loading never unpickles (``allow_pickle=False``).

Writes are atomic: the file is written to a temporary name in the same folder, flushed to disk,
then renamed over the target, so an interruption never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

_META = "__meta__"
FORMAT_VERSION = 1


def _flatten(obj, arrays: dict):
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, str):
                raise TypeError(f"checkpoint dict keys must be str, got {type(k).__name__} {k!r}")
        return {k: _flatten(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_flatten(v, arrays) for v in obj]}
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a checkpoint")


def _unflatten(obj, arrays):
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            return arrays[obj["__array__"]]
        if set(obj) == {"__list__"}:
            return [_unflatten(v, arrays) for v in obj["__list__"]]
        return {k: _unflatten(v, arrays) for k, v in obj.items()}
    return obj


def save_checkpoint(path, state: dict) -> Path:
    """Atomically write ``state`` (a nest of dicts/lists/arrays/scalars) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    skeleton = {"format": FORMAT_VERSION, "state": _flatten(state, arrays)}
    arrays[_META] = np.array(json.dumps(skeleton))
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"`{path}` is not a readable npgan checkpoint: {exc}") from exc
    if _META not in arrays:
        raise ValueError(f"`{path}` is not an npgan checkpoint (no {_META} entry)")
    skeleton = json.loads(str(arrays.pop(_META)))
    if skeleton.get("format") != FORMAT_VERSION:
        raise ValueError(f"`{path}` has checkpoint format {skeleton.get('format')}, expected {FORMAT_VERSION}")
    return _unflatten(skeleton["state"], arrays)
