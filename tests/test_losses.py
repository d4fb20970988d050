"""Tests of npgan.nn.losses: values against direct formulas, gradients against central differences,
stability for extreme logits, dtype preservation and input validation."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npgan.nn.losses import bce_with_logits, gaussian_nll, mse, softmax_cross_entropy
from npgan.testing import numerical_gradient, rel_error

TOL = 1e-6
seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def _num_grad(loss_of, x):
    return numerical_gradient(lambda: loss_of(x), x)


# ---------------------------------------------------------------------- bce_with_logits
@given(seed=seeds, shape=shapes, scalar_target=st.booleans())
def test_bce_value_and_gradient(seed, shape, scalar_target):
    rng = np.random.default_rng(seed)
    x = 3.0 * rng.standard_normal(shape)
    t = float(rng.uniform()) if scalar_target else rng.uniform(size=shape)
    value, grad = bce_with_logits(x, t)
    p = 1.0 / (1.0 + np.exp(-x))
    naive = -np.mean(t * np.log(p) + (1 - t) * np.log1p(-p))
    assert value == pytest.approx(naive, rel=1e-10, abs=1e-12)
    assert isinstance(value, float) and grad.shape == x.shape and grad.dtype == x.dtype
    assert rel_error(grad, _num_grad(lambda z: bce_with_logits(z, t)[0], x)) < TOL


def test_bce_is_stable_for_huge_logits():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    value, grad = bce_with_logits(x, np.array([0.0, 0.0, 1.0, 1.0, 1.0]))
    # Each term: log1p(e^-1000), log1p(e^-50), log 2, log1p(e^-50), log1p(e^-1000).
    assert value == pytest.approx((math.log(2.0) + 2 * math.exp(-50.0)) / 5, rel=1e-12)
    assert np.all(np.isfinite(grad))
    value, grad = bce_with_logits(x, 0.0)
    assert value == pytest.approx((1000.0 + 50.0 + math.log(2.0)) / 5, rel=1e-12)
    np.testing.assert_allclose(grad, np.array([0.0, math.exp(-50), 0.5, 1.0, 1.0]) / 5, rtol=1e-12, atol=0)


# ---------------------------------------------------------------------- softmax_cross_entropy
def _log_softmax_direct(x):
    return x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))


@given(seed=seeds, n=st.integers(1, 4), k=st.integers(1, 5), one_hot=st.booleans())
def test_softmax_ce_integer_labels(seed, n, k, one_hot):
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.standard_normal((n, k))
    labels = rng.integers(0, k, size=n)
    target = np.eye(k)[labels] if one_hot else labels
    value, grad = softmax_cross_entropy(x, target)
    assert value == pytest.approx(-np.mean(_log_softmax_direct(x)[np.arange(n), labels]), rel=1e-10, abs=1e-12)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    assert rel_error(grad, _num_grad(lambda z: softmax_cross_entropy(z, target)[0], x)) < TOL


@given(seed=seeds, n=st.integers(1, 4), k=st.integers(2, 5))
def test_softmax_ce_soft_labels(seed, n, k):
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.standard_normal((n, k))
    t = rng.dirichlet(np.ones(k), size=n)
    t[0, 0] = 0.0                                # exercise the 0·log p = 0 path
    t[0] /= t[0].sum()
    value, grad = softmax_cross_entropy(x, t)
    assert value == pytest.approx(-np.sum(t * _log_softmax_direct(x)) / n, rel=1e-10)
    assert rel_error(grad, _num_grad(lambda z: softmax_cross_entropy(z, t)[0], x)) < TOL


def test_softmax_ce_is_stable_for_huge_logits():
    x = np.array([[1000.0, 0.0, -1000.0]])
    value, grad = softmax_cross_entropy(x, np.array([0]))
    assert value == 0.0 and np.all(np.isfinite(grad))
    value, _ = softmax_cross_entropy(x, np.array([2]))
    assert value == pytest.approx(2000.0)


# ---------------------------------------------------------------------- gaussian_nll
@given(seed=seeds, n=st.integers(1, 4), d=st.integers(1, 3), fixed_std=st.booleans())
def test_gaussian_nll_value_and_gradients(seed, n, d, fixed_std):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    mean = rng.standard_normal((n, d))
    log_std = None if fixed_std else 0.5 * rng.standard_normal((n, d))
    value, dmean, dlog_std = gaussian_nll(x, mean, log_std)
    ls = np.zeros((n, d)) if fixed_std else log_std
    direct = np.sum(0.5 * np.log(2 * np.pi) + ls + 0.5 * ((x - mean) / np.exp(ls)) ** 2) / n
    assert value == pytest.approx(direct, rel=1e-12)
    assert rel_error(dmean, _num_grad(lambda m: gaussian_nll(x, m, log_std)[0], mean)) < TOL
    if fixed_std:
        assert dlog_std is None
    else:
        assert rel_error(dlog_std, _num_grad(lambda s: gaussian_nll(x, mean, s)[0], log_std)) < TOL


def test_gaussian_nll_matches_scipy_logpdf():
    from scipy.stats import norm
    x, mean, log_std = np.array([[0.3, -1.0]]), np.array([[0.0, 0.5]]), np.array([[0.2, -0.4]])
    expected = -np.sum(norm.logpdf(x, loc=mean, scale=np.exp(log_std)))
    assert gaussian_nll(x, mean, log_std)[0] == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------- mse
@given(seed=seeds, shape=shapes)
def test_mse_value_and_gradient(seed, shape):
    rng = np.random.default_rng(seed)
    p, t = rng.standard_normal(shape), rng.standard_normal(shape)
    value, grad = mse(p, t)
    assert value == pytest.approx(np.mean((p - t) ** 2), rel=1e-12)
    assert rel_error(grad, _num_grad(lambda z: mse(z, t)[0], p)) < TOL


# ---------------------------------------------------------------------- dtypes
def test_losses_keep_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = rng.standard_normal((4, 3)).astype(np.float32)
    s = (0.1 * rng.standard_normal((4, 3))).astype(np.float32)
    assert bce_with_logits(x, 1.0)[1].dtype == np.float32
    assert bce_with_logits(x, rng.uniform(size=(4, 3)))[1].dtype == np.float32   # float64 targets
    assert softmax_cross_entropy(x, np.array([0, 1, 2, 0]))[1].dtype == np.float32
    assert softmax_cross_entropy(x, np.eye(3)[[0, 1, 2, 0]])[1].dtype == np.float32
    _, dm, ds = gaussian_nll(x, y, s)
    assert dm.dtype == np.float32 and ds.dtype == np.float32
    assert gaussian_nll(x, y)[1].dtype == np.float32
    value, grad = mse(x, y)
    assert grad.dtype == np.float32 and isinstance(value, float)


# ---------------------------------------------------------------------- validation
X = np.zeros((2, 3))


@pytest.mark.parametrize("call, exc, word", [
    (lambda: bce_with_logits([0.0], 1.0), TypeError, "logits"),
    (lambda: bce_with_logits(X.astype(int), 1.0), TypeError, "logits"),
    (lambda: bce_with_logits(X, np.zeros((3, 2))), ValueError, "targets"),
    (lambda: bce_with_logits(X, 1.5), ValueError, "targets"),
    (lambda: bce_with_logits(X, np.full((2, 3), -0.1)), ValueError, "targets"),
    (lambda: bce_with_logits(np.zeros(0), 1.0), ValueError, "logits"),
    (lambda: softmax_cross_entropy(np.zeros(3), np.array([0])), ValueError, "logits"),
    (lambda: softmax_cross_entropy(X, np.array([0, 3])), ValueError, "labels"),
    (lambda: softmax_cross_entropy(X, np.array([0, -1])), ValueError, "labels"),
    (lambda: softmax_cross_entropy(X, np.array([0, 1, 2])), ValueError, "labels"),
    (lambda: softmax_cross_entropy(X, np.full((2, 3), 0.5)), ValueError, "labels"),
    (lambda: softmax_cross_entropy(X, np.zeros((2, 4))), ValueError, "labels"),
    (lambda: softmax_cross_entropy(X, np.array([True, False])), TypeError, "labels"),
    (lambda: softmax_cross_entropy(X, [0, 1]), TypeError, "labels"),
    (lambda: gaussian_nll(X, np.zeros((2, 2))), ValueError, "mean"),
    (lambda: gaussian_nll(X, X.astype(np.float32)), TypeError, "mean"),
    (lambda: gaussian_nll(X, X, np.zeros(3)), ValueError, "log_std"),
    (lambda: gaussian_nll(X, X, X.astype(np.float32)), TypeError, "log_std"),
    (lambda: mse(X, np.zeros(6)), ValueError, "target"),
    (lambda: mse(X, X.astype(int)), TypeError, "target"),
])
def test_loss_validation(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
