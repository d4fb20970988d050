"""Property tests: every kernel agrees with its slow NumPy reference.

The references in :mod:`npgan.kernels.reference` are themselves grounded by
hand-computed examples and by central differences (the ``TestReference*``
tests), so agreement with them means agreement with the definitions.

Tolerances: float64 ``max|a - e| <= 1e-10 * max(1, max|e|)``; float32 inputs
are compared with the float64 reference on the same (float32) values, with
normwise relative error ``max|a - e| / max|e| <= 1e-4``.
"""

from __future__ import annotations

import importlib

from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import npgan.kernels as K
from npgan.kernels import reference as R
from npgan.testing import numerical_gradient

conv_module = importlib.import_module("npgan.kernels.conv")
im2col_module = importlib.import_module("npgan.kernels.im2col")
layout_module = importlib.import_module("npgan.kernels.layout")

DTYPES = [np.float64, np.float32]
#: Memory layouts of the arrays handed to the conv kernels (npgan.kernels.layout).
LAYOUTS = ["nchw", "batch_inner"]


def in_layout(a, layout):
    """``a`` (N, ...) with C-contiguous ("nchw") or batch-inner memory, same values."""
    return np.ascontiguousarray(a) if layout == "nchw" else layout_module.as_batch_inner(a)


def assert_close(actual, expected, dtype, what=""):
    """Max-abs (float64) or normwise-relative (float32) comparison with the reference."""
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == np.dtype(dtype), f"{what}: dtype {actual.dtype}, want {np.dtype(dtype)}"
    err = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    scale = float(np.max(np.abs(expected), initial=0.0))
    if np.dtype(dtype) == np.float64:
        assert err <= 1e-10 * max(1.0, scale), f"{what}: max abs error {err:.3g} (scale {scale:.3g})"
    else:
        assert err <= 1e-4 * (scale if scale > 0 else 1.0), \
            f"{what}: relative error {err / max(scale, 1e-300):.3g} (scale {scale:.3g})"


def randn(rng, shape, dtype, scale=1.0, loc=0.0):
    return (loc + scale * rng.standard_normal(shape)).astype(dtype)


# ----------------------------------------------------------------- strategies

@st.composite
def conv_geometry(draw):
    """(N, C_in, C_out, H, W, kh, kw, stride, padding) with the kernel fitting the padded input."""
    n = draw(st.integers(1, 3))
    c_in = draw(st.integers(1, 4))
    c_out = draw(st.integers(1, 4))
    h = draw(st.integers(1, 9))
    w = draw(st.integers(1, 9))
    kh = draw(st.integers(1, 5))
    kw = draw(st.integers(1, 5))
    stride = draw(st.sampled_from([1, 2]))
    padding = draw(st.sampled_from([0, 1, 2]))
    assume(kh <= h + 2 * padding and kw <= w + 2 * padding)
    return n, c_in, c_out, h, w, kh, kw, stride, padding


@st.composite
def conv_transpose_geometry(draw):
    """(N, C_in, C_out, H, W, kh, kw, stride, padding, output_padding), output size >= 1."""
    n = draw(st.integers(1, 3))
    c_in = draw(st.integers(1, 4))
    c_out = draw(st.integers(1, 4))
    h = draw(st.integers(1, 6))
    w = draw(st.integers(1, 6))
    kh = draw(st.integers(1, 5))
    kw = draw(st.integers(1, 5))
    stride = draw(st.sampled_from([1, 2]))
    padding = draw(st.sampled_from([0, 1, 2]))
    output_padding = draw(st.integers(0, stride - 1))
    assume(K.conv_transpose_output_size(h, kh, stride, padding, output_padding) >= 1)
    assume(K.conv_transpose_output_size(w, kw, stride, padding, output_padding) >= 1)
    return n, c_in, c_out, h, w, kh, kw, stride, padding, output_padding


seeds = st.integers(0, 2**32 - 1)


# ------------------------------------------------------ the references, grounded

