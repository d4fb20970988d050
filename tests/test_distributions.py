"""Latent-code distributions and Q posterior heads (npgan.distributions)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from npgan.distributions import (Categorical, Gaussian,
                                 Uniform, categorical_log_q, gaussian_log_q)
from npgan.info import categorical_entropy, entropy, gaussian_entropy, product_entropy, uniform_entropy
from npgan.testing import numerical_gradient

MC_N = 40_000


def numerical_grad(f, x):
    """Central differences of the scalar ``f(x)`` at a float64 copy of ``x``."""
    x = np.array(x, dtype=np.float64)
    return numerical_gradient(lambda: f(x), x)


def mc_entropy_ok(dist, rng, n=MC_N):
    """-mean(log p(samples)) is within 5 standard errors of the closed-form entropy."""
    x = dist.sample(n, rng)
    if x.dtype.kind == "f":
        x = x.astype(np.float64)
    nll = -dist.log_prob(x).astype(np.float64)
    se = nll.std() / math.sqrt(n)
    return abs(nll.mean() - dist.entropy()) <= 5 * se + 1e-12


# ----------------------------------------------------------------------------- priors


def test_categorical_sampling_and_log_prob():
    rng = np.random.default_rng(0)
    cat = Categorical(10)
    c = cat.sample(MC_N, rng)
    assert c.shape == (MC_N,) and c.dtype == np.int64
    assert c.min() >= 0 and c.max() < 10
    freq = np.bincount(c, minlength=10) / MC_N
    assert np.all(np.abs(freq - 0.1) <= 5 * math.sqrt(0.1 * 0.9 / MC_N))
    oh = cat.one_hot(c[:5])
    assert oh.shape == (5, 10) and oh.dtype == np.float32
    np.testing.assert_array_equal(oh.argmax(axis=1), c[:5])
    np.testing.assert_array_equal(cat.log_prob(c[:5]), cat.log_prob(oh))
    np.testing.assert_allclose(cat.log_prob(c[:5]), math.log(0.1), rtol=1e-6)
    assert cat.entropy() == pytest.approx(categorical_entropy(10), abs=1e-15)
    assert cat.dim == 10


def test_categorical_with_probs():
    rng = np.random.default_rng(1)
    probs = np.array([0.5, 0.0, 0.3, 0.2])
    cat = Categorical(4, probs, dtype=np.float64)
    c = cat.sample(MC_N, rng)
    assert not np.any(c == 1)                        # zero-probability class never drawn
    freq = np.bincount(c, minlength=4) / MC_N
    assert np.all(np.abs(freq - probs) <= 5 * np.sqrt(probs * (1 - probs) / MC_N) + 1e-12)
    assert cat.log_prob(np.array([1]))[0] == -np.inf
    assert cat.entropy() == pytest.approx(entropy(probs), abs=1e-15)
    assert mc_entropy_ok(cat, rng)


@pytest.mark.parametrize("low, high, dim", [(-1.0, 1.0, 1), (-1.0, 1.0, 3), (0.0, 0.25, 2)])
def test_uniform(low, high, dim):
    rng = np.random.default_rng(2)
    u = Uniform(low, high, dim)
    x = u.sample(1000, rng)
    assert x.shape == (1000, dim) and x.dtype == np.float32
    assert np.all((x >= low) & (x <= high))
    assert u.entropy() == pytest.approx(dim * uniform_entropy(low, high), abs=1e-14)
    assert u.entropy() == pytest.approx(product_entropy([uniform_entropy(low, high)] * dim), abs=1e-14)
    lp = u.log_prob(x)
    assert lp.dtype == np.float32
    np.testing.assert_allclose(lp, -u.entropy(), rtol=1e-6)  # constant density inside
    outside = x[:2].copy()
    outside[0, 0] = high + 1
    outside[1, -1] = low - 1
    np.testing.assert_array_equal(u.log_prob(outside), -np.inf)
    np.testing.assert_array_equal(u.score(x), 0.0)
    assert mc_entropy_ok(Uniform(low, high, dim, dtype=np.float64), rng)


@pytest.mark.parametrize("mean, std, dim", [(0.0, 1.0, 1), (1.5, 0.3, 2), (-2.0, 3.0, 4)])
def test_gaussian(mean, std, dim):
    rng = np.random.default_rng(3)
    g = Gaussian(mean, std, dim, dtype=np.float64)
    x = g.sample(MC_N, rng)
    assert x.shape == (MC_N, dim) and x.dtype == np.float64
    assert abs(x.mean() - mean) <= 5 * std / math.sqrt(MC_N * dim)
    np.testing.assert_allclose(g.log_prob(x[:50]), stats.norm(mean, std).logpdf(x[:50]).sum(axis=1),
                               rtol=1e-12, atol=1e-12)
    assert g.entropy() == pytest.approx(gaussian_entropy(np.full(dim, std)), abs=1e-14)
    assert g.entropy() == pytest.approx(dim * stats.norm(0, std).entropy(), abs=1e-12)
    assert mc_entropy_ok(g, rng)
    # score = d log_prob / dx, checked against finite differences
    pt = x[:3].copy()
    num = numerical_grad(lambda v: g.log_prob(v).sum(), pt)
    np.testing.assert_allclose(g.score(pt), num, rtol=1e-6, atol=1e-8)
    assert Gaussian(mean, std, dim).log_prob(x[:2].astype(np.float32)).dtype == np.float32


def test_code_set_entropy():
    codes = [Categorical(10), Uniform(-1, 1), Uniform(-1, 1)]
    assert product_entropy(codes) == pytest.approx(math.log(10) + 2 * math.log(2), abs=1e-15)
    assert product_entropy(codes, base=2) == pytest.approx(math.log2(10) + 2, abs=1e-14)


def test_prior_validation():
    with pytest.raises(ValueError, match="`k` must be >= 1"):
        Categorical(0)
    with pytest.raises(ValueError, match="`probs` must have shape \\(3,\\)"):
        Categorical(3, [0.5, 0.5])
    with pytest.raises(ValueError, match="`probs` must sum to 1"):
        Categorical(2, [0.5, 0.6])
    with pytest.raises(ValueError, match="`high` must be > `low`"):
        Uniform(1.0, -1.0)
    with pytest.raises(ValueError, match="`std` must be > 0"):
        Gaussian(0.0, 0.0)
    with pytest.raises(TypeError, match="`dtype`"):
        Uniform(dtype=np.int32)
    with pytest.raises(TypeError, match="`rng` must be a numpy.random.Generator"):
        Uniform().sample(3, 0)
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        Gaussian().sample(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="`x` must have shape \\(n, 2\\)"):
        Gaussian(dim=2).log_prob(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="`codes` must lie in \\[0, 3\\)"):
        Categorical(3).log_prob(np.array([0, 3]))
    with pytest.raises(ValueError, match="exactly one-hot"):
        Categorical(2).log_prob(np.array([[0.5, 0.5]]))
    with pytest.raises(TypeError, match="`codes` must be integer"):
        Categorical(2).log_prob(np.array([True, False]))


# ----------------------------------------------------------------------------- posterior heads


@given(st.integers(1, 5), st.integers(1, 6), st.data())
def test_categorical_head_values_and_gradient(n, k, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))
    logits = rng.normal(0.0, 3.0, size=(n, k))
    codes = rng.integers(0, k, size=n)
    log_q, dlogits = categorical_log_q(logits, codes)
    assert log_q.shape == (n,) and dlogits.shape == (n, k)
    np.testing.assert_allclose(log_q, special.log_softmax(logits, axis=1)[np.arange(n), codes],
                               rtol=1e-12, atol=1e-12)
    assert np.all(log_q <= 0.0)
    num = numerical_grad(lambda z: categorical_log_q(z, codes)[0].sum(), logits.copy())
    np.testing.assert_allclose(dlogits, num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-12)  # softmax shift invariance
    one_hot = np.eye(k)[codes]
    lq2, d2 = categorical_log_q(logits, one_hot)
    np.testing.assert_array_equal(lq2, log_q)
    np.testing.assert_array_equal(d2, dlogits)


def test_categorical_head_is_stable_and_keeps_float32():
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]], dtype=np.float32)
    log_q, d = categorical_log_q(logits, np.array([0, 2]))
    assert log_q.dtype == np.float32 and d.dtype == np.float32
    assert np.all(np.isfinite(log_q)) and np.all(np.isfinite(d))
    assert log_q[0] == 0.0
    assert log_q[1] == pytest.approx(-math.log(3), rel=1e-6)
    log_q, _ = categorical_log_q(logits, np.array([2, 2]))
    assert log_q[0] == pytest.approx(-2e4, rel=1e-6)


@given(st.integers(1, 4), st.integers(1, 3), st.booleans(), st.data())
def test_gaussian_head_values_and_gradients(n, d, learned, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))
    mean = rng.normal(size=(n, d))
    log_std = rng.normal(0.0, 0.5, size=(n, d)) if learned else None
    codes = rng.uniform(-1, 1, size=(n, d))
    log_q, dmean, dlog_std = gaussian_log_q(mean, log_std, codes)
    scale = np.exp(log_std) if learned else 1.0
    np.testing.assert_allclose(log_q, stats.norm(mean, scale).logpdf(codes).sum(axis=1),
                               rtol=1e-12, atol=1e-12)
    num_mean = numerical_grad(lambda m: gaussian_log_q(m, log_std, codes)[0].sum(), mean.copy())
    np.testing.assert_allclose(dmean, num_mean, rtol=1e-6, atol=1e-8)
    if learned:
        num_ls = numerical_grad(lambda s: gaussian_log_q(mean, s, codes)[0].sum(), log_std.copy())
        np.testing.assert_allclose(dlog_std, num_ls, rtol=1e-6, atol=1e-8)
    else:
        assert dlog_std is None
        lq0, dm0, _ = gaussian_log_q(mean, np.zeros_like(mean), codes)
        np.testing.assert_allclose(log_q, lq0, rtol=1e-14)        # None means std 1
        np.testing.assert_allclose(dmean, dm0, rtol=1e-14)


def test_gaussian_head_keeps_float32():
    m = np.zeros((2, 3), dtype=np.float32)
    c = np.ones((2, 3), dtype=np.float32)
    for out in gaussian_log_q(m, m.copy(), c):
        assert out.dtype == np.float32
    log_q, dm, _ = gaussian_log_q(m, None, c)
    assert log_q.dtype == np.float32 and dm.dtype == np.float32


def test_true_posterior_head_maximises_expected_log_q():
    # E_{c ~ p}[log Q(c)] is maximised by Q = p (Gibbs): the head trained on log Q learns P(c|x).
    p = np.array([0.1, 0.6, 0.3])
    codes = np.repeat(np.arange(3), [10, 60, 30])
    best, _ = categorical_log_q(np.tile(np.log(p), (100, 1)), codes)
    other, _ = categorical_log_q(np.tile(np.log([0.2, 0.5, 0.3]), (100, 1)), codes)
    assert best.mean() > other.mean()
    assert -best.mean() == pytest.approx(entropy(p), abs=1e-12)


def test_head_validation():
    logits = np.zeros((2, 3))
    with pytest.raises(TypeError, match="`logits` must be a numpy.ndarray"):
        categorical_log_q([[0.0, 0.0]], np.array([0]))
    with pytest.raises(ValueError, match="`logits` must be 2-dimensional"):
        categorical_log_q(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="`codes` must have 2 rows"):
        categorical_log_q(logits, np.array([0]))
    with pytest.raises(ValueError, match="`codes` must lie in \\[0, 3\\)"):
        categorical_log_q(logits, np.array([0, -1]))
    with pytest.raises(ValueError, match="one-hot `codes` must have shape \\(N, 3\\)"):
        categorical_log_q(logits, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="`logits` must be finite"):
        categorical_log_q(np.array([[np.nan, 0.0, 0.0]]), np.array([0]))
    m = np.zeros((2, 2))
    with pytest.raises(ValueError, match="`codes` must have the shape of `mean`"):
        gaussian_log_q(m, None, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="`codes` must have the dtype of `mean`"):
        gaussian_log_q(m, None, np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="`log_std` must have the shape of `mean`"):
        gaussian_log_q(m, np.zeros((2, 1)), m)
    with pytest.raises(TypeError, match="`log_std` must have the dtype of `mean`"):
        gaussian_log_q(m, np.zeros((2, 2), dtype=np.float32), m)
    with pytest.raises(ValueError, match="`log_std` must be finite"):
        gaussian_log_q(m, np.full((2, 2), np.inf), m)
