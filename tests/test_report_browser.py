"""The report in a real browser: headless Chromium loads report.html from disk, the controls move,
and the image shown is G's output for the codes chosen (pixels read back from the canvas).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (tests/browser.py: the fixture, skipped
with that reason where they are not installed). Screenshots for a person to look at go to
``build/test-artifacts/`` (or ``$NPGAN_TEST_ARTIFACTS``).
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from browser import ARTIFACTS, CHROMIUM, FLAGS, browser, errors, screenshot  # noqa: F401 (browser: a fixture)
from npgan.cli import main
from npgan.evaluation.probes import generate
from npgan.train import load_trained

TINY = ["--updates", "3", "--batch-size", "8", "--subset", "64", "--no-progress", "--no-figures",
        "--samples-every", "1", "--set", "latent.noise_dim=8"]


def _tiny_report(folder: Path, *extra_train, report_args=()) -> Path:
    assert main(["train", "--out", str(folder), *TINY, *extra_train]) == 0
    assert main(["eval", str(folder), "--limit", "100", "--samples", "100", "--bases", "4"]) == 0
    assert main(["report", str(folder), "--noise", "2", *report_args]) == 0
    return folder / "report.html"


@pytest.fixture(scope="module")
def paper_layout(tmp_path_factory):
    """c1 ~ Cat(10), c2, c3 continuous: every combination pre-rendered."""
    return _tiny_report(tmp_path_factory.mktemp("paper") / "run")


@pytest.fixture(scope="module")
def wide_layout(tmp_path_factory):
    """c1 ~ Cat(10) and 3 continuous codes, a small budget: c1 free, c2 .. c4 one at a time."""
    return _tiny_report(tmp_path_factory.mktemp("wide") / "run", "--set", "latent.continuous=3",
                        report_args=("--budget", "500"))


def _open(driver, page: Path) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(page.as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.getElementById('explorer').dataset.ready") != "false")
    assert driver.execute_script("return document.getElementById('explorer').dataset.ready") == "true"
    return json.loads(driver.execute_script("return document.getElementById('explorer-data').textContent"))


def _pixels(driver, selector="#explorer-canvas") -> np.ndarray:
    """The canvas's red channel (the frames are grey), shape (28, 28)."""
    data = driver.execute_script(
        "var c = document.querySelector(arguments[0]);"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);", selector)
    return np.array(data, dtype=np.int64)[0::4].reshape(28, 28)


def _expected(page: Path, data: dict, noise: int, cat, cont) -> np.ndarray:
    """G's image for these codes, computed here, in the page's pixel convention (dark strokes)."""
    nets, _ = load_trained(page.parent)
    z = np.array([data["noise"][noise]], dtype=np.float32)
    x = generate(nets, z, np.array([cat], dtype=np.int64), np.array([cont], dtype=np.float32))[0, 0]
    return 255 - np.rint(255.0 * np.clip(x.astype(np.float64), 0, 1)).astype(np.int64)


def _assert_shows(driver, page, data, noise, cat, cont, selector="#explorer-canvas"):
    got, want = _pixels(driver, selector), _expected(page, data, noise, cat, cont)
    # the report renders in batches of 500, the test one image: BLAS may differ in the last bit
    assert np.abs(got - want).max() <= 1, f"{selector} does not show G(noise {noise}, c = {cat}, {cont})"
    return got


def _slide(driver, code: int, presses: int):
    from selenium.webdriver.common.keys import Keys
    slider = driver.find_element("id", f"code-{code}")
    key = Keys.ARROW_RIGHT if presses > 0 else Keys.ARROW_LEFT
    slider.send_keys(*([key] * abs(presses)))  # keyboard, as a person without a mouse would


def test_explorer_shows_gs_image_for_the_chosen_codes(browser, paper_layout):
    data = _open(browser, paper_layout)
    assert [c["name"] for c in data["codes"]] == ["c1", "c2", "c3"] and all(c["free"] for c in data["codes"])
    start = _assert_shows(browser, paper_layout, data, 0, [0], [0.0, 0.0])
    browser.find_element("css selector", "input[name=code-0][value='3']").find_element("xpath", "..").click()
    _slide(browser, 1, 3)  # c2: 0 -> 1.5
    assert browser.find_element("id", "code-1").get_attribute("value") == "1.5"
    moved = _assert_shows(browser, paper_layout, data, 0, [3], [1.5, 0.0])
    assert not np.array_equal(start, moved), "the image did not change"
    digit = json.loads((paper_layout.parent / "eval.json").read_text())["mapping"]["3"]
    assert f"c1 = 3 (digit {digit}), c2 = +1.50, c3 = +0.00" in browser.find_element("id", "explorer-caption").text
    browser.find_element("id", "explorer-next").click()
    _assert_shows(browser, paper_layout, data, 1, [3], [1.5, 0.0])
    # the sweep strip of the code under the pointer: c3 from -2 to 2, the other codes as set
    from selenium.webdriver import ActionChains
    ActionChains(browser).move_to_element(browser.find_element("id", "code-2-box")).perform()
    cells = browser.find_elements("css selector", "#explorer-strip button")
    assert len(cells) == 9 and "c3" in browser.find_element("id", "explorer-strip-title").text
    _assert_shows(browser, paper_layout, data, 1, [3], [1.5, -2.0], "#explorer-strip button:first-child canvas")
    assert errors(browser) == []
    shot = screenshot(browser, "report.png")
    assert shot.stat().st_size > 10_000


