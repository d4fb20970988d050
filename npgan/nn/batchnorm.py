"""Batch normalisation: :class:`BatchNorm1d` for (N, C) and :class:`BatchNorm2d` for (N, C, H, W)."""

from __future__ import annotations

import numpy as np

from .._checks import check_generator, check_int, check_real
from ..kernels import batchnorm_backward, batchnorm_forward
from .init import normal_
from .module import Module, check_dtype, check_dy, check_input


class _BatchNorm(Module):
    """Shared implementation; subclasses fix the input rank.

    Kernels: :func:`npgan.kernels.batchnorm_forward` / ``batchnorm_backward``; slow twins:
    :func:`npgan.kernels.reference.batchnorm_forward` / ``batchnorm_backward``.

    Training mode normalises each channel with the batch mean and biased variance
    (over N, or N·H·W) and updates the running statistics in place::

        running_mean = (1 - momentum) running_mean + momentum · mean
        running_var  = (1 - momentum) running_var  + momentum · var · n / (n - 1)

    (unbiased variance, as PyTorch; momentum 0.1 is TensorFlow's decay 0.9).
    Evaluation mode normalises with the running statistics and changes nothing.

    Parameters
    ----------
    num_features : int
        Number of channels C.
    eps : float > 0
        Added to the variance.
    momentum : float in [0, 1]
    rng : numpy.random.Generator, optional
        If given, ``weight`` (gamma) ~ N(1, init_std²) as in the InfoGAN code; otherwise 1.
    dtype : float32 or float64
    init_std : float
        Spread of the random gamma init (only with ``rng``).

    Parameters/buffers: ``weight`` (gamma) and ``bias`` (beta), ``running_mean`` (zeros)
    and ``running_var`` (ones), all of shape (C,).
    """

    _ndim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 rng: np.random.Generator | None = None, dtype=np.float32,
                 init_std: float = 0.02) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "num_features", minimum=1)
        self.eps = check_real(eps, "eps", minimum=0.0, strict_min=True)
        self.momentum = check_real(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.dtype = check_dtype(dtype)
        std = check_real(init_std, "init_std", minimum=0.0)
        c = self.num_features
        gamma = self._add_param("weight", np.ones(c, dtype=self.dtype))
        self._add_param("bias", np.zeros(c, dtype=self.dtype))
        if rng is not None:
            check_generator(rng)
            normal_(gamma, std, rng, mean=1.0)
        self.buffers["running_mean"] = np.zeros(c, dtype=self.dtype)
        self.buffers["running_var"] = np.ones(c, dtype=self.dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = type(self).__name__
        check_input(x, "x", ndim=self._ndim, dtype=self.dtype, layer=name)
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: `x` must have {self.num_features} channels (num_features) "
                             f"on axis 1, got shape {x.shape}")
        n = x.size // self.num_features          # values per channel
        if self.training and n < 2:
            raise ValueError(f"{name}: training mode needs more than one value per channel to "
                             f"estimate the batch variance, got `x` with shape {x.shape}")
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        y, ctx, mean, var = batchnorm_forward(x, self.params["weight"], self.params["bias"],
                                              self.eps, self.training, rm, rv)
        if self.training:
            m = self.momentum
            rm *= 1.0 - m
            mean *= m
            rm += mean
            rv *= 1.0 - m
            var *= m * n / (n - 1)               # unbiased variance for the running average
            rv += var
        self._save_for_backward((ctx, y.shape))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Accumulate gamma/beta gradients (unless ``requires_grad`` is False); return dx
        (shape of x), in the forward's mode."""
        ctx, out_shape = self._pending_cache()
        check_dy(dy, out_shape, self.dtype, type(self).__name__)
        self._clear_cache()
        # The kernel gets the per-channel sums behind dgamma/dbeta for dx anyway: nothing to skip there.
        dx, dgamma, dbeta = batchnorm_backward(dy, ctx)
        if self.requires_grad:
            self._accumulate("weight", dgamma)
            self._accumulate("bias", dbeta)
        return dx if need_dx else None

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"dtype={self.dtype.name}")


class BatchNorm1d(_BatchNorm):
    __doc__ = ("Batch normalisation over the batch axis of (N, C) inputs.\n\n"
               + _BatchNorm.__doc__.split("\n", 2)[2])
    _ndim = 2


class BatchNorm2d(_BatchNorm):
    __doc__ = ("Batch normalisation per channel over (N, H, W) of (N, C, H, W) inputs.\n\n"
               + _BatchNorm.__doc__.split("\n", 2)[2])
    _ndim = 4
