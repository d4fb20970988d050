"""sweep.html: the arms and seeds of a sweep side by side, read from the run folders.

The sweep is made without Dask (``run_one`` per run, as a worker does) on the tiny networks: two
arms of two seeds, one run left not started. Its content is tested from the HTML, and the page in
headless Chromium (tests/browser.py).
"""

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from browser import browser, errors, screenshot  # noqa: F401 (browser: a fixture)
from npgan.cli import main
from npgan.sweep import EvalOptions, SweepSpec, plan_runs, write_summary
from tiny_nets import tiny_nets_patched

TINY_SETS = [("batch_size", "8"), ("latent.noise_dim", "8")]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.links, self.articles = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs)
        elif tag == "a":
            self.links.append(attrs["href"])
        elif tag == "article":
            self.articles.append(attrs["id"])


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """paper and npgan x seeds 0, 1 on the tiny networks, 3 updates; npgan/seed1 never started."""
    from npgan.sweep.record import save_record
    from npgan.sweep.task import run_one
    out = tmp_path_factory.mktemp("sweep")
    runs = plan_runs(["paper", "npgan"], [0, 1], TINY_SETS)
    spec = SweepSpec(dataset="synthetic", runs=runs, updates=3, out=out, subset=64,
                     evaluation=EvalOptions(samples=100, bases=2, limit=100))
    with tiny_nets_patched():
        for run in runs[:3]:
            run_one(spec, run)
        save_record(out, spec, {})
        summary = write_summary(out)
    return spec, summary


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def test_the_sweep_page_shows_every_run_and_the_arms_numbers(small_sweep):
    spec, summary = small_sweep
    assert summary.page == spec.out / "sweep.html"
    text = summary.page.read_text()
    page = _parse(summary.page)
    assert page.articles == [f"run-{r.name}" for r in spec.runs]   # every run, in the sweep's order
    # every image is embedded; the only links leaving the file are the runs' reports, relative
    assert all(img["src"].startswith("data:image/png;base64,") and img.get("alt") for img in page.imgs)
    reports = [h for h in page.links if not h.startswith("#")]
    assert reports == ["paper/seed0/report.html", "paper/seed1/report.html", "npgan/seed0/report.html"]
    assert all((spec.out / h).exists() for h in reports)
    # per arm: median (min - max) of the summary's numbers, as summary.md has them
    paper = next(a for a in summary.arms if a["arm"] == "paper")
    med, lo, hi = paper["accuracy"]
    assert f"{med:.3f} <span class=muted>({lo:.3f} \u2013 {hi:.3f})</span>" in text
    assert "2 / 2" in text and "1 / 2" in text and "not started" in text
    for row in summary.rows:
        if row["status"] == "done":
            assert f"accuracy {row['accuracy']:.3f}" in text
    # a final sample grid per run that has trained, one L_I figure per arm
    grids = [img for img in page.imgs if img["alt"].startswith("Samples of")]
    assert [g["alt"].split()[2] for g in grids] == ["paper/seed0", "paper/seed1", "npgan/seed0"]
    curves = [img for img in page.imgs if img["alt"].startswith("L_I against updates")]
    assert len(curves) == 2 and all(float(img["data-text-px"]) >= 12 for img in curves)
    assert "<script" not in text


def test_a_runs_final_grid_is_its_last_frame_or_drawn_with_the_frames_latents(small_sweep):
    from PIL import Image

    from npgan.report.frames import draw_frame, frame_latent, frame_path
    from npgan.report.images import png_bytes
    from npgan.sweep.page import final_grid
    from npgan.train import load_trained
    spec, _ = small_sweep
    folder = spec.folder(spec.runs[0])
    with tiny_nets_patched():
        png, source = final_grid(folder, 0, 3)   # 3 updates: no frame of update 3 (frames every 250)
        nets, _ = load_trained(folder)
        want = draw_frame(nets, frame_latent(nets.config.latent, 0, dtype=nets.dtype))
    assert source == "drawn from the checkpoint of update 3" and png == png_bytes(want)
    path = frame_path(folder, 3)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(path)
    try:
        assert final_grid(folder, 0, 3) == (path.read_bytes(), "samples/update_00003.png")
    finally:
        path.unlink()
    assert final_grid(spec.folder(spec.runs[3]), 1, 3) is None   # never started: no grid


def test_sweep_report_writes_the_page_again(small_sweep, capsys):
    spec, _ = small_sweep
    (spec.out / "sweep.html").unlink()
    with tiny_nets_patched():
        assert main(["sweep", "--summarize", str(spec.out)]) == 0
    assert (spec.out / "sweep.html").exists() and f"{spec.out / 'sweep.html'}" in capsys.readouterr().out


def test_the_sweep_page_in_chromium(browser, small_sweep):
    spec, summary = small_sweep
    browser.set_window_size(1280, 900)
    browser.get(summary.page.as_uri())
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('article.run')).map(function (a) {"
        "  var im = a.querySelector('img');"
        "  return [a.id, im ? im.complete && im.naturalWidth > 0 && im.getBoundingClientRect().width >= 280 : null,"
        "          a.getBoundingClientRect().width]; });")
    assert [s[0] for s in shown] == [f"run-{r.name}" for r in spec.runs]
    assert [s[1] for s in shown] == [True, True, True, None], "a run's grid did not show"
    assert all(s[2] > 200 for s in shown)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert [r for r in resources if not r.startswith("data:")] == []
    for alt, px, natural, width in browser.execute_script(
            "return Array.from(document.querySelectorAll('figure img[data-text-px]')).map(function (im) {"
            "  return [im.alt, parseFloat(im.dataset.textPx), im.naturalWidth, im.getBoundingClientRect().width]; });"):
        assert px * width / natural >= 11.0, f"{alt!r}: text shows at {px * width / natural:.1f} px"
    screenshot(browser, "sweep.png")
    link = browser.find_element("css selector", "a[href='paper/seed1/report.html']")
    link.click()
    assert browser.current_url.endswith("paper/seed1/report.html") and "npgan report" in browser.title
    assert errors(browser) == []
    browser.set_window_size(390, 844)
    browser.get(summary.page.as_uri())
    assert browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(browser, "sweep_phone.png", width=390)
    assert errors(browser) == []
