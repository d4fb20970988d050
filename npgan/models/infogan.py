"""The InfoGAN networks for 28x28 images (the paper's MNIST architecture).

Generator (latent -> image in [0, 1])::

    FC 1024 - BN - ReLU - FC 7*7*128 - BN - ReLU - reshape (128, 7, 7)
    - 4x4 up-conv 64 stride 2 - BN - ReLU - 4x4 up-conv 1 stride 2 - sigmoid

Discriminator trunk, shared by the D head and the Q head (the paper's "Q shares
all convolutional layers with D")::

    4x4 conv 64 stride 2 - lReLU - 4x4 conv 128 stride 2 - BN - lReLU - FC 1024 - BN - lReLU
    D head: FC 1 (a logit: D(x) = sigmoid(logit))
    Q head: FC 128 - BN - lReLU - FC (categorical logits, continuous means, continuous log-stds)

Choices, each documented because implementations differ:

- Leaky ReLU slope: the paper's appendix says 0.1, the original code uses 0.01. Default 0.1
  (paper); ``leaky_slope=0.01`` selects the code's.
- Continuous codes: Q is a factored Gaussian. ``q_std="learned"`` (the paper: the std is a
  network output, through exp(log-std)) or ``q_std="fixed"`` (the original MNIST code: std 1,
  the log-std outputs are ignored).
- Initialisation as in the original code: conv/deconv/FC weights ~ N(0, 0.02), biases 0,
  BN gamma ~ N(1, 0.02), beta 0, eps 1e-5, running averages with decay 0.9 (momentum 0.1).
- D is applied to the real and the fake batch separately, so each gets its own BN statistics.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np

from npgan import nn
from npgan._checks import check_generator, check_real
from npgan.models.latent import LatentSpec

Q_STD_CHOICES = ("learned", "fixed")
#: The largest batch size accepted (the paper's is 128).
MAX_BATCH_SIZE = 4096


@dataclass
class InfoGANConfig:
    """The paper's hyperparameters of an InfoGAN run (defaults: the paper's MNIST recipe).

    ``lambda_cat`` weighs the categorical part of L_I, ``lambda_cont`` the continuous part.
    ``gan_baseline=True`` turns the information term off for G and the D trunk (lambda = 0): Q is
    then trained only as a probe on detached trunk features, so L_I can still be plotted (the
    paper's Figure 1). npgan's extra training terms are not model settings: they live in
    :class:`npgan.train.TrainingConfig`.
    """

    latent: LatentSpec = field(default_factory=LatentSpec)
    leaky_slope: float = 0.1
    q_std: str = "learned"
    lambda_cat: float = 1.0
    lambda_cont: float = 0.1
    gan_baseline: bool = False
    lr_d: float = 2e-4
    lr_g: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    batch_size: int = 128
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self):
        if isinstance(self.latent, dict):
            self.latent = LatentSpec(**self.latent)
        if not isinstance(self.latent, LatentSpec):
            raise TypeError(f"`latent` must be a LatentSpec, got {type(self.latent).__name__}")
        self.leaky_slope = check_real(self.leaky_slope, "leaky_slope", minimum=0.0, maximum=1.0)
        if self.q_std not in Q_STD_CHOICES:
            raise ValueError(f"`q_std` must be one of {Q_STD_CHOICES}, got {self.q_std!r}")
        self.lambda_cat = check_real(self.lambda_cat, "lambda_cat", minimum=0.0)
        self.lambda_cont = check_real(self.lambda_cont, "lambda_cont", minimum=0.0)
        self.lr_d = check_real(self.lr_d, "lr_d", minimum=0.0, strict_min=True)
        self.lr_g = check_real(self.lr_g, "lr_g", minimum=0.0, strict_min=True)
        self.beta1 = check_real(self.beta1, "beta1", minimum=0.0, maximum=0.999999)
        self.beta2 = check_real(self.beta2, "beta2", minimum=0.0, maximum=0.999999)
        if not isinstance(self.batch_size, (int, np.integer)) or isinstance(self.batch_size, bool):
            raise TypeError(f"`batch_size` must be an integer, got {type(self.batch_size).__name__}")
        if self.batch_size < 2:
            raise ValueError(f"`batch_size` must be >= 2 (batch norm needs a batch), got {self.batch_size}")
        if self.batch_size > MAX_BATCH_SIZE:
            raise ValueError(f"`batch_size` must be <= {MAX_BATCH_SIZE}, got {self.batch_size}")
        self.image_shape = tuple(int(s) for s in self.image_shape)
        if self.image_shape != (1, 28, 28):
            raise ValueError(f"`image_shape` must be (1, 28, 28) for these networks, got {self.image_shape}")
        if not isinstance(self.gan_baseline, (bool, np.bool_)):
            raise TypeError(f"`gan_baseline` must be a bool, got {type(self.gan_baseline).__name__}")
        self.gan_baseline = bool(self.gan_baseline)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["latent"] = {"noise_dim": self.latent.noise_dim,
                       "categorical": list(self.latent.categorical),
                       "continuous": self.latent.continuous}
        d["image_shape"] = list(self.image_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "InfoGANConfig":
        d = dict(d)
        unknown = sorted(set(d) - {f for f in cls.__dataclass_fields__})
        if unknown:
            raise ValueError(f"unknown InfoGANConfig field(s) {unknown}")
        lat = d.pop("latent")
        latent = LatentSpec(noise_dim=lat["noise_dim"], categorical=tuple(lat["categorical"]),
                            continuous=lat["continuous"])
        d["image_shape"] = tuple(d.get("image_shape", (1, 28, 28)))
        return cls(latent=latent, **d)


class InfoGANNets:
    """The generator, the shared discriminator trunk, and the D and Q heads.

    Parameters
    ----------
    config : InfoGANConfig
    rng : numpy.random.Generator
        Source of the initial weights.
    dtype : numpy dtype
        float32 for training, float64 for gradient checks.
    """

    def __init__(self, config: InfoGANConfig, rng: np.random.Generator, dtype=np.float32):
        check_generator(rng)
        self.config = config
        lat = config.latent
        slope = config.leaky_slope
        kw = dict(rng=rng, dtype=dtype)
        self.G = nn.Sequential(
            nn.Linear(lat.input_dim, 1024, **kw), nn.BatchNorm1d(1024, **kw), nn.ReLU(),
            nn.Linear(1024, 7 * 7 * 128, **kw), nn.BatchNorm1d(7 * 7 * 128, **kw), nn.ReLU(),
            nn.Reshape((128, 7, 7)),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, **kw), nn.BatchNorm2d(64, **kw), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1, **kw), nn.Sigmoid(),
        )
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 64, 4, stride=2, padding=1, **kw), nn.LeakyReLU(slope),
            nn.Conv2d(64, 128, 4, stride=2, padding=1, **kw), nn.BatchNorm2d(128, **kw), nn.LeakyReLU(slope),
            nn.Flatten(),
            nn.Linear(128 * 7 * 7, 1024, **kw), nn.BatchNorm1d(1024, **kw), nn.LeakyReLU(slope),
        )
        self.d_head = nn.Sequential(nn.Linear(1024, 1, **kw))

        self.q_head = nn.Sequential(
            nn.Linear(1024, 128, **kw), nn.BatchNorm1d(128, **kw), nn.LeakyReLU(slope),
            nn.Linear(128, lat.q_output_dim, **kw),
        )
        self.dtype = np.dtype(dtype)

    @staticmethod
    def parameter_count(config: InfoGANConfig) -> int:
        """Number of trainable parameters the networks of ``config`` have, without building them.

        Used to estimate memory before allocating (a test keeps it equal to the built networks').
        """
        lat = config.latent
        linear = lambda i, o: i * o + o  # noqa: E731
        conv = lambda i, o: i * o * 16 + o  # noqa: E731  (4x4 kernels)
        bn = lambda c: 2 * c  # noqa: E731
        g = (linear(lat.input_dim, 1024) + bn(1024) + linear(1024, 6272) + bn(6272)
             + conv(128, 64) + bn(64) + conv(64, 1))
        trunk = conv(1, 64) + conv(64, 128) + bn(128) + linear(6272, 1024) + bn(1024)
        heads = linear(1024, 1) + linear(1024, 128) + bn(128) + linear(128, lat.q_output_dim)
        return g + trunk + heads

    # The named sub-networks, in a fixed order (checkpoints and optimisers rely on it).
    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "trunk": self.trunk, "d_head": self.d_head, "q_head": self.q_head}

    def train(self, mode: bool = True) -> "InfoGANNets":
        for m in self.modules().values():
            m.train(mode)
        return self

    def eval(self) -> "InfoGANNets":
        return self.train(False)

    @contextmanager
    def frozen_discriminator(self):
        """The trunk and both heads with ``requires_grad`` off inside the block (restored on exit,
        also on an error): a pass through them for G's gradient computes no parameter gradient."""
        frozen = (self.trunk, self.d_head, self.q_head)
        for mod in frozen:
            mod.requires_grad_(False)
        try:
            yield self
        finally:
            for mod in frozen:
                mod.requires_grad_(True)

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {}
        for name, m in self.modules().items():
            for k, v in m.state_dict().items():
                out[f"{name}.{k}"] = v
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        for name, m in self.modules().items():
            prefix = name + "."
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            m.load_state_dict(sub)
        known = tuple(n + "." for n in self.modules())
        unexpected = [k for k in state if not k.startswith(known)]
        if unexpected:
            raise ValueError(f"`state` has unexpected keys: {unexpected[:5]}")

    # ------------------------------------------------------------ inference
    def generate(self, latent_input: np.ndarray) -> np.ndarray:
        """G(latent_input): (n, input_dim) -> images (n, 1, 28, 28) in [0, 1]."""
        return self.G(np.ascontiguousarray(latent_input, dtype=self.dtype))

    def discriminate(self, images: np.ndarray):
        """Run the trunk and both heads.

        Returns
        -------
        d_logit : ndarray, shape (n, 1)
        q_out : ndarray, shape (n, q_output_dim)
        """
        h = self.trunk(np.ascontiguousarray(images, dtype=self.dtype))
        return self.d_head(h), self.q_head(h)
