"""Layer tests: forward values, output shapes, BatchNorm statistics, dtype preservation,
input validation and initialisers."""

import math

import numpy as np
import pytest

from npgan import nn
from npgan.kernels import reference
from npgan.nn import init

F32, F64 = np.float32, np.float64


def rng_(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- forward values
def test_linear_forward_matches_formula_and_pytorch_layout():
    rng = rng_()
    layer = nn.Linear(3, 2, rng=rng, dtype=F64)
    assert layer.params["weight"].shape == (2, 3) and layer.params["bias"].shape == (2,)
    layer.params["bias"][...] = [0.5, -1.0]
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer(x), x @ layer.params["weight"].T + [0.5, -1.0], rtol=1e-14)
    no_bias = nn.Linear(3, 2, bias=False, rng=rng, dtype=F64)
    assert set(no_bias.params) == {"weight"} and set(no_bias.grads) == {"weight"}


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((1, 2), (2, 0))])
def test_conv2d_forward_and_backward_match_reference(stride, padding):
    rng = rng_(1)
    layer = nn.Conv2d(2, 3, (3, 2), stride, padding, rng=rng, dtype=F64, init_std=0.5)
    layer.params["bias"][...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 5, 6))
    y = layer(x)
    w, b = layer.params["weight"], layer.params["bias"]
    np.testing.assert_allclose(y, reference.conv2d_forward(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    rdx, rdw, rdb = reference.conv2d_backward(dy, x, w, True, stride, padding)
    np.testing.assert_allclose(dx, rdx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], rdw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], rdb, rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_forward_matches_reference_and_is_adjoint_of_conv2d():
    rng = rng_(2)
    ct = nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, output_padding=1, rng=rng, dtype=F64, init_std=0.5)
    ct.params["bias"][...] = rng.standard_normal(2)
    x = rng.standard_normal((2, 3, 3, 4))
    y = ct(x)
    assert y.shape == (2, 2, 7, 9)
    np.testing.assert_allclose(
        y, reference.conv_transpose2d_forward(x, ct.params["weight"], ct.params["bias"], 2, 1, 1),
        rtol=1e-12, atol=1e-12)
    # <conv(u), v> == <u, conv_transpose(v)> for the same weight and no bias.
    conv = nn.Conv2d(2, 3, 4, stride=2, padding=1, bias=False, rng=rng, dtype=F64)
    ct_nb = nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, output_padding=1, bias=False, rng=rng, dtype=F64)
    ct_nb.params["weight"][...] = conv.params["weight"]
    u = rng.standard_normal((2, 2, 7, 9))
    v = rng.standard_normal((2, 3, 3, 4))
    assert conv.output_shape(u.shape) == v.shape
    assert np.sum(conv(u) * v) == pytest.approx(np.sum(u * ct_nb(v)), rel=1e-12)


def test_infogan_mnist_shapes():
    rng = rng_()
    d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1, rng=rng), nn.LeakyReLU(0.1),
                      nn.Conv2d(64, 128, 4, 2, 1, rng=rng), nn.BatchNorm2d(128), nn.LeakyReLU(0.1),
                      nn.Flatten(), nn.Linear(128 * 7 * 7, 1024, rng=rng))
    assert d(np.zeros((2, 1, 28, 28), F32)).shape == (2, 1024)
    g = nn.Sequential(nn.Linear(74, 128 * 7 * 7, rng=rng), nn.Reshape((128, 7, 7)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1, rng=rng), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1, rng=rng), nn.Sigmoid())
    assert g(np.zeros((2, 74), F32)).shape == (2, 1, 28, 28)


def test_activation_values():
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    np.testing.assert_array_equal(nn.ReLU()(x), [0.0, 0.0, 0.0, 3.0, 1000.0])
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(x), [-200.0, -0.4, 0.0, 3.0, 1000.0])
    np.testing.assert_allclose(nn.Tanh()(x), np.tanh(x))
    with np.errstate(over="raise"):
        s = nn.Sigmoid()(x)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + math.exp(2)), 0.5, 1 / (1 + math.exp(-3)), 1.0], atol=1e-300)
    assert nn.LeakyReLU().slope == 0.01
    # Derivatives at a few points: relu' = [0,0,?,1,1], sigmoid' = s(1 - s).
    layer = nn.Sigmoid()
    y = layer(x[1:4])
    np.testing.assert_allclose(layer.backward(np.ones(3)), y * (1 - y))