def test_codes_beyond_the_budget_go_one_at_a_time(browser, wide_layout):
    data = _open(browser, wide_layout)
    assert [c["free"] for c in data["codes"]] == [True, False, False, False]
    browser.find_element("css selector", "input[name=code-0][value='7']").find_element("xpath", "..").click()
    _slide(browser, 1, 2)  # c2 -> 1.0
    _assert_shows(browser, wide_layout, data, 0, [7], [1.0, 0.0, 0.0])
    _slide(browser, 2, -4)  # c3 -> -2.0: c2 goes back to its anchor 0
    assert browser.find_element("id", "code-1").get_attribute("value") == "0"
    assert "c2" in browser.find_element("id", "explorer-note").text
    _assert_shows(browser, wide_layout, data, 0, [7], [0.0, -2.0, 0.0])
    assert errors(browser) == []


def test_the_page_fits_a_phone_and_is_one_file(browser, paper_layout):
    browser.set_window_size(390, 844)
    _open(browser, paper_layout)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a 390 px phone screen"
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert [r for r in resources if not r.startswith("data:")] == [], "the page loaded something from outside"
    for img in browser.find_elements("css selector", "img:not(.explorer-sheet)"):
        assert img.get_attribute("alt"), "an image without alt text"
    screenshot(browser, "report_phone.png", width=390)
    gif = paper_layout.parent / "progress.gif"
    if gif.exists():
        shutil.copy(gif, ARTIFACTS / "progress.gif")
    assert errors(browser) == []


def _without_scripts(page: Path, folder: Path) -> Path:
    """The page with its script elements taken out: what a browser shows before any script has run."""
    import re
    text = re.sub(r"<script>.*?</script>", "", page.read_text(), flags=re.S)
    out = folder / "report_no_script.html"
    out.write_text(text)
    return out


def _still_pixels(driver) -> np.ndarray:
    """The first frame as the page shows it without script: the still image's pixels (red channel)."""
    data = driver.execute_script(
        "var im = document.getElementById('explorer-still'), c = document.createElement('canvas');"
        "c.width = im.naturalWidth; c.height = im.naturalHeight; c.getContext('2d').drawImage(im, 0, 0);"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);")
    return np.array(data, dtype=np.int64)[0::4].reshape(28, 28)


def _screen_cells(shot: Path, rect: dict) -> np.ndarray:
    """The 28 x 28 cell centres of the element at ``rect`` in a screenshot (red channel)."""
    from PIL import Image
    with Image.open(shot) as im:
        px = np.asarray(im.convert("RGB"))[:, :, 0].astype(np.int64)
    ys = (rect["y"] + (np.arange(28) + 0.5) * rect["height"] / 28).astype(int)
    xs = (rect["x"] + (np.arange(28) + 0.5) * rect["width"] / 28).astype(int)
    return px[np.ix_(ys, xs)]


