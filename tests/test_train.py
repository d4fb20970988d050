"""InfoGAN training: updates, separation of D and G steps, determinism, checkpoints, resume, guards."""

import json

import numpy as np
import pytest

from npgan.models import InfoGANNets
from npgan.run import load_checkpoint, save_checkpoint
from npgan.run.folder import CHECKPOINT_NAME, METRICS_NAME
from npgan.testing import numerical_partial
from npgan.train import (InfoGANTrainer, TrainingDiverged, TrainingInterrupted, TrainOptions, build_trainer,
                         load_trained, train)
from tiny_nets import random_images, tiny_config


@pytest.fixture(scope="module")
def images():
    # Random noise in [0, 1]: enough for the mechanics; quality is tested elsewhere.
    return random_images(40, seed=123)


def flat(module_dict):
    return {k: v.copy() for k, v in module_dict.items()}


def test_updates_run_with_finite_losses(images):
    trainer, stream = build_trainer(tiny_config(), 0, images)
    for _ in range(3):
        stats = trainer.update(stream.next())
        assert stats.finite()
        assert 0.0 <= stats.d_real <= 1.0 and 0.0 <= stats.d_fake <= 1.0
        # L_I for the categorical code can never exceed H(c) = ln 3.
        assert stats.li_cat <= np.log(3) + 1e-6


def test_d_step_leaves_g_unchanged_and_g_step_leaves_d_unchanged(images):
    trainer, stream = build_trainer(tiny_config(), 1, images)
    nets = trainer.nets
    g_before = flat(nets.G.parameters())
    d_before = {n: flat(m.parameters()) for n, m in nets.modules().items() if n != "G"}
    trainer.d_step(stream.next())
    for k, v in nets.G.parameters().items():
        np.testing.assert_array_equal(v, g_before[k], err_msg=f"D step changed G.{k}")
    changed = any(not np.array_equal(v, d_before["trunk"][k]) for k, v in nets.trunk.parameters().items())
    assert changed, "the D step did not update the trunk"
    d_after = {n: flat(m.parameters()) for n, m in nets.modules().items() if n != "G"}
    trainer.g_step(8)
    for n, params in d_after.items():
        for k, v in nets.modules()[n].parameters().items():
            np.testing.assert_array_equal(v, params[k], err_msg=f"G step changed {n}.{k}")
    assert any(not np.array_equal(v, g_before[k]) for k, v in nets.G.parameters().items())


def _trunk_grads_after_d_step(config, images):
    trainer, stream = build_trainer(config, 7, images)
    trainer.d_step(stream.next())
    return flat(trainer.nets.trunk.gradients()), flat(trainer.nets.q_head.gradients())


def test_information_term_reaches_the_trunk_but_not_in_the_baseline(images):
    info, q_info = _trunk_grads_after_d_step(tiny_config(), images)
    no_info, _ = _trunk_grads_after_d_step(tiny_config(lambda_cat=0.0, lambda_cont=0.0), images)
    base, q_base = _trunk_grads_after_d_step(tiny_config(gan_baseline=True), images)
    key = next(iter(info))
    assert not np.allclose(info[key], no_info[key]), "L_I does not train the shared trunk"
    for k in info:  # baseline: Q is a detached probe, the trunk sees only the GAN loss
        np.testing.assert_array_equal(base[k], no_info[k])
    # ... yet the probe itself is trained on its own objective
    assert all(np.any(v != 0) for v in q_base.values())


def test_same_seed_same_numbers(images, networks):
    runs = []
    for _ in range(2):
        trainer, stream = build_trainer(tiny_config(), 3, images)
        runs.append([trainer.update(stream.next()).as_dict() for _ in range(3)])
    assert runs[0] == runs[1]
    trainer, stream = build_trainer(tiny_config(), 4, images)
    assert trainer.update(stream.next()).as_dict() != runs[0][0]


def _g_objective(trainer, rng_state):
    """G-step objective at the current G parameters (the same latent sample each time)."""
    nets = trainer.nets
    trainer.rng.bit_generator.state = rng_state
    from npgan.nn import losses
    x_fake, cat, cont = trainer.sample_fake(8)
    h = nets.trunk(x_fake)
    logit = nets.d_head(h)
    g_loss, _ = losses.bce_with_logits(logit, np.ones_like(logit))
    info = trainer.info_terms(nets.q_head(h), cat, cont)
    cfg = trainer.config
    assert info.share == cfg.lambda_cat * info.li_cat + cfg.lambda_cont * info.li_cont
    return g_loss - cfg.lambda_cat * info.li_cat - cfg.lambda_cont * info.li_cont


