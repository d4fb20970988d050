"""Training: the InfoGAN update, npgan's extra terms, the settings, the loop, run folders and checkpoints."""

from npgan.train.checkpoint import CheckpointError, load_checkpoint, read_checkpoint_meta, save_checkpoint
from npgan.train.config import TrainingConfig
from npgan.train.lock import RunLocked
from npgan.train.loop import (BatchStream, TrainingDiverged, TrainingInterrupted, TrainOptions,
                              build_trainer, load_trained, train)
from npgan.train.metrics import MetricsError, read_metrics
from npgan.train.run_folder import RunFolderError
from npgan.train.step import InfoGANTrainer, StepStats
from npgan.train.terms import TERMS, Schedule

__all__ = ["CheckpointError", "load_checkpoint", "read_checkpoint_meta", "save_checkpoint", "TrainingConfig",
           "RunLocked", "BatchStream", "TrainingDiverged", "TrainingInterrupted", "TrainOptions", "build_trainer",
           "load_trained", "train", "MetricsError", "read_metrics", "RunFolderError", "InfoGANTrainer",
           "StepStats", "TERMS", "Schedule"]
