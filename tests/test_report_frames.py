"""Sample frames during training: a fixed latent from the run's seed, training untouched, resume, GIF."""

import json

import numpy as np
import pytest
from PIL import Image

from npgan.cli import main
from npgan.evaluation.probes import generate
from npgan.models import LatentSpec
from npgan.report.frames import SampleFrames, frame_latent, list_frames, write_progress_gif
from npgan.report.images import read_grey, to_grey
from npgan.run.folder import CHECKPOINT_NAME, METRICS_NAME
from npgan.train import TrainOptions, load_trained, train
from tiny_nets import TINY_LATENT as LATENT
from tiny_nets import random_images, tiny_config

TINY = ["--batch-size", "8", "--subset", "64", "--no-progress", "--no-figures", "--set", "latent.noise_dim=8"]


@pytest.fixture(scope="module")
def images():
    return random_images(40, seed=7)


def _train(out, images, updates, callback=None, resume=False):
    config = tiny_config()
    options = TrainOptions(updates=updates, seed=5, out_dir=out, checkpoint_every=100, progress=False)
    return train(config, images, options, resume=resume, callback=callback)


def _arrays(path):
    from npgan.run import load_checkpoint

    def walk(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from walk(v, f"{prefix}{k}.")
            elif isinstance(v, np.ndarray):
                yield f"{prefix}{k}", v
    return dict(walk(load_checkpoint(path)))


def _metrics(path):
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in path.read_text().splitlines()]


def test_frame_latent_comes_from_the_seed_alone():
    a, b, c = frame_latent(LATENT, 3), frame_latent(LATENT, 3), frame_latent(LATENT, 4)
    for x, y in ((a.z, b.z), (a.cat, b.cat), (a.cont, b.cont)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.z, c.z)
    assert (a.rows, a.cols) == (3, 10) and a.z.shape == (30, 6)
    # one row per category of c1; noise and the other codes fixed down each column
    np.testing.assert_array_equal(a.cat[:, 0], np.repeat(np.arange(3), 10))
    np.testing.assert_array_equal(a.z[:10], a.z[20:])
    assert frame_latent(LatentSpec(noise_dim=4, categorical=(), continuous=1), 0).rows == 10


def test_training_is_bit_identical_with_and_without_frames(images, tmp_path):
    _train(tmp_path / "plain", images, 6)
    frames = SampleFrames(tmp_path / "framed", seed=5, every=2)
    _train(tmp_path / "framed", images, 6, callback=frames)
    assert [u for u, _ in list_frames(tmp_path / "framed")] == [2, 4, 6]
    plain, framed = _arrays(tmp_path / "plain" / CHECKPOINT_NAME), _arrays(tmp_path / "framed" / CHECKPOINT_NAME)
    assert plain.keys() == framed.keys()
    for k in plain:
        np.testing.assert_array_equal(plain[k], framed[k], err_msg=k)
    assert _metrics(tmp_path / "plain" / METRICS_NAME) == _metrics(tmp_path / "framed" / METRICS_NAME)


def test_a_frame_is_gs_output_for_the_fixed_latent_and_the_gif_holds_every_frame(images, tmp_path):
    out = tmp_path / "run"
    _train(out, images, 4, callback=SampleFrames(out, seed=5, every=2))
    nets, _ = load_trained(out)
    fl = frame_latent(LATENT, 5)
    expected = to_grey(generate(nets, fl.z, fl.cat, fl.cont))  # (30, 28, 28)
    grid = read_grey(list_frames(out)[-1][1])
    assert grid.shape == (3 * 29 - 1, 10 * 29 - 1)
    for i in range(3):
        for j in range(10):
            cell = grid[29 * i: 29 * i + 28, 29 * j: 29 * j + 28].astype(int)
            assert np.abs(cell - expected[10 * i + j]).max() <= 1, (i, j)
    gif = write_progress_gif(out)
    with Image.open(gif) as im:
        assert im.n_frames == 2
        im.seek(1)
        assert im.size == (grid.shape[1], grid.shape[0] + 18)  # the update number's strip on top
    assert write_progress_gif(tmp_path / "empty") is None


def test_a_resumed_run_continues_the_sequence_with_the_same_latent(images, tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    _train(whole, images, 6, callback=SampleFrames(whole, seed=5, every=2))
    _train(parts, images, 4, callback=SampleFrames(parts, seed=5, every=2))
    # a frame drawn after the checkpoint by a run that was then killed: the resumed run draws it again
    (parts / "samples" / "update_00006.png").write_bytes(b"half a file")
    _train(parts, images, 6, callback=SampleFrames(parts, seed=5, every=2, start=4), resume=True)
    got, want = list_frames(parts), list_frames(whole)
    assert [u for u, _ in got] == [u for u, _ in want] == [2, 4, 6]
    for (_, a), (_, b) in zip(got, want):
        np.testing.assert_array_equal(read_grey(a), read_grey(b))


def test_a_new_run_clears_the_frames_of_the_one_before(tmp_path):
    frames = tmp_path / "samples"
    frames.mkdir()
    (frames / "update_00250.png").write_bytes(b"old")
    (frames / "notes.txt").write_text("mine")
    SampleFrames(tmp_path, seed=0, every=5)
    assert list_frames(tmp_path) == [] and (frames / "notes.txt").exists()
    assert json.loads((frames / "frames.json").read_text()) == {"every": 5, "seed": 0}


@pytest.mark.parametrize("kwargs, error", [({"every": 0}, ValueError), ({"every": 2.5}, TypeError),
                                           ({"seed": -1}, ValueError)])
def test_bad_frame_arguments(kwargs, error, tmp_path):
    with pytest.raises(error, match="every|seed"):
        SampleFrames(tmp_path, **{"seed": 0, "every": 2, **kwargs})


def test_cli_frames_resume_and_spacing(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--out", str(out), "--updates", "4", "--samples-every", "2", *TINY]) == 0
    assert "progress.gif" in capsys.readouterr().out
    assert main(["train", "--out", str(out), "--resume", "--updates", "6", "--subset", "64", "--no-progress",
                 "--no-figures"]) == 0
    assert [u for u, _ in list_frames(out)] == [2, 4, 6]
    with Image.open(out / "progress.gif") as im:
        assert im.n_frames == 3
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--updates", "8", "--samples-every", "3", "--subset", "64",
                 "--no-progress", "--no-figures"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "every 2 updates" in err and "--samples-every 3" in err
    assert main(["train", "--out", str(tmp_path / "none"), "--updates", "2", "--samples-every", "0", *TINY]) == 0
    assert not (tmp_path / "none" / "samples").exists() and not (tmp_path / "none" / "progress.gif").exists()


def test_the_status_line_names_the_latest_frame(tmp_path, capsys):
    from types import SimpleNamespace

    from npgan.models import InfoGANNets
    trainer = SimpleNamespace(nets=InfoGANNets(tiny_config(), np.random.default_rng(0)))
    frames = SampleFrames(tmp_path, seed=1, every=3, progress=True)
    for update in (1, 2, 3):
        frames(update, None, trainer)
    frames.close()
    assert frames.latest == tmp_path / "samples" / "update_00003.png"
    assert f"latest samples: {frames.latest} (update 3)" in capsys.readouterr().err


def test_the_report_caption_says_when_the_frames_were_drawn():
    from npgan.report.page import _frame_updates
    assert _frame_updates([10, 25, 50, 100, 250, 500], 250) == "at updates 10, 25, 50, 100, then every 250 updates up to 500"
    assert _frame_updates([250, 500], 250) == "every 250 updates up to 500"
    assert _frame_updates([10, 25], 250) == "at updates 10, 25"
