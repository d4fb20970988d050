"""Commands that read a finished (or interrupted) run: ``traverse``, ``eval``, ``sample``, ``curves``."""

from __future__ import annotations

import json
from pathlib import Path

from npgan.cli._common import (MAX_BASES, MAX_EVAL_SAMPLES, MAX_SAMPLES, MAX_TEST_IMAGES, CLIError, int_at_least,
                               load_run, nonneg_int, positive_float, positive_int_max, read_run_metrics, run_folder)
from npgan.recipes import DATASETS


def cmd_traverse(args) -> int:
    import numpy as np
    from npgan.figures import save_traversals
    nets, meta = load_run(args.checkpoint)
    out = Path(args.out) if args.out else run_folder(Path(args.checkpoint).resolve())
    label = "GAN" if meta["config"].model.gan_baseline else "InfoGAN"
    paths = save_traversals(nets, out, np.random.default_rng(args.seed), label=label,
                            low=-args.range, high=args.range)
    for p in paths:
        print(p)
    return 0


def cmd_sample(args) -> int:
    import numpy as np
    from npgan.figures import save_samples
    nets, _ = load_run(args.checkpoint)
    print(save_samples(nets, args.out, np.random.default_rng(args.seed), n=args.n))
    return 0


def cmd_eval(args) -> int:
    from npgan.data import MNISTDownloadError
    from npgan.evaluation.run import format_eval
    from npgan.report.run_files import evaluate_and_save
    if args.data_dir is not None and (args.dataset or "mnist") != "mnist":
        raise CLIError("--data-dir applies to --dataset mnist only (synthetic digits are rendered on the fly)")
    json_path = Path(args.json) if args.json else run_folder(args.checkpoint) / "eval.json"
    try:
        nets, result, figures = evaluate_and_save(
            args.checkpoint, json_path, dataset=args.dataset, data_dir=args.data_dir, download=True,
            samples=args.samples, bases=args.bases, limit=args.limit, seed=args.seed)
    except (FileNotFoundError, MNISTDownloadError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    print(format_eval(result, nets.config.latent.n_categorical))
    for path in figures:
        print(f"  {'per-class heat map' if path.name == 'class_rho.png' else 'heat map'}: {path}")
    print(f"  written: {json_path}")
    return 0


def cmd_curves(args) -> int:
    from npgan.figures import plot_li_curves
    from npgan.train import TrainingConfig
    runs, h_c = {}, None
    for run in args.runs:
        run = Path(run)
        cfg_path, met_path = run / "config.json", run / "metrics.jsonl"
        if not cfg_path.exists() or not met_path.exists():
            raise CLIError(f"{run} is not a training run folder (needs config.json and metrics.jsonl)")
        try:
            meta = json.loads(cfg_path.read_text())
            config = TrainingConfig.from_dict(meta["config"])
            seed = int(meta["seed"])
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            raise CLIError(f"{cfg_path} is not a readable run config ({type(exc).__name__}: {exc})") from None
        kind = "GAN" if config.model.gan_baseline else (
            "InfoGAN + consistency" if config.terms["consistency"].ever_on else "InfoGAN")
        label = f"{kind} (seed {seed})"
        if label in runs:  # two runs of one kind and seed: tell them apart by folder
            label = f"{label} {run}"
        runs[label] = read_run_metrics(run)
        h_c = config.model.latent.categorical_entropy()
    print(plot_li_curves(runs, h_c, args.out))
    return 0


def add_parser(sub) -> None:
    v = sub.add_parser("traverse", help="latent traversal figures (paper Figure 2)")
    v.add_argument("checkpoint", help="checkpoint file or run folder")
    v.add_argument("--out", default=None, help="output folder (default: beside the checkpoint)")
    v.add_argument("--range", type=positive_float, default=2.0, help="sweep continuous codes over [-R, R]")
    v.add_argument("--seed", type=nonneg_int, default=0)
    v.set_defaults(func=cmd_traverse)

    e = sub.add_parser("eval", help="accuracy, L_I and rotation/width correlations")
    e.add_argument("checkpoint", help="checkpoint file or run folder")
    e.add_argument("--dataset", choices=DATASETS, default=None, help="default: the checkpoint's")
    e.add_argument("--data-dir", default=None)
    e.add_argument("--samples", type=positive_int_max(MAX_EVAL_SAMPLES), default=10000,
                   help=f"samples for the L_I estimate (at most {MAX_EVAL_SAMPLES:,})")
    e.add_argument("--bases", type=int_at_least(2, "at least 2", MAX_BASES), default=64,
                   help=f"base latents per continuous sweep (at most {MAX_BASES})")
    e.add_argument("--limit", type=positive_int_max(MAX_TEST_IMAGES), default=None,
                   help=f"use only the first N test images (at most {MAX_TEST_IMAGES:,})")
    e.add_argument("--json", default=None, help="output JSON (default: eval.json beside the checkpoint)")
    e.add_argument("--seed", type=nonneg_int, default=0)
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("sample", help="a grid of random samples")
    s.add_argument("checkpoint", help="checkpoint file or run folder")
    s.add_argument("--out", default="samples.png")
    s.add_argument("--n", type=positive_int_max(MAX_SAMPLES), default=100,
                   help=f"number of samples (default 100, at most {MAX_SAMPLES:,})")
    s.add_argument("--seed", type=nonneg_int, default=0)
    s.set_defaults(func=cmd_sample)

    c = sub.add_parser("curves", help="Figure 1: L_I against updates for several runs")
    c.add_argument("runs", nargs="+", help="run folders (InfoGAN and GAN baseline)")
    c.add_argument("--out", default="li_curves.png")
    c.set_defaults(func=cmd_curves)
