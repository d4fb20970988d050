"""One run of a sweep, as a worker carries it out: train (or resume), evaluate, build the report.

:func:`run_one` goes through the library exactly as ``npgan train``, ``npgan eval`` and ``npgan
report`` do (:func:`npgan.recipes.resolve`, :func:`npgan.train.train` with the sample frames,
:func:`npgan.report.run_files.evaluate_and_save`, :func:`npgan.report.build_report`), so a sweep's
run folder is the one those commands write for the same seed and settings: ``config.json``,
``metrics.jsonl``, ``checkpoint.npz``, ``eval.json``, the figures, ``samples/`` and ``report.html``.

A run whose checkpoint has reached the requested updates is never trained again; one with an
earlier checkpoint resumes from it (through the run folder's lock, which a killed worker's process
leaves behind and the resume takes over); one that stopped before its first checkpoint starts again;
a folder holding a run with other settings is refused. Nothing here imports Dask
(:mod:`npgan.sweep.worker` is the glue).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from npgan.evaluation.eval_file import read_eval
from npgan.recipes import resolve
from npgan.report.run_files import EVAL_NAME
from npgan.run import read_checkpoint_meta
from npgan.run.folder import CHECKPOINT_NAME, run_files, write_atomic
from npgan.sweep.plan import RunSpec, SweepSpec
from npgan.train import TrainingConfig, TrainingInterrupted, TrainOptions

_DATA: dict[tuple, tuple] = {}  # (dataset, split, data_dir, n) -> (images, labels): one load per worker
#: a run's evaluations at its sweep's ``eval_at`` updates
MILESTONES_DIR = "evals"
_DATA_LOCK = threading.Lock()
_FIGURE_LOCK = threading.Lock()  # pyplot keeps global state: one thread draws at a time


@dataclass
class RunOutcome:
    """What one attempt at a run did.

    ``status`` is ``"done"`` (trained to the end and evaluated), ``"interrupted"`` (stopped by the
    sweep; the checkpoint of ``end_update`` is on disk) or ``"failed"`` (``error``: the exception in
    one line, ``traceback``: where; updates -1). ``start_update`` is the update this attempt started
    training from (0: from scratch; equal to ``end_update``: nothing to train). ``files`` holds the
    run folder's files (relative path -> bytes) when the sweep gathers results to its client.
    """

    name: str
    status: str
    start_update: int
    end_update: int
    host: str
    folder: str
    seconds: float
    error: str = ""
    traceback: str = field(default="", repr=False)
    files: dict | None = field(default=None, repr=False)


def eval_update(folder: Path) -> int | None:
    """The update of the checkpoint the run's ``eval.json`` evaluated (None: not evaluated)."""
    try:
        return read_eval(Path(folder) / EVAL_NAME)["update"]
    except (FileNotFoundError, ValueError):  # none, or damaged: evaluated again
        return None


def is_finished(folder: Path, updates: int) -> bool:
    """True if the run in ``folder`` has a checkpoint of at least ``updates`` updates, evaluated."""
    done = eval_update(folder)
    return done is not None and done >= updates and (Path(folder) / CHECKPOINT_NAME).exists()


def is_complete(spec: SweepSpec, run: RunSpec) -> bool:
    """True if ``run`` needs no more work: finished, evaluated and (with figures) reported."""
    from npgan.report import REPORT_NAME
    folder = spec.folder(run)
    return is_finished(folder, spec.updates) and (not spec.figures or (folder / REPORT_NAME).exists())


def load_data(dataset: str, split: str, data_dir: str | None, n: int | None):
    """Images and labels, loaded once per worker process (the synthetic digits are rendered here)."""
    from npgan.data import load_dataset
    key = (dataset, split, data_dir, n)
    with _DATA_LOCK:
        if key not in _DATA:
            kw = {"data_dir": data_dir} if dataset == "mnist" else {}
            _DATA[key] = load_dataset(dataset, split=split, n=n, **kw)
        return _DATA[key]


