"""One run of a sweep, as a worker carries it out: train (or resume), draw the figures, evaluate.

:func:`run_one` goes through the library exactly as ``npgan train`` and ``npgan eval`` do
(:func:`npgan.recipes.resolve`, :func:`npgan.train.train`, :func:`npgan.evaluation.run.evaluate_run`),
so a sweep's run folder is the one those commands write for the same seed and settings:
``config.json``, ``metrics.jsonl``, ``checkpoint.npz``, the figures and ``eval.json``. A run whose
checkpoint has reached the requested updates is never trained again; one with an earlier checkpoint
resumes from it; a folder holding a run with other settings is refused.

Nothing here imports Dask (:mod:`npgan.sweep.worker` is the glue).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from npgan.recipes import resolve
from npgan.sweep.plan import RunSpec, SweepSpec
from npgan.train import TrainingConfig, TrainingInterrupted, TrainOptions, load_checkpoint, train
from npgan.train.loop import CHECKPOINT_NAME, METRICS_NAME

EVAL_NAME = "eval.json"

_DATA: dict[tuple, tuple] = {}  # (dataset, split, data_dir, n) -> (images, labels): one load per worker
_DATA_LOCK = threading.Lock()
_FIGURE_LOCK = threading.Lock()  # pyplot keeps global state: one thread draws at a time


@dataclass
class RunOutcome:
    """What one attempt at a run did.

    ``status`` is ``"done"`` (trained to the end and evaluated), ``"interrupted"`` (stopped by the
    sweep; the checkpoint of ``end_update`` is on disk) or ``"failed"`` (``error``: the exception in
    one line, ``traceback``: where; updates -1). ``start_update`` is the update this attempt started
    training from (0: from scratch; equal to ``end_update``: nothing to train). ``files`` holds the
    run folder's files (name -> bytes) when the sweep gathers results to its client.
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
        return int(json.loads((Path(folder) / EVAL_NAME).read_text())["update"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def is_finished(folder: Path, updates: int) -> bool:
    """True if the run in ``folder`` has a checkpoint of at least ``updates`` updates, evaluated."""
    done = eval_update(folder)
    return done is not None and done >= updates and (Path(folder) / CHECKPOINT_NAME).exists()


def load_data(dataset: str, split: str, data_dir: str | None, n: int | None):
    """Images and labels, loaded once per worker process (the synthetic digits are rendered here)."""
    from npgan.data import load_dataset
    key = (dataset, split, data_dir, n)
    with _DATA_LOCK:
        if key not in _DATA:
            kw = {"data_dir": data_dir} if dataset == "mnist" else {}
            _DATA[key] = load_dataset(dataset, split=split, n=n, **kw)
        return _DATA[key]


def _check_same_run(state: dict, config: TrainingConfig, run: RunSpec, dataset: str, folder: Path) -> None:
    have, want = TrainingConfig.from_dict(state["config"]).settings(), config.settings()
    diff = [f"{k}: run {have[k]!r}, asked {want[k]!r}" for k in have if have[k] != want[k]]
    if int(state["seed"]) != run.seed:
        diff.insert(0, f"seed: run {state['seed']}, asked {run.seed}")
    if state["dataset"] != dataset:
        diff.insert(0, f"dataset: run {state['dataset']!r}, asked {dataset!r}")
    if diff:
        raise ValueError(f"{folder} holds a run with other settings ({'; '.join(diff)}); "
                         "move it away or give the sweep another output folder")


def _records(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / METRICS_NAME).read_text().splitlines() if x.strip()]


def _train(spec: SweepSpec, run: RunSpec, folder: Path, should_stop, report) -> tuple[int, int, bool]:
    """Train ``run`` to ``spec.updates`` in ``folder``: (start update, end update, interrupted)."""
    config = resolve(run.recipe, spec.dataset, run.overrides)
    ckpt = folder / CHECKPOINT_NAME
    start = 0
    if ckpt.exists():
        state = load_checkpoint(ckpt)
        _check_same_run(state, config, run, spec.dataset, folder)
        start = int(state["update"])
        if start >= spec.updates:
            return start, start, False
    if report is not None:
        report(start)  # the run has started (from its checkpoint's update)
    images, _ = load_data(spec.dataset, "train", spec.data_dir, spec.subset)
    if images.shape[0] < config.model.batch_size:
        raise ValueError(f"batch size {config.model.batch_size} exceeds the {images.shape[0]} training images")
    options = TrainOptions(updates=spec.updates, seed=run.seed, out_dir=folder,
                           checkpoint_every=spec.checkpoint_every, progress=False)

    last = [start]

    def callback(update, stats, trainer):
        last[0] = update
        if report is not None:
            report(update)
        if should_stop is not None and should_stop():
            raise KeyboardInterrupt  # the loop saves a checkpoint of this update and stops

    try:
        train(config, images, options, resume=start > 0, dataset=spec.dataset, callback=callback)
    except TrainingInterrupted:
        return start, last[0], True
    return start, spec.updates, False


def _figures_and_eval(spec: SweepSpec, run: RunSpec, folder: Path) -> None:
    """What ``npgan train`` draws at the end and what ``npgan eval`` writes, for the run in ``folder``."""
    from npgan.evaluation.run import evaluate_run
    from npgan.figures import save_eval_figures, save_run_figures
    ev = spec.evaluation
    nets, result = evaluate_run(folder, dataset=spec.dataset, data_dir=spec.data_dir, samples=ev.samples,
                                bases=ev.bases, limit=ev.limit)
    if spec.figures:
        with _FIGURE_LOCK:
            save_run_figures(nets, _records(folder), folder, run.seed)
            save_eval_figures(result, folder)
    (folder / EVAL_NAME).write_text(json.dumps(result, indent=2))


def _read_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def run_one(spec: SweepSpec, run: RunSpec, *, root: Path | None = None, should_stop=None, report=None,
            gather: bool = False) -> RunOutcome:
    """Train, draw and evaluate one run of ``spec``; what a sweep's task does on its worker.

    Parameters
    ----------
    spec : SweepSpec
    run : RunSpec
    root : pathlib.Path, optional
        Where run folders go on this machine (default ``spec.out``).
    should_stop : callable () -> bool, optional
        Asked after every update; True stops the run with a checkpoint (status ``"interrupted"``).
    report : callable (update) -> None, optional
        Told the update count after every update (progress).
    gather : bool
        Return the run folder's files in the outcome (for a client that cannot see ``root``).

    Raises
    ------
    ValueError
        A bad setting, a folder holding another run, too few images for the batch.
    npgan.train.TrainingDiverged
        A loss became non-finite.
    """
    t0 = time.perf_counter()
    folder = spec.folder(run, root)
    start, end, interrupted = _train(spec, run, folder, should_stop, report)
    if not interrupted and eval_update(folder) != end:
        _figures_and_eval(spec, run, folder)
    return RunOutcome(name=run.name, status="interrupted" if interrupted else "done", start_update=start,
                      end_update=end, host=socket.gethostname(), folder=str(folder),
                      seconds=time.perf_counter() - t0, files=_read_files(folder) if gather else None)
