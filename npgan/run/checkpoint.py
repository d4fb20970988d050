"""Checkpoints: one ``.npz`` file holding every array plus a JSON skeleton of the rest.

A checkpoint stores an arbitrary nest of dicts, lists, arrays and JSON scalars (model state,
optimiser state, RNG states, the data stream position, the config). Arrays go into the ``.npz``
under generated keys; everything else goes into a JSON document stored in the same file, where each
array is replaced by ``{"__array__": key}``.

Writes are atomic: the file is written to a temporary name in the same folder
(``checkpoint.npz.<random>.tmp``), flushed to disk, then renamed over the target, so an
interruption never leaves a half-written checkpoint; :func:`remove_stale_temporaries` deletes what
a killed write left behind.

Reading trusts nothing: the file is opened as a zip archive of uncompressed ``.npy`` entries (what
``np.savez`` writes), each entry's header is checked against the entry's size before any array is
allocated (a header claiming 16 GiB is refused, not attempted), object arrays are refused (nothing
is ever unpickled) and every failure is a :class:`CheckpointError` naming the file. What the arrays
must hold for training is checked by :mod:`npgan.run.state_check`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_META = "__meta__"
FORMAT_VERSION = 1
_MAX_NPY_HEADER = 10_000  # numpy's own limit for .npy headers


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and what is wrong."""


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


def _unflatten(obj, arrays: dict | None, used: set, source: Path):
    """The nest of ``obj`` with its arrays from ``arrays`` (None: array markers are kept as they are)."""
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            key = obj["__array__"]
            if arrays is None:
                return obj
            if not isinstance(key, str) or key not in arrays:
                raise CheckpointError(f"{source}: the checkpoint refers to an array {key!r} that it does not hold")
            used.add(key)
            return arrays[key]
        if set(obj) == {"__list__"}:
            if not isinstance(obj["__list__"], list):
                raise CheckpointError(f"{source}: malformed list entry in the checkpoint's skeleton")
            return [_unflatten(v, arrays, used, source) for v in obj["__list__"]]
        return {k: _unflatten(v, arrays, used, source) for k, v in obj.items()}
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


def remove_stale_temporaries(path) -> list[tuple[Path, int]]:
    """Delete ``<path>.*.tmp`` files (left by a write that was killed); return them with their sizes.

    Call it only while no other process can be writing ``path`` (the run folder's lock is held).
    """
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(path.name + ".*.tmp"):
        if tmp.is_file():
            size = tmp.stat().st_size
            tmp.unlink()
            removed.append((tmp, size))
    return removed


def load_checkpoint(path) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (the whole nest, arrays included).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    CheckpointError
        Anything else: not a zip archive, a damaged entry, an entry whose header does not match its
        size, an object array, a malformed skeleton. The message names the file.
    """
    path = Path(path)
    skeleton = _read_skeleton(path)
    arrays = _read_arrays(path)
    arrays.pop(_META, None)
    used: set = set()
    state = _unflatten(skeleton["state"], arrays, used, path)
    unused = sorted(set(arrays) - used)
    if unused:
        raise CheckpointError(f"{path}: holds arrays that no entry refers to: {unused[:5]}")
    return state


def read_checkpoint_meta(path) -> dict:
    """The checkpoint's nest with every array left out (``{"__array__": key}`` markers instead).

    Cheap: reads only the JSON skeleton (config, update, seed, ...), with the same checks of the
    archive as :func:`load_checkpoint`.
    """
    path = Path(path)
    return _unflatten(_read_skeleton(path)["state"], None, set(), path)


def _read_skeleton(path: Path) -> dict:
    meta = _read_arrays(path, only=_META).get(_META)
    if meta is None:
        raise CheckpointError(f"{path}: not an npgan checkpoint (no {_META} entry)")
    if meta.dtype.kind != "U" or meta.ndim != 0:
        raise CheckpointError(f"{path}: not an npgan checkpoint ({_META} is a {meta.dtype} array of shape "
                              f"{meta.shape}, not a string)")
    try:
        skeleton = json.loads(str(meta))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{path}: the checkpoint's skeleton is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(skeleton, dict) or "state" not in skeleton:
        raise CheckpointError(f"{path}: not an npgan checkpoint (malformed skeleton)")
    if skeleton.get("format") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: has checkpoint format {skeleton.get('format')!r}, expected {FORMAT_VERSION}")
    return skeleton


def _read_arrays(path: Path, only: str | None = None) -> dict[str, np.ndarray]:
    """The archive's arrays (or only the entry ``only``), each checked before it is allocated."""
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if not path.is_file():
        kind = "a directory" if path.is_dir() else "a device, pipe or socket"
        raise CheckpointError(f"{path}: is {kind}, not a checkpoint file")
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _check_entries(zf.infolist(), size, path)
            return {info.filename[:-4]: _read_npy(zf, info, path) for info in infos
                    if only is None or info.filename == only + ".npy"}
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError, TypeError,
            RecursionError, MemoryError, NotImplementedError, UnicodeDecodeError) as exc:
        # a damaged archive can fail in any of these ways; none of them is a bug of ours
        raise CheckpointError(f"{path}: not a readable npgan checkpoint ({type(exc).__name__}: {exc})") from None


def _check_entries(infos: list, size: int, path: Path) -> list:
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise CheckpointError(f"{path}: the archive holds an entry twice")
    total = 0
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise CheckpointError(f"{path}: unexpected entry {info.filename!r} (a checkpoint holds .npy arrays only)")
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"{path}: entry {info.filename!r} is compressed; npgan writes them uncompressed")
        total += info.file_size
        if total > size:
            raise CheckpointError(f"{path}: entries declare {total} bytes, more than the file's {size}")
    return infos


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    """One ``.npy`` entry; its header must describe exactly the bytes the entry holds."""
    fmt = np.lib.format
    where = f"{path}: entry {info.filename!r}"
    with zf.open(info) as f:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f, max_header_size=_MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f, max_header_size=_MAX_NPY_HEADER)
        else:
            raise CheckpointError(f"{where}: unsupported .npy version {version}")
        if dtype.hasobject:
            raise CheckpointError(f"{where}: holds Python objects, which an npgan checkpoint never does "
                                  "(refused: loading them would run pickled code)")
        nbytes = math.prod(shape) * dtype.itemsize
        if f.tell() + nbytes != info.file_size:
            raise CheckpointError(f"{where}: header declares shape {shape} of {dtype} ({nbytes} bytes) but the "
                                  f"entry holds {info.file_size - f.tell()} bytes")
        data = f.read(nbytes)
        if len(data) != nbytes or f.read(1):
            raise CheckpointError(f"{where}: truncated")
    arr = np.frombuffer(data, dtype=dtype)
    return (arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)).copy()