def test_g_step_gradient_matches_finite_differences_float64(images):
    """End-to-end backprop check of the full G objective (GAN loss + info term through Q and trunk)."""
    config = tiny_config()
    nets = InfoGANNets(config, np.random.default_rng(0), dtype=np.float64)
    trainer = InfoGANTrainer(nets, np.random.default_rng(1))
    nets.train()
    state = trainer.rng.bit_generator.state
    # analytic gradient: replay g_step's backward without the optimiser update
    for m in nets.modules().values():
        m.zero_grad()
    from npgan.nn import losses
    x_fake, cat, cont = trainer.sample_fake(8)
    h = nets.trunk(x_fake)
    logit = nets.d_head(h)
    _, dlogit = losses.bce_with_logits(logit, np.ones_like(logit))
    dh = nets.d_head.backward(dlogit)
    dq = trainer.info_terms(nets.q_head(h), cat, cont).dq  # already weighted by the lambdas
    dh += nets.q_head.backward(dq)
    nets.G.backward(nets.trunk.backward(dh))
    grads = nets.G.gradients()
    rng = np.random.default_rng(5)
    checked = 0
    for name in ["0.weight", "3.weight", "7.weight", "10.weight", "10.bias"]:
        p = nets.G.parameters()[name]
        for _ in range(2):
            idx = tuple(int(rng.integers(0, s)) for s in p.shape)
            num = numerical_partial(lambda: _g_objective(trainer, state), p, idx, eps=1e-5)
            ana = grads[name][idx]
            assert abs(num - ana) <= 1e-6 * max(1e-3, abs(num) + abs(ana)) + 1e-9, (name, idx, num, ana)
            checked += 1
    assert checked == 10


def test_checkpoint_round_trip_and_resume_is_exact(images, tmp_path, networks):
    config = tiny_config()
    straight = train(config, images, TrainOptions(updates=6, seed=2, out_dir=tmp_path / "a",
                                                  checkpoint_every=100, progress=False))[0]
    train(config, images, TrainOptions(updates=3, seed=2, out_dir=tmp_path / "b", progress=False))
    resumed = train(config, images, TrainOptions(updates=6, out_dir=tmp_path / "b", progress=False),
                    resume=True)[0]
    for k, v in straight.nets.state_dict().items():
        np.testing.assert_array_equal(v, resumed.nets.state_dict()[k], err_msg=k)
    a = (tmp_path / "a" / METRICS_NAME).read_text().splitlines()
    b = (tmp_path / "b" / METRICS_NAME).read_text().splitlines()
    strip = lambda lines: [{k: v for k, v in json.loads(x).items() if k != "seconds"} for x in lines]
    assert strip(a) == strip(b) and len(a) == 6
    nets, meta = load_trained(tmp_path / "b")
    assert meta["update"] == 6 and meta["seed"] == 2
    for k, v in nets.state_dict().items():
        np.testing.assert_array_equal(v, straight.nets.state_dict()[k])


def test_checkpoint_format_keeps_nested_state(tmp_path):
    state = {"a": np.arange(3, dtype=np.float32), "b": [1, 2.5, None, "x", {"c": np.eye(2)}],
             "rng": np.random.default_rng(0).bit_generator.state}
    p = save_checkpoint(tmp_path / "s.npz", state)
    back = load_checkpoint(p)
    np.testing.assert_array_equal(back["a"], state["a"])
    assert back["a"].dtype == np.float32
    assert back["b"][:4] == [1, 2.5, None, "x"]
    np.testing.assert_array_equal(back["b"][4]["c"], np.eye(2))
    assert back["rng"] == state["rng"]
    assert not list(tmp_path.glob("*.tmp"))
    (tmp_path / "bad.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.npz"):
        load_checkpoint(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.npz")


def test_interrupt_saves_checkpoint_and_resume_continues(images, tmp_path, networks):
    config = tiny_config()
    opts = TrainOptions(updates=5, seed=9, out_dir=tmp_path, checkpoint_every=100, progress=False)

    def stop_at_2(update, stats, trainer):
        if update == 2:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted, match="update 2"):
        train(config, images, opts, callback=stop_at_2)
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["update"] == 2
    resumed = train(config, images, opts, resume=True)[0]
    straight = train(config, images, TrainOptions(updates=5, seed=9, out_dir=tmp_path / "s",
                                                  progress=False))[0]
    for k, v in straight.nets.state_dict().items():
        np.testing.assert_array_equal(v, resumed.nets.state_dict()[k], err_msg=k)


def test_nan_aborts_and_keeps_last_good_checkpoint(images, tmp_path, monkeypatch):
    config = tiny_config()
    opts = TrainOptions(updates=6, seed=0, out_dir=tmp_path, checkpoint_every=2, progress=False)
    real_update = InfoGANTrainer.update
    calls = {"n": 0}

    def flaky(self, x):
        calls["n"] += 1
        stats = real_update(self, x)
        if calls["n"] == 4:
            stats.d_loss = float("nan")
        return stats

    monkeypatch.setattr(InfoGANTrainer, "update", flaky)
    with pytest.raises(TrainingDiverged, match="update 4"):
        train(config, images, opts)
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["update"] == 2


def test_bad_inputs_are_rejected(images, tmp_path):
    with pytest.raises(TypeError, match="images"):
        train(tiny_config(), images.astype(np.float64), TrainOptions(updates=1, out_dir=tmp_path))
    with pytest.raises(ValueError, match="images"):
        train(tiny_config(), images[:, :, :14], TrainOptions(updates=1, out_dir=tmp_path))
    with pytest.raises(ValueError, match="batch_size"):
        build_trainer(tiny_config(batch_size=64), 0, images)
    with pytest.raises(ValueError, match="q_std"):
        tiny_config(q_std="sometimes")
    with pytest.raises(ValueError, match="lr_d"):
        tiny_config(lr_d=0.0)
    with pytest.raises(ValueError, match="updates"):
        TrainOptions(updates=0)
