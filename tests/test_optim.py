"""Tests of npgan.optim: hand-worked Adam/SGD updates, dtype, state dicts, validation."""

import math

import numpy as np
import pytest

from npgan import nn
from npgan.optim import SGD, Adam


class Tiny(nn.Module):
    """One parameter vector ``w`` with a gradient set by the test."""

    def __init__(self, value, dtype=np.float64):
        super().__init__()
        self._add_param("w", np.array(value, dtype=dtype))


GRADS = [np.array([0.5, -1.0]), np.array([0.1, 0.0]), np.array([-0.2, 2.0])]


def _run(opt, mod, grads):
    for g in grads:
        opt.zero_grad()
        mod.grads["w"] += g
        opt.step()


def test_adam_first_three_steps_match_hand_computation():
    mod = Tiny([1.0, -2.0])
    opt = Adam(mod, lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    # Step 1, g = [0.5, -1]: m = 0.1 g = [0.05, -0.1]; v = 0.001 g² = [0.00025, 0.001];
    # bias corrections 1 - 0.9 = 0.1, 1 - 0.999 = 0.001 -> m̂ = g, v̂ = g²;
    # update = 0.1 m̂ / (sqrt(v̂) + 1e-8) = [0.1·0.5/0.50000001, -0.1·1/1.00000001]
    #        = [0.099999998, -0.099999999]; p = [0.900000002, -1.900000001].
    # Step 2, g = [0.1, 0]: m = 0.9 m + 0.1 g = [0.055, -0.09];
    # v = 0.999 v + 0.001 g² = [0.00024975 + 0.00001, 0.000999] = [0.00025975, 0.000999];
    # corrections 1 - 0.81 = 0.19, 1 - 0.998001 = 0.001999 -> m̂ = [0.28947368421, -0.47368421053],
    # v̂ = [0.12993996998, 0.49974987494]; update = [0.08030409562, -0.06700582447];
    # p = [0.81969590638, -1.83299417653].
    # Step 3, g = [-0.2, 2]: m = [0.0495 - 0.02, -0.081 + 0.2] = [0.0295, 0.119];
    # v = [0.00025949025 + 0.00004, 0.000998001 + 0.004] = [0.00029949025, 0.004998001];
    # corrections 1 - 0.729 = 0.271, 1 - 0.997002999 = 0.002997001 ->
    # m̂ = [0.10885608856, 0.43911439114], v̂ = [0.09992998000, 1.66766744489];
    # update = [0.03443537455, 0.03400344678]; p = [0.78526053184, -1.86699762331].
    expected = [
        ([0.05, -0.1], [0.00025, 0.001], [0.900000002, -1.900000001]),
        ([0.055, -0.09], [0.00025975, 0.000999], [0.8196959063846518, -1.8329941765341886]),
        ([0.0295, 0.119], [0.00029949025, 0.004998001], [0.785260531835489, -1.8669976233097783]),
    ]
    for step, (g, (m, v, p)) in enumerate(zip(GRADS, expected), start=1):
        opt.zero_grad()
        mod.grads["w"] += g
        opt.step()
        assert opt.step_count == step
        np.testing.assert_allclose(opt.state["m"][0], m, rtol=1e-12)
        np.testing.assert_allclose(opt.state["v"][0], v, rtol=1e-12)
        np.testing.assert_allclose(mod.params["w"], p, rtol=1e-12)
    # The step-2 update written out from the formula, as a cross-check of the literals.
    u2 = 0.1 * (0.055 / 0.19) / (math.sqrt(0.00025975 / 0.001999) + 1e-8)
    assert u2 == pytest.approx(0.900000002 - 0.8196959063846518, rel=1e-12)


def test_sgd_momentum_three_steps_match_hand_computation():
    mod = Tiny([1.0, -2.0])
    opt = SGD(mod, lr=0.1, momentum=0.9)
    # buf = 0.9 buf + g; p -= 0.1 buf
    # 1: buf = [0.5, -1];                                  p = [0.95, -1.9]
    # 2: buf = [0.45 + 0.1, -0.9 + 0] = [0.55, -0.9];       p = [0.895, -1.81]
    # 3: buf = [0.495 - 0.2, -0.81 + 2] = [0.295, 1.19];    p = [0.8655, -1.929]
    expected = [([0.5, -1.0], [0.95, -1.9]), ([0.55, -0.9], [0.895, -1.81]),
                ([0.295, 1.19], [0.8655, -1.929])]
    for g, (buf, p) in zip(GRADS, expected):
        opt.zero_grad()
        mod.grads["w"] += g
        opt.step()
        np.testing.assert_allclose(opt.state["momentum_buffer"][0], buf, rtol=1e-12)
        np.testing.assert_allclose(mod.params["w"], p, rtol=1e-12)


def test_sgd_without_momentum_is_plain_gradient_descent():
    mod = Tiny([1.0, -2.0])
    opt = SGD(mod, lr=0.5)
    _run(opt, mod, GRADS[:1])
    np.testing.assert_allclose(mod.params["w"], [0.75, -1.5], rtol=1e-15)


@pytest.mark.parametrize("make", [lambda m: Adam(m, lr=1e-2), lambda m: SGD(m, lr=1e-2, momentum=0.5)])
def test_float32_parameters_stay_float32_and_are_updated_in_place(make):
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.Linear(4, 2, rng=rng))
    opt = make(net)
    before = {k: (id(p), p.copy()) for k, p in net.parameters().items()}
    for g in net.gradients().values():
        g[...] = rng.standard_normal(g.shape)
    opt.step()
    for k, p in net.parameters().items():
        assert p.dtype == np.float32, k
        assert id(p) == before[k][0], k
        assert not np.array_equal(p, before[k][1]), k
    for arrays in opt.state.values():
        assert all(a.dtype == np.float32 for a in arrays)


