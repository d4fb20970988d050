"""What splits a digit across Q's categories: for each digit the categories it falls into, and the
mean of each known factor of the synthetic digits within each part.

A digit that Q divides between two categories is divided by something: rotation, width, thickness
or font. For every digit whose largest category holds less than ``--share`` of it, this prints the
categories holding at least 10 % of it with the mean rotation, width and thickness of those images
and their most common font, on the synthetic test images (labels and factors: for the diagnosis
only; nothing here trains the model).

    python benchmarks/category_splits.py runs/exp23/early1000/npgan/seed2
"""

from __future__ import annotations

import argparse

import numpy as np

from npgan.data import make_synthetic_digits
from npgan.data.datasets import SYNTHETIC_SEEDS
from npgan.evaluation.probes import categorical_predictions
from npgan.train.loop import load_trained


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
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
