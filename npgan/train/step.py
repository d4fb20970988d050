"""One InfoGAN update: a discriminator step, then a generator step (the paper's Algorithm).

The objective (the paper's eq. 6) is ``min_{G,Q} max_D V(D, G) - lambda * L_I(G, Q)`` with
``L_I = E[log Q(c|x)] + H(c)`` estimated on the fake batch. As in the original code:

- D step: ``D_loss = -E[log D(x)] - E[log(1 - D(G(z, c)))] - lambda * L_I``, minimised over the D
  trunk, the D head and the Q head. D runs on the real and the fake batch *separately*, so each
  batch has its own BN statistics.
- G step (a fresh latent sample): ``G_loss = -E[log D(G(z, c))] - lambda * L_I`` (non-saturating),
  minimised over G only. The information term's gradient reaches G *through* the Q head and the
  shared trunk (a known bug of some re-implementations is to stop it there).
- GAN baseline (``gan_baseline=True``): lambda = 0 for G and the trunk. Q is still trained in the D
  step, as a probe on *detached* trunk features (its input gradient is dropped), so L_I can be
  plotted for a regular GAN too (the paper's Figure 1).

Every layer keeps only the cache of its latest forward call, so each pass below is one
forward/backward pair that finishes before the next pass starts; a trunk with two heads runs the
trunk once, both heads, then one trunk backward with the heads' gradients summed.

npgan's extra terms (:mod:`npgan.train.terms`) join the steps at two named hooks (``terms.
on_real_batch`` inside the real batch's pass, ``terms.own_passes`` after a step's main backward;
:class:`~npgan.train.terms.StepTerms`) and add ``terms.loss_share()`` to the reported loss; a
reader can skip every line that says ``terms`` and still have the paper's objective. They are off
in the paper's and the code's recipes and always in the GAN baseline. All losses come from logits
(``bce_with_logits``, log-softmax in the Q head): no ``log(p + eps)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from npgan import optim
from npgan.data.augment import Distortion
from npgan.distributions import categorical_codes_log_q, gaussian_log_q
from npgan.info import mi_lower_bound
from npgan.models.infogan import InfoGANNets
from npgan.nn import losses
from npgan.train.terms import TERMS, StepTerms, Term, TermContext


@dataclass
class StepStats:
    """What an update, or one of its two steps, measured (L_I and D's outputs on the D step's
    batches, before the D update).

    ``li_cat`` is the categorical part of the lower bound L_I in nats (at most H(c_cat) = ln 10 for
    MNIST; Figure 1), ``li_cont`` the continuous part (a differential-entropy bound, may be < 0).
    ``d_real`` / ``d_fake`` are the mean of D(x) on the real and the fake batch. ``terms`` holds each
    term's statistic (:attr:`npgan.train.terms.Term.logs`; in an update's stats every registered
    term has its column, 0 when it is off). ``d_loss`` and ``g_loss`` include lambda L_I and the
    weighted terms of their step. A D step fills everything but ``g_loss``; a G step ``g_loss``
    and its terms.
    """

    d_loss: float = 0.0
    g_loss: float = 0.0
    li_cat: float = 0.0
    li_cont: float = 0.0
    d_real: float = 0.0
    d_fake: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return dict(d_loss=self.d_loss, g_loss=self.g_loss, li_cat=self.li_cat, li_cont=self.li_cont,
                    d_real=self.d_real, d_fake=self.d_fake, **self.terms)

    def finite(self) -> bool:
        return all(np.isfinite(v) for v in self.as_dict().values())

    @classmethod
    def of_update(cls, d: "StepStats", g: "StepStats") -> "StepStats":
        """An update's stats from its D step's and its G step's, with a column for every term."""
        terms = {name: 0.0 for name in TERMS}
        terms.update({k: float(v) for k, v in {**d.terms, **g.terms}.items()})
        return cls(d_loss=d.d_loss, g_loss=g.g_loss, li_cat=d.li_cat, li_cont=d.li_cont,
                   d_real=d.d_real, d_fake=d.d_fake, terms=terms)


