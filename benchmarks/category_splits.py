"""What splits a digit across Q's categories: for each digit the categories it falls into, and the
mean of each known factor of the synthetic digits within each part.

A digit that Q divides between two categories is divided by something: rotation, width, thickness
or font. For every digit whose largest category holds less than ``--share`` of it, this prints the
categories holding at least 10 % of it with the mean rotation, width and thickness of those images
and their most common font, and then which factor tells the digit's two largest parts apart most
(the difference of their means over the factor's range; for the font, the total-variation distance
of the two parts' font distributions), on the synthetic test images (labels and factors: for the diagnosis
only; nothing here trains the model).

    python benchmarks/category_splits.py runs/exp23/early1000/npgan/seed2
"""

from __future__ import annotations

import argparse

import numpy as np

from npgan.data import make_synthetic_digits
from npgan.data.synthetic import DEFAULT_RANGES
from npgan.data.datasets import SYNTHETIC_SEEDS
from npgan.evaluation.probes import categorical_predictions
from npgan.train.build import load_trained


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="checkpoints or run folders")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--share", type=float, default=0.9, help="a digit counts as split below this share")
    args = ap.parse_args(argv)
    data = make_synthetic_digits(args.n, SYNTHETIC_SEEDS["test"])
    f = data.factors
    for run in args.runs:
        nets, meta = load_trained(run)
        pred = categorical_predictions(nets.eval(), data.images)
        print(f"## {run} (update {meta['update']})\n")
        print("| digit | category | share | rotation (deg) | width | thickness | commonest font (share) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        split_by = {}
        for d in range(10):
            mine = f["digit"] == d
            counts = np.bincount(pred[mine], minlength=pred.max() + 1) / mine.sum()
            if counts.max() >= args.share:
                continue
            for c in np.argsort(-counts):
                if counts[c] < 0.1:
                    break
                sel = mine & (pred == c)
                fonts = np.bincount(f["font"][sel], minlength=len(data.fonts)) / sel.sum()
                print(f"| {d} | {c} | {counts[c]:.2f} | {f['rotation'][sel].mean():+.1f} | "
                      f"{f['width'][sel].mean():.2f} | {f['thickness'][sel].mean():.2f} | "
                      f"{data.fonts[int(fonts.argmax())]} ({fonts.max():.2f}) |")
            a, b = (mine & (pred == c) for c in np.argsort(-counts)[:2])
            gaps = {name: abs(f[name][a].mean() - f[name][b].mean()) / (hi - lo)
                    for name, (lo, hi) in DEFAULT_RANGES.items()}
            fa, fb = (np.bincount(f["font"][m], minlength=len(data.fonts)) / max(m.sum(), 1) for m in (a, b))
            gaps["font"] = 0.5 * np.abs(fa - fb).sum()
            top = max(gaps, key=gaps.get)
            split_by.setdefault(top, []).append(f"{d} ({gaps[top]:.2f})")
        print(f"\n{sum(map(len, split_by.values()))} digits split; the two largest parts differ most in: "
              + "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(split_by.items())) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
