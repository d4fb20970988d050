"""Shared setup of the tests of the training machinery: tiny networks, small latents, random images.

The loop, checkpoints, run folders and signals do not depend on the networks' widths, and with
``TinyNets`` a checkpoint is 0.1 MB instead of 160 MB, so tests can kill and resume a run dozens of
times in seconds. A test trains with them by asking for the ``tiny_nets`` fixture (tests/conftest.py;
a whole module: ``pytestmark = pytest.mark.usefixtures("tiny_nets")``); a module-scoped fixture
uses ``with tiny_nets_patched(): ...``.

``TINY_LATENT`` (noise 6, one categorical code of 3, two continuous codes) has every kind of code
every training term needs; ``SMALL_LATENT`` (noise 4, one code of each kind) is smaller still.
``random_images(n, seed)`` gives the uniform-noise "images" the mechanics are tested on.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest

import npgan.train.build as build
from npgan import nn
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec

#: Noise 6, one categorical code of 3, two continuous codes: every training term applies.
TINY_LATENT = LatentSpec(noise_dim=6, categorical=(3,), continuous=2)
#: Noise 4, one categorical code of 3, one continuous code.
SMALL_LATENT = LatentSpec(noise_dim=4, categorical=(3,), continuous=1)
#: ``npgan train`` options of a tiny run: 4 updates at batch 8 on 64 images, checkpoints at 2 and 4.
TINY_TRAIN_ARGS = ("--updates", "4", "--checkpoint-every", "2", "--batch-size", "8", "--subset", "64",
                   "--no-progress", "--no-figures", "--set", "latent.noise_dim=6")


def tiny_config(latent: LatentSpec = TINY_LATENT, batch_size: int = 8, **model) -> InfoGANConfig:
    """The model settings of the tests: a small latent at batch 8.

    Parameters
    ----------
    latent : LatentSpec
        The latent layout (default ``TINY_LATENT``).
    batch_size : int
        The batch size (default 8).
    **model
        Any other ``InfoGANConfig`` field (``gan_baseline=True``, ...).

    Returns
    -------
    InfoGANConfig
    """
    return InfoGANConfig(latent=latent, batch_size=batch_size, **model)


def random_images(n: int, seed: int, dtype=np.float32) -> np.ndarray:
    """Uniform noise in [0, 1] shaped as MNIST images: enough for the mechanics, not for quality.

    Parameters
    ----------
    n : int
        How many images.
    seed : int
        Seed of the ``numpy.random.default_rng`` that draws them (float64, then cast).
    dtype : numpy dtype
        The images' dtype (default float32, as training takes them).

    Returns
    -------
    numpy.ndarray
        Shape (n, 1, 28, 28).
    """
    return np.random.default_rng(seed).uniform(0, 1, (n, 1, 28, 28)).astype(dtype)


def error_line(capsys, command: str = "train") -> str:
    """The one ``npgan COMMAND: error:`` line on stderr since the last read (asserts there is one).

    Parameters
    ----------
    capsys : pytest.CaptureFixture
        The test's ``capsys`` fixture; its stderr is read (and so cleared).
    command : str
        The npgan command that failed (default ``"train"``).

    Returns
    -------
    str
        The error line.
    """
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.startswith(f"npgan {command}: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


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


def use_tiny_nets(monkeypatch) -> None:
    """Make training (``npgan.train.build``, so ``train`` and every command) build ``TinyNets``.

    Parameters
    ----------
    monkeypatch : pytest.MonkeyPatch
        Undoes the change when it is undone (at the end of the test, for the fixture's).
    """
    monkeypatch.setattr(build, "InfoGANNets", TinyNets)


@contextmanager
def tiny_nets_patched():
    """``use_tiny_nets`` for the duration of a ``with`` block (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as mp:
        use_tiny_nets(mp)
        yield
