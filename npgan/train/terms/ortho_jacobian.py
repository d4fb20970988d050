"""Orthogonal-Jacobian term for the continuous codes (``ortho_jacobian``): part of npgan's recipe on
the synthetic digits (from update 2 500; off elsewhere).

Why: L_I asks only that each continuous code be readable from G's images. Any rotation of the code
plane reads just as well, so G may map (c2, c3) to a mixture (say 0.8 rotation + 0.6 width for c2
and the complement for c3); Q then reads mixtures off real images too and neither code matches a
factor. Among all the rotations of the plane, the disentangled one is singled out by the images:
if moving c2 only rotates the digit and moving c3 only widens it, the two image changes
dG/dc2 and dG/dc3 are nearly orthogonal, and mixing them makes the changes overlap (the cross term
sin(phi) cos(phi) (|J_width|^2 - |J_rotation|^2) grows unless the two have equal strength). On the
synthetic digits the runs that mixed rotation and width had clearly larger mean cos^2(dG/dc2,
dG/dc3) than those that separated them (``docs/experiments/synthetic.md``).

Penalising that overlap is the orthogonal-Jacobian regulariser (OroJaR; Wei et al. 2021,
"Orthogonal Jacobian Regularization for Unsupervised Disentanglement in Image Generation"), here
with finite differences (as the Hessian penalty of Peebles et al. 2020 does) and in cosine form, so
that it does not also ask the codes to change the image less:

    J_k(x) = (G(z, c + eps e_k) - G(z, c)) / eps,
    penalty = mean over samples and pairs k < l of cos^2(J_k, J_l).

The trainer adds one more direction per sample: the noise z moved along a random unit vector (a
one-sample estimate of OroJaR's sum over every latent dimension). That pair asks that the noise not
make the changes the codes make; where it does, part of a factor lives in z, and Q's reading of
that factor on real images is only as precise as the code's share of it.

It trains G only. It uses no labels and nothing about the factors: only that distinct latent
variables should move the image in distinct directions.
"""

from __future__ import annotations

import numpy as np

from npgan._checks import check_float_array, check_real
from npgan.train.terms.base import Term, TermContext

#: step of the finite differences (the codes live in [-1, 1])
EPS = 0.1


def orthogonality_penalty(base: np.ndarray, shifted: list, eps: float):
    """Mean squared cosine between the finite-difference image changes of several codes.

    Parameters
    ----------
    base : float array, shape (m, ...)
        G's images at the sampled latents.
    shifted : list of float arrays, each shaped like ``base`` (at least two)
        G's images with one code moved by ``eps`` each.
    eps : float
        The step, > 0.

    Returns
    -------
    penalty : float
        Mean over the ``m`` samples and the pairs of codes of cos^2 (0 for a pair where either
        change is exactly zero: no direction, nothing to make orthogonal).
    d_base : ndarray like ``base``
    d_shifted : list of ndarrays like ``shifted``
        Gradients of ``penalty`` with respect to the images.
    """
    check_float_array(base, "base")
    eps = check_real(eps, "eps", minimum=0.0, strict_min=True)
    if not isinstance(shifted, (list, tuple)) or len(shifted) < 2:
        raise ValueError(f"`shifted` must be a list of at least two image arrays, got "
                         f"{type(shifted).__name__} of length {len(shifted) if hasattr(shifted, '__len__') else '?'}")
    for k, s in enumerate(shifted):
        check_float_array(s, f"shifted[{k}]")
        if s.shape != base.shape:
            raise ValueError(f"`shifted[{k}]` must have the shape of `base` {base.shape}, got {s.shape}")
    m = base.shape[0]
    flat = base.reshape(m, -1).astype(np.float64)
    jac = [(s.reshape(m, -1).astype(np.float64) - flat) / eps for s in shifted]
    sq = [np.sum(j * j, axis=1) for j in jac]            # |J_k|^2 per sample
    dj = [np.zeros_like(j) for j in jac]
    n_pairs = len(jac) * (len(jac) - 1) // 2
    total = 0.0
    for k in range(len(jac)):
        for l in range(k + 1, len(jac)):
            dot = np.sum(jac[k] * jac[l], axis=1)
            denom = sq[k] * sq[l]
            ok = denom > 0
            safe = np.where(ok, denom, 1.0)
            cos2 = np.where(ok, dot * dot / safe, 0.0)
            total += float(np.sum(cos2))
            # d cos^2 / dJ_k = 2 dot / (|J_k|^2 |J_l|^2) * (J_l - dot / |J_k|^2 * J_k), and symmetrically
            coef = np.where(ok, 2.0 * dot / safe, 0.0)[:, None]
            ratio_k = np.where(ok, dot / np.where(sq[k] > 0, sq[k], 1.0), 0.0)[:, None]
            ratio_l = np.where(ok, dot / np.where(sq[l] > 0, sq[l], 1.0), 0.0)[:, None]
            dj[k] += coef * (jac[l] - ratio_k * jac[k])
            dj[l] += coef * (jac[k] - ratio_l * jac[l])
    scale = 1.0 / (m * n_pairs)
    penalty = total * scale
    d_shifted = [(d * (scale / eps)).reshape(base.shape).astype(base.dtype) for d in dj]
    d_base = (-(scale / eps) * sum(dj)).reshape(base.shape).astype(base.dtype)
    return penalty, d_base, d_shifted


class OrthoJacobian(Term):
    """cos^2 between G's finite-difference image changes along each continuous code and along a
    random direction of the noise; minimised. One more G pass on a stacked batch."""

    name = "ortho_jacobian"
    step = "G"
    reads_fakes = True
    trains = "G"
    logs = "mean cos^2 between G's image changes along the continuous codes and a noise direction"
    needs_continuous = 2

    def apply(self, ctx: TermContext) -> float:
        # base latents stacked with one copy per continuous code moved by EPS and one with the
        # noise moved by EPS along a random unit direction: one batch, so all see the same BN statistics
        nets, lat = ctx.nets, ctx.latent
        m = max(2, ctx.batch_size // 4)
        z, cat, cont = lat.sample(m, ctx.rng, dtype=nets.dtype)
        latents = [(z, cont)]
        for k in range(lat.continuous):
            moved = cont.copy()
            moved[:, k] += EPS
            latents.append((z, moved))
        if lat.noise_dim:
            # the codes' changes should not be ones the noise can make too (else z carries part of a factor)
            v = ctx.rng.normal(size=z.shape)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            latents.append(((z + EPS * v).astype(z.dtype), cont))
        x = nets.generate(np.concatenate([lat.assemble(zz, cat, cc, dtype=nets.dtype) for zz, cc in latents]))
        if ctx.finite(x):
            parts = [x[i * m: (i + 1) * m] for i in range(len(latents))]
            penalty, d_base, d_shifted = orthogonality_penalty(parts[0], parts[1:], EPS)
            dx = np.concatenate([d_base, *d_shifted])
        else:
            penalty, dx = float("nan"), np.zeros(x.shape, dtype=x.dtype)
        ctx.backward_g(dx)
        return penalty
