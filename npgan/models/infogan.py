"""The InfoGAN networks for 28x28 images (the paper's MNIST architecture).

Generator (latent -> image in [0, 1])::

    FC 1024 - BN - ReLU - FC 7*7*128 - BN - ReLU - reshape (128, 7, 7)
    - 4x4 up-conv 64 stride 2 - BN - ReLU - 4x4 up-conv 1 stride 2 - sigmoid

Discriminator trunk, shared by the D head and the Q head (the paper's "Q shares
all convolutional layers with D")::

    4x4 conv 64 stride 2 - lReLU - 4x4 conv 128 stride 2 - BN - lReLU - FC 1024 - BN - lReLU
    D head: FC 1 (a logit: D(x) = sigmoid(logit))
    Q head: FC 128 - BN - lReLU - FC (categorical logits, continuous means, continuous log-stds)
    Q head with ``q_split=True``: two such branches side by side, FC 128 - BN - lReLU - FC for
    the categorical logits and another for the continuous means and log-stds (``nn.Parallel``)

Choices, each documented because implementations differ:

- Leaky ReLU slope: the paper's appendix says 0.1, the original code uses 0.01. Default 0.1
  (paper); ``leaky_slope=0.01`` selects the code's.
- Continuous codes: Q is a factored Gaussian. ``q_std="learned"`` (the paper: the std is a
  network output, through exp(log-std)) or ``q_std="fixed"`` (the original MNIST code: std 1,
  the log-std outputs are ignored).
- Initialisation as in the original code: conv/deconv/FC weights ~ N(0, 0.02), biases 0,
  BN gamma ~ N(1, 0.02), beta 0, eps 1e-5, running averages with decay 0.9 (momentum 0.1).
- D is applied to the real and the fake batch separately, so each gets its own BN statistics.
- ``q_split`` (npgan's choice, off in the paper and the code): the paper's Q head has one hidden
  layer for all codes. npgan's real-data consistency term asks the categorical output to ignore
  rotation and width, and through a shared hidden layer that pressure also bears on the units the
  continuous codes are read from (a linear probe on Q's hidden units of real images, rotation and
  width: R^2 0.99 / 0.96 on the run that disentangled both, 0.96 / 0.74 on one that did not;
  on the trunk's 1024 features both runs hold them at 0.99 / 0.96-0.97). Separate hidden layers
  let the categorical branch become invariant while the continuous one keeps them. Measured on
  the synthetic digits (npgan recipe, 5 000 updates, seeds 0/1/2): accuracy 0.892 / 0.964 / 0.972
  and MIG(rotation + width) 0.151 / 0.143 / 0.369, against 0.973 / 0.984 / 0.781 and 0.210 / 0.157
  / 0.088 with the shared head: it rescued the seed that failed and hurt another, so it stays off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from npgan import nn
from npgan.augment import Distortion
from npgan._checks import check_generator, check_int, check_real
from npgan.models.latent import LatentSpec

Q_STD_CHOICES = ("learned", "fixed")


@dataclass
class InfoGANConfig:
    """Every hyperparameter of an InfoGAN run (defaults: the paper's MNIST recipe).

    ``lambda_cat`` weighs the categorical part of L_I, ``lambda_cont`` the continuous part; the
    categorical part starts after update ``categorical_from`` (0: from the first; a later start lets
    the continuous codes form first, :meth:`lambda_cat_at`).
    ``gan_baseline=True`` turns the information term off for G and the D trunk (lambda = 0):
    Q is then trained only as a probe on detached trunk features, so L_I can still be plotted.
    ``consistency`` weighs npgan's real-data term (:mod:`npgan.train.consistency`; 0 = off, as in
    the paper and the original code); ``distortion`` holds the ranges of the random distortions
    that term asks Q's categories to ignore (:class:`npgan.augment.Distortion`). Over the first
    ``consistency_early_updates`` updates the term weighs ``consistency_early`` instead (a stronger
    start, while the categories form; :meth:`consistency_at`).
    ``fake_consistency`` weighs the categorical L_I on distorted copies of G's images, trained
    into the trunk and the Q head (0 = off). ``q_split`` gives the categorical and the continuous
    outputs of Q separate hidden layers (module docstring). ``code_prior`` weighs the matching of
    Q's continuous readings of real images to the codes' prior (:mod:`npgan.train.prior_match`;
    0 = off), applied in the updates after number ``code_prior_from``. ``ortho_jacobian`` weighs
    the orthogonality of G's image changes along the continuous codes (:mod:`npgan.train.jacobian`;
    0 = off), applied in the updates after number ``ortho_jacobian_from``. ``code_equivariance``
    weighs the agreement of Q's continuous readings' changes under a shared distortion
    (:mod:`npgan.train.equivariance`; 0 = off), applied after update ``code_equivariance_from``.
    """

    latent: LatentSpec = field(default_factory=LatentSpec)
    leaky_slope: float = 0.1
    q_std: str = "learned"
    lambda_cat: float = 1.0
    lambda_cont: float = 0.1
    categorical_from: int = 0
    gan_baseline: bool = False
    consistency: float = 0.0
    distortion: Distortion = field(default_factory=Distortion)
    fake_consistency: float = 0.0
    consistency_early: float = 0.0
    consistency_early_updates: int = 0
    q_split: bool = False
    code_prior: float = 0.0
    code_prior_from: int = 0
    ortho_jacobian: float = 0.0
    ortho_jacobian_from: int = 0
    code_equivariance: float = 0.0
    code_equivariance_from: int = 0
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
        self.categorical_from = check_int(self.categorical_from, "categorical_from", minimum=0)
        self.consistency = check_real(self.consistency, "consistency", minimum=0.0)
        self.fake_consistency = check_real(self.fake_consistency, "fake_consistency", minimum=0.0)
        self.consistency_early = check_real(self.consistency_early, "consistency_early", minimum=0.0)
        self.consistency_early_updates = check_int(self.consistency_early_updates,
                                                   "consistency_early_updates", minimum=0)
        self.code_prior = check_real(self.code_prior, "code_prior", minimum=0.0)
        self.code_prior_from = check_int(self.code_prior_from, "code_prior_from", minimum=0)
        self.ortho_jacobian = check_real(self.ortho_jacobian, "ortho_jacobian", minimum=0.0)
        self.ortho_jacobian_from = check_int(self.ortho_jacobian_from, "ortho_jacobian_from", minimum=0)
        self.code_equivariance = check_real(self.code_equivariance, "code_equivariance", minimum=0.0)
        self.code_equivariance_from = check_int(self.code_equivariance_from, "code_equivariance_from",
                                                minimum=0)
        if isinstance(self.distortion, dict):
            self.distortion = Distortion(**{k: tuple(v) if isinstance(v, list) else v
                                            for k, v in self.distortion.items()})
        if not isinstance(self.distortion, Distortion):
            raise TypeError(f"`distortion` must be a Distortion, got {type(self.distortion).__name__}")
        self.lr_d = check_real(self.lr_d, "lr_d", minimum=0.0, strict_min=True)
        self.lr_g = check_real(self.lr_g, "lr_g", minimum=0.0, strict_min=True)
        self.beta1 = check_real(self.beta1, "beta1", minimum=0.0, maximum=0.999999)
        self.beta2 = check_real(self.beta2, "beta2", minimum=0.0, maximum=0.999999)
        if not isinstance(self.batch_size, (int, np.integer)) or isinstance(self.batch_size, bool):
            raise TypeError(f"`batch_size` must be an integer, got {type(self.batch_size).__name__}")
        if self.batch_size < 2:
            raise ValueError(f"`batch_size` must be >= 2 (batch norm needs a batch), got {self.batch_size}")
        self.image_shape = tuple(int(s) for s in self.image_shape)
        if self.image_shape != (1, 28, 28):
            raise ValueError(f"`image_shape` must be (1, 28, 28) for these networks, got {self.image_shape}")
        self.gan_baseline = bool(self.gan_baseline)
        if not isinstance(self.q_split, (bool, np.bool_)):
            raise TypeError(f"`q_split` must be a bool, got {type(self.q_split).__name__}")
        self.q_split = bool(self.q_split)

    def lambda_cat_at(self, update: int) -> float:
        """Weight of the categorical part of L_I in update number ``update`` (counted from 1): 0 up
        to ``categorical_from`` (the continuous codes first), ``lambda_cat`` after."""
        return self.lambda_cat if update > self.categorical_from else 0.0

    def consistency_at(self, update: int) -> float:
        """Weight of the consistency term in update number ``update`` (counted from 1)."""
        return self.consistency_early if update <= self.consistency_early_updates else self.consistency

    def code_prior_at(self, update: int) -> float:
        """Weight of the code-prior term in update number ``update`` (counted from 1): 0 up to
        ``code_prior_from``, ``code_prior`` after."""
        return self.code_prior if update > self.code_prior_from else 0.0

    def ortho_jacobian_at(self, update: int) -> float:
        """Weight of the orthogonal-Jacobian term in update number ``update`` (counted from 1): 0 up
        to ``ortho_jacobian_from``, ``ortho_jacobian`` after."""
        return self.ortho_jacobian if update > self.ortho_jacobian_from else 0.0

    def code_equivariance_at(self, update: int) -> float:
        """Weight of the code-equivariance term in update number ``update`` (counted from 1): 0 up
        to ``code_equivariance_from``, ``code_equivariance`` after."""
        return self.code_equivariance if update > self.code_equivariance_from else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["latent"] = {"noise_dim": self.latent.noise_dim,
                       "categorical": list(self.latent.categorical),
                       "continuous": self.latent.continuous}
        d["image_shape"] = list(self.image_shape)
        d["distortion"] = {k: list(v) if isinstance(v, tuple) else v for k, v in d["distortion"].items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "InfoGANConfig":
        d = dict(d)
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

        def q_branch(width: int) -> nn.Sequential:
            return nn.Sequential(nn.Linear(1024, 128, **kw), nn.BatchNorm1d(128, **kw), nn.LeakyReLU(slope),
                                 nn.Linear(128, width, **kw))

        cat_width, cont_width = lat.onehot_dim, lat.q_output_dim - lat.onehot_dim
        if config.q_split and cat_width and cont_width:
            self.q_head = nn.Parallel(q_branch(cat_width), q_branch(cont_width))
        else:  # one hidden layer for all codes (the paper's; also q_split with one kind of code)
            self.q_head = q_branch(lat.q_output_dim)
        self.dtype = np.dtype(dtype)

    # The named sub-networks, in a fixed order (checkpoints and optimisers rely on it).
    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "trunk": self.trunk, "d_head": self.d_head, "q_head": self.q_head}

    def train(self, mode: bool = True) -> "InfoGANNets":
        for m in self.modules().values():
            m.train(mode)
        return self

    def eval(self) -> "InfoGANNets":
        return self.train(False)

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
