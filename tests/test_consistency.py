"""The real-data consistency objective (IIC's I(c; c')) and its use in the D step."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax

from npgan.augment import Distortion
from npgan.info import mutual_information
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.train import InfoGANTrainer, build_trainer
from npgan.testing import numerical_partial
from npgan.train.consistency import paired_assignment_mi


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 12), k=st.integers(2, 6),
       scale=st.floats(0.1, 5.0))
@settings(max_examples=40)
def test_value_and_gradient_float64(seed, n, k, scale):
    rng = np.random.default_rng(seed)
    target = log_softmax(rng.normal(0, scale, (n, k)), axis=1)
    logits = rng.normal(0, scale, (n, k))
    mi, d = paired_assignment_mi(target, logits)
    # value: the mutual information of the symmetrised joint, computed directly
    a = np.exp(log_softmax(logits, axis=1))
    joint = np.exp(target).T @ a / n
    sym = (joint + joint.T) / 2
    assert mi == pytest.approx(mutual_information(sym), abs=1e-12)
    assert -1e-12 <= mi <= np.log(k) + 1e-12
    # gradient of -mi by central differences
    h = 1e-6
    num = np.zeros_like(logits)
    for i in range(n):
        for j in range(k):
            up, dn = logits.copy(), logits.copy()
            up[i, j] += h
            dn[i, j] -= h
            num[i, j] = -(paired_assignment_mi(target, up)[0] - paired_assignment_mi(target, dn)[0]) / (2 * h)
    np.testing.assert_allclose(d, num, atol=1e-7 + 1e-5 * np.abs(num).max())


def test_perfect_balanced_agreement_gives_log_k_and_zero_gradient():
    labels = np.arange(60) % 6
    logits = np.where(np.eye(6)[labels] > 0, 0.0, -800.0)  # one-hot to float64 precision
    mi, d = paired_assignment_mi(log_softmax(logits, axis=1), logits)
    assert mi == pytest.approx(np.log(6), abs=1e-12)
    np.testing.assert_allclose(d, 0.0, atol=1e-12)


def test_uninformative_target_gives_zero():
    # uniform target, balanced (if confident) distorted side: the joint is uniform
    target = np.full((12, 4), -np.log(4))
    logits = np.where(np.eye(4)[np.arange(12) % 4] > 0, 3.0, 0.0)
    mi, _ = paired_assignment_mi(target, logits)
    assert mi == pytest.approx(0.0, abs=1e-12)


def test_gradient_raises_the_objective():
    rng = np.random.default_rng(1)
    target = log_softmax(rng.normal(0, 3, (32, 5)), axis=1)
    logits = rng.normal(size=(32, 5))
    mi0, d = paired_assignment_mi(target, logits)
    mi1, _ = paired_assignment_mi(target, logits - 1.0 * d)
    assert mi1 > mi0


def test_float32_in_float32_out_and_bad_input():
    t = log_softmax(np.zeros((4, 3)), axis=1).astype(np.float32)
    _, d = paired_assignment_mi(t, np.zeros((4, 3), dtype=np.float32))
    assert d.dtype == np.float32
    with pytest.raises(ValueError, match="same shape"):
        paired_assignment_mi(t, np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="logits"):
        paired_assignment_mi(t, [[0.0]])


def _config(**kw):
    return InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=2), batch_size=8, **kw)


def test_d_step_with_consistency_trains_trunk_and_q_on_real_images():
    rng = np.random.default_rng(5)
    images = rng.uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    grads = {}
    for weight in (0.0, 1.0):
        trainer, stream = build_trainer(_config(consistency=weight), 3, images)
        stats = trainer.update(stream.next())
        assert stats.finite()
        if weight:
            assert 0.0 <= stats.iic <= np.log(3) + 1e-6
        else:
            assert stats.iic == 0.0
        trainer.d_step(stream.next())  # leaves the D step's gradients in place
        grads[weight] = {k: v.copy() for k, v in trainer.nets.trunk.gradients().items()}
    assert any(not np.allclose(grads[0.0][k], grads[1.0][k]) for k in grads[0.0])


def test_consistency_is_off_in_the_gan_baseline():
    images = np.random.default_rng(6).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(_config(consistency=1.0, gan_baseline=True), 3, images)
    assert trainer.update(stream.next()).iic == 0.0


def test_negative_weight_rejected():
    with pytest.raises(ValueError, match="consistency"):
        _config(consistency=-1.0)


def test_distortion_ranges_live_in_the_config_and_survive_a_round_trip():
    cfg = _config(consistency=1.0, distortion=Distortion(scale_x=(0.7, 1.4), rotation=10.0))
    back = InfoGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back.distortion == cfg.distortion
    # a config written before the field existed gets the default ranges
    old = cfg.to_dict()
    del old["distortion"]
    assert InfoGANConfig.from_dict(old).distortion == Distortion()
    trainer, _ = build_trainer(cfg, 0, np.zeros((16, 1, 28, 28), np.float32))
    assert trainer.distortion is cfg.distortion


def test_bad_distortion_rejected():
    with pytest.raises(TypeError, match="distortion"):
        _config(distortion=(0.7, 1.4))
    with pytest.raises(ValueError, match="scale_x"):
        _config(distortion={"scale_x": [1.4, 0.7]})


# ----------------------------------------------------- categorical L_I on distorted fakes
def test_distorted_fake_term_gradient_matches_finite_differences_float64():
    """_distorted_fake_li leaves weight * d(-L_I(distorted fakes))/d(theta) in the trunk and Q head."""
    weight = 0.7
    cfg = _config(fake_consistency=weight)
    nets = InfoGANNets(cfg, np.random.default_rng(0), dtype=np.float64)
    trainer = InfoGANTrainer(nets, np.random.default_rng(1))
    nets.train()
    x_fake, cat, cont = trainer.sample_fake(8)
    state = trainer.rng.bit_generator.state

    def objective():
        trainer.rng.bit_generator.state = state  # the same distortions every time
        return trainer._distorted_fake_li(x_fake, cat, cont)

    for m in nets.modules().values():
        m.zero_grad()
    objective()
    grads = {**{"trunk." + k: v.copy() for k, v in nets.trunk.gradients().items()},
             **{"q." + k: v.copy() for k, v in nets.q_head.gradients().items()}}
    assert not any(np.any(v) for v in nets.d_head.gradients().values())
    rng = np.random.default_rng(2)
    for mod, prefix, names in ((nets.trunk, "trunk.", ["0.weight", "2.weight", "6.weight"]),
                               (nets.q_head, "q.", ["0.weight", "3.weight", "3.bias"])):
        for name in names:
            p = mod.parameters()[name]
            idx = tuple(int(rng.integers(0, s)) for s in p.shape)
            num = -weight * numerical_partial(objective, p, idx, eps=1e-5)
            ana = grads[prefix + name][idx]
            assert abs(num - ana) <= 1e-5 * max(1e-3, abs(num) + abs(ana)) + 1e-9, (prefix + name, num, ana)


def test_distorted_fake_term_is_logged_and_changes_only_the_d_side():
    images = np.random.default_rng(7).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    grads = {}
    for weight in (0.0, 1.0):
        trainer, stream = build_trainer(_config(fake_consistency=weight), 3, images)
        stats = trainer.update(stream.next())
        assert stats.finite() and "li_distorted" in stats.as_dict()
        assert (stats.li_distorted != 0.0) == bool(weight)
        assert stats.li_distorted <= np.log(3) + 1e-6
        trainer.nets.G.zero_grad()  # the update's G step left its gradients
        trainer.d_step(stream.next())
        grads[weight] = {k: v.copy() for k, v in trainer.nets.q_head.gradients().items()}
        assert not any(np.any(v) for v in trainer.nets.G.gradients().values())
    assert any(not np.allclose(grads[0.0][k], grads[1.0][k]) for k in grads[0.0])
    trainer, stream = build_trainer(_config(fake_consistency=1.0, gan_baseline=True), 3, images)
    assert trainer.update(stream.next()).li_distorted == 0.0
    with pytest.raises(ValueError, match="fake_consistency"):
        _config(fake_consistency=-0.5)


def test_early_weight_schedule_and_validation():
    cfg = _config(consistency=1.0, consistency_early=3.0, consistency_early_updates=2)
    assert [cfg.consistency_at(u) for u in (1, 2, 3, 100)] == [3.0, 3.0, 1.0, 1.0]
    assert _config(consistency=0.5).consistency_at(1) == 0.5  # no early phase by default
    back = InfoGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert (back.consistency_early, back.consistency_early_updates) == (3.0, 2)
    old = cfg.to_dict()  # a config written before the fields existed: no early phase
    del old["consistency_early"], old["consistency_early_updates"]
    assert InfoGANConfig.from_dict(old).consistency_at(1) == 1.0
    with pytest.raises(ValueError, match="consistency_early"):
        _config(consistency_early=-1.0)
    with pytest.raises(ValueError, match="consistency_early_updates"):
        _config(consistency_early_updates=-1)
    with pytest.raises(TypeError, match="consistency_early_updates"):
        _config(consistency_early_updates=2.5)


def test_trainer_switches_weight_after_the_early_updates_and_on_resume(tmp_path):
    from npgan.train import TrainOptions, train
    images = np.random.default_rng(7).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    # early weight 2 for two updates, then off: the term runs in updates 1-2 only
    cfg = _config(consistency=0.0, consistency_early=2.0, consistency_early_updates=2)
    trainer, stream = build_trainer(cfg, 3, images)
    iic = [trainer.update(stream.next()).iic for _ in range(3)]
    assert iic[0] > 0 and iic[1] > 0 and iic[2] == 0.0 and trainer.updates_done == 3
    # the reported D loss holds the weight in force: same batch and latents, weight 2 vs weight 1
    losses = {}
    for early in (2.0, 1.0):
        t, s = build_trainer(_config(consistency=1.0, consistency_early=early, consistency_early_updates=1), 3,
                             images)
        st_ = t.update(s.next())
        losses[early] = (st_.d_loss, st_.iic)
    assert losses[1.0][0] - losses[2.0][0] == pytest.approx(losses[2.0][1], rel=1e-4)
    # a resumed run is in the phase its update count says (the count is not in the trainer's state)
    cfg = _config(consistency=1.0, consistency_early=3.0, consistency_early_updates=2)
    straight = train(cfg, images, TrainOptions(updates=4, seed=1, out_dir=tmp_path / "a", progress=False))[0]
    train(cfg, images, TrainOptions(updates=2, seed=1, out_dir=tmp_path / "b", progress=False))
    resumed = train(cfg, images, TrainOptions(updates=4, out_dir=tmp_path / "b", progress=False), resume=True)[0]
    assert resumed.updates_done == straight.updates_done == 4
    for k, v in straight.nets.state_dict().items():
        np.testing.assert_array_equal(v, resumed.nets.state_dict()[k], err_msg=k)
