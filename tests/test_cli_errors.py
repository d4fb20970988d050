"""The command line's last line of defence: an OSError, a MemoryError or a Ctrl-C outside training is one line."""

from __future__ import annotations

import pytest

import npgan.cli._common as cli_common
from npgan.cli import main

TINY = ["--updates", "2", "--batch-size", "8", "--subset", "64", "--no-progress", "--no-figures",
        "--set", "latent.noise_dim=6"]


@pytest.fixture
def run(tmp_path, tiny_nets):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *TINY]) == 0
    return out


@pytest.mark.parametrize("argv", [
    lambda run: ["sample", str(run), "--out", str(run / "config.json" / "s.png")],
    lambda run: ["curves", str(run), "--out", str(run / "config.json" / "c.png")],
    lambda run: ["traverse", str(run), "--out", str(run / "config.json")],
    lambda run: ["eval", str(run), "--limit", "10", "--samples", "10", "--bases", "2",
                 "--json", str(run / "config.json" / "e.json")],
])
def test_an_output_that_cannot_be_written_is_one_line(argv, run, capsys):
    """Each output lies under a file (config.json): the folder cannot be made."""
    args = argv(run)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count(f"npgan {args[0]}: error: ") == 1 and "Traceback" not in err, err
    assert "File exists" in err or "Not a directory" in err, err


def test_ctrl_c_outside_training_is_one_line_and_130(tmp_path, monkeypatch, capsys):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli_common, "load_images", interrupted)
    assert main(["train", "--out", str(tmp_path / "r"), *TINY]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "npgan train: interrupted"


def test_running_out_of_memory_anywhere_is_one_line(tmp_path, monkeypatch, capsys):
    def too_big(*a, **k):
        raise MemoryError
    monkeypatch.setattr(cli_common, "load_images", too_big)
    assert main(["train", "--out", str(tmp_path / "r"), *TINY]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == "npgan train: error: out of memory"
