"""Cost of the sample frames during training (issue 21): time per update with and without them.

Two runs with the same settings and seed train side by side (two child processes started together,
so both see whatever load the machine has): one draws a frame every ``--every`` updates
(:class:`npgan.report.frames.SampleFrames`), the other none. Each reports the wall time of
``train()`` (updates, metrics log, checkpoints and the callback), the time spent inside the frames
callback, and the median update time from its metrics. The parent prints both side by side, the
overhead, and what it comes to at the default spacing (250 updates), and checks that the two final
checkpoints are bit-identical (the frames draw nothing from the trainer's generator).

Usage::

    nice -n 10 python benchmarks/bench_frames.py --updates 300 --every 25
    nice -n 10 python benchmarks/bench_frames.py --updates 200 --every 20 --keep runs/bench_frames
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(out: Path, updates: int, every: int, seed: int) -> dict:
    from npgan.data import load_dataset
    from npgan.recipes import resolve
    from npgan.report.frames import SampleFrames
    from npgan.report.run_files import read_metrics
    from npgan.train import TrainOptions, train
    images, _ = load_dataset("synthetic", split="train")
    options = TrainOptions(updates=updates, seed=seed, out_dir=out, checkpoint_every=10**9, progress=False)
    spent = [0.0, 0]
    frames = SampleFrames(out, seed, every) if every else None

    def timed(update, stats, trainer):
        t0 = time.perf_counter()
        frames(update, stats, trainer)
        if update % every == 0:
            spent[0] += time.perf_counter() - t0
            spent[1] += 1
    callback = timed if every else None
    t0 = time.perf_counter()
    train(resolve("npgan", "synthetic"), images, options, dataset="synthetic", callback=callback)
    wall = time.perf_counter() - t0
    seconds = [r["seconds"] for r in read_metrics(out)]
    return {"wall_s": wall, "frames": spent[1], "frame_s": spent[0], "median_update_s": statistics.median(seconds)}


def _same_checkpoints(a: Path, b: Path) -> bool:
    import numpy as np
    with np.load(a / "checkpoint.npz") as x, np.load(b / "checkpoint.npz") as y:
        return x.files == y.files and all(np.array_equal(x[k], y[k]) for k in x.files)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--updates", type=int, default=300)
    p.add_argument("--every", type=int, default=25, help="frame spacing of the run with frames")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", default=None, metavar="DIR", help="keep the two run folders in DIR/on and DIR/off")
    p.add_argument("--worker", nargs=2, metavar=("OUT", "EVERY"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.updates, int(args.worker[1]), args.seed)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        runs = {"with frames": (base / "on", args.every), "without": (base / "off", 0)}
        procs = {name: subprocess.Popen([sys.executable, __file__, "--updates", str(args.updates), "--seed",
                                         str(args.seed), "--worker", str(out), str(every)], stdout=subprocess.PIPE,
                                        text=True) for name, (out, every) in runs.items()}
        res = {name: json.loads(proc.communicate()[0].strip().splitlines()[-1]) for name, proc in procs.items()}
        identical = _same_checkpoints(runs["with frames"][0], runs["without"][0])
    on, off = res["with frames"], res["without"]
    print(f"{args.updates} updates, seed {args.seed}, batch 128, npgan recipe on the synthetic digits, side by side")
    print(f"{'':>12} {'wall s':>8} {'s/update':>9} {'median update s':>16} {'frames':>7} {'s/frame':>8}")
    for name, r in res.items():
        per_frame = r["frame_s"] / r["frames"] if r["frames"] else 0.0
        print(f"{name:>12} {r['wall_s']:8.1f} {r['wall_s'] / args.updates:9.3f} {r['median_update_s']:16.3f} "
              f"{r['frames']:7d} {per_frame:8.3f}")
    per_frame = on["frame_s"] / max(on["frames"], 1)
    print(f"wall-time overhead with a frame every {args.every} updates: "
          f"{100 * (on['wall_s'] / off['wall_s'] - 1):+.2f} % "
          f"(the frames' own time: {100 * on['frame_s'] / on['wall_s']:.2f} % of the run)")
    print(f"at the default spacing (250 updates): {100 * per_frame / (250 * off['median_update_s']):.3f} % "
          "(one frame's time over 250 median update times)")
    print(f"final checkpoints bit-identical: {identical}")


if __name__ == "__main__":
    main()
