"""The report without a browser: the explorer's plan and frames, the page's contents, `npgan report`."""

import json
from html.parser import HTMLParser

import numpy as np
import pytest

from npgan.cli import main
from npgan.evaluation.probes import generate
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.report.explorer import plan_explorer, render_explorer
from tiny_nets import tiny_nets_patched

TINY = ["--updates", "2", "--batch-size", "8", "--subset", "64", "--no-progress", "--no-figures",
        "--samples-every", "1", "--set", "latent.noise_dim=8"]


@pytest.mark.parametrize("latent, free, frames", [
    (LatentSpec(), ["c1", "c2", "c3"], 10 * 9 * 9 * 8),                  # the paper's layout: everything
    (LatentSpec(continuous=1), ["c1", "c2"], 10 * 9 * 8),
    (LatentSpec(continuous=3), ["c1"], 10 * (1 + 3 * 8) * 8),             # beyond two: one at a time
    (LatentSpec(categorical=(10,) * 4, continuous=4), ["c1"], 10 * (1 + 3 * 9 + 4 * 8) * 8),
    (LatentSpec(noise_dim=0), ["c1", "c2", "c3"], 10 * 9 * 9),            # no noise: one noise "vector"
    (LatentSpec(categorical=(), continuous=0), [], 8),
])
def test_the_plan_for_every_latent_layout(latent, free, frames):
    plan = plan_explorer(latent)
    assert [c.name for c in plan.free] == free
    assert plan.n_frames == frames
    idx = plan.value_indices()
    assert idx.shape == (plan.frames_per_noise, len(plan.codes))
    assert len({tuple(r) for r in idx}) == idx.shape[0], "a combination is rendered twice"
    single = [i for i, c in enumerate(plan.codes) if not c.free]
    anchors = np.array([plan.codes[i].anchor for i in single])
    assert ((idx[:, single] != anchors).sum(axis=1) <= 1).all(), "two one-at-a-time codes set at once"


def test_the_budget_decides_how_many_codes_are_free():
    lat = LatentSpec(continuous=3)
    assert [c.free for c in plan_explorer(lat, budget=10**6).codes] == [True] * 4
    assert [c.free for c in plan_explorer(lat, budget=20_000).codes] == [True, True, False, False]
    tight = plan_explorer(lat, budget=1)   # nothing fits: every code one at a time, still rendered
    assert not any(c.free for c in tight.codes) and tight.n_frames == 8 * (1 + 9 + 3 * 8)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"steps": 8}, ValueError, "odd"), ({"steps": 1}, ValueError, "steps"), ({"noise": 0}, ValueError, "noise"),
    ({"span": -1.0}, ValueError, "span"), ({"budget": 1.5}, TypeError, "budget")])
def test_bad_plan_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plan_explorer(LatentSpec(), **kwargs)
    with pytest.raises(TypeError, match="latent"):
        plan_explorer({"noise_dim": 4})


