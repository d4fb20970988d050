"""The ``npgan`` command line (also ``python -m npgan``).

Commands::

    npgan train      train InfoGAN (or the GAN baseline); checkpoints, metrics, figures
    npgan recipes    every recipe's settings on every dataset, and the extra training terms
    npgan traverse   the paper's Figure 2 traversal grids from a checkpoint
    npgan eval       categorical accuracy, L_I, rotation/width correlations (table + JSON)
    npgan sample     a grid of random samples
    npgan curves     Figure 1: L_I against updates for several runs (InfoGAN vs GAN)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from npgan import __version__
from npgan.recipes import DATASETS, RECIPES


class CLIError(Exception):
    """A user error reported as one line, exit status 2."""


def _int_at_least(minimum: int, what: str):
    """An argparse type: an integer >= ``minimum``, with a message naming what was expected."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {v}")
        return v
    return parse


_positive_int = _int_at_least(1, "positive")
_nonneg_int = _int_at_least(0, "non-negative")


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return v


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (see `npgan recipes`), got {text!r}")
    return key.strip(), value.strip()


def _load_images(dataset: str, split: str, data_dir, n: int | None = None):
    """Images (float32 NCHW in [0, 1]) and labels; MNIST is downloaded (verified) if missing."""
    from npgan.data import MNISTDownloadError, load_dataset
    try:
        if dataset == "mnist":
            return load_dataset("mnist", split=split, data_dir=data_dir, download=True, n=n)
        if data_dir is not None:
            raise CLIError("--data-dir applies to --dataset mnist only (synthetic digits are rendered on the fly)")
        return load_dataset(dataset, split=split, n=n)
    except (FileNotFoundError, MNISTDownloadError, ValueError) as exc:
        raise CLIError(str(exc)) from exc


# ---------------------------------------------------------------- train
#: flags that change a run's settings (refused with --resume where they differ from the run's)
_SETTING_FLAGS = ("config", "recipe", "sets", "batch_size", "lr_d", "lr_g", "gan_baseline", "seed")