class TestReferenceGrounding:
    """The ground truth is itself checked against hand computation and finite differences."""

    X33 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)     # [[1,2,3],[4,5,6],[7,8,9]]

    def test_conv_hand_example_stride1(self):
        w = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(1, 1, 2, 2)
        y = R.conv2d_forward(self.X33, w, None, 1, 0)
        # y[i, j] = x[i, j] - x[i+1, j+1] = -4 everywhere (cross-correlation, no flip).
        np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), -4.0))

    def test_conv_hand_example_stride2_padding1_bias(self):
        w = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
        y = R.conv2d_forward(self.X33, w, np.array([0.5]), 2, 1)
        # Windows of the zero-padded 5x5 image at rows/cols {0,1} and {2,3}:
        # [[0,0],[0,1]] -> 4; [[0,0],[2,3]] -> 6+12=18; [[0,4],[0,7]] -> 8+28=36;
        # [[5,6],[8,9]] -> 5+12+24+36=77; plus the bias 0.5.
        np.testing.assert_array_equal(y[0, 0], np.array([[4.0, 18.0], [36.0, 77.0]]) + 0.5)

    def test_conv_transpose_hand_examples(self):
        x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
        w = np.ones((1, 1, 2, 2))
        # Stride 2: each input value is stamped onto its own 2x2 block.
        y2 = R.conv_transpose2d_forward(x, w, None, 2, 0, 0)
        np.testing.assert_array_equal(
            y2[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
        # Stride 1: overlapping stamps add up.
        y1 = R.conv_transpose2d_forward(x, w, None, 1, 0, 0)
        np.testing.assert_array_equal(y1[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])
        # padding crops, output_padding extends at the bottom/right: 4x4 -> [1:4, 1:4] ... + 1 row/col.
        y3 = R.conv_transpose2d_forward(x, w, None, 2, 1, 1)
        np.testing.assert_array_equal(y3[0, 0], [[1, 2, 2], [3, 4, 4], [3, 4, 4]])

    def test_im2col_hand_example(self):
        x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
        cols = R.im2col(x, 2, 2, 1, 0)
        # Rows are kernel offsets (0,0),(0,1),(1,0),(1,1); columns output positions.
        np.testing.assert_array_equal(cols, [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]])

    def test_conv_backward_matches_finite_differences(self):
        rng = np.random.default_rng(0)
        x, w, b = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
        r = rng.standard_normal(R.conv2d_forward(x, w, b, 2, 1).shape)
        dx, dw, db = R.conv2d_backward(r, x, w, True, 2, 1)
        def f():
            return float(np.sum(r * R.conv2d_forward(x, w, b, 2, 1)))
        for got, arr in ((dx, x), (dw, w), (db, b)):
            np.testing.assert_allclose(got, numerical_gradient(f, arr), rtol=1e-6, atol=1e-7)

    def test_conv_transpose_backward_matches_finite_differences(self):
        rng = np.random.default_rng(1)
        x, w, b = rng.standard_normal((2, 2, 3, 2)), rng.standard_normal((2, 3, 3, 2)), rng.standard_normal(3)
        r = rng.standard_normal(R.conv_transpose2d_forward(x, w, b, 2, 1, 1).shape)
        dx, dw, db = R.conv_transpose2d_backward(r, x, w, True, 2, 1, 1)
        def f():
            return float(np.sum(r * R.conv_transpose2d_forward(x, w, b, 2, 1, 1)))
        for got, arr in ((dx, x), (dw, w), (db, b)):
            np.testing.assert_allclose(got, numerical_gradient(f, arr), rtol=1e-6, atol=1e-7)

    @pytest.mark.parametrize("training", [True, False])
    @pytest.mark.parametrize("shape", [(5, 3), (3, 2, 2, 3)])
    def test_batchnorm_backward_matches_finite_differences(self, training, shape):
        rng = np.random.default_rng(2)
        c = shape[1]
        x = rng.standard_normal(shape) * 2 + 1
        gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
        rm, rv = rng.standard_normal(c), rng.random(c) + 0.5
        r = rng.standard_normal(shape)
        def f():
            return float(np.sum(r * R.batchnorm_forward(x, gamma, beta, 1e-5, training, rm, rv)[0]))
        dx, dg, db = R.batchnorm_backward(r, x, gamma, 1e-5, training, rm, rv)
        for got, arr in ((dx, x), (dg, gamma), (db, beta)):
            np.testing.assert_allclose(got, numerical_gradient(f, arr), rtol=1e-5, atol=1e-7)

    def test_batchnorm_training_statistics(self):
        x = np.array([[1.0, 10.0], [3.0, 10.0]])
        with np.errstate(invalid="ignore"):       # channel 1 is constant: 0/0 with eps=0
            y, mean, var = R.batchnorm_forward(x, np.ones(2), np.zeros(2), 0.0, True, None, None)
        np.testing.assert_array_equal(mean, [2.0, 10.0])
        np.testing.assert_array_equal(var, [1.0, 0.0])           # biased: /N, not /(N-1)
        np.testing.assert_array_equal(y[:, 0], [-1.0, 1.0])

    @pytest.mark.parametrize("kind", K.KINDS)
    def test_activation_backward_matches_finite_differences(self, kind):
        x = np.array([-2.5, -0.3, 0.4, 1.7, 3.0])
        r = np.array([0.3, -1.2, 0.7, 2.0, -0.5])
        def f():
            return float(np.sum(r * R.activation_forward(kind, x, 0.2)))
        np.testing.assert_allclose(R.activation_backward(kind, r, x, 0.2), numerical_gradient(f, x),
                                   rtol=1e-6, atol=1e-9)

    def test_activation_hand_values(self):
        x = np.array([-2.0, 0.0, 3.0])
        np.testing.assert_array_equal(R.activation_forward("relu", x), [0.0, 0.0, 3.0])
        np.testing.assert_array_equal(R.activation_forward("leaky_relu", x, 0.1), [-0.2, 0.0, 3.0])
        np.testing.assert_allclose(R.activation_forward("sigmoid", x), 1 / (1 + np.exp(-x)), rtol=1e-15)
        assert R.activation_forward("sigmoid", np.array([-1000.0]))[0] == 0.0   # no overflow

    def test_numpy_baseline_matches_reference(self):
        """The benchmark's NumPy baseline (benchmarks/numpy_conv.py) computes what the reference does."""
        import importlib.util
        path = Path(__file__).resolve().parents[1] / "benchmarks" / "numpy_conv.py"
        spec = importlib.util.spec_from_file_location("numpy_conv", path)
        B = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(B)
        rng = np.random.default_rng(3)
        x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 4, 3)), rng.standard_normal(4)
        y, cols = B.conv2d_numpy(x, w, b, 2, 1)
        np.testing.assert_allclose(y, R.conv2d_forward(x, w, b, 2, 1), atol=1e-12)
        dy = rng.standard_normal(y.shape)
        for a, e in zip(B.conv2d_backward_numpy(dy, cols, x.shape, w, 2, 1),
                        R.conv2d_backward(dy, x, w, True, 2, 1)):
            np.testing.assert_allclose(a, e, atol=1e-12)
        wt = rng.standard_normal((3, 2, 4, 4))
        yt, x_cm = B.conv_transpose2d_numpy(x, wt, None, 2, 1, 1)
        np.testing.assert_allclose(yt, R.conv_transpose2d_forward(x, wt, None, 2, 1, 1), atol=1e-12)
        dyt = rng.standard_normal(yt.shape)
        for a, e in zip(B.conv_transpose2d_backward_numpy(dyt, x_cm, x.shape, wt, 2, 1),
                        R.conv_transpose2d_backward(dyt, x, wt, True, 2, 1, 1)):
            np.testing.assert_allclose(a, e, atol=1e-12)


