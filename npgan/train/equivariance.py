"""Shared-distortion equivariance of the continuous codes: a term of npgan's recipe on the synthetic
digits (from update 2 500; off elsewhere).

Why: InfoGAN's continuous codes may mean different things for different categories. G receives
(z, c1, c2, c3) and nothing stops it from rotating the digit with +c2 for one class and with -c2
(or with c3) for another: L_I only asks that Q read each code back, and Q sees the class too. On the
synthetic digits, runs whose MIG stayed low had exactly this: within most classes Q's reading of the
rotation code had rank correlation 0.95-1.00 with the true angle, but with the opposite sign for
two of the ten classes (seed 1) and with the two codes swapped for one or two classes (seeds 0 and
1); over all classes the readings held 0.59-1.09 nats of rotation, within a class 1.2-2.2.

The term asks that a transformation move the readings of every image the same way. The real batch
is cut into groups of consecutive images; each group gets one random distortion ``T_g`` (the
recipe's :class:`npgan.augment.Distortion`: rotation, horizontal scale, shear, shift, stroke), and
the change of Q's continuous means ``delta_i = m(T_g x_i) - m(x_i)`` must be the same for all the
images of the group:

    penalty = (1/n) sum_g sum_{i in g} || delta_i - mean_{j in g} delta_j ||^2.

Under a per-class sign flip, the flipped images' deltas point the other way from the group mean and
are pulled towards the majority's sign. Needs no labels and says nothing about which code should
follow which factor: only that a code's response to a transformation does not depend on the image.
The reading of the undistorted image is the fixed target (no gradient flows through it), as in the
consistency term; the term trains the D trunk and the Q head, and G follows through L_I.

Measured (README, "Codes whose meaning changes with the digit"; seed 0, with the code prior and the
orthogonal Jacobian): from update 2 500 with weight 30 it undid the swap already in place (seed 0's
2s) within 250 updates, and at 5 000 updates all ten classes agreed (MIG over rotation and width
0.385, accuracy 0.974); weight 1 left the swap and weight 10 was half-way at 2 750. From update 1
it cost the categories (accuracy 0.870 against 0.942 at 2 500 updates), so the recipe starts it at
2 500.
"""

from __future__ import annotations

import numpy as np

from npgan._checks import check_float_array, check_int


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
