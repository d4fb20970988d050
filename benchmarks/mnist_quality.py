"""InfoGAN quality over several seeds: categorical accuracy, L_I, rotation/width correlations.

    python benchmarks/mnist_quality.py --seeds 0 1 2 3 4 --updates 5000 --out runs/quality

Each seed trains with ``npgan train`` settings (batch 128 by default) into ``OUT/seed<k>``, is
evaluated on the 10 000 MNIST test images (Hungarian-matched accuracy of Q's categorical head),
and reports L_I at 1 000 updates and at the end (mean over the 50 updates up to that point, from the
metrics log), the continuous codes' rotation/width rank correlations and the training time (the
sum of the logged update times). A finished
seed (checkpoint at the requested updates) is not trained again, so the benchmark can be resumed.
Results: ``OUT/quality.json`` and a Markdown table on stdout. Needs MNIST (``NPGAN_DATA`` or
``--data-dir``) unless ``--dataset synthetic``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

from npgan.data import load_dataset
from npgan.evaluation import categorical_predictions, cluster_accuracy, estimate_li, sweep_correlations
from npgan.recipes import RECIPES, resolve
from npgan.train import TrainingInterrupted, TrainOptions, load_checkpoint, train


def li_at(records, update, window=50):
    vals = [r["li_cat"] for r in records if update - window < r["update"] <= update]
    return float(np.mean(vals)) if vals else float("nan")


def run_seed(seed, args, train_x, test_x, test_y):
    out = Path(args.out) / f"seed{seed}"
    config = resolve(args.recipe, args.dataset, {"batch_size": args.batch_size, "gan_baseline": args.gan_baseline})
    ckpt = out / "checkpoint.npz"
    done = ckpt.exists() and load_checkpoint(ckpt)["update"] >= args.updates
    if not done:
        trainer, _ = train(config, train_x, TrainOptions(updates=args.updates, seed=seed, out_dir=out,
                                                         checkpoint_every=500, progress=not args.quiet),
                           resume=ckpt.exists(), dataset=args.dataset)
        nets = trainer.nets
    else:
        from npgan.train import load_trained
        nets, _ = load_trained(out)
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
    # training time = the sum of the logged update times (correct across resumes; it includes any
    # slow-down from other processes sharing the cores)
    wall = sum(r["seconds"] for r in records)
    pred = categorical_predictions(nets, test_x)
    acc, _, _ = cluster_accuracy(test_y.astype(np.int64), pred, 10, 10)
    rng = np.random.default_rng(1000 + seed)
    li = estimate_li(nets, 10000, rng)
    sweeps = sweep_correlations(nets, rng, n_bases=64)
    res = {"seed": seed, "accuracy": acc, "li_1000": li_at(records, 1000),
           "li_end": li_at(records, args.updates), "li_eval": li["li_cat"],
           "c2_rotation": sweeps[0]["rotation"], "c2_width": sweeps[0]["width"],
           "c3_rotation": sweeps[1]["rotation"], "c3_width": sweeps[1]["width"],
           "wall_s": wall}
    (out / "quality.json").write_text(json.dumps(res, indent=2))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--updates", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--recipe", choices=sorted(RECIPES), default="npgan")
    p.add_argument("--gan-baseline", action="store_true")
    p.add_argument("--dataset", choices=("mnist", "synthetic"), default="mnist")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="runs/quality")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    kw = {"data_dir": args.data_dir} if args.dataset == "mnist" else {}
    train_x, _ = load_dataset(args.dataset, split="train", **kw)
    test_x, test_y = load_dataset(args.dataset, split="test", **kw)
    results = []
    for seed in args.seeds:
        try:
            r = run_seed(seed, args, train_x, test_x, test_y)
        except TrainingInterrupted as exc:
            print(f"mnist_quality: {exc}; rerun the same command to continue", file=sys.stderr)
            return 130
        results.append(r)
        print(json.dumps(r), file=sys.stderr)
    keys = ["accuracy", "li_1000", "li_end", "li_eval", "c2_rotation", "c2_width", "c3_rotation",
            "c3_width", "wall_s"]
    print(f"\n{args.dataset}, recipe {args.recipe}{' (GAN baseline)' if args.gan_baseline else ''}, "
          f"{args.updates} updates, batch {args.batch_size}")
    print("| seed | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for r in results:
        print(f"| {r['seed']} | " + " | ".join(f"{r[k]:.3f}" if k != "wall_s" else f"{r[k]:.0f}"
                                              for k in keys) + " |")
    summary = {k: {"median": statistics.median(r[k] for r in results), "min": min(r[k] for r in results),
                   "max": max(r[k] for r in results)} for k in keys}
    for stat in ("median", "min", "max"):
        print(f"| {stat} | " + " | ".join(f"{summary[k][stat]:.3f}" if k != "wall_s" else
                                          f"{summary[k][stat]:.0f}" for k in keys) + " |")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "quality.json").write_text(json.dumps({"args": vars(args), "runs": results,
                                                             "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