def test_the_first_frame_is_in_the_page_before_any_script(browser, paper_layout, tmp_path):
    """G's first frame, its caption, the controls and c1's strip are written into the page: a browser
    that has not run the script (a one-shot screenshot) shows them, and the script shows the same."""
    import subprocess
    data = _open(browser, paper_layout)
    want = _expected(paper_layout, data, 0, [0], [0.0, 0.0])
    caption = browser.find_element("id", "explorer-caption").text
    title = browser.find_element("id", "explorer-strip-title").text
    browser.get(_without_scripts(paper_layout, tmp_path).as_uri())
    still = browser.find_element("id", "explorer-still")
    assert still.is_displayed() and still.size["width"] >= 200 and still.size["height"] == still.size["width"]
    assert np.abs(_still_pixels(browser) - want).max() <= 1, "the still is not G's first frame"
    assert browser.find_element("id", "explorer-caption").text == caption
    assert browser.find_element("id", "explorer-strip-title").text == title != "Sweep"
    assert len(browser.find_elements("css selector", "#explorer-strip img")) == 10
    assert len(browser.find_elements("css selector", "#explorer-controls input[disabled]")) == 12
    # a one-shot screenshot of the real page (no waiting for the sprite sheets) shows the frame
    _open(browser, paper_layout)
    r = browser.find_element("id", "explorer-canvas").rect
    height = int(r["y"] + r["height"]) + 100   # a window that holds the explorer; the layout depends on the width
    browser.set_window_size(1280, height)
    _open(browser, paper_layout)
    rect = browser.find_element("id", "explorer-canvas").rect
    assert rect["y"] + rect["height"] < height
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report_one_shot.png"
    shot.unlink(missing_ok=True)
    flags = [f for f in FLAGS if not f.startswith("--window-size")]
    subprocess.run([CHROMIUM, *flags, f"--window-size=1280,{height}", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", paper_layout.as_uri()], capture_output=True, timeout=120, check=True)
    browser.set_window_size(1280, 900)
    assert np.abs(_screen_cells(shot, rect) - want).max() <= 2, "the one-shot screenshot does not show the frame"
    # and so does a window that never ran the script (the still, not the canvas, at the canvas's place)
    browser.set_window_size(1280, height + 400)   # a selenium window's viewport is shorter than the window
    browser.get(_without_scripts(paper_layout, tmp_path).as_uri())
    assert browser.find_element("id", "explorer-still").rect == rect
    no_script = ARTIFACTS / "report_no_script.png"
    browser.save_screenshot(str(no_script))
    assert np.abs(_screen_cells(no_script, rect) - want).max() <= 2, "the page without script does not show the frame"
    browser.set_window_size(1280, 900)


def test_c1s_buttons_are_the_matched_digits(browser, paper_layout):
    data = _open(browser, paper_layout)
    mapping = json.loads((paper_layout.parent / "eval.json").read_text())["mapping"]
    digits = [mapping[str(v)] for v in range(10)]
    assert data["codes"][0]["digits"] == digits
    labels = browser.find_elements("css selector", "#code-0-box label")
    shown = [(int(lab.find_element("tag name", "input").get_attribute("value")),
              lab.find_element("css selector", ".digit").text) for lab in labels]
    assert [d for _, d in shown] == [str(d) for d in sorted(digits)], "not in the digits' order"
    assert all(d == str(digits[v]) for v, d in shown), "a button shows another category's digit"
    note = browser.find_element("id", "explorer-labels").text
    assert "matched on the synthetic test set" in note and "\u2192 draws digit" in note
    v = next(v for v, d in enumerate(digits) if d != v) if any(d != v for v, d in enumerate(digits)) else 0
    assert f"c1 = {v} \u2192 draws digit {digits[v]}" in note
    browser.find_element("css selector", f"input[name=code-0][value='{v}']").find_element("xpath", "..").click()
    assert f"c1 = {v} (digit {digits[v]})" in browser.find_element("id", "explorer-caption").text
    assert [b.text for b in browser.find_elements("css selector", "#explorer-strip button span")] == \
        [str(d) for d in sorted(digits)]
    assert errors(browser) == []


#: the smallest text a figure may show at the page's width (CSS px; the page's own small print is 14.7)
MIN_TEXT_PX = 11.0


def _figure_text_sizes(driver) -> list:
    """Each figure of the page: its name (alt), its smallest text in its own pixels and as shown."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('figure img')).map(function (im) {"
        "  return [im.alt, im.dataset.textPx ? parseFloat(im.dataset.textPx) : null,"
        "          im.naturalWidth, im.getBoundingClientRect().width]; });")


def test_the_figures_text_is_legible_at_the_pages_width(browser, paper_layout):
    """Every figure npgan drew carries its smallest text size (figures.TEXT_PX_KEY); shown at a laptop's
    width, that text is at least MIN_TEXT_PX (the losses plot was shown at half its size, the traversals
    at a third, with 6-8 px text)."""
    browser.set_window_size(1280, 900)
    _open(browser, paper_layout)
    sizes = _figure_text_sizes(browser)
    names = [alt for alt, *_ in sizes]
    assert any("losses" in n for n in names) and sum("Traversal" in n for n in names) == 3
    assert any("mutual information" in n for n in names)
    for alt, px, natural, shown in sizes:
        if alt.startswith("Animation"):
            continue   # the progress GIF: 13 px text at twice its size
        assert px is not None, f"{alt!r}: no smallest-text size recorded"
        assert px * shown / natural >= MIN_TEXT_PX, \
            f"{alt!r}: its smallest text shows at {px * shown / natural:.1f} px ({natural} px shown at {shown:.0f})"
    screenshot(browser, "report_figures.png")
    assert errors(browser) == []
