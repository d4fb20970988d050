"""The real-data consistency term (``consistency``) of npgan's recipe (off in the paper's recipe).

Why: InfoGAN's L_I only asks that the category be recoverable from *generated* images. Nothing
asks that the partition of the data it induces follow the digits rather than some other style
(a run of the paper's recipe on MNIST split the 4/7/9 group into three categories by style, with
the digit identity left to the noise). A clustering of real images that is (a) confident,
(b) balanced and (c) unchanged by small distortions that cannot change a digit's class puts its
boundaries in the low-density gaps between classes — the principle behind IMSAT and IIC
(Ji et al. 2019, "Invariant Information Clustering"). We add IIC's objective on Q's categorical
head:

    I(c; c') of the joint  P = sym( (1/n) sum_m p_m a_m^T ),

where ``p_m = Q(c | x_m)`` on a real image (held fixed: the target) and ``a_m = Q(c' | T(x_m))`` on
a randomly distorted copy (:class:`npgan.data.augment.Distortion`). Maximising I(c; c') makes the
assignments agree (H(c|c') -> 0) and keeps the marginal uniform (H(c) -> ln K). It trains the
D trunk and the Q head only, on real images; G follows through L_I, which ties G's categories to
Q's partition.

Everything is computed in log space (``log P`` by logsumexp over the batch), so zero-probability
cells need no epsilon.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, logsumexp

from npgan._checks import check_float_array
from npgan.info import mutual_information
from npgan.train.terms.base import Term, TermContext


def paired_assignment_mi(log_p_target: np.ndarray, logits: np.ndarray):
    """IIC's objective and its gradient with respect to the distorted side's logits.

    Parameters
    ----------
    log_p_target : float array, shape (n, K)
        Log-probabilities of the categories on the undistorted images (treated as constants).
    logits : float array, shape (n, K)
        Q's categorical logits on the distorted copies.

    Returns
    -------
    mi : float
        I(c; c') in nats of the symmetrised joint, in [0, ln K].
    dlogits : ndarray, shape (n, K), dtype of ``logits``
        Gradient of ``-mi`` (a loss to minimise) with respect to ``logits``.
    """
    check_float_array(log_p_target, "log_p_target", ndim=2)
    check_float_array(logits, "logits", ndim=2)
    if log_p_target.shape != logits.shape:
        raise ValueError(f"`log_p_target` and `logits` must have the same shape, got "
                         f"{log_p_target.shape} and {logits.shape}")
    n, k = logits.shape
    lp = log_p_target.astype(np.float64)
    la = log_softmax(logits.astype(np.float64), axis=1)
    # log P_ij = log( (1/n) sum_m p_mi a_mj ), then symmetrise: P_s = (P + P^T) / 2
    log_joint = logsumexp(lp[:, :, None] + la[:, None, :], axis=0) - np.log(n)
    log_sym = np.logaddexp(log_joint, log_joint.T) - np.log(2.0)
    log_marg = logsumexp(log_sym, axis=1)  # row sums = column sums (P_s is symmetric)
    joint = np.exp(log_sym)
    mi = mutual_information(joint, normalize=True)
    # dI/dP_s[i, j] = log P_s - log r_i - log c_j - 1; through the symmetrisation dI/dP is its
    # symmetric part, which it already is. dP[i, j]/da[m, j] = p[m, i] / n.
    g = log_sym - log_marg[:, None] - log_marg[None, :] - 1.0
    da = np.exp(lp) @ g / n
    a = np.exp(la)
    dlogits = a * (da - np.sum(a * da, axis=1, keepdims=True))  # softmax backward
    return float(mi), (-dlogits).astype(logits.dtype)


class Consistency(Term):
    """IIC's I(c; c') between Q's categories on the real batch (the fixed target) and on a randomly
    distorted copy of it, summed over the categorical codes; maximised. One more trunk/Q pass."""

    name = "consistency"
    step = "D"
    trains = "D trunk, Q head (real images)"
    logs = "I(c; c') between real and distorted real images, nats (summed over categorical codes)"
    maximise = True
    needs_categorical = 1

    def apply(self, ctx: TermContext) -> float:
        nets, lat = ctx.nets, ctx.latent
        q_aug = nets.q_head(nets.trunk(ctx.distort(ctx.x_real)))
        dq = np.zeros_like(q_aug)
        total = float("nan")
        if ctx.finite(ctx.q_real, q_aug):
            total = 0.0
            real_logits, _, _ = lat.split_q(ctx.q_real)
            dlogits_views, _, _ = lat.split_q(dq)
            for real, aug, dview in zip(real_logits, lat.split_q(q_aug)[0], dlogits_views):
                mi, dlogits = paired_assignment_mi(log_softmax(real.astype(np.float64), axis=1), aug)
                total += mi
                dview[...] = dlogits
        ctx.backward_d_pass(dq)
        return total
