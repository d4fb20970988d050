"""Issue 34, the command line's side: every command that runs for long says what it is doing,
writes beside the run unless --out says otherwise (one name per figure), ``npgan train`` ends with a
summary of the numbers the report measured, and every option's help gives its default."""

from __future__ import annotations

import io
import json
import re
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from npgan.cli import build_parser, main
from npgan.cli.train import summary_lines
from tiny_nets import tiny_nets_patched

TINY = ["--updates", "2", "--batch-size", "8", "--subset", "64", "--no-progress", "--set", "latent.noise_dim=6"]
EVAL = ["--limit", "50", "--samples", "50", "--bases", "2"]
pytestmark = pytest.mark.usefixtures("tiny_nets")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run with its evaluation, figures and report, and what ``npgan train`` printed."""
    out = tmp_path_factory.mktemp("trained") / "run"
    stdout = io.StringIO()
    with tiny_nets_patched(), redirect_stdout(stdout):
        assert main(["train", "--out", str(out), *TINY]) == 0
    return out, stdout.getvalue()


@pytest.fixture
def run(trained, tmp_path) -> Path:
    """A copy of the trained run, for a command to write into."""
    return Path(shutil.copytree(trained[0], tmp_path / "run"))


# --------------------------------------------------------------------------- silent phases
def test_eval_announces_each_phase_on_stderr_before_its_table(run, capsys):
    assert main(["eval", str(run), *EVAL]) == 0
    captured = capsys.readouterr()
    phases = [line for line in captured.err.splitlines() if line.startswith("npgan eval: ")]
    assert [p.split(": ")[1].split(" ")[0] for p in phases] == ["accuracy", "factor", "L_I", "continuous"], phases
    assert "accuracy of c1 on the synthetic test images (the first 50)" in phases[0]
    assert "on 50 synthetic test images" in phases[1] and "L_I on 50 fresh samples" in phases[2]
    assert "2 codes x 2 base latents" in phases[3]
    assert "npgan eval: accuracy" not in captured.out  # the table (stdout) holds the results alone
    assert "categorical accuracy" in captured.out


def test_evaluate_run_tells_log_each_phase_as_it_starts(run, monkeypatch):
    import npgan.evaluation.run as ev
    order = []
    monkeypatch.setattr(ev, "estimate_li", lambda *a, **k: (order.append("estimate_li"), {"li_cat": 0.0})[1])
    ev.evaluate_run(run, samples=7, bases=2, limit=20, log=lambda line: order.append(line.split()[0]))
    assert order.index("L_I") == order.index("estimate_li") - 1  # said before the work, not after


def test_train_ends_with_a_summary_of_the_reports_numbers(trained):
    out, printed = trained
    evaluation = json.loads((out / "eval.json").read_text())
    tail = printed[printed.index("npgan train: finished in"):]
    assert f"outputs in {out}" in tail
    assert f"accuracy of c1: {evaluation['accuracy']:.4f}" in tail
    assert f"L_I: {evaluation['li_cat']:.3f} of H(c) = {evaluation['h_cat']:.3f} nats" in tail
    assert f"MIG: {evaluation['factors']['mig']:.3f} (all factors)" in tail
    assert str(out / "report.html") in tail


def test_train_summary_does_not_evaluate_a_second_time(tmp_path, monkeypatch, capsys):
    import npgan.evaluation.run as ev
    calls = []
    real = ev.evaluate_run
    monkeypatch.setattr(ev, "evaluate_run", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    with tiny_nets_patched():
        assert main(["train", "--out", str(tmp_path / "run"), *TINY]) == 0
    assert len(calls) == 1 and "accuracy of c1" in capsys.readouterr().out


def test_train_summary_without_an_evaluation_says_how_to_get_one(tmp_path):
    lines = summary_lines(tmp_path, None, 125.0)
    assert lines[0] == f"npgan train: finished in 2 min 05 s; outputs in {tmp_path}"
    assert f"npgan eval {tmp_path}" in lines[1] and len(lines) == 2


def test_train_summary_shows_mig_only_where_the_factors_are_known(tmp_path):
    ev = {"dataset": "mnist", "accuracy": 0.95, "n_test": 10000, "li_cat": 2.2, "h_cat": 2.302585}
    text = "\n".join(summary_lines(tmp_path, ev, 42.0))
    assert "finished in 42.0 s" in text and "0.9500 (Hungarian-matched, 10,000 mnist test images)" in text
    assert "MIG" not in text


# --------------------------------------------------------------------------- outputs beside the run
@pytest.mark.parametrize("command, name", [("sample", "samples.png"), ("curves", "li_curve.png")])
def test_sample_and_curves_write_beside_the_run_by_default(command, name, run, tmp_path, monkeypatch, capsys):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (run / name).unlink()
    capsys.readouterr()
    assert main([command, str(run)]) == 0
    assert capsys.readouterr().out.strip() == str(run / name)
    assert (run / name).read_bytes()[:4] == b"\x89PNG" and not list(elsewhere.iterdir())


def test_curves_of_several_runs_go_to_the_folder_holding_them(run, tmp_path, monkeypatch):
    other = Path(shutil.copytree(run, tmp_path / "run2"))
    monkeypatch.chdir(run)
    assert main(["curves", str(run), str(other)]) == 0
    assert (tmp_path / "li_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_default_outputs_are_not_written_over_a_file_npgan_did_not_make(run, capsys):
    (run / "samples.png").write_text("my notes")
    assert main(["sample", str(run)]) == 2
    assert "samples.png exists and is not a PNG image" in capsys.readouterr().err
    assert (run / "samples.png").read_text() == "my notes"


def test_eval_json_elsewhere_moves_the_json_alone(run, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    before = (run / "mi_matrix.png").stat().st_mtime_ns
    assert main(["eval", str(run), *EVAL, "--json", str(other / "eval.json")]) == 0
    assert [p.name for p in other.iterdir()] == ["eval.json"]
    assert (run / "mi_matrix.png").stat().st_mtime_ns != before  # drawn again, beside the run
    assert json.loads((other / "eval.json").read_text())["factors"]["figure"] == str(run / "mi_matrix.png")


def test_eval_does_not_write_over_a_heat_map_name_it_did_not_make(run, tmp_path, capsys):
    (run / "mi_matrix.png").write_text("my notes")
    assert main(["eval", str(run), *EVAL, "--json", str(tmp_path / "e.json")]) == 2
    assert "mi_matrix.png exists and is not a PNG image" in capsys.readouterr().err
    assert not (tmp_path / "e.json").exists()


# --------------------------------------------------------------------------- help texts
def _options():
    """(command, option, help) of every option of every subcommand."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for command, p in sub.choices.items():
        for action in p._actions:
            if action.option_strings and action.dest != "help":
                yield command, action.option_strings[-1], action