@dataclass
class InfoEstimate:
    """L_I on a batch (:meth:`InfoGANTrainer.info_terms`).

    ``li_cat``, ``li_cont``: its categorical and continuous parts in nats (NaN when Q's output is not
    finite). ``share``: ``lambda_cat li_cat + lambda_cont li_cont``, what the step's loss subtracts
    (0 in the GAN baseline, whose G and D do not see L_I). ``dq``: the gradient of ``-lambda L_I``
    with respect to Q's output (of Q's own objective, lambda 1, in the baseline).
    """

    li_cat: float
    li_cont: float
    share: float
    dq: np.ndarray


def _sigmoid_mean(logits: np.ndarray) -> float:
    """Mean of D(x) = sigmoid(logit); scipy's expit does not overflow for large |logit|."""
    return float(np.mean(expit(logits.astype(np.float64))))


class InfoGANTrainer:
    """Holds the networks, the two Adam optimisers, the extra terms and the latent sampler.

    Parameters
    ----------
    nets : InfoGANNets
    rng : numpy.random.Generator
        Source of the latent samples and the terms' distortions (saved in checkpoints).
    terms : sequence of Term, optional
        The extra terms with their schedules (:func:`npgan.train.terms.build_terms`); none by default.
    distortion : Distortion, optional
        The real-data terms' random distortions (default ranges if not given).
    """

    def __init__(self, nets: InfoGANNets, rng: np.random.Generator, terms=(), distortion: Distortion | None = None):
        self.nets = nets
        self.config = cfg = nets.config
        self.rng = rng
        self.terms: list[Term] = list(terms)
        self.distortion = distortion if distortion is not None else Distortion()
        # D's optimiser owns the trunk, the D head and the Q head (Q shares D's trunk).
        self.opt_d = optim.Adam([nets.trunk, nets.d_head, nets.q_head], lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.opt_g = optim.Adam([nets.G], lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.h_cat = cfg.latent.categorical_entropy()
        self.h_cont = cfg.latent.continuous_entropy()
        #: the GAN baseline: Q is a probe, trained on L_I (lambda 1) on detached trunk features; neither
        #: G nor the trunk sees L_I, and no extra term acts
        self.q_is_probe = cfg.gan_baseline
        #: updates made so far; the terms' schedules follow it (the loop sets it on resume)
        self.updates_done = 0

    # ------------------------------------------------------------- the paper's pieces
    def sample_fake(self, n: int):
        """Sample latents and return ``(images, cat, cont)``; G runs in training mode."""
        lat = self.config.latent
        z, cat, cont = lat.sample(n, self.rng, dtype=self.nets.dtype)
        return self.nets.generate(lat.assemble(z, cat, cont, dtype=self.nets.dtype)), cat, cont

    def info_terms(self, q_out: np.ndarray, cat: np.ndarray, cont: np.ndarray) -> InfoEstimate:
        """L_I on a batch and the gradient of ``-lambda L_I`` with respect to Q's output.

        ``log Q(c|x)`` and its gradient come from :mod:`npgan.distributions` (log-softmax for the
        categorical codes, a factored Gaussian for the continuous ones), the bound from
        :func:`npgan.info.mi_lower_bound`: ``L_I = mean(log Q(c|x)) + H(c)``.
        """
        cfg, lat = self.config, self.config.latent
        lam_cat, lam_cont = (1.0, 1.0) if self.q_is_probe else (cfg.lambda_cat, cfg.lambda_cont)
        n = q_out.shape[0]
        dq = np.zeros_like(q_out)
        if not np.all(np.isfinite(q_out)):
            return InfoEstimate(float("nan"), float("nan"), float("nan"), dq)
        scale = -1.0 / n  # d(-mean log Q)/d(log Q_i)
        logits, mean, log_std = lat.split_q(q_out)
        d_logits, d_mean, d_log_std = lat.split_q(dq)
        log_q_cat = categorical_codes_log_q(logits, cat, d_logits, scale, lam_cat, dtype=q_out.dtype)
        li_cat = float(mi_lower_bound(log_q_cat, self.h_cat)) if lat.categorical else 0.0
        li_cont = 0.0
        if lat.continuous:
            learned = cfg.q_std == "learned"
            log_q, dmean, dlog_std = gaussian_log_q(np.ascontiguousarray(mean),
                                                    np.ascontiguousarray(log_std) if learned else None, cont)
            d_mean[...] = (dmean * scale) * lam_cont
            if learned:
                d_log_std[...] = (dlog_std * scale) * lam_cont
            li_cont = float(mi_lower_bound(log_q, self.h_cont))
        share = 0.0 if self.q_is_probe else cfg.lambda_cat * li_cat + cfg.lambda_cont * li_cont
        return InfoEstimate(li_cat, li_cont, share, dq)

    def _terms(self, step: str, n: int, x_real: np.ndarray | None = None) -> StepTerms:
        """The terms of ``step`` ("D" or "G") that act in the coming update, ready to run."""
        update = self.updates_done + 1
        active = [] if self.q_is_probe else [
            (t, w) for t in self.terms
            if t.step == step and t.applies_to(self.config.latent) and (w := t.schedule.at(update)) > 0]
        ctx = TermContext(self.nets, self.rng, self.distortion, n, x_real=x_real) if active else None
        return StepTerms(active, ctx)

    # --------------------------------------------------------------- the two steps
    def d_step(self, x_real: np.ndarray) -> StepStats:
        """One update of D's trunk, D's head and Q's head on a real batch and a fresh fake one."""
        nets = self.nets
        nets.train()
        self.opt_d.zero_grad()
        n = x_real.shape[0]
        terms = self._terms("D", n, x_real)
        # real batch: -log D(x)
        h = nets.trunk(x_real)
        logit = nets.d_head(h)
        loss_real, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))
        dh = terms.on_real_batch(h, nets.d_head.backward(dlogit))   # [terms] riding on Q's reading
        nets.trunk.backward(dh, need_dx=False)                      # images are data: no dx
        d_real = _sigmoid_mean(logit)
        terms.own_passes()                                          # [terms] passes over real images
        # fake batch: -log(1 - D(G(z, c))) - lambda L_I; G's output is a constant here
        x_fake, cat, cont = self.sample_fake(n)
        h = nets.trunk(x_fake)
        logit, q_out = nets.d_head(h), nets.q_head(h)
        loss_fake, dlogit = losses.bce_with_logits(logit, np.zeros_like(logit))
        info = self.info_terms(q_out, cat, cont)
        dh = nets.d_head.backward(dlogit)
        dq_h = nets.q_head.backward(info.dq)
        if not self.q_is_probe:                                     # a probe's input gradient is dropped
            dh += dq_h
        nets.trunk.backward(dh, need_dx=False)
        self.opt_d.step()
        d_loss = loss_real + loss_fake - info.share + terms.loss_share()
        return StepStats(d_loss=float(d_loss), li_cat=info.li_cat, li_cont=info.li_cont, d_real=d_real,
                         d_fake=_sigmoid_mean(logit), terms=terms.stats)

    def g_step(self, n: int) -> StepStats:
        """One update of G on a fresh latent sample of size ``n``."""
        nets = self.nets
        nets.train()
        self.opt_g.zero_grad()
        terms = self._terms("G", n)
        x_fake, cat, cont = self.sample_fake(n)
        # -log D(G(z, c)) - lambda L_I (non-saturating), through the trunk and both heads to G's images;
        # their parameter gradients would never be applied (opt_d.zero_grad() starts every D step), so
        # they are not computed at all
        with nets.frozen_discriminator():
            h = nets.trunk(x_fake)
            logit = nets.d_head(h)
            g_loss, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))
            dh = nets.d_head.backward(dlogit)
            if not self.q_is_probe:
                info = self.info_terms(nets.q_head(h), cat, cont)
                dh += nets.q_head.backward(info.dq)
                g_loss -= info.share
            dx = nets.trunk.backward(dh)
        nets.G.backward(dx)
        terms.own_passes()                                          # [terms] passes of their own through G
        self.opt_g.step()
        return StepStats(g_loss=float(g_loss + terms.loss_share()), terms=terms.stats)

    def update(self, x_real: np.ndarray) -> StepStats:
        """One D step then one G step (the original code's schedule)."""
        d = self.d_step(x_real)
        g = self.g_step(x_real.shape[0])
        self.updates_done += 1
        return StepStats.of_update(d, g)

    # --------------------------------------------------------------- state
    def state(self) -> dict:
        return {"nets": self.nets.state_dict(), "opt_d": self.opt_d.state_dict(),
                "opt_g": self.opt_g.state_dict(), "rng": self.rng.bit_generator.state}

    def load_state(self, state: dict) -> None:
        self.nets.load_state_dict(state["nets"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.rng.bit_generator.state = state["rng"]
