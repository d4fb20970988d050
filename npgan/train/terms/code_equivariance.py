"""Shared-distortion equivariance of the continuous codes (``code_equivariance``): a term of npgan's
recipe on the synthetic digits (from update 2 500; off elsewhere).

Why: InfoGAN's continuous codes may mean different things for different categories. G receives
(z, c1, c2, c3) and nothing stops it from rotating the digit with +c2 for one class and with -c2
(or with c3) for another: L_I only asks that Q read each code back, and Q sees the class too. On the
synthetic digits, runs whose MIG stayed low had exactly this: Q's reading of the rotation code
followed the true angle closely within most classes, but with the opposite sign, or on the other
code, for a few (``docs/experiments/synthetic.md``).

The term asks that a transformation move the readings of every image the same way. The real batch
is cut into groups of consecutive images; each group gets one random distortion ``T_g`` (the
run's :class:`npgan.data.augment.Distortion`: rotation, horizontal scale, shear, shift, stroke), and
the change of Q's continuous means ``delta_i = m(T_g x_i) - m(x_i)`` must be the same for all the
images of the group:

    penalty = (1/n) sum_g sum_{i in g} || delta_i - mean_{j in g} delta_j ||^2.

Under a per-class sign flip, the flipped images' deltas point the other way from the group mean and
are pulled towards the majority's sign. Needs no labels and says nothing about which code should
follow which factor: only that a code's response to a transformation does not depend on the image.
The reading of the undistorted image is the fixed target (no gradient flows through it), as in the
consistency term; the term trains the D trunk and the Q head, and G follows through L_I.

It needs weight and a late start (what the weights and starts measured: ``docs/experiments/synthetic.md``).
"""

from __future__ import annotations

import numpy as np

from npgan._checks import check_float_array, check_int
from npgan.train.terms.base import Term, TermContext

#: images per shared distortion (the largest divisor of the batch size up to this): enough for a
#: group mean that a minority of flipped readings cannot carry
GROUP_SIZE = 16


def group_spread(delta: np.ndarray, group_size: int):
    """Mean squared deviation of each row from its group's mean, and its gradient.

    Parameters
    ----------
    delta : float array, shape (n, d)
        One row per image (the change of Q's continuous means under its group's distortion).
    group_size : int
        Rows ``[k * group_size, (k + 1) * group_size)`` form group ``k``; must divide ``n``.

    Returns
    -------
    spread : float
        ``(1/n) sum_i ||delta_i - mean_{g(i)} delta||^2`` (0 for groups of one).
    grad : ndarray, shape (n, d), dtype of ``delta``
        Its gradient with respect to ``delta``: ``2 (delta_i - mean_{g(i)} delta) / n`` (the group
        mean's own dependence on ``delta_i`` contributes nothing, since deviations sum to zero).
    """
    check_float_array(delta, "delta", ndim=2)
    group_size = check_int(group_size, "group_size", minimum=1)
    n, d = delta.shape
    if n == 0 or n % group_size:
        raise ValueError(f"`group_size` ({group_size}) must divide the number of rows, got shape {delta.shape}")
    v = delta.astype(np.float64).reshape(n // group_size, group_size, d)
    dev = v - v.mean(axis=1, keepdims=True)
    spread = float(np.sum(dev * dev) / n)
    return spread, (2.0 * dev / n).reshape(n, d).astype(delta.dtype)


class CodeEquivariance(Term):
    """Groups of real images share one random distortion; the spread of the changes of Q's
    continuous means within each group is minimised. One more trunk/Q pass."""

    name = "code_equivariance"
    step = "D"
    trains = "D trunk, Q head (real images)"
    logs = "mean squared spread of the continuous readings' changes within a distortion group"
    needs_continuous = 1

    def apply(self, ctx: TermContext) -> float:
        nets, lat = ctx.nets, ctx.latent
        n = ctx.x_real.shape[0]
        group = max(g for g in range(1, min(GROUP_SIZE, n) + 1) if n % g == 0)
        q_aug = nets.q_head(nets.trunk(ctx.distort_grouped(ctx.x_real, group)))
        dq = np.zeros_like(q_aug)
        spread = float("nan")
        if ctx.finite(ctx.q_real, q_aug):
            _, mean_aug, _ = lat.split_q(q_aug)
            _, mean_real, _ = lat.split_q(ctx.q_real)
            spread, ddelta = group_spread(np.ascontiguousarray(mean_aug - mean_real), group)
            lat.split_q(dq)[1][...] = ddelta
        ctx.backward_d_pass(dq)
        return spread
