"""Issue 33: no command writes over a file it did not make for that purpose, every file npgan reads
back (its own included) is checked with one line naming the file and the fault, settings that
cannot run are refused up front, and no figure comes out silently blank."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import npgan.figures as figures
from npgan.cli import main
from npgan.sweep.plan import RunSpec, SweepSpec
from npgan.sweep.record import save_record
from tiny_nets import tiny_nets_patched

TINY = ["--updates", "2", "--batch-size", "8", "--subset", "64", "--no-progress", "--set", "latent.noise_dim=6"]
EVAL = ["--limit", "50", "--samples", "50", "--bases", "2"]
DEEP = "[" * 100_000 + "]" * 100_000
pytestmark = pytest.mark.usefixtures("tiny_nets")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run with its evaluation, figures and report (as npgan train leaves it)."""
    out = tmp_path_factory.mktemp("trained") / "run"
    with tiny_nets_patched():
        assert main(["train", "--out", str(out), *TINY]) == 0
    return out


@pytest.fixture
def run(trained, tmp_path) -> Path:
    """A copy of the trained run, to damage."""
    return Path(shutil.copytree(trained, tmp_path / "run"))


def _digests(folder: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_error(capsys, command: str) -> str:
    """The one error line of ``command`` (progress lines of the report may come before it)."""
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if line.startswith(f"npgan {command}: error: ")]
    assert len(lines) == 1 and err.strip().endswith(lines[0]) and "Traceback" not in err, err
    return lines[0]


# --------------------------------------------------------------------------- 1. nothing overwritten
@pytest.mark.parametrize("argv, message", [
    (["eval", "RUN", "--json", "RUN/checkpoint.npz"], "--json: expected a .json file name"),
    (["eval", "RUN", "--json", "RUN/metrics.jsonl"], "--json: expected a .json file name"),
    (["eval", "RUN", "--json", "RUN/config.json"], "config.json exists and is not an npgan evaluation"),
    (["eval", "RUN", "--json", "RUN/samples/frames.json"], "frames.json exists and is not an npgan evaluation"),
    (["eval", "RUN", "--json", "RUN/report.html"], "--json: expected a .json file name"),
    (["sample", "RUN", "--out", "RUN/checkpoint.npz"], "--out: expected a .png file name"),
    (["sample", "RUN", "--out", "RUN/config.json"], "--out: expected a .png file name"),
    (["sample", "RUN", "--out", "RUN/progress.gif"], "--out: expected a .png file name"),
    (["curves", "RUN", "--out", "RUN/metrics.jsonl"], "--out: expected a .png file name"),
    (["curves", "RUN", "--out", "RUN/config"], None),  # config.png: a new file, nothing of the run touched
    (["sample", "RUN", "--out", "RUN/notes.png"], "notes.png exists and is not a PNG image"),
    (["traverse", "RUN", "--out", "RUN/notes"], "traverse_cat0.png exists and is not a PNG image"),
])
def test_no_output_option_writes_over_a_file_it_did_not_make(argv, message, run, capsys):
    (run / "notes.png").write_text("my notes")
    (run / "notes").mkdir()
    for name in ("traverse_cat0.png", "mi_matrix.png"):
        (run / "notes" / name).write_text("not a figure")
    before = _digests(run)
    args = [a.replace("RUN", str(run)) for a in argv]
    capsys.readouterr()
    if message is None:
        assert main(args) == 0
        assert Path(capsys.readouterr().out.strip()) == run / "config.png"
        assert {p: d for p, d in _digests(run).items() if p.name != "config.png"} == before
        return
    assert main(args) == 2
    assert message in _one_error(capsys, args[0])
    assert _digests(run) == before


