"""A run folder: the files of one training run and the guards around them.

Files::

    checkpoint.npz     the latest checkpoint (npgan.run.checkpoint), replaced atomically
    metrics.jsonl      one JSON line per update, flushed per update (npgan.run.metrics)
    config.json        settings, seed, dataset, updates, number of images, run id (replaced atomically)
    train.lock         held while a process trains here (npgan.run.lock)
    *.tmp              a checkpoint or config.json being written; left behind only by a kill, and
                       removed when the run next starts

Guards: a folder that holds any run file is refused unless the run is resumed or overwritten
(overwriting deletes the run files first, and what npgan derived from them, :data:`DERIVED_FILES`:
eval.json, report.html, figures, sample frames; so nothing of the old run can mix with the new one);
resuming needs a checkpoint; ``--out`` must be a folder that can be written. Each run has a random
id, stored in ``config.json`` and in every checkpoint: a checkpoint whose id differs from the
folder's ``config.json`` (copied in from another run) is refused on resume.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from npgan._json import INTEGER, OBJECT, TEXT, JSONFileError, check_fields, read_json
from npgan.run.checkpoint import remove_stale_temporaries
from npgan.run.lock import LOCK_NAME, RunLock, RunLocked

logger = logging.getLogger("npgan")

CHECKPOINT_NAME = "checkpoint.npz"
METRICS_NAME = "metrics.jsonl"
CONFIG_NAME = "config.json"
#: the files that make a folder a run folder
RUN_FILES = (CHECKPOINT_NAME, METRICS_NAME, CONFIG_NAME)
#: what npgan derives from a run in its folder (evaluation, report, figures, sample frames, a sweep's
#: evaluations on the way), as glob patterns: an overwritten run's are removed with its run files, so
#: no output of the old run is left beside the new one
DERIVED_FILES = ("eval.json", "report.html", "progress.gif", "samples.png", "li_curve.png", "losses.png",
                 "mi_matrix.png", "class_rho.png", "traverse_cat*.png", "traverse_cont*.png", "samples/update_*.png",
                 "samples/frames.json", "evals/update_*.json")


#: what config.json is, for messages
CONFIG_WHAT = "a run's config.json"
#: config.json's entries besides ``config`` (older runs or hand-made --config files may lack them)
_CONFIG_OPTIONAL = {"seed": INTEGER, "dataset": TEXT, "updates": INTEGER, "images": INTEGER, "run_id": TEXT}


class RunFolderError(RuntimeError):
    """The folder cannot be used as asked (it holds another run, has no checkpoint, is a file, ...)."""


def run_files(folder) -> list[str]:
    """The run files present in ``folder`` (empty for a new or missing folder)."""
    folder = Path(folder)
    return [name for name in RUN_FILES if (folder / name).exists()]


def check_folder(folder, *, resume: bool, overwrite: bool, lock: bool = True) -> None:
    """What can be checked without taking the lock: :class:`RunFolderError` (or
    :class:`~npgan.run.lock.RunLocked`, if a live process trains there) if the request cannot work."""
    folder = Path(folder)
    if resume and overwrite:
        raise RunFolderError("resume continues the run in the folder and overwrite starts it again: choose one")
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"{folder} is a file, not a folder")
    held = RunLock(folder).held_by_another() if lock and (folder / LOCK_NAME).exists() else None
    if held:
        raise RunLocked(held)
    present = run_files(folder)
    if resume and CHECKPOINT_NAME not in present:
        if present:
            raise RunFolderError(f"no checkpoint in {folder}: the run stopped before its first checkpoint "
                                 f"(it holds {', '.join(present)}); start it again with --overwrite"
                                 + _tidy_refused(folder))
        raise RunFolderError(f"no checkpoint at {folder / CHECKPOINT_NAME}")
    if not resume and present and not overwrite:
        raise RunFolderError(f"{folder} already holds a run ({', '.join(present)}); use --resume to continue it, "
                             "--overwrite to start again, or another --out" + _tidy_refused(folder))


def remove_temporaries(folder: Path) -> str:
    """Delete the temporaries of killed writes of ``folder``'s checkpoint and config (the caller
    holds the folder's lock); what was removed, or ''."""
    removed = [p for name in (CHECKPOINT_NAME, CONFIG_NAME) for p in remove_stale_temporaries(folder / name)]
    if not removed:
        return ""
    return (f"removed {len(removed)} temporary file(s) ({sum(size for _, size in removed) / 1e6:.1f} MB) "
            "left by interrupted writes")


