"""Layers with hand-written backward passes, losses and initialisers.

See :class:`Module` for the parameter/gradient/buffer dictionaries and the
one-slot cache protocol (including the two-batch GAN discriminator recipe and
the shared-trunk recipe), and :mod:`npgan.nn.checked` for the checked mode that stops a NaN or
an infinity at the layer it reaches.
"""

from . import checked, init, losses
from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .checked import NonFiniteError, checked_mode
from .container import Sequential
from .conv import Conv2d, ConvTranspose2d
from .linear import Linear
from .losses import bce_with_logits, gaussian_nll, mse, softmax_cross_entropy
from .module import LoadResult, Module
from .shape import Flatten, Reshape

__all__ = [
    "Module", "LoadResult", "Sequential",
    "Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Flatten", "Reshape",
    "bce_with_logits", "softmax_cross_entropy", "gaussian_nll", "mse",
    "NonFiniteError", "checked_mode",
    "checked", "init", "losses",
]
