"""One InfoGAN update, written out line by line with every array's shape.

    python examples/infogan_step_by_step.py

This is what :class:`npgan.train.InfoGANTrainer` does in ``d_step`` and ``g_step``, unrolled so a
reader can follow each forward pass, each loss, and each backward pass by hand. It runs on random
"real" images so it needs no data.
"""

import numpy as np

from npgan import optim
from npgan.distributions import categorical_log_q, gaussian_log_q
from npgan.info import mi_lower_bound
from npgan.models import InfoGANConfig, InfoGANNets
from npgan.nn import losses

rng = np.random.default_rng(0)
cfg = InfoGANConfig(batch_size=16)           # the paper's MNIST recipe, a small batch
lat = cfg.latent                             # 62 noise, c1 ~ Cat(10), c2, c3 ~ Unif(-1, 1)
nets = InfoGANNets(cfg, rng)
opt_d = optim.Adam([nets.trunk, nets.d_head, nets.q_head], lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
opt_g = optim.Adam([nets.G], lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
B = cfg.batch_size
x_real = rng.uniform(0, 1, size=(B, 1, 28, 28)).astype(np.float32)
H_c = lat.categorical_entropy()              # ln 10: the most L_I can reach (paper Figure 1)


def show(name, a):
    print(f"  {name:<32} {str(a.shape):<18} {a.dtype}")


def info(q_out, cat, cont):
    """L_I = E[log Q(c|x)] + H(c) and d(-L_I)/d(q_out), categorical and continuous parts."""
    logits, mean, log_std = lat.split_q(q_out)                          # (B,10) (B,2) (B,2)
    log_q_cat, dlogits = categorical_log_q(np.ascontiguousarray(logits[0]), cat[:, 0])
    log_q_cont, dmean, dlog_std = gaussian_log_q(np.ascontiguousarray(mean),
                                                 np.ascontiguousarray(log_std), cont)
    dq = np.concatenate([dlogits * cfg.lambda_cat, dmean * cfg.lambda_cont,
                         dlog_std * cfg.lambda_cont], axis=1) * (-1.0 / B)
    return mi_lower_bound(log_q_cat, H_c), mi_lower_bound(log_q_cont, lat.continuous_entropy()), dq


print("D step: maximise log D(x) + log(1 - D(G(z, c))) + lambda L_I over the trunk, D head, Q head")
nets.train()
opt_d.zero_grad()
h = nets.trunk(x_real); show("trunk(x_real)", h)                      # (B, 1024)
logit = nets.d_head(h); show("D logit on real", logit)                # (B, 1)
loss_real, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))
nets.trunk.backward(nets.d_head.backward(dlogit))                     # first forward/backward pair

z, cat, cont = lat.sample(B, rng)
g_in = lat.assemble(z, cat, cont); show("G input [z, onehot(c1), c2, c3]", g_in)   # (B, 74)
x_fake = nets.generate(g_in); show("G(z, c)", x_fake)                 # (B, 1, 28, 28)
h = nets.trunk(x_fake)                                                # second pair: the fake batch
logit, q_out = nets.d_head(h), nets.q_head(h); show("Q output", q_out)   # (B, 14)
loss_fake, dlogit = losses.bce_with_logits(logit, np.zeros_like(logit))
li_cat, li_cont, dq = info(q_out, cat, cont)
dh = nets.d_head.backward(dlogit) + nets.q_head.backward(dq)          # both heads feed the trunk
nets.trunk.backward(dh)
opt_d.step()
print(f"  D loss {loss_real + loss_fake:.4f}   L_I(c1) {li_cat:.4f} of H(c1) = {H_c:.4f} nats")

print("G step: minimise -log D(G(z, c)) - lambda L_I over G (gradients flow through Q and the trunk)")
opt_g.zero_grad()
z, cat, cont = lat.sample(B, rng)
x_fake = nets.generate(lat.assemble(z, cat, cont))
h = nets.trunk(x_fake)
logit, q_out = nets.d_head(h), nets.q_head(h)
g_loss, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))  # non-saturating loss
li_cat, li_cont, dq = info(q_out, cat, cont)
dx_fake = nets.trunk.backward(nets.d_head.backward(dlogit) + nets.q_head.backward(dq))
show("d loss / d G(z, c)", dx_fake)
nets.G.backward(dx_fake)
opt_g.step()                                    # only G moves; D's accumulated grads are discarded
print(f"  G loss {g_loss:.4f}   L_I(c1) {li_cat:.4f}")
