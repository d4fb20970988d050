"""Issue 34, the start of training: a cold numba cache is announced before the first update, and the
progress bar's rate and ETA leave the first update (compilation, checked mode) out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

import npgan.kernels.disk_cache as kernel_cache
from npgan.train import TrainOptions, train
from npgan.train.step import InfoGANTrainer
from tiny_nets import random_images, tiny_config

pytestmark = pytest.mark.usefixtures("tiny_nets")


def _train(tmp_path, updates: int, callback=None):
    options = TrainOptions(updates=updates, seed=0, out_dir=tmp_path / "run", checkpoint_every=updates, progress=True)
    return train(tiny_config(), random_images(32, 0), options, callback=callback)


def test_a_cold_cache_is_announced_before_the_first_update(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(kernel_cache, "is_cached", lambda dispatcher: False)
    said_before = []

    def callback(update, stats, trainer):
        if update == 1:  # the first update is done: the line must already be out
            said_before.append("compiling kernels (once, about" in capsys.readouterr().err)

    _train(tmp_path, 2, callback)
    assert said_before == [True]


def test_a_warm_cache_is_not_announced(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(kernel_cache, "is_cached", lambda dispatcher: True)
    _train(tmp_path, 2)
    assert "compiling" not in capsys.readouterr().err


def test_the_rate_and_eta_count_from_the_second_update(tmp_path, monkeypatch, capsys):
    real = InfoGANTrainer.update
    calls = []

    def slow_first(self, batch):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(2.0)  # as numba compiling on a cold cache
        return real(self, batch)

    monkeypatch.setattr(InfoGANTrainer, "update", slow_first)
    _train(tmp_path, 6)
    final = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    # "train: 100%|...| 6/6 [00:00<00:00, 85.1upd/s, D=...]": the 2 s of the first update are not in it
    match = re.search(r"6/6 \[(\d\d):(\d\d)<", final)
    assert match and match.groups() == ("00", "00"), final
    assert re.search(r"\d+\.\d+upd/s", final) and "?upd/s" not in final, final


def test_the_cache_is_read_from_numbas_index(tmp_path):
    """A kernel compiled by one process counts as cached in the next; a fresh cache folder is cold."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    first = textwrap.dedent("""
        import numpy as np
        from npgan.kernels.disk_cache import compile_note, kernels, uncached_kernels
        assert uncached_kernels() == sorted(kernels()), uncached_kernels()
        assert compile_note() is not None
        x = np.ones(8, np.float32)
        kernels()["npgan.kernels.elementwise._relu_fwd"](x, np.float32(0), np.empty_like(x))
    """)
    second = textwrap.dedent("""
        from npgan.kernels.disk_cache import kernels, uncached_kernels
        left = uncached_kernels()
        assert "npgan.kernels.elementwise._relu_fwd" not in left and len(left) == len(kernels()) - 1, left
    """)
    for code in (first, second):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)


# --------------------------------------------------------------------------- sample grids early, then spaced out
def test_frames_come_early_then_every_n_updates():
    from npgan.report.frames import frame_due
    assert [u for u in range(1, 1001) if frame_due(u, 250)] == [10, 25, 50, 100, 250, 500, 750, 1000]
    assert [u for u in range(1, 301) if frame_due(u, 100)] == [10, 25, 50, 100, 200, 300]
    assert [u for u in range(1, 7) if frame_due(u, 2)] == [2, 4, 6]  # no early frames below a spacing of 2


def test_train_draws_the_early_frames_and_says_when(tmp_path, capsys):
    from npgan.cli import main
    from npgan.report.frames import list_frames
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--updates", "30", "--checkpoint-every", "30", "--batch-size", "8",
                 "--subset", "64", "--no-progress", "--no-figures", "--set", "latent.noise_dim=6"]) == 0
    assert [u for u, _ in list_frames(out)] == [10, 25]
    assert "(at updates 10, 25, 50, 100, then every 250)" in capsys.readouterr().out
