"""Stopping (Ctrl-C, SIGTERM, a second signal) and diverging (NaN losses, layers, states) end cleanly and truthfully;
a resumed run prints and plots its own settings."""

from __future__ import annotations

import os
import signal
import warnings

import numpy as np
import pytest

import npgan.run.checkpoint as ckpt
import npgan.train.loop as loop
from npgan.cli import main
from npgan.run import load_checkpoint
from npgan.train import InfoGANTrainer, TrainingDiverged, TrainingInterrupted, TrainOptions, train
from tiny_nets import SMALL_LATENT, random_images, tiny_config
from tiny_nets import TINY_TRAIN_ARGS as TINY

pytestmark = pytest.mark.usefixtures("tiny_nets")


@pytest.fixture(scope="module")
def images():
    return random_images(32, seed=3)


def config():
    return tiny_config(SMALL_LATENT)


def options(tmp_path, **kw):
    return TrainOptions(**{"updates": 6, "seed": 1, "out_dir": tmp_path / "run", "checkpoint_every": 2,
                           "progress": False, "check_every": 1, **kw})


# ------------------------------------------------------------------ signals
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_after_the_update_with_a_checkpoint(sig, status, images, tmp_path, caplog):
    def send(update, stats, trainer):
        if update == 3:
            os.kill(os.getpid(), sig)
    with pytest.raises(TrainingInterrupted, match="at update 3; checkpoint saved") as info:
        train(config(), images, options(tmp_path), callback=send)
    assert info.value.exit_status == status
    assert load_checkpoint(tmp_path / "run" / "checkpoint.npz")["update"] == 3
    assert "stopping after this update" in caplog.text
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_a_second_signal_during_the_final_save_waits_for_it(images, tmp_path, monkeypatch, caplog):
    real = ckpt.save_checkpoint

    def save_while_interrupted(path, state):
        os.kill(os.getpid(), signal.SIGINT)  # the impatient second Ctrl-C, while writing
        return real(path, state)
    monkeypatch.setattr(loop, "save_checkpoint", save_while_interrupted)
    with pytest.raises(TrainingInterrupted, match="at update 1; checkpoint saved"):
        train(config(), images, options(tmp_path), callback=lambda u, s, t: os.kill(os.getpid(), signal.SIGINT))
    assert "a checkpoint is being written; it finishes first" in caplog.text
    assert load_checkpoint(tmp_path / "run" / "checkpoint.npz")["update"] == 1


def test_a_second_signal_inside_an_update_stops_at_once_keeping_the_last_checkpoint(images, tmp_path, monkeypatch):
    real = InfoGANTrainer.update

    def update(self, x):
        if self.updates_done == 2:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, x)
    monkeypatch.setattr(InfoGANTrainer, "update", update)
    with pytest.raises(TrainingInterrupted, match="inside update 3; the last good checkpoint, .* holds update 2"):
        train(config(), images, options(tmp_path))
    assert load_checkpoint(tmp_path / "run" / "checkpoint.npz")["update"] == 2


def test_the_command_line_exits_130_or_143_with_one_line(tmp_path, monkeypatch, capsys):
    real = InfoGANTrainer.update

    def update(self, x):
        if self.updates_done == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, x)
    monkeypatch.setattr(InfoGANTrainer, "update", update)
    assert main(["train", "--out", str(tmp_path / "r"), *TINY]) == 143
    err = capsys.readouterr().err
    assert "npgan train: stopped by SIGTERM at update 2; checkpoint saved" in err and "Traceback" not in err


# ------------------------------------------------------------------ divergence
def test_a_divergence_before_any_checkpoint_says_none_exists(images, tmp_path, monkeypatch):
    real = InfoGANTrainer.update

    def nan_loss(self, x):
        stats = real(self, x)
        stats.d_loss = float("nan")
        return stats
    monkeypatch.setattr(InfoGANTrainer, "update", nan_loss)
    with pytest.raises(TrainingDiverged, match="non-finite at update 1.*no checkpoint of this run exists yet"):
        train(config(), images, options(tmp_path))
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


def test_a_non_finite_optimiser_state_is_never_saved(images, tmp_path):
    def poison(update, stats, trainer):
        if update == 3:
            trainer.opt_d.state["v"][0][...] = np.inf  # what a learning rate of 0.5 does to Adam's second moment
    with pytest.raises(TrainingDiverged, match=r"at update 4, the training state: trainer.opt_d\['v.0'\] holds .* "
                                               r"non-finite values; it was not saved, and the last good checkpoint, "
                                               r".* holds update 2"):
        train(config(), images, options(tmp_path), callback=poison)
    assert load_checkpoint(tmp_path / "run" / "checkpoint.npz")["update"] == 2