def test_flatten_and_reshape():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    f = nn.Flatten()
    y = f(x)
    assert y.shape == (2, 12)
    assert f.backward(y * 2).shape == x.shape
    r = nn.Reshape((4, 3))
    assert r(y).shape == (2, 4, 3)
    np.testing.assert_array_equal(r.backward(np.ones((2, 4, 3))), np.ones((2, 12)))
    assert nn.Reshape(12)(x).shape == (2, 12)


# ---------------------------------------------------------------------- BatchNorm
def test_batchnorm_training_normalises_and_updates_running_stats():
    rng = rng_(3)
    bn = nn.BatchNorm2d(3, dtype=F64)
    x = rng.standard_normal((4, 3, 2, 5)) * [[[[2.0]], [[0.5]], [[1.0]]]] + [[[[1.0]], [[-3.0]], [[0.0]]]]
    y = bn(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) / (x.var(axis=(0, 2, 3)) + 1e-5),
                               rtol=1e-10)
    mean, var_unbiased = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)   # n = 40
    np.testing.assert_allclose(bn.buffers["running_mean"], 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], 0.9 + 0.1 * var_unbiased, rtol=1e-12)
    bn(x)
    np.testing.assert_allclose(bn.buffers["running_mean"], 0.19 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], 0.81 + 0.19 * var_unbiased, rtol=1e-12)


def test_batchnorm_eval_uses_running_stats_and_leaves_them_alone():
    rng = rng_(4)
    bn = nn.BatchNorm1d(3, eps=1e-3, momentum=0.3, dtype=F64)
    rm, rv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.2, 3.0])
    bn.load_state_dict({"weight": np.array([1.0, 2.0, -0.5]), "bias": np.array([0.0, 1.0, 0.3]),
                        "running_mean": rm, "running_var": rv})
    bn.eval()
    x = rng.standard_normal((1, 3))                      # batch of 1 is fine in eval mode
    expected = (x - rm) / np.sqrt(rv + 1e-3) * [1.0, 2.0, -0.5] + [0.0, 1.0, 0.3]
    np.testing.assert_allclose(bn(x), expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.buffers["running_mean"], rm)
    np.testing.assert_array_equal(bn.buffers["running_var"], rv)


def test_batchnorm_training_with_one_value_per_channel_raises():
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(np.zeros((1, 3), F32))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm2d(3)(np.zeros((1, 3, 1, 1), F32))


def test_batchnorm_gamma_init():
    bn = nn.BatchNorm2d(4000, rng=rng_(5))
    g = bn.params["weight"]
    assert g.dtype == F32 and abs(g.mean() - 1.0) < 0.002 and abs(g.std() - 0.02) < 0.002
    np.testing.assert_array_equal(nn.BatchNorm2d(3).params["weight"], 1.0)
    np.testing.assert_array_equal(bn.params["bias"], 0.0)


