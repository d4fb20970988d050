"""Memory of training, measured with tracemalloc, against the estimate of npgan.models.memory.

For each noise size and batch size: the bytes NumPy holds once the trainer is built (networks,
gradients, Adam's moments), the peak over two updates, and the peak while a checkpoint's state is
copied; printed per parameter and per sample of a batch, beside ``training_memory``'s estimate.
Usage::

    python benchmarks/bench_memory.py [--noise 62 2000] [--batch 32 128]
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np

from npgan.models.memory import training_memory
from npgan.recipes import resolve
from npgan.train import build_trainer


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--noise", type=int, nargs="+", default=[62, 2000])
    p.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    args = p.parse_args(argv)
    for noise in args.noise:
        for batch in args.batch:
            config = resolve("npgan", "mnist", {"batch_size": batch, "latent.noise_dim": noise})
            images = np.random.default_rng(0).uniform(0, 1, (2 * batch, 1, 28, 28)).astype(np.float32)
            tracemalloc.start()
            trainer, stream = build_trainer(config, 0, images)
            built = tracemalloc.get_traced_memory()[0]
            for _ in range(2):
                trainer.update(stream.next())
            state = trainer.state()  # what a checkpoint copies
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            del state
            n = sum(p.size for m in trainer.nets.modules().values() for p in m.parameters().values())
            est = training_memory(config.model)
            print(f"noise {noise:5d} batch {batch:4d}: {n / 1e6:.1f} M parameters; built {built / 1e6:.0f} MB "
                  f"({built / n:.1f} B/parameter); peak with a checkpoint copy {peak / 1e6:.0f} MB; "
                  f"estimate {est.total / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
