"""Module mechanics: registration and dotted names, modes, zero_grad, state dicts, the one-slot
cache (backward before forward, two-batch and shared-trunk recipes), Sequential."""

import numpy as np
import pytest

from npgan import nn
from npgan.optim import Adam
from npgan.testing import check_gradients

F64 = np.float64


def rng_(seed=0):
    return np.random.default_rng(seed)


class TwoHead(nn.Module):
    """A trunk with two heads registered as attributes, plus a parameter of its own."""

    def __init__(self, rng):
        super().__init__()
        self._add_param("scale", np.ones(1, F64))
        self.trunk = nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=F64), nn.BatchNorm1d(4, dtype=F64))
        self.head = nn.Linear(4, 2, rng=rng, dtype=F64)


def _all_layers():
    rng = rng_()
    return [nn.Linear(2, 2, rng=rng), nn.Conv2d(1, 1, 1, rng=rng), nn.ConvTranspose2d(1, 1, 1, rng=rng),
            nn.BatchNorm1d(2), nn.BatchNorm2d(1), nn.ReLU(), nn.LeakyReLU(), nn.Sigmoid(), nn.Tanh(),
            nn.Flatten(), nn.Reshape((2,)), nn.Sequential(nn.Linear(2, 2, rng=rng), nn.ReLU())]


# ---------------------------------------------------------------------- registration, names
def test_dotted_names_and_live_arrays():
    m = TwoHead(rng_())
    names = ["scale", "trunk.0.weight", "trunk.0.bias", "trunk.1.weight", "trunk.1.bias",
             "head.weight", "head.bias"]
    assert list(m.parameters()) == names
    assert list(m.gradients()) == names
    assert list(m.named_buffers()) == ["trunk.1.running_mean", "trunk.1.running_var"]
    assert m.parameters()["head.weight"] is m.head.params["weight"]
    assert m.gradients()["trunk.0.bias"] is m.trunk[0].grads["bias"]
    assert [n for n, _ in m.named_modules()] == ["", "trunk", "trunk.0", "trunk.1", "head"]
    assert m.num_parameters() == 1 + (12 + 4) + (4 + 4) + (8 + 2)
    for p, g in zip(m.parameters().values(), m.gradients().values()):
        assert g.shape == p.shape and g.dtype == p.dtype and not g.any()
    m.head = None                                   # un-registers the child
    assert "head.weight" not in m.parameters()


def test_child_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.layer = nn.ReLU()

    with pytest.raises(RuntimeError, match="super"):
        Bad()


def test_add_module_validation():
    m = nn.Module()
    with pytest.raises(ValueError, match="name"):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="module"):
        m.add_module("a", 3)
    m.add_module("act", nn.ReLU())
    assert m.act is dict(m.named_children())["act"]


def test_train_eval_propagate():
    m = TwoHead(rng_())
    assert m.eval() is m
    assert all(not mod.training for _, mod in m.named_modules())
    m.train()
    assert all(mod.training for _, mod in m.named_modules())
    with pytest.raises(TypeError, match="mode"):
        m.train("no")


def test_zero_grad():
    m = TwoHead(rng_())
    for g in m.gradients().values():
        g += 3.0
    m.zero_grad()
    assert all(not g.any() for g in m.gradients().values())


# ---------------------------------------------------------------------- state dicts
def test_state_dict_round_trip_in_place():
    src, dst = TwoHead(rng_(1)), TwoHead(rng_(2))
    src.trunk(rng_(3).standard_normal((5, 3)))       # move the running statistics
    state = src.state_dict()
    assert set(state) == set(src.parameters()) | set(src.named_buffers())
    state["head.bias"][...] = 7.0                   # a copy: the module is unaffected
    assert not np.any(src.head.params["bias"] == 7.0)
    ids = {k: id(v) for k, v in dst.parameters().items()}
    opt = Adam(dst)
    assert dst.load_state_dict(state) == ([], [])
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v, state[k], err_msg=k)
    assert {k: id(v) for k, v in dst.parameters().items()} == ids      # optimiser references stay valid
    assert opt.params[-1] is dst.head.params["bias"]


