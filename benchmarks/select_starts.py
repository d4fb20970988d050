"""What choosing among K starts by I(c; c') would have given, replayed on the runs of a sweep.

Each seed of a sweep (``ARM/seedK/``) is taken as one start. For every set of K seeds (all
combinations), the start with the highest mean consistency statistic I(c; c') over updates
``U - window + 1 .. U`` (read from ``metrics.jsonl``; what ``starts.count = K`` chooses by, see
``npgan.train.starts``) is "continued", and its accuracy in ``eval.json`` is what the choice gets.
Labels are read only to score the replay, never to choose. Printed per K: the mean and the minimum
accuracy of the chosen start over all K-sets, the same for a start taken at random (the mean over
seeds), and how often the choice was the K-set's best.

    python benchmarks/select_starts.py runs/exp23/early1000 --at 1000 --k 2 3
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from pathlib import Path

from npgan.run.metrics import read_metrics


def seed_rows(arm: Path, at: int, window: int) -> list[dict]:
    """(seed, statistic at ``at``, accuracy, evaluated update) of every evaluated run of an arm."""
    rows = []
    for folder in sorted(arm.glob("seed*"), key=lambda p: int(p.name.removeprefix("seed"))):
        try:
            ev = json.loads((folder / "eval.json").read_text())
        except FileNotFoundError:
            continue
        recs = [r for r in read_metrics(folder / "metrics.jsonl", note=False).records
                if at - window < r["update"] <= at]
        if len(recs) < window:
            continue
        rows.append({"seed": int(folder.name.removeprefix("seed")), "stat": statistics.fmean(
            r["consistency"] for r in recs), "accuracy": ev["accuracy"], "update": ev["update"]})
    return rows


def replay(rows: list[dict], k: int) -> dict:
    """Scores of choosing the highest statistic in every k-set of ``rows``."""
    chosen, best = [], 0
    for group in itertools.combinations(rows, k):
        pick = max(group, key=lambda r: r["stat"])
        chosen.append(pick["accuracy"])
        best += pick["accuracy"] == max(r["accuracy"] for r in group)
    return {"sets": len(chosen), "mean": statistics.fmean(chosen), "min": min(chosen),
            "best_share": best / len(chosen)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep", type=Path)
    ap.add_argument("--at", type=int, default=1000, help="the update of the choice (default 1000)")
    ap.add_argument("--window", type=int, default=100, help="updates averaged (default 100)")
    ap.add_argument("--k", type=int, nargs="+", default=[2, 3], help="numbers of starts (default 2 3)")
    args = ap.parse_args(argv)
    for arm in sorted(p for p in args.sweep.iterdir() if p.is_dir()):
        rows = seed_rows(arm, args.at, args.window)
        if len(rows) < 2:
            continue
        updates = sorted({r["update"] for r in rows})
        acc = [r["accuracy"] for r in rows]
        print(f"## {arm.name}: {len(rows)} seeds, choice at update {args.at}, accuracy at update(s) {updates}\n")
        print("| seed | I(c; c') | accuracy |\n| --- | --- | --- |")
        for r in rows:
            print(f"| {r['seed']} | {r['stat']:.3f} | {r['accuracy']:.3f} |")
        print(f"\none start (each seed): mean {statistics.fmean(acc):.3f}, min {min(acc):.3f}\n")
        print("| K | K-sets | chosen: mean accuracy | chosen: min | choice was the set's best |")
        print("| --- | --- | --- | --- | --- |")
        for k in args.k:
            if k <= len(rows):
                s = replay(rows, k)
                print(f"| {k} | {s['sets']} | {s['mean']:.3f} | {s['min']:.3f} | {s['best_share']:.0%} |")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
