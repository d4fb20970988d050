"""Property tests: every layer's backward matches central differences (float64, rel. error < 1e-6).

Weights use the ``kaiming_uniform`` init so activations and gradients are O(1)
(with the tiny default std of 0.02 the gradients would be so small that
central-difference rounding noise dominates the relative error).
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from npgan import nn
from npgan.testing import check_gradients, numerical_gradient, numerical_partial, rel_error

TOL = 1e-6
F64 = np.float64

seeds = st.integers(0, 2**32 - 1)
modes = st.booleans()
pairs12 = st.tuples(st.integers(1, 2), st.integers(1, 2))


def _assert_close(errors):
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.3g} (all: {errors})"


def _check(module, x, seed, training):
    module.train(training)
    errors = check_gradients(module, x, np.random.default_rng(seed))
    assert set(errors) == {"input", *module.parameters()}
    _assert_close(errors)


@given(seed=seeds, training=modes, n=st.integers(1, 3), fin=st.integers(1, 5),
       fout=st.integers(1, 4), bias=st.booleans())
def test_linear_gradients(seed, training, n, fin, fout, bias):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(fin, fout, bias, rng=rng, dtype=F64, init="kaiming_uniform")
    _check(layer, rng.standard_normal((n, fin)), seed, training)


@given(seed=seeds, training=modes, n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3),
       h=st.integers(1, 6), w=st.integers(1, 6), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=pairs12, padding=st.tuples(st.integers(0, 2), st.integers(0, 2)), bias=st.booleans())
def test_conv2d_gradients(seed, training, n, cin, cout, h, w, k, stride, padding, bias):
    assume(k[0] <= h + 2 * padding[0] and k[1] <= w + 2 * padding[1])
    rng = np.random.default_rng(seed)
    layer = nn.Conv2d(cin, cout, k, stride, padding, bias, rng=rng, dtype=F64, init="kaiming_uniform")
    _check(layer, rng.standard_normal((n, cin, h, w)), seed, training)


@given(seed=seeds, training=modes, n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3),
       h=st.integers(1, 4), w=st.integers(1, 4), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=pairs12, padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       opad=st.tuples(st.integers(0, 1), st.integers(0, 1)), bias=st.booleans())
def test_conv_transpose2d_gradients(seed, training, n, cin, cout, h, w, k, stride, padding, opad, bias):
    opad = (min(opad[0], stride[0] - 1), min(opad[1], stride[1] - 1))
    layer_out_h = (h - 1) * stride[0] - 2 * padding[0] + k[0] + opad[0]
    layer_out_w = (w - 1) * stride[1] - 2 * padding[1] + k[1] + opad[1]
    assume(layer_out_h >= 1 and layer_out_w >= 1)
    rng = np.random.default_rng(seed)
    layer = nn.ConvTranspose2d(cin, cout, k, stride, padding, opad, bias, rng=rng, dtype=F64,
                               init="kaiming_uniform")
    _check(layer, rng.standard_normal((n, cin, h, w)), seed, training)


def _randomise_bn(layer, rng):
    """Non-trivial gamma/beta and running statistics, so both modes are really exercised."""
    c = layer.num_features
    layer.params["weight"][...] = 1.0 + 0.5 * rng.standard_normal(c)
    layer.params["bias"][...] = rng.standard_normal(c)
    layer.buffers["running_mean"][...] = rng.standard_normal(c)
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, c)


def _well_conditioned(x, axes):
    """Skip draws whose per-channel batch variance is tiny (the normalisation is then ill-conditioned)."""
    assume(float(x.var(axis=axes).min()) > 0.05)


# Training mode with only 2 values per channel is degenerate (the outputs are ±1 whatever x is,
# so the true input gradient is ~0 and only rounding noise would be compared): use >= 3.
@given(seed=seeds, training=modes, n=st.integers(3, 6), c=st.integers(1, 4))
def test_batchnorm1d_gradients(seed, training, n, c):
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm1d(c, eps=1e-2, dtype=F64)
    _randomise_bn(layer, rng)
    x = rng.standard_normal((n, c)) * 1.5 + 0.3
    _well_conditioned(x, 0)
    _check(layer, x, seed, training)


@given(seed=seeds, training=modes, n=st.integers(1, 3), c=st.integers(1, 3),
       h=st.integers(1, 3), w=st.integers(1, 3))
def test_batchnorm2d_gradients(seed, training, n, c, h, w):
    assume(n * h * w >= 3)
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm2d(c, eps=1e-2, dtype=F64)
    _randomise_bn(layer, rng)
    x = rng.standard_normal((n, c, h, w)) * 1.5 - 0.2
    _well_conditioned(x, (0, 2, 3))
    _check(layer, x, seed, training)


ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(),
    "flatten": lambda: nn.Flatten(),
}


@pytest.mark.parametrize("kind", sorted(ACTIVATIONS))
@given(seed=seeds, training=modes, shape=st.lists(st.integers(1, 4), min_size=2, max_size=4))
def test_parameter_free_layer_gradients(kind, seed, training, shape):
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.standard_normal(tuple(shape))
    # ReLU-type kinks: keep every input well away from 0 so the central difference is smooth.
    x[np.abs(x) < 1e-3] = 0.5
    _check(ACTIVATIONS[kind](), x, seed, training)


@given(seed=seeds, training=modes, n=st.integers(1, 3))
def test_reshape_gradients(seed, training, n):
    rng = np.random.default_rng(seed)
    _check(nn.Reshape((2, 3, 2)), rng.standard_normal((n, 12)), seed, training)


@pytest.mark.parametrize("training", [True, False])
@given(seed=seeds, n=st.integers(2, 4))
def test_small_discriminator_network_gradients(training, seed, n):
    """conv - BN - leaky ReLU - flatten - linear, as in the InfoGAN discriminator."""
    rng = np.random.default_rng(seed)
    net = nn.Sequential(
        # No bias before BN: BN cancels it, so its true gradient is 0 and only rounding noise
        # would be compared.
        nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=training is False, rng=rng, dtype=F64,
                  init="kaiming_uniform"),
        nn.BatchNorm2d(3, eps=1e-3, dtype=F64),
        nn.LeakyReLU(0.1),
        nn.Flatten(),
        nn.Linear(3 * 3 * 3, 2, rng=rng, dtype=F64, init="kaiming_uniform"),
    )
    _randomise_bn(net[1], rng)
    _check(net, rng.standard_normal((n, 2, 5, 5)), seed, training)


@pytest.mark.parametrize("training", [True, False])
def test_small_generator_network_gradients(training):
    """linear - BN1d - ReLU - reshape - transposed conv - sigmoid, as in the InfoGAN generator."""
    rng = np.random.default_rng(7)
    net = nn.Sequential(
        nn.Linear(3, 8, bias=not training, rng=rng, dtype=F64, init="kaiming_uniform"),
        nn.BatchNorm1d(8, eps=1e-3, dtype=F64),
        nn.ReLU(),
        nn.Reshape((2, 2, 2)),
        nn.ConvTranspose2d(2, 1, 4, stride=2, padding=1, rng=rng, dtype=F64, init="kaiming_uniform"),
        nn.Sigmoid(),
    )
    _randomise_bn(net[1], rng)
    _check(net, rng.standard_normal((4, 3)), 7, training)


# ---------------------------------------------------------------------- npgan.testing itself
def test_rel_error_formula():
    a, b = np.array([1.0, -2.0]), np.array([1.5, -2.0])
    assert rel_error(a, b) == pytest.approx(0.5 / 4.0)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1e-12]), np.array([0.0])) == pytest.approx(1e-4)   # 1e-8 floor
    with pytest.raises(ValueError, match="shape"):
        rel_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_of_known_function_and_restores_input():
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    x0 = x.copy()
    g = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(g, 3 * x0 ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, x0)
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, x.astype(np.float32))
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda: 0.0, x, eps=0.0)



def test_numerical_partial_matches_one_entry_of_the_gradient_and_restores_input():
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    x0 = x.copy()

    def f():
        return float(np.sum(x ** 3) + x[0, 1] * x[1, 0])

    full = numerical_gradient(f, x)
    for idx in ((0, 1), (1, 0), (np.int64(1), np.int64(1))):
        assert numerical_partial(f, x, idx) == full[tuple(int(i) for i in idx)]
    np.testing.assert_array_equal(x, x0)
    assert numerical_partial(f, x, (-1, -2)) == full[1, 0]
    with pytest.raises(TypeError, match="index"):
        numerical_partial(f, x, [0, 1])
    with pytest.raises(TypeError, match="index"):
        numerical_partial(f, x, (0,))
    with pytest.raises(ValueError, match="out of bounds"):
        numerical_partial(f, x, (2, 0))
    with pytest.raises(TypeError, match="float64"):
        numerical_partial(f, x.astype(np.float32), (0, 0))

def test_check_gradients_leaves_module_state_untouched():
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=F64), nn.BatchNorm1d(4, dtype=F64))
    for g in net.gradients().values():
        g[...] = rng.standard_normal(g.shape)
    state = net.state_dict()
    grads = {k: g.copy() for k, g in net.gradients().items()}
    check_gradients(net, rng.standard_normal((5, 3)), rng)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, state[k], err_msg=k)      # incl. running stats
    for k, g in net.gradients().items():
        np.testing.assert_array_equal(g, grads[k], err_msg=k)
    assert not any(m.has_pending_forward for _, m in net.named_modules())


class _WrongBackward(nn.Module):
    """y = x², but backward claims dy · x (missing the factor 2)."""

    def forward(self, x):
        self._save_for_backward(x)
        return x * x

    def backward(self, dy, need_dx=True):
        x = self._pending_cache()
        self._clear_cache()
        return dy * x


def test_check_gradients_detects_a_wrong_backward():
    rng = np.random.default_rng(0)
    errors = check_gradients(_WrongBackward(), rng.standard_normal((2, 3)) + 3.0, rng)
    assert errors["input"] > 0.1


def test_check_gradients_rejects_float32():
    rng = np.random.default_rng(0)
    layer = nn.Linear(2, 2, rng=rng)
    with pytest.raises(TypeError, match="float64"):
        check_gradients(layer, rng.standard_normal((1, 2)), rng)
    with pytest.raises(TypeError, match="float64"):
        check_gradients(nn.ReLU(), rng.standard_normal((1, 2)).astype(np.float32), rng)
