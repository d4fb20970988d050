"""Every command end to end on a tiny budget, and clear errors for bad options."""

import json
import subprocess
import sys

import pytest

from npgan.cli import main
from npgan.models import InfoGANConfig

TINY = ["--updates", "2", "--batch-size", "8", "--subset", "64", "--no-progress", "--noise-dim", "8"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--out", str(out), *TINY]) == 0
    return out


def test_train_writes_checkpoint_metrics_and_figures(run_dir):
    assert (run_dir / "checkpoint.npz").exists()
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["update"] for x in lines] == [1, 2]
    for name in ("traverse_cat0.png", "traverse_cont0.png", "traverse_cont1.png", "samples.png",
                 "li_curve.png", "losses.png"):
        assert (run_dir / name).stat().st_size > 1000, name


def test_resume_continues_and_refuses_to_clobber(run_dir, capsys):
    assert main(["train", "--out", str(run_dir), *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
    args = [a if a != "2" else "3" for a in TINY]
    # the banner names the run's own seed (0), not this command line's: resume ignores --seed
    assert main(["train", "--out", str(run_dir), "--resume", "--no-figures", "--seed", "5", *args]) == 0
    assert "resuming" in (err := capsys.readouterr().err) and "seed 0" in err and "seed 5" not in err
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["update"] for x in lines] == [1, 2, 3]


def test_traverse_sample_eval_curves(run_dir, tmp_path, capsys):
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
    assert (tmp_path / "mi_matrix.png").stat().st_size > 1000
    out = capsys.readouterr().out
    assert "categorical accuracy" in out and "rotation" in out and "MIG" in out
    assert "within each digit class" in out and "majority's code and sign" in out
    assert len(factors["class_rho"]) == 2 and set(factors["class_agreement"]) == {"rotation", "width"}
    assert (tmp_path / "class_rho.png").stat().st_size > 1000
    assert main(["curves", str(run_dir), "--out", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["train", "--updates", "0"], "positive integer"),
    (["train", "--batch-size", "x"], "positive integer"),
    (["train", "--lambda-cat", "-1"], ">= 0"),
    (["train", "--dataset", "cifar"], "invalid choice"),
    (["train", "--q-std", "maybe"], "invalid choice"),
    (["train", "--code-prior", "-1"], "--code-prior: expected a finite number >= 0"),
    (["train", "--code-prior-from", "1.5"], "--code-prior-from: expected a non-negative integer"),
    (["train", "--ortho-jacobian", "x"], "--ortho-jacobian: expected a number"),
    (["train", "--code-equivariance", "-1"], "--code-equivariance: expected a finite number >= 0"),
])
def test_bad_options_exit_2_with_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope.npz")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "r"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "r2"), "--batch-size", "100", "--subset", "50",
                 "--no-progress"]) == 2
    assert "exceeds" in capsys.readouterr().err


def test_console_entry_points():
    for cmd in ([sys.executable, "-m", "npgan", "--version"], [sys.executable, "-m", "npgan", "--help"]):
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0
        assert "npgan" in res.stdout


@pytest.mark.parametrize("recipe, extra, expected", [
    ("paper", [], dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.1, consistency=0.0)),
    ("code", [], dict(q_std="fixed", lambda_cont=1.0, leaky_slope=0.01, consistency=0.0)),
    ("npgan", [], dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.1, consistency=1.0,  # synthetic
                       consistency_early=3.0, consistency_early_updates=2500)),
    ("npgan", ["--consistency", "0.5", "--leaky-slope", "0.2"],  # an explicit weight from update 1
     dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.2, consistency=0.5, consistency_early_updates=0)),
    ("npgan", ["--consistency", "0", "--consistency-early", "2", "1"],
     dict(consistency=0.0, consistency_early=2.0, consistency_early_updates=1)),
    ("npgan", ["--code-prior", "2", "--code-prior-from", "1"], dict(code_prior=2.0, code_prior_from=1)),
    ("paper", ["--code-prior", "0.5"], dict(code_prior=0.5, code_prior_from=0)),
    ("npgan", ["--ortho-jacobian", "3", "--ortho-jacobian-from", "1"], dict(ortho_jacobian=3.0, ortho_jacobian_from=1)),
    ("npgan", ["--code-equivariance", "2", "--code-equivariance-from", "1"],
     dict(code_equivariance=2.0, code_equivariance_from=1)),
    ("npgan", ["--categorical-from", "1"], dict(categorical_from=1)),
    ("npgan", [], dict(categorical_from=0)),
])
def test_recipes_set_the_documented_hyperparameters(recipe, extra, expected, tmp_path):
    out = tmp_path / recipe
    assert main(["train", "--out", str(out), "--recipe", recipe, "--no-figures", *extra, *TINY]) == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert {k: config[k] for k in expected} == expected
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    cfg = InfoGANConfig.from_dict(config)
    assert all((r["iic"] > 0) == (cfg.consistency_at(r["update"]) > 0) for r in records)
    assert all((r["prior_w2"] > 0) == (cfg.code_prior_at(r["update"]) > 0) for r in records)
    assert all((r["ortho"] > 0) == (cfg.ortho_jacobian_at(r["update"]) > 0) for r in records)
    assert all((r["equivariance"] > 0) == (cfg.code_equivariance_at(r["update"]) > 0) for r in records)