def _read_run_config(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise CLIError(f"--config: no such file: {path}") from None
    except (OSError, ValueError) as exc:
        raise CLIError(f"--config: {path} is not a readable JSON file: {exc}") from None
    if not isinstance(meta, dict) or "config" not in meta:
        raise CLIError(f"--config: {path} is not a run's config.json (no 'config' entry)")
    return meta


def _requested(args, dataset: str):
    """The settings this command line asks for: (TrainingConfig, seed, updates)."""
    from npgan.recipes import resolve
    from npgan.train import TrainingConfig
    seed, updates = args.seed, args.updates
    try:
        if args.config is not None:
            meta = _read_run_config(Path(args.config))
            base = TrainingConfig.from_dict(meta["config"])
            seed = meta.get("seed", 0) if seed is None else seed
            updates = meta.get("updates", 5000) if updates is None else updates
        else:
            base = resolve(args.recipe or "npgan", dataset)
        changes = dict(args.sets or [])
        for flag, key in (("batch_size", "batch_size"), ("lr_d", "lr_d"), ("lr_g", "lr_g")):
            if getattr(args, flag) is not None:
                changes[key] = getattr(args, flag)
        if args.gan_baseline:
            changes["gan_baseline"] = True
        config = base.with_settings(changes)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    return config, 0 if seed is None else seed, 5000 if updates is None else updates


def _settings_differ(run, requested) -> list[str]:
    a, b = run.settings(), requested.settings()
    return [f"{k}: run {a[k]!r}, given {b[k]!r}" for k in a if a[k] != b[k]]


def cmd_train(args) -> int:
    from npgan.figures import plot_li_curves, plot_losses, save_samples, save_traversals
    from npgan.train import (TrainingConfig, TrainingDiverged, TrainingInterrupted, TrainOptions,
                             load_checkpoint, train)
    from npgan.train.loop import CHECKPOINT_NAME, METRICS_NAME
    import numpy as np

    out = Path(args.out)
    if args.resume and args.overwrite:
        raise CLIError("--resume continues the run in --out and --overwrite starts it again: give one of them")
    if args.resume and not (out / CHECKPOINT_NAME).exists():
        raise CLIError(f"--resume: no checkpoint at {out / CHECKPOINT_NAME}")
    if not args.resume and (out / CHECKPOINT_NAME).exists() and not args.overwrite:
        raise CLIError(f"{out} already holds a run; use --resume to continue it, --overwrite to start "
                       "again, or another --out")
    if args.config is not None and args.recipe is not None:
        raise CLIError("--config holds a run's full settings; give --config or --recipe, not both")
    if args.resume:  # the run's own settings are the truth; flags that would change them are refused
        try:
            state = load_checkpoint(out / CHECKPOINT_NAME)
            run_config = TrainingConfig.from_dict(state["config"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CLIError(f"--resume: {exc}") from exc
        dataset = state["dataset"]
        if args.dataset is not None and args.dataset != dataset:
            raise CLIError(f"--resume: the run in {out} was trained on {dataset!r}, not {args.dataset!r}")
        given = [f for f in _SETTING_FLAGS if getattr(args, f) not in (None, False, [])]
        if given:
            requested, seed, _ = _requested(args, dataset)
            diff = _settings_differ(run_config, requested)
            if args.seed is not None and args.seed != state["seed"]:
                diff.insert(0, f"seed: run {state['seed']}, given {args.seed}")
            if diff:
                raise CLIError("--resume keeps the run's own settings, and these differ from the ones given: "
                               + "; ".join(diff))
        config, seed, updates = run_config, state["seed"], args.updates or 5000
    else:
        dataset = args.dataset
        if dataset is None and args.config is not None:
            dataset = _read_run_config(Path(args.config)).get("dataset")
        dataset = dataset or "synthetic"
        if dataset not in DATASETS:
            raise CLIError(f"--config: the run's dataset {dataset!r} is not one of {list(DATASETS)}")
        config, seed, updates = _requested(args, dataset)
    try:
        options = TrainOptions(updates=updates, seed=seed, out_dir=out, checkpoint_every=args.checkpoint_every,
                               progress=not args.no_progress)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    images, _ = _load_images(dataset, "train", args.data_dir, n=args.subset)
    model = config.model
    if images.shape[0] < model.batch_size:
        raise CLIError(f"batch size {model.batch_size} exceeds the {images.shape[0]} training images")
    kind = "GAN baseline" if model.gan_baseline else f"InfoGAN ({config.recipe or 'custom'} settings)"
    if args.resume:
        print(f"npgan train: resuming {out} at update {state['update']} (seed {seed}, its own settings: {kind}) "
              f"on {dataset} ({images.shape[0]} images), to {updates} updates", file=sys.stderr)
    else:
        print(f"npgan train: {dataset} ({images.shape[0]} images), {updates} updates, batch {model.batch_size}, "
              f"seed {seed}, {kind} -> {out}", file=sys.stderr)
    try:
        trainer, last = train(config, images, options, resume=args.resume, dataset=dataset)
    except TrainingDiverged as exc:
        print(f"npgan train: error: {exc}", file=sys.stderr)
        return 3
    except TrainingInterrupted as exc:
        print(f"npgan train: {exc}", file=sys.stderr)
        return 130
    records = [json.loads(line) for line in (out / METRICS_NAME).read_text().splitlines() if line.strip()]
    h_c = model.latent.categorical_entropy()
    if last is not None:
        print(f"done: update {records[-1]['update']}: D loss {last.d_loss:.3f}, G loss {last.g_loss:.3f}, "
              f"L_I {last.li_cat:.3f} / H(c) {h_c:.3f} nats")
    if not args.no_figures and records:
        rng = np.random.default_rng(seed)
        label = "GAN" if model.gan_baseline else "InfoGAN"
        paths = save_traversals(trainer.nets, out, rng, label=label)
        paths.append(save_samples(trainer.nets, out / "samples.png", rng))
        if model.latent.categorical:
            paths.append(plot_li_curves({label: records}, h_c, out / "li_curve.png"))
        paths.append(plot_losses(records, out / "losses.png"))
        print("figures: " + ", ".join(str(p) for p in paths))
    return 0


def cmd_recipes(args) -> int:
    from npgan.recipes import resolve
    from npgan.train import TrainingConfig
    from npgan.train.terms import TERMS
    defaults = TrainingConfig().settings()
    columns = [(r, d) for r in RECIPES for d in DATASETS if args.dataset in (None, d)]
    table = {col: resolve(*col).settings() for col in columns}

    def show(v):
        return ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v) if isinstance(v, tuple) else (
            f"{v:g}" if isinstance(v, float) else str(v))

    for name, r in RECIPES.items():
        print(f"{name:>6}: {r.summary}")
    print("\nsettings (npgan train --recipe NAME --set KEY=VALUE; * differs from the default):")
    width = max(len(k) for k in defaults)
    print(f"  {'':{width}}" + "".join(f"{r + '/' + d:>18}" for r, d in columns))
    for key, default in defaults.items():
        cells = "".join(f"{show(table[c][key]) + ('*' if table[c][key] != default else ' '):>18}" for c in columns)
        print(f"  {key:{width}}{cells}")
    print("\nextra training terms (KEY.weight / .start / .early_weight / .early_updates):")
    for name, cls in TERMS.items():
        print(f"  {name}: {cls.step} step, trains {cls.trains}; logs {cls.logs}")
    return 0


# ---------------------------------------------------------------- the other commands
def _load(path):
    from npgan.train import load_trained
    try:
        return load_trained(path)
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from exc


def cmd_traverse(args) -> int:
    import numpy as np
    from npgan.figures import save_traversals
    nets, meta = _load(args.checkpoint)
    out = Path(args.out) if args.out else Path(args.checkpoint).resolve().parent
    if Path(args.checkpoint).is_dir():
        out = Path(args.out) if args.out else Path(args.checkpoint)
    label = "GAN" if meta["config"].model.gan_baseline else "InfoGAN"
    paths = save_traversals(nets, out, np.random.default_rng(args.seed), label=label,
                            low=-args.range, high=args.range)
    for p in paths:
        print(p)
    return 0


def cmd_sample(args) -> int:
    import numpy as np
    from npgan.figures import save_samples
    nets, _ = _load(args.checkpoint)
    print(save_samples(nets, args.out, np.random.default_rng(args.seed), n=args.n))
    return 0


def cmd_eval(args) -> int:
    from npgan.data import MNISTDownloadError
    from npgan.evaluation.run import evaluate_run, format_eval
    from npgan.figures import plot_class_correlations, plot_mi_matrix
    if args.data_dir is not None and (args.dataset or "mnist") != "mnist":
        raise CLIError("--data-dir applies to --dataset mnist only (synthetic digits are rendered on the fly)")
    try:
        nets, result = evaluate_run(args.checkpoint, dataset=args.dataset, data_dir=args.data_dir, download=True,
                                    samples=args.samples, bases=args.bases, limit=args.limit, seed=args.seed)
    except (FileNotFoundError, MNISTDownloadError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    json_path = Path(args.json) if args.json else _default_eval_path(args.checkpoint)
    figures = []
    if "factors" in result:
        rep = result["factors"]
        rep["figure"] = str(plot_mi_matrix(rep, json_path.parent / "mi_matrix.png"))
        figures.append(f"  heat map: {rep['figure']}")
        if rep["class_rho"] is not None:
            rep["class_figure"] = str(plot_class_correlations(rep, json_path.parent / "class_rho.png"))
            figures.insert(0, f"  per-class heat map: {rep['class_figure']}")
    print(format_eval(result, nets.config.latent.n_categorical))
    for line in figures:
        print(line)
    json_path.write_text(json.dumps(result, indent=2))
    print(f"  written: {json_path}")
    return 0


def _default_eval_path(checkpoint) -> Path:
    p = Path(checkpoint)
    return (p if p.is_dir() else p.parent) / "eval.json"


def cmd_curves(args) -> int:
    from npgan.figures import plot_li_curves
    from npgan.train import TrainingConfig
    runs, h_c = {}, None
    for run in args.runs:
        run = Path(run)
        cfg_path, met_path = run / "config.json", run / "metrics.jsonl"
        if not cfg_path.exists() or not met_path.exists():
            raise CLIError(f"{run} is not a training run folder (needs config.json and metrics.jsonl)")
        meta = json.loads(cfg_path.read_text())
        try:
            config = TrainingConfig.from_dict(meta["config"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CLIError(f"{cfg_path}: {exc}") from exc
        kind = "GAN" if config.model.gan_baseline else (
            "InfoGAN + consistency" if config.terms["consistency"].ever_on else "InfoGAN")
        label = f"{kind} (seed {meta['seed']})"
        if label in runs:  # two runs of one kind and seed: tell them apart by folder
            label = f"{label} {run}"
        runs[label] = [json.loads(x) for x in met_path.read_text().splitlines() if x.strip()]
        h_c = config.model.latent.categorical_entropy()
    print(plot_li_curves(runs, h_c, args.out))
    return 0


# ------------------------------------------------------------------ parser
def _train_parser(sub) -> None:
    t = sub.add_parser("train", help="train InfoGAN or the GAN baseline",
                       description="Train InfoGAN (Chen et al. 2016) with progress, checkpoints and figures. "
                                   "Ctrl-C saves a checkpoint; --resume continues it. Settings come from a "
                                   "recipe (npgan recipes lists them) or a run's config.json, with --set on top.")
    t.add_argument("--dataset", choices=DATASETS, default=None,
                   help="built-in synthetic digits (default, no download) or MNIST")
    t.add_argument("--data-dir", default=None, help="MNIST folder (else $NPGAN_DATA, else ~/.cache/npgan/mnist)")
    t.add_argument("--recipe", choices=list(RECIPES), default=None,
                   help="npgan (default): the paper's recipe plus npgan's terms; paper: faithful to the paper; "
                        "code: the original code's")
    t.add_argument("--set", dest="sets", type=_setting, action="append", metavar="KEY=VALUE",
                   help="change one setting (repeatable), e.g. --set lambda_cont=0.2 --set consistency.weight=0; "
                        "npgan recipes lists the keys")
    t.add_argument("--config", default=None, metavar="CONFIG_JSON",
                   help="repeat a run: its config.json's settings, seed, dataset and updates (flags given win)")
    t.add_argument("--gan-baseline", action="store_true",
                   help="regular GAN (lambda = 0 for G and the trunk, no extra terms); Q trained as a detached probe")
    t.add_argument("--updates", type=_positive_int, default=None, help="total updates (default 5000)")
    t.add_argument("--seed", type=_nonneg_int, default=None, help="default 0")
    t.add_argument("--out", default="runs/infogan", help="output folder (default runs/infogan)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    t.add_argument("--overwrite", action="store_true", help="start again even if --out holds a run")
    t.add_argument("--checkpoint-every", type=_positive_int, default=500, help="default 500 updates")
    t.add_argument("--subset", type=_positive_int, default=None, help="train on the first N images only")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--no-figures", action="store_true", help="skip the figures at the end")
    p = t.add_argument_group("the paper's hyperparameters (the rest: --set, npgan recipes)")
    p.add_argument("--batch-size", type=_positive_int, default=None, help="default 128")
    p.add_argument("--lr-d", type=_positive_float, default=None, help="Adam learning rate of D and Q (2e-4)")
    p.add_argument("--lr-g", type=_positive_float, default=None, help="Adam learning rate of G (1e-3)")
    t.set_defaults(func=cmd_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npgan",
        description="InfoGAN from scratch in NumPy: train, traverse, evaluate and sample.",
    )
    parser.add_argument("--version", action="version", version=f"npgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _train_parser(sub)

    r = sub.add_parser("recipes", help="every recipe's settings, and the extra training terms")
    r.add_argument("--dataset", choices=DATASETS, default=None, help="one dataset only")
    r.set_defaults(func=cmd_recipes)

    v = sub.add_parser("traverse", help="latent traversal figures (paper Figure 2)")
    v.add_argument("checkpoint", help="checkpoint file or run folder")
    v.add_argument("--out", default=None, help="output folder (default: beside the checkpoint)")
    v.add_argument("--range", type=_positive_float, default=2.0, help="sweep continuous codes over [-R, R]")
    v.add_argument("--seed", type=_nonneg_int, default=0)
    v.set_defaults(func=cmd_traverse)

    e = sub.add_parser("eval", help="accuracy, L_I and rotation/width correlations")
    e.add_argument("checkpoint", help="checkpoint file or run folder")
    e.add_argument("--dataset", choices=DATASETS, default=None, help="default: the checkpoint's")
    e.add_argument("--data-dir", default=None)
    e.add_argument("--samples", type=_positive_int, default=10000, help="samples for the L_I estimate")
    e.add_argument("--bases", type=_int_at_least(2, "at least 2"), default=64,
                   help="base latents per continuous sweep")
    e.add_argument("--limit", type=_positive_int, default=None, help="use only the first N test images")
    e.add_argument("--json", default=None, help="output JSON (default: eval.json beside the checkpoint)")
    e.add_argument("--seed", type=_nonneg_int, default=0)
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("sample", help="a grid of random samples")
    s.add_argument("checkpoint", help="checkpoint file or run folder")
    s.add_argument("--out", default="samples.png")
    s.add_argument("--n", type=_positive_int, default=100)
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.set_defaults(func=cmd_sample)

    c = sub.add_parser("curves", help="Figure 1: L_I against updates for several runs")
    c.add_argument("runs", nargs="+", help="run folders (InfoGAN and GAN baseline)")
    c.add_argument("--out", default="li_curves.png")
    c.set_defaults(func=cmd_curves)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"npgan {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
