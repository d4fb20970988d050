"""Probes of a trained InfoGAN: Q's outputs and codes on real images, G's images, and L_I.

- :func:`q_outputs`, :func:`categorical_predictions`, :func:`code_values`: Q on real images (BN in
  evaluation mode); :func:`codes_from_q` turns Q's raw outputs into one value per code.
- :func:`generate`: G(z, c) in evaluation mode.
- :func:`estimate_li`: the variational lower bound L_I = E[log Q(c|x)] + H(c) on fresh samples.
"""

from __future__ import annotations

import numpy as np

from npgan._checks import check_float_array, check_generator, check_int
from npgan.distributions import categorical_codes_log_q, gaussian_log_q
from npgan.info import mi_lower_bound
from npgan.models.infogan import InfoGANNets
from npgan.models.latent import LatentSpec

__all__ = ["q_outputs", "categorical_predictions", "generate", "estimate_li", "code_names", "codes_from_q",
           "code_values"]


def q_outputs(nets: InfoGANNets, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Q's outputs on ``images`` (n, 1, 28, 28) in evaluation mode (BN running averages)."""
    check_float_array(images, "images", ndim=4)
    nets.eval()
    outs = []
    for i in range(0, images.shape[0], batch_size):
        _, q = nets.discriminate(images[i: i + batch_size])
        outs.append(q.copy())
    return np.concatenate(outs)



def categorical_predictions(nets: InfoGANNets, images: np.ndarray, code: int = 0) -> np.ndarray:
    """argmax of the ``code``-th categorical head of Q on real images."""
    logits, _, _ = nets.config.latent.split_q(q_outputs(nets, images))
    return np.argmax(logits[code], axis=1)



def generate(nets: InfoGANNets, z, cat, cont, batch_size: int = 500) -> np.ndarray:
    """G(z, c) in evaluation mode, in batches. Returns (n, 1, 28, 28)."""
    lat = nets.config.latent
    x = lat.assemble(z, cat, cont, dtype=nets.dtype)
    nets.eval()
    return np.concatenate([nets.generate(x[i: i + batch_size]).copy() for i in range(0, x.shape[0], batch_size)])



def estimate_li(nets: InfoGANNets, n: int, rng: np.random.Generator) -> dict[str, float]:
    """Estimate L_I = E[log Q(c|x)] + H(c) with ``n`` fresh samples (networks in evaluation mode).

    Returns the categorical part (nats, at most H(c_cat)), the continuous part (Gaussian Q with the
    network's std if learned, else 1), and H(c_cat).
    """
    n = check_int(n, "n", minimum=1)
    check_generator(rng)
    lat = nets.config.latent
    z, cat, cont = lat.sample(n, rng, dtype=np.float64)
    q = q_outputs(nets, generate(nets, z, cat, cont)).astype(np.float64)
    logits, mean, log_std = lat.split_q(q)
    log_q_cat = categorical_codes_log_q(logits, cat)
    li_cat = mi_lower_bound(log_q_cat, lat.categorical_entropy()) if lat.categorical else 0.0
    li_cont = 0.0
    if lat.continuous:
        ls = np.ascontiguousarray(log_std) if nets.config.q_std == "learned" else None
        li_cont = mi_lower_bound(gaussian_log_q(np.ascontiguousarray(mean), ls, cont)[0],
                                 lat.continuous_entropy())
    return {"li_cat": li_cat, "li_cont": li_cont, "h_cat": lat.categorical_entropy()}


# --------------------------------------------------------------- codes from Q
def code_names(latent: LatentSpec) -> list[str]:
    """Names of the structured codes: ``c1 .. c{n_categorical}`` then the continuous ones."""
    if not isinstance(latent, LatentSpec):
        raise TypeError(f"`latent` must be a LatentSpec, got {type(latent).__name__}")
    return [f"c{i + 1}" for i in range(latent.n_categorical + latent.continuous)]



def codes_from_q(q_out: np.ndarray, latent: LatentSpec):
    """Q's point estimate of each code from Q's raw outputs.

    Parameters
    ----------
    q_out : ndarray, shape (N, latent.q_output_dim)
        Q's outputs (categorical logits, continuous means, continuous log-stds).
    latent : LatentSpec

    Returns
    -------
    values : ndarray of float64, shape (N, n_categorical + continuous)
        The argmax of each categorical head (as a float), then the mean of each continuous code.
    names : list of str
        ``["c1", "c2", ...]`` in the same order.
    """
    names = code_names(latent)
    check_float_array(q_out, "q_out", ndim=2)
    if q_out.shape[1] != latent.q_output_dim:
        raise ValueError(f"`q_out` must have {latent.q_output_dim} columns for this latent layout, "
                         f"got shape {q_out.shape}")
    logits, mean, _ = latent.split_q(q_out)
    cols = [np.argmax(lg, axis=1).astype(np.float64) for lg in logits]
    cols += [mean[:, j].astype(np.float64) for j in range(latent.continuous)]
    values = np.column_stack(cols) if cols else np.zeros((q_out.shape[0], 0))
    return values, names



def code_values(nets: InfoGANNets, images: np.ndarray, batch_size: int = 500):
    """Q's code estimates on real ``images`` (networks in evaluation mode).

    Parameters
    ----------
    nets : InfoGANNets
    images : ndarray, shape (N, 1, 28, 28)
        float32/float64 images in [0, 1].
    batch_size : int
        Images per forward pass.

    Returns
    -------
    values : ndarray of float64, shape (N, n_codes)
    names : list of str
        See :func:`codes_from_q`.
    """
    if not isinstance(nets, InfoGANNets):
        raise TypeError(f"`nets` must be an InfoGANNets, got {type(nets).__name__}")
    check_float_array(images, "images", ndim=4)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return codes_from_q(q_outputs(nets, images, batch_size=batch_size), nets.config.latent)
