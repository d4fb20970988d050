"""The InfoGAN MNIST networks and training step in PyTorch, for ``bench_step.py`` only.

Not part of npgan (the package never imports torch). The networks have the layer shapes of
:mod:`npgan.models.infogan` and the step does the work of :class:`npgan.train.step.InfoGANTrainer`:

- D step: real batch forward/backward (BCE with logits, target 1); a fake batch from G in training
  mode with no gradient into G; fake batch forward through the trunk, the D head and the Q head,
  backward of ``BCE(target 0) - lambda_cat * L_cat - lambda_cont * L_cont``; Adam on trunk + heads.
- G step: a fresh latent sample, ``BCE(D(G(z)), 1) - lambda * L_I`` (non-saturating) backward
  through D, Q and G, with D's and Q's parameters frozen (``requires_grad_(False)``) so their
  weight gradients are not computed (npgan does the same with ``Module.requires_grad_``), Adam on G.

L_I's categorical part is the log-softmax likelihood of the sampled category, the continuous part a
factored Gaussian with learned log-std (``q_std="learned"``); the constant prior entropies are left
out, since they do not change the gradients. Each phase is timed with ``perf_counter`` (PyTorch runs
synchronously on the CPU), in the order and with the names of ``bench_step.PHASES``.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.nn import functional as F

NOISE, N_CAT, N_CONT = 62, 10, 2
LATENT = NOISE + N_CAT + N_CONT          # 74
Q_OUT = N_CAT + 2 * N_CONT               # 14
SLOPE = 0.1
LAMBDA_CAT, LAMBDA_CONT = 1.0, 0.1
LR_D, LR_G, BETAS = 2e-4, 1e-3, (0.5, 0.999)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class _Unflatten(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.view(x.shape[0], *self.shape)


def build_networks():
    """(G, trunk, d_head, q_head) with npgan's layer shapes, N(0, 0.02) weights, BN gamma ~ N(1, 0.02)."""
    G = nn.Sequential(
        nn.Linear(LATENT, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
        nn.Linear(1024, 7 * 7 * 128), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(),
        _Unflatten((128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Sigmoid(),
    )
    trunk = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(SLOPE),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128), nn.LeakyReLU(SLOPE),
        nn.Flatten(),
        nn.Linear(128 * 7 * 7, 1024), nn.BatchNorm1d(1024), nn.LeakyReLU(SLOPE),
    )
    d_head = nn.Sequential(nn.Linear(1024, 1))
    q_head = nn.Sequential(nn.Linear(1024, 128), nn.BatchNorm1d(128), nn.LeakyReLU(SLOPE), nn.Linear(128, Q_OUT))
    with torch.no_grad():
        for net in (G, trunk, d_head, q_head):
            for m in net.modules():
                if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                    m.weight.normal_(0.0, 0.02)
                    m.bias.zero_()
                elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.weight.normal_(1.0, 0.02)
                    m.bias.zero_()
    return G, trunk, d_head, q_head


def _adam(params, lr, adam: str):
    kw = {"foreach": dict(foreach=True), "fused": dict(fused=True), "single": dict(foreach=False)}[adam]
    return torch.optim.Adam(params, lr=lr, betas=BETAS, **kw)


class TorchInfoGAN:
    """Networks, optimisers and the timed update.

    Parameters
    ----------
    adam : {"foreach", "fused", "single"}
        Adam implementation (multi-tensor, fused kernel, per-parameter loop).
    channels_last : bool
        Store the conv layers' weights and activations channels-last (NHWC).
    seed : int
    """

    def __init__(self, adam: str = "foreach", channels_last: bool = False, seed: int = 0):
        torch.manual_seed(seed)
        self.G, self.trunk, self.d_head, self.q_head = build_networks()
        self.channels_last = channels_last
        if channels_last:
            for net in (self.G, self.trunk):
                net.to(memory_format=torch.channels_last)
        d_params = [*self.trunk.parameters(), *self.d_head.parameters(), *self.q_head.parameters()]
        self.d_params = d_params
        self.opt_d = _adam(d_params, LR_D, adam)
        self.opt_g = _adam(list(self.G.parameters()), LR_G, adam)
        self.gen = torch.Generator().manual_seed(seed + 1)
        self.phases: dict[str, float] = {}

    def _latent(self, n):
        z = torch.rand(n, NOISE, generator=self.gen) * 2 - 1
        cat = torch.randint(0, N_CAT, (n,), generator=self.gen)
        cont = torch.rand(n, N_CONT, generator=self.gen) * 2 - 1
        return torch.cat([z, F.one_hot(cat, N_CAT).to(z.dtype), cont], dim=1), cat, cont

    def _generate(self, n):
        z, cat, cont = self._latent(n)
        x = self.G(z)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, cat, cont

    @staticmethod
    def _neg_info(q, cat, cont):
        """lambda_cat * CE(cat) + lambda_cont * Gaussian NLL(cont): -lambda * L_I up to constants."""
        ce = F.cross_entropy(q[:, :N_CAT], cat)
        mean, log_std = q[:, N_CAT: N_CAT + N_CONT], q[:, N_CAT + N_CONT:]
        nll = (0.5 * ((cont - mean) * torch.exp(-log_std)) ** 2 + log_std + _HALF_LOG_2PI).sum(1).mean()
        return LAMBDA_CAT * ce + LAMBDA_CONT * nll

    def update(self, x_real: torch.Tensor) -> None:
        """One D step then one G step; phase durations (seconds) land in ``self.phases``."""
        n = x_real.shape[0]
        if self.channels_last:
            x_real = x_real.contiguous(memory_format=torch.channels_last)
        ones = torch.ones(n, 1)
        zeros = torch.zeros(n, 1)
        t0 = time.perf_counter()
        # ---- D step
        self.opt_d.zero_grad(set_to_none=True)
        logit = self.d_head(self.trunk(x_real))
        F.binary_cross_entropy_with_logits(logit, ones).backward()
        t1 = time.perf_counter()
        with torch.no_grad():
            x_fake, cat, cont = self._generate(n)
        t2 = time.perf_counter()
        h = self.trunk(x_fake)
        loss = F.binary_cross_entropy_with_logits(self.d_head(h), zeros) + self._neg_info(self.q_head(h), cat, cont)
        loss.backward()
        t3 = time.perf_counter()
        self.opt_d.step()
        t4 = time.perf_counter()
        # ---- G step
        self.opt_g.zero_grad(set_to_none=True)
        x_fake, cat, cont = self._generate(n)
        t5 = time.perf_counter()
        for p in self.d_params:  # no weight gradients for D and Q in the G step
            p.requires_grad_(False)
        try:
            h = self.trunk(x_fake)
            loss = (F.binary_cross_entropy_with_logits(self.d_head(h), ones)
                    + self._neg_info(self.q_head(h), cat, cont))
            loss.backward()
        finally:
            for p in self.d_params:
                p.requires_grad_(True)
        t6 = time.perf_counter()
        self.opt_g.step()
        t7 = time.perf_counter()
        self.phases = {"D real": t1 - t0, "D fake gen": t2 - t1, "D fake+Q": t3 - t2, "Adam D": t4 - t3,
                       "G gen": t5 - t4, "G fwd+bwd": t6 - t5, "Adam G": t7 - t6}