# ------------------------------------------------------------ kernels vs refs

@pytest.mark.parametrize("dy_layout", LAYOUTS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@given(geom=conv_geometry(), seed=seeds, bias=st.booleans(), keep_cols=st.booleans())
def test_conv2d_matches_reference(dtype, layout, dy_layout, geom, seed, bias, keep_cols):
    n, c_in, c_out, h, w, kh, kw, s, p = geom
    rng = np.random.default_rng(seed)
    x, wt = randn(rng, (n, c_in, h, w), dtype), randn(rng, (c_out, c_in, kh, kw), dtype)
    b = randn(rng, c_out, dtype) if bias else None
    dy = randn(rng, R.conv2d_forward(x, wt, None, s, p).shape, dtype)
    y, ctx = K.conv2d_forward(in_layout(x, layout), wt, b, s, p, keep_cols=keep_cols)
    K.conv2d_forward(x[::-1].copy(), wt, b, s, p)       # another call in between reuses the work buffers
    dx, dw, db = K.conv2d_backward(in_layout(dy, dy_layout), ctx)
    assert layout_module.batch_inner(y) is not None
    assert layout_module.memory_order(dx) == layout_module.memory_order(in_layout(x, layout))
    assert_close(y, R.conv2d_forward(x, wt, b, s, p), dtype, "y")
    rdx, rdw, rdb = R.conv2d_backward(dy, x, wt, bias, s, p)
    assert_close(dx, rdx, dtype, "dx")
    assert_close(dw, rdw, dtype, "dw")
    if bias:
        assert_close(db, rdb, dtype, "db")
    else:
        assert db is None


@pytest.mark.parametrize("dy_layout", LAYOUTS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@given(geom=conv_transpose_geometry(), seed=seeds, bias=st.booleans())
def test_conv_transpose2d_matches_reference(dtype, layout, dy_layout, geom, seed, bias):
    n, c_in, c_out, h, w, kh, kw, s, p, op = geom
    rng = np.random.default_rng(seed)
    x, wt = randn(rng, (n, c_in, h, w), dtype), randn(rng, (c_in, c_out, kh, kw), dtype)
    b = randn(rng, c_out, dtype) if bias else None
    dy = randn(rng, R.conv_transpose2d_forward(x, wt, None, s, p, op).shape, dtype)
    y, ctx = K.conv_transpose2d_forward(in_layout(x, layout), wt, b, s, p, op)
    dx, dw, db = K.conv_transpose2d_backward(in_layout(dy, dy_layout), ctx)
    assert layout_module.batch_inner(y) is not None
    assert layout_module.memory_order(dx) == layout_module.memory_order(in_layout(x, layout))
    assert_close(y, R.conv_transpose2d_forward(x, wt, b, s, p, op), dtype, "y")
    rdx, rdw, rdb = R.conv_transpose2d_backward(dy, x, wt, bias, s, p, op)
    assert_close(dx, rdx, dtype, "dx")
    assert_close(dw, rdw, dtype, "dw")
    if bias:
        assert_close(db, rdb, dtype, "db")
    else:
        assert db is None


@pytest.mark.parametrize("layout", LAYOUTS)
@given(geom=conv_geometry(), seed=seeds)
def test_conv_transpose_is_adjoint_of_conv(layout, geom, seed):
    """<conv(x), y> == <x, convT(y)> with the same weight (float64, no bias)."""
    n, c_in, c_out, h, w, kh, kw, s, p = geom
    rng = np.random.default_rng(seed)
    x, wt = rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, kh, kw))
    # output_padding recovers the rows/cols the conv's floor division dropped.
    op = ((h + 2 * p - kh) % s, (w + 2 * p - kw) % s)
    cx, _ = K.conv2d_forward(in_layout(x, layout), wt, None, s, p)
    y = rng.standard_normal(cx.shape)
    ty, _ = K.conv_transpose2d_forward(in_layout(y, layout), wt, None, s, p, op)
    assert ty.shape == x.shape
    lhs, rhs = float(np.sum(cx * y)), float(np.sum(x * ty))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, float(np.sum(np.abs(cx * y))))


