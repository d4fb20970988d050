"""The code-prior term: W2 of Q's continuous readings of real images to Unif(-1, 1), and its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.testing import numerical_gradient, numerical_partial
from npgan.train import InfoGANTrainer, build_trainer
from npgan.train.prior_match import sliced_uniform_w2, uniform_w2


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 10), d=st.integers(1, 3),
       scale=st.floats(0.1, 3.0))
@settings(max_examples=40)
def test_value_and_gradient_float64(seed, n, d, scale):
    rng = np.random.default_rng(seed)
    v = rng.normal(0, scale, (n, d))
    w2, g = uniform_w2(v)
    targets = -1 + (2 * np.arange(n) + 1) / n
    assert w2 == pytest.approx(sum(np.mean((np.sort(v[:, j]) - targets) ** 2) for j in range(d)), rel=1e-12)
    num = numerical_gradient(lambda: uniform_w2(v)[0], v)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


def test_zero_at_the_quantiles_whatever_the_order_and_positive_elsewhere():
    n = 16
    q = -1 + (2 * np.arange(n) + 1) / n
    perm = np.random.default_rng(0).permutation(n)
    w2, g = uniform_w2(q[perm][:, None])
    assert w2 == 0.0 and not np.any(g)
    # a peaked sample (sum of two uniforms, the mixture the term is for) is further than a uniform one
    rng = np.random.default_rng(1)
    box = rng.uniform(-1, 1, (4000, 1))
    tri = (rng.uniform(-1, 1, (4000, 1)) + rng.uniform(-1, 1, (4000, 1))) / np.sqrt(2)
    assert uniform_w2(box)[0] < 1e-3 < uniform_w2(tri)[0]


def test_large_sample_matches_scipys_w1_ordering_and_other_supports():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 4, (5000, 1))
    assert uniform_w2(x, low=0.0, high=4.0)[0] < 1e-3
    # shifted by 0.5: W2^2 = 0.25 exactly in the limit (W1 = 0.5, as scipy says)
    w2 = uniform_w2(x + 0.5, low=0.0, high=4.0)[0]
    assert w2 == pytest.approx(0.25, abs=0.02)
    assert wasserstein_distance(x[:, 0] + 0.5, x[:, 0]) == pytest.approx(0.5, abs=1e-9)


def test_dtype_kept_and_bad_input_rejected():
    assert uniform_w2(np.zeros((4, 2), np.float32))[1].dtype == np.float32
    with pytest.raises(ValueError, match="values"):
        uniform_w2(np.zeros(4))
    with pytest.raises(ValueError, match="high"):
        uniform_w2(np.zeros((4, 1)), low=1.0, high=1.0)
    with pytest.raises(TypeError, match="values"):
        uniform_w2([[0.0]])


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 8), d=st.integers(2, 3), n_angles=st.sampled_from([2, 4, 8]))
@settings(max_examples=30)
def test_sliced_value_and_gradient_float64(seed, n, d, n_angles):
    rng = np.random.default_rng(seed)
    v = rng.normal(0, 1, (n, d))
    w2, g = sliced_uniform_w2(v, n_angles=n_angles)
    assert w2 >= 0.0
    num = numerical_gradient(lambda: sliced_uniform_w2(v, n_angles=n_angles)[0], v)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_sliced_sees_the_mixture_that_the_marginals_miss():
    """Two independent uniforms mixed by a 30 degree rotation, then each reading equalised to a
    uniform marginal: the marginal distance is 0, the sliced one is not, and a true uniform square
    is close to 0 under both."""
    rng = np.random.default_rng(0)
    n = 4000
    box = rng.uniform(-1, 1, (n, 2))
    a = np.radians(30)
    mixed = box @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    ranks = np.argsort(np.argsort(mixed, axis=0), axis=0)
    equalised = (2.0 * ranks + 1.0) / n - 1.0           # exact uniform quantiles per column
    assert uniform_w2(equalised)[0] < 1e-12
    assert sliced_uniform_w2(box)[0] < 5e-4 < 2e-3 < sliced_uniform_w2(equalised)[0]
    # one column: the marginal distance itself
    assert sliced_uniform_w2(box[:, :1])[0] == uniform_w2(box[:, :1])[0]


def test_sliced_bad_input_rejected():
    with pytest.raises(ValueError, match="n_angles"):
        sliced_uniform_w2(np.zeros((4, 2)), n_angles=3)
    with pytest.raises(ValueError, match="n_angles"):
        sliced_uniform_w2(np.zeros((4, 2)), n_angles=0)
    with pytest.raises(ValueError, match="high"):
        sliced_uniform_w2(np.zeros((4, 2)), low=2.0, high=1.0)


def _config(**kw):
    return InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=2), batch_size=8, **kw)


def test_d_step_term_gradient_matches_finite_differences_float64():
    """The D step leaves weight * dW2/dtheta (plus the other terms) in the trunk and Q head: the
    difference between weight w and weight 0 must be w * the finite-difference gradient of W2."""
    weight = 0.8
    images = np.random.default_rng(3).uniform(0, 1, (8, 1, 28, 28))
    grads = {}
    for w in (0.0, weight):
        nets = InfoGANNets(_config(code_prior=w), np.random.default_rng(0), dtype=np.float64)
        trainer = InfoGANTrainer(nets, np.random.default_rng(1))
        trainer.opt_d.step = lambda: None  # keep the weights: compare gradients only
        trainer.d_step(images)
        grads[w] = {**{"trunk." + k: v.copy() for k, v in nets.trunk.gradients().items()},
                    **{"q." + k: v.copy() for k, v in nets.q_head.gradients().items()}}
        assert not np.allclose(grads[w]["q.3.weight"], 0)

    def w2_now():
        # the real batch in training mode, as in the D step (BN batch statistics)
        nets.train()
        q = nets.q_head(nets.trunk(images))
        return sliced_uniform_w2(q[:, 3:5])[0]

    rng = np.random.default_rng(4)
    for mod, prefix, names in ((nets.trunk, "trunk.", ["0.weight", "6.weight"]),
                               (nets.q_head, "q.", ["0.weight", "3.weight", "3.bias"])):
        for name in names:
            p = mod.parameters()[name]
            for _ in range(2):
                idx = tuple(int(rng.integers(0, s)) for s in p.shape)
                if prefix == "q." and name.startswith("3"):
                    idx = (3 + int(rng.integers(0, 2)),) + idx[1:]  # a row feeding a continuous mean
                # eps 1e-6, small: leaky-ReLU kinks lie within 1e-5 of some weights
                num = weight * numerical_partial(w2_now, p, idx, eps=1e-6)
                ana = grads[weight][prefix + name][idx] - grads[0.0][prefix + name][idx]
                assert abs(num - ana) <= 1e-5 * max(1e-3, abs(num) + abs(ana)) + 1e-9, (prefix + name, num, ana)


def test_term_is_logged_off_before_its_start_and_in_the_baseline():
    images = np.random.default_rng(6).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(_config(code_prior=1.0, code_prior_from=1), 3, images)
    first, second = trainer.update(stream.next()), trainer.update(stream.next())
    assert first.prior_w2 == 0.0 and second.prior_w2 > 0.0 and second.finite()
    assert "prior_w2" in second.as_dict()
    trainer, stream = build_trainer(_config(code_prior=1.0, gan_baseline=True), 3, images)
    assert trainer.update(stream.next()).prior_w2 == 0.0
    # without continuous codes there is nothing to match: off, not an error
    cfg = InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=0), batch_size=8,
                        code_prior=1.0)
    trainer, stream = build_trainer(cfg, 3, images)
    assert trainer.update(stream.next()).prior_w2 == 0.0
