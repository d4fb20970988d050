"""The training loop: batches, progress, metrics log, checkpoints, resume, interruption, NaN guard.

Files written to the output folder:

- ``checkpoint.npz``: the latest checkpoint (model, optimisers, RNG and data-stream state, config),
  written atomically every ``checkpoint_every`` updates, at the end, and on Ctrl-C.
- ``metrics.jsonl``: one JSON object per update (losses, L_I parts, mean D outputs, seconds).

``resume=True`` continues exactly where the checkpoint stopped: the same batches, the same latent
samples, the same numbers as an uninterrupted run. Metrics lines written after the checkpoint (by a
run that was killed rather than interrupted) are dropped so the log matches the resumed run.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan._checks import check_float_array, check_int
from npgan.kernels.threads import use_threads
from npgan.models.infogan import InfoGANConfig, InfoGANNets
from npgan.train.checkpoint import load_checkpoint, save_checkpoint
from npgan.train.config import TrainingConfig
from npgan.train.step import InfoGANTrainer, StepStats
from npgan.train.terms import build_terms

CHECKPOINT_NAME = "checkpoint.npz"
METRICS_NAME = "metrics.jsonl"


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; a checkpoint was saved first."""


class BatchStream:
    """Minibatches drawn without replacement, reshuffled every epoch (state can be saved).

    Parameters
    ----------
    images : ndarray, shape (N, 1, H, W)
    batch_size : int
    rng : numpy.random.Generator
    """

    def __init__(self, images: np.ndarray, batch_size: int, rng: np.random.Generator):
        if batch_size > images.shape[0]:
            raise ValueError(f"`batch_size` ({batch_size}) exceeds the number of images ({images.shape[0]})")
        self.images = images
        self.batch_size = batch_size
        self.rng = rng
        self.perm = rng.permutation(images.shape[0])
        self.pos = 0

    def next(self) -> np.ndarray:
        if self.pos + self.batch_size > self.perm.size:  # drop the ragged tail, reshuffle
            self.perm = self.rng.permutation(self.images.shape[0])
            self.pos = 0
        idx = np.sort(self.perm[self.pos: self.pos + self.batch_size])  # sorted: faster gather
        self.pos += self.batch_size
        return self.images[idx]

    def state(self) -> dict:
        return {"perm": self.perm, "pos": self.pos, "rng": self.rng.bit_generator.state}

    def load_state(self, s: dict) -> None:
        if s["perm"].shape != (self.images.shape[0],):
            raise ValueError("the checkpoint's data stream was made for a dataset of "
                             f"{s['perm'].shape[0]} images, but {self.images.shape[0]} were given")
        self.perm = s["perm"].astype(np.int64)
        self.pos = int(s["pos"])
        self.rng.bit_generator.state = s["rng"]


@dataclass
class TrainOptions:
    """How long and where to train (the model's hyperparameters live in InfoGANConfig)."""

    updates: int = 5000
    seed: int = 0
    out_dir: Path = Path("runs/infogan")
    checkpoint_every: int = 500
    progress: bool = True

    def __post_init__(self):
        self.updates = check_int(self.updates, "updates", minimum=1)
        self.seed = check_int(self.seed, "seed", minimum=0)
        self.checkpoint_every = check_int(self.checkpoint_every, "checkpoint_every", minimum=1)
        self.out_dir = Path(self.out_dir)


def as_training_config(config) -> TrainingConfig:
    """``config`` as a TrainingConfig (an InfoGANConfig alone means the paper's objective, no extra terms)."""
    if isinstance(config, InfoGANConfig):
        return TrainingConfig(model=config)
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"`config` must be a TrainingConfig or an InfoGANConfig, got {type(config).__name__}")
    return config


def build_trainer(config, seed: int, images: np.ndarray):
    """Networks, trainer and batch stream, all seeded from ``seed`` (independent streams).

    ``config`` is a :class:`TrainingConfig` (or an InfoGANConfig: the paper's objective alone).
    """
    config = as_training_config(config)
    init_ss, latent_ss, data_ss = np.random.SeedSequence(seed).spawn(3)
    nets = InfoGANNets(config.model, np.random.Generator(np.random.PCG64(init_ss)))
    trainer = InfoGANTrainer(nets, np.random.Generator(np.random.PCG64(latent_ss)),
                             terms=build_terms(config.terms), distortion=config.distortion)
    stream = BatchStream(images, config.model.batch_size, np.random.Generator(np.random.PCG64(data_ss)))
    return trainer, stream


def _checkpoint_state(config: TrainingConfig, trainer, stream, update: int, seed: int, dataset: str) -> dict:
    return {"update": update, "seed": seed, "dataset": dataset,
            "config": config.to_dict(), "trainer": trainer.state(), "data": stream.state()}


def _truncate_metrics(path: Path, last_update: int) -> None:
    if not path.exists():
        return
    kept = [line for line in path.read_text().splitlines()
            if line.strip() and json.loads(line)["update"] <= last_update]
    path.write_text("".join(line + "\n" for line in kept))


class _DeferInterrupt:
    """Turn Ctrl-C into a flag checked between updates, so a checkpoint is never taken mid-update.

    A second Ctrl-C interrupts at once. Only the main thread can install signal handlers; elsewhere
    KeyboardInterrupt is not delivered to this thread anyway, and this is a no-op.
    """

    def __init__(self):
        self.requested = False
        self._old = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


