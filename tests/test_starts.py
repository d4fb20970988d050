"""Several starts, the best continued (npgan.train.starts): the settings, the choice, and that a run
with starts ends exactly as the chosen start trained alone would, interrupted or not."""

from __future__ import annotations

import json

import numpy as np
import pytest

import npgan.train.starts as starts_mod
from npgan.cli import main
from npgan.report.frames import adopt_start_frames, frame_path, list_frames
from npgan.train import Schedule, TrainingConfig, TrainingDiverged, TrainingInterrupted, TrainOptions, train
from npgan.train.config import Starts
from npgan.train.starts import other_starts_seconds, read_selection, start_folder, start_seed
from tiny_nets import random_images, tiny_config

SEED, UPDATES, AT, WINDOW = 3, 9, 5, 3


def config(count=3, **kw) -> TrainingConfig:
    return TrainingConfig(model=tiny_config(), terms={"consistency": Schedule(1.0)},
                          starts=Starts(count, kw.pop("at", AT), WINDOW), **kw)


@pytest.fixture(scope="module")
def images():
    return random_images(48, seed=5)


pytestmark = pytest.mark.usefixtures("tiny_nets")


def options(out, updates=UPDATES, seed=SEED, **kw):
    return TrainOptions(updates=updates, seed=seed, out_dir=out, progress=False, checkpoint_every=4, **kw)


def state_arrays(trainer) -> dict:
    return {k: v.copy() for k, v in trainer.nets.state_dict().items()}


def records(folder) -> list[dict]:
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in lines]


