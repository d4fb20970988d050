"""metrics.jsonl: a line per update, flushed at once; a torn last line is dropped with a note; damage is one line."""

from __future__ import annotations

import json

import pytest

from npgan.cli import main
from npgan.run import MetricsError, load_checkpoint, read_metrics
from npgan.run.metrics import truncate_metrics
from tiny_nets import SMALL_LATENT, error_line, random_images, tiny_config
from tiny_nets import TINY_TRAIN_ARGS as TINY

pytestmark = pytest.mark.usefixtures("tiny_nets")


@pytest.fixture
def run(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *TINY]) == 0
    return out


def test_every_update_is_on_disk_before_the_next_begins(tmp_path):
    from npgan.train import TrainOptions, train
    seen = []

    def callback(update, stats, trainer):
        seen.append(len((tmp_path / "r" / "metrics.jsonl").read_text().splitlines()))
    images = random_images(16, seed=0)
    config = tiny_config(SMALL_LATENT)
    train(config, images, TrainOptions(updates=5, out_dir=tmp_path / "r", checkpoint_every=100, progress=False),
          callback=callback)
    assert seen == [1, 2, 3, 4, 5]


def test_a_torn_last_line_is_dropped_with_a_note_by_curves_and_resume(run, tmp_path, capsys):
    with (run / "metrics.jsonl").open("a") as f:
        f.write('{"update": 5, "d_loss": 1.')  # what a kill in the middle of a write leaves
    capsys.readouterr()
    assert main(["curves", str(run), "--out", str(tmp_path / "c.png")]) == 0
    assert "note:" in (err := capsys.readouterr().err) and "dropped an incomplete last line" in err
    assert main(["train", "--out", str(run), "--resume", "--updates", "6", *TINY[2:]]) == 0
    assert "dropped 0 line(s) written after the checkpoint (update 4) and an incomplete last line" in capsys.readouterr().err
    assert [r["update"] for r in read_metrics(run / "metrics.jsonl").records] == [1, 2, 3, 4, 5, 6]


def test_lines_after_the_checkpoint_are_cut_on_resume(run, capsys):
    lines = (run / "metrics.jsonl").read_text().splitlines()
    extra = json.loads(lines[-1])
    extra["update"] = 5
    (run / "metrics.jsonl").write_text("\n".join(lines + [json.dumps(extra)]) + "\n")
    assert truncate_metrics(run / "metrics.jsonl", 4) == 1
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 4


@pytest.mark.parametrize("content, message", [
    ('{"update": 1}\nnot json\n{"update": 3}\n', "line 2 is not valid JSON"),
    ('{"update": 1}\n[1, 2]\n', "line 2 is not a metrics record"),
    ('{"update": 1}\n{"update": "2"}\n', "line 2 is not a metrics record"),
    ('{"update": 1}\n{"update": 2}\n{"update": 1}\n{"update": 2}\n', "line 3 holds update 1, expected 3"),
    ('{"update": 1}\n{"update": 3}\n', "line 2 holds update 3, expected 2"),
    ("[" * 100000 + "\n", "line 1 is not valid JSON"),
])
def test_a_damaged_log_is_one_line_for_curves_and_resume(content, message, run, tmp_path, capsys):
    (run / "metrics.jsonl").write_text(content)
    capsys.readouterr()
    assert main(["curves", str(run), "--out", str(tmp_path / "c.png")]) == 2
    assert message in error_line(capsys, "curves")
    assert main(["train", "--out", str(run), "--resume", "--updates", "6", *TINY[2:]]) == 2
    assert message in error_line(capsys, "train")
    with pytest.raises(MetricsError, match="metrics.jsonl"):
        read_metrics(run / "metrics.jsonl")


def test_a_log_that_lost_lines_is_refused_and_a_missing_log_restarts(run, capsys):
    (run / "metrics.jsonl").write_text('{"update": 1}\n{"update": 2}\n')
    assert main(["train", "--out", str(run), "--resume", "--updates", "6", *TINY[2:]]) == 2
    assert "holds 2 updates but the checkpoint is of update 4: the log has lost lines" in error_line(capsys, "train")
    (run / "metrics.jsonl").unlink()
    assert main(["train", "--out", str(run), "--resume", "--updates", "6", *TINY[2:]]) == 0
    assert "metrics.jsonl is missing; the log goes on from update 5" in capsys.readouterr().err
    assert [r["update"] for r in read_metrics(run / "metrics.jsonl").records] == [5, 6]
    assert load_checkpoint(run / "checkpoint.npz")["update"] == 6


@pytest.mark.parametrize("content, message", [
    ("{", "config.json is not a run's config.json: not valid JSON"),
    ('{"config": 1, "seed": 0}', "config.json is not a run's config.json: 'config' must be a JSON object, got 1"),
    ('{"config": {}}', "config.json: the run's settings cannot be read: the config has no `model` entry"),
])
def test_curves_with_a_bad_config_json_is_one_line(content, message, run, tmp_path, capsys):
    (run / "config.json").write_text(content)
    assert main(["curves", str(run), "--out", str(tmp_path / "c.png")]) == 2
    assert message in error_line(capsys, "curves")
