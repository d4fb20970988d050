"""One InfoGAN update: a discriminator step, then a generator step.

The objective (the paper's eq. 6) is ``min_{G,Q} max_D V(D, G) - lambda * L_I(G, Q)`` with
``L_I = E[log Q(c|x)] + H(c)`` estimated on the fake batch. As in the original code:

- D step: ``D_loss = -E[log D(x)] - E[log(1 - D(G(z, c)))] - lambda * L_I``, minimised over the D
  trunk, the D head and the Q head. D runs on the real and the fake batch *separately*
  (forward/backward pairs, see :mod:`npgan.nn.module`), so each batch has its own BN statistics.
- G step (a fresh latent sample): ``G_loss = -E[log D(G(z, c))] - lambda * L_I`` (non-saturating),
  minimised over G only. The information term's gradient reaches G *through* the Q head and the
  shared trunk (a known bug of some re-implementations is to stop it there).
- npgan's real-data consistency term (``consistency > 0``, off in the paper's and the code's
  recipes): in the D step, Q's categories on real images and on distorted copies are made to agree
  and stay balanced (:mod:`npgan.train.consistency`); it trains the trunk and the Q head only. Its
  weight may be higher over the first updates (``InfoGANConfig.consistency_at``), so the trainer
  counts its updates (``updates_done``).
- npgan's code-prior term (``code_prior > 0``; in the npgan recipe on the synthetic digits): in the
  D step, Q's continuous readings of the real batch are pulled towards the codes' prior Unif(-1, 1)
  (:mod:`npgan.train.prior_match`); trunk and Q head only, after update ``code_prior_from``.
- npgan's orthogonal-Jacobian term (``ortho_jacobian > 0``; likewise): in the G step, G's
  image changes along different continuous codes are made orthogonal (:mod:`npgan.train.jacobian`);
  G only, after update ``ortho_jacobian_from``.
- npgan's code-equivariance term (``code_equivariance > 0``; likewise): in the D step, groups
  of real images share one random distortion, and the changes of Q's continuous readings are made
  equal within each group (:mod:`npgan.train.equivariance`); trunk and Q head only, after update
  ``code_equivariance_from``.
- Curriculum (``categorical_from > 0``, off by default): the categorical part of L_I weighs 0 up to
  that update (D and G steps), so the continuous codes form first.
- GAN baseline (``gan_baseline=True``): lambda = 0 for G and the trunk. Q is still trained in the D
  step, as a probe on *detached* trunk features (its input gradient is dropped), so L_I can be
  plotted for a regular GAN too (the paper's Figure 1).

All losses come from logits (``bce_with_logits``, log-softmax in the Q head): no ``log(p + eps)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax

from npgan import optim
from npgan.distributions import categorical_log_q, gaussian_log_q
from npgan.info import mi_lower_bound
from npgan.models.infogan import InfoGANConfig, InfoGANNets
from npgan.nn import losses
from npgan.train.consistency import paired_assignment_mi
from npgan.train.equivariance import group_spread
from npgan.train.jacobian import orthogonality_penalty
from npgan.train.prior_match import sliced_uniform_w2

#: step of the finite differences of the orthogonal-Jacobian term (codes live in [-1, 1])
JACOBIAN_EPS = 0.1
#: images per shared distortion in the code-equivariance term (the largest divisor of the batch
#: size up to this): enough for a group mean that a minority of flipped readings cannot carry
EQUIVARIANCE_GROUP = 16


@dataclass
class StepStats:
    """What one update measured (all on the D step's batches, before the D update).

    ``li_cat`` is the categorical part of the lower bound L_I in nats (at most H(c_cat) = ln 10 for
    MNIST; Figure 1), ``li_cont`` the continuous part (a differential-entropy bound, may be < 0).
    ``d_real`` / ``d_fake`` are the mean of D(x) on the real and the fake batch. ``iic`` is the
    real-data consistency objective I(c; c') in nats (0 when the term is off), ``li_distorted``
    the categorical L_I on distorted fakes (0 when ``fake_consistency`` is off), ``prior_w2`` the
    code-prior term's W2^2 on the real batch (0 when the term is off in that update), ``ortho`` the
    orthogonal-Jacobian penalty of the G step (mean cos^2; 0 when off), ``equivariance`` the
    code-equivariance term's spread on the real batch (0 when off).
    """

    d_loss: float
    g_loss: float
    li_cat: float
    li_cont: float
    d_real: float
    d_fake: float
    iic: float = 0.0
    li_distorted: float = 0.0
    prior_w2: float = 0.0
    ortho: float = 0.0
    equivariance: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(d_loss=self.d_loss, g_loss=self.g_loss, li_cat=self.li_cat, li_cont=self.li_cont,
                    d_real=self.d_real, d_fake=self.d_fake, iic=self.iic, li_distorted=self.li_distorted,
                    prior_w2=self.prior_w2, ortho=self.ortho, equivariance=self.equivariance)

    def finite(self) -> bool:
        return all(np.isfinite(v) for v in self.as_dict().values())


def _sigmoid_mean(logits: np.ndarray) -> float:
    """Mean of D(x) = sigmoid(logit); scipy's expit does not overflow for large |logit|."""
    return float(np.mean(expit(logits.astype(np.float64))))


class InfoGANTrainer:
    """Holds the networks, the two Adam optimisers and the latent sampler; runs updates.

    Parameters
    ----------
    nets : InfoGANNets
    rng : numpy.random.Generator
        Source of the latent samples (its state is saved in checkpoints).
    """

    def __init__(self, nets: InfoGANNets, rng: np.random.Generator):
        self.nets = nets
        self.config: InfoGANConfig = nets.config
        self.rng = rng
        cfg = self.config
        betas = (cfg.beta1, cfg.beta2)
        # D's optimiser owns the trunk, the D head and the Q head (Q shares D's trunk).
        self.opt_d = optim.Adam([nets.trunk, nets.d_head, nets.q_head], lr=cfg.lr_d, betas=betas)
        self.opt_g = optim.Adam([nets.G], lr=cfg.lr_g, betas=betas)
        self.h_cat = cfg.latent.categorical_entropy()
        self.h_cont = cfg.latent.continuous_entropy()
        self.distortion = cfg.distortion
        #: updates made so far; picks the consistency term's weight (the loop sets it on resume)
        self.updates_done = 0
        #: the orthogonal-Jacobian penalty of the last G step (0 when the term was off)
        self.last_ortho = 0.0
        #: the code-equivariance spread of the last D step (0 when the term was off)
        self.last_equivariance = 0.0

    # ------------------------------------------------------------- helpers
    def sample_fake(self, n: int):
        """Sample latents and return ``(images, cat, cont)``; G runs in training mode."""
        lat = self.config.latent
        z, cat, cont = lat.sample(n, self.rng, dtype=self.nets.dtype)
        x = self.nets.generate(lat.assemble(z, cat, cont, dtype=self.nets.dtype))
        return x, cat, cont

    def info_terms(self, q_out: np.ndarray, cat: np.ndarray, cont: np.ndarray):
        """Estimate L_I on a batch and the gradient of ``-L_I`` (categorical and continuous parts).

        ``log Q(c|x)`` and its gradient come from the posterior heads of :mod:`npgan.distributions`
        (log-softmax for the categorical codes, a factored Gaussian for the continuous ones) and the
        bound from :func:`npgan.info.mi_lower_bound`: ``L_I = mean(log Q(c|x)) + H(c)``.

        Returns
        -------
        li_cat, li_cont : float
            The categorical and continuous parts of L_I, in nats (NaN if Q's output is not finite,
            which the training loop turns into a clean abort).
        dq_cat, dq_cont : ndarray, shape like q_out
            Gradients of ``-li_cat`` and ``-li_cont`` with respect to Q's output.
        """
        lat = self.config.latent
        n = q_out.shape[0]
        dq_cat = np.zeros_like(q_out)
        dq_cont = np.zeros_like(q_out)
        if not np.all(np.isfinite(q_out)):
            return float("nan"), float("nan"), dq_cat, dq_cont
        scale = -1.0 / n  # d(-mean log Q)/d(log Q_i)
        log_q_cat = np.zeros(n, dtype=q_out.dtype)
        offset = 0
        for j, k in enumerate(lat.categorical):
            log_q, dlogits = categorical_log_q(np.ascontiguousarray(q_out[:, offset: offset + k]), cat[:, j])
            log_q_cat += log_q
            dq_cat[:, offset: offset + k] = dlogits * scale
            offset += k
        li_cat = mi_lower_bound(log_q_cat, self.h_cat) if lat.categorical else 0.0
        li_cont = 0.0
        if lat.continuous:
            d = lat.continuous
            mean = np.ascontiguousarray(q_out[:, offset: offset + d])
            log_std = (np.ascontiguousarray(q_out[:, offset + d: offset + 2 * d])
                       if self.config.q_std == "learned" else None)
            log_q, dmean, dlog_std = gaussian_log_q(mean, log_std, cont)
            dq_cont[:, offset: offset + d] = dmean * scale
            if dlog_std is not None:
                dq_cont[:, offset + d: offset + 2 * d] = dlog_std * scale
            li_cont = mi_lower_bound(log_q, self.h_cont)
        return float(li_cat), float(li_cont), dq_cat, dq_cont

    def consistency_terms(self, q_real: np.ndarray, q_aug: np.ndarray):
        """IIC's I(c; c') for each categorical code between real and distorted images, summed.

        Returns the objective in nats and the gradient of ``-I`` with respect to ``q_aug``
        (the real side is the fixed target).
        """
        dq = np.zeros_like(q_aug)
        if not (np.all(np.isfinite(q_real)) and np.all(np.isfinite(q_aug))):
            return float("nan"), dq
        total, offset = 0.0, 0
        for k in self.config.latent.categorical:
            target = log_softmax(q_real[:, offset: offset + k].astype(np.float64), axis=1)
            mi, dlogits = paired_assignment_mi(target, q_aug[:, offset: offset + k])
            total += mi
            dq[:, offset: offset + k] = dlogits
            offset += k
        return total, dq

    def _real_consistency(self, x_real: np.ndarray, q_real: np.ndarray, weight: float) -> float:
        """Forward/backward a distorted copy of the real batch through the trunk and Q head."""
        nets = self.nets
        x_aug = self.distortion(x_real, self.rng)
        q_aug = nets.q_head(nets.trunk(x_aug))
        iic, dq = self.consistency_terms(q_real, q_aug)
        dq *= weight
        nets.trunk.backward(nets.q_head.backward(dq), need_dx=False)  # images are data: no dx
        return iic

    def _distorted_fake_li(self, x_fake: np.ndarray, cat: np.ndarray, cont: np.ndarray) -> float:
        """Categorical L_I on a distorted copy of the fake batch, trained into the trunk and Q head.

        Q must still read G's category after a distortion that keeps a digit's identity, so
        categories that differ only by slant or width stop being separable and G's L_I pushes
        it to make them differ by shape. The continuous codes are left out: rotation and width
        are what the distortion changes. Runs after the fake batch's backward (the layers
        cache one forward pass at a time).
        """
        nets = self.nets
        q_aug = nets.q_head(nets.trunk(self.distortion(x_fake, self.rng)))
        li_dist, _, dq_cat, _ = self.info_terms(q_aug, cat, cont)
        dq_cat *= self.config.fake_consistency
        nets.trunk.backward(nets.q_head.backward(dq_cat), need_dx=False)  # G's output is data here
        return li_dist

    def _code_equivariance(self, x_real: np.ndarray, q_real: np.ndarray, weight: float) -> float:
        """Forward/backward the code-equivariance term (:mod:`npgan.train.equivariance`): groups of
        the real batch share a random distortion; the spread of the changes of Q's continuous means
        within each group is trained down (the undistorted readings ``q_real`` are the fixed target)."""
        nets, lat = self.nets, self.config.latent
        n = x_real.shape[0]
        group = max(g for g in range(1, min(EQUIVARIANCE_GROUP, n) + 1) if n % g == 0)
        q_aug = nets.q_head(nets.trunk(self.distortion.grouped(x_real, group, self.rng)))
        dq = np.zeros_like(q_aug)
        if not (np.all(np.isfinite(q_real)) and np.all(np.isfinite(q_aug))):
            return float("nan")
        cols = slice(sum(lat.categorical), sum(lat.categorical) + lat.continuous)
        spread, ddelta = group_spread(np.ascontiguousarray(q_aug[:, cols] - q_real[:, cols]), group)
        dq[:, cols] = ddelta * weight
        nets.trunk.backward(nets.q_head.backward(dq), need_dx=False)  # images are data: no dx
        return spread

    def _code_prior(self, q_real: np.ndarray):
        """Sliced W2^2 between Q's continuous means on real images and the codes' prior (uniform on
        [-1, 1]^d), and its gradient with respect to Q's output (:mod:`npgan.train.prior_match`)."""
        lat = self.config.latent
        dq = np.zeros_like(q_real)
        if not np.all(np.isfinite(q_real)):
            return float("nan"), dq
        start = sum(lat.categorical)
        w2, dmean = sliced_uniform_w2(np.ascontiguousarray(q_real[:, start: start + lat.continuous]))
        dq[:, start: start + lat.continuous] = dmean
        return w2, dq

    def _weighted(self, dq_cat, dq_cont, lam_cat: float, lam_cont: float):
        dq = dq_cat * lam_cat
        dq += dq_cont * lam_cont
        return dq

    # --------------------------------------------------------------- steps
    def d_step(self, x_real: np.ndarray):
        """One discriminator (and Q) update.

        Returns (d_loss, li_cat, li_cont, d_real, d_fake, iic, li_distorted, prior_w2).
        """
        nets, cfg = self.nets, self.config
        nets.train()
        self.opt_d.zero_grad()
        n = x_real.shape[0]
        # real batch: forward/backward pair
        h = nets.trunk(x_real)
        logit = nets.d_head(h)
        loss_real, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))
        lam_cat = cfg.lambda_cat_at(self.updates_done + 1)
        w_iic = cfg.consistency_at(self.updates_done + 1)
        use_iic = w_iic > 0 and not cfg.gan_baseline
        w_prior = 0.0 if cfg.gan_baseline or not cfg.latent.continuous else cfg.code_prior_at(self.updates_done + 1)
        w_equi = (0.0 if cfg.gan_baseline or not cfg.latent.continuous
                  else cfg.code_equivariance_at(self.updates_done + 1))
        q_real = nets.q_head(h).copy() if (use_iic or w_prior > 0 or w_equi > 0) else None
        dh = nets.d_head.backward(dlogit)
        prior_w2 = 0.0
        if w_prior > 0:
            prior_w2, dq = self._code_prior(q_real)
            dq *= w_prior
            dh += nets.q_head.backward(dq)  # before the consistency term's Q forward (one cache)
        nets.trunk.backward(dh, need_dx=False)  # images are data: no dx
        d_real = _sigmoid_mean(logit)
        iic = self._real_consistency(x_real, q_real, w_iic) if use_iic else 0.0
        self.last_equivariance = self._code_equivariance(x_real, q_real, w_equi) if w_equi > 0 else 0.0
        # fake batch (G's output is a constant here: nothing flows back into G)
        x_fake, cat, cont = self.sample_fake(n)
        h = nets.trunk(x_fake)
        logit = nets.d_head(h)
        q_out = nets.q_head(h)
        loss_fake, dlogit = losses.bce_with_logits(logit, np.zeros_like(logit))
        li_cat, li_cont, dq_cat, dq_cont = self.info_terms(q_out, cat, cont)
        dh = nets.d_head.backward(dlogit)
        if cfg.gan_baseline:
            # Q is a probe: trained on its own objective (weights 1), its input gradient dropped.
            nets.q_head.backward(self._weighted(dq_cat, dq_cont, 1.0, 1.0))
        else:
            dh += nets.q_head.backward(self._weighted(dq_cat, dq_cont, lam_cat, cfg.lambda_cont))
        nets.trunk.backward(dh, need_dx=False)
        d_fake = _sigmoid_mean(logit)
        use_fake_iic = cfg.fake_consistency > 0 and not cfg.gan_baseline
        li_dist = self._distorted_fake_li(x_fake, cat, cont) if use_fake_iic else 0.0
        self.opt_d.step()
        d_loss = loss_real + loss_fake
        if not cfg.gan_baseline:
            d_loss -= (lam_cat * li_cat + cfg.lambda_cont * li_cont + w_iic * iic
                       + cfg.fake_consistency * li_dist)
            d_loss += w_prior * prior_w2 + w_equi * self.last_equivariance
        return d_loss, li_cat, li_cont, d_real, d_fake, iic, li_dist, prior_w2

    def g_step(self, n: int) -> float:
        """One generator update on a fresh latent sample. Returns G's loss."""
        nets, cfg = self.nets, self.config
        nets.train()
        self.opt_g.zero_grad()
        x_fake, cat, cont = self.sample_fake(n)
        # D and Q are only backpropagated through here, for G's input gradient: their parameter
        # gradients would never be applied (opt_d.zero_grad() starts every D step), so they are
        # not computed at all (the conv 64->128 and FC 6272->1024 weight GEMMs are most of it).
        frozen = (nets.trunk, nets.d_head, nets.q_head)
        for mod in frozen:
            mod.requires_grad_(False)
        try:
            h = nets.trunk(x_fake)
            logit = nets.d_head(h)
            g_loss, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))  # non-saturating
            dh = nets.d_head.backward(dlogit)
            if not cfg.gan_baseline:
                q_out = nets.q_head(h)
                li_cat, li_cont, dq_cat, dq_cont = self.info_terms(q_out, cat, cont)
                lam_cat = cfg.lambda_cat_at(self.updates_done + 1)
                dh += nets.q_head.backward(self._weighted(dq_cat, dq_cont, lam_cat, cfg.lambda_cont))
                g_loss -= lam_cat * li_cat + cfg.lambda_cont * li_cont
            dx = nets.trunk.backward(dh)
        finally:
            for mod in frozen:
                mod.requires_grad_(True)
        nets.G.backward(dx)
        w_ortho = 0.0 if cfg.gan_baseline or cfg.latent.continuous < 2 else cfg.ortho_jacobian_at(self.updates_done + 1)
        self.last_ortho = self._ortho_jacobian(max(2, n // 4), w_ortho) if w_ortho > 0 else 0.0
        self.opt_g.step()
        return g_loss

    def _ortho_jacobian(self, m: int, weight: float) -> float:
        """Forward/backward the orthogonal-Jacobian term (:mod:`npgan.train.jacobian`) through G on
        ``m`` fresh latents: one forward of the base latents stacked with one copy per continuous
        code moved by ``JACOBIAN_EPS`` and one with the noise moved by ``JACOBIAN_EPS`` along a random
        unit direction (one batch, so every copy sees the same BN statistics).
        Accumulates ``weight`` times its gradient into G; runs after G's main backward (one cache)."""
        nets, lat = self.nets, self.config.latent
        z, cat, cont = lat.sample(m, self.rng, dtype=nets.dtype)
        latents = [(z, cont)]
        for k in range(lat.continuous):
            moved = cont.copy()
            moved[:, k] += JACOBIAN_EPS
            latents.append((z, moved))
        if lat.noise_dim:
            # one random direction of the noise per sample: the codes' changes should not be
            # ones the noise can make too (else z carries part of a code's factor)
            v = self.rng.normal(size=z.shape)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            latents.append(((z + JACOBIAN_EPS * v).astype(z.dtype), cont))
        x = nets.generate(np.concatenate([lat.assemble(zz, cat, cc, dtype=nets.dtype) for zz, cc in latents]))
        parts = [x[i * m: (i + 1) * m] for i in range(len(latents))]
        penalty, d_base, d_shifted = orthogonality_penalty(parts[0], parts[1:], JACOBIAN_EPS)
        dx = np.concatenate([d_base, *d_shifted])
        dx *= weight
        nets.G.backward(dx)
        return penalty

    def update(self, x_real: np.ndarray) -> StepStats:
        """One D step then one G step (the original code's schedule)."""
        d_loss, li_cat, li_cont, d_real, d_fake, iic, li_dist, prior_w2 = self.d_step(x_real)
        g_loss = self.g_step(x_real.shape[0])
        self.updates_done += 1
        return StepStats(d_loss=float(d_loss), g_loss=float(g_loss), li_cat=float(li_cat),
                         li_cont=float(li_cont), d_real=d_real, d_fake=d_fake, iic=float(iic),
                         li_distorted=float(li_dist), prior_w2=float(prior_w2),
                         ortho=float(self.last_ortho), equivariance=float(self.last_equivariance))

    # --------------------------------------------------------------- state
    def state(self) -> dict:
        return {"nets": self.nets.state_dict(), "opt_d": self.opt_d.state_dict(),
                "opt_g": self.opt_g.state_dict(), "rng": self.rng.bit_generator.state}

    def load_state(self, state: dict) -> None:
        self.nets.load_state_dict(state["nets"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.rng.bit_generator.state = state["rng"]