@pytest.mark.parametrize("extra, expected", [
    ([], dict(rotation=45.0, scale_x=[0.7, 1.4])),  # synthetic digits: rotated ±30°, widths 0.6-1.4
    (["--distort-scale-x", "0.9", "1.1", "--distort-rotation", "20"], dict(rotation=20.0, scale_x=[0.9, 1.1])),
])
def test_distortion_ranges_follow_the_dataset_or_the_flags(extra, expected, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--no-figures", *extra, *TINY]) == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert {k: config["distortion"][k] for k in expected} == expected


def test_mnist_gets_its_own_consistency_weight(tmp_path, monkeypatch):
    # MNIST's settings without the MNIST files: the loader is replaced by a tiny synthetic batch.
    import npgan.cli as cli
    from npgan.data import load_dataset
    monkeypatch.setattr(cli, "_load_images", lambda *a, n=None: load_dataset("synthetic", split="train", n=64))
    out = tmp_path / "run"
    assert main(["train", "--dataset", "mnist", "--out", str(out), "--no-figures", *TINY]) == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["consistency"] == 1.0 and config["consistency_early_updates"] == 0
    assert config["distortion"]["rotation"] == 30.0


@pytest.mark.parametrize("recipe, dataset, weights", [("npgan", "synthetic", (3.0, 3.0, 1.0)),
                                                      ("npgan", "mnist", (1.0, 1.0, 1.0)),
                                                      ("paper", "synthetic", (0.0, 0.0, 0.0)),
                                                      ("code", "mnist", (0.0, 0.0, 0.0))])
def test_recipe_settings(recipe, dataset, weights):
    from npgan.cli import recipe_settings
    settings = recipe_settings(recipe, dataset)
    cfg = InfoGANConfig(**settings)
    assert tuple(cfg.consistency_at(u) for u in (1, 2500, 2501)) == weights
    # the continuous codes' terms: on the synthetic digits in the npgan recipe, from update 2 501
    terms = (cfg.code_prior_at, cfg.ortho_jacobian_at, cfg.code_equivariance_at)
    on = recipe == "npgan" and dataset == "synthetic"
    assert [w(2500) for w in terms] == [0.0, 0.0, 0.0]
    assert [w(2501) for w in terms] == ([100.0, 10.0, 30.0] if on else [0.0, 0.0, 0.0])
    settings["distortion"]["rotation"] = -1.0  # a copy: the tables stay as they were
    assert recipe_settings(recipe, dataset)["distortion"].get("rotation") != -1.0


@pytest.mark.parametrize("recipe, dataset, name", [("gan", "mnist", "recipe"), ("npgan", "cifar", "dataset")])
def test_recipe_settings_rejects_unknown_names(recipe, dataset, name):
    from npgan.cli import recipe_settings
    with pytest.raises(ValueError, match=name):
        recipe_settings(recipe, dataset)


def test_mnist_distortion_is_the_documented_default():
    from npgan.augment import Distortion
    from npgan.cli import DISTORTIONS
    assert Distortion(**DISTORTIONS["mnist"]) == Distortion()


@pytest.mark.parametrize("flags, name", [(["--consistency-early", "-1", "10"], "consistency-early"),
                                         (["--consistency-early", "1", "2.5"], "consistency-early"),
                                         (["--distort-scale-x", "1.2", "0.8"], "scale_x"),
                                         (["--distort-rotation", "200"], "rotation")])
def test_bad_distortion_range_is_one_line_error(flags, name, tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), *flags, *TINY]) == 2
    assert name in capsys.readouterr().err
