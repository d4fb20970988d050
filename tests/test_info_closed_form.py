"""Closed-form entropies/divergences against definitions, quadrature and each other."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from npgan.info import (categorical_entropy, entropy, gaussian_entropy, gaussian_kl, joint_entropy,
                        product_entropy, uniform_entropy)
from npgan.info.strategies import probability_vectors

TOL = 1e-10
means = st.floats(-5.0, 5.0)
stds = st.floats(0.1, 5.0)


@pytest.mark.parametrize("k", [1, 2, 5, 10, 64])
def test_categorical_entropy_is_log_k(k):
    assert categorical_entropy(k) == pytest.approx(math.log(k), abs=1e-15)
    assert categorical_entropy(k) == pytest.approx(entropy(np.full(k, 1 / k)), abs=TOL)
    assert categorical_entropy(k, base=2) == pytest.approx(math.log2(k), abs=1e-14)


@given(probability_vectors(1, 8))
def test_categorical_entropy_with_probs(p):
    assert categorical_entropy(probs=p) == entropy(p)


@given(means, stds)
def test_uniform_entropy(a, width):
    b = a + width
    assert uniform_entropy(a, b) == pytest.approx(math.log(width), abs=TOL)
    assert uniform_entropy(a, b) == pytest.approx(stats.uniform(a, width).entropy(), abs=TOL)
    # -E[log p] with p = 1/(b - a) on [a, b]
    h, _ = integrate.quad(lambda x: -(1 / width) * math.log(1 / width), a, b)
    assert uniform_entropy(a, b) == pytest.approx(h, abs=1e-9)


def test_uniform_entropy_elementwise_and_sign():
    np.testing.assert_allclose(uniform_entropy([-1.0, 0.0], [1.0, 0.5]), [math.log(2), math.log(0.5)])
    assert uniform_entropy(0.0, 1.0) == 0.0
    assert uniform_entropy(0.0, 0.5) < 0  # differential entropies can be negative


@given(stds)
def test_gaussian_entropy_univariate(s):
    h = gaussian_entropy(s)
    assert h == pytest.approx(0.5 * math.log(2 * math.pi * math.e * s * s), abs=TOL)
    assert h == pytest.approx(stats.norm(0, s).entropy(), abs=TOL)
    dens = stats.norm(0, s)
    quad, _ = integrate.quad(lambda x: -dens.pdf(x) * dens.logpdf(x), -12 * s, 12 * s)
    assert h == pytest.approx(quad, abs=1e-8)


@given(st.lists(stds, min_size=1, max_size=5))
def test_gaussian_entropy_diagonal_sums_dimensions(std):
    std = np.array(std)
    h = gaussian_entropy(std)
    assert h == pytest.approx(sum(gaussian_entropy(s) for s in std), abs=TOL)
    cov = np.diag(std ** 2)
    assert h == pytest.approx(stats.multivariate_normal(np.zeros(std.size), cov).entropy(), abs=1e-9)
    batch = gaussian_entropy(np.stack([std, 2 * std]))
    assert batch.shape == (2,)
    assert batch[1] - batch[0] == pytest.approx(std.size * math.log(2), abs=TOL)


@given(means, stds, means, stds)
def test_gaussian_kl_univariate(mp, sp, mq, sq):
    kl = gaussian_kl(mp, sp, mq, sq)
    assert kl >= 0.0
    p, q = stats.norm(mp, sp), stats.norm(mq, sq)
    lo, hi = mp - 12 * sp, mp + 12 * sp
    quad, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), lo, hi, limit=200)
    assert kl == pytest.approx(quad, rel=1e-7, abs=1e-8)
    # KL = CE - H with the Gaussian cross-entropy written out
    ce = 0.5 * math.log(2 * math.pi * sq * sq) + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq)
    assert kl == pytest.approx(ce - gaussian_entropy(sp), abs=TOL)


@given(st.lists(st.tuples(means, stds, means, stds), min_size=1, max_size=4))
def test_gaussian_kl_diagonal_and_identity(params):
    mp, sp, mq, sq = (np.array(v) for v in zip(*params))
    kl = gaussian_kl(mp, sp, mq, sq)
    assert kl == pytest.approx(sum(gaussian_kl(*t) for t in params), abs=TOL)
    assert gaussian_kl(mp, sp, mp, sp) == 0.0


def test_gaussian_kl_broadcasts_and_keeps_float32():
    mean = np.zeros((3, 2), dtype=np.float32)
    std = np.ones((3, 2), dtype=np.float32)
    kl = gaussian_kl(mean, std, 0.0, 1.0)   # KL of each row to the standard normal
    assert kl.shape == (3,) and kl.dtype == np.float32
    np.testing.assert_array_equal(kl, 0.0)
    assert gaussian_entropy(std).dtype == np.float32


@given(st.lists(probability_vectors(1, 4), min_size=1, max_size=3))
def test_product_entropy_is_joint_entropy_of_independent_codes(parts):
    joint = parts[0]
    for p in parts[1:]:
        joint = np.multiply.outer(joint, p)
    h = product_entropy([entropy(p) for p in parts])
    assert h == pytest.approx(joint_entropy(joint), abs=TOL)


def test_product_entropy_of_an_infogan_code_set():
    # MNIST InfoGAN: one Cat(10) and two Unif(-1, 1) codes
    h = product_entropy([categorical_entropy(10), uniform_entropy(-1, 1), uniform_entropy(-1, 1)])
    assert h == pytest.approx(math.log(10) + 2 * math.log(2), abs=1e-15)
    assert product_entropy([]) == 0.0
    assert product_entropy([1.0, 2.0], base=2) == pytest.approx(3 / math.log(2), abs=1e-15)
