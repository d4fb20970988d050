"""The report as one self-contained HTML page: settings, evaluation, curves, traversals, explorer, GIF.

Every image is embedded as a data URI and the style sheet and script (``assets/``) are inlined,
so the file opens from disk in any browser with no network and no server.
"""

from __future__ import annotations

import datetime
import html
import statistics
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from npgan import __version__
from npgan.figures import D_LOSS_SIGN
from npgan.report.explorer import ExplorerFrames
from npgan.report.explorer_page import explorer_section
from npgan.report.images import data_uri
from npgan.train.starts import read_selection

_E = html.escape


@dataclass
class ReportContent:
    """What the page shows. ``figures`` maps a figure's file name (``li_curve.png`` ...) to its path."""

    run_dir: Path
    meta: dict
    planned_updates: int | None
    records: list[dict]
    evaluation: dict | None
    explorer: ExplorerFrames
    figures: dict[str, Path] = field(default_factory=dict)
    gif: bytes | None = None
    frames: tuple[int, ...] = ()
    frames_every: int | None = None


def _asset(name: str) -> str:
    return resources.files("npgan.report").joinpath("assets", name).read_text(encoding="utf-8")


def _num(v: float | None, digits: int = 3) -> str:
    """A number for the page (a proper minus sign); None (e.g. NMI(c1, digit) without a c1) is a dash."""
    if v is None:
        return "\u2014"
    return f"{v:.{digits}f}".replace("-", "\u2212")


