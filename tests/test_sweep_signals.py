"""npgan sweep stopped by SIGINT or SIGTERM at random moments, to its client or to its whole process group.

Each trial starts a tiny sweep (two runs on two worker processes) in its own session, signals it
after a random delay (from the cluster's start to the summary), and checks what issue 33 asks: exit
130 / 143, no traceback, no process of the group left, no run trains after the stop, every run's
checkpoint at its last logged update, and the next invocation resumes and finishes every run.
"""

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from npgan.run import load_checkpoint

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                 reason="the [sweep] extra (dask[distributed]) is not installed")]

UPDATES = 8
RUNS = ("paper/seed0", "paper/seed1")
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _command(out: Path) -> list[str]:
    return [sys.executable, "-m", "npgan", "sweep", "--recipe", "paper", "--seeds", "0-1", "--workers", "2",
            "--updates", str(UPDATES), "--checkpoint-every", "3", "--out", str(out), "--no-figures",
            "--no-progress", "--subset", "64", "--set", "batch_size=8", "--set", "latent.noise_dim=8",
            "--eval-limit", "100", "--eval-samples", "100", "--eval-bases", "2"]


class _Sweep:
    """A sweep in its own session; its stderr read by a thread (``started`` once its first line came)."""

    def __init__(self, out: Path):
        self.proc = subprocess.Popen(_command(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True, env={**os.environ, "MPLBACKEND": "Agg"})
        self.lines: list[str] = []
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)
            self.started.set()
        self.started.set()

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def finish(self, timeout: float) -> int:
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return rc

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=60)


def _live_in_group(pgid: int) -> list[str]:
    """The processes of group ``pgid`` that are not zombies (``pid state command``)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _, group = text[text.rindex(")") + 2:].split()[:3]
        if int(group) == pgid and state != "Z":
            live.append(f"{stat.parent.name} {state} {text[:text.rindex(')') + 1]}")
    return live


def _wait_group_gone(pgid: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := _live_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _logged(out: Path) -> dict[str, list[int]]:
    """Each run's logged updates (runs without a log: absent)."""
    logs = {}
    for name in RUNS:
        path = out / name / "metrics.jsonl"
        if path.exists():
            logs[name] = [json.loads(line)["update"] for line in path.read_text().splitlines()]
    return logs


def _check_stopped(out: Path, what: str) -> None:
    """Nothing trains after the stop, and every run's checkpoint is of its last logged update."""
    before = _logged(out)
    time.sleep(2.0)
    assert _logged(out) == before, f"{what}: a run trained after the sweep exited"
    for name, updates in before.items():
        checkpoint = out / name / "checkpoint.npz"
        if checkpoint.exists():
            assert updates and load_checkpoint(checkpoint)["update"] == updates[-1], f"{what}: {name}"
        else:
            assert not updates, f"{what}: {name} logged {updates} without a checkpoint"


def _check_resumes(out: Path, what: str) -> None:
    done = subprocess.run(_command(out), capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, f"{what}: the next invocation: {done.stderr}"
    assert "Traceback" not in done.stderr, f"{what}: {done.stderr}"
    logs = _logged(out)
    assert logs == {name: list(range(1, UPDATES + 1)) for name in RUNS}, f"{what}: {logs}"


def _trial(out: Path, sig: signal.Signals, to_group: bool, delay: float) -> bool:
    """One sweep signalled ``delay`` seconds after its first line; True if the signal came before its end."""
    what = f"{sig.name} to the {'group' if to_group else 'client'} after {delay:.2f} s"
    sweep = _Sweep(out)
    try:
        assert sweep.started.wait(180), f"{what}: no output in 180 s"
        time.sleep(delay)
        signalled = sweep.proc.poll() is None
        if signalled:
            (os.killpg if to_group else os.kill)(sweep.proc.pid, sig)
        rc = sweep.finish(timeout=400)
    finally:
        sweep.kill()
    err = sweep.stderr
    assert rc == (EXIT_STATUS[sig] if signalled else 0), f"{what}: exit {rc}\n{err}"
    assert "Traceback" not in err and "Exception ignored" not in err, f"{what}:\n{err}"
    assert not _wait_group_gone(sweep.proc.pid), f"{what}: left running: {_live_in_group(sweep.proc.pid)}"
    _check_stopped(out, what)
    _check_resumes(out, what)
    return signalled


def test_a_sweep_stops_on_a_signal_at_any_moment_and_resumes(tmp_path):
    rng = random.Random(33)
    kinds = [(sig, to_group) for sig in (signal.SIGINT, signal.SIGTERM) for to_group in (True, False)]
    signalled = 0
    for trial in range(12):
        sig, to_group = kinds[trial % len(kinds)]
        # the first seconds are the cluster's start; the runs train and are evaluated within ~20 s
        signalled += _trial(tmp_path / f"trial{trial}", sig, to_group, delay=rng.uniform(0.0, 15.0))
    assert signalled >= 8, f"only {signalled} of 12 sweeps were still running when signalled"
