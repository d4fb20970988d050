"""Checked mode: a NaN or an infinity raises FloatingPointError naming the layer (or loss) it reached."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from npgan import nn
from npgan.nn import NonFiniteError, checked_mode, losses
from npgan.nn.checked import is_checked


def net(rng):
    return nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=rng))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_a_nan_input_is_stopped_before_the_first_layer_and_leaves_batchnorm_alone(rng):
    G = net(rng)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    x[1, 2] = np.nan
    before = G[1].buffers["running_mean"].copy()
    with checked_mode({"G": G}), pytest.raises(FloatingPointError) as info:
        G(x)
    assert isinstance(info.value, NonFiniteError)
    assert str(info.value) == ("non-finite values in the forward input of G.0 (Linear), given to G (Sequential) by its "
                               "caller: 1 NaN and 0 inf among 15 values")
    G.train()
    np.testing.assert_array_equal(G[1].buffers["running_mean"], before)


def test_the_layer_that_produced_the_values_is_named(rng):
    G = net(rng)
    G[0].params["weight"][0, 0] = np.inf
    x = rng.normal(size=(5, 3)).astype(np.float32)
    with checked_mode({"G": G}), pytest.raises(NonFiniteError, match=r"forward input of G.1 \(BatchNorm1d\), "
                                                                      r"produced by G.0 \(Linear\)"):
        G(x)
    G[0].params["weight"][0, 0] = 0.0
    G[3].params["weight"][0, 0] = np.nan
    with checked_mode({"G": G}), pytest.raises(NonFiniteError, match=r"forward output of G.3 \(Linear\)"):
        G(x)


def test_a_non_finite_gradient_is_stopped_in_the_backward_pass(rng):
    G = net(rng)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    with checked_mode({"G": G}):
        y = G(x)
        dy = np.ones_like(y)
        dy[0, 1] = -np.inf
        with pytest.raises(NonFiniteError, match=r"upstream gradient of G.3 \(Linear\), given to G \(Sequential\) "
                                                 r"by its caller: 0 NaN and 1 inf"):
            G.backward(dy)
        G(x)
        G[3].params["weight"][0, 0] = np.inf  # after the forward: the last Linear's backward makes inf
        with pytest.raises(NonFiniteError, match=r"upstream gradient of G.2 \(ReLU\), produced by G.3 \(Linear\)"):
            G.backward(np.ones_like(y))


def test_outside_checked_mode_nothing_is_checked(rng):
    G = net(rng)
    x = np.full((5, 3), np.nan, dtype=np.float32)
    assert np.isnan(G(x)).all()
    assert not is_checked()
    with checked_mode({"G": G}, enabled=False):
        assert np.isnan(G(x)).all()


def test_checked_mode_is_per_thread_and_nests(rng):
    G = net(rng)
    x = np.full((5, 3), np.nan, dtype=np.float32)
    seen = []
    with checked_mode({"G": G}):
        t = threading.Thread(target=lambda: seen.append((is_checked(), np.isnan(G(x)).all())))
        t.start()
        t.join()
        with checked_mode(enabled=False):
            assert not is_checked()
        assert is_checked()
    assert seen == [(False, True)] and not is_checked()


def test_large_finite_values_whose_sum_overflows_pass(rng):
    G = nn.Sequential(nn.ReLU(), nn.ReLU())
    x = np.full((4, 1000), 3e38, dtype=np.float32)  # the sum overflows, the values are finite
    with checked_mode({"G": G}):
        np.testing.assert_array_equal(G(x), x)


@pytest.mark.parametrize("call, message", [
    (lambda a: losses.bce_with_logits(a, 0.0), "`logits` given to bce_with_logits"),
    (lambda a: losses.softmax_cross_entropy(a, np.zeros(a.shape[0], dtype=np.int64)),
     "`logits` given to softmax_cross_entropy"),
    (lambda a: losses.gaussian_nll(np.zeros_like(a), a), "`mean` given to gaussian_nll"),
    (lambda a: losses.gaussian_nll(np.zeros_like(a), np.zeros_like(a), a), "`log_std` given to gaussian_nll"),
    (lambda a: losses.mse(a, np.zeros_like(a)), "`pred` given to mse"),
])
def test_the_losses_check_their_inputs(call, message):
    a = np.zeros((4, 3), dtype=np.float32)
    a[2, 1] = np.nan
    with checked_mode(), pytest.raises(NonFiniteError, match=message):
        call(a)


@pytest.mark.parametrize("logit, target, value, grad", [
    (np.inf, 0.0, np.inf, 1.0), (np.inf, 1.0, 0.0, 0.0), (-np.inf, 0.0, 0.0, 0.0), (-np.inf, 1.0, np.inf, -1.0),
])
def test_bce_at_infinite_logits_is_its_limit_not_nan(logit, target, value, grad):
    v, g = losses.bce_with_logits(np.array([[logit]], dtype=np.float32), np.array([[target]], dtype=np.float32))
    assert v == value and g[0, 0] == grad
