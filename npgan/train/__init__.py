"""Training: the InfoGAN update, npgan's extra terms, the settings, the loop and checkpoints."""

from npgan.train.checkpoint import load_checkpoint, save_checkpoint
from npgan.train.config import TrainingConfig
from npgan.train.loop import (BatchStream, TrainingDiverged, TrainingInterrupted, TrainOptions,
                              build_trainer, load_trained, train)
from npgan.train.step import InfoGANTrainer, StepStats
from npgan.train.terms import TERMS, Schedule

__all__ = ["load_checkpoint", "save_checkpoint", "TrainingConfig", "BatchStream", "TrainingDiverged",
           "TrainingInterrupted", "TrainOptions", "build_trainer", "load_trained", "train", "InfoGANTrainer",
           "StepStats", "TERMS", "Schedule"]
