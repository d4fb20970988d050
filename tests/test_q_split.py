"""``q_split``: Q's categorical and continuous outputs from separate hidden layers."""

import json

import numpy as np
import pytest

from npgan import nn
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.testing import numerical_partial
from npgan.train import InfoGANTrainer, build_trainer


def _config(**kw):
    kw.setdefault("latent", LatentSpec(noise_dim=6, categorical=(3,), continuous=2))
    return InfoGANConfig(batch_size=8, **kw)


def test_split_head_has_two_branches_with_the_same_output_layout():
    shared = InfoGANNets(_config(), np.random.default_rng(0))
    split = InfoGANNets(_config(q_split=True), np.random.default_rng(0))
    assert isinstance(shared.q_head, nn.Sequential) and isinstance(split.q_head, nn.Parallel)
    cat_branch, cont_branch = split.q_head[0], split.q_head[1]
    assert cat_branch[-1].params["weight"].shape == (3, 128)          # 3 logits
    assert cont_branch[-1].params["weight"].shape == (4, 128)         # 2 means, 2 log-stds
    # the rest of the networks is built first, from the same draws
    for name in ("G", "trunk", "d_head"):
        a, b = shared.modules()[name].state_dict(), split.modules()[name].state_dict()
        assert all(np.array_equal(a[k], b[k]) for k in a), name
    _, q = split.discriminate(np.zeros((4, 1, 28, 28), np.float32))
    assert q.shape == (4, 3 + 4) and q.dtype == np.float32


def test_split_with_one_kind_of_code_is_the_shared_head():
    for latent in (LatentSpec(noise_dim=4, categorical=(5,), continuous=0),
                   LatentSpec(noise_dim=4, categorical=(), continuous=2)):
        nets = InfoGANNets(_config(latent=latent, q_split=True), np.random.default_rng(0))
        assert isinstance(nets.q_head, nn.Sequential)


def test_consistency_gradient_stays_in_the_categorical_branch():
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 1, (16, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(_config(q_split=True, consistency=1.0), 0, images)
    nets = trainer.nets
    x = stream.next()
    q_real = nets.q_head(nets.trunk(x)).copy()
    nets.q_head.backward(np.zeros_like(q_real))
    nets.trunk.backward(np.zeros((8, 1024), np.float32), need_dx=False)
    trainer.opt_d.zero_grad()
    trainer._real_consistency(x, q_real, 1.0)
    cat_grads, cont_grads = nets.q_head[0].gradients(), nets.q_head[1].gradients()
    assert any(g.any() for g in cat_grads.values())
    assert not any(g.any() for g in cont_grads.values())
    assert any(g.any() for g in nets.trunk.gradients().values())


def test_split_runs_updates_and_trains_both_branches():
    images = np.random.default_rng(4).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(_config(q_split=True, consistency=1.0), 1, images)
    before = {k: v.copy() for k, v in trainer.nets.q_head.parameters().items()}
    for _ in range(2):
        assert trainer.update(stream.next()).finite()
    after = trainer.nets.q_head.parameters()
    for branch in ("0.", "1."):
        assert any(not np.array_equal(before[k], after[k]) for k in before if k.startswith(branch)), branch


def test_config_round_trip_old_configs_and_bad_value():
    cfg = _config(q_split=True)
    back = InfoGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back.q_split is True
    old = cfg.to_dict()
    del old["q_split"]  # a run saved before the field existed had the shared head
    assert InfoGANConfig.from_dict(old).q_split is False
    with pytest.raises(TypeError, match="q_split"):
        _config(q_split="yes")


def test_g_step_gradient_through_the_split_head_float64():
    """G's information gradient reaches it through both branches (central differences)."""
    cfg = _config(q_split=True, lambda_cont=1.0)
    nets = InfoGANNets(cfg, np.random.default_rng(0), dtype=np.float64)
    trainer = InfoGANTrainer(nets, np.random.default_rng(1))
    nets.train()
    lat = cfg.latent
    z, cat, cont = lat.sample(6, np.random.default_rng(2), dtype=np.float64)
    inp = lat.assemble(z, cat, cont, dtype=np.float64)

    def loss_and_grad():
        q = nets.q_head(nets.trunk(nets.G(inp)))
        li_cat, li_cont, dq_cat, dq_cont = trainer.info_terms(q, cat, cont)
        dx = nets.trunk.backward(nets.q_head.backward(dq_cat + dq_cont))
        nets.G.zero_grad()
        nets.G.backward(dx)
        return -(li_cat + li_cont), nets.G.gradients()["0.weight"].copy()

    _, grad = loss_and_grad()
    w = nets.G.parameters()["0.weight"]
    rng = np.random.default_rng(5)
    nums = []
    for _ in range(4):
        idx = tuple(int(rng.integers(0, s)) for s in w.shape)
        num = numerical_partial(lambda: loss_and_grad()[0], w, idx)
        nums.append(abs(num))
        assert abs(num - grad[idx]) <= 1e-5 * max(1e-3, abs(num)) + 1e-9, (idx, num, grad[idx])
    assert max(nums) > 1e-4, nums  # the checked entries do move the loss
