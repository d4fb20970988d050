"""Issue 34, the sweep's side: Dask's own messages go to OUT/dask.log (not the terminal), and the
bar shows a run that is evaluating instead of sitting at its last update."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from npgan.sweep import _signals  # noqa: E402
from npgan.sweep.dask_log import LOGGERS, WORKER_LOG_ENV, dask_messages_to  # noqa: E402
from npgan.sweep.progress import SweepProgress  # noqa: E402


def test_dask_warnings_and_logging_go_to_the_log_and_are_restored(tmp_path, capsys):
    log = tmp_path / "dask.log"
    before = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate) for name in LOGGERS}
    shown = []
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *rest: shown.append(str(message))  # what a terminal would show
        with dask_messages_to(log):
            warnings.warn_explicit("Port 8787 is already in use.", UserWarning,
                                   str(Path("site-packages") / "distributed" / "node.py"), 195)
            logging.getLogger("distributed.nanny").warning("Worker process still alive after 4.0 seconds, killing")
            warnings.warn_explicit("npgan's own", UserWarning, "npgan/figures.py", 1)
    err = capsys.readouterr().err
    text = log.read_text()
    assert "Port 8787 is already in use." in text and "still alive after 4.0 seconds" in text
    assert "Port 8787" not in err and "still alive" not in err
    assert shown == ["npgan's own"] and "npgan's own" not in text  # other warnings are shown as before
    after = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate) for name in LOGGERS}
    assert after == before


def test_the_workers_preload_sends_their_output_to_the_log(tmp_path):
    assert _signals.LOG_ENV == WORKER_LOG_ENV
    log = tmp_path / "dask.log"
    code = ("import runpy, sys; setup = runpy.run_path(sys.argv[1])['dask_setup']; setup(None); "
            "print('to stdout', flush=True); sys.stderr.write('to stderr\\n')")
    done = subprocess.run([sys.executable, "-c", code, _signals.__file__], capture_output=True, text=True,
                          env={**os.environ, WORKER_LOG_ENV: str(log)}, check=True, timeout=60)
    assert done.stdout == done.stderr == "" and log.read_text() == "to stdout\nto stderr\n"


def test_the_bar_shows_a_run_evaluating():
    bar = SweepProgress(["a/seed0", "a/seed1"], 30, enabled=False)
    bar.running("a/seed0", 30, "evaluating")
    bar.running("a/seed1", 12)
    assert bar.live == {"a/seed0": "evaluating", "a/seed1": "12/30"}
    bar.close()


def test_without_the_bar_a_line_says_a_run_is_evaluating(capsys):
    bar = SweepProgress(["a/seed0"], 30, enabled=False)
    bar.running("a/seed0", 30)
    bar.running("a/seed0", 30, "evaluating")
    bar.running("a/seed0", 30, "evaluating")  # said once
    bar.running("a/seed0", 30, "building its report")
    bar.close()
    assert capsys.readouterr().err.splitlines() == ["npgan sweep: a/seed0 evaluating",
                                                     "npgan sweep: a/seed0 building its report"]


@pytest.mark.slow
def test_a_sweep_keeps_dasks_messages_out_of_the_terminal(tmp_path):
    out = tmp_path / "sweep"
    with socket.socket() as taken:  # Dask's HTTP server then warns that port 8787 is in use
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pass  # in use already: the warning comes all the same
        done = subprocess.run([sys.executable, "-m", "npgan", "sweep", "--out", str(out), "--updates", "2",
                               "--subset", "256", "--no-figures", "--eval-samples", "100", "--eval-bases", "2",
                               "--eval-limit", "100", "--workers", "1", "--no-progress"],
                              capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.endswith(f"(Dask's own messages: {out / 'dask.log'})"), first
    assert "npgan sweep: npgan/seed0 evaluating" in done.stderr
    assert "Port 8787" not in done.stderr and "warnings.warn" not in done.stderr, done.stderr
    assert "Port 8787 is already in use" in (out / "dask.log").read_text()