def test_load_state_dict_errors_and_non_strict():
    m = TwoHead(rng_())
    state = m.state_dict()
    before = m.state_dict()
    with pytest.raises(ValueError, match=r"missing keys \['head.bias'\]"):
        m.load_state_dict({k: v for k, v in state.items() if k != "head.bias"})
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        m.load_state_dict({**state, "extra": np.zeros(1)})
    bad = {**state, "head.weight": np.zeros((4, 2)), "scale": np.full(1, 9.0)}
    with pytest.raises(ValueError, match=r"head.weight.*shape \(4, 2\).*expected \(2, 4\)"):
        m.load_state_dict(bad)
    assert m.params["scale"][0] == before["scale"][0]                   # nothing was loaded
    with pytest.raises(TypeError, match="head.bias"):
        m.load_state_dict({**state, "head.bias": [0.0, 0.0]})
    with pytest.raises(TypeError, match="state"):
        m.load_state_dict([("scale", np.ones(1))])
    result = m.load_state_dict({"scale": np.full(1, 2.0), "other": np.zeros(2)}, strict=False)
    assert result.unexpected_keys == ["other"] and "head.bias" in result.missing_keys
    assert m.params["scale"][0] == 2.0


def test_load_float64_state_into_float32_model():
    a = nn.Linear(3, 2, rng=rng_(1), dtype=F64)
    b = nn.Linear(3, 2, rng=rng_(2))
    b.load_state_dict(a.state_dict())
    assert b.params["weight"].dtype == np.float32
    np.testing.assert_allclose(b.params["weight"], a.params["weight"], rtol=1e-6)


# ---------------------------------------------------------------------- cache protocol
@pytest.mark.parametrize("layer", _all_layers(), ids=lambda m: type(m).__name__)
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match="no pending forward"):
        layer.backward(np.zeros((2, 2), np.float32))


@pytest.mark.parametrize("layer", _all_layers(), ids=lambda m: type(m).__name__)
def test_second_backward_without_forward_raises(layer):
    shape = (2, 1, 2, 2) if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)) else (2, 2)
    y = layer(np.ones(shape, np.float32))
    layer.backward(np.ones_like(y))
    assert not layer.has_pending_forward
    with pytest.raises(RuntimeError, match="no pending forward"):
        layer.backward(np.ones_like(y))


def _disc(rng):
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=rng, dtype=F64, init_std=0.5),
                         nn.BatchNorm2d(2, dtype=F64), nn.LeakyReLU(0.2), nn.Flatten(),
                         nn.Linear(2 * 16, 1, rng=rng, dtype=F64, init_std=0.5))


def test_two_batch_recipe_gives_sum_of_separate_gradients():
    rng = rng_(5)
    d = _disc(rng)
    x_real, x_fake = rng.standard_normal((3, 1, 4, 4)), rng.standard_normal((3, 1, 4, 4)) + 1.0
    dl_real, dl_fake = rng.standard_normal((3, 1)), rng.standard_normal((3, 1))
    state = d.state_dict()

    separate = []
    for x, dl in ((x_real, dl_real), (x_fake, dl_fake)):
        d.load_state_dict(state)
        d.zero_grad()
        out = d(x)
        d.backward(dl)
        separate.append((out, {k: g.copy() for k, g in d.gradients().items()}))

    d.load_state_dict(state)
    d.zero_grad()
    out_real = d(x_real)
    d.backward(dl_real)
    out_fake = d(x_fake)
    d.backward(dl_fake)
    np.testing.assert_allclose(out_real, separate[0][0], rtol=1e-13)
    np.testing.assert_allclose(out_fake, separate[1][0], rtol=1e-13)    # own BN statistics
    for k, g in d.gradients().items():
        np.testing.assert_allclose(g, separate[0][1][k] + separate[1][1][k], rtol=1e-12, atol=1e-15,
                                   err_msg=k)


def test_forward_twice_then_backward_uses_latest_forward():
    rng = rng_(6)
    d = _disc(rng)
    x1, x2 = rng.standard_normal((2, 1, 4, 4)), rng.standard_normal((2, 1, 4, 4))
    dl = rng.standard_normal((2, 1))
    d(x2)
    d.backward(dl)
    expected = {k: g.copy() for k, g in d.gradients().items()}
    d.zero_grad()
    d(x1)
    d(x2)                                           # overwrites the cache of x1
    d.backward(dl)
    for k, g in d.gradients().items():
        np.testing.assert_allclose(g, expected[k], rtol=1e-12, err_msg=k)
    with pytest.raises(RuntimeError):
        d.backward(dl)                              # the x1 cache is gone too


