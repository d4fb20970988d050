"""Copy a sweep's small results into the repository, so a lost machine loses only the runs in flight.

For every finished run ``SWEEP/ARM/seedK`` (one with an ``eval.json`` written after its last
update) this copies ``config.json``, ``eval.json``, the evaluations at ``--eval-at`` updates
(``evals/*.json``) and the metrics log, gzip-compressed, to ``DEST/ARM/seedK``; and the sweep's
own ``sweep.json`` / ``summary.*`` when they exist. Never checkpoints, figures or data.

    python benchmarks/keep_results.py runs/exp32/fi1 docs/experiments/results/exp32/fi1
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path


def finished(run: Path) -> bool:
    """Whether ``run`` has an evaluation of its last logged update."""
    try:
        ev = json.loads((run / "eval.json").read_text())
        last = json.loads((run / "metrics.jsonl").read_text().rstrip("\n").rsplit("\n", 1)[-1])
    except (OSError, ValueError, IndexError):
        return False
    return isinstance(ev, dict) and isinstance(last, dict) and ev.get("update") == last.get("update")


def keep(run: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "eval.json"):
        shutil.copyfile(run / name, dest / name)
    if (run / "evals").is_dir():
        (dest / "evals").mkdir(exist_ok=True)
        for f in sorted((run / "evals").glob("*.json")):
            shutil.copyfile(f, dest / "evals" / f.name)
    with open(run / "metrics.jsonl", "rb") as src, open(dest / "metrics.jsonl.gz", "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:   # mtime 0: the same log, the same bytes
        shutil.copyfileobj(src, out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sweep", type=Path, help="the sweep's folder (ARM/seedK inside)")
    parser.add_argument("dest", type=Path, help="where the small results go (e.g. docs/experiments/results/NAME)")
    args = parser.parse_args(argv)
    if not args.sweep.is_dir():
        print(f"keep_results: no folder {args.sweep}", file=sys.stderr)
        return 2
    kept = []
    for run in sorted(p.parent for p in args.sweep.glob("*/seed*/config.json")):
        if finished(run):
            keep(run, args.dest / run.parent.name / run.name)
            kept.append(f"{run.parent.name}/{run.name}")
    for name in ("sweep.json", "summary.csv", "summary.md"):
        if (args.sweep / name).is_file():
            args.dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.sweep / name, args.dest / name)
    print(f"kept {len(kept)} finished runs in {args.dest}: {', '.join(kept) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
