"""Cost of checked mode (:mod:`npgan.nn.checked`) against one training update.

Runs the paper's MNIST-sized networks (batch 128, random images) and alternates blocks of
unchecked and checked updates, so both see the same machine load; prints the median time of an
update in each mode and the overhead. Usage::

    python benchmarks/bench_checked.py [--batch-size 128] [--rounds 6] [--block 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from npgan.models import InfoGANConfig
from npgan.nn import checked_mode
from npgan.train import build_trainer


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--block", type=int, default=3)
    args = p.parse_args(argv)
    images = np.random.default_rng(0).uniform(0, 1, (4 * args.batch_size, 1, 28, 28)).astype(np.float32)
    trainer, stream = build_trainer(InfoGANConfig(batch_size=args.batch_size), 0, images)
    names = trainer.nets.modules()
    for checked in (False, True):  # warm-up (JIT caches, first-touch pages)
        with checked_mode(names, enabled=checked):
            trainer.update(stream.next())
    times = {False: [], True: []}
    for _ in range(args.rounds):
        for checked in (False, True):
            with checked_mode(names, enabled=checked):
                for _ in range(args.block):
                    t0 = time.perf_counter()
                    trainer.update(stream.next())
                    times[checked].append(time.perf_counter() - t0)
    plain, check = statistics.median(times[False]), statistics.median(times[True])
    print(f"batch {args.batch_size}: update {plain * 1e3:.1f} ms unchecked, {check * 1e3:.1f} ms checked "
          f"(median of {len(times[False])} each); overhead {100 * (check - plain) / plain:+.2f} %")


if __name__ == "__main__":
    main()