# ---------------------------------------------------------------------- dtype preservation
def _layers(dtype):
    rng = rng_(6)
    return {
        "Linear": (nn.Linear(4, 3, rng=rng, dtype=dtype), (2, 4)),
        "Conv2d": (nn.Conv2d(2, 3, 3, 2, 1, rng=rng, dtype=dtype), (2, 2, 5, 5)),
        "ConvTranspose2d": (nn.ConvTranspose2d(2, 3, 4, 2, 1, 1, rng=rng, dtype=dtype), (2, 2, 3, 3)),
        "BatchNorm1d": (nn.BatchNorm1d(4, rng=rng, dtype=dtype), (3, 4)),
        "BatchNorm2d": (nn.BatchNorm2d(2, dtype=dtype), (2, 2, 3, 3)),
        "ReLU": (nn.ReLU(), (2, 5)),
        "LeakyReLU": (nn.LeakyReLU(0.2), (2, 2, 3)),
        "Sigmoid": (nn.Sigmoid(), (3, 4)),
        "Tanh": (nn.Tanh(), (3, 4)),
        "Flatten": (nn.Flatten(), (2, 3, 2)),
        "Reshape": (nn.Reshape((3, 2)), (2, 6)),
        "Sequential": (nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, rng=rng, dtype=dtype),
                                     nn.BatchNorm2d(2, dtype=dtype), nn.LeakyReLU(0.1), nn.Flatten(),
                                     nn.Linear(2 * 9, 1, rng=rng, dtype=dtype)), (2, 2, 3, 3)),
    }


LAYER_NAMES = sorted(_layers(F32))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_float32_in_float32_out_and_float32_grads(name, training):
    layer, shape = _layers(F32)[name]
    layer.train(training)
    x = rng_(7).standard_normal(shape).astype(F32)
    y = layer(x)
    assert y.dtype == F32
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == F32 and dx.shape == x.shape
    for key, arr in {**layer.parameters(), **layer.gradients(), **layer.named_buffers()}.items():
        assert arr.dtype == F32, key
    assert all(g.any() for g in layer.gradients().values())


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_float64_layers_stay_float64(name):
    layer, shape = _layers(F64)[name]
    y = layer(rng_(8).standard_normal(shape))
    assert y.dtype == F64 and layer.backward(np.ones_like(y)).dtype == F64


def test_non_contiguous_input_is_accepted():
    rng = rng_(9)
    conv = nn.Conv2d(2, 2, 3, rng=rng, dtype=F64)
    x = rng.standard_normal((2, 5, 5, 2)).transpose(0, 3, 1, 2)    # NHWC memory, NCHW view
    np.testing.assert_allclose(conv(x), conv(np.ascontiguousarray(x)), rtol=1e-14)


# ---------------------------------------------------------------------- validation
def _conv(**kw):
    return nn.Conv2d(2, 3, 3, rng=rng_(), **kw)


def _convt(**kw):
    return nn.ConvTranspose2d(2, 3, 3, rng=rng_(), **kw)