def test_zero_grad_clears_all_gradients():
    rng = np.random.default_rng(1)
    a, b = nn.Linear(2, 2, rng=rng), nn.Linear(2, 3, rng=rng)
    opt = Adam([a, b])
    for g in list(a.gradients().values()) + list(b.gradients().values()):
        g += 1.0
    opt.zero_grad()
    assert all(not g.any() for g in list(a.gradients().values()) + list(b.gradients().values()))


def test_equal_names_in_several_modules_do_not_collide_and_shared_params_update_once():
    rng = np.random.default_rng(2)
    trunk = nn.Linear(2, 2, rng=rng)
    head = nn.Linear(2, 1, rng=rng)
    net_d = nn.Sequential(trunk, head)
    opt = SGD([net_d, trunk, head], lr=1.0)   # trunk and head reachable twice
    assert len(opt.params) == 4
    w0 = trunk.params["weight"].copy()
    trunk.grads["weight"][...] = 1.0
    opt.step()
    np.testing.assert_allclose(trunk.params["weight"], w0 - 1.0)


def test_adam_state_dict_round_trip_resumes_identically():
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(2) for _ in range(6)]
    ref = Tiny([0.3, -0.7])
    opt_ref = Adam(ref, lr=0.05, betas=(0.5, 0.99))
    _run(opt_ref, ref, grads)

    first = Tiny([0.3, -0.7])
    opt1 = Adam(first, lr=0.05, betas=(0.5, 0.99))
    _run(opt1, first, grads[:3])
    state = opt1.state_dict()
    mstate = first.state_dict()
    _run(opt1, first, [np.ones(2)])           # later changes must not leak into the saved copy

    resumed = Tiny([9.0, 9.0])
    resumed.load_state_dict(mstate)
    opt2 = Adam(resumed, lr=1.0)
    opt2.load_state_dict(state)
    assert opt2.step_count == 3 and opt2.lr == 0.05 and opt2.betas == (0.5, 0.99)
    _run(opt2, resumed, grads[3:])
    np.testing.assert_allclose(resumed.params["w"], ref.params["w"], rtol=1e-14)


def test_sgd_state_dict_round_trip_and_npz_friendly_scalars(tmp_path):
    mod = Tiny([1.0, 2.0])
    opt = SGD(mod, lr=0.1, momentum=0.9)
    _run(opt, mod, GRADS[:2])
    path = tmp_path / "opt.npz"
    np.savez(path, **opt.state_dict())
    with np.load(path) as f:
        loaded = {k: f[k] for k in f.files}        # scalars come back as 0-d arrays
    opt2 = SGD(Tiny([0.0, 0.0]), lr=0.5)
    opt2.load_state_dict(loaded)
    assert opt2.step_count == 2 and opt2.momentum == 0.9 and opt2.lr == pytest.approx(0.1)
    assert isinstance(opt2.lr, float)
    np.testing.assert_allclose(opt2.state["momentum_buffer"][0], [0.55, -0.9])


def test_optimizer_load_state_dict_rejects_mismatches():
    opt = Adam(Tiny([1.0, 2.0]))
    state = opt.state_dict()
    other = Adam(Tiny([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"m\.0.*shape"):
        other.load_state_dict(state)
    two = Adam([Tiny([1.0]), Tiny([2.0])])
    with pytest.raises(ValueError, match="missing keys"):
        two.load_state_dict(Adam(Tiny([1.0])).state_dict())
    bad = dict(state, step=-1)
    with pytest.raises(ValueError, match="step"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match="unexpected"):
        opt.load_state_dict(dict(state, extra=1))
    bad_lr = dict(state, lr=-1.0)
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(bad_lr)
    assert opt.lr == 1e-3                       # a rejected state changes nothing
    with pytest.raises(ValueError, match="missing keys"):
        opt.load_state_dict(SGD(Tiny([1.0, 2.0]), lr=0.1).state_dict())


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=-1e-3), ValueError, "lr"),
    (dict(lr="0.1"), TypeError, "lr"),
    (dict(betas=(1.0, 0.999)), ValueError, "betas"),
    (dict(betas=(0.9, -0.1)), ValueError, "betas"),
    (dict(betas=0.9), TypeError, "betas"),
    (dict(eps=0.0), ValueError, "eps"),
    (dict(lr=float("nan")), ValueError, "lr"),
])
def test_adam_hyperparameter_validation(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        Adam(Tiny([1.0]), **kwargs)


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=0.1, momentum=1.0), ValueError, "momentum"),
    (dict(lr=0.1, momentum=-0.5), ValueError, "momentum"),
])
def test_sgd_hyperparameter_validation(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        SGD(Tiny([1.0]), **kwargs)


def test_modules_argument_validation_and_lr_setter():
    with pytest.raises(TypeError, match="modules"):
        Adam(np.zeros(3))
    with pytest.raises(TypeError, match=r"modules\[1\]"):
        Adam([Tiny([1.0]), "x"])
    with pytest.raises(ValueError, match="no parameters"):
        Adam(nn.ReLU())
    opt = Adam(Tiny([1.0]))
    opt.lr = 2e-4
    assert opt.lr == 2e-4
    with pytest.raises(ValueError, match="lr"):
        opt.lr = 0
