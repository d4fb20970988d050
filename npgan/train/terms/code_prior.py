"""Code-prior matching on real images (``code_prior``): a term of npgan's recipe on the synthetic
digits (from update 2 500; off elsewhere).

Why: InfoGAN's L_I only asks that the continuous codes be readable from *generated* images. Any
rotation of the code plane reads just as well, so G may map (c2, c3) to a rotated mixture of two
factors (for example 0.8 rotation + 0.6 width): each code then carries part of both, and Q's reading
of a real image mixes them too. The prior breaks that symmetry. If G's images follow the data and Q
reads c from G(z, c), Q's readings of real images must be distributed like the codes themselves,
uniform on [-1, 1]^d. Under a mixture of two independent factors they are not: the readings fill a
rotated square, and each one alone is peaked (a trapezoid rather than a box); on the synthetic
digits, the readings of runs whose codes mixed rotation and width were measurably peaked.

Matching each reading's marginal alone (:func:`uniform_w2`) is not enough: Q can bend each reading
until its marginal is flat while the pair still mixes the factors (resumed from a mixed run, it flattened the marginals
and left the mixture as it was). The term therefore
compares the *joint* readings with the uniform square through a sliced 2-Wasserstein distance
(:func:`sliced_uniform_w2`): the batch is projected on fixed directions in every plane of two codes,
and each sorted projection is compared with the quantiles of the same projection of the square. In
one dimension the optimal coupling pairs the sorted values with the quantiles at (2i + 1) / 2n:

    W2^2 = (1/n) sum_i (m_(i) - t_i)^2.

It trains the D trunk and the Q head only, on real images (as the consistency term does); G follows
through L_I, which ties G's codes to Q's reading. Needs no labels and no knowledge of the factors:
only the prior InfoGAN already samples the codes from.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from npgan._checks import check_float_array, check_int, check_real
from npgan.train.terms.base import Term, TermContext


def _check_support(low, high) -> tuple[float, float]:
    low = check_real(low, "low")
    high = check_real(high, "high")
    if not high > low:
        raise ValueError(f"`high` must be greater than `low`, got low={low}, high={high}")
    return float(low), float(high)


def _sorted_w2(proj: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """W2^2 between the 1-D sample ``proj`` (n,) and the distribution whose quantiles at (2i + 1) / 2n
    are ``targets`` (n,), and its gradient (n,). Ties are broken by position (any order gives the
    same W2^2; the gradient is that of one valid coupling)."""
    n = proj.shape[0]
    order = np.argsort(proj, kind="stable")
    gap = proj[order] - targets
    grad = np.empty(n)
    grad[order] = 2.0 * gap / n
    return float(np.sum(gap * gap) / n), grad


def uniform_w2(values: np.ndarray, low: float = -1.0, high: float = 1.0):
    """Squared 2-Wasserstein distance of each column's sample to Unif(low, high), and its gradient.

    Parameters
    ----------
    values : float array, shape (n, d)
        ``n`` samples of ``d`` variables (Q's means of the continuous codes on a batch).
    low, high : float
        The uniform's support, ``low < high``.

    Returns
    -------
    w2 : float
        Sum over the ``d`` columns of W2^2 (mean squared gap between the sorted column and the
        uniform's quantiles).
    grad : ndarray, shape (n, d), dtype of ``values``
        Gradient of ``w2`` with respect to ``values`` (ties broken by position).
    """
    check_float_array(values, "values", ndim=2)
    low, high = _check_support(low, high)
    n = values.shape[0]
    if n == 0:
        raise ValueError(f"`values` must hold at least one sample, got shape {values.shape}")
    v = values.astype(np.float64)
    targets = low + (high - low) * (2.0 * np.arange(n) + 1.0) / (2.0 * n)
    grad = np.empty_like(v)
    w2 = 0.0
    for j in range(v.shape[1]):
        w2_j, grad[:, j] = _sorted_w2(v[:, j], targets)
        w2 += w2_j
    return w2, grad.astype(values.dtype)


@lru_cache(maxsize=16)
def _plane_quantiles(n: int, n_angles: int, low: float, high: float, grid: int = 256) -> np.ndarray:
    """Quantiles at (2i + 1) / 2n of cos(a) U + sin(a) V, U, V ~ Unif(low, high) independent, for the
    angles a = k pi / n_angles. Shape (n_angles, n). From a midpoint grid of grid^2 points (the
    projection of a square is a trapezoid; the grid makes its quantiles exact to ~1/grid)."""
    u = low + (high - low) * (np.arange(grid) + 0.5) / grid
    uu, vv = np.meshgrid(u, u, indexing="ij")
    probs = (2.0 * np.arange(n) + 1.0) / (2.0 * n)
    out = np.empty((n_angles, n))
    for k in range(n_angles):
        a = np.pi * k / n_angles
        out[k] = np.quantile(np.cos(a) * uu.ravel() + np.sin(a) * vv.ravel(), probs)
    out.setflags(write=False)
    return out


def sliced_uniform_w2(values: np.ndarray, n_angles: int = 8, low: float = -1.0, high: float = 1.0):
    """Sliced W2^2 between the joint sample of the columns and the uniform distribution on the cube.

    The marginals alone (:func:`uniform_w2`) can be made uniform by bending each reading separately
    while the two codes still mix two factors; the joint cannot. Each pair of columns (i, j) is
    projected on ``n_angles`` directions ``cos(a) e_i + sin(a) e_j``, ``a = k pi / n_angles`` (the
    axes included), and each projection is compared, sorted, with the same projection of the
    uniform square. With one column this is :func:`uniform_w2`.

    Parameters
    ----------
    values : float array, shape (n, d)
    n_angles : int
        Directions per pair of columns (>= 2; even, so that both axes are among them).
    low, high : float
        The uniform's support.

    Returns
    -------
    w2 : float
        Mean over the directions of W2^2.
    grad : ndarray, shape (n, d), dtype of ``values``
        Its gradient with respect to ``values``.
    """
    check_float_array(values, "values", ndim=2)
    n_angles = check_int(n_angles, "n_angles", minimum=2)
    if n_angles % 2:
        raise ValueError(f"`n_angles` must be even (so the axes are among the directions), got {n_angles}")
    low, high = _check_support(low, high)
    n, d = values.shape
    if n == 0:
        raise ValueError(f"`values` must hold at least one sample, got shape {values.shape}")
    if d < 2:
        return uniform_w2(values, low, high)
    v = values.astype(np.float64)
    targets = _plane_quantiles(n, n_angles, low, high)
    grad = np.zeros_like(v)
    total, count = 0.0, 0
    for i in range(d):
        for j in range(i + 1, d):
            for k in range(n_angles):
                # each axis once: e_0 from the pair (0, 1), e_j from the pair (0, j)
                if (k == 0 and (i, j) != (0, 1)) or (k == n_angles // 2 and i > 0):
                    continue
                a = np.pi * k / n_angles
                c, s_ = np.cos(a), np.sin(a)
                w2_k, g = _sorted_w2(c * v[:, i] + s_ * v[:, j], targets[k])
                total += w2_k
                count += 1
                grad[:, i] += c * g
                grad[:, j] += s_ * g
    return total / count, (grad / count).astype(values.dtype)


class CodePrior(Term):
    """Sliced W2^2 between Q's continuous means on the real batch and Unif(-1, 1)^d; minimised.
    Rides on the real batch's pass (a gradient on its Q reading, no pass of its own)."""

    name = "code_prior"
    step = "D"
    trains = "D trunk, Q head (real images)"
    logs = "sliced W2^2 between Q's continuous readings of real images and Unif(-1, 1)^d"
    rides_on_real = True
    needs_continuous = 1

    def apply(self, ctx: TermContext) -> float:
        _, mean, _ = ctx.latent.split_q(ctx.q_real)
        dq = np.zeros_like(ctx.q_real)
        w2 = float("nan")
        if ctx.finite(ctx.q_real):
            w2, dmean = sliced_uniform_w2(np.ascontiguousarray(mean))
            ctx.latent.split_q(dq)[1][...] = dmean
        ctx.add_q_real_grad(dq)
        return w2
