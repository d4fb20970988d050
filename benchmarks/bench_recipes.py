"""What npgan's extra training terms cost: one update of each recipe, side by side, in one process.

Times ``InfoGANTrainer.update`` at the real network size for

- ``paper``: the paper's update (D step on a real and a fake batch, G step), on MNIST's settings;
- ``npgan/mnist``: npgan's recipe on MNIST (plus the real-data consistency term);
- ``npgan/synthetic late``: npgan's recipe on the synthetic digits after its late terms have started
  (consistency, code prior, orthogonal Jacobian, code equivariance; their start is moved to the
  first update, which changes only when the terms act, not what an update does);

round-robin (one update of each in turn, so a busy machine slows them alike), under npgan's thread
policy (``use_threads``), on random real batches. Prints the median update of each, its ratio to the
paper's, and the GEMM work (FLOPs) of each update counted from the layers' calls, so the ratio can be
read against the work each term adds.

Usage::

    python benchmarks/bench_recipes.py                  # batch 128, all the CPUs, 20 rounds
    python benchmarks/bench_recipes.py --threads 1 --rounds 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

LATE_TERMS = ("code_prior", "ortho_jacobian", "code_equivariance")


def _trainers(batch: int):
    from npgan.recipes import resolve
    from npgan.train.build import build_trainer
    rng = np.random.default_rng(7)
    images = rng.random((8 * batch, 1, 28, 28), dtype=np.float32)
    late = {f"{t}.start": 0 for t in LATE_TERMS}     # act from the first update
    configs = {"paper": resolve("paper", "mnist", {"batch_size": batch}),
               "npgan/mnist": resolve("npgan", "mnist", {"batch_size": batch}),
               "npgan/synthetic late": resolve("npgan", "synthetic", {"batch_size": batch, **late})}
    out = {}
    for name, cfg in configs.items():
        trainer, stream = build_trainer(cfg, 0, images)
        out[name] = (trainer, [stream.next() for _ in range(4)])
    return out


def _gemm_flops(trainer, batch) -> float:
    """GEMM FLOPs of one update, counted by wrapping the kernels' GEMM entry points."""
    from npgan.kernels import gemm
    count = [0.0]
    originals = gemm.matmul, gemm.matmul_add

    def counted(fn):
        def wrapper(a, b, *rest, **kw):
            count[0] += 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
            return fn(a, b, *rest, **kw)
        return wrapper
    import npgan.kernels.conv as conv
    import npgan.nn.linear as linear
    saved = (conv.matmul, linear.matmul, linear.matmul_add)
    conv.matmul, linear.matmul, linear.matmul_add = (counted(originals[0]), counted(originals[0]),
                                                      counted(originals[1]))
    try:
        trainer.update(batch)
    finally:
        conv.matmul, linear.matmul, linear.matmul_add = saved
    return count[0]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None, help="npgan's pool size (default: all the CPUs)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args(argv)
    from npgan.kernels.alloc import keep_freed_memory
    keep_freed_memory()   # as training does (npgan.train.train)
    from npgan.kernels.threads import use_threads
    with use_threads(args.threads) as n:
        runs = _trainers(args.batch)
        flops = {name: _gemm_flops(tr, b[0]) for name, (tr, b) in runs.items()}
        times = {name: [] for name in runs}
        for r in range(args.warmup + args.rounds):
            for name, (trainer, batches) in runs.items():
                t0 = time.perf_counter()
                trainer.update(batches[r % len(batches)])
                if r >= args.warmup:
                    times[name].append(time.perf_counter() - t0)
    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    print(f"one update per recipe, batch {args.batch}, npgan's pool of {n} thread(s), {args.rounds} rounds "
          f"(load average {os.getloadavg()[0]:.2f} at the end)")
    print(f"  {'recipe':22} {'median ms':>10} {'q1-q3 ms':>14} {'x paper':>8} {'GFLOP':>7} {'x paper':>8}")
    for k in runs:
        q1, q3 = np.percentile(1e3 * np.asarray(times[k]), [25, 75])
        print(f"  {k:22} {med[k]:10.1f} {q1:7.1f}-{q3:<6.1f} {med[k] / med['paper']:8.2f} {flops[k] / 1e9:7.1f} "
              f"{flops[k] / flops['paper']:8.2f}")
    return {"threads": n, "median_ms": med, "gflop": {k: v / 1e9 for k, v in flops.items()}}


if __name__ == "__main__":
    main()
