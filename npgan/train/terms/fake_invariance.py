"""Categories read from distorted fakes (``fake_invariance``): Q must recover G's categorical code
from a randomly distorted copy of G's image.

Why: on the synthetic digits the categories of runs that fail split digits by the sign of their
rotation, then by width (``docs/experiments/robustness.md``, E1). L_I only asks that Q read c1
back from G(z, c); rotating the digit with c1 is the easiest way for G to make it readable, and Q
learns to read rotation, so G and Q agree on a partition by a nuisance factor. The real-data
consistency term pulls Q towards invariance on real images only. Here Q must read c1 from
``T(G(z, c))``, a copy distorted by the run's random distortions (rotation, scale, shear, shift,
stroke: the factors that should not name a class), so a partition that lives in those factors
cannot be read back, and Q's categorical head is trained to ignore them on G's images too (the
CoDeGAN and Elastic-InfoGAN idea, on Q's side only):

    fake_invariance = E[log Q(c_cat | T(G(z, c)))] + H(c_cat)   (maximised),

the categorical part of L_I on a fresh fake batch, distorted. G's images are data here (no
gradient reaches G: the warp has no backward); the term trains the D trunk and the Q head, and G
follows through L_I on undistorted fakes, read by a Q that no longer sees the distortions.
"""

from __future__ import annotations

import numpy as np

from npgan.distributions import categorical_codes_log_q
from npgan.info import mi_lower_bound
from npgan.train.terms.base import Term, TermContext


class FakeInvariance(Term):
    """The categorical L_I on a distorted copy of a fresh fake batch; maximised. One more G forward
    and one more trunk/Q pass."""

    name = "fake_invariance"
    step = "D"
    trains = "D trunk, Q head (distorted fake images)"
    logs = "categorical L_I on distorted fake images, nats"
    maximise = True
    reads_fakes = True
    needs_categorical = 1

    def apply(self, ctx: TermContext) -> float:
        nets, lat = ctx.nets, ctx.latent
        n = ctx.batch_size
        z, cat, cont = lat.sample(n, ctx.rng, dtype=nets.dtype)
        fake = nets.generate(lat.assemble(z, cat, cont, dtype=nets.dtype))
        q_aug = nets.q_head(nets.trunk(ctx.distort(fake)))
        dq = np.zeros_like(q_aug)
        statistic = float("nan")
        if ctx.finite(q_aug):
            # gradient of -mean log Q (a loss to minimise)
            log_q = categorical_codes_log_q(lat.split_q(q_aug)[0], cat, lat.split_q(dq)[0], -1.0 / n,
                                            dtype=np.float64)
            statistic = float(mi_lower_bound(log_q, lat.categorical_entropy()))
        ctx.backward_d_pass(dq)
        return statistic
