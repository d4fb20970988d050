"""An evaluation estimates its memory from its options and the checkpoint's settings and refuses, in one
line and before loading anything, what cannot fit: npgan eval, npgan report's re-evaluation, and a local
sweep (its workers' evaluations, before anything starts) (issue 33)."""

from __future__ import annotations

import pytest

import importlib.util

import npgan.models.memory as model_memory
import npgan.evaluation.run as eval_run
from npgan.cli import main
from npgan.cli._common import MAX_BASES, MAX_EVAL_SAMPLES, MAX_TEST_IMAGES
from npgan.evaluation.memory import check_evaluation_memory, evaluation_memory
from npgan.models import InfoGANConfig, LatentSpec
from npgan.models.memory import NotEnoughMemory
from tiny_nets import TINY_TRAIN_ARGS

GIB = 2**30
PAPER = InfoGANConfig()


@pytest.fixture
def run(tmp_path, tiny_nets):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *TINY_TRAIN_ARGS]) == 0
    return out


def _never_loaded(monkeypatch):
    def load(*a, **k):
        raise AssertionError("the checkpoint was loaded")
    monkeypatch.setattr(eval_run, "load_trained", load)


def test_the_estimate_grows_with_each_option_and_covers_the_measured_peaks():
    base = dict(samples=100, bases=2, n_test=100, synthetic=False)
    small = evaluation_memory(PAPER, **base).total
    assert 552e6 < small < 1.5 * 552e6  # measured: 552 MB peak at these sizes
    assert evaluation_memory(PAPER, **{**base, "samples": 20_000}).total > 951e6
    assert evaluation_memory(PAPER, **{**base, "bases": 1024}).total > 1021e6
    assert evaluation_memory(PAPER, **{**base, "n_test": 10_000, "synthetic": True}).total > 690e6
    most = evaluation_memory(PAPER, samples=MAX_EVAL_SAMPLES, bases=MAX_BASES, n_test=MAX_TEST_IMAGES,
                             synthetic=True)
    assert 2.5 * GIB < most.total < 4 * GIB


def test_phases_that_do_not_run_cost_nothing():
    no_codes = InfoGANConfig(latent=LatentSpec(noise_dim=62, categorical=(), continuous=0))
    est = evaluation_memory(no_codes, samples=100, bases=4096, n_test=10_000, synthetic=False)
    assert est.test_bytes == 0 and list(est.phase_bytes) == ["L_I on 100 samples"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(samples=0), "`samples` must be"),
    (dict(bases=1), "`bases` must be"),
    (dict(n_test=0), "`n_test` must be"),
    (dict(synthetic="yes"), "`synthetic` must be a bool, got str"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = {"samples": 10, "bases": 2, "n_test": 10, "synthetic": False, **kwargs}
    with pytest.raises((TypeError, ValueError), match=message):
        evaluation_memory(PAPER, **args)
    with pytest.raises(TypeError, match="`config` must be an InfoGANConfig, got dict"):
        evaluation_memory({}, samples=10, bases=2, n_test=10, synthetic=False)


def test_check_refuses_only_what_does_not_fit(monkeypatch):
    monkeypatch.setattr(model_memory, "available_memory", lambda: 1 * GIB)
    args = dict(bases=2, n_test=100, synthetic=False)
    assert check_evaluation_memory(PAPER, samples=100, **args).total < GIB
    with pytest.raises(NotEnoughMemory, match=r"L_I on 100,000 samples: 2\.3 GiB\), but only 1\.0 GiB"):
        check_evaluation_memory(PAPER, samples=100_000, **args)
    monkeypatch.setattr(model_memory, "available_memory", lambda: None)  # unknown: nothing refused
    check_evaluation_memory(PAPER, samples=100_000, **args)


@pytest.mark.parametrize("options, what", [
    (["--samples", str(MAX_EVAL_SAMPLES)], "L_I on 100,000 samples"),
    (["--bases", str(MAX_BASES), "--samples", "10"], "sweeps of 4,096 bases x 11 values"),
])
def test_eval_that_cannot_fit_is_one_line_before_loading_anything(options, what, run, monkeypatch, capsys):
    monkeypatch.setattr(model_memory, "available_memory", lambda: int(1.5 * GIB))
    _never_loaded(monkeypatch)
    capsys.readouterr()
    assert main(["eval", str(run), *options]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("npgan eval: error: evaluating this run needs about"), lines
    assert what in lines[0] and "but only 1.5 GiB is available: lower --samples, --bases or --limit" in lines[0]
    assert not (run / "eval.json").exists() and captured.out == ""


def test_eval_that_fits_runs(run, monkeypatch, capsys):
    monkeypatch.setattr(model_memory, "available_memory", lambda: int(1.5 * GIB))
    assert main(["eval", str(run), "--samples", "20", "--bases", "2", "--limit", "20"]) == 0
    assert (run / "eval.json").exists()


def test_a_damaged_checkpoint_is_still_one_line(run, monkeypatch, capsys):
    _never_loaded(monkeypatch)
    (run / "checkpoint.npz").write_bytes(b"not a zip")
    capsys.readouterr()
    assert main(["eval", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint.npz: not a readable npgan checkpoint" in err[0], err


def test_report_that_must_evaluate_again_and_cannot_fit_is_one_line(run, monkeypatch, capsys):
    (run / "eval.json").unlink(missing_ok=True)          # the report evaluates the run first
    monkeypatch.setattr(model_memory, "available_memory", lambda: GIB // 4)
    _never_loaded(monkeypatch)
    capsys.readouterr()
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("npgan report: error: evaluating this run needs about"), err
    assert "but only 0.2 GiB is available" in err[-1] and not any("Traceback" in line for line in err)
    assert not (run / "eval.json").exists() and not (run / "report.html").exists()


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs dask.distributed")
def test_sweep_whose_evaluations_cannot_fit_is_refused_before_it_starts(tmp_path, monkeypatch, capsys):
    one = evaluation_memory(InfoGANConfig(batch_size=8, latent=LatentSpec(noise_dim=8)), samples=MAX_EVAL_SAMPLES,
                            bases=2, n_test=100, synthetic=True).total
    monkeypatch.setattr(model_memory, "available_memory", lambda: int(1.5 * one))   # one fits, two do not
    out = tmp_path / "s"
    assert main(["sweep", "--recipe", "paper", "--seeds", "0-1", "--updates", "2", "--out", str(out),
                 "--workers", "2", "--subset", "64", "--set", "batch_size=8", "--set", "latent.noise_dim=8",
                 "--eval-samples", str(MAX_EVAL_SAMPLES), "--eval-bases", "2", "--eval-limit", "100",
                 "--no-figures", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("npgan sweep: error: evaluating this run needs about"), err
    assert "2 evaluations at once" in err[-1] and "--eval-samples" in err[-1] and "--workers" in err[-1]
    assert not any("Traceback" in line for line in err) and not (out / "sweep.json").exists()