@pytest.mark.parametrize("dtype", DTYPES)
@given(geom=conv_geometry(), seed=seeds)
def test_im2col_col2im_match_reference(dtype, geom, seed):
    n, c, _, h, w, kh, kw, s, p = geom
    rng = np.random.default_rng(seed)
    x = randn(rng, (n, c, min(h, 7), min(w, 7)), dtype)
    assume(kh <= x.shape[2] + 2 * p and kw <= x.shape[3] + 2 * p)
    cols = K.im2col(x, kh, kw, s, p)
    assert_close(cols, R.im2col(x, kh, kw, s, p), dtype, "im2col")
    g = randn(rng, cols.shape, dtype)
    assert_close(K.col2im(g, x.shape, kh, kw, s, p), R.col2im(g, x.shape, kh, kw, s, p), dtype, "col2im")


@st.composite
def bn_case(draw):
    four_d = draw(st.booleans())
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 5))
    shape = (n, c, draw(st.integers(1, 5)), draw(st.integers(1, 5))) if four_d else (n, c)
    loc = draw(st.floats(-10, 10))
    scale = draw(st.floats(0.1, 10))
    return shape, loc, scale


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=bn_case(), seed=seeds)
def test_batchnorm_matches_reference(dtype, training, case, seed):
    shape, loc, scale = case
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = randn(rng, shape, dtype, scale, loc)
    gamma, beta = randn(rng, c, dtype, 0.5, 1.0), randn(rng, c, dtype)
    rm, rv = randn(rng, c, dtype, scale, loc), (rng.random(c) * scale**2 + 0.1).astype(dtype)
    eps = 1e-5
    y, ctx, bm, bv = K.batchnorm_forward(x, gamma, beta, eps, training, rm, rv)
    ry, rbm, rbv = R.batchnorm_forward(x, gamma, beta, eps, training, rm, rv)
    assert_close(y, ry, dtype, "y")
    if training:
        assert_close(bm, rbm, dtype, "batch_mean")
        assert_close(bv, rbv, dtype, "batch_var")
    else:
        assert bm is None and bv is None
    dy = randn(rng, shape, dtype)
    dx, dg, db = K.batchnorm_backward(dy, ctx)
    rdx, rdg, rdb = R.batchnorm_backward(dy, x, gamma, eps, training, rm, rv)
    assert_close(dx, rdx, dtype, "dx")
    assert_close(dg, rdg, dtype, "dgamma")
    assert_close(db, rdb, dtype, "dbeta")