def _check_same_run(meta: dict, config: TrainingConfig, run: RunSpec, dataset: str, folder: Path) -> None:
    have, want = TrainingConfig.from_dict(meta["config"]).settings(), config.settings()
    diff = [f"{k}: run {have[k]!r}, asked {want[k]!r}" for k in have if have[k] != want[k]]
    if int(meta["seed"]) != run.seed:
        diff.insert(0, f"seed: run {meta['seed']}, asked {run.seed}")
    if meta["dataset"] != dataset:
        diff.insert(0, f"dataset: run {meta['dataset']!r}, asked {dataset!r}")
    if diff:
        raise ValueError(f"{folder} holds a run with other settings ({'; '.join(diff)}); "
                         "move it away or give the sweep another output folder")


def check_settings(spec: SweepSpec, run: RunSpec) -> None:
    """A ValueError saying what differs if ``run``'s folder holds a checkpoint of other settings (seed,
    dataset, any setting) than ``spec`` asks for: a finished run is never reused under settings it was
    not trained with. A damaged checkpoint or a bad setting is left to the run's task, which fails alone."""
    from npgan.run import CheckpointError
    folder = spec.folder(run)
    try:
        meta = read_checkpoint_meta(folder / CHECKPOINT_NAME)
        config = resolve(run.recipe, spec.dataset, run.overrides)
    except (FileNotFoundError, CheckpointError, TypeError, ValueError):
        return
    _check_same_run(meta, config, run, spec.dataset, folder)


def _train_locked(config, images, options: TrainOptions, resume: bool, dataset: str, callback, folder: Path,
                  start_callback=None):
    """:func:`npgan.train.train`, waiting while the folder's lock is another host's (a worker that died
    there: its lock is taken over once its heartbeat is :data:`~npgan.run.lock.STALE_SECONDS` old)."""
    from npgan.run import RunLocked
    from npgan.run.lock import HEARTBEAT_SECONDS, LOCK_NAME, STALE_SECONDS
    from npgan.train import train
    deadline = time.monotonic() + STALE_SECONDS + 2 * HEARTBEAT_SECONDS
    while True:
        try:
            return train(config, images, options, resume=resume, dataset=dataset, callback=callback,
                         start_callback=start_callback)
        except RunLocked:
            try:
                host = json.loads((folder / LOCK_NAME).read_text()).get("host")
            except (OSError, ValueError, AttributeError):
                host = None
            if host in (None, socket.gethostname()) or time.monotonic() > deadline:
                raise  # a live process on this host trains there, or the wait is over
            time.sleep(HEARTBEAT_SECONDS / 3)


def _stopping(should_stop) -> bool:
    return should_stop is not None and should_stop()


def _train(spec: SweepSpec, run: RunSpec, folder: Path, should_stop, report, target: int) -> tuple[int, int, bool]:
    """Train ``run`` to update ``target`` in ``folder``: (start update, end update, interrupted)."""
    from npgan.report.frames import DEFAULT_EVERY, SampleFrames, adopt_start_frames
    config = resolve(run.recipe, spec.dataset, run.overrides)
    start = 0
    if (folder / CHECKPOINT_NAME).exists():
        meta = read_checkpoint_meta(folder / CHECKPOINT_NAME)
        _check_same_run(meta, config, run, spec.dataset, folder)
        start = int(meta["update"])
        if start >= target:
            return start, start, False
    if _stopping(should_stop):  # stopped before this run started (a worker restarted after the stop)
        return start, start, True
    if report is not None:
        report(start)  # the run has started (from its checkpoint's update)
    images, _ = load_data(spec.dataset, "train", spec.data_dir, spec.subset)
    if images.shape[0] < config.model.batch_size:
        raise ValueError(f"batch size {config.model.batch_size} exceeds the {images.shape[0]} training images")
    # no checkpoint but run files: a run stopped before its first checkpoint, started again
    options = TrainOptions(updates=target, seed=run.seed, out_dir=folder, checkpoint_every=spec.checkpoint_every,
                           progress=False, overwrite=start == 0 and bool(run_files(folder)))
    frames = SampleFrames(folder, run.seed, DEFAULT_EVERY, start=start) if spec.figures else None
    last = [start]

    def callback(update, stats, trainer):
        last[0] = update
        if frames is not None:
            frames(update, stats, trainer)
        if report is not None:
            report(update)
        if _stopping(should_stop):
            raise KeyboardInterrupt  # the loop saves a checkpoint of this update and stops

    def start_callback(k, start_dir):  # another start of the run (npgan.train.starts): frames in its folder
        start_frames = (SampleFrames(start_dir, run.seed, DEFAULT_EVERY, start=config.starts.updates)
                        if spec.figures else None)

        def on_update(update, stats, trainer):
            if start_frames is not None:
                start_frames(update, stats, trainer)
            if _stopping(should_stop):
                raise KeyboardInterrupt
        return on_update

    try:
        _train_locked(config, images, options, start > 0, spec.dataset, callback, folder, start_callback)
    except TrainingInterrupted:
        return start, last[0], True
    finally:
        if frames is not None:
            frames.close()
            adopt_start_frames(folder)
    return start, target, False