@pytest.mark.parametrize("command, option, action", list(_options()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_has_help_that_gives_its_default(command, option, action):
    assert action.help, f"{command} {option} has no help"
    if action.nargs == 0:  # a flag: off unless given
        return
    text = action.help.lower()
    assert "default" in text, f"npgan {command} {option}: {action.help!r} does not give its default"


def test_every_command_has_a_description():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert all(p.description for p in sub.choices.values()), [c for c, p in sub.choices.items() if not p.description]


def test_recipes_shows_the_defaults_that_its_marker_compares_with(capsys):
    assert main(["recipes", "--dataset", "mnist"]) == 0
    out = capsys.readouterr().out
    assert "* marks a value that differs from them" in out
    header = next(line for line in out.splitlines() if "paper/mnist" in line)
    assert header.split()[0] == "default"
    row = next(line for line in out.splitlines() if line.strip().startswith("leaky_slope"))
    assert re.fullmatch(r"\s*leaky_slope\s+0\.1\s+0\.1\s+0\.01\*\s+0\.1\s*", row), row


def test_report_announces_the_evaluations_phases(run, capsys):
    (run / "eval.json").unlink()
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err
    assert "npgan report: no eval.json: running npgan eval first" in err
    assert "npgan report: eval: L_I on 10,000 fresh samples" in err


def test_train_says_why_its_losses_can_be_negative(trained, tmp_path, capsys):
    _, printed = trained
    assert "(both subtract lambda L_I)" in printed[printed.index("done: update"):]
    with_bar = [a for a in TINY if a != "--no-progress"] + ["--no-figures"]
    assert main(["train", "--out", str(tmp_path / "bar"), *with_bar]) == 0
    assert "the bar's D and G are the steps' losses: D's loss is its GAN loss minus lambda L_I" in capsys.readouterr().err


def test_curves_label_a_run_by_its_recipe_not_by_a_term(trained):
    from npgan.cli.runs import _curve_run
    label, records, h_c = _curve_run(trained[0])
    assert label == "InfoGAN, npgan recipe (seed 0)" and records and h_c > 0
