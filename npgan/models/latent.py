"""The InfoGAN latent space: incompressible noise z plus structured codes c.

The generator's input is the concatenation ``[z, onehot(c_cat_1), ..., c_cont]``:

- ``noise_dim`` noise variables z ~ Unif(-1, 1) (62 for MNIST),
- one categorical code per entry of ``categorical`` (``[10]`` for MNIST: c1 ~ Cat(10)),
- ``continuous`` codes ~ Unif(-1, 1) (2 for MNIST: c2, c3).

The prior entropy H(c) of the structured codes is what the variational bound
L_I = E[log Q(c|x)] + H(c) is measured against. For the categorical codes it
is a Shannon entropy (ln 10 = 2.303 nats for c1, the ceiling of the paper's
Figure 1); for the continuous codes it is a differential entropy (ln 2 per
Unif(-1, 1) code), reported separately because the two are not comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from npgan._checks import check_generator, check_int
from npgan.distributions import Categorical, Uniform
from npgan.info import categorical_entropy, product_entropy, uniform_entropy


#: Upper bounds of the latent sizes (far above any published InfoGAN: MNIST uses 62 noise
#: variables, one code of 10 categories and 2 continuous codes; CelebA 10 codes of 10 categories).
MAX_NOISE_DIM = 10_000
MAX_CATEGORIES = 10_000
MAX_CATEGORICAL_CODES = 100
MAX_CONTINUOUS = 1_000


@dataclass(frozen=True)
class LatentSpec:
    """Layout of the generator input.

    Parameters
    ----------
    noise_dim : int
        Number of noise variables z ~ Unif(-1, 1), at most :data:`MAX_NOISE_DIM`.
    categorical : tuple of int
        Number of categories of each categorical code (each at most :data:`MAX_CATEGORIES`, at most
        :data:`MAX_CATEGORICAL_CODES` codes).
    continuous : int
        Number of continuous codes ~ Unif(-1, 1), at most :data:`MAX_CONTINUOUS`.
    """

    noise_dim: int = 62
    categorical: tuple[int, ...] = (10,)
    continuous: int = 2
    _: None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        check_int(self.noise_dim, "noise_dim", minimum=0, maximum=MAX_NOISE_DIM)
        if not isinstance(self.categorical, tuple):
            object.__setattr__(self, "categorical", tuple(self.categorical))
        if len(self.categorical) > MAX_CATEGORICAL_CODES:
            raise ValueError(f"`categorical` must have at most {MAX_CATEGORICAL_CODES} codes, "
                             f"got {len(self.categorical)}")
        for i, k in enumerate(self.categorical):
            check_int(k, f"categorical[{i}]", minimum=2, maximum=MAX_CATEGORIES)
        check_int(self.continuous, "continuous", minimum=0, maximum=MAX_CONTINUOUS)
        if self.input_dim == 0:
            raise ValueError("the latent space is empty: noise_dim, categorical and continuous are all zero")

    # ----------------------------------------------------------------- sizes
    @property
    def n_categorical(self) -> int:
        return len(self.categorical)

    @property
    def onehot_dim(self) -> int:
        return int(sum(self.categorical))

    @property
    def input_dim(self) -> int:
        """Length of G's input vector: noise + one-hot categorical + continuous."""
        return self.noise_dim + self.onehot_dim + self.continuous

    @property
    def q_output_dim(self) -> int:
        """Width of Q's output: categorical logits, then a mean and a log-std per continuous code."""
        return self.onehot_dim + 2 * self.continuous

    # --------------------------------------------------------------- entropy
    def categorical_entropy(self) -> float:
        """H(c_cat) in nats: sum of ln k over the (independent, uniform) categorical codes."""
        return product_entropy([categorical_entropy(k) for k in self.categorical]) if self.categorical else 0.0

    def continuous_entropy(self) -> float:
        """Differential entropy of the continuous codes in nats: ln 2 per Unif(-1, 1) code."""
        return self.continuous * uniform_entropy(-1.0, 1.0)

    # -------------------------------------------------------------- sampling
    def sample(self, n: int, rng: np.random.Generator, dtype=np.float32):
        """Draw ``n`` latent vectors from the prior.

        Returns
        -------
        z : ndarray, shape (n, noise_dim)
        cat : ndarray of int64, shape (n, n_categorical)
            Category index of each categorical code.
        cont : ndarray, shape (n, continuous)
        """
        n = check_int(n, "n", minimum=1)
        check_generator(rng)
        # The priors come from npgan.distributions; an empty block draws nothing from `rng`.
        z = (Uniform(-1.0, 1.0, self.noise_dim, dtype=dtype).sample(n, rng) if self.noise_dim
             else np.zeros((n, 0), dtype=dtype))
        cat = (np.stack([Categorical(k).sample(n, rng) for k in self.categorical], axis=1)
               if self.categorical else np.zeros((n, 0), dtype=np.int64))
        cont = (Uniform(-1.0, 1.0, self.continuous, dtype=dtype).sample(n, rng) if self.continuous
                else np.zeros((n, 0), dtype=dtype))
        return z, cat, cont

    def assemble(self, z: np.ndarray, cat: np.ndarray, cont: np.ndarray, dtype=np.float32) -> np.ndarray:
        """Concatenate noise, one-hot categorical codes and continuous codes into G's input.

        Parameters
        ----------
        z : ndarray, shape (n, noise_dim)
        cat : integer ndarray, shape (n, n_categorical)
        cont : ndarray, shape (n, continuous)

        Returns
        -------
        ndarray, shape (n, input_dim)
        """
        z = np.asarray(z)
        cat = np.asarray(cat)
        cont = np.asarray(cont)
        n = z.shape[0]
        if z.shape != (n, self.noise_dim):
            raise ValueError(f"`z` must have shape ({n}, {self.noise_dim}), got {z.shape}")
        if cat.shape != (n, self.n_categorical):
            raise ValueError(f"`cat` must have shape ({n}, {self.n_categorical}), got {cat.shape}")
        if cont.shape != (n, self.continuous):
            raise ValueError(f"`cont` must have shape ({n}, {self.continuous}), got {cont.shape}")
        if not np.issubdtype(cat.dtype, np.integer):
            raise TypeError(f"`cat` must hold integers, got dtype {cat.dtype}")
        out = np.zeros((n, self.input_dim), dtype=dtype)
        out[:, : self.noise_dim] = z
        offset = self.noise_dim
        for j, k in enumerate(self.categorical):
            col = cat[:, j]
            if col.size and (col.min() < 0 or col.max() >= k):
                raise ValueError(f"`cat[:, {j}]` must lie in [0, {k}), got values in [{col.min()}, {col.max()}]")
            out[np.arange(n), offset + col] = 1.0
            offset += k
        out[:, offset:] = cont
        return out

    def split_q(self, q_out: np.ndarray):
        """Split Q's output (n, q_output_dim) into per-code logits, means and log-stds (views)."""
        logits = []
        offset = 0
        for k in self.categorical:
            logits.append(q_out[:, offset: offset + k])
            offset += k
        mean = q_out[:, offset: offset + self.continuous]
        log_std = q_out[:, offset + self.continuous: offset + 2 * self.continuous]
        return logits, mean, log_std
