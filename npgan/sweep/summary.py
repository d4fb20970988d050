"""The sweep's table: one row per run, read from the run folders, and per arm the median, min and max.

Everything is read back from disk (``sweep.json``, each run's ``metrics.jsonl``, ``config.json`` and
``eval.json``), so :func:`write_summary` rebuilds the same files whether the runs were just trained
or finished long ago (``npgan sweep --summarize DIR``). Columns:

- ``status``: ``done`` (trained to the sweep's updates and evaluated), ``failed`` (with ``error``),
  ``stopped`` (a checkpoint short of the end; the next invocation resumes it) or ``not started``.
- ``update``: the last update in the run's metrics log.
- ``accuracy``: Q's categorical code on the test split, Hungarian-matched (``npgan eval``).
- ``li_1000``, ``li_end``: L_I (categorical, nats), mean over the 50 updates up to update 1 000 and
  up to the run's last update; ``li_eval``: L_I on fresh samples at the end.
- ``mig``, ``mig_style``: the MIG over all factors and over rotation and width (synthetic digits).
- ``train_s``: training time, the sum of the logged update times (right across resumes), the
  starts a run did not continue included (:mod:`npgan.train.starts`).
- ``accuracy@U``, ``mig_style@U``: the same at update U, for each ``--eval-at`` U of the sweep
  (``RUN/evals/update_U.json``; empty for a run that was past U when the sweep first asked).
- ``cK_rotation``, ``cK_width``: rank correlations of each continuous code along sweeps (CSV only).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from npgan.evaluation.eval_file import read_eval
from npgan.report.run_files import EVAL_NAME
from npgan.run.folder import CONFIG_NAME
from npgan.sweep.plan import SweepSpec
from npgan.sweep.record import load_record
from npgan.sweep.task import is_finished, milestone_path
from npgan.train.config import read_run_config
from npgan.train.starts import other_starts_seconds

logger = logging.getLogger("npgan")

FIELDS = ("run", "arm", "recipe", "seed", "status", "update", "accuracy", "li_1000", "li_end", "li_eval",
          "mig", "mig_style", "train_s", "error")
#: the columns summarised per arm (median, minimum, maximum over its finished runs)
ARM_FIELDS = ("accuracy", "li_1000", "li_end", "mig_style", "mig", "train_s")
LI_WINDOW = 50


@dataclass(frozen=True)
class Summary:
    """The rows (one per run), the per-arm statistics and the files written (``figure``: summary.png,
    ``page``: sweep.html, :mod:`npgan.sweep.page`)."""

    rows: list
    arms: list
    csv: Path
    markdown: Path
    figure: Path | None
    page: Path | None = None


def li_at(records: list[dict], update: int, window: int = LI_WINDOW) -> float | None:
    """Mean ``li_cat`` over the ``window`` updates up to ``update`` (None if the run did not get there)."""
    if not records or records[-1]["update"] < update:
        return None
    vals = [r["li_cat"] for r in records if update - window < r["update"] <= update]
    return float(statistics.fmean(vals)) if vals else None


def _metrics(folder: Path) -> list[dict]:
    """The run's metrics records (none yet: empty; a damaged log counts as none, with a note)."""
    from npgan.report.run_files import read_metrics
    from npgan.run import MetricsError
    try:
        return read_metrics(folder)
    except MetricsError as exc:
        logger.warning("note: %s", exc)
        return []


def _read_eval(path: Path) -> dict:
    """The checked evaluation in ``path`` ({} if there is none; a damaged one is a ValueError naming it)."""
    try:
        return read_eval(path)
    except FileNotFoundError:
        return {}


def _eval_fields(ev: dict, n_categorical: int) -> dict:
    """The row's entries from the run's evaluation ``ev`` ({}: none)."""
    row = {"accuracy": ev.get("accuracy"), "li_eval": ev.get("li_cat")}
    factors = ev.get("factors") or {}
    row.update(mig=factors.get("mig"), mig_style=factors.get("mig_style"))
    for c in ev.get("continuous", []):
        name = f"c{n_categorical + c['code'] + 1}"
        row[f"{name}_rotation"], row[f"{name}_width"] = c["rotation"], c["width"]
    return row


def run_row(spec: SweepSpec, run, attempt: dict | None, records: list[dict]) -> dict:
    """The summary row of one run (``attempt``: its entry in ``sweep.json``, if any)."""
    folder = spec.folder(run)
    row = dict.fromkeys(FIELDS)
    row.update(run=run.name, arm=run.arm, recipe=run.recipe, seed=run.seed, error="")
    row["update"] = records[-1]["update"] if records else 0
    ev = _read_eval(folder / EVAL_NAME)  # a damaged one is an error here, not a run taken for unfinished
    if is_finished(folder, spec.updates):
        row["status"] = "done"
    elif attempt and attempt.get("status") == "failed":
        row.update(status="failed", error=attempt.get("error", ""))
    else:
        row["status"] = "stopped" if records else "not started"
    if records:
        row["li_1000"] = li_at(records, 1000)
        row["li_end"] = li_at(records, records[-1]["update"])
        row["train_s"] = sum(r["seconds"] for r in records) + other_starts_seconds(folder)
    if row["status"] == "done":
        _, config = read_run_config(folder / CONFIG_NAME)
        row.update(_eval_fields(ev, config.model.latent.n_categorical))
    for update in spec.eval_at:
        row.update(milestone_fields(folder, update))
    return row


