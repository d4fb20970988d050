"""``sweep.html``: a sweep's arms and seeds side by side in one self-contained page.

Per arm: the median, minimum and maximum of the summary's numbers (:func:`npgan.sweep.summary.arm_stats`),
the L_I curves of its runs overlaid, and every run's final sample grid with its status and accuracy and
a link to its own ``report.html`` (relative, so the folder can move). Every image is embedded and no
script runs; only the links to the runs' reports leave the file.

A run's final sample grid is its sample frame of its last update (``samples/update_U.png``, one row per
category of c1, the same latents in every run of that seed); a run with no frame there (frames off, or
a last update between frames) has it drawn from its checkpoint with the same latents
(:func:`npgan.report.frames.frame_latent`), nothing written.
"""

from __future__ import annotations

import datetime
import html
import math
from importlib import resources
from pathlib import Path

import numpy as np

from npgan import __version__
from npgan.report.images import data_uri, png_bytes, write_atomic
from npgan.sweep.plan import SweepSpec

PAGE_NAME = "sweep.html"
_E = html.escape
#: how the per-arm table writes each summary column: its heading and a formatter
_COLUMNS = {"accuracy": "accuracy of c1", "li_1000": "L_I at update 1 000 (nats)", "li_end": "L_I at the end (nats)",
            "mig_style": "MIG, rotation + width", "mig": "MIG, all factors", "train_s": "training time"}


def _num(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "\u2014"
    return f"{v:.{digits}f}".replace("-", "\u2212")


def _duration(seconds) -> str:
    if seconds is None:
        return "\u2014"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _stat(key: str, value) -> str:
    """A median (min - max) cell."""
    if value is None:
        return "\u2014"
    fmt = _duration if key == "train_s" else _num
    med, lo, hi = value
    return f"{fmt(med)} <span class=muted>({fmt(lo)} \u2013 {fmt(hi)})</span>"


def _heading(key: str) -> str:
    if "@" in key:
        name, update = key.split("@")
        return f"{_COLUMNS.get(name, name)} at update {int(update):,}"
    return _COLUMNS.get(key, key)


def _arm_table(arms: list[dict], fields: tuple) -> str:
    shown = [k for k in fields if any(a.get(k) is not None for a in arms)]
    head = "".join(f'<th scope="col">{_E(_heading(k))}</th>' for k in shown)
    rows = "".join(f'<tr><th scope="row"><a href="#arm-{i}">{_E(a["arm"])}</a></th>'
                   f'<td class=num>{a["done"]} / {a["runs"]}</td>'
                   + "".join(f"<td class=num>{_stat(k, a.get(k))}</td>" for k in shown) + "</tr>"
                   for i, a in enumerate(arms))
    return ('<div class="table-wrap"><table class="arms"><thead><tr><th scope="col">arm</th>'
            f'<th scope="col">done / runs</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>')


def final_grid(folder: Path, seed: int, update: int) -> tuple[bytes, str] | None:
    """The PNG of a run's final sample grid and where it comes from (None: the run has neither a frame
    of ``update`` nor a checkpoint)."""
    from npgan.report.frames import draw_frame, frame_latent, frame_path
    path = frame_path(folder, update)
    if path.exists():
        return path.read_bytes(), f"samples/{path.name}"
    if not (folder / "checkpoint.npz").exists():
        return None
    from npgan.train import load_trained
    nets, meta = load_trained(folder)
    latent = frame_latent(nets.config.latent, seed, dtype=nets.dtype)
    return png_bytes(draw_frame(nets, latent)), f"drawn from the checkpoint of update {meta['update']:,}"


def _has_categorical(folder: Path) -> bool:
    from npgan.run.folder import CONFIG_NAME
    from npgan.train.config import read_run_config
    return bool(read_run_config(folder / CONFIG_NAME)[1].model.latent.categorical)


def _run_card(spec: SweepSpec, run, row: dict) -> str:
    folder = spec.folder(run)
    status = row["status"]
    parts = [f'<article class="run" id="run-{_E(run.name)}"><h4>seed {run.seed}</h4>']
    if status == "done":
        facts = [f"accuracy {_num(row.get('accuracy'))}"]
        if row.get("mig_style") is not None:
            facts.append(f"MIG {_num(row['mig_style'])}")
        facts.append(f"L_I {_num(row.get('li_end'))} nats")
        parts.append('<p class="facts">' + " \u00b7 ".join(facts) + "</p>")
    else:
        text = status + (f": {row['error'][:300]}" if row.get("error") else "")
        parts.append(f'<p class="status {_E(status.replace(" ", "-"))}">{_E(text)}</p>')
    grid = final_grid(folder, run.seed, row["update"]) if row["update"] else None
    if grid is not None:
        (png, source), update = grid, row["update"]
        alt = f"Samples of {run.name} at update {update:,}, " + (
            "one row per category of c1" if _has_categorical(folder) else "10 rows of fixed latents")
        parts.append(f'<figure><img class="pixels grid" src="{data_uri(png, "image/png")}" alt="{_E(alt)}">'
                     f"<figcaption>update {update:,} ({_E(source)})</figcaption></figure>")
    report = folder / "report.html"
    if report.exists():
        parts.append(f'<p><a href="{_E(report.relative_to(spec.out).as_posix())}">report of {_E(run.name)}</a></p>')
    else:
        parts.append('<p class="muted">no report.html (the sweep ran with --no-figures, or the run is not done)</p>')
    return "".join(parts) + "</article>"


def _li_figure(arm: str, runs: list, metrics: dict, h_c: float | None, path: Path) -> Path | None:
    """The L_I curves of an arm's runs overlaid (one colour per seed), drawn at half the page's width."""
    from npgan.figures import _smooth, pyplot, save_figure
    if not any(metrics.get(r.name) for r in runs):
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.4), dpi=100)
    for r in runs:
        recs = metrics.get(r.name) or []
        if recs:
            u = np.array([m["update"] for m in recs])
            ax.plot(u, _smooth(np.array([m["li_cat"] for m in recs], dtype=np.float64), 20), lw=1.2,
                    label=f"seed {r.seed}")
    if h_c is not None:
        ax.axhline(h_c, color="k", ls="--", lw=1, label=f"H(c) = {h_c:.3f} nats")
    ax.set_xlabel("updates", fontsize=11)
    ax.set_ylabel("L_I (nats)", fontsize=11)
    ax.set_title(f"{arm}: L_I of each run (trailing mean of 20)", fontsize=12)
    ax.tick_params(labelsize=10)
    ax.legend(loc="center right", fontsize=10, ncol=2 if len(runs) > 5 else 1)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def _arm_section(spec: SweepSpec, i: int, stats: dict, rows: list[dict], metrics: dict, h_c, tmp: Path) -> str:
    from npgan.report.page import figure_html
    arm = stats["arm"]
    runs = [r for r in spec.runs if r.arm == arm]
    by_name = {row["run"]: row for row in rows}
    first = runs[0]
    settings = f"recipe {first.recipe}" + "".join(f", {k}={v}" for k, v in sorted(first.overrides.items()))
    curve = _li_figure(arm, runs, metrics, h_c, tmp / f"li_{i}.png")
    li = figure_html(curve, f"L_I against updates of every run of {arm}, H(c) dashed",
                     "L_I (categorical codes) of each seed, trailing mean of 20 updates; the dashed line is H(c).")
    cards = "".join(_run_card(spec, r, by_name[r.name]) for r in runs)
    return (f'<section id="arm-{i}" aria-labelledby="arm-{i}-h"><h2 id="arm-{i}-h">{_E(arm)}</h2>'
            f'<p class="muted">{_E(settings)}; {stats["done"]} of {stats["runs"]} runs done'
            + (f", {stats['failed']} failed" if stats["failed"] else "") + "</p>"
            + (f'<div class="figures">{li}</div>' if li else "")
            + f'<h3>Runs: final samples (one row per category of c1)</h3><div class="runs">{cards}</div></section>')