def _tidy_refused(folder: Path) -> str:
    """A refused start still removes killed writes' temporaries (a 160 MB checkpoint would otherwise stay
    until --overwrite), when the lock can be taken; a note for the refusal, or ''."""
    if not any(folder.glob("*.tmp")):
        return ""
    lock = RunLock(folder)
    try:
        lock.acquire()
    except (RunLocked, OSError):
        return ""
    try:
        removed = remove_temporaries(folder)
    finally:
        lock.release()
    return f" ({removed})" if removed else ""


def read_run_meta(path) -> dict:
    """A run's ``config.json`` (or a ``--config`` file) as a checked dict.

    ``config`` must be a JSON object; ``seed`` a non-negative integer, ``updates`` and ``images``
    positive ones,
    ``dataset`` and ``run_id`` strings, where present. The settings themselves are read by
    :func:`npgan.train.config.read_run_config`.

    Raises
    ------
    FileNotFoundError
        No such file.
    JSONFileError
        Anything else: the message names the file and the fault.
    """
    meta = check_fields(read_json(path, CONFIG_WHAT), {"config": OBJECT}, path, CONFIG_WHAT,
                        optional=_CONFIG_OPTIONAL)
    for key, minimum in (("seed", 0), ("updates", 1), ("images", 1)):
        if meta.get(key, minimum) < minimum:
            raise JSONFileError(f"{path} is not {CONFIG_WHAT}: {key!r} must be >= {minimum}, got {meta[key]}")
    return meta


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one rename (a temporary file beside it, removed on failure)."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunFolder:
    """The paths of a run folder and its guarded opening (:meth:`opened`)."""

    def __init__(self, path):
        self.path = Path(path)
        self.checkpoint = self.path / CHECKPOINT_NAME
        self.metrics = self.path / METRICS_NAME
        self.config = self.path / CONFIG_NAME

    @contextmanager
    def opened(self, *, resume: bool, overwrite: bool):
        """Create the folder, take its lock, remove leftovers of kills, apply the guards.

        Raises :class:`RunFolderError` (or :class:`~npgan.run.lock.RunLocked`) with a one-line
        message when the folder cannot be used; the lock is released when the block ends.
        """
        check_folder(self.path, resume=resume, overwrite=overwrite)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock = RunLock(self.path)
            lock.acquire()
        except OSError as exc:
            raise RunFolderError(f"cannot write in {self.path}: {exc.strerror or exc}") from None
        try:
            # again, now that no one else can change the folder
            check_folder(self.path, resume=resume, overwrite=overwrite, lock=False)
            self._remove_leftovers()
            if overwrite:
                self._remove_run_files()
            yield self
        finally:
            lock.release()

    def _remove_leftovers(self) -> None:
        removed = remove_temporaries(self.path)
        if removed:
            logger.warning("note: %s: %s", self.path, removed)

    def _remove_run_files(self) -> None:
        present = run_files(self.path)
        derived = [p for pattern in DERIVED_FILES for p in self.path.glob(pattern) if p.is_file()]
        for path in [self.path / name for name in present] + derived:
            path.unlink()
        if present or derived:
            outputs = f" and {len(derived)} file(s) derived from it (evaluation, report, figures)" if derived else ""
            logger.warning("note: %s: --overwrite removed the previous run's %s%s", self.path,
                           ", ".join(present) or "outputs", outputs)

    def read_config(self) -> dict | None:
        """``config.json`` as a dict; None if missing or unreadable (noted: the checkpoint is the truth)."""
        try:
            return read_run_meta(self.config)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("note: %s is unreadable (%s); it is written again from the checkpoint", self.config,
                           exc if isinstance(exc, JSONFileError) else type(exc).__name__)
            return None

    def write_config(self, meta: dict) -> None:
        write_atomic(self.config, json.dumps(meta, indent=2))


__all__ = ["CHECKPOINT_NAME", "METRICS_NAME", "CONFIG_NAME", "LOCK_NAME", "RUN_FILES", "RunFolder",
           "RunFolderError", "check_folder", "read_run_meta", "run_files", "write_atomic"]
