"""Tests of the numba Adam kernel (npgan.kernels.adam) against the NumPy reference and npgan.optim.Adam."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npgan import nn, optim
from npgan.kernels import reference as R
from npgan.kernels.adam import adam_update
from npgan.optim import Adam


def _constants(lr, beta1, beta2, t):
    return lr / (1.0 - beta1 ** t), 1.0 / math.sqrt(1.0 - beta2 ** t)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@given(n=st.integers(1, 300), steps=st.integers(1, 6), seed=st.integers(0, 2**31 - 1),
       beta1=st.sampled_from([0.0, 0.5, 0.9]), beta2=st.sampled_from([0.0, 0.99, 0.999]),
       lr=st.sampled_from([1e-4, 2e-4, 0.1]))
def test_kernel_matches_reference_over_several_steps(dtype, rtol, n, steps, seed, beta1, beta2, lr):
    rng = np.random.default_rng(seed)
    eps = 1e-8
    p = rng.standard_normal(n).astype(dtype)
    m = np.zeros(n, dtype)
    v = np.zeros(n, dtype)
    rp, rm, rv = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for t in range(1, steps + 1):
        # Gradients of order 1, not tiny: eps is then negligible against sqrt(v_hat) in float32
        # too, so the comparison tests the update formula and not eps's float32 rounding.
        g = (rng.standard_normal(n) + np.sign(rng.standard_normal(n))).astype(dtype)
        adam_update(p, g, m, v, beta1, beta2, eps, *_constants(lr, beta1, beta2, t))
        rp, rm, rv = R.adam_step(rp, g, rm, rv, lr, beta1, beta2, eps, t)
        assert p.dtype == m.dtype == v.dtype == dtype
    # Each update moves p by at most about lr; compare the accumulated moves, relative to lr.
    np.testing.assert_allclose(m, rm, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(v, rv, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(p, rp, rtol=rtol, atol=rtol * lr * steps)


def test_kernel_updates_in_place_and_leaves_gradient_alone():
    rng = np.random.default_rng(0)
    p, g = rng.standard_normal(50), rng.standard_normal(50)
    m, v = np.zeros(50), np.zeros(50)
    p0, g0 = p.copy(), g.copy()
    adam_update(p, g, m, v, 0.9, 0.999, 1e-8, *_constants(1e-3, 0.9, 0.999, 1))
    np.testing.assert_array_equal(g, g0)
    # Step 1 of Adam: m_hat = g, v_hat = g², so every coordinate moves by lr * g / (|g| + eps).
    np.testing.assert_allclose(p0 - p, 1e-3 * g0 / (np.abs(g0) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(m, 0.1 * g0, rtol=1e-14)   # (1 - 0.9 is not exactly 0.1)
    np.testing.assert_allclose(v, 0.001 * g0 ** 2, rtol=1e-14)


def test_kernel_propagates_nan():
    # Training detects divergence through NaN losses and parameters: the kernel must not hide a NaN.
    p, g = np.ones(4, np.float32), np.array([0.5, np.nan, -1.0, np.inf], np.float32)
    m, v = np.zeros(4, np.float32), np.zeros(4, np.float32)
    adam_update(p, g, m, v, 0.9, 0.999, 1e-8, *_constants(1e-3, 0.9, 0.999, 1))
    assert np.isfinite(p[[0, 2]]).all()
    assert np.isnan(p[1]) and np.isnan(m[1]) and np.isnan(v[1])
    assert not np.isfinite(p[3])


def _net(dtype):
    rng = np.random.default_rng(3)
    return nn.Sequential(nn.Linear(7, 5, rng=rng, dtype=dtype), nn.BatchNorm1d(5, dtype=dtype),
                         nn.Linear(5, 3, rng=rng, dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_kernel_path_is_bit_identical_to_numpy_path(dtype, monkeypatch):
    """Adam.step through the kernel and through the NumPy fallback give the same bits."""
    nets = [_net(dtype), _net(dtype)]
    opts = [Adam(nets[0], lr=2e-3, betas=(0.5, 0.999)), Adam(nets[1], lr=2e-3, betas=(0.5, 0.999))]
    rng = np.random.default_rng(1)
    for _ in range(5):
        grads = [rng.standard_normal(g.shape).astype(dtype) * 10.0 ** rng.integers(-6, 2)
                 for g in nets[0].gradients().values()]
        for k, (net, opt) in enumerate(zip(nets, opts)):
            opt.zero_grad()
            for g, new in zip(net.gradients().values(), grads):
                g += new
            if k == 1:
                with monkeypatch.context() as mp:
                    mp.setattr(optim, "_flat_views", lambda *a: None)   # force the NumPy path
                    opt.step()
            else:
                opt.step()
    for key, a in nets[0].parameters().items():
        b = nets[1].parameters()[key]
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b, err_msg=key)
    for key, a in opts[0].state_dict().items():
        np.testing.assert_array_equal(a, opts[1].state_dict()[key], err_msg=key)


def test_flat_views_only_for_contiguous_float_arrays_of_one_dtype():
    a = np.zeros((3, 4), np.float32)
    views = optim._flat_views(a, a.copy())
    assert views is not None and views[0].shape == (12,)
    assert np.shares_memory(views[0], a)                                 # a view, not a copy
    assert optim._flat_views(a[:, ::2], a[:, ::2].copy()) is None       # strided: a copy would be lost
    assert optim._flat_views(a, a.astype(np.float64)) is None           # mixed dtypes
    assert optim._flat_views(a.astype(np.float16)) is None


def test_optimizer_state_dict_format_unchanged():
    """Checkpoints written before the kernel still load: same keys, shapes and dtypes."""
    net = _net(np.float32)
    opt = Adam(net, lr=1e-3)
    for g in net.gradients().values():
        g += 1.0
    opt.step()
    state = opt.state_dict()
    n = len(opt.params)
    assert set(state) == {"step", "lr", "beta1", "beta2", "eps",
                          *(f"m.{i}" for i in range(n)), *(f"v.{i}" for i in range(n))}
    for i, p in enumerate(opt.params):
        assert state[f"m.{i}"].shape == p.shape and state[f"m.{i}"].dtype == p.dtype
    fresh = Adam(_net(np.float32), lr=1e-3)
    fresh.load_state_dict(state)
    assert fresh.step_count == 1
    np.testing.assert_array_equal(fresh.state["v"][0], opt.state["v"][0])