def test_sheet_cells_are_gs_images_in_page_order():
    lat = LatentSpec(noise_dim=4, categorical=(3,), continuous=3)
    nets = InfoGANNets(InfoGANConfig(latent=lat, batch_size=8), np.random.default_rng(0))
    plan = plan_explorer(lat, steps=3, noise=2, budget=100)   # c1, c2 free; c3, c4 one at a time
    assert [c.free for c in plan.codes] == [True, True, False, False]
    frames = render_explorer(nets, plan, np.random.default_rng(1))
    z, cat, cont = plan.latents(frames.noise)
    want = 255 - np.rint(255 * generate(nets, z, cat, cont)[:, 0].astype(np.float64)).astype(np.int64)
    per, cols = plan.frames_per_noise, frames.cols
    for k in (0, 5, per - 1, per, 2 * per - 1):
        v, i = divmod(k, per)
        cell = frames.sheets[v][28 * (i // cols): 28 * (i // cols) + 28, 28 * (i % cols): 28 * (i % cols) + 28]
        assert np.abs(cell.astype(np.int64) - want[k]).max() <= 1, k
    m = frames.manifest()
    assert json.loads(json.dumps(m)) == m and np.array_equal(np.array(m["noise"], dtype=np.float32), frames.noise)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.imgs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.refs += [attrs[k] for k in ("src", "href") if k in attrs]
        if tag == "img":
            self.imgs.append(attrs)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A run on the tiny networks, evaluated (the tests that use it ask for them too)."""
    out = tmp_path_factory.mktemp("report") / "run"
    with tiny_nets_patched():
        assert main(["train", "--out", str(out), *TINY]) == 0
        assert main(["eval", str(out), "--limit", "100", "--samples", "100", "--bases", "4"]) == 0
    return out


def test_the_page_is_one_file_with_the_runs_numbers(tiny_run, tiny_nets, capsys):
    assert main(["report", str(tiny_run), "--noise", "2"]) == 0
    assert "report.html" in capsys.readouterr().out
    page = (tiny_run / "report.html").read_text()
    refs = _Refs()
    refs.feed(page)
    assert refs.refs and all(r.startswith(("data:", "#")) for r in refs.refs), "a reference outside the file"
    assert all(img.get("alt") is not None for img in refs.imgs)
    ev = json.loads((tiny_run / "eval.json").read_text())
    assert f"{100 * ev['accuracy']:.1f} %" in page and f"{ev['li_cat']:.3f}".replace("-", "\u2212") in page
    assert "<code>consistency.weight</code>" in page and "2 of 2 at batch 8" in page
    assert page.count('class="explorer-sheet"') == 2 and "progress" in page and "image/gif" in page


def test_a_stale_evaluation_is_done_again(tiny_run, tiny_nets, capsys, monkeypatch):
    import npgan.report.build as build
    ev_path = tiny_run / "eval.json"
    ev = json.loads(ev_path.read_text())
    ev_path.write_text(json.dumps({**ev, "update": 1}))
    calls = []

    def evaluate(run, **kwargs):  # the real one is tested above; this only records that it ran
        calls.append(run)
        ev_path.write_text(json.dumps(ev))
        return None, ev, []
    monkeypatch.setattr(build, "evaluate_and_save", evaluate)
    assert main(["report", str(tiny_run), "--noise", "1", "--steps", "3"]) == 0
    assert "not of update 2: evaluating again" in capsys.readouterr().err and calls == [tiny_run]
    assert main(["report", str(tiny_run), "--noise", "1", "--steps", "3"]) == 0
    assert calls == [tiny_run], "an evaluation of the checkpoint's update was not reused"


@pytest.mark.parametrize("argv, message", [
    (["report", "{missing}"], "holds no checkpoint.npz"),
    (["report", "{run}", "--steps", "4"], "`steps` must be odd"),
    (["report", "{run}", "--noise", "0"], "expected a positive integer"),
    (["report", "{run}", "--data-dir", "{missing}"], "--data-dir: no such folder")])
def test_report_errors_are_one_line(argv, message, tiny_run, tiny_nets, tmp_path, capsys):
    argv = [a.format(run=tiny_run, missing=tmp_path / "nothing") for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:   # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "".join(err)


@pytest.mark.parametrize("latent, budget", [(LatentSpec(), 8192), (LatentSpec(continuous=3), 500),
                                            (LatentSpec(categorical=(3, 4), continuous=2), 1),
                                            (LatentSpec(categorical=(), continuous=0), 8)])
def test_frame_index_is_the_page_order(latent, budget):
    plan = plan_explorer(latent, steps=5, budget=budget)
    idx = plan.value_indices()
    assert [plan.frame_index(row) for row in idx] == list(range(idx.shape[0]))
    single = [i for i, c in enumerate(plan.codes) if not c.free]
    if len(single) >= 2:
        values = list(plan.anchors())
        for i in single[:2]:
            values[i] = (values[i] + 1) % plan.codes[i].size
        with pytest.raises(ValueError, match="two one-at-a-time codes"):
            plan.frame_index(values)


def test_matched_digits_read_eval_jsons_mapping():
    from npgan.report.explorer import matched_digits
    assert matched_digits({"mapping": {"0": 3, "1": 7, "2": 0}}, 3) == (3, 7, 0)
    assert matched_digits({"mapping": {0: 3, 2: 0}}, 3) == (3, None, 0)   # a category left unmatched
    assert matched_digits({"update": 5}, 10) is None and matched_digits(None, 10) is None


def test_read_eval_checks_the_mapping(tmp_path):
    from npgan._json import JSONFileError
    from npgan.evaluation.eval_file import read_eval
    base = {"update": 1, "dataset": "synthetic", "li_cat": 0.1, "h_cat": 2.3, "continuous": []}
    path = tmp_path / "eval.json"
    for mapping, match in (({"a": 1}, "keys must be category numbers"), ({"0": "1"}, r"mapping\[0\]"),
                           ([1, 2], "'mapping' must be a JSON object")):
        path.write_text(json.dumps({**base, "mapping": mapping}))
        with pytest.raises(JSONFileError, match=match):
            read_eval(path)
    path.write_text(json.dumps({**base, "mapping": {"0": 4}}))
    assert read_eval(path)["mapping"] == {"0": 4}


def _explorer(latent=LatentSpec(noise_dim=4, categorical=(4,), continuous=1)):
    nets = InfoGANNets(InfoGANConfig(latent=latent, batch_size=8), np.random.default_rng(0))
    return render_explorer(nets, plan_explorer(latent, steps=3, noise=2), np.random.default_rng(1))


def test_the_explorers_first_state_is_written_into_the_page():
    from npgan.report.explorer_page import explorer_section
    from npgan.report.images import data_uri, png_bytes
    frames = _explorer()
    page = explorer_section(frames, None, "rule")
    refs = _Refs()
    refs.feed(page)
    still = next(img for img in refs.imgs if img.get("id") == "explorer-still")
    first = frames.sheets[0][:28, 28:56]   # frame 1 of noise vector 0: c1 = 0, c2 = 0 (its values: -2, 0, 2)
    assert np.array_equal(frames.image(frames.plan.anchors()), first)
    assert still["src"] == data_uri(png_bytes(first), "image/png") and "c1 = 0, c2 = +0.00" in still["alt"]
    assert '<p id="explorer-caption" aria-live="polite">c1 = 0, c2 = +0.00, noise vector 1 of 2</p>' in page
    assert "Sweep of c1 over its categories, the other codes as set" in page
    assert len([img for img in refs.imgs if img.get("class") == "pixels"]) == 4   # c1's strip
    assert page.count(" disabled") == 4 + 1 + 2 + 4   # c1's buttons, c2's slider, the noise buttons, the strip
    assert "code indices (0 to 3), not digits" in page and "digits" not in frames.manifest()["codes"][0]


def test_c1s_buttons_carry_the_digits_matched_on_the_test_set():
    from npgan.report.explorer_page import display_order, explorer_section
    frames = _explorer()
    ev = {"update": 7, "dataset": "mnist", "accuracy": 0.5, "n_test": 100, "mapping": {"0": 2, "1": 0, "3": 9}}
    page = explorer_section(frames, ev, "rule")
    manifest = json.loads(page.split('id="explorer-data">')[1].split("</script>")[0])
    assert manifest["codes"][0]["digits"] == [2, 0, None, 9] and manifest["codes"][0]["order"] == [1, 0, 3, 2]
    assert display_order(frames.plan.codes[0], (2, 0, None, 9)) == [1, 0, 3, 2]
    assert "matched on the mnist test set" in page and "c1 = 0 \u2192 draws digit 2" in page
    assert "accuracy 50.0 % on 100 test images" in page and "1 categories match no digit" in page
    buttons = page.split('class="cats">')[1].split("</div>")[0]
    assert [b.split('value="')[1].split('"')[0] for b in buttons.split("<label>")[1:]] == ["1", "0", "3", "2"]
    assert 'aria-label="c1 = 0 (digit 2)"' in page
    assert '<span class="digit">2</span><span class="index">0</span>' in page
    assert "c1 = 0 (digit 2), c2 = +0.00, noise vector 1 of 2" in page
    # the GAN baseline's G does not use c1: its probe's matching does not label G's images
    baseline = explorer_section(frames, ev, "rule", baseline=True)
    assert "the GAN baseline" in baseline and "(digit" not in baseline and '"digits"' not in baseline


def test_figures_record_their_smallest_text_and_the_page_explains_the_d_loss(tiny_run, tiny_nets):
    from PIL import Image

    from npgan.figures import D_LOSS_SIGN, TEXT_PX_KEY, plot_losses, pyplot, save_figure
    assert main(["report", str(tiny_run), "--noise", "1", "--steps", "3"]) == 0
    for name in ("li_curve.png", "losses.png", "traverse_cat0.png", "traverse_cont0.png", "mi_matrix.png"):
        with Image.open(tiny_run / name) as im:
            assert float(im.text[TEXT_PX_KEY]) >= 12.0, name   # at least 12 px where shown at its size
    page = (tiny_run / "report.html").read_text()
    refs = _Refs()
    refs.feed(page)
    figures = [img for img in refs.imgs if img.get("alt", "").startswith(("Traversal", "D and G", "L_I", "Heat"))]
    assert len(figures) == 7 and all(float(img["data-text-px"]) >= 12.0 for img in figures)
    note = D_LOSS_SIGN.replace("lambda", "\u03bb")
    assert note.startswith("D's loss is its GAN loss minus") and page.count(note.replace("'", "&#x27;")) == 2
    # a figure with a tiny label records that label's size: 6 pt at 100 dpi
    fig, ax = pyplot().subplots(figsize=(2, 2), dpi=100)
    ax.set_title("small", fontsize=6)
    with Image.open(save_figure(fig, tiny_run.parent / "tiny.png")) as im:
        assert float(im.text[TEXT_PX_KEY]) == pytest.approx(6 * 100 / 72, abs=0.05)
    records = [{"update": u, "d_loss": -1.0, "g_loss": 0.5, "d_real": 0.6, "d_fake": 0.3} for u in range(1, 4)]
    with Image.open(plot_losses(records, tiny_run.parent / "losses.png")) as im:
        assert im.size == (1000, 390)
