"""Median time of one training update of a recipe, for comparing two checkouts of npgan.

Runs in whatever npgan is importable, so the same command measures an older commit too::

    git worktree add /tmp/old fecf0bf
    for i in 1 2; do
      python benchmarks/time_updates.py --threads 2
      PYTHONPATH=/tmp/old python benchmarks/time_updates.py --threads 2
    done

Random images (the update's cost does not depend on them), seed 0, warm-up updates first.
Before the thread pool existed (``npgan.kernels.threads``) it limits OpenBLAS's threads instead.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from npgan.recipes import resolve
from npgan.train.build import build_trainer

try:
    from npgan.kernels.threads import use_threads
except ImportError:  # a checkout from before the thread pool: OpenBLAS threads its own GEMMs
    from threadpoolctl import threadpool_limits

    def use_threads(n):
        return threadpool_limits(n, user_api="blas")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Median time of one training update.")
    ap.add_argument("--recipe", default="paper")
    ap.add_argument("--dataset", default="mnist", help="which recipe variant (the images are random)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--updates", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args(argv)
    try:   # as training does; a checkout from before npgan.kernels.alloc lets glibc trim
        from npgan.kernels.alloc import keep_freed_memory
        keep_freed_memory()
    except ImportError:
        pass
    cfg = resolve(args.recipe, args.dataset)
    images = np.random.default_rng(0).random((2048, 1, 28, 28), dtype=np.float32)
    trainer, stream = build_trainer(cfg, 0, images)
    times = []
    with use_threads(args.threads):
        for i in range(args.warmup + args.updates):
            t0 = time.perf_counter()
            trainer.update(stream.next())
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    import npgan
    print(f"{npgan.__file__}: {args.recipe}/{args.dataset}, batch {cfg.model.batch_size}, {args.threads} threads: "
          f"median {statistics.median(times) * 1e3:.0f} ms, min {min(times) * 1e3:.0f} ms over {len(times)} updates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