def _table(rows, head=None, cls="") -> str:
    out = [f'<div class="table-wrap"><table class="{cls}">']
    if head:
        out.append("<thead><tr>" + "".join(f'<th scope="col">{_E(h)}</th>' for h in head) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        first, rest = row[0], row[1:]
        out.append(f'<tr><th scope="row">{_E(str(first))}</th>'
                   + "".join(f"<td{' class=num' if n else ''}>{v}</td>" for v, n in rest) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def text_px(path: Path) -> str | None:
    """The smallest text of a figure npgan drew, in its pixels (:data:`npgan.figures.TEXT_PX_KEY`)."""
    from PIL import Image

    from npgan.figures import TEXT_PX_KEY
    with Image.open(path) as im:
        return getattr(im, "text", {}).get(TEXT_PX_KEY)


def figure_html(path: Path | None, alt: str, caption: str, cls: str = "", wide: bool = False,
                caption_html: bool = False) -> str:
    """A figure embedded in the page, its caption under it; ``wide``: a row of its own (a figure drawn
    for the page's full width). The smallest text of a figure npgan drew goes to ``data-text-px``, so
    the browser test can check it at the size shown."""
    if path is None or not Path(path).exists():
        return ""
    mime = "image/gif" if str(path).endswith(".gif") else "image/png"
    px = text_px(path) if mime == "image/png" else None
    return (f'<figure{" class=wide" if wide else ""}><img class="{cls}" '
            f'src="{data_uri(Path(path).read_bytes(), mime)}" alt="{_E(alt)}"'
            + (f' data-text-px="{_E(px)}"' if px else "") + ">"
            + f"<figcaption>{caption if caption_html else _E(caption)}</figcaption></figure>")



def _latent_text(lat) -> str:
    parts = [f"{lat.noise_dim} noise ~ Unif(\u22121, 1)"] if lat.noise_dim else []
    parts += [f"c{j + 1} ~ Cat({k})" for j, k in enumerate(lat.categorical)]
    parts += [f"c{lat.n_categorical + j + 1} ~ Unif(\u22121, 1)" for j in range(lat.continuous)]
    return ", ".join(parts)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def _run_section(c: ReportContent) -> str:
    config = c.meta["config"]
    model = config.model
    rows = [("run folder", (f"<code>{_E(str(c.run_dir))}</code>", False)),
            ("recipe", (_E(config.recipe or "custom") + (" (GAN baseline)" if model.gan_baseline else ""), False)),
            ("dataset", (_E(c.meta["dataset"]), False)),
            ("seed", (str(c.meta["seed"]), False)),
            ("updates", (f"{c.meta['update']:,}" + (f" of {c.planned_updates:,}" if c.planned_updates else "")
                         + f" at batch {model.batch_size}", False)),
            ("latent", (_E(_latent_text(model.latent)), False))]
    if c.records:
        secs = [r["seconds"] for r in c.records if "seconds" in r]
        if secs:
            text = (f"{_minutes(sum(secs))} (sum of the {len(secs):,} update times in metrics.jsonl; "
                    f"median {statistics.median(secs):.3f} s per update)")
            rows.append(("training time", (text, False)))
        tail = c.records[-50:]
        mean = {k: sum(r[k] for r in tail) / len(tail) for k in ("d_loss", "g_loss", "li_cat")}
        rows.append(("last 50 updates", (f"D loss {_num(mean['d_loss'])}, G loss {_num(mean['g_loss'])}, "
                                         f"L_I {_num(mean['li_cat'])} nats of H(c) = "
                                         f"{_num(model.latent.categorical_entropy())} nats. "
                                         f"{_E(D_LOSS_SIGN.replace('lambda', 'λ'))}", False)))
    sel = read_selection(c.run_dir)
    if sel is not None:
        values = ", ".join(f"{s['start']}: " + ("diverged" if s["value"] is None else _num(s["value"]))
                           for s in sel["starts"])
        others = sum(s["seconds"] for s in sel["starts"] if s["start"] != sel["chosen"])
        chosen = sel["starts"][sel["chosen"]]
        rows.append(("starts", (f"{len(sel['starts'])} starts of {sel['updates']:,} updates; mean I(c; c') over "
                                f"updates {sel['updates'] - sel['window'] + 1:,}-{sel['updates']:,}: {_E(values)}; "
                                f"continued start {sel['chosen']} (seed {chosen['seed']}); the other starts "
                                f"trained {_minutes(others)} more", False)))
    settings = "".join(f"<tr><th scope=row><code>{_E(k)}</code></th><td>{_E(str(v))}</td></tr>"
                       for k, v in config.settings().items())
    return ('<section id="run" aria-labelledby="run-h"><h2 id="run-h">The run</h2>' + _table(rows)
            + "<details><summary>Every setting of the run (<code>npgan recipes</code> explains them)</summary>"
            + f'<div class="table-wrap"><table>{settings}</table></div></details></section>')


def _eval_rows(ev: dict) -> list:
    rows = []
    if "accuracy" in ev:
        rows.append(("categorical accuracy of c1", (f"{100 * ev['accuracy']:.1f} % (categories matched to classes by "
                                                    f"the Hungarian method, {ev['n_test']:,} test images)", False)))
    rows.append(("L_I, categorical codes", (f"{_num(ev['li_cat'])} nats of H(c) = {_num(ev['h_cat'])} nats", False)))
    if ev.get("continuous"):
        rows.append(("L_I, continuous codes", (f"{_num(ev['li_cont'])} nats", False)))
    fac = ev.get("factors")
    if fac:
        rows.append(("MIG", (f"{_num(fac['mig'])} over all factors, {_num(fac['mig_style'])} over "
                             f"{' and '.join(fac['style_factors'])} (MIG is between 0 and 1)", False)))
        rows.append(("NMI(c1, digit)", (_num(fac["nmi"]), False)))
    return rows


def _eval_section(c: ReportContent) -> str:
    ev = c.evaluation
    if ev is None:
        return ""
    lat = c.meta["config"].model.latent
    parts = ['<section id="evaluation" aria-labelledby="eval-h"><h2 id="eval-h">Evaluation</h2>',
             f'<p class="muted">Measured by <code>npgan eval</code> at update {ev["update"]:,} on the '
             f'{_E(ev["dataset"])} test data (<code>eval.json</code>).</p>', _table(_eval_rows(ev))]
    if ev.get("continuous"):
        parts.append("<h3>Continuous codes against slant and width</h3>"
                     "<p class=muted>Mean Spearman rank correlation along sweeps of each code over [\u22121, 1].</p>")
        parts.append(_table([(f"c{lat.n_categorical + r['code'] + 1}", (_num(r["rotation"]), True),
                              (_num(r["width"]), True)) for r in ev["continuous"]],
                            head=("code", "rotation \u03c1", "width \u03c1")))
    fac = ev.get("factors")
    if fac:
        parts.append("<h3>Mutual information between codes and the known factors (nats)</h3>")
        parts.append(_table([(name, *[(_num(v), True) for v in row]) for name, row in zip(fac["code_names"], fac["mi"])]
                            + [("H(factor)", *[(_num(v), True) for v in fac["factor_entropies"]])],
                            head=("code", *fac["factor_names"])))
        parts.append('<div class="figures">' + figure_html(c.figures.get("mi_matrix.png"),
                     "Heat map of the mutual information between each code and each factor",
                     "I(code; factor) / H(factor); each cell is annotated with the MI in nats.", wide=True)
                     + figure_html(c.figures.get("class_rho.png"), "Heat map of each continuous code's rank "
                                   "correlation with rotation and width within each digit class",
                                   "Code against factor within each digit class (red and blue: the two signs).",
                                   wide=True)
                     + "</div>")
    return "".join(parts) + "</section>"


def _curves_section(c: ReportContent) -> str:
    li = figure_html(c.figures.get("li_curve.png"), "L_I of the categorical codes against updates, with H(c) as a "
                     "dashed line", "Figure 1 of the paper: L_I (nats) against updates; the dashed line is H(c).")
    losses = figure_html(c.figures.get("losses.png"), "D and G losses and mean D outputs against updates",
                         "Losses (trailing mean of 20 updates) and the mean of D's outputs on the real and the fake "
                         f"batches. {D_LOSS_SIGN.replace('lambda', 'λ')}", wide=True)
    if not (li or losses):
        return ""
    return ('<section id="curves" aria-labelledby="curves-h"><h2 id="curves-h">Training curves</h2>'
            f'<div class="figures">{li}{losses}</div></section>')


def _traversal_section(c: ReportContent) -> str:
    lat = c.meta["config"].model.latent
    items = []
    for j, k in enumerate(lat.categorical):
        items.append(figure_html(c.figures.get(f"traverse_cat{j}.png"), f"Traversal of the categorical code c{j + 1}: "
                             f"one row per category (0 to {k - 1}), noise fixed down each column",
                             f"c{j + 1}: one row per category, one column per noise vector."))
    for j in range(lat.continuous):
        name = f"c{lat.n_categorical + j + 1}"
        items.append(figure_html(c.figures.get(f"traverse_cont{j}.png"), f"Traversal of the continuous code {name} "
                             "from \u22122 to 2 left to right, one row per category of c1",
                             f"{name} from \u22122 to 2 (beyond the training range [\u22121, 1], as in the paper)."))
    if not any(items):
        return ""
    return ('<section id="traversals" aria-labelledby="trav-h"><h2 id="trav-h">Latent traversals (Figure 2)</h2>'
            f'<div class="figures">{"".join(items)}</div></section>')


def _explorer_rule(frames: ExplorerFrames) -> str:
    plan = frames.plan
    free = [c.name for c in plan.free]
    single = [c.name for c in plan.single]
    text = f"{plan.n_frames:,} frames rendered by G when this report was built. "
    if not single:
        return text + "Every combination of the codes can be shown."
    return text + (f"Any combination of {', '.join(free)} can be shown; " if free else "") + (
        f"{', '.join(single)} are explored one at a time (every combination would be "
        "too many frames): setting one sends the others back to their anchors (category 0, value 0).")


def _explorer_section(c: ReportContent) -> str:
    return explorer_section(c.explorer, c.evaluation, _explorer_rule(c.explorer),
                            baseline=c.meta["config"].model.gan_baseline)


def _progress_section(c: ReportContent) -> str:
    if c.gif is None:
        return ('<section id="progress" aria-labelledby="prog-h"><h2 id="prog-h">Samples during training</h2>'
                "<p>No sample frames in <code>samples/</code>: <code>npgan train</code> draws one every "
                "<code>--samples-every</code> updates (250 by default; 0 turns them off).</p></section>")
    first, last = c.frames[0], c.frames[-1]
    alt = (f"Animation of {len(c.frames)} sample grids from one fixed latent batch, from update {first:,} to "
           f"{last:,}; one row per category of c1")
    return ('<section id="progress" aria-labelledby="prog-h"><h2 id="prog-h">Samples during training</h2>'
            f'<figure><img class="gif pixels" src="{data_uri(c.gif, "image/gif")}" alt="{_E(alt)}">'
            f"<figcaption>The same latents {_frame_updates(c.frames, c.frames_every)} "
            f"({len(c.frames)} frames, <code>samples/update_*.png</code>; <code>progress.gif</code>).</figcaption>"
            "</figure></section>")


def _frame_updates(frames: list[int], every: int | None) -> str:
    """When the frames were drawn, in words: "at updates 10, 25, 50, 100, then every 250 up to 5,000"."""
    early = [u for u in frames if every and u < every]
    if every and len(early) < len(frames):
        head = f"at updates {', '.join(f'{u:,}' for u in early)}, then " if early else ""
        return f"{head}every {every:,} updates up to {frames[-1]:,}"
    shown = ", ".join(f"{u:,}" for u in frames[:6]) + (f", ..., {frames[-1]:,}" if len(frames) > 6 else "")
    return f"at updates {shown}"


_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>npgan report: $title</title>
<style>$css</style>
</head>
<body>
<header>
<h1>InfoGAN run report: <code>$title</code></h1>
<p>$lede</p>
<nav aria-label="sections"><ul>$nav</ul></nav>
</header>
<main>
$body
</main>
<footer><p class="muted" style="max-width:1100px;margin:2rem auto;padding:0 1rem">Written by npgan $version
on $date. One file: every image is embedded and nothing is loaded from a network.</p></footer>
<script>$js</script>
</body>
</html>
""")


def render_page(c: ReportContent) -> str:
    """The report's HTML for ``c``."""
    sections = [("run", "The run", _run_section(c)), ("evaluation", "Evaluation", _eval_section(c)),
                ("explorer-section", "Explorer", _explorer_section(c)), ("curves", "Curves", _curves_section(c)),
                ("traversals", "Traversals", _traversal_section(c)),
                ("progress", "Samples during training", _progress_section(c))]
    sections = [s for s in sections if s[2]]
    config = c.meta["config"]
    kind = "GAN baseline" if config.model.gan_baseline else f"InfoGAN, recipe {config.recipe or 'custom'}"
    lede = (f"{_E(kind)} on {_E(c.meta['dataset'])}, seed {c.meta['seed']}, {c.meta['update']:,} updates. "
            "Numbers come from the run's own files; images are drawn by its networks.")
    return _PAGE.substitute(
        title=_E(c.run_dir.name or str(c.run_dir)), lede=lede, css=_asset("report.css"), js=_asset("explorer.js"),
        nav="".join(f'<li><a href="#{sid}">{_E(name)}</a></li>' for sid, name, _ in sections),
        body="\n".join(s[2] for s in sections), version=__version__,
        date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
