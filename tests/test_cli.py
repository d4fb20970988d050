"""Every command end to end on a tiny budget, and clear errors for bad options."""

import json
import subprocess
import sys

import pytest

from npgan.cli import main
from npgan.train import TrainingConfig
from tiny_nets import tiny_nets_patched

TINY = ["--updates", "2", "--batch-size", "8", "--subset", "64", "--no-progress", "--set", "latent.noise_dim=8"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run of every command's inputs, on the tiny networks (the tests that use it ask for them too)."""
    out = tmp_path_factory.mktemp("run")
    with tiny_nets_patched():
        assert main(["train", "--out", str(out), *TINY]) == 0
    return out


def test_train_writes_checkpoint_metrics_and_figures(run_dir):
    assert (run_dir / "checkpoint.npz").exists()
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["update"] for x in lines] == [1, 2]
    for name in ("traverse_cat0.png", "traverse_cont0.png", "traverse_cont1.png", "samples.png",
                 "li_curve.png", "losses.png", "report.html", "eval.json"):
        assert (run_dir / name).stat().st_size > 1000, name


def test_resume_continues_and_refuses_to_clobber(run_dir, tiny_nets, capsys):
    assert main(["train", "--out", str(run_dir), *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
    args = [a if a != "2" else "3" for a in TINY]
    # the run's own settings are the truth on resume: flags that would change them are refused
    assert main(["train", "--out", str(run_dir), "--resume", "--no-figures", "--seed", "5", *args]) == 2
    assert "seed: run 0, given 5" in capsys.readouterr().err
    assert main(["train", "--out", str(run_dir), "--resume", "--no-figures", *args, "--set", "lambda_cont=0.3"]) == 2
    assert "lambda_cont: run 0.1, given 0.3" in capsys.readouterr().err
    assert main(["train", "--out", str(run_dir), "--resume", "--overwrite", *args]) == 2
    assert "give one of them" in capsys.readouterr().err
    # the same settings given again are fine (TINY repeats the run's own batch size and noise dim)
    assert main(["train", "--out", str(run_dir), "--resume", "--no-figures", *args]) == 0
    assert "resuming" in (err := capsys.readouterr().err) and "seed 0" in err
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["update"] for x in lines] == [1, 2, 3]


def test_traverse_sample_eval_curves(run_dir, tiny_nets, tmp_path, capsys):
    assert main(["traverse", str(run_dir / "checkpoint.npz"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "traverse_cat0.png").exists()
    assert main(["sample", str(run_dir), "--out", str(tmp_path / "s.png"), "--n", "16"]) == 0
    assert (tmp_path / "s.png").exists()
    assert main(["eval", str(run_dir), "--limit", "200", "--samples", "200", "--bases", "4",
                 "--json", str(tmp_path / "e.json")]) == 0
    result = json.loads((tmp_path / "e.json").read_text())
    assert 0.0 <= result["accuracy"] <= 1.0 and result["n_test"] == 200
    assert result["li_cat"] <= result["h_cat"] + 1e-9
    assert len(result["continuous"]) == 2
    factors = result["factors"]  # trained on synthetic digits: the code-by-factor report
    assert factors["code_names"] == ["c1", "c2", "c3"]
    assert "rotation" in factors["factor_names"] and len(factors["mi"]) == 3
    assert all(v >= -1e-12 for row in factors["mi"] for v in row)  # MI >= 0 up to rounding
    assert (run_dir / "mi_matrix.png").stat().st_size > 1000 and not (tmp_path / "mi_matrix.png").exists()
    out = capsys.readouterr().out
    assert "categorical accuracy" in out and "rotation" in out and "MIG" in out
    assert "within each digit class" in out and "majority's code and sign" in out
    assert len(factors["class_rho"]) == 2 and set(factors["class_agreement"]) == {"rotation", "width"}
    assert (run_dir / "class_rho.png").stat().st_size > 1000  # --json moves the JSON alone
    assert main(["curves", str(run_dir), "--out", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["train", "--updates", "0"], "positive integer"),
    (["train", "--batch-size", "x"], "positive integer"),
    (["train", "--lr-d", "-1"], "> 0"),
    (["train", "--dataset", "cifar"], "invalid choice"),
    (["train", "--recipe", "gan"], "invalid choice"),
    (["train", "--set", "lambda_cont"], "expected KEY=VALUE"),
])
def test_bad_options_exit_2_with_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("setting, message", [
    ("lambda_kat=1", "unknown setting 'lambda_kat'; the settings are: leaky_slope"),
    ("lambda_cont=abc", "setting 'lambda_cont' must be a number, got 'abc'"),
    ("lambda_cont=-1", "`lambda_cont` must be >= 0.0"),
    ("q_std=maybe", "setting 'q_std' must be one of learned, fixed"),
    ("gan_baseline=perhaps", "must be true or false"),
    ("consistency.weight=-1", "bad setting of consistency.*: `weight` must be >= 0.0"),
    ("code_prior.start=1.5", "setting 'code_prior.start' must be an integer"),
    ("distortion.scale_x=1.2,0.8", "bad setting of distortion.*: `scale_x` must be (low, high)"),
    ("distortion.scale_x=1.2", "setting 'distortion.scale_x' must be 2 comma-separated numbers"),
    ("distortion.rotation=200", "`rotation` must be <= 180"),
    ("latent.categorical=1", "bad setting of latent.*: `categorical[0]` must be >= 2"),
])
def test_bad_settings_are_one_line_errors_naming_the_key(setting, message, tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), "--set", setting, *TINY]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope.npz")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "r"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "r2"), "--batch-size", "100", "--subset", "50",
                 "--no-progress"]) == 2
    assert "exceeds" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "r3"), "--config", str(tmp_path / "none.json")]) == 2
    assert "--config: no such file" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "r3"), "--config", "x.json", "--recipe", "paper"]) == 2
    assert "not both" in capsys.readouterr().err


