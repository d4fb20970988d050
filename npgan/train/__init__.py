"""Training: the InfoGAN update, the loop with checkpoints, and the checkpoint format."""

from npgan.train.checkpoint import load_checkpoint, save_checkpoint
from npgan.train.loop import (BatchStream, TrainingDiverged, TrainingInterrupted, TrainOptions,
                              build_trainer, load_trained, train)
from npgan.train.step import InfoGANTrainer, StepStats

__all__ = ["load_checkpoint", "save_checkpoint", "BatchStream", "TrainingDiverged", "TrainingInterrupted",
           "TrainOptions", "build_trainer", "load_trained", "train", "InfoGANTrainer", "StepStats"]
