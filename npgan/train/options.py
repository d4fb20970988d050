"""How long and where a run trains (:class:`TrainOptions`), and how training can end early
(:class:`TrainingDiverged`, :class:`TrainingInterrupted`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from npgan._checks import check_int


class TrainingDiverged(RuntimeError):
    """A loss, a layer's input or gradient, or the state to be saved became NaN or infinite.

    The message says where, and whether a good checkpoint exists and which update it holds.
    """


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during training (a checkpoint was saved first, unless the message says not).

    ``exit_status`` is what a process stopped by that signal reports: 130 (SIGINT), 143 (SIGTERM).
    """

    def __init__(self, message: str, exit_status: int = 130):
        super().__init__(message)
        self.exit_status = exit_status


@dataclass
class TrainOptions:
    """How long and where to train (the model's hyperparameters live in InfoGANConfig).

    ``overwrite=True`` deletes a previous run's files in ``out_dir`` before starting (without it a
    folder holding a run is refused). ``check_every``: every how many updates one runs in checked
    mode (the first always does); 1 checks every update.
    """

    updates: int = 5000
    seed: int = 0
    out_dir: Path = Path("runs/infogan")
    checkpoint_every: int = 500
    progress: bool = True
    overwrite: bool = False
    check_every: int = 10

    def __post_init__(self):
        self.updates = check_int(self.updates, "updates", minimum=1)
        self.seed = check_int(self.seed, "seed", minimum=0)
        self.checkpoint_every = check_int(self.checkpoint_every, "checkpoint_every", minimum=1)
        self.check_every = check_int(self.check_every, "check_every", minimum=1)
        self.out_dir = Path(self.out_dir)
        if not isinstance(self.overwrite, bool):
            raise TypeError(f"`overwrite` must be a bool, got {type(self.overwrite).__name__}")
