"""The orthogonal-Jacobian term: cos^2 between the image changes of the continuous codes, and its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.testing import numerical_gradient, numerical_partial
from npgan.train import InfoGANTrainer, build_trainer
from npgan.train.jacobian import orthogonality_penalty
from npgan.train.step import JACOBIAN_EPS


@given(seed=st.integers(0, 2**31 - 1), m=st.integers(1, 4), k=st.integers(2, 3), eps=st.floats(0.05, 1.0))
@settings(max_examples=30)
def test_value_and_gradient_float64(seed, m, k, eps):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(m, 1, 3, 2))
    shifted = [base + rng.normal(size=base.shape) for _ in range(k)]
    pen, d_base, d_shifted = orthogonality_penalty(base, shifted, eps)
    jac = [(s - base).reshape(m, -1) / eps for s in shifted]
    cos2 = [np.sum(a * b, 1) ** 2 / (np.sum(a * a, 1) * np.sum(b * b, 1))
            for i, a in enumerate(jac) for b in jac[i + 1:]]
    assert pen == pytest.approx(np.mean(cos2), rel=1e-12)
    assert 0.0 <= pen <= 1.0 + 1e-12

    for arr, ana in zip([base, *shifted], [d_base, *d_shifted]):
        num = numerical_gradient(lambda: orthogonality_penalty(base, shifted, eps)[0], arr)
        np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-8)


def test_orthogonal_parallel_and_zero_changes():
    base = np.zeros((2, 4))
    a = np.array([[1.0, 0, 0, 0], [0, 2.0, 0, 0]])
    b = np.array([[0, 3.0, 0, 0], [0, 0, 0, 1.0]])
    assert orthogonality_penalty(base, [a, b], 0.1)[0] == 0.0
    assert orthogonality_penalty(base, [a, -2 * a], 0.1)[0] == pytest.approx(1.0)
    # a code that does not move the image: no direction, no penalty, no gradient (not NaN)
    pen, d_base, d_shifted = orthogonality_penalty(base, [a, base.copy()], 0.1)
    assert pen == 0.0 and not np.any(d_base) and not any(np.any(d) for d in d_shifted)
    # float32 in, float32 gradients out
    _, d32, s32 = orthogonality_penalty(base.astype(np.float32), [a.astype(np.float32), b.astype(np.float32)], 0.1)
    assert d32.dtype == np.float32 and s32[0].dtype == np.float32


def test_bad_input_rejected():
    base = np.zeros((2, 4))
    with pytest.raises(ValueError, match="shifted"):
        orthogonality_penalty(base, [base], 0.1)
    with pytest.raises(ValueError, match=r"shifted\[1\]"):
        orthogonality_penalty(base, [base, np.zeros((2, 5))], 0.1)
    with pytest.raises(ValueError, match="eps"):
        orthogonality_penalty(base, [base, base], 0.0)
    with pytest.raises(TypeError, match="base"):
        orthogonality_penalty([[0.0]], [base, base], 0.1)


def _config(**kw):
    return InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=2), batch_size=8, **kw)


def test_g_step_term_gradient_matches_finite_differences_float64():
    """The term leaves weight * d(penalty)/d(theta_G) in G: checked against finite differences of the
    penalty recomputed on the same latents (the RNG state is replayed)."""
    weight = 0.6
    nets = InfoGANNets(_config(ortho_jacobian=weight), np.random.default_rng(0), dtype=np.float64)
    trainer = InfoGANTrainer(nets, np.random.default_rng(1))
    nets.train()
    state = trainer.rng.bit_generator.state

    def penalty():
        trainer.rng.bit_generator.state = state
        for mod in nets.modules().values():
            mod.zero_grad()
        return trainer._ortho_jacobian(4, weight)

    assert penalty() > 0.0
    grads = {k: v.copy() for k, v in nets.G.gradients().items()}
    rng = np.random.default_rng(2)
    params = nets.G.parameters()
    checked = 0
    for name in list(params)[:6]:
        p = params[name]
        idx = tuple(int(rng.integers(0, s)) for s in p.shape)
        num = weight * numerical_partial(penalty, p, idx)
        ana = grads[name][idx]
        assert abs(num - ana) <= 1e-5 * max(1e-3, abs(num) + abs(ana)) + 1e-9, (name, num, ana)
        checked += abs(ana) > 0
    assert checked >= 3
    assert JACOBIAN_EPS == 0.1


def test_term_is_logged_trains_g_only_and_is_off_where_it_cannot_apply():
    images = np.random.default_rng(6).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(_config(ortho_jacobian=1.0, ortho_jacobian_from=1), 3, images)
    first, second = trainer.update(stream.next()), trainer.update(stream.next())
    assert first.ortho == 0.0 and 0.0 < second.ortho <= 1.0 and second.finite()
    trainer.opt_d.zero_grad()
    trainer._ortho_jacobian(4, 1.0)
    assert not any(np.any(v) for m in (trainer.nets.trunk, trainer.nets.q_head, trainer.nets.d_head)
                   for v in m.gradients().values())
    assert any(np.any(v) for v in trainer.nets.G.gradients().values())
    for cfg in (_config(ortho_jacobian=1.0, gan_baseline=True),
                InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=1), batch_size=8,
                              ortho_jacobian=1.0)):
        trainer, stream = build_trainer(cfg, 3, images)
        assert trainer.update(stream.next()).ortho == 0.0
