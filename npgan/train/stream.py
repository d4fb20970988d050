"""The data stream: minibatches drawn without replacement, reshuffled every epoch, with a savable state."""

from __future__ import annotations

import numpy as np


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
        """Restore a state checked by :func:`npgan.run.state_check.check_stream_state`."""
        if s["perm"].shape != (self.images.shape[0],):
            raise ValueError("the checkpoint's data stream was made for a dataset of "
                             f"{s['perm'].shape[0]} images, but {self.images.shape[0]} were given")
        self.perm = s["perm"].astype(np.int64)
        self.pos = int(s["pos"])
        self.rng.bit_generator.state = s["rng"]