def train(config, images: np.ndarray, options: TrainOptions, *,
          resume: bool = False, dataset: str = "unknown", callback=None):
    """Train InfoGAN on ``images`` (float32, (N, 1, 28, 28), values in [0, 1]).

    The kernels run on npgan's thread pool with BLAS single-threaded
    (:func:`npgan.kernels.threads.use_threads`: every CPU this process may use).

    ``config`` is a :class:`TrainingConfig` (or an InfoGANConfig: the paper's objective alone); on
    resume the checkpoint's own settings are used.

    Returns
    -------
    trainer : InfoGANTrainer
        The trained networks and optimisers.
    last : StepStats or None
        The last update's statistics (None if no update ran, e.g. resuming a finished run).

    Raises
    ------
    TrainingDiverged
        A loss became NaN or infinite; the last good checkpoint stays on disk.
    TrainingInterrupted
        Ctrl-C; a checkpoint of the last completed update was saved first.

    ``callback(update, stats, trainer)``, if given, is called after every update (the CLI draws its
    sample frames there; tests use it).
    """
    with use_threads():
        return _train(config, images, options, resume=resume, dataset=dataset, callback=callback)


def _train(config, images, options, *, resume, dataset, callback):
    config = as_training_config(config)
    check_float_array(images, "images", ndim=4)
    if images.dtype != np.float32:
        raise TypeError(f"`images` must be float32 for training, got {images.dtype}")
    if images.shape[1:] != config.model.image_shape:
        raise ValueError(f"`images` must have shape (N, {', '.join(map(str, config.model.image_shape))}), "
                         f"got {images.shape}")
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path, metrics_path = out / CHECKPOINT_NAME, out / METRICS_NAME

    if resume:
        state = load_checkpoint(ckpt_path)
        config = TrainingConfig.from_dict(state["config"])
        trainer, stream = build_trainer(config, int(state["seed"]), images)
        trainer.load_state(state["trainer"])
        stream.load_state(state["data"])
        start = int(state["update"])
        trainer.updates_done = start  # the terms' schedules follow the update count
        seed = int(state["seed"])
        _truncate_metrics(metrics_path, start)
    else:
        trainer, stream = build_trainer(config, options.seed, images)
        start, seed = 0, options.seed
        metrics_path.write_text("")
    (out / "config.json").write_text(json.dumps(
        {"config": config.to_dict(), "seed": seed, "dataset": dataset, "updates": options.updates}, indent=2))

    def save(update: int) -> None:
        save_checkpoint(ckpt_path, _checkpoint_state(config, trainer, stream, update, seed, dataset))

    bar = None
    if options.progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=options.updates, initial=start, desc="train", unit="upd", dynamic_ncols=True)
    last: StepStats | None = None
    update = start
    in_update = False
    try:
        with metrics_path.open("a") as log, _DeferInterrupt() as sigint:
            while update < options.updates:
                t0 = time.perf_counter()
                in_update = True
                stats = trainer.update(stream.next())
                in_update = False
                if not stats.finite():
                    raise TrainingDiverged(
                        f"a loss became non-finite at update {update + 1}: {stats.as_dict()}; "
                        f"the last good checkpoint ({ckpt_path}) is kept. Try another --seed or a lower "
                        "learning rate.")
                update += 1
                last = stats
                log.write(json.dumps({"update": update, **stats.as_dict(),
                                      "seconds": round(time.perf_counter() - t0, 4)}) + "\n")
                if update % options.checkpoint_every == 0 or update == options.updates:
                    log.flush()
                    save(update)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(D=f"{stats.d_loss:.3f}", G=f"{stats.g_loss:.3f}",
                                    L_I=f"{stats.li_cat:.3f}", refresh=False)
                if callback is not None:
                    callback(update, stats, trainer)
                if sigint.requested:
                    raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        if in_update:
            # A second Ctrl-C broke into an update: the networks are half-updated, so the state
            # is not saved; the last periodic checkpoint stays.
            raise TrainingInterrupted(f"interrupted inside update {update + 1}; the last periodic "
                                      f"checkpoint ({ckpt_path}) is kept") from exc
        save(update)
        raise TrainingInterrupted(f"interrupted at update {update}; checkpoint saved to {ckpt_path} "
                                  "(continue with --resume)") from exc
    finally:
        if bar is not None:
            bar.close()
    if update == start and start >= options.updates and not ckpt_path.exists():
        save(update)
    return trainer, last


def load_trained(path) -> tuple[InfoGANNets, dict]:
    """Rebuild the networks stored in checkpoint ``path`` (a file or a run folder).

    Returns the networks (in evaluation mode) and the checkpoint's metadata
    (``update``, ``seed``, ``dataset``, ``config``: the run's :class:`TrainingConfig`).
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    state = load_checkpoint(path)
    for key in ("config", "trainer", "update"):
        if key not in state:
            raise ValueError(f"`{path}` is not an InfoGAN training checkpoint (no {key!r})")
    config = TrainingConfig.from_dict(state["config"])
    nets = InfoGANNets(config.model, np.random.default_rng(0))
    nets.load_state_dict(state["trainer"]["nets"])
    nets.eval()
    meta = {k: state[k] for k in ("update", "seed", "dataset")}
    meta["config"] = config
    return nets, meta