def milestone_fields(folder: Path, update: int) -> dict:
    """``accuracy@U`` and ``mig_style@U`` from the run's evaluation at ``update`` (None if it has none)."""
    ev = _read_eval(milestone_path(folder, update))
    return {f"accuracy@{update}": ev.get("accuracy"), f"mig_style@{update}": (ev.get("factors") or {}).get("mig_style")}


def arm_fields(spec: SweepSpec) -> tuple:
    """:data:`ARM_FIELDS` with the sweep's ``accuracy@U`` and ``mig_style@U`` before them."""
    return (*(f"{k}@{u}" for u in spec.eval_at for k in ("accuracy", "mig_style")), *ARM_FIELDS)


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def arm_stats(rows: list[dict], fields: tuple = ARM_FIELDS) -> list[dict]:
    """Per arm (in order of appearance): runs, done, failed and the median/min/max of ``fields``."""
    out = []
    for arm in dict.fromkeys(r["arm"] for r in rows):
        mine = [r for r in rows if r["arm"] == arm]
        stats = {"arm": arm, "runs": len(mine), "done": sum(r["status"] == "done" for r in mine),
                 "failed": sum(r["status"] == "failed" for r in mine)}
        for key in fields:
            vals = [r.get(key) for r in mine if r["status"] == "done" and _finite(r.get(key))]
            stats[key] = (statistics.median(vals), min(vals), max(vals)) if vals else None
        out.append(stats)
    return out


def _cell(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def format_markdown(spec: SweepSpec, rows: list[dict], arms: list[dict]) -> str:
    """``summary.md``: the runs and the per-arm medians (min-max)."""
    fields = arm_fields(spec)
    lines = [f"# Sweep {spec.out.name}: {spec.dataset}, {spec.updates} updates per run", "",
             f"{len(rows)} runs: " + ", ".join(f"{sum(r['status'] == s for r in rows)} {s}"
                                              for s in ("done", "failed", "stopped", "not started")), "",
             "## Per arm: median (min - max) over finished runs", "",
             "| arm | done / runs | " + " | ".join(fields) + " |", "|---" * (len(fields) + 2) + "|"]
    for a in arms:
        cells = ["—" if a[k] is None else
                 (f"{a[k][0]:.0f} ({a[k][1]:.0f} - {a[k][2]:.0f})" if k == "train_s" else
                  f"{a[k][0]:.3f} ({a[k][1]:.3f} - {a[k][2]:.3f})") for k in fields]
        lines.append(f"| {a['arm']} | {a['done']} / {a['runs']} | " + " | ".join(cells) + " |")
    shown = [k for k in FIELDS if k not in ("arm", "recipe")]
    shown[shown.index("accuracy"):shown.index("accuracy")] = fields[:2 * len(spec.eval_at)]
    lines += ["", "## Runs", "", "| " + " | ".join(shown) + " |", "|---" * len(shown) + "|"]
    for r in rows:
        cells = [_cell(r.get(k), 0 if k == "train_s" else 3) if k != "error" else _cell(r[k][:200]) for k in shown]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def format_csv(rows: list[dict]) -> str:
    """``summary.csv``: :data:`FIELDS`, then the continuous codes' correlations; empty cells for none."""
    extra = sorted({k for r in rows for k in r} - set(FIELDS))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*FIELDS, *extra], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else round(r[k], 6) if isinstance(r[k], float) else r[k])
                         for k in writer.fieldnames})
    return buf.getvalue()


def _categorical_entropy(spec: SweepSpec) -> float | None:
    for run in spec.runs:
        try:
            latent = read_run_config(spec.folder(run) / CONFIG_NAME)[1].model.latent
        except FileNotFoundError:
            continue
        return latent.categorical_entropy() if latent.categorical else None
    return None


def write_summary(out, *, figure: bool = True) -> Summary:
    """Read the sweep in ``out`` and write ``summary.csv``, ``summary.md``, and with ``figure``
    ``summary.png`` and ``sweep.html`` (:mod:`npgan.sweep.page`).

    Raises
    ------
    FileNotFoundError
        ``out`` holds no ``sweep.json``.
    """
    out = Path(out)
    spec, attempts = load_record(out)
    if spec is None:
        raise FileNotFoundError(f"{out} holds no sweep (no sweep.json); is it the --out of an npgan sweep?")
    spec = spec if spec.out == out else SweepSpec(**{**spec.__dict__, "out": out})  # the folder may have moved
    metrics = {run.name: _metrics(spec.folder(run)) for run in spec.runs}
    rows = [run_row(spec, run, attempts.get(run.name), metrics[run.name]) for run in spec.runs]
    arms = arm_stats(rows, arm_fields(spec))
    (out / "summary.csv").write_text(format_csv(rows))
    (out / "summary.md").write_text(format_markdown(spec, rows, arms))
    png = page = None
    if figure:
        from npgan.sweep.figure import plot_sweep
        from npgan.sweep.page import write_sweep_page
        h_c = _categorical_entropy(spec)
        png = plot_sweep(rows, metrics, out / "summary.png", h_c=h_c)
        page = write_sweep_page(spec, rows, arms, arm_fields(spec), metrics, h_c)
    return Summary(rows=rows, arms=arms, csv=out / "summary.csv", markdown=out / "summary.md", figure=png, page=page)