def test_the_commands_own_outputs_are_replaced(run, capsys):
    assert main(["eval", str(run), "--json", str(run / "eval.json"), *EVAL]) == 0
    assert json.loads((run / "eval.json").read_text())["n_test"] == 50
    assert main(["sample", str(run), "--out", str(run / "samples.png"), "--n", "4"]) == 0
    assert main(["traverse", str(run)]) == 0
    (run / "eval.json").write_text("{damaged")  # the run's own eval.json is written again, damaged or not
    assert main(["eval", str(run), *EVAL]) == 0


@pytest.mark.parametrize("command, default", [("sample", "samples.png"), ("curves", "li_curve.png")])
def test_out_prints_the_file_it_wrote(command, default, run, tmp_path, capsys):
    for out, written in ((tmp_path / "plain", tmp_path / "plain.png"), (tmp_path, tmp_path / default)):
        capsys.readouterr()
        assert main([command, str(run), "--out", str(out)]) == 0
        assert capsys.readouterr().out.strip() == str(written) and written.read_bytes()[:4] == b"\x89PNG"
    assert main([command, str(run), "--out", str(tmp_path / "x.xyz")]) == 2
    assert "expected a .png file name, got" in _one_error(capsys, command)


# --------------------------------------------------------------------------- 2. damaged files of our own
def _meta(run: Path, change) -> str:
    meta = json.loads((run / "config.json").read_text())
    change(meta)
    return json.dumps(meta)


def _pop_latent(m):
    m["config"]["model"].pop("latent")


CONFIG_CASES = [
    ("[1, 2]", "config.json is not a run's config.json: expected a JSON object, got a list"),
    ("null", "config.json is not a run's config.json: expected a JSON object, got null"),
    (DEEP, "config.json is not a run's config.json: nested too deeply"),
    ('{"seed": 0}', "config.json is not a run's config.json: no 'config' entry"),
    ('{"config": {}}', "config.json: the run's settings cannot be read: the config has no `model` entry"),
    (lambda r: _meta(r, _pop_latent), "the config's `model` has no `latent` entry"),
    (lambda r: _meta(r, lambda m: m["config"].update(terms=[])), "the config's `terms` must be a dict, got list"),
    (lambda r: _meta(r, lambda m: m.update(seed="0")), "'seed' must be an integer, got '0'"),
    (lambda r: _meta(r, lambda m: m.update(updates=-3)), "'updates' must be >= 1, got -3"),
]


@pytest.mark.parametrize("content, message", CONFIG_CASES)
@pytest.mark.parametrize("argv", [["report", "RUN"], ["curves", "RUN", "--out", "OUT/c.png"],
                                  ["train", "--config", "RUN/config.json", "--out", "OUT/new", *TINY]])
def test_a_damaged_config_json_is_one_line(argv, content, message, run, tmp_path, capsys):
    (run / "config.json").write_text(content(run) if callable(content) else content)
    args = [a.replace("RUN", str(run)).replace("OUT", str(tmp_path)) for a in argv]
    capsys.readouterr()
    assert main(args) == 2
    assert message in _one_error(capsys, args[0])


@pytest.mark.parametrize("content, message", [
    (lambda r: _meta(r, lambda m: m.update(images=True)), "'images' must be an integer, got true"),
    (DEEP, "nested too deeply"),
])
def test_resume_with_a_damaged_config_json_is_one_line(content, message, run, capsys):
    (run / "config.json").write_text(content(run) if callable(content) else content)
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume", "--updates", "3", "--no-progress", "--no-figures"]) == 2
    err = _one_error(capsys, "train")
    assert message in err and "--resume: " in err and "config.json" in err


def test_a_deeply_nested_lock_is_an_unreadable_lock(tmp_path):
    from npgan.run.lock import LOCK_NAME, RunLock
    (tmp_path / LOCK_NAME).write_text(DEEP)
    assert RunLock(tmp_path)._read() == (DEEP.encode(), None)


def test_resume_with_a_damaged_frames_file_is_one_line(run, capsys):
    (run / "samples" / "frames.json").write_text(DEEP)
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume", "--updates", "3", "--no-progress", "--no-figures"]) == 2
    assert "frames.json is not a frames file written by npgan: nested too deeply" in _one_error(capsys, "train")


