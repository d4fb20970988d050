"""The training loop: batches, progress, metrics, checkpoints, resume, signals and the divergence guard.

Files written to the run folder (:mod:`npgan.run.folder`):

- ``checkpoint.npz``: the latest checkpoint (model, optimisers, RNG and data-stream state, config,
  run id), written atomically every ``checkpoint_every`` updates, at the end, and on Ctrl-C or
  SIGTERM; only a state whose every array is finite is written.
- ``metrics.jsonl``: one JSON object per update (losses, L_I parts, mean D outputs, seconds),
  appended and flushed per update (:mod:`npgan.run.metrics`).
- ``config.json``: the run's settings, seed, dataset, updates, number of images and id.
- ``train.lock`` while training (:mod:`npgan.run.lock`).

``resume=True`` continues exactly where the checkpoint stopped: the same batches, the same latent
samples, the same numbers as an uninterrupted run. The checkpoint is checked against the run's own
config before anything is loaded (:mod:`npgan.run.state_check`), and the metrics lines written
after it (by a run that was killed rather than stopped) are cut off.

Every ``check_every``-th update (and the first) runs in checked mode (:mod:`npgan.nn.checked`): a
NaN or an infinity reaching a layer stops training with the layer's name. A non-finite loss stops
it too, in any update.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import signal
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan._checks import check_float_array
from npgan.kernels.alloc import keep_freed_memory
from npgan.kernels.disk_cache import compile_note
from npgan.kernels.threads import use_threads
from npgan.models.memory import check_training_memory
from npgan.nn.checked import NonFiniteError, checked_mode
from npgan.run.checkpoint import CheckpointError, save_checkpoint
from npgan.run.folder import RunFolder, write_atomic
from npgan.run.metrics import MetricsLog, read_metrics, truncate_metrics
from npgan.run.signals import EXIT_STATUS, StopSignals
from npgan.run.state_check import check_trainer_state
from npgan.train.build import as_training_config, build_trainer, restore
from npgan.train.config import Starts, TrainingConfig
from npgan.train.options import TrainingDiverged, TrainingInterrupted, TrainOptions
from npgan.train.starts import STATISTIC, choose, record_start0, remove_starts, start_folder, start_seed
from npgan.train.step import InfoGANTrainer, StepStats
from npgan.train.stream import BatchStream

logger = logging.getLogger("npgan")

__all__ = ["train"]


@dataclass
class _Run:
    """A run being trained: its settings, trainer, data stream and the update its checkpoint holds."""

    config: TrainingConfig
    trainer: InfoGANTrainer
    stream: BatchStream
    seed: int
    dataset: str
    run_id: str
    start: int
    saved: int | None  # the update of the run's checkpoint on disk (None: none yet)
    folder: RunFolder

    def state(self, update: int) -> dict:
        return {"update": update, "seed": self.seed, "dataset": self.dataset, "run_id": self.run_id,
                "config": self.config.to_dict(), "trainer": self.trainer.state(), "data": self.stream.state()}

    def last_good(self) -> str:
        if self.saved is None:
            return "no checkpoint of this run exists yet"
        return f"the last good checkpoint, {self.folder.checkpoint}, holds update {self.saved}"


def _check_images(images, config: TrainingConfig) -> None:
    check_float_array(images, "images", ndim=4)
    if images.dtype != np.float32:
        raise TypeError(f"`images` must be float32 for training, got {images.dtype}")
    if images.shape[1:] != config.model.image_shape:
        raise ValueError(f"`images` must have shape (N, {', '.join(map(str, config.model.image_shape))}), "
                         f"got {images.shape}")
    if images.shape[0] == 0:
        raise ValueError("`images` must not be empty")
    lo, hi = float(images.min()), float(images.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("`images` must hold finite values, got NaN or inf")
    if lo < 0 or hi > 1:
        raise ValueError(f"`images` must hold values in [0, 1], got [{lo}, {hi}]")


def _start_new(folder: RunFolder, config: TrainingConfig, options: TrainOptions, images, dataset: str) -> _Run:
    check_training_memory(config.model)
    trainer, stream = build_trainer(config, options.seed, images)
    folder.metrics.write_text("")
    remove_starts(folder.path)  # an earlier run's starts (the folder holds no run files now)
    return _Run(config, trainer, stream, options.seed, dataset, secrets.token_hex(8), 0, None, folder)


def _same_run(folder: RunFolder, state: dict, config: TrainingConfig) -> str:
    """The run id, after checking that the checkpoint belongs to the run that ``config.json`` describes."""
    meta, ckpt_id = folder.read_config(), state.get("run_id")
    if meta is None:
        return ckpt_id or secrets.token_hex(8)
    folder_id = meta.get("run_id") if isinstance(meta.get("run_id"), str) else None
    if ckpt_id is not None and folder_id is not None:
        if ckpt_id != folder_id:
            raise CheckpointError(f"{folder.checkpoint} belongs to another run (id {ckpt_id}) than {folder.config} "
                                  f"(id {folder_id}); a checkpoint copied in from elsewhere is not resumed")
        return ckpt_id
    try:  # a side without an id (written by an npgan without run ids): the settings must agree
        same = (TrainingConfig.from_dict(meta.get("config")) == config and meta.get("seed") == state["seed"]
                and meta.get("dataset") == state["dataset"])
    except (TypeError, ValueError, KeyError, AttributeError):
        same = False
    if not same:
        raise CheckpointError(f"{folder.checkpoint} belongs to another run than {folder.config} (their settings, "
                              "seed or dataset differ); a checkpoint copied in from elsewhere is not resumed")
    return ckpt_id or folder_id or secrets.token_hex(8)


def _resume(folder: RunFolder, images) -> _Run:
    restored = restore(folder.checkpoint, images)
    state, update = restored.state, restored.state["update"]
    run_id = _same_run(folder, state, restored.config)
    if folder.metrics.exists():
        truncate_metrics(folder.metrics, update)
    elif update:
        logger.warning("note: %s is missing; the log goes on from update %d", folder.metrics, update + 1)
    return _Run(restored.config, restored.trainer, restored.stream, state["seed"], state["dataset"], run_id, update,
                update, folder)


def train(config, images: np.ndarray, options: TrainOptions, *,
          resume: bool = False, dataset: str = "unknown", callback=None, start_callback=None):
    """Train InfoGAN on ``images`` (float32, (N, 1, 28, 28), finite values in [0, 1]).

    The kernels run on npgan's thread pool with BLAS single-threaded
    (:func:`npgan.kernels.threads.use_threads`: every CPU this process may use), and glibc's malloc
    keeps freed memory for the next update (:func:`npgan.kernels.alloc.keep_freed_memory`).

    ``config`` is a :class:`TrainingConfig` (or an InfoGANConfig: the paper's objective alone); on
    resume the checkpoint's own settings, seed and dataset are used.

    Returns
    -------
    trainer : InfoGANTrainer
        The trained networks and optimisers.
    last : StepStats or None
        The last update's statistics (None if no update ran, e.g. resuming a finished run).

    Raises
    ------
    TrainingDiverged
        A NaN or an infinity (see the class); the message says which checkpoint is kept.
    TrainingInterrupted
        Ctrl-C or SIGTERM; a checkpoint of the last completed update was saved first.
    RunFolderError, RunLocked
        The folder holds another run, has no checkpoint to resume, is a file, is not writable, or
        another process trains in it.
    CheckpointError, MetricsError
        On resume: the checkpoint or the metrics log cannot be used (the message names the file).
    NotEnoughMemory
        The networks and batch of the config would not fit into the memory available.
    OSError
        A checkpoint or the metrics log could not be written (e.g. a full disk); the message says
        which checkpoint is kept.

    ``callback(update, stats, trainer)``, if given, is called after every update (the CLI draws its
    sample frames there; tests use it). A ``KeyboardInterrupt`` it raises stops training like Ctrl-C.

    With ``config.starts.count > 1`` the run makes several starts and continues the best
    (:mod:`npgan.train.starts`); ``start_callback(k, folder)``, if given, returns the callback of
    start ``k >= 1`` (trained in ``folder``), e.g. to draw its frames there.
    """
    keep_freed_memory()   # every update reallocates the same arrays: reuse them, no page faults
    with use_threads():
        return _train(config, images, options, resume=resume, dataset=dataset, callback=callback,
                      start_callback=start_callback)


def _train(config, images, options, *, resume, dataset, callback, start_callback=None):
    config = as_training_config(config)
    if not isinstance(options, TrainOptions):
        raise TypeError(f"`options` must be a TrainOptions, got {type(options).__name__}")
    _check_images(images, config)
    folder = RunFolder(options.out_dir)
    with folder.opened(resume=resume, overwrite=options.overwrite):
        run = _resume(folder, images) if resume else _start_new(folder, config, options, images, dataset)
        folder.write_config({"config": run.config.to_dict(), "seed": run.seed, "dataset": run.dataset,
                             "updates": options.updates, "images": int(images.shape[0]), "run_id": run.run_id})
        at = run.config.starts.updates
        if run.config.starts.count > 1 and run.start <= at < options.updates:
            if run.start < at:  # start 0 (the run itself) up to the choice
                _loop(run, dataclasses.replace(options, updates=at), callback)
            _run_starts(run, images, options, start_callback)
            run.start = at
        return _loop(run, options, callback)


def _run_starts(run: _Run, images, options: TrainOptions, start_callback) -> None:
    """Train starts 1 .. K-1 of ``run`` (start 0, the run itself, is at ``starts.updates``), each a
    plain run in its own folder, choose (:func:`npgan.train.starts.choose`), and let the run take over
    the chosen start's state and log. ``start_callback(k, folder)``, if given, returns the per-update
    callback of start k."""
    st, out = run.config.starts, run.folder.path
    record_start0(out, st)
    plain = dataclasses.replace(run.config, starts=Starts())
    for k in range(1, st.count):
        folder = start_folder(out, k)
        resume = RunFolder(folder).checkpoint.exists()
        sub = TrainOptions(updates=st.updates, seed=start_seed(run.seed, k), out_dir=folder,
                           checkpoint_every=options.checkpoint_every, progress=options.progress,
                           overwrite=not resume, check_every=options.check_every)
        logger.warning("start %d of starts 0-%d (seed %d) in %s", k, st.count - 1, sub.seed, folder)
        try:
            _train(plain, images, sub, resume=resume, dataset=run.dataset,
                   callback=None if start_callback is None else start_callback(k, folder))
        except TrainingDiverged as exc:
            logger.warning("note: start %d diverged and is not a candidate: %s", k, exc)
        except TrainingInterrupted as exc:
            raise TrainingInterrupted(f"start {k} of starts 0-{st.count - 1}: {exc}; resuming {out} resumes "
                                      "its starts", exc.exit_status) from None
    sel = choose(out, run.seed, st)
    if sel.chosen != 0:
        _take_over(run, images, start_folder(out, sel.chosen), st.updates)
    shown = ", ".join(f"{k}: " + ("diverged" if v is None else f"{v:.4g}") for k, v in enumerate(sel.values))
    logger.warning("starts: mean %s over updates %d-%d: %s; continuing start %d", STATISTIC,
                   st.updates - st.window + 1, st.updates, shown, sel.chosen)


def _take_over(run: _Run, images, folder: Path, updates: int) -> None:
    """The run continues from start ``folder``'s checkpoint at ``updates``, with that start's log."""
    start = RunFolder(folder)
    log = read_metrics(start.metrics, note=False)
    restored = restore(start.checkpoint, images, into=(run.trainer, run.stream))
    if restored.state["update"] != updates:
        raise CheckpointError(f"{start.checkpoint}: holds update {restored.state['update']}, the choice is at "
                              f"update {updates}")
    head = start.metrics.read_bytes()[:log.ends[updates - 1]]
    write_atomic(run.folder.metrics, head.decode("utf-8"))
    save_checkpoint(run.folder.checkpoint, run.state(updates))
    run.saved = updates


def _save(run: _Run, update: int, stop: StopSignals, log: MetricsLog) -> None:
    """Write the checkpoint of ``update`` if every array is finite (else TrainingDiverged)."""
    state = run.state(update)
    try:
        check_trainer_state(state["trainer"], run.trainer, update, "the training state")
    except CheckpointError as exc:
        raise TrainingDiverged(f"at update {update}, {exc}; it was not saved, and {run.last_good()}. "
                               "Try another --seed or a lower learning rate.") from None
    log.sync()  # the log never holds fewer updates than the checkpoint, even after a crash
    stop.saving = True
    try:
        save_checkpoint(run.folder.checkpoint, state)
    except OSError as exc:
        raise OSError(exc.errno, f"could not write the checkpoint {run.folder.checkpoint} "
                                 f"({exc.strerror or exc}); {run.last_good()}") from exc
    finally:
        stop.saving = False
    run.saved = update


def _one_update(run: _Run, update: int, stop: StopSignals, checked: bool) -> StepStats:
    """Update ``update + 1``, in checked mode if ``checked``; a NaN or infinity is TrainingDiverged."""
    stop.in_update = True
    try:
        # an overflow here ends as a NaN or an infinity, which is reported below in one line; numpy's
        # own warnings about it would only print raw lines before that
        with checked_mode(run.trainer.nets.modules(), enabled=checked), np.errstate(all="ignore"):
            stats = run.trainer.update(run.stream.next())
    except NonFiniteError as exc:
        raise TrainingDiverged(f"update {update + 1}: {exc}; {run.last_good()}. Try another --seed or a lower "
                               "learning rate.") from None
    except KeyboardInterrupt as exc:  # a second Ctrl-C inside an update: its state is half-made, never saved
        raise TrainingInterrupted(f"interrupted inside update {update + 1}; {run.last_good()}") from exc
    finally:
        stop.in_update = False
    if not stats.finite():
        raise TrainingDiverged(f"a loss became non-finite at update {update + 1}: {stats.as_dict()}; "
                               f"{run.last_good()}. Try another --seed or a lower learning rate.")
    return stats


def _progress_bar(total: int, initial: int, leave: bool = True):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc="train", unit="upd", dynamic_ncols=True, leave=leave)


#: numpy's floating-point warnings (an overflow inside an update or a sample frame)
_FLOAT_WARNINGS = r"(overflow|invalid value|divide by zero|underflow) encountered"


@contextmanager
def _no_float_warnings():
    """numpy's floating-point warnings ignored in every thread: a NaN or infinity ends as one line of
    the loop (TrainingDiverged). ``np.errstate`` does not reach the GEMM pieces on npgan's thread pool
    (it is per thread), so a diverging update printed raw ``RuntimeWarning`` lines from there."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FLOAT_WARNINGS, category=RuntimeWarning)
        yield


def _loop(run: _Run, options: TrainOptions, callback):
    bar = None
    if options.progress:
        note = compile_note()  # said before the first update, which waits for the compilation
        if note is not None:
            print(f"train: {note}", file=sys.stderr, flush=True)
        bar = _progress_bar(options.updates, run.start, leave=False)  # until the first update is done
    last: StepStats | None = None
    update = run.start
    try:
        with MetricsLog(run.folder.metrics) as log, StopSignals() as stop, _no_float_warnings():
            try:
                while update < options.updates and not stop.requested:
                    t0 = time.perf_counter()
                    stats = _one_update(run, update, stop, checked=(update - run.start) % options.check_every == 0)
                    update, last = update + 1, stats
                    _append(log, run, {"update": update, **stats.as_dict(),
                                       "seconds": round(time.perf_counter() - t0, 4)})
                    if update % options.checkpoint_every == 0 or update == options.updates:
                        _save(run, update, stop, log)
                    if bar is not None:
                        if update == run.start + 1:
                            # a new bar: its rate and ETA count from here, without the first update's
                            # compilation and checked mode (a first ETA of 47 hours otherwise)
                            bar.close()
                            bar = _progress_bar(options.updates, update)
                        else:
                            bar.update(1)
                        bar.set_postfix(D=f"{stats.d_loss:.3f}", G=f"{stats.g_loss:.3f}",
                                        L_I=f"{stats.li_cat:.3f}", refresh=False)
                    if callback is not None:
                        callback(update, stats, run.trainer)
            except TrainingInterrupted:
                raise
            except KeyboardInterrupt:  # raised by the callback (a caller's stop request)
                stop.request(signal.SIGINT, "a KeyboardInterrupt")
            if stop.requested:
                return _stopped(run, update, stop, log)
    finally:
        if bar is not None:
            bar.close()
    return run.trainer, last


def _append(log: MetricsLog, run: _Run, record: dict) -> None:
    try:
        log.append(record)
    except OSError as exc:
        raise OSError(exc.errno, f"could not append to {log.path} ({exc.strerror or exc}); "
                                 f"{run.last_good()}") from exc


def _stopped(run: _Run, update: int, stop: StopSignals, log: MetricsLog):
    """Save the checkpoint of ``update`` (unless it is on disk) and raise TrainingInterrupted."""
    if run.saved != update:
        _save(run, update, stop, log)
    raise TrainingInterrupted(f"stopped by {stop.reason} at update {update}; checkpoint saved to "
                              f"{run.folder.checkpoint} (continue with --resume)", EXIT_STATUS[stop.signum])
