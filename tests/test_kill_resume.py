"""Crash safety: runs killed with SIGKILL at random points, each followed by a resume, end identical
to an uninterrupted run.

The fast test forks the test process (the child trains in-process, already imported and compiled,
with tiny networks) and kills each child at one of the places where a kill hurts most: just after
taking the lock, writing config.json, half-way through a metrics line, a third of the way through a
checkpoint's bytes, between a complete temporary checkpoint and its rename, while cutting the
metrics log back on resume, or after a random delay. The slow test kills ``npgan train`` processes
(the paper's networks) from outside, at random moments and while a checkpoint is being written.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import npgan.train.loop as loop
from npgan.run import load_checkpoint
from npgan.train import TrainOptions, train
from tiny_nets import random_images, tiny_config

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

UPDATES, EVERY, KILLS = 40, 3, 24
MODES = ("random", "lock", "config", "metrics", "checkpoint", "rename", "truncate")


@pytest.fixture(scope="module")
def images():
    return random_images(40, seed=5)


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(mode: str, nth: int) -> None:
    """In the child: SIGKILL this process at the ``nth`` time it reaches the place ``mode`` names."""
    import npgan.run.checkpoint as ckpt
    import npgan.run.folder as run_folder
    import npgan.run.lock as lock
    import npgan.run.metrics as metrics
    count = {"n": 0}

    def hit() -> bool:
        count["n"] += 1
        return count["n"] >= nth

    if mode == "lock":
        acquire = lock.RunLock.acquire
        lock.RunLock.acquire = lambda self: (acquire(self), _die())
    elif mode == "config":
        replace = run_folder.os.replace
        run_folder.os.replace = lambda a, b: _die() if str(b).endswith("config.json") else replace(a, b)
    elif mode == "metrics":
        def append(self, record):
            line = json.dumps(record) + "\n"
            if hit():
                self._file.write(line[: len(line) // 2])
                self._file.flush()
                _die()
            self._file.write(line)
            self._file.flush()
        metrics.MetricsLog.append = append
    elif mode == "checkpoint":
        savez = np.savez

        def partial(f, **arrays):
            buf = io.BytesIO()
            savez(buf, **arrays)
            data = buf.getvalue()
            f.write(data[: len(data) // 3] if hit() else data)
            if count["n"] >= nth:
                f.flush()
                _die()
        ckpt.np.savez = partial
    elif mode == "rename":  # (os.replace is shared: count the checkpoint's renames only)
        replace = ckpt.os.replace
        ckpt.os.replace = lambda a, b: _die() if str(b).endswith("checkpoint.npz") and hit() else replace(a, b)
    elif mode == "truncate":  # in the middle of the cut if there is one to make, else right after the check
        cut = loop.truncate_metrics
        metrics.os.truncate = lambda p, n: _die()
        loop.truncate_metrics = lambda p, u: (cut(p, u), _die())


def _child(out, images, mode: str, nth: int) -> None:
    resume = (out / "checkpoint.npz").exists()
    _arm(mode, nth)
    options = TrainOptions(updates=UPDATES, seed=4, out_dir=out, checkpoint_every=EVERY, progress=False,
                           overwrite=not resume, check_every=1)
    train(tiny_config(), images, options, resume=resume)


def _strip(path):
    return [{k: v for k, v in json.loads(x).items() if k != "seconds"} for x in path.read_text().splitlines()]


def _plan(rng) -> list[str]:
    """The kill places: rounds of all of them, each round in random order."""
    rounds = -(-KILLS // len(MODES))
    return [str(m) for _ in range(rounds) for m in rng.permutation(MODES)][:KILLS]


def test_twenty_random_kills_each_resumed_end_identical_to_an_uninterrupted_run(images, tmp_path, tiny_nets):
    straight = tmp_path / "straight"
    t0 = time.perf_counter()
    train(tiny_config(), images, TrainOptions(updates=UPDATES, seed=4, out_dir=straight, checkpoint_every=EVERY,
                                              progress=False))
    whole = time.perf_counter() - t0  # random kills come within a tenth of this: the run cannot finish early
    out = tmp_path / "killed"
    rng = np.random.default_rng(22)
    plan, kills, modes, runs = _plan(rng), 0, [], 0
    while True:
        runs += 1
        assert runs < 3 * KILLS, f"the killed run does not finish (kills so far: {modes})"
        mode = plan[kills] if kills < KILLS else "none"
        nth = int(rng.integers(1, 3)) if mode == "metrics" else 1  # kills that lose the update in flight
        if mode == "truncate" and not (out / "checkpoint.npz").exists():
            mode, nth = "rename", 2  # nothing to cut back yet: die renaming the second checkpoint instead
        pid = os.fork()
        if pid == 0:  # the child: train, then leave without running the parent's teardown
            try:
                _child(out, images, mode, nth)
            except BaseException:  # noqa: BLE001 -- any failure is the child's exit status 1
                import traceback
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        if mode == "random":
            time.sleep(float(rng.uniform(0.0, whole / 10)))
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            assert os.WTERMSIG(status) == signal.SIGKILL
            kills += 1
            modes.append(mode)
            continue
        assert os.WEXITSTATUS(status) == 0, f"run {runs} ({mode}) failed; see its traceback above"
        break  # the run is finished (after all planned kills, or after random kills made it advance faster)
    assert kills >= 20 and set(modes) == set(MODES), (kills, modes)
    a, b = load_checkpoint(straight / "checkpoint.npz"), load_checkpoint(out / "checkpoint.npz")
    assert a["update"] == b["update"] == UPDATES
    for part in ("nets", "opt_d", "opt_g"):
        for k, v in a["trainer"][part].items():
            np.testing.assert_array_equal(v, b["trainer"][part][k], err_msg=f"{part}.{k}")
    assert a["trainer"]["rng"] == b["trainer"]["rng"] and a["data"]["rng"] == b["data"]["rng"]
    assert _strip(straight / "metrics.jsonl") == _strip(out / "metrics.jsonl")
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "config.json", "metrics.jsonl"]


CLI = [sys.executable, "-m", "npgan", "train", "--updates", "40", "--checkpoint-every", "2", "--batch-size", "8",
       "--subset", "64", "--no-progress", "--no-figures", "--set", "latent.noise_dim=8", "--seed", "3"]


def _kill_when(proc, out, rng, during_write: bool) -> bool:
    """SIGKILL ``proc`` while a checkpoint is being written (if ``during_write``) or at a random moment;
    return whether a checkpoint was being written when it was killed."""
    deadline = time.monotonic() + (120.0 if during_write else float(rng.uniform(1.0, 5.0)))
    while time.monotonic() < deadline and proc.poll() is None:
        if during_write and any(out.glob("checkpoint.npz.*.tmp")):
            break
        time.sleep(0.002)
    writing = any(out.glob("checkpoint.npz.*.tmp"))
    proc.kill()
    return writing


@pytest.mark.slow
def test_npgan_train_killed_twenty_times_resumes_to_the_uninterrupted_run(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    straight = tmp_path / "straight"
    subprocess.run([*CLI, "--out", str(straight)], check=True, env=env, capture_output=True, timeout=900)
    out = tmp_path / "killed"
    rng = np.random.default_rng(7)
    kills = during_write = attempts = 0
    while True:
        attempts += 1
        assert attempts < 80, f"no finished run after {kills} kills"
        resume = ["--resume"] if (out / "checkpoint.npz").exists() else ["--overwrite"]
        proc = subprocess.Popen([*CLI, "--out", str(out), *resume], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        writing = _kill_when(proc, out, rng, during_write=kills % 2 == 1) if kills < 20 else False
        _, err = proc.communicate(timeout=900)
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            during_write += writing
            continue
        assert proc.returncode == 0 and "Traceback" not in err, err
        break
    assert kills == 20 and during_write >= 5, (kills, during_write)
    a, b = load_checkpoint(straight / "checkpoint.npz"), load_checkpoint(out / "checkpoint.npz")
    assert a["update"] == b["update"] == 40
    for part in ("nets", "opt_d", "opt_g"):
        for k, v in a["trainer"][part].items():
            np.testing.assert_array_equal(v, b["trainer"][part][k], err_msg=f"{part}.{k}")
    assert _strip(straight / "metrics.jsonl") == _strip(out / "metrics.jsonl")
    assert not list(out.glob("*.tmp")) and not (out / "train.lock").exists()


def test_a_forked_child_runs_kernels_after_its_parent_used_the_thread_pool():
    """The pool's workers are not copied by fork; a child that reused the pool would wait forever."""
    from npgan.kernels.threads import parallel, use_threads
    done = []
    with use_threads(2):
        parallel(done.append, 4)
    pid = os.fork()
    if pid == 0:
        with use_threads(2):
            out = []
            parallel(out.append, 4)
        os._exit(0 if sorted(out) == [0, 1, 2, 3] else 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung on its parent's thread pool")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and sorted(done) == [0, 1, 2, 3]