def assert_same_state(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def favour(monkeypatch, k_best: int):
    """Make start ``k_best`` the one chosen (its statistic + 100), whatever the numbers."""
    real = starts_mod.statistic_of

    def biased(path, updates, window):
        value, seconds = real(path, updates, window)
        mine = path.parent == start_folder(path.parent.parent.parent, k_best) if k_best else False
        return value + (100.0 if mine else 0.0), seconds
    monkeypatch.setattr(starts_mod, "statistic_of", biased)


# ------------------------------------------------------------------ settings

def test_start_seeds_are_the_run_seed_then_independent():
    assert start_seed(7, 0) == 7
    seeds = [start_seed(7, k) for k in range(1, 6)]
    assert len(set(seeds)) == 5 and seeds == [start_seed(7, k) for k in range(1, 6)]
    assert start_seed(8, 1) != start_seed(7, 1)
    assert all(0 <= s < 2**63 for s in seeds)


def test_starts_are_settings_that_round_trip():
    c = TrainingConfig().with_settings({"consistency.weight": "1", "starts.count": "4", "starts.updates": "800",
                                        "starts.window": "50"})
    assert c.starts == Starts(4, 800, 50)
    assert {"starts.count": 4, "starts.updates": 800, "starts.window": 50}.items() <= c.settings().items()
    assert TrainingConfig.from_dict(c.to_dict()) == c
    old = c.to_dict()
    del old["starts"]  # a config written before starts existed: one start
    assert TrainingConfig.from_dict(old).starts == Starts()


@pytest.mark.parametrize("changes, message", [
    ({"starts.count": "2"}, "consistency term is off in update 901"),
    ({"starts.count": "2", "consistency.weight": "1", "consistency.start": "950"}, "off in update 901"),
    ({"starts.count": "2", "consistency.weight": "1", "gan_baseline": "true"}, "GAN baseline"),
    ({"starts.count": "0"}, "`count` must be >= 1, got 0"),
    ({"starts.count": "17"}, "at most 16, got 17"),
    ({"starts.window": "1001"}, "`window` (1001) must be at most `updates` (1000)"),
    ({"starts.count": "two"}, "setting 'starts.count' must be an integer, got 'two'"),
])
def test_bad_starts_settings_name_the_problem(changes, message):
    with pytest.raises(ValueError) as err:
        TrainingConfig().with_settings(changes)
    assert message in str(err.value)


# ------------------------------------------------------------------ the run

@pytest.mark.parametrize("k_best", [0, 2])
def test_a_run_with_starts_ends_as_the_chosen_start_alone(tmp_path, images, monkeypatch, k_best):
    favour(monkeypatch, k_best)
    trainer, _ = train(config(), images, options(tmp_path / "run"))
    sel = read_selection(tmp_path / "run")
    assert sel["chosen"] == k_best and sel["updates"] == AT and sel["window"] == WINDOW
    assert [s["seed"] for s in sel["starts"]] == [start_seed(SEED, k) for k in range(3)]
    for k in (1, 2):  # every other start ran to the choice, as a plain run of its seed
        assert len(records(start_folder(tmp_path / "run", k))) == AT
    plain, _ = train(config(count=1), images, options(tmp_path / "alone", seed=start_seed(SEED, k_best)))
    assert_same_state(state_arrays(trainer), state_arrays(plain))
    assert records(tmp_path / "run") == records(tmp_path / "alone")
    meta = json.loads((tmp_path / "run" / "config.json").read_text())
    assert meta["seed"] == SEED and meta["config"]["starts"]["count"] == 3


def test_the_choice_is_the_highest_consistency_over_the_window(tmp_path, images):
    train(config(), images, options(tmp_path / "run", updates=AT + 1))
    sel = read_selection(tmp_path / "run")
    for s in sel["starts"]:
        folder = start_folder(tmp_path / "run", s["start"])
        if s["start"] == 0:
            continue  # its log now may be the chosen start's; its value was kept before
        window = [r["consistency"] for r in records(folder)[AT - WINDOW:AT]]
        assert s["value"] == pytest.approx(np.mean(window), rel=1e-12)
    values = [s["value"] for s in sel["starts"]]
    assert sel["chosen"] == int(np.argmax(values))
    assert other_starts_seconds(tmp_path / "run") == pytest.approx(
        sum(s["seconds"] for s in sel["starts"] if s["start"] != sel["chosen"]))


def test_interrupted_in_another_start_then_resumed_is_the_same_run(tmp_path, images, monkeypatch):
    favour(monkeypatch, 2)
    whole, _ = train(config(), images, options(tmp_path / "whole"))

    def stop_start1(k, folder):
        def cb(update, stats, trainer):
            if k == 1 and update == 3:
                raise KeyboardInterrupt
        return cb
    with pytest.raises(TrainingInterrupted, match="start 1 of starts 0-2.*resumes its starts"):
        train(config(), images, options(tmp_path / "cut"), start_callback=stop_start1)
    assert read_selection(tmp_path / "cut") is None
    resumed, _ = train(config(), images, options(tmp_path / "cut"), resume=True)
    assert_same_state(state_arrays(whole), state_arrays(resumed))
    assert records(tmp_path / "whole") == records(tmp_path / "cut")


def test_a_run_that_stops_at_the_choice_chooses_when_resumed(tmp_path, images, monkeypatch):
    favour(monkeypatch, 1)
    whole, _ = train(config(), images, options(tmp_path / "whole"))
    train(config(), images, options(tmp_path / "two", updates=AT))
    assert read_selection(tmp_path / "two") is None and not (tmp_path / "two" / "starts" / "1").exists()
    resumed, _ = train(config(), images, options(tmp_path / "two"), resume=True)
    assert read_selection(tmp_path / "two")["chosen"] == 1
    assert_same_state(state_arrays(whole), state_arrays(resumed))
    assert records(tmp_path / "whole") == records(tmp_path / "two")


def test_a_start_that_diverges_is_not_chosen(tmp_path, images, monkeypatch):
    favour(monkeypatch, 1)  # it would be chosen, had it not diverged

    def diverge_start1(k, folder):
        def cb(update, stats, trainer):
            if k == 1 and update == 2:
                raise TrainingDiverged("a loss became non-finite (test)")
        return cb
    train(config(), images, options(tmp_path / "run"), start_callback=diverge_start1)
    sel = read_selection(tmp_path / "run")
    assert sel["starts"][1]["value"] is None and sel["chosen"] in (0, 2)


def test_a_new_run_removes_an_earlier_runs_starts(tmp_path, images):
    train(config(), images, options(tmp_path / "run", updates=AT + 1))
    marker = start_folder(tmp_path / "run", 1) / "marker"
    marker.write_text("old")
    train(config(), images, options(tmp_path / "run", updates=AT + 1, overwrite=True))
    assert not marker.exists() and read_selection(tmp_path / "run") is not None


def test_frames_up_to_the_choice_are_the_chosen_starts(tmp_path):
    run = tmp_path / "run"
    for folder, tag in ((run, b"start0"), (start_folder(run, 2), b"start2")):
        for update in (2, 4, 6):
            frame_path(folder, update).parent.mkdir(parents=True, exist_ok=True)
            frame_path(folder, update).write_bytes(tag + bytes([update]))
    starts = [{"start": k, "seed": k, "value": 0.5, "seconds": 1.0} for k in range(3)]
    (run / "starts" / "selection.json").write_text(json.dumps({"chosen": 2, "updates": 4, "window": 2,
                                                                "starts": starts}))
    assert adopt_start_frames(run) == 2
    assert adopt_start_frames(run) == 2  # again: the same files
    got = {u: p.read_bytes() for u, p in list_frames(run)}
    assert got == {2: b"start2\x02", 4: b"start2\x04", 6: b"start0\x06"}


def test_cli_train_with_starts(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--updates", "5", "--batch-size", "8", "--subset", "64",
                 "--no-progress", "--no-figures", "--samples-every", "2", "--set", "latent.noise_dim=8",
                 "--set", "starts.count=2", "--set", "starts.updates=4", "--set", "starts.window=2"]) == 0
    sel = read_selection(out)
    assert len(sel["starts"]) == 2 and "continuing start" in capsys.readouterr().err
    chosen = start_folder(out, sel["chosen"])
    for update in (2, 4):
        assert frame_path(out, update).read_bytes() == frame_path(chosen, update).read_bytes()
    assert [u for u, _ in list_frames(out)] == [2, 4]
    assert main(["eval", str(out), "--limit", "100", "--samples", "100", "--bases", "4"]) == 0
    assert main(["report", str(out), "--noise", "2"]) == 0
    page = (out / "report.html").read_text()
    assert "2 starts of 4 updates" in page and f"continued start {sel['chosen']}" in page