def test_shared_trunk_recipe():
    rng = rng_(7)
    trunk = nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=F64, init_std=0.5), nn.Tanh())
    d_head = nn.Linear(4, 1, rng=rng, dtype=F64, init_std=0.5)
    q_head = nn.Linear(4, 2, rng=rng, dtype=F64, init_std=0.5)
    x = rng.standard_normal((5, 3))
    dl_d, dl_q = rng.standard_normal((5, 1)), rng.standard_normal((5, 2))

    h = trunk(x)
    d_head(h)
    dh_d = d_head.backward(dl_d)
    q_head(h)
    dh_q = q_head.backward(dl_q)
    dx = trunk.backward(dh_d + dh_q)
    combined = {k: g.copy() for k, g in trunk.gradients().items()}

    parts, dxs = [], []
    for head, dl in ((d_head, dl_d), (q_head, dl_q)):
        trunk.zero_grad()
        head(trunk(x))
        dxs.append(trunk.backward(head.backward(dl)))
        parts.append({k: g.copy() for k, g in trunk.gradients().items()})
    for k in combined:
        np.testing.assert_allclose(combined[k], parts[0][k] + parts[1][k], rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(dx, dxs[0] + dxs[1], rtol=1e-12)


def test_need_dx_false_skips_input_gradient_but_accumulates():
    rng = rng_(8)
    for make in (lambda: _disc(rng_(9)), lambda: nn.ConvTranspose2d(1, 2, 3, rng=rng_(9), dtype=F64)):
        a, b = make(), make()
        x = rng.standard_normal((2, 1, 4, 4))
        ya, yb = a(x), b(x)
        dy = rng.standard_normal(ya.shape)
        assert a.backward(dy, need_dx=False) is None
        assert b.backward(dy).shape == x.shape
        for k, g in a.gradients().items():
            np.testing.assert_allclose(g, b.gradients()[k], rtol=1e-14, err_msg=k)


# ---------------------------------------------------------------------- Sequential
def test_sequential_container():
    rng = rng_()
    seq = nn.Sequential(nn.Linear(2, 3, rng=rng), nn.ReLU())
    assert len(seq) == 2 and isinstance(seq[0], nn.Linear) and seq[-1] is seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU"]
    seq.append(nn.Linear(3, 1, rng=rng))
    assert list(seq.parameters()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(TypeError):
        seq["0"]
    assert "(2): Linear(3, 1" in repr(seq)
    empty = nn.Sequential()
    x = np.ones((2, 2), np.float32)
    assert empty(x) is x and empty.backward(x) is x


@pytest.mark.parametrize("reset", ["module", "optimizer"])
def test_backward_after_zero_grad_writes_what_it_would_add(reset):
    # After a reset the first backward writes its gradients instead of adding them to zeros (one
    # pass fewer); the arrays must be those of the add, to the bit, and a second backward must add.
    rng = rng_(7)
    d = _disc(rng)
    opt = Adam(d, lr=1e-3)
    x1, x2 = rng.standard_normal((3, 1, 4, 4)), rng.standard_normal((3, 1, 4, 4))
    dl1, dl2 = rng.standard_normal((3, 1)), rng.standard_normal((3, 1))
    for _, sub in d.named_modules():                   # the plain path: zeros, then +=
        for g in sub.grads.values():
            g.fill(0)
        sub._zero_grads = set()
    d(x1)
    d.backward(dl1)
    first = {k: g.copy() for k, g in d.gradients().items()}
    d(x2)
    d.backward(dl2)
    expected = {k: g.copy() for k, g in d.gradients().items()}
    for g in d.gradients().values():                   # stale values that a reset must clear
        g.fill(7.0)
    (d.zero_grad if reset == "module" else opt.zero_grad)()
    assert all(not g.any() for g in d.gradients().values())
    d(x1)
    d.backward(dl1)
    for k, g in d.gradients().items():
        np.testing.assert_array_equal(g, first[k], err_msg=k)
    d(x2)
    d.backward(dl2)
    for k, g in d.gradients().items():
        np.testing.assert_array_equal(g, expected[k], err_msg=k)
