"""Commands that read a finished (or interrupted) run: ``traverse``, ``eval``, ``sample``, ``curves``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from npgan.cli._common import (MAX_SAMPLES, CLIError, add_eval_size_options, error_line,
                               check_replaceable, load_run, nonneg_int, output_file, positive_float_max,
                               positive_int_max, read_run_metrics, run_folder)
from npgan.recipes import DATASETS


#: traverse --range: the codes are Unif(-1, 1) in training; far beyond, G's images mean nothing
MAX_RANGE = 1000.0


def _figures(make):
    """``make()`` (drawing figures), with images that are not finite as a one-line error."""
    try:
        return make()
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def cmd_traverse(args) -> int:
    import numpy as np
    from npgan.figures import save_traversals, traversal_names
    nets, meta = load_run(args.checkpoint)
    out = Path(args.out) if args.out else run_folder(Path(args.checkpoint).resolve())
    for name in traversal_names(nets.config.latent):
        check_replaceable(out / name, "--out", "png")
    label = "GAN" if meta["config"].model.gan_baseline else "InfoGAN"
    paths = _figures(lambda: save_traversals(nets, out, np.random.default_rng(args.seed), label=label,
                                             low=-args.range, high=args.range))
    for p in paths:
        print(p)
    return 0


def cmd_sample(args) -> int:
    import numpy as np
    from npgan.figures import save_samples
    from npgan.report.run_files import SAMPLES_FIGURE
    default = run_folder(args.checkpoint) / SAMPLES_FIGURE  # beside the run, the name npgan train gives it
    out = output_file(args.out or str(default), "--out", ".png", SAMPLES_FIGURE)
    nets, _ = load_run(args.checkpoint)
    print(_figures(lambda: save_samples(nets, out, np.random.default_rng(args.seed), n=args.n)))
    return 0


def _eval_outputs(args) -> Path:
    """Where eval writes its JSON, after checking it and the heat maps, which stay in the run folder
    whatever --json says (:func:`check_replaceable`)."""
    from npgan.report.run_files import CLASS_FIGURE, EVAL_NAME, MI_FIGURE
    folder = run_folder(args.checkpoint)
    if args.json:
        json_path = output_file(args.json, "--json", ".json", EVAL_NAME)
    else:  # the run's own eval.json: written again even if damaged
        json_path = folder / EVAL_NAME
        if json_path.is_dir():
            raise CLIError(f"{json_path} is a folder, not a file")
    for name in (MI_FIGURE, CLASS_FIGURE):
        check_replaceable(folder / name, "eval", "png")
    return json_path


def cmd_eval(args) -> int:
    from npgan.data import MNISTDownloadError
    from npgan.evaluation.run import format_eval
    from npgan.report.run_files import CLASS_FIGURE, evaluate_and_save
    if args.data_dir is not None and (args.dataset or "mnist") != "mnist":
        raise CLIError("--data-dir applies to --dataset mnist only (synthetic digits are rendered on the fly)")
    json_path = _eval_outputs(args)     # the evaluation checks its memory before loading the checkpoint
    try:
        nets, result, figures = evaluate_and_save(
            args.checkpoint, json_path, dataset=args.dataset, data_dir=args.data_dir, download=True,
            samples=args.samples, bases=args.bases, limit=args.limit, seed=args.seed,
            log=lambda line: print(f"npgan eval: {line}", file=sys.stderr))  # the phases, not in the table
    except (FileNotFoundError, MNISTDownloadError, ValueError) as exc:
        raise CLIError(error_line(exc)) from exc
    print(format_eval(result, nets.config.latent.n_categorical))
    for path in figures:
        print(f"  {'per-class heat map' if path.name == CLASS_FIGURE else 'heat map'}: {path}")
    print(f"  written: {json_path}")
    return 0


def _curve_run(run: Path):
    """``(label, records, H(c))`` of one run folder for ``npgan curves``."""
    from npgan.run.folder import CONFIG_NAME
    from npgan.train.config import read_run_config
    cfg_path = run / CONFIG_NAME
    if not cfg_path.exists() or not (run / "metrics.jsonl").exists():
        raise CLIError(f"{run} is not a training run folder (needs config.json and metrics.jsonl)")
    try:
        meta, config = read_run_config(cfg_path)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    kind = "GAN" if config.model.gan_baseline else f"InfoGAN, {config.recipe or 'custom'} recipe"
    return f"{kind} (seed {meta.get('seed', 0)})", read_run_metrics(run), config.model.latent.categorical_entropy()


def _curves_default(runs: list[Path]) -> Path:
    """Where ``npgan curves`` writes without --out: the run's own li_curve.png for one run, else
    li_curve.png in the folder that holds them all (a sweep arm's seeds: the arm's folder)."""
    from npgan.report.run_files import LI_FIGURE
    if len(runs) == 1:
        return runs[0] / LI_FIGURE
    return Path(os.path.commonpath([r.resolve() for r in runs])) / LI_FIGURE


def cmd_curves(args) -> int:
    from npgan.figures import plot_li_curves
    from npgan.report.run_files import LI_FIGURE
    paths = [Path(r) for r in args.runs]
    out = output_file(args.out or str(_curves_default(paths)), "--out", ".png", LI_FIGURE)
    runs, h_c = {}, None
    for run in paths:
        label, records, h_c = _curve_run(run)
        if label in runs:  # two runs of one kind and seed: tell them apart by folder
            label = f"{label} {run}"
        runs[label] = records
    print(plot_li_curves(runs, h_c, out))
    return 0


def add_parser(sub) -> None:
    v = sub.add_parser("traverse", help="latent traversal figures (paper Figure 2)",
                       description="Write the Figure 2 traversals (traverse_cat0.png, traverse_cont0.png ...) "
                                   "beside the checkpoint, or into --out.")
    v.add_argument("checkpoint", help="checkpoint file or run folder")
    v.add_argument("--out", default=None, help="output folder (default: beside the checkpoint)")
    v.add_argument("--range", type=positive_float_max(MAX_RANGE), default=2.0,
                   help=f"sweep continuous codes over [-R, R] (default 2, at most {MAX_RANGE:g})")
    v.add_argument("--seed", type=nonneg_int, default=0, help="seed of the noise and the other codes (default 0)")
    v.set_defaults(func=cmd_traverse)

    e = sub.add_parser("eval", help="accuracy, L_I and rotation/width correlations",
                       description="Evaluate a run: c1's Hungarian-matched accuracy on the test images, L_I on "
                                   "fresh samples, each continuous code's rotation/width correlation, and on the "
                                   "synthetic digits the code-by-factor report (MIG). Prints a table and writes "
                                   "eval.json and the heat maps beside the checkpoint; each phase is announced on "
                                   "stderr as it starts. An evaluation whose estimated memory (from the "
                                   "checkpoint's networks, --samples, --bases and --limit) exceeds the memory "
                                   "available is refused before anything is loaded.")
    e.add_argument("checkpoint", help="checkpoint file or run folder")
    e.add_argument("--dataset", choices=DATASETS, default=None, help="test data (default: the checkpoint's)")
    e.add_argument("--data-dir", default=None, help="MNIST folder (default: $NPGAN_DATA, else ~/.cache/npgan/mnist)")
    add_eval_size_options(e)
    e.add_argument("--json", default=None,
                   help="output .json file, new or an earlier evaluation (default: eval.json beside the checkpoint); "
                        "moves the JSON only: the heat maps stay beside the checkpoint")
    e.add_argument("--seed", type=nonneg_int, default=0, help="seed of the L_I samples and the sweeps (default 0)")
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("sample", help="a grid of random samples",
                       description="Draw a grid of G's samples into samples.png beside the checkpoint, or --out.")
    s.add_argument("checkpoint", help="checkpoint file or run folder")
    s.add_argument("--out", default=None,
                   help="a .png file (default: samples.png beside the checkpoint; .png is added to a name "
                        "without a suffix; in a folder: samples.png)")
    s.add_argument("--n", type=positive_int_max(MAX_SAMPLES), default=100,
                   help=f"number of samples (default 100, at most {MAX_SAMPLES:,})")
    s.add_argument("--seed", type=nonneg_int, default=0, help="seed of the latents (default 0)")
    s.set_defaults(func=cmd_sample)

    c = sub.add_parser("curves", help="Figure 1: L_I against updates for several runs",
                       description="Draw L_I against updates for one or more runs into li_curve.png: the run's own "
                                   "for one run, else in the folder that holds them all, or --out.")
    c.add_argument("runs", nargs="+", help="run folders (InfoGAN and GAN baseline)")
    c.add_argument("--out", default=None,
                   help="a .png file (default: li_curve.png in the run folder, or in the folder holding the runs; "
                        ".png is added to a name without a suffix; in a folder: li_curve.png)")
    c.set_defaults(func=cmd_curves)