def test_a_sweep_run_with_starts_counts_every_starts_time(tmp_path):
    from npgan.sweep import EvalOptions, SweepSpec, plan_runs, write_summary
    from npgan.sweep.task import run_one
    sets = [("batch_size", "8"), ("latent.noise_dim", "8"), ("starts.count", "2"), ("starts.updates", "4"),
            ("starts.window", "2")]
    runs = plan_runs(["npgan"], [1], sets)
    spec = SweepSpec(dataset="synthetic", runs=tuple(runs), updates=5, out=tmp_path, subset=64,
                     evaluation=EvalOptions(samples=100, bases=2, limit=100), figures=True, eval_at=(4,))
    stops = []
    run_one(spec, runs[0], should_stop=lambda: stops.append(1) and False)
    folder = spec.folder(runs[0])
    sel = read_selection(folder)
    # asked in start 1's 4 updates too (a sweep can stop during any start) and in start 0's 5; and,
    # for each of the two trainings (to the --eval-at update 4, then to 5), once before it starts and
    # once before its evaluation (npgan.sweep.task: a stop then ends the run at once)
    assert len(stops) == 4 + 5 + 2 * 2
    chosen = start_folder(folder, sel["chosen"])
    from npgan.sweep.task import milestone_path  # the evaluation at the choice's update is start 0's
    assert json.loads(milestone_path(folder, 4).read_text())["update"] == 4
    own = sum(r["seconds"] for r in (json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()))
    from npgan.sweep.record import save_record
    save_record(tmp_path, spec, {})
    row = write_summary(tmp_path).rows[0]
    assert row["train_s"] == pytest.approx(own + other_starts_seconds(folder))
    assert other_starts_seconds(folder) > 0 and chosen.exists()
