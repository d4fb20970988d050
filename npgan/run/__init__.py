"""A training run as files and a process: its folder, lock, checkpoint, metrics log, the checks of
the states it reads back, and the signals that stop it.

Nothing here knows the algorithm (:mod:`npgan.train`, which uses this package): a checkpoint is a
nest of arrays and JSON values, a trainer is checked by the names, shapes and dtypes it has.
"""

from npgan.run.checkpoint import CheckpointError, load_checkpoint, read_checkpoint_meta, save_checkpoint
from npgan.run.folder import RunFolderError
from npgan.run.lock import RunLocked
from npgan.run.metrics import MetricsError, read_metrics

__all__ = ["CheckpointError", "load_checkpoint", "read_checkpoint_meta", "save_checkpoint", "RunFolderError",
           "RunLocked", "MetricsError", "read_metrics"]