@pytest.mark.parametrize("kind", K.KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), seed=seeds,
       scale=st.floats(0.1, 30), slope=st.floats(0.0, 0.5))
def test_activations_match_reference(dtype, kind, shape, seed, scale, slope):
    rng = np.random.default_rng(seed)
    x = randn(rng, tuple(shape), dtype, scale)
    y = K.activation_forward(kind, x, slope)
    assert_close(y, R.activation_forward(kind, x, slope), dtype, "y")
    dy = randn(rng, x.shape, dtype)
    dx = K.activation_backward(kind, dy, x, y, slope)
    if dtype == np.float32 and kind in ("sigmoid", "tanh"):
        # The backward uses the float32 output y (as PyTorch does); 1 - y is inexact near
        # saturation however it is computed, so hold the kernel to the formula in y.
        assert_close(dx, R.activation_backward_from_output(kind, dy, y), dtype, "dx")
    else:
        assert_close(dx, R.activation_backward(kind, dy, x, slope), dtype, "dx")


# ------------------------------------------------------------------- contracts

@pytest.mark.parametrize("dtype", DTYPES)
def test_every_kernel_returns_the_input_dtype(dtype):
    rng = np.random.default_rng(4)
    x = randn(rng, (2, 3, 6, 5), dtype)
    outs = {}
    y, ctx = K.conv2d_forward(x, randn(rng, (4, 3, 3, 3), dtype), randn(rng, 4, dtype), 2, 1)
    outs["conv y"] = y
    outs.update(zip(("conv dx", "conv dw", "conv db"), K.conv2d_backward(randn(rng, y.shape, dtype), ctx)))
    y, ctx = K.conv_transpose2d_forward(x, randn(rng, (3, 2, 4, 4), dtype), randn(rng, 2, dtype), 2, 1, 1)
    outs["convT y"] = y
    outs.update(zip(("convT dx", "convT dw", "convT db"),
                    K.conv_transpose2d_backward(randn(rng, y.shape, dtype), ctx)))
    g, bt = randn(rng, 3, dtype), randn(rng, 3, dtype)
    for training in (True, False):
        y, ctx, bm, bv = K.batchnorm_forward(x, g, bt, 1e-5, training, randn(rng, 3, dtype),
                                             np.ones(3, dtype))
        outs[f"bn y {training}"] = y
        if training:
            outs["bn mean"], outs["bn var"] = bm, bv
        outs.update(zip((f"bn dx {training}", f"bn dgamma {training}", f"bn dbeta {training}"),
                        K.batchnorm_backward(randn(rng, x.shape, dtype), ctx)))
    for kind in K.KINDS:
        y = K.activation_forward(kind, x, 0.2)
        outs[f"{kind} y"] = y
        outs[f"{kind} dx"] = K.activation_backward(kind, randn(rng, x.shape, dtype), x, y, 0.2)
    cols = K.im2col(x, 3, 2, 2, 1)
    outs["im2col"] = cols
    outs["col2im"] = K.col2im(cols, x.shape, 3, 2, 2, 1)
    wrong = {k: v.dtype for k, v in outs.items() if v.dtype != np.dtype(dtype)}
    assert not wrong, wrong
    assert len(outs) == 28