@pytest.mark.parametrize("make, exc, word", [
    (lambda: nn.Conv2d(2, 3, 3, stride=0, rng=rng_()), ValueError, "stride"),
    (lambda: nn.Conv2d(2, 3, 3, stride=-1, rng=rng_()), ValueError, "stride"),
    (lambda: nn.Conv2d(2, 3, 3, stride=(1, 0), rng=rng_()), ValueError, r"stride\[1\]"),
    (lambda: nn.Conv2d(2, 3, 3, padding=-1, rng=rng_()), ValueError, "padding"),
    (lambda: nn.Conv2d(2, 3, 0, rng=rng_()), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(2, 3, (3, 3, 3), rng=rng_()), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(2, 3, 3.0, rng=rng_()), TypeError, "kernel_size"),
    (lambda: nn.Conv2d(0, 3, 3, rng=rng_()), ValueError, "in_channels"),
    (lambda: nn.Conv2d(2, 3, 3), TypeError, "rng"),
    (lambda: nn.Conv2d(2, 3, 3, rng=np.random.RandomState(0)), TypeError, "rng"),
    (lambda: nn.Conv2d(2, 3, 3, rng=rng_(), dtype=np.int32), TypeError, "dtype"),
    (lambda: nn.Conv2d(2, 3, 3, rng=rng_(), dtype=np.float16), TypeError, "dtype"),
    (lambda: nn.Conv2d(2, 3, 3, rng=rng_(), init="xavier"), ValueError, "init"),
    (lambda: nn.Conv2d(2, 3, 3, rng=rng_(), init_std=-0.1), ValueError, "init_std"),
    (lambda: nn.Conv2d(2, 3, 3, bias=1, rng=rng_()), TypeError, "bias"),
    (lambda: nn.ConvTranspose2d(2, 3, 4, stride=2, output_padding=2, rng=rng_()), ValueError, "output_padding"),
    (lambda: nn.ConvTranspose2d(2, 3, 4, stride=1, output_padding=1, rng=rng_()), ValueError, "output_padding"),
    (lambda: nn.ConvTranspose2d(2, 3, 4, output_padding=-1, rng=rng_()), ValueError, "output_padding"),
    (lambda: nn.ConvTranspose2d(2, 3, 4, stride=0, rng=rng_()), ValueError, "stride"),
    (lambda: nn.Linear(0, 3, rng=rng_()), ValueError, "in_features"),
    (lambda: nn.Linear(2, 3), TypeError, "rng"),
    (lambda: nn.Linear(2, 3.5, rng=rng_()), TypeError, "out_features"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features"),
    (lambda: nn.BatchNorm2d(3, eps=0.0), ValueError, "eps"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, "momentum"),
    (lambda: nn.BatchNorm2d(3, rng=42), TypeError, "rng"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "slope"),
    (lambda: nn.Reshape((2, 0)), ValueError, "shape"),
    (lambda: nn.Reshape("ab"), TypeError, "shape"),
    (lambda: nn.Sequential(nn.ReLU(), np.zeros(3)), TypeError, "layer 1"),
])
def test_constructor_validation(make, exc, word):
    with pytest.raises(exc, match=word):
        make()


@pytest.mark.parametrize("make, x, exc, word", [
    # wrong ndim
    (lambda: _conv(), np.zeros((2, 5, 5), F32), ValueError, "4-dimensional"),
    (lambda: nn.Linear(3, 2, rng=rng_()), np.zeros((2, 3, 1), F32), ValueError, "2-dimensional"),
    (lambda: nn.BatchNorm1d(3), np.zeros((2, 3, 4, 4), F32), ValueError, "2-dimensional"),
    (lambda: nn.BatchNorm2d(3), np.zeros((2, 3), F32), ValueError, "4-dimensional"),
    (lambda: _convt(), np.zeros((2, 5), F32), ValueError, "4-dimensional"),
    # wrong channel / feature count
    (lambda: _conv(), np.zeros((1, 3, 5, 5), F32), ValueError, "in_channels"),
    (lambda: _convt(), np.zeros((1, 1, 5, 5), F32), ValueError, "in_channels"),
    (lambda: nn.Linear(3, 2, rng=rng_()), np.zeros((2, 4), F32), ValueError, "in_features"),
    (lambda: nn.BatchNorm2d(3), np.zeros((2, 2, 4, 4), F32), ValueError, "num_features"),
    # non-float and mismatched dtypes
    (lambda: _conv(), np.zeros((1, 2, 5, 5), np.int64), TypeError, "float32 or float64"),
    (lambda: _conv(), np.zeros((1, 2, 5, 5), F64), TypeError, "dtype float64.*float32"),
    (lambda: nn.Linear(3, 2, rng=rng_(), dtype=F64), np.zeros((2, 3), F32), TypeError, "float32.*float64"),
    (lambda: nn.BatchNorm1d(3), np.zeros((2, 3), F64), TypeError, "dtype"),
    (lambda: nn.ReLU(), np.zeros((2, 3), np.float16), TypeError, "float32 or float64"),
    (lambda: nn.Tanh(), [[0.0, 1.0]], TypeError, "numpy.ndarray"),
    (lambda: nn.Flatten(), np.zeros((2, 3), bool), TypeError, "float32 or float64"),
    # geometry
    (lambda: nn.Conv2d(2, 3, 5, padding=0, rng=rng_()), np.zeros((1, 2, 4, 8), F32), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(2, 3, (1, 4), padding=1, rng=rng_()), np.zeros((1, 2, 4, 1), F32), ValueError,
     "larger than the padded input"),
    (lambda: nn.ConvTranspose2d(2, 3, 1, padding=2, rng=rng_()), np.zeros((1, 2, 2, 2), F32), ValueError,
     "padding"),
    (lambda: nn.Reshape((5,)), np.zeros((2, 6), F32), ValueError, "cannot reshape"),
    (lambda: _conv(), np.zeros((0, 2, 5, 5), F32), ValueError, "empty"),
])
def test_forward_input_validation(make, x, exc, word):
    with pytest.raises(exc, match=word):
        make()(x)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_backward_rejects_wrong_dy_and_keeps_forward_pending(name):
    layer, shape = _layers(F32)[name]
    y = layer(np.ones(shape, F32))
    with pytest.raises(ValueError, match="dy"):
        layer.backward(np.ones(y.shape + (1,), F32))
    with pytest.raises(TypeError, match="dy"):
        layer.backward(np.ones(y.shape, F64))
    with pytest.raises(TypeError, match="dy"):
        layer.backward(y.tolist())
    assert layer.backward(np.ones_like(y)).shape == shape      # the forward was still pending


# ---------------------------------------------------------------------- init
def test_normal_and_truncated_normal_init():
    a = init.normal_(np.empty((200, 100), F32), 0.02, rng_())
    assert a.dtype == F32 and abs(a.std() - 0.02) < 0.001 and abs(a.mean()) < 0.001
    t = init.truncated_normal_(np.empty((200, 100), F64), 0.5, rng_(), mean=1.0)
    assert np.all(np.abs(t - 1.0) <= 1.0)                      # 2 std
    # std of a N(0,1) truncated at ±2 is 0.8796.
    assert abs(t.std() / 0.5 - 0.8796) < 0.01
    np.testing.assert_array_equal(init.normal_(np.empty(5), 1.0, rng_(3)), init.normal_(np.empty(5), 1.0, rng_(3)))
    strided = np.zeros((4, 6))[:, ::2]
    init.normal_(strided, 1.0, rng_())
    assert np.all(strided != 0)


def test_kaiming_uniform_matches_pytorch_default_bounds():
    assert init.fan_in_and_fan_out((64, 32, 4, 4)) == (512, 1024)
    assert init.fan_in_and_fan_out((10, 20)) == (20, 10)
    w = init.kaiming_uniform_(np.empty((64, 32, 4, 4), F32), rng_())
    bound = 1.0 / math.sqrt(512)
    assert w.dtype == F32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    layer = nn.Linear(50, 20, rng=rng_(), init="kaiming_uniform")
    assert np.abs(layer.params["bias"]).max() <= 1 / math.sqrt(50) and layer.params["bias"].any()


def test_layer_default_init_is_normal_std_002_with_zero_bias():
    conv = nn.Conv2d(16, 32, 4, rng=rng_())
    w = conv.params["weight"]
    assert w.shape == (32, 16, 4, 4) and abs(w.std() - 0.02) < 0.001
    np.testing.assert_array_equal(conv.params["bias"], 0.0)
    ct = nn.ConvTranspose2d(16, 32, 4, rng=rng_(), init="truncated_normal", init_std=0.1)
    assert ct.params["weight"].shape == (16, 32, 4, 4) and np.abs(ct.params["weight"]).max() <= 0.2
    a = nn.Linear(5, 5, rng=rng_(11)).params["weight"]
    np.testing.assert_array_equal(a, nn.Linear(5, 5, rng=rng_(11)).params["weight"])


def test_init_validation():
    with pytest.raises(TypeError, match="rng"):
        init.normal_(np.empty(3), 1.0, None)
    with pytest.raises(ValueError, match="std"):
        init.normal_(np.empty(3), -1.0, rng_())
    with pytest.raises(TypeError, match="arr"):
        init.zeros_(np.empty(3, int))
    with pytest.raises(ValueError, match="high"):
        init.uniform_(np.empty(3), 1.0, 0.0, rng_())
    with pytest.raises(ValueError, match="shape"):
        init.fan_in_and_fan_out((3,))
    np.testing.assert_array_equal(init.constant_(np.empty(2), 0.5), [0.5, 0.5])
    np.testing.assert_array_equal(init.ones_(np.empty(2, F32)), [1.0, 1.0])
