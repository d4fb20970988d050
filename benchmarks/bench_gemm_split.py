"""What cutting GEMMs by shape costs: npgan's update with its GEMM split against one piece per thread.

``npgan.kernels.gemm`` cuts each GEMM into pieces chosen from its shape alone (at most
``MAX_PIECES``), so a result does not depend on the thread count. The baseline here is the split it
replaced, one piece per pool thread, which is as fast as a split can be on the pool but rounds
differently at different thread counts on some BLAS kernels. Both run the same trainer (the default
recipe, random real batches) in one process, alternating blocks of updates, so a busy machine slows
them alike. ``--max-pieces`` tries other caps.

Usage::

    python benchmarks/bench_gemm_split.py                       # batch 128, 2 threads, cap as shipped
    python benchmarks/bench_gemm_split.py --batch 64 --threads 1 --max-pieces 2 4 8
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def per_thread_count(m: int, k: int, n: int) -> int:
    """The baseline's piece count: one per pool thread (one for a small GEMM), in place of ``gemm.n_pieces``."""
    from npgan.kernels import gemm
    from npgan.kernels.threads import n_threads
    return max(1, min(n_threads(), (m * n * k) // gemm.MIN_PIECE_MACS))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-pieces", type=int, nargs="+", default=None,
                    help="caps to compare (default: the shipped MAX_PIECES)")
    ap.add_argument("--rounds", type=int, default=8, help="blocks of updates per setting")
    ap.add_argument("--block", type=int, default=3, help="updates per block")
    args = ap.parse_args(argv)
    from npgan.kernels import gemm
    from npgan.kernels.threads import use_threads
    from npgan.models.infogan import InfoGANConfig
    from npgan.train.build import build_trainer

    shipped_count, shipped_cap = gemm.n_pieces, gemm.MAX_PIECES
    settings = {"per thread": (per_thread_count, shipped_cap)}
    for cap in args.max_pieces or [shipped_cap]:
        settings[f"by shape, at most {cap}"] = (shipped_count, cap)
    rng = np.random.default_rng(0)
    images = rng.random((4 * args.batch, 1, 28, 28), dtype=np.float32)
    times = {name: [] for name in settings}
    try:
        with use_threads(args.threads):
            trainer, stream = build_trainer(InfoGANConfig(batch_size=args.batch), 0, images)
            batches = [stream.next() for _ in range(4)]
            for i in range(3):                                 # compile and warm the buffers
                trainer.update(batches[i % 4])
            names = list(settings)
            for r in range(args.rounds):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    gemm.n_pieces, gemm.MAX_PIECES = settings[name]
                    t = time.perf_counter()
                    for i in range(args.block):
                        trainer.update(batches[i % 4])
                    times[name].append((time.perf_counter() - t) / args.block)
    finally:
        gemm.n_pieces, gemm.MAX_PIECES = shipped_count, shipped_cap
    base = np.median(times["per thread"])
    print(f"batch {args.batch}, {args.threads} threads, {args.rounds} x {args.block} updates per setting")
    out = {}
    for name, ts in times.items():
        med = float(np.median(ts))
        out[name] = {"median_s": med, "min_s": float(min(ts)), "ratio": med / base}
        print(f"  {name:<22} median {1e3 * med:7.0f} ms   min {1e3 * min(ts):7.0f} ms   "
              f"/ per thread {med / base:.3f}")
    return out


if __name__ == "__main__":
    main()