def _evaluate_and_report(spec: SweepSpec, folder: Path, update: int, report=None) -> None:
    """What ``npgan eval`` writes, then the report ``npgan train`` builds at its end (which reuses it);
    each only if it is missing or older than the checkpoint of ``update``. ``report(update, phase)``
    is told each as it starts (the sweep's bar shows a run evaluating, not a finished count)."""
    from npgan.report import REPORT_NAME, build_report
    from npgan.report.run_files import evaluate_and_save
    ev = spec.evaluation
    tell = report or (lambda update, phase: None)
    with _FIGURE_LOCK:
        evaluated = eval_update(folder) != update
        if evaluated:
            tell(update, "evaluating")
            evaluate_and_save(folder, dataset=spec.dataset, data_dir=spec.data_dir, samples=ev.samples,
                              bases=ev.bases, limit=ev.limit)
        if spec.figures and (evaluated or not (folder / REPORT_NAME).exists()):
            tell(update, "building its report")
            build_report(folder, data_dir=spec.data_dir)


def milestone_path(folder: Path, update: int) -> Path:
    """Where a run's evaluation at update ``update`` (an ``eval_at`` of its sweep) is kept."""
    return Path(folder) / MILESTONES_DIR / f"update_{update:05d}.json"


def _evaluate_milestone(spec: SweepSpec, folder: Path, update: int, report=None) -> None:
    """``npgan eval`` at ``update`` (the run's checkpoint now), kept as :func:`milestone_path`."""
    _evaluate_and_report(replace(spec, figures=False), folder, update, report)
    path = milestone_path(folder, update)
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, (folder / EVAL_NAME).read_text())


def _read_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_one(spec: SweepSpec, run: RunSpec, *, root: Path | None = None, should_stop=None, report=None,
            gather: bool = False) -> RunOutcome:
    """Train, evaluate and report one run of ``spec``; what a sweep's task does on its worker.

    Parameters
    ----------
    spec : SweepSpec
    run : RunSpec
    root : pathlib.Path, optional
        Where run folders go on this machine (default ``spec.out``).
    should_stop : callable () -> bool, optional
        Asked before training and after every update; True stops the run with a checkpoint (status
        ``"interrupted"``); asked after training, it skips the evaluations (the next attempt makes them).
    report : callable (update, phase=None) -> None, optional
        Told the update count after every update (progress), and ``phase`` ("evaluating", "building
        its report") as each step after training starts.
    gather : bool
        Return the run folder's files in the outcome (for a client that cannot see ``root``).

    Raises
    ------
    ValueError
        A bad setting, a folder holding another run, too few images for the batch.
    npgan.train.TrainingDiverged, npgan.train.RunLocked, npgan.train.CheckpointError
        A loss became non-finite; another live process trains in the folder; a damaged checkpoint.
    """
    t0 = time.perf_counter()
    folder = spec.folder(run, root)
    first = None
    for target in (*spec.eval_at, spec.updates):
        if target < spec.updates and milestone_path(folder, target).exists():
            continue
        start, end, interrupted = _train(spec, run, folder, should_stop, report, target)
        first = start if first is None else first
        interrupted = interrupted or _stopping(should_stop)  # trained, but stopped before its evaluation
        if interrupted:
            break
        if target < spec.updates and end == target:  # a run already past a milestone is not evaluated there
            _evaluate_milestone(spec, folder, target, report)
    start = first
    if not interrupted:
        _evaluate_and_report(spec, folder, end, report)
    return RunOutcome(name=run.name, status="interrupted" if interrupted else "done", start_update=start,
                      end_update=end, host=socket.gethostname(), folder=str(folder),
                      seconds=time.perf_counter() - t0, files=_read_files(folder) if gather else None)
