"""The code-prior term: W2 of Q's continuous readings of real images to Unif(-1, 1), and its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from npgan.testing import numerical_gradient
from npgan.train.terms.code_prior import sliced_uniform_w2, uniform_w2


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
