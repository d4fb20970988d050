"""Training: the InfoGAN update, npgan's extra terms, the settings and the loop.

A run's files and process (folder, lock, checkpoint, metrics log, signals) are :mod:`npgan.run`'s.
"""

from npgan.train.build import build_trainer, load_trained
from npgan.train.config import TrainingConfig
from npgan.train.loop import train
from npgan.train.options import TrainingDiverged, TrainingInterrupted, TrainOptions
from npgan.train.step import InfoGANTrainer, StepStats
from npgan.train.stream import BatchStream
from npgan.train.terms import TERMS, Schedule

__all__ = ["TrainingConfig", "BatchStream", "TrainingDiverged", "TrainingInterrupted", "TrainOptions",
           "build_trainer", "load_trained", "train", "InfoGANTrainer", "StepStats", "TERMS", "Schedule"]