def test_need_dx_false_skips_input_gradient():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    y, ctx = K.conv2d_forward(x, w, None, 1, 1)
    dy = rng.standard_normal(y.shape)
    dx, dw, db = K.conv2d_backward(dy, ctx, need_dx=False)
    assert dx is None and db is None
    np.testing.assert_allclose(dw, R.conv2d_backward(dy, x, w, False, 1, 1)[1], atol=1e-12)
    yt, ctx = K.conv_transpose2d_forward(x, w.transpose(1, 0, 2, 3).copy(), None, 2, 0, 1)
    dx, dw, db = K.conv_transpose2d_backward(rng.standard_normal(yt.shape), ctx, need_dx=False)
    assert dx is None and db is None and dw.shape == (3, 4, 3, 3)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_outputs_do_not_alias_reused_work_buffers(layout):
    """Later calls must not overwrite arrays returned earlier (kernels reuse scratch buffers)."""
    rng = np.random.default_rng(6)
    x1, x2 = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((2, 3, 8, 8))
    w = rng.standard_normal((5, 3, 4, 4))
    x1, x2 = in_layout(x1, layout), in_layout(x2, layout)
    y1, ctx1 = K.conv2d_forward(x1, w, None, 2, 1)
    y1_copy = y1.copy()
    y2, ctx2 = K.conv2d_forward(x2, w, None, 2, 1)
    dx2, dw2, _ = K.conv2d_backward(np.ones_like(y2), ctx2)
    dx1, dw1, _ = K.conv2d_backward(np.ones_like(y1), ctx1)  # interleaved: A, B, B', A'
    np.testing.assert_array_equal(y1, y1_copy)
    for got, ref in ((dx1, R.conv2d_backward(np.ones_like(y1), x1, w, False, 2, 1)[0]),
                     (dw1, R.conv2d_backward(np.ones_like(y1), x1, w, False, 2, 1)[1]),
                     (dx2, R.conv2d_backward(np.ones_like(y2), x2, w, False, 2, 1)[0])):
        np.testing.assert_allclose(got, ref, atol=1e-12)
    assert not np.shares_memory(dx1, dx2) and not np.shares_memory(dw1, dw2)


def test_tuple_stride_and_padding_for_non_square_geometry():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 2, 7, 9)), rng.standard_normal((3, 2, 3, 2))
    y, ctx = K.conv2d_forward(x, w, None, (2, 1), (0, 1))
    np.testing.assert_allclose(y, R.conv2d_forward(x, w, None, (2, 1), (0, 1)), atol=1e-12)
    dy = rng.standard_normal(y.shape)
    for a, e in zip(K.conv2d_backward(dy, ctx)[:2], R.conv2d_backward(dy, x, w, False, (2, 1), (0, 1))):
        np.testing.assert_allclose(a, e, atol=1e-12)


def test_batchnorm_eval_mode_leaves_running_statistics_alone():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3, 2, 2))
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    rm0, rv0 = rm.copy(), rv.copy()
    K.batchnorm_forward(x, np.ones(3), np.zeros(3), 1e-5, False, rm, rv)
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)


@pytest.mark.parametrize("kind", K.KINDS)
def test_activations_propagate_nan(kind):
    x = np.array([np.nan, -1.0, 1.0], dtype=np.float32)
    y = K.activation_forward(kind, x, 0.2)
    assert np.isnan(y[0]) and not np.isnan(y[1:]).any()


def test_non_contiguous_inputs_are_accepted():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 3, 6, 2)).transpose(3, 1, 2, 0)         # (2, 3, 6, 5), strided
    w = rng.standard_normal((3, 4, 3, 3)).transpose(1, 0, 2, 3)         # (4, 3, 3, 3), strided
    assert not x.flags.c_contiguous and not w.flags.c_contiguous
    y, ctx = K.conv2d_forward(x, w, None, 1, 1)
    np.testing.assert_allclose(y, R.conv2d_forward(x, w, None, 1, 1), atol=1e-12)
    dy = rng.standard_normal(y.shape[::-1]).T                           # strided dy
    np.testing.assert_allclose(K.conv2d_backward(dy, ctx)[0],
                               R.conv2d_backward(dy, x, w, False, 1, 1)[0], atol=1e-12)
    g, b = np.ones(3), np.zeros(3)
    yb, ctx, _, _ = K.batchnorm_forward(x, g, b, 1e-5, True, None, None)
    np.testing.assert_allclose(yb, R.batchnorm_forward(x, g, b, 1e-5, True, None, None)[0], atol=1e-12)
    np.testing.assert_allclose(K.activation_forward("leaky_relu", x, 0.2),
                               R.activation_forward("leaky_relu", x, 0.2), atol=0)