EVAL_CASES = [
    ("dataset", lambda ev: ev.pop("dataset"), "no 'dataset' entry"),
    ("li_cat", lambda ev: ev.pop("li_cat"), "no 'li_cat' entry"),
    ("li_cat text", lambda ev: ev.update(li_cat="high"), "'li_cat' must be a number, got 'high'"),
    ("update", lambda ev: ev.update(update=2.5), "'update' must be an integer, got 2.5"),
    ("continuous", lambda ev: ev["continuous"][0].pop("width"), "(continuous[0]): no 'width' entry"),
    ("factors", lambda ev: ev["factors"].update(mi=[["x"]]), "(factors): mi[0][0] must be a number, got 'x'"),
    ("list", lambda ev: ev.clear(), "no 'update' entry"),
]


def _damage_eval(path: Path, change) -> None:
    ev = json.loads(path.read_text())
    change(ev)
    path.write_text(json.dumps(ev))


@pytest.mark.parametrize("name, change, message", EVAL_CASES, ids=[c[0] for c in EVAL_CASES])
def test_a_damaged_eval_json_is_named_and_evaluated_again_by_the_report(name, change, message, run, capsys):
    from npgan.evaluation.eval_file import read_eval
    _damage_eval(run / "eval.json", change)
    with pytest.raises(ValueError, match="eval.json is not an evaluation written by npgan eval"):
        read_eval(run / "eval.json")
    capsys.readouterr()
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err
    assert message in err and "evaluating again" in err and "Traceback" not in err
    assert read_eval(run / "eval.json")["update"] == 2


def test_a_deeply_nested_eval_json_is_evaluated_again(run, capsys):
    (run / "eval.json").write_text(DEEP)
    assert main(["report", str(run)]) == 0
    assert "eval.json is not an evaluation written by npgan eval: nested too deeply" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["curves", "report"])
def test_a_metrics_line_without_li_cat_is_one_line(command, run, tmp_path, capsys):
    lines = (run / "metrics.jsonl").read_text().splitlines()
    record = json.loads(lines[1])
    record.pop("li_cat")
    (run / "metrics.jsonl").write_text("\n".join([lines[0], json.dumps(record)]) + "\n")
    capsys.readouterr()
    args = [command, str(run)] + (["--out", str(tmp_path / "c.png")] if command == "curves" else [])
    assert main(args) == 2
    assert "metrics.jsonl: line 2 is not a metrics record: 'li_cat' must be a number, got nothing" in \
        _one_error(capsys, command)


def _sweep_of(run: Path, tmp_path: Path) -> Path:
    """A sweep folder whose one run is (a copy of) ``run``, as npgan sweep leaves it."""
    out = tmp_path / "sweep"
    shutil.copytree(run, out / "npgan" / "seed0")
    spec = SweepSpec("synthetic", (RunSpec("npgan", "npgan", 0, {"batch_size": "8", "latent.noise_dim": "6"}),),
                     updates=2, out=out, subset=64)
    save_record(out, spec, {})
    return out


@pytest.mark.parametrize("damage, message", [
    (lambda s: (s / "npgan/seed0/config.json").write_text("{}"), "config.json is not a run's config.json: no 'config'"),
    (lambda s: (s / "npgan/seed0/config.json").write_text(DEEP), "config.json is not a run's config.json: nested too"),
    (lambda s: _damage_eval(s / "npgan/seed0/eval.json", lambda ev: ev.update(accuracy=[1])),
     "eval.json is not an evaluation written by npgan eval: 'accuracy' must be a number, got a list"),
    (lambda s: (s / "sweep.json").write_text(DEEP), "sweep.json is not a sweep record: nested too deeply"),
    (lambda s: (s / "sweep.json").write_text("[]"), "sweep.json is not a sweep record: expected a JSON object"),
])
def test_sweep_report_on_damaged_files_is_one_line(damage, message, run, tmp_path, capsys):
    out = _sweep_of(run, tmp_path)
    assert main(["sweep", "--report", str(out)]) == 0
    damage(out)
    capsys.readouterr()
    assert main(["sweep", "--report", str(out)]) == 2
    assert message in _one_error(capsys, "sweep")


