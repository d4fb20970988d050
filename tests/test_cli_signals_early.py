"""Ctrl-C and SIGTERM while the command line is still importing numpy, numba and scipy (issue 33):
one line, exit 130 / 143, no traceback. The handlers are installed by the first line of
``npgan.cli.main``; ``import npgan.cli`` itself imports nothing heavy."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import npgan.cli as cli
from npgan.cli._interrupt import Terminated

#: a training that runs far longer than the test waits: every delay lands before it ends
LONG_TRAIN = ["train", "--updates", "10000000", "--checkpoint-every", "10000000", "--batch-size", "8",
              "--subset", "64", "--no-progress", "--no-figures", "--set", "latent.noise_dim=6"]
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _entry() -> list[str]:
    """The installed ``npgan`` script (what a user runs), else ``python -m npgan``."""
    script = Path(sys.executable).parent / "npgan"
    return [str(script)] if script.exists() else [sys.executable, "-m", "npgan"]


def test_importing_the_command_line_imports_nothing_heavy():
    code = ("import sys, npgan.cli; heavy = [m for m in ('numpy', 'numba', 'scipy', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


CASES = [("script", sig, delay) for sig in STATUS for delay in (0.1, 0.2, 0.35, 0.5)] + \
        [("module", sig, 0.2) for sig in STATUS]


@pytest.mark.parametrize("entry, sig, delay", CASES,
                         ids=[f"{e}-{signal.Signals(s).name}-{d}s" for e, s, d in CASES])
def test_a_signal_during_start_up_is_one_line_and_its_exit_status(entry, sig, delay, tmp_path):
    command = (_entry() if entry == "script" else [sys.executable, "-m", "npgan"]) + \
        [*LONG_TRAIN, "--out", str(tmp_path / "run")]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(delay)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == STATUS[sig], (proc.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("npgan") and ("interrupted" in err or "stopp" in err
                                                        or "terminated" in err or "SIGTERM" in err), err


def test_sigterm_outside_training_is_one_line_and_143(tmp_path, monkeypatch, capsys):
    import npgan.cli._common as cli_common

    def terminated(*a, **k):
        raise Terminated
    monkeypatch.setattr(cli_common, "load_images", terminated)
    assert cli.main([*LONG_TRAIN, "--out", str(tmp_path / "r")]) == 143
    assert capsys.readouterr().err.strip().splitlines()[-1] == "npgan train: terminated (SIGTERM)"


def test_a_signal_while_building_the_parser_is_one_line(monkeypatch, capsys):
    def interrupted():
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["recipes"]) == 130
    assert capsys.readouterr().err.strip() == "npgan: interrupted"


def test_main_called_from_python_puts_the_handlers_back(capsys):
    before = {sig: signal.getsignal(sig) for sig in STATUS}
    assert cli.main(["recipes"]) == 0
    assert {sig: signal.getsignal(sig) for sig in STATUS} == before


def test_an_ignored_signal_stays_ignored(monkeypatch):
    seen = {}

    def command(args):
        seen.update({sig: signal.getsignal(sig) for sig in STATUS})
        return 0
    parser = cli.build_parser()
    args = parser.parse_args(["recipes"])
    args.func = command
    monkeypatch.setattr(parser, "parse_args", lambda argv: args)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    old = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        assert cli.main(["recipes"]) == 0
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, old)
    assert seen == {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_IGN}