def test_console_entry_points():
    for cmd in ([sys.executable, "-m", "npgan", "--version"], [sys.executable, "-m", "npgan", "--help"]):
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0
        assert "npgan" in res.stdout


def test_train_help_lists_at_most_20_options_with_the_papers_group(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    options = {line.split()[0].rstrip(",") for line in out.splitlines() if line.strip().startswith("-")}
    assert len(options) <= 20, sorted(options)
    assert "the paper's hyperparameters" in out and "--set KEY=VALUE" in out


def test_recipes_command_lists_every_recipe_and_term(capsys):
    assert main(["recipes"]) == 0
    out = capsys.readouterr().out
    for word in ("paper", "code", "npgan", "npgan/synthetic", "code_prior.start", "distortion.scale_x",
                 "ortho_jacobian: G step"):
        assert word in out, word


@pytest.mark.parametrize("recipe, dataset", [("paper", "synthetic"), ("code", "synthetic"), ("npgan", "synthetic"),
                                             ("npgan", "mnist")])
def test_config_json_holds_the_resolved_recipe_and_repeats_the_run(recipe, dataset, tmp_path, monkeypatch):
    import npgan.cli._common as cli_common
    from npgan.data import load_dataset
    from npgan.recipes import resolve
    # MNIST's settings without the MNIST files: the loader is replaced by a tiny synthetic batch
    monkeypatch.setattr(cli_common, "load_images", lambda *a, n=None: load_dataset("synthetic", split="train", n=64))
    out = tmp_path / "a"
    assert main(["train", "--out", str(out), "--dataset", dataset, "--recipe", recipe, "--no-figures", *TINY]) == 0
    meta = json.loads((out / "config.json").read_text())
    config = TrainingConfig.from_dict(meta["config"])
    assert config == resolve(recipe, dataset, {"latent.noise_dim": 8, "batch_size": 8})
    assert config.recipe == recipe and meta["dataset"] == dataset and meta["seed"] == 0
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    for name, sched in config.terms.items():
        assert all((r[name] != 0) == (sched.at(r["update"]) > 0) for r in records), name
    again = tmp_path / "b"
    assert main(["train", "--out", str(again), "--config", str(out / "config.json"), "--subset", "64",
                 "--no-progress", "--no-figures"]) == 0
    assert (again / "metrics.jsonl").read_text().splitlines() != []
    strip = lambda path: [{k: v for k, v in json.loads(x).items() if k != "seconds"}  # noqa: E731
                          for x in path.read_text().splitlines()]
    assert strip(again / "metrics.jsonl") == strip(out / "metrics.jsonl")


def test_set_overrides_the_recipe_and_gan_baseline_turns_the_terms_off(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--no-figures", *TINY, "--set", "consistency.early_updates=0",
                 "--set", "consistency.weight=0.5", "--set", "distortion.rotation=20",
                 "--lr-g", "0.002"]) == 0
    config = TrainingConfig.from_dict(json.loads((out / "config.json").read_text())["config"])
    assert config.terms["consistency"].at(1) == 0.5 and config.distortion.rotation == 20.0
    assert config.model.lr_g == 0.002
    out = tmp_path / "gan"
    assert main(["train", "--out", str(out), "--no-figures", "--gan-baseline", *TINY]) == 0
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert all(r["consistency"] == 0.0 for r in records)


def _legacy(config: TrainingConfig) -> dict:
    """The flat config dict npgan wrote before the terms had their own package (up to 0.1)."""
    d = config.model.to_dict()
    t = config.terms
    d.update(consistency=t["consistency"].weight, consistency_early=t["consistency"].early_weight,
             consistency_early_updates=t["consistency"].early_updates, categorical_from=0, q_split=False,
             fake_consistency=0.0, distortion=config.to_dict()["distortion"])
    for name in ("code_prior", "ortho_jacobian", "code_equivariance"):
        d.update({name: t[name].weight, name + "_from": t[name].start})
    return d


def test_a_run_folder_written_before_the_redesign_still_works(run_dir, tiny_nets, tmp_path, capsys):
    import shutil
    from npgan.run import load_checkpoint, save_checkpoint
    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    state = load_checkpoint(old / "checkpoint.npz")
    config = TrainingConfig.from_dict(state["config"])
    state["config"] = _legacy(config)
    save_checkpoint(old / "checkpoint.npz", state)
    meta = json.loads((old / "config.json").read_text())
    meta["config"] = _legacy(config)
    (old / "config.json").write_text(json.dumps(meta))
    assert main(["sample", str(old), "--out", str(tmp_path / "s.png"), "--n", "4"]) == 0
    assert main(["traverse", str(old), "--out", str(tmp_path)]) == 0
    assert main(["eval", str(old), "--limit", "100", "--samples", "100", "--bases", "2"]) == 0
    assert main(["curves", str(old), "--out", str(tmp_path / "c.png")]) == 0
    updates = len((old / "metrics.jsonl").read_text().splitlines())
    assert main(["train", "--out", str(old), "--resume", "--updates", str(updates + 1), "--subset", "64", "--no-progress",
                 "--no-figures"]) == 0
    assert TrainingConfig.from_dict(load_checkpoint(old / "checkpoint.npz")["config"]).settings() == config.settings()
    # a run that used a retired setting says what to do instead of a traceback
    state["config"]["q_split"] = True
    save_checkpoint(old / "checkpoint.npz", state)
    capsys.readouterr()
    assert main(["eval", str(old)]) == 2
    assert "retired setting 'q_split'" in capsys.readouterr().err