# --------------------------------------------------------------------------- 3. a sweep's changed settings
def test_a_sweep_never_reuses_a_finished_run_under_other_settings(run, tmp_path, capsys):
    pytest.importorskip("distributed")
    out = _sweep_of(run, tmp_path)
    before = _digests(out)
    args = ["sweep", "--out", str(out), "--updates", "2", "--subset", "64", "--seeds", "0", "--no-progress",
            "--set", "batch_size=8", "--set", "latent.noise_dim=6", "--set", "lambda_cont=0.2"]
    capsys.readouterr()
    assert main(args) == 2  # refused before any cluster starts
    err = _one_error(capsys, "sweep")
    assert "holds a run with other settings (lambda_cont: run 0.1, asked 0.2)" in err
    assert _digests(out) == before  # sweep.json does not record the new settings


# --------------------------------------------------------------------------- 4. settings that cannot run
@pytest.mark.parametrize("sets, message", [
    (["distortion.shift=1e308"], "`shift` must be <= 28.0, got 1e+308"),
    (["distortion.scale_x=1e-320,1e-320"], "`scale_x` must be >= 0.1"),
    (["distortion.scale_y=1,1e9"], "`scale_y` must be <= 10.0"),
    (["batch_size=abc"], "setting 'batch_size' must be an integer, got 'abc'"),
])
def test_settings_that_cannot_run_are_refused_even_under_a_flag(sets, message, tmp_path, capsys):
    args = ["train", "--out", str(tmp_path / "r"), *TINY, "--batch-size", "16"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 2
    assert message in _one_error(capsys, "train")
    assert not (tmp_path / "r").exists()


def test_a_run_without_categorical_codes_evaluates_and_reports(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--out", str(out), *TINY, "--set", "latent.categorical="]) == 0
    assert (out / "report.html").exists()
    assert main(["eval", str(out), *EVAL]) == 0
    assert "NMI(c1, digit): n/a" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0


# --------------------------------------------------------------------------- 5. nothing silently wrong
def test_traverse_range_is_bounded(run, capsys):
    with pytest.raises(SystemExit):
        main(["traverse", str(run), "--range", "1e39"])
    assert "expected at most 1000, got 1e39" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["sample", "RUN", "--out", "OUT/s.png"], ["traverse", "RUN", "--out", "OUT"]])
def test_images_that_are_not_finite_are_refused_not_drawn_blank(argv, run, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(figures, "generate", lambda nets, z, *a: np.full((z.shape[0], 1, 28, 28), np.nan))
    args = [a.replace("RUN", str(run)).replace("OUT", str(tmp_path)) for a in argv]
    capsys.readouterr()
    assert main(args) == 2
    assert "pixels of G's images are not finite (NaN or infinite): not drawn" in _one_error(capsys, args[0])
    assert not list(tmp_path.glob("*.png"))


def test_overwrite_leaves_nothing_of_the_old_run(run, capsys):
    derived = ["eval.json", "report.html", "samples.png", "traverse_cat0.png", "mi_matrix.png", "samples/frames.json"]
    assert all((run / name).exists() for name in derived)
    (run / "mine.txt").write_text("not npgan's")
    assert main(["train", "--out", str(run), "--overwrite", "--no-figures", "--samples-every", "0", *TINY]) == 0
    assert not [name for name in derived if (run / name).exists()]
    assert not list((run / "samples").glob("update_*.png"))
    assert (run / "mine.txt").exists() and (run / "checkpoint.npz").exists()
    assert "--overwrite removed the previous run's" in capsys.readouterr().err
