"""Module.requires_grad_: backward without parameter gradients (same dx), and its use in the G step."""

import numpy as np
import pytest

from npgan import nn
from npgan.kernels import conv as kconv
from npgan.kernels.layout import as_batch_inner
from npgan.train import build_trainer
from tiny_nets import random_images, tiny_config

SENTINEL = 0.25   # grads are pre-filled with this: "left as they are" means still exactly this


def _layers(dtype=np.float64):
    rng = np.random.default_rng(0)
    return {
        "linear": (nn.Linear(6, 4, rng=rng, dtype=dtype), (5, 6)),
        "linear_nobias": (nn.Linear(6, 4, bias=False, rng=rng, dtype=dtype), (5, 6)),
        "conv": (nn.Conv2d(3, 4, 3, stride=2, padding=1, rng=rng, dtype=dtype), (2, 3, 7, 7)),
        "conv_nobias": (nn.Conv2d(3, 4, 3, bias=False, rng=rng, dtype=dtype), (2, 3, 6, 6)),
        "convT": (nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, rng=rng, dtype=dtype), (2, 3, 5, 5)),
        "bn1d": (nn.BatchNorm1d(4, rng=rng, dtype=dtype), (6, 4)),
        "bn2d": (nn.BatchNorm2d(3, rng=rng, dtype=dtype), (2, 3, 4, 4)),
        "sequential": (nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, rng=rng, dtype=dtype),
                                     nn.BatchNorm2d(3, rng=rng, dtype=dtype), nn.LeakyReLU(0.1),
                                     nn.Flatten(), nn.Linear(3 * 5 * 5, 2, rng=rng, dtype=dtype)),
                       (4, 2, 5, 5)),
    }


def _backward(layer, x, dy, **kw):
    layer.forward(x)
    return layer.backward(dy, **kw)


@pytest.fixture(params=["nchw", "batch-inner"])
def im2col_order(request):
    """The input's memory layout: the conv kernels transpose a C-contiguous one, read a batch-inner one."""
    return request.param


@pytest.mark.parametrize("name", list(_layers()))
@pytest.mark.parametrize("training", [True, False])
def test_frozen_backward_same_dx_grads_untouched_then_restored(name, training, im2col_order):
    layer, shape = _layers()[name]
    layer.train(training)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    if im2col_order == "batch-inner" and x.ndim == 4:
        x = as_batch_inner(x)
    dy = rng.standard_normal(layer.forward(x).shape)
    layer.backward(dy)
    layer.zero_grad()
    dx_ref = _backward(layer, x, dy)
    grads_ref = {k: g.copy() for k, g in layer.gradients().items()}
    assert all(np.any(g != 0) for g in grads_ref.values())

    assert layer.requires_grad_(False) is layer
    assert all(not m.requires_grad for _, m in layer.named_modules())
    for g in layer.gradients().values():
        g.fill(SENTINEL)
    dx = _backward(layer, x, dy)
    np.testing.assert_array_equal(dx, dx_ref)
    for k, g in layer.gradients().items():
        assert np.all(g == SENTINEL), f"{name}: gradient {k} changed while requires_grad is False"
    assert not layer.has_pending_forward          # the cache is consumed as usual

    layer.requires_grad_(True)
    layer.zero_grad()
    np.testing.assert_array_equal(_backward(layer, x, dy), dx_ref)
    for k, g in layer.gradients().items():
        np.testing.assert_array_equal(g, grads_ref[k], err_msg=f"{name}: {k} after requires_grad_(True)")
    _backward(layer, x, dy)                       # and it accumulates again
    for k, g in layer.gradients().items():
        np.testing.assert_allclose(g, 2 * grads_ref[k], rtol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", ["conv", "sequential", "linear"])
def test_frozen_and_no_dx_returns_none_and_touches_nothing(name):
    layer, shape = _layers()[name]
    x = np.random.default_rng(2).standard_normal(shape)
    dy = np.ones_like(layer.forward(x))
    layer.requires_grad_(False)
    for g in layer.gradients().values():
        g.fill(SENTINEL)
    assert layer.backward(dy, need_dx=False) is None
    assert all(np.all(g == SENTINEL) for g in layer.gradients().values())


@pytest.mark.parametrize("kernel", ["conv2d", "conv_transpose2d"])
def test_conv_kernels_skip_weight_gradient(kernel, im2col_order):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6))
    if kernel == "conv2d":
        w = rng.standard_normal((4, 3, 3, 3))
        y, ctx = kconv.conv2d_forward(x, w, np.zeros(4), 2, 1)
        back = kconv.conv2d_backward
    else:
        w = rng.standard_normal((3, 4, 3, 3))
        y, ctx = kconv.conv_transpose2d_forward(x, w, np.zeros(4), 2, 1, 1)
        back = kconv.conv_transpose2d_backward
    dy = rng.standard_normal(y.shape)
    dx_ref, dw_ref, db_ref = back(dy, ctx)
    assert dw_ref is not None and db_ref is not None
    dx, dw, db = back(dy, ctx, need_dw=False)
    assert dw is None and db is None
    np.testing.assert_array_equal(dx, dx_ref)