def test_checked_mode_names_the_layer_where_a_nan_appears(images, tmp_path, capsys):
    def poison(update, stats, trainer):
        if update == 2:
            trainer.nets.G[0].params["weight"][0, 0] = np.nan
    with pytest.raises(TrainingDiverged, match=r"update 3: non-finite values in the forward input of G.1 "
                                               r"\(BatchNorm1d\), produced by G.0 \(Linear\).*holds update 2"):
        train(config(), images, options(tmp_path), callback=poison)


def test_a_sampled_check_still_stops_on_the_loss(images, tmp_path):
    def poison(update, stats, trainer):
        if update == 2:
            trainer.nets.G[0].params["weight"][0, 0] = np.nan
    with pytest.raises(TrainingDiverged, match="a loss became non-finite at update 3"):
        train(config(), images, options(tmp_path, check_every=10), callback=poison)


def test_nan_images_are_refused_before_training(images, tmp_path):
    bad = images.copy()
    bad[3, 0, 5, 5] = np.nan
    with pytest.raises(ValueError, match="finite"):
        train(config(), bad, options(tmp_path))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train(config(), images * 2, options(tmp_path))


def test_the_command_line_reports_a_divergence_in_one_line_with_exit_3(tmp_path, monkeypatch, capsys):
    real = InfoGANTrainer.update

    def nan_loss(self, x):
        stats = real(self, x)
        if self.updates_done == 3:
            stats.g_loss = float("inf")
        return stats
    monkeypatch.setattr(InfoGANTrainer, "update", nan_loss)
    assert main(["train", "--out", str(tmp_path / "r"), *TINY]) == 3
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "holds update 2" in err and "Traceback" not in err


def test_a_real_divergence_prints_one_line_and_no_numpy_warnings(tmp_path, capfd):
    # learning rates this large overflow within the first updates (exp of Q's log-std, ...)
    args = ["train", "--out", str(tmp_path / "r"), *TINY, "--set", "lr_d=1000", "--set", "lr_g=1000"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(args) == 3
    err = capfd.readouterr().err
    assert err.count("error:") == 1 and "Traceback" not in err, err
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]


# ------------------------------------------------------------------ a resumed run's own settings
def test_a_resumed_run_prints_and_plots_its_own_settings(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r"
    assert main(["train", "--out", str(out), *TINY, "--set", "latent.categorical=15", "--updates", "2"]) == 0
    plotted = {}
    import npgan.figures as figures
    monkeypatch.setattr(figures, "plot_li_curves", lambda runs, h_c, path: plotted.setdefault("h_c", h_c) and path)
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--updates", "3", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert f"H(c) {np.log(15):.3f} nats" in captured.out
    assert plotted["h_c"] == pytest.approx(np.log(15))
    assert "seed 0" in captured.err and "to 3 updates" in captured.err


def test_a_run_started_from_python_is_not_resumed_by_the_command_line(images, tmp_path, capsys):
    train(config(), images, options(tmp_path, updates=2))  # dataset "unknown"
    assert main(["train", "--out", str(tmp_path / "run"), "--resume", "--no-progress"]) == 2
    assert "trained on 'unknown', which npgan train cannot load" in capsys.readouterr().err


def test_resume_uses_the_runs_updates_and_subset_and_refuses_others(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--no-progress", "--no-figures"]) == 0
    assert "done: the run was already at update 4" in capsys.readouterr().out  # its own 4 updates, not 5000
    assert main(["train", "--out", str(out), "--resume", "--subset", "32", "--no-progress"]) == 2
    assert "subset: run 64 images, given 32" in capsys.readouterr().err
    assert main(["train", "--out", str(out), "--resume", "--updates", "3", "--no-progress"]) == 2
    assert "--updates 3 is less than the 4 updates the run" in capsys.readouterr().err
    assert main(["train", "--out", str(out), "--resume", "--dataset", "mnist", "--no-progress"]) == 2
    assert "was trained on 'synthetic', not 'mnist'" in capsys.readouterr().err
    other = tmp_path / "other"
    assert main(["train", "--out", str(other), *TINY, "--seed", "5"]) == 0
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--config", str(other / "config.json"), "--no-progress"]) == 2
    assert "seed: run 0, given 5" in capsys.readouterr().err
