"""The explorer's markup: a first frame that needs no script, the controls, and what c1's buttons mean.

The page shows the explorer's first state (every code at its anchor, noise vector 1) as it is written:
a still image of G's frame, the caption, the controls (disabled until the script runs) and the strip
sweeping c1. ``assets/explorer.js`` wires these controls, puts its canvas in the still's place and
redraws the strip; a browser that has not run it yet (or a one-shot screenshot) shows the same state.

When ``npgan eval`` matched c1's categories to the digits of a labelled test set (``eval.json``'s
``mapping``), c1's buttons carry the matched digit with the code index under it, and the page says
where the matching comes from; without it they carry code indices, and the page says that too.
"""

from __future__ import annotations

import html
import json

from npgan.report.explorer import ExplorerCode, ExplorerFrames, matched_digits
from npgan.report.images import data_uri, png_bytes

_E = html.escape


def value_text(code: ExplorerCode, v: int) -> str:
    """A code's value as the page writes it: a category index, or a signed value with two decimals."""
    if code.kind == "categorical":
        return str(code.values[v])
    x = code.values[v]
    return ("+" if x >= 0 else "\u2212") + f"{abs(x):.2f}"


def describe(frames: ExplorerFrames, values, noise: int, digits) -> str:
    """The caption of a state (the script's ``describe``): ``c1 = 4 (digit 2), c2 = +0.00, ...``."""
    parts = []
    for j, (c, v) in enumerate(zip(frames.plan.codes, values)):
        text = f"{c.name} = {value_text(c, v)}"
        if j == 0 and digits and digits[v] is not None:
            text += f" (digit {digits[v]})"
        parts.append(text)
    parts.append(f"noise vector {noise + 1} of {frames.plan.n_noise}")
    return ", ".join(parts)


def display_order(code: ExplorerCode, digits) -> list[int]:
    """The order of a categorical code's buttons and strip cells: by matched digit when there are
    digits (categories matching none last), else by code index."""
    if digits is None:
        return list(range(code.size))
    return sorted(range(code.size), key=lambda v: (digits[v] is None, digits[v] or 0, v))


def _js_number(x: float) -> str:
    """A float as JavaScript's ``String`` writes it (``-2`` for -2.0), for the sliders' attributes."""
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def _labels_note(frames: ExplorerFrames, evaluation: dict | None, digits, baseline: bool) -> str:
    codes = frames.plan.codes
    if not codes or codes[0].kind != "categorical":
        return ""
    c1 = codes[0]
    if baseline:
        return (f"The buttons of {c1.name} are code indices (0 to {c1.size - 1}): the GAN baseline's G is not "
                f"trained to give {c1.name} a meaning, so the digits its probe Q was matched to (the evaluation) "
                "say nothing about G's images.")
    if digits is None:
        return (f"The buttons of {c1.name} are code indices (0 to {c1.size - 1}), not digits: the run has no "
                "evaluation on a labelled test set (<code>npgan eval</code> matches each category to a digit).")
    example = next((j for j, d in enumerate(digits) if d is not None and d != j),
                   next(j for j, d in enumerate(digits) if d is not None))
    unmatched = sum(d is None for d in digits)
    acc = evaluation.get("accuracy")
    how = f"accuracy {100 * acc:.1f} % on {evaluation['n_test']:,} test images" if acc is not None else ""
    return (f"The buttons of {c1.name} show the digit each category draws, matched on the "
            f"{_E(evaluation['dataset'])} test set by <code>npgan eval</code> (Hungarian method at update "
            f"{evaluation['update']:,}{'; ' + how if how else ''}); the code index is under each digit, the buttons "
            f"are in the digits' order: "
            f"{c1.name} = {example} \u2192 draws digit {digits[example]}."
            + (f" {unmatched} categories match no digit (more categories than digits): \u2013." if unmatched else ""))


def _category_button(c: ExplorerCode, i: int, v: int, checked: bool, digits) -> str:
    if digits is not None:
        digit = "\u2013" if digits[v] is None else str(digits[v])
        label = f"{c.name} = {v}" + ("" if digits[v] is None else f" (digit {digits[v]})")
        face = f'<span class="digit">{digit}</span><span class="index">{v}</span>'
    else:
        label, face = f"{c.name} = {v}", f'<span class="digit">{v}</span>'
    return (f'<label><input type="radio" name="code-{i}" value="{v}" aria-label="{_E(label)}" disabled'
            f'{" checked" if checked else ""}>{face}</label>')


def _controls(frames: ExplorerFrames, digits) -> str:
    out = []
    for i, c in enumerate(frames.plan.codes):
        first = value_text(c, 0), value_text(c, c.size - 1)
        if c.kind == "categorical":
            legend = f"{c.name} (categorical, {c.size} categories" + (
                "; digit, code index under it)" if i == 0 and digits is not None else ")")
            body = '<div class="cats">' + "".join(
                _category_button(c, i, v, v == c.anchor, digits if i == 0 else None)
                for v in display_order(c, digits if i == 0 else None)) + "</div>"
        else:
            legend = f"{c.name} (continuous, {first[0]} to {first[1]})"
            step = c.values[1] - c.values[0]
            body = (f'<div class="slider"><input type="range" id="code-{i}" min="{_js_number(c.values[0])}" '
                    f'max="{_js_number(c.values[-1])}" step="{_js_number(step)}" '
                    f'value="{_js_number(c.values[c.anchor])}" aria-label="{c.name}" '
                    f'aria-valuetext="{c.name} = {value_text(c, c.anchor)}" disabled>'
                    f'<output id="code-{i}-out" for="code-{i}">{value_text(c, c.anchor)}</output></div>')
        if not c.free:
            legend += ", one at a time"
        active = " active" if i == 0 else ""
        out.append(f'<fieldset id="code-{i}-box" class="code{active}"><legend>{_E(legend)}</legend>{body}</fieldset>')
    return "".join(out)


