"""Networks a hundred times smaller than the paper's, for tests of the training machinery.

The loop, checkpoints, run folders and signals do not depend on the networks' widths, and with
these a checkpoint is 0.1 MB instead of 160 MB, so tests can kill and resume a run dozens of times
in seconds. Use with ``monkeypatch.setattr(npgan.train.loop, "InfoGANNets", TinyNets)``.
"""

import numpy as np

from npgan import nn
from npgan.models import InfoGANNets


class TinyNets(InfoGANNets):
    """InfoGANNets' interface with one hidden layer of 16 units in G, the trunk and no head."""

    def __init__(self, config, rng, dtype=np.float32):
        self.config = config
        lat = config.latent
        kw = dict(rng=rng, dtype=dtype)
        self.G = nn.Sequential(nn.Linear(lat.input_dim, 16, **kw), nn.BatchNorm1d(16, **kw), nn.ReLU(),
                               nn.Linear(16, 784, **kw), nn.Sigmoid(), nn.Reshape((1, 28, 28)))
        self.trunk = nn.Sequential(nn.Flatten(), nn.Linear(784, 16, **kw), nn.BatchNorm1d(16, **kw),
                                   nn.LeakyReLU(config.leaky_slope))
        self.d_head = nn.Sequential(nn.Linear(16, 1, **kw))
        self.q_head = nn.Sequential(nn.Linear(16, lat.q_output_dim, **kw))
        self.dtype = np.dtype(dtype)
