"""InfoGAN model code: the latent layout and the G / D / Q networks."""

from npgan.models.latent import LatentSpec
from npgan.models.infogan import InfoGANConfig, InfoGANNets

__all__ = ["LatentSpec", "InfoGANConfig", "InfoGANNets"]