def test_requires_grad_flag_defaults_and_validation():
    seq = _layers()["sequential"][0]
    assert seq.requires_grad and all(m.requires_grad for _, m in seq.named_modules())
    seq[0].requires_grad_(False)              # a child alone
    assert not seq[0].requires_grad and seq[4].requires_grad and seq.requires_grad
    seq.requires_grad_()                      # default: True, for all
    assert all(m.requires_grad for _, m in seq.named_modules())
    with pytest.raises(TypeError, match="flag"):
        seq.requires_grad_(0)
    # Training mode and requires_grad are independent.
    seq.requires_grad_(False)
    assert seq.training and seq[1].training


# ------------------------------------------------------------------ the G step

def _trainer(seed=0, **kw):
    return build_trainer(tiny_config(**kw), seed, random_images(24, seed=123))


def _d_modules(nets):
    return {"trunk": nets.trunk, "d_head": nets.d_head, "q_head": nets.q_head}


@pytest.mark.parametrize("gan_baseline", [False, True])
def test_g_step_leaves_d_gradients_alone_and_fills_g_gradients(gan_baseline):
    trainer, stream = _trainer(gan_baseline=gan_baseline)
    nets = trainer.nets
    trainer.d_step(stream.next())
    after_d = {f"{n}.{k}": g.copy() for n, m in _d_modules(nets).items() for k, g in m.gradients().items()}
    assert any(np.any(g != 0) for g in after_d.values())
    trainer.g_step(8)
    for n, m in _d_modules(nets).items():
        for k, g in m.gradients().items():
            np.testing.assert_array_equal(g, after_d[f"{n}.{k}"], err_msg=f"g_step touched {n}.{k}")
    # From zero D gradients, the G step leaves them all zero while G gets its gradients.
    trainer.opt_d.zero_grad()
    trainer.g_step(8)
    for n, m in _d_modules(nets).items():
        for k, g in m.gradients().items():
            assert not np.any(g), f"g_step accumulated into {n}.{k}"
    g_grads = nets.G.gradients()
    assert all(np.any(g != 0) for g in g_grads.values()), "some G gradient is all zero after g_step"
    # ... and D is trainable again afterwards.
    assert all(m.requires_grad for mod in _d_modules(nets).values() for _, m in mod.named_modules())


def test_g_step_update_identical_to_backward_with_d_gradients(monkeypatch):
    """Skipping D's weight gradients changes nothing in G's update (bit for bit)."""
    results = []
    for freeze in (True, False):
        trainer, stream = _trainer(seed=5)
        x = stream.next()
        with monkeypatch.context() as mp:
            if not freeze:   # the behaviour before requires_grad_: D's gradients accumulated too
                mp.setattr(nn.Module, "requires_grad_", lambda self, flag=True: self)
            trainer.d_step(x)
            loss = trainer.g_step(8)
        results.append((loss, {k: p.copy() for k, p in trainer.nets.G.parameters().items()},
                        {k: g.copy() for k, g in trainer.nets.G.gradients().items()}))
    (loss_a, params_a, grads_a), (loss_b, params_b, grads_b) = results
    assert loss_a == loss_b
    for k in params_a:
        np.testing.assert_array_equal(grads_a[k], grads_b[k], err_msg=k)
        np.testing.assert_array_equal(params_a[k], params_b[k], err_msg=k)


def test_g_step_restores_requires_grad_on_error(monkeypatch):
    trainer, stream = _trainer()
    trainer.d_step(stream.next())

    def boom(*args, **kwargs):
        raise FloatingPointError("injected")

    monkeypatch.setattr(trainer, "info_terms", boom)
    with pytest.raises(FloatingPointError, match="injected"):
        trainer.g_step(8)
    assert all(m.requires_grad for mod in _d_modules(trainer.nets).values() for _, m in mod.named_modules())
