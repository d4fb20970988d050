"""A trainer built from settings and a seed (:func:`build_trainer`), or from a checkpoint
(:func:`restore`, :func:`load_trained`).

Reading a checkpoint back is one sequence, written once in :func:`restore`: load it
(:func:`npgan.run.checkpoint.load_checkpoint`), check its top level and read its settings
(:func:`npgan.train.config.checkpoint_config`), build a trainer from them, check the checkpoint's
networks, optimisers, generators and data stream against that trainer
(:mod:`npgan.run.state_check`), and only then load them. Resuming a run, continuing the start a run
chose (:mod:`npgan.train.starts`) and loading trained networks for evaluation all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan.models.infogan import InfoGANConfig, InfoGANNets
from npgan.models.memory import check_training_memory
from npgan.run.checkpoint import load_checkpoint
from npgan.run.folder import CHECKPOINT_NAME
from npgan.run.state_check import check_stream_state, check_trainer_state
from npgan.train.config import TrainingConfig, checkpoint_config
from npgan.train.step import InfoGANTrainer
from npgan.train.stream import BatchStream
from npgan.train.terms import build_terms

__all__ = ["Restored", "as_training_config", "build_trainer", "load_trained", "restore"]


def as_training_config(config) -> TrainingConfig:
    """``config`` as a TrainingConfig (an InfoGANConfig alone means the paper's objective, no extra terms)."""
    if isinstance(config, InfoGANConfig):
        return TrainingConfig(model=config)
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"`config` must be a TrainingConfig or an InfoGANConfig, got {type(config).__name__}")
    return config


def _seeds(seed: int):
    """The generators of the initial weights, the latent samples and the data stream (independent)."""
    return [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(3)]


def _make_trainer(config: TrainingConfig, init_rng, latent_rng) -> InfoGANTrainer:
    nets = InfoGANNets(config.model, init_rng)
    return InfoGANTrainer(nets, latent_rng, terms=build_terms(config.terms), distortion=config.distortion)


def build_trainer(config, seed: int, images: np.ndarray):
    """Networks, trainer and batch stream, all seeded from ``seed`` (independent streams).

    ``config`` is a :class:`TrainingConfig` (or an InfoGANConfig: the paper's objective alone).
    """
    config = as_training_config(config)
    init_rng, latent_rng, data_rng = _seeds(seed)
    trainer = _make_trainer(config, init_rng, latent_rng)
    return trainer, BatchStream(images, config.model.batch_size, data_rng)


@dataclass
class Restored:
    """A checkpoint read back: its contents (``update``, ``seed``, ``dataset``, ``run_id``, ...), its
    settings, and the trainer (and data stream) holding its state."""

    state: dict
    config: TrainingConfig
    trainer: InfoGANTrainer
    stream: BatchStream | None


def restore(path, images: np.ndarray | None = None, *, into: tuple | None = None) -> Restored:
    """Load the training checkpoint ``path``, check it, and put its state into a trainer.

    Parameters
    ----------
    path : path
        The checkpoint file.
    images : ndarray or None
        The images the run trains on: the data stream is checked against them and restored too, and
        a trainer built here must fit in memory (:func:`npgan.models.memory.check_training_memory`).
        None: networks for evaluation; the stream's state is only checked for consistency.
    into : (InfoGANTrainer, BatchStream) or None
        A run's own trainer and stream (of the same networks and batch size) to load the state into,
        instead of building them from the checkpoint's settings and seed.

    Raises
    ------
    FileNotFoundError
        No checkpoint at ``path``.
    CheckpointError
        The checkpoint cannot be used; the message names the file and what is wrong. Nothing is
        loaded into ``into`` then.
    NotEnoughMemory
        The run's networks and batch would not fit into the memory available.
    """
    path = Path(path)
    state = load_checkpoint(path)
    config = checkpoint_config(state, path)
    if into is None and images is not None:
        check_training_memory(config.model)
    init_rng, latent_rng, data_rng = _seeds(state["seed"])
    trainer = _make_trainer(config, init_rng, latent_rng) if into is None else into[0]
    check_trainer_state(state["trainer"], trainer, state["update"], path)
    check_stream_state(state["data"], None if images is None else images.shape[0], config.model.batch_size, path)
    trainer.load_state(state["trainer"])
    trainer.updates_done = state["update"]  # the terms' schedules follow the update count
    stream = None
    if images is not None:
        stream = BatchStream(images, config.model.batch_size, data_rng) if into is None else into[1]
        stream.load_state(state["data"])
    return Restored(state, config, trainer, stream)


def load_trained(path) -> tuple[InfoGANNets, dict]:
    """Rebuild the networks stored in checkpoint ``path`` (a file or a run folder).

    The whole checkpoint is checked against its own config first (:func:`restore`).
    Returns the networks (in evaluation mode) and the checkpoint's metadata (``update``, ``seed``,
    ``dataset``, ``config``: the run's :class:`TrainingConfig`).

    Raises
    ------
    FileNotFoundError
        No checkpoint at ``path``.
    CheckpointError
        The checkpoint cannot be used; the message names the file and what is wrong.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    restored = restore(path)
    nets = restored.trainer.nets
    nets.eval()
    meta = {k: restored.state[k] for k in ("update", "seed", "dataset")}
    meta["config"] = restored.config
    return nets, meta
