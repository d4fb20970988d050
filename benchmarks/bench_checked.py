"""Cost of checked mode (:mod:`npgan.nn.checked`) against one training update.

Runs the paper's MNIST-sized networks (random images) and alternates blocks of unchecked and
checked updates, so both see the same machine load; prints the median time of an update in each
mode, the time spent in the checks themselves (timed inside the check, the more precise figure on a
busy machine), and what the loop's sampling (every ``--check-every``-th update) costs per update.
Usage::

    python benchmarks/bench_checked.py [--batch-size 128] [--rounds 6] [--block 3] [--check-every 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from npgan.kernels.threads import use_threads
from npgan.models import InfoGANConfig
from npgan.nn import checked, checked_mode
from npgan.train import build_trainer


def main(argv=None) -> None:
    with use_threads():  # as train() runs its updates
        _main(argv)


def _main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--block", type=int, default=3)
    p.add_argument("--check-every", type=int, default=10)
    args = p.parse_args(argv)
    images = np.random.default_rng(0).uniform(0, 1, (4 * args.batch_size, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(InfoGANConfig(batch_size=args.batch_size), 0, images)
    names = trainer.nets.modules()
    count, spent = checked._count, {"s": 0.0, "arrays": 0, "values": 0}

    def timed(x):
        t0 = time.perf_counter()
        try:
            return count(x)
        finally:
            spent["s"] += time.perf_counter() - t0
            spent["arrays"] += 1
            spent["values"] += x.size
    checked._count = timed
    for on in (False, True):  # warm-up (JIT caches, first-touch pages)
        with checked_mode(names, enabled=on):
            trainer.update(stream.next())
    times, spent["s"], spent["arrays"], spent["values"] = {False: [], True: []}, 0.0, 0, 0
    for _ in range(args.rounds):
        for on in (False, True):
            with checked_mode(names, enabled=on):
                for _ in range(args.block):
                    t0 = time.perf_counter()
                    trainer.update(stream.next())
                    times[on].append(time.perf_counter() - t0)
    n = len(times[True])
    plain, check = statistics.median(times[False]), statistics.median(times[True])
    per_update = spent["s"] / n
    print(f"batch {args.batch_size}: update {plain * 1e3:.1f} ms unchecked, {check * 1e3:.1f} ms checked "
          f"(median of {n} each; difference {100 * (check - plain) / plain:+.2f} %)")
    print(f"checks: {per_update * 1e3:.1f} ms per checked update ({spent['arrays'] // n} arrays, "
          f"{spent['values'] / n / 1e6:.1f} M values) = {100 * per_update / plain:.2f} % of an unchecked update; "
          f"checking every {args.check_every}th update: {100 * per_update / plain / args.check_every:.2f} %")


if __name__ == "__main__":
    main()
