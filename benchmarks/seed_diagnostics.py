"""Per-seed diagnostics of a sweep on the synthetic digits: what c1 follows, and whether an
unsupervised statistic seen during training tells the good seeds from the bad ones.

Reads a folder written by ``npgan sweep`` (``ARM/seedK/`` with ``metrics.jsonl`` and ``eval.json``)
and prints one Markdown table per arm: per seed the categorical accuracy and NMI (labels: for the
diagnosis only), the information c1 holds about each known factor of the synthetic digits, and the
label-free statistics logged during training (the real-data consistency term's I(c; c') and L_I,
each the mean over a window of updates). Then the rank correlation of each label-free statistic with
the accuracy over the seeds: a selection among several short starts could use the statistic only
if it ranks the seeds as the accuracy does.

    python benchmarks/seed_diagnostics.py runs/exp23/early --window 100
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from scipy.stats import spearmanr

from npgan.report.run_files import read_metrics

STATS = ("consistency", "li_cat")


def window_mean(records: list[dict], key: str, update: int, window: int) -> float | None:
    """Mean of ``key`` over the ``window`` updates up to ``update`` (None if missing)."""
    vals = [r[key] for r in records if update - window < r["update"] <= update and key in r]
    return statistics.fmean(vals) if vals else None


def seed_row(folder: Path, updates: list[int], window: int) -> dict | None:
    """One run's diagnostics, or None if it has no evaluation yet."""
    try:
        ev = json.loads((folder / "eval.json").read_text())
    except FileNotFoundError:
        return None
    rep = ev["factors"]
    c1 = rep["code_names"].index("c1")
    row = {"seed": int(folder.name.removeprefix("seed")), "update": ev["update"],
           "accuracy": ev["accuracy"], "nmi": rep["nmi"]}
    for name, mi in zip(rep["factor_names"], rep["mi"][c1]):
        row[f"I(c1;{name})"] = mi
    records = read_metrics(folder)
    for u in updates:
        for key in STATS:
            row[f"{key}@{u}"] = window_mean(records, key, u, window)
    return row


def fmt(v) -> str:
    return "—" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep", type=Path)
    ap.add_argument("--updates", type=int, nargs="+", default=[500, 1000],
                    help="updates at which the label-free statistics are read (default 500 1000)")
    ap.add_argument("--window", type=int, default=100, help="updates averaged (default 100)")
    args = ap.parse_args(argv)
    for arm in sorted(p for p in args.sweep.iterdir() if p.is_dir()):
        rows = [r for s in sorted(arm.glob("seed*"), key=lambda p: int(p.name[4:]))
                if (r := seed_row(s, args.updates, args.window)) is not None]
        if not rows:
            continue
        cols = list(rows[0])
        print(f"## {arm.name} ({len(rows)} seeds)\n")
        print("| " + " | ".join(cols) + " |\n|" + " --- |" * len(cols))
        for r in rows:
            print("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
        print()
        acc = [r["accuracy"] for r in rows]
        for c in cols:
            if "@" in c and all(r[c] is not None for r in rows) and len(rows) >= 3:
                rho = spearmanr([r[c] for r in rows], acc).statistic
                print(f"- Spearman({c}, accuracy) over {len(rows)} seeds: {rho:+.3f}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
