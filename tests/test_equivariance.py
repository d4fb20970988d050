"""The code-equivariance term: the spread of Q's reading changes under a shared distortion, and its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npgan.augment import Distortion
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.testing import numerical_gradient, numerical_partial
from npgan.train import InfoGANTrainer, build_trainer
from npgan.train.equivariance import group_spread


@given(seed=st.integers(0, 2**31 - 1), groups=st.integers(1, 4), size=st.integers(1, 5), d=st.integers(1, 3))
@settings(max_examples=40)
def test_value_and_gradient_float64(seed, groups, size, d):
    rng = np.random.default_rng(seed)
    delta = rng.normal(size=(groups * size, d))
    spread, grad = group_spread(delta, size)
    expected = sum(np.sum((delta[g * size:(g + 1) * size] - delta[g * size:(g + 1) * size].mean(0)) ** 2)
                   for g in range(groups)) / (groups * size)
    assert spread == pytest.approx(expected, rel=1e-12, abs=1e-15)
    num = numerical_gradient(lambda: group_spread(delta, size)[0], delta)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9)


def test_zero_when_each_group_moves_together_and_blind_to_a_shared_shift():
    rng = np.random.default_rng(0)
    shifts = rng.normal(size=(3, 2))
    together = np.repeat(shifts, 4, axis=0)  # every image of a group moves by the same amount
    spread, grad = group_spread(together, 4)
    assert spread == pytest.approx(0.0, abs=1e-15) and np.allclose(grad, 0.0)
    delta = rng.normal(size=(12, 2))
    assert group_spread(delta + together, 4)[0] == pytest.approx(group_spread(delta, 4)[0], rel=1e-12)
    # a flipped reading: one image of a group of four moves the other way
    flipped = np.array([[1.0], [1.0], [1.0], [-1.0]])
    assert group_spread(flipped, 4)[0] == pytest.approx(0.75)
    assert group_spread(flipped, 4)[1].dtype == np.float64
    assert group_spread(flipped.astype(np.float32), 4)[1].dtype == np.float32


def test_validation():
    with pytest.raises(ValueError, match="group_size"):
        group_spread(np.zeros((6, 2)), 4)
    with pytest.raises(ValueError, match="group_size"):
        group_spread(np.zeros((0, 2)), 1)
    with pytest.raises(ValueError, match="group_size"):
        group_spread(np.zeros((4, 2)), 0)
    with pytest.raises(ValueError, match="delta"):
        group_spread(np.zeros(4), 2)
    with pytest.raises(TypeError, match="delta"):
        group_spread([[1, 2]], 1)


def test_grouped_distortion_shares_one_warp_per_group():
    rng = np.random.default_rng(1)
    digit = rng.uniform(0, 1, (1, 1, 28, 28)).astype(np.float32)
    images = np.repeat(digit, 12, axis=0)
    out = Distortion().grouped(images, 4, np.random.default_rng(2))
    assert out.shape == images.shape and out.dtype == np.float32
    for g in range(3):
        for i in range(1, 4):
            np.testing.assert_array_equal(out[4 * g + i], out[4 * g])
    assert not np.array_equal(out[0], out[4]) and not np.array_equal(out[4], out[8])
    assert not np.array_equal(out[0], images[0])
    with pytest.raises(ValueError, match="group_size"):
        Distortion().grouped(images, 5, rng)
    with pytest.raises(ValueError, match="group_size"):
        Distortion().grouped(images, 0, rng)


def _config(**kw):
    return InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=2), batch_size=8, **kw)


def test_d_step_term_gradient_matches_finite_differences_float64():
    """The term leaves weight * d(spread)/d(theta) in the trunk and the Q head, with the undistorted
    readings held fixed (they are the target): checked against finite differences of the spread
    recomputed with the same distortions (the RNG state is replayed)."""
    weight = 0.7
    nets = InfoGANNets(_config(code_equivariance=weight), np.random.default_rng(0), dtype=np.float64)
    trainer = InfoGANTrainer(nets, np.random.default_rng(1))
    nets.train()
    images = np.random.default_rng(3).uniform(0, 1, (8, 1, 28, 28))
    q_real = nets.q_head(nets.trunk(images)).copy()
    state = trainer.rng.bit_generator.state
    cols = slice(3, 5)

    def spread_now():
        trainer.rng.bit_generator.state = state
        q_aug = nets.q_head(nets.trunk(trainer.distortion.grouped(images, 8, trainer.rng)))
        return group_spread(q_aug[:, cols] - q_real[:, cols], 8)[0]

    for mod in nets.modules().values():
        mod.zero_grad()
    trainer.rng.bit_generator.state = state
    spread = trainer._code_equivariance(images, q_real, weight)
    assert spread == pytest.approx(spread_now(), rel=1e-12) and spread > 0
    grads = {**{"trunk." + k: v.copy() for k, v in nets.trunk.gradients().items()},
             **{"q." + k: v.copy() for k, v in nets.q_head.gradients().items()}}
    assert not any(np.any(v) for m in (nets.G, nets.d_head) for v in m.gradients().values())
    rng = np.random.default_rng(4)
    for mod, prefix, names in ((nets.trunk, "trunk.", ["0.weight", "6.weight"]),
                               (nets.q_head, "q.", ["0.weight", "3.weight", "3.bias"])):
        for name in names:
            p = mod.parameters()[name]
            for _ in range(2):
                idx = tuple(int(rng.integers(0, s)) for s in p.shape)
                if prefix == "q." and name.startswith("3"):
                    idx = (3 + int(rng.integers(0, 2)),) + idx[1:]  # a row feeding a continuous mean
                num = weight * numerical_partial(spread_now, p, idx)
                ana = grads[prefix + name][idx]
                assert abs(num - ana) <= 1e-5 * max(1e-3, abs(num) + abs(ana)) + 1e-9, (prefix + name, num, ana)


def test_term_is_logged_off_before_its_start_and_where_it_cannot_apply():
    images = np.random.default_rng(6).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(_config(code_equivariance=1.0, code_equivariance_from=1), 3, images)
    first, second = trainer.update(stream.next()), trainer.update(stream.next())
    assert first.equivariance == 0.0 and second.equivariance > 0.0 and second.finite()
    assert "equivariance" in second.as_dict()
    for cfg in (_config(code_equivariance=1.0, gan_baseline=True),
                InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=0), batch_size=8,
                              code_equivariance=1.0)):
        trainer, stream = build_trainer(cfg, 3, images)
        assert trainer.update(stream.next()).equivariance == 0.0


def test_group_size_divides_odd_batches():
    # batch 12: groups of 12 (the largest divisor up to 16); batch 34: groups of 2 (17 > 16)
    for batch in (12, 34):
        cfg = InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=2), batch_size=batch,
                            code_equivariance=1.0)
        images = np.random.default_rng(6).uniform(0, 1, (batch * 2, 1, 28, 28)).astype(np.float32)
        trainer, stream = build_trainer(cfg, 3, images)
        assert trainer.update(stream.next()).equivariance > 0.0