_CSS = """
.runs { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 1rem; }
.run { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.75rem; background: var(--panel); }
.run h4 { margin: 0 0 0.25rem; font-size: 1rem; }
.run figure { margin: 0.4rem 0; }
.run img.grid { width: 100%; max-width: 289px; image-rendering: pixelated; background: #fff; }
.run .status { font-weight: 600; color: #8a1c1c; overflow-wrap: anywhere; }
.run .status.stopped, .run .status.not-started { color: var(--muted); }
table.arms td { white-space: nowrap; }
"""


def render_sweep_page(spec: SweepSpec, rows: list[dict], arms: list[dict], fields: tuple,
                      metrics: dict[str, list[dict]], h_c: float | None, tmp: Path) -> str:
    """The page's HTML (``tmp``: a folder for the curves' PNGs before they are embedded)."""
    statuses = ("done", "failed", "stopped", "not started")
    counts = ", ".join(f"{sum(r['status'] == s for r in rows)} {s}" for s in statuses)
    css = resources.files("npgan.report").joinpath("assets", "report.css").read_text(encoding="utf-8") + _CSS
    sections = "\n".join(_arm_section(spec, i, a, rows, metrics, h_c, tmp) for i, a in enumerate(arms))
    nav = "".join(f'<li><a href="#arm-{i}">{_E(a["arm"])}</a></li>' for i, a in enumerate(arms))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>npgan sweep: {_E(spec.out.name)}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>Sweep <code>{_E(spec.out.name)}</code>: {_E(spec.dataset)}, {spec.updates:,} updates per run</h1>
<p>{len(rows)} runs: {counts}. The numbers come from the run folders (<code>summary.csv</code> has every
column); each run's images are its own, and each links to the run's <code>report.html</code>.</p>
<nav aria-label="arms"><ul><li><a href="#arms">Per arm</a></li>{nav}</ul></nav>
</header>
<main>
<section id="arms" aria-labelledby="arms-h"><h2 id="arms-h">Per arm: median (min \u2013 max) over finished runs</h2>
<p class="muted">Accuracy: Q's categorical code on the test set, categories matched to classes (Hungarian
method). L_I: mean over the 50 updates up to that update. MIG: over rotation and width, and over all known
factors (synthetic digits only).</p>
{_arm_table(arms, fields)}</section>
{sections}
</main>
<footer><p class="muted" style="max-width:1100px;margin:2rem auto;padding:0 1rem">Written by npgan {__version__}
on {datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}. One file: every image is embedded; the links to the runs'
reports are relative to this folder.</p></footer>
</body>
</html>
"""


def write_sweep_page(spec: SweepSpec, rows: list[dict], arms: list[dict], fields: tuple,
                     metrics: dict[str, list[dict]], h_c: float | None) -> Path:
    """Write ``spec.out/sweep.html`` (see the module docstring) and return its path."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="npgan-sweep-page-") as tmp:
        text = render_sweep_page(spec, rows, arms, fields, metrics, h_c, Path(tmp))
    return write_atomic(spec.out / PAGE_NAME, text.encode("utf-8"))


__all__ = ["PAGE_NAME", "final_grid", "render_sweep_page", "write_sweep_page"]