def _strip(frames: ExplorerFrames, digits) -> tuple[str, str]:
    """The title and the cells of the first state's sweep strip (c1, or the first code)."""
    codes = frames.plan.codes
    if not codes:
        return "", ""
    c, start = codes[0], frames.plan.anchors()
    title = (f"Sweep of {c.name}" + (" over its categories" if c.kind == "categorical" else
                                     f" from {value_text(c, 0)} to {value_text(c, c.size - 1)}")
             + ", the other codes as set")
    cells = []
    for v in (display_order(c, digits) if c.kind == "categorical" else range(c.size)):
        values = (v, *start[1:])
        label = value_text(c, v)
        if c.kind == "categorical" and digits is not None:
            label = "\u2013" if digits[v] is None else str(digits[v])
        src = data_uri(png_bytes(frames.image(values)), "image/png")
        alt = f"G's image for {c.name} = {value_text(c, v)}" + (
            f" (digit {digits[v]})" if c.kind == "categorical" and digits and digits[v] is not None else "")
        cells.append(f'<button type="button" disabled aria-pressed="{str(v == c.anchor).lower()}">'
                     f'<img class="pixels" alt="{_E(alt)}" src="{src}"><span>{_E(label)}</span></button>')
    return title, "".join(cells)


def explorer_section(frames: ExplorerFrames, evaluation: dict | None, rule: str, baseline: bool = False) -> str:
    """The explorer's section: the first state written out, the sprite sheets and the script's data.

    ``rule`` says which codes combine freely (:func:`npgan.report.page._explorer_rule`); ``baseline``:
    the run is the GAN baseline, whose c1 keeps its code indices (G does not use it).
    """
    plan = frames.plan
    codes = plan.codes
    labelled = codes and codes[0].kind == "categorical" and not baseline
    digits = matched_digits(evaluation, codes[0].size) if labelled else None
    manifest = frames.manifest()
    if digits is not None:
        manifest["codes"][0]["digits"] = list(digits)
        manifest["codes"][0]["order"] = display_order(codes[0], digits)
    data = json.dumps(manifest, separators=(",", ":")).replace("</", "<\\/")
    sheets = "".join(f'<img class="explorer-sheet" hidden alt="" src="{data_uri(png_bytes(s), "image/png")}">'
                     for s in frames.sheets)
    start = plan.anchors()
    caption = describe(frames, start, 0, digits)
    still = data_uri(png_bytes(frames.image(start)), "image/png")
    title, cells = _strip(frames, digits)
    note = _labels_note(frames, evaluation, digits, baseline)
    h, w = frames.frame
    return f"""<section id="explorer-section" aria-labelledby="explorer-h">
<h2 id="explorer-h">Explorer: turn the codes</h2>
<p>Pick a category for each categorical code and drag a slider for each continuous code (arrow keys work
too); the image is G's output for those codes and the chosen noise vector. The strip shows the code under
the pointer (or with the keyboard focus) swept over its values; click a cell to jump there.</p>
<p class="muted">{_E(rule)}</p>
{f'<p id="explorer-labels" class="muted">{note}</p>' if note else ""}
<div id="explorer" class="explorer" data-ready="false">
 <div class="view">
  <img id="explorer-still" class="still pixels" width="{w}" height="{h}" src="{still}"
   alt="{_E("G's image for " + caption)}">
  <canvas id="explorer-canvas" hidden role="img" aria-label="{_E("G's image for " + caption)}" width="{w}"
   height="{h}"></canvas>
  <p id="explorer-caption" aria-live="polite">{_E(caption)}</p>
  <div class="noise" role="group" aria-label="noise vector">
   <button type="button" id="explorer-prev" aria-label="previous noise vector" disabled>&#9664;</button>
   <output id="explorer-noise">noise vector 1 of {plan.n_noise}</output>
   <button type="button" id="explorer-next" aria-label="next noise vector" disabled>&#9654;</button>
  </div>
  <p id="explorer-note" class="muted" aria-live="polite"></p>
 </div>
 <div id="explorer-controls" class="controls">{_controls(frames, digits)}</div>
 <div class="sweep"><h3 id="explorer-strip-title">{_E(title)}</h3>
  <div id="explorer-strip" class="strip" role="group" aria-labelledby="explorer-strip-title">{cells}</div></div>
</div>
<script type="application/json" id="explorer-data">{data}</script>
{sheets}
<noscript><p>The explorer's controls need JavaScript (the image above is its first state); the figures
below do not.</p></noscript>
</section>"""


__all__ = ["describe", "display_order", "explorer_section", "value_text"]
