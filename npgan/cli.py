"""The ``npgan`` command line (also ``python -m npgan``).

Commands::

    npgan train      train InfoGAN (or the GAN baseline); checkpoints, metrics, figures
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

RECIPES = {
    # The paper: learned std for the continuous codes' Gaussian Q, lambda 0.1 for them, lReLU 0.1.
    "paper": dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.1),
    # The original TensorFlow code's MNIST run: std fixed to 1, lambda 1 for every code, lReLU 0.01.
    "code": dict(q_std="fixed", lambda_cont=1.0, leaky_slope=0.01),
    # npgan's improvement: the paper's recipe plus a real-data consistency term on Q's categories
    # (npgan.train.consistency), which makes the categories follow the digits. Its weight depends on
    # the dataset: CONSISTENCY_WEIGHTS.
    "npgan": dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.1),
}
DATASETS = ("synthetic", "mnist")
# Rotation (±degrees) and horizontal scale of the consistency term's distortions, per dataset: they
# should reach beyond the data's own variation. MNIST uses npgan.augment.Distortion's defaults (±30°,
# 0.8-1.2; the 5-seed MNIST table was measured with them), so they are not written out twice. The
# synthetic digits are rotated by ±30° and stretched by 0.6-1.4 (npgan.data.synthetic): with MNIST's
# 0.8-1.2, Q split the 1s and 2s into a wide and a narrow category each (seed 0, accuracy 0.915), and
# with ±30° two seeds of three let c1 take the rotation (accuracy 0.64 and 0.71 at 2 500 updates).
DISTORTIONS = {"mnist": {}, "synthetic": {"rotation": 45.0, "scale_x": (0.7, 1.4)}}
# Weight of the consistency term in the npgan recipe, per dataset (InfoGANConfig fields). MNIST's
# 5-seed table was measured with weight 1 throughout. On the synthetic digits, weight 1 left
# categories that share two or three digits (3/7/8, 5/6, 0/9) on two seeds of three, and training on
# to 6 500 updates did not undo them (0.886 -> 0.876, 0.834 -> 0.836). Weight 3 reached 0.94 by 2 500
# updates on both of those seeds. From there, dropping to weight 1 (0.973 / 0.984 / 0.781 on seeds
# 0-2 at 5 000) and keeping 3 (0.961 / 0.990 / 0.732) end within noise of each other, MIG(rotation +
# width) too; we drop to 1, MNIST's weight, once the categories have formed. Weight 1 throughout gave
# 0.886 / 0.834 / 1.000 (README: synthetic results).
CONSISTENCY_WEIGHTS = {
    "mnist": dict(consistency=1.0),
    "synthetic": dict(consistency=1.0, consistency_early=3.0, consistency_early_updates=2500),
}

# The three terms for the continuous codes, each a weight and the update after which it starts, per
# dataset (InfoGANConfig fields; off unless listed). On the synthetic digits all three start at
# update 2 500, once the categories have formed (each from update 1 cost the categories: accuracy at
# 2 500 updates 0.583 with the Jacobian term, 0.870 with the equivariance term, against 0.942), so
# the first 2 500 updates are the consistency-only run's. Seed 0 at 5 000 updates: the code prior
# (npgan.train.prior_match, weight 100) and the orthogonal Jacobian (npgan.train.jacobian, weight
# 10) undo the mixing of rotation and width over the whole test set (MIG 0.210 -> 0.271) but leave
# one digit class with the codes swapped; the code-equivariance term (npgan.train.equivariance)
# with weight 30 undoes that too (all ten classes agree on code and sign for both factors by 2 750
# updates; weight 1 left the swap, weight 10 was half-way at 2 750). README: synthetic results.
# MNIST's 5-seed table was measured without them.
CODE_PRIOR = {"mnist": {}, "synthetic": dict(code_prior=100.0, code_prior_from=2500)}
ORTHO_JACOBIAN = {"mnist": {}, "synthetic": dict(ortho_jacobian=10.0, ortho_jacobian_from=2500)}
CODE_EQUIVARIANCE = {"mnist": {}, "synthetic": dict(code_equivariance=30.0, code_equivariance_from=2500)}


def recipe_settings(recipe: str, dataset: str) -> dict:
    """The InfoGANConfig settings of ``recipe`` on ``dataset`` (before any command-line overrides).

    Returns a dict with ``q_std``, ``lambda_cont``, ``leaky_slope``, ``consistency`` (the npgan
    recipe's per-dataset weight, 0 in the others), ``consistency_early`` and
    ``consistency_early_updates`` (its weight over the first updates), ``code_prior`` and
    ``code_prior_from`` (the code-prior term's weight and start), ``ortho_jacobian`` and
    ``ortho_jacobian_from`` (the orthogonal-Jacobian term's), ``code_equivariance`` and
    ``code_equivariance_from`` (the code-equivariance term's), ``categorical_from`` (the update after
    which the categorical part of L_I starts) and ``distortion`` (a dict of
    :class:`npgan.augment.Distortion` ranges that differ from its defaults).
    """
    if recipe not in RECIPES:
        raise ValueError(f"`recipe` must be one of {sorted(RECIPES)}, got {recipe!r}")
    if dataset not in DATASETS:
        raise ValueError(f"`dataset` must be one of {list(DATASETS)}, got {dataset!r}")
    settings = dict(RECIPES[recipe])
    settings.update(consistency=0.0, consistency_early=0.0, consistency_early_updates=0,
                    code_prior=0.0, code_prior_from=0, ortho_jacobian=0.0, ortho_jacobian_from=0,
                    code_equivariance=0.0, code_equivariance_from=0, categorical_from=0)
    if recipe == "npgan":
        settings.update(CONSISTENCY_WEIGHTS[dataset])
        settings.update(CODE_PRIOR[dataset])
        settings.update(ORTHO_JACOBIAN[dataset])
        settings.update(CODE_EQUIVARIANCE[dataset])
    settings["distortion"] = dict(DISTORTIONS[dataset])
    return settings


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


def _nonneg_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return v


def _positive_float(text: str) -> float:
    v = _nonneg_float(text)
    if v == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return v


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


# ---------------------------------------------------------------- commands
def cmd_train(args) -> int:
    from npgan.figures import plot_li_curves, plot_losses, save_samples, save_traversals
    from npgan.models import InfoGANConfig, LatentSpec
    from npgan.train import TrainingDiverged, TrainingInterrupted, TrainOptions, train
    from npgan.train.loop import CHECKPOINT_NAME, METRICS_NAME
    import numpy as np

    out = Path(args.out)
    if args.resume and not (out / CHECKPOINT_NAME).exists():
        raise CLIError(f"--resume: no checkpoint at {out / CHECKPOINT_NAME}")
    if not args.resume and (out / CHECKPOINT_NAME).exists() and not args.overwrite:
        raise CLIError(f"{out} already holds a run; use --resume to continue it, --overwrite to start "
                       "again, or another --out")
    recipe = recipe_settings(args.recipe, args.dataset)
    distortion = recipe["distortion"]  # a dict: InfoGANConfig builds the Distortion (and checks it)
    for key in ("q_std", "lambda_cont", "leaky_slope", "consistency"):
        if getattr(args, key) is not None:
            recipe[key] = getattr(args, key)
    if args.consistency is not None and args.consistency_early is None:
        # an explicit weight holds from the first update (so --consistency 0 turns the term off)
        recipe.update(consistency_early=0.0, consistency_early_updates=0)
    if args.consistency_early is not None:
        weight, updates = args.consistency_early
        try:
            recipe["consistency_early"] = _nonneg_float(weight)
            recipe["consistency_early_updates"] = _nonneg_int(updates)
        except argparse.ArgumentTypeError as exc:
            raise CLIError(f"--consistency-early: {exc}") from None
    for key in ("code_prior", "code_prior_from", "ortho_jacobian", "ortho_jacobian_from",
                "code_equivariance", "code_equivariance_from", "categorical_from"):
        if getattr(args, key) is not None:
            recipe[key] = getattr(args, key)
    if args.distort_scale_x is not None:
        distortion["scale_x"] = tuple(args.distort_scale_x)
    if args.distort_rotation is not None:
        distortion["rotation"] = args.distort_rotation
    try:
        config = InfoGANConfig(
            latent=LatentSpec(noise_dim=args.noise_dim, categorical=tuple(args.categorical),
                              continuous=args.continuous),
            lambda_cat=args.lambda_cat, gan_baseline=args.gan_baseline, lr_d=args.lr_d, lr_g=args.lr_g,
            beta1=args.beta1, batch_size=args.batch_size, **recipe)
        options = TrainOptions(updates=args.updates, seed=args.seed, out_dir=out,
                               checkpoint_every=args.checkpoint_every, progress=not args.no_progress)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from exc

    if args.resume:  # the dataset is the one the run was started with
        from npgan.train import load_checkpoint
        state = load_checkpoint(out / CHECKPOINT_NAME)
        dataset = state["dataset"]
        if args.dataset_given and args.dataset != dataset:
            raise CLIError(f"--resume: the run in {out} was trained on {dataset!r}, not {args.dataset!r}")
    else:
        dataset = args.dataset
    images, _ = _load_images(dataset, "train", args.data_dir, n=args.subset)
    if images.shape[0] < config.batch_size:
        raise CLIError(f"--batch-size {config.batch_size} exceeds the {images.shape[0]} training images")
    if args.resume:  # the run's own seed and settings, not this command line's (train() uses those)
        print(f"npgan train: resuming {out} at update {state['update']} (seed {state['seed']}, its own "
              f"settings) on {dataset} ({images.shape[0]} images), to {args.updates} updates", file=sys.stderr)
    else:
        print(f"npgan train: {dataset} ({images.shape[0]} images), {args.updates} updates, batch "
              f"{config.batch_size}, seed {args.seed}, {'GAN baseline' if config.gan_baseline else 'InfoGAN'} "
              f"({args.recipe} recipe) -> {out}", file=sys.stderr)
    try:
        trainer, last = train(config, images, options, resume=args.resume, dataset=dataset)
    except TrainingDiverged as exc:
        print(f"npgan train: error: {exc}", file=sys.stderr)
        return 3
    except TrainingInterrupted as exc:
        print(f"npgan train: {exc}", file=sys.stderr)
        return 130
    records = [json.loads(line) for line in (out / METRICS_NAME).read_text().splitlines() if line.strip()]
    if last is not None:
        print(f"done: update {records[-1]['update']}: D loss {last.d_loss:.3f}, G loss {last.g_loss:.3f}, "
              f"L_I {last.li_cat:.3f} / H(c) {config.latent.categorical_entropy():.3f} nats")
    if not args.no_figures and records:
        rng = np.random.default_rng(args.seed)
        label = "GAN" if config.gan_baseline else "InfoGAN"
        paths = save_traversals(trainer.nets, out, rng, label=label)
        paths.append(save_samples(trainer.nets, out / "samples.png", rng))
        if config.latent.categorical:
            paths.append(plot_li_curves({label: records}, config.latent.categorical_entropy(), out / "li_curve.png"))
        paths.append(plot_losses(records, out / "losses.png"))
        print("figures: " + ", ".join(str(p) for p in paths))
    return 0


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
    label = "GAN" if meta["config"].get("gan_baseline") else "InfoGAN"
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
    import numpy as np
    from npgan.evaluate import categorical_predictions, cluster_accuracy, estimate_li, sweep_correlations
    nets, meta = _load(args.checkpoint)
    dataset = args.dataset or meta["dataset"]
    if dataset not in DATASETS:
        raise CLIError(f"the checkpoint's dataset {dataset!r} is unknown; pass --dataset")
    lat = nets.config.latent
    rng = np.random.default_rng(args.seed)
    result = {"checkpoint": str(args.checkpoint), "update": meta["update"], "dataset": dataset}
    if lat.categorical:
        images, labels = _load_images(dataset, "test", args.data_dir, n=args.limit)
        pred = categorical_predictions(nets, images)
        acc, mapping, confusion = cluster_accuracy(pred, labels.astype(np.int64), lat.categorical[0], 10)
        result.update(accuracy=acc, n_test=int(images.shape[0]), mapping=mapping,
                      confusion=confusion.tolist())
    if dataset == "synthetic":
        result["factors"] = _factor_report(nets, args)
    result.update(estimate_li(nets, args.samples, rng))
    result["continuous"] = sweep_correlations(nets, rng, n_bases=args.bases)
    print(f"npgan eval: {args.checkpoint} (update {meta['update']}, {dataset})")
    if "accuracy" in result:
        print(f"  categorical accuracy (Hungarian-matched, {result['n_test']} test images): {result['accuracy']:.4f}")
    print(f"  L_I categorical: {result['li_cat']:.4f} nats (H(c) = {result['h_cat']:.4f})")
    if lat.continuous:
        print(f"  L_I continuous:  {result['li_cont']:.4f} nats")
        print("  continuous code | rotation rho | width rho   (mean Spearman along sweeps of [-1, 1])")
        for r in result["continuous"]:
            name = f"c{lat.n_categorical + r['code'] + 1}"
            print(f"  {name:>15} | {r['rotation']:+12.3f} | {r['width']:+9.3f}")
    if "factors" in result:
        _print_factor_report(result["factors"])
    json_path = Path(args.json) if args.json else _default_eval_path(args.checkpoint)
    json_path.write_text(json.dumps(result, indent=2))
    print(f"  written: {json_path}")
    return 0


def _factor_report(nets, args) -> dict:
    """Code-by-factor information matrix and MIG on the synthetic test split; draws the heat map."""
    from npgan.data import make_synthetic_digits
    from npgan.data.datasets import SYNTHETIC_SEEDS, SYNTHETIC_SIZES
    from npgan.disentanglement import factor_report, plot_mi_matrix
    ds = make_synthetic_digits(args.limit or SYNTHETIC_SIZES["test"], SYNTHETIC_SEEDS["test"])
    report = factor_report(nets, ds)
    out = Path(args.json).parent if args.json else _default_eval_path(args.checkpoint).parent
    report["figure"] = str(plot_mi_matrix(report, out / "mi_matrix.png"))
    if report["class_rho"] is not None:
        from npgan.class_agreement import plot_class_correlations
        report["class_figure"] = str(plot_class_correlations(report, out / "class_rho.png"))
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in report.items()}


def _print_factor_report(rep: dict) -> None:
    names, factors = rep["code_names"], rep["factor_names"]
    print(f"  mutual information I(code; factor) in nats, {rep['n_samples']} synthetic test images "
          f"({rep['n_bins']} bins per continuous variable):")
    print("  " + " " * 6 + "".join(f"{f:>11}" for f in factors))
    for name, row in zip(names, rep["mi"]):
        print(f"  {name:>6}" + "".join(f"{v:11.3f}" for v in row))
    print("  H(fac)" + "".join(f"{v:11.3f}" for v in rep["factor_entropies"]))
    print(f"  MIG (all factors): {rep['mig']:.3f};  MIG ({' + '.join(rep['style_factors'])}): "
          f"{rep['mig_style']:.3f};  NMI(c1, digit): {rep['nmi']:.3f}")
    if rep.get("class_rho") is not None:
        import numpy as np
        rho = np.asarray(rep["class_rho"], dtype=np.float64)
        cont = names[len(names) - rho.shape[0]:]
        print("  rank correlation of each continuous code with each factor within each digit class:")
        print(f"  {'digit class':>17}" + "".join(f"{int(k):>6}" for k in rep["classes"]))
        for j, fac in enumerate(rep["style_factors"]):
            for i, code in enumerate(cont):
                print(f"  {code:>6} {fac:>9} " + "".join(f"{v:6.2f}" for v in rho[i, j]))
        print("  classes that follow each factor with the majority's code and sign: " + ", ".join(
            f"{fac} {frac * rho.shape[2]:.0f} of {rho.shape[2]}" if np.isfinite(frac) else f"{fac} undefined"
            for fac, frac in rep["class_agreement"].items()))
        print(f"  per-class heat map: {rep['class_figure']}")
    print(f"  heat map: {rep['figure']}")


def _default_eval_path(checkpoint) -> Path:
    p = Path(checkpoint)
    return (p if p.is_dir() else p.parent) / "eval.json"


def cmd_curves(args) -> int:
    from npgan.figures import plot_li_curves
    from npgan.models import InfoGANConfig
    runs, h_c = {}, None
    for run in args.runs:
        run = Path(run)
        cfg_path, met_path = run / "config.json", run / "metrics.jsonl"
        if not cfg_path.exists() or not met_path.exists():
            raise CLIError(f"{run} is not a training run folder (needs config.json and metrics.jsonl)")
        meta = json.loads(cfg_path.read_text())
        config = InfoGANConfig.from_dict(meta["config"])
        kind = "GAN" if config.gan_baseline else (
            "InfoGAN + consistency" if config.consistency > 0 else "InfoGAN")
        label = f"{kind} (seed {meta['seed']})"
        if label in runs:  # two runs of one kind and seed: tell them apart by folder
            label = f"{label} {run}"
        runs[label] = [json.loads(x) for x in met_path.read_text().splitlines() if x.strip()]
        h_c = config.latent.categorical_entropy()
    print(plot_li_curves(runs, h_c, args.out))
    return 0


# ------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npgan",
        description="InfoGAN from scratch in NumPy: train, traverse, evaluate and sample.",
    )
    parser.add_argument("--version", action="version", version=f"npgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train InfoGAN or the GAN baseline",
                       description="Train InfoGAN (paper: Chen et al. 2016) with progress, checkpoints "
                                   "and figures. Ctrl-C saves a checkpoint; --resume continues it.")
    t.add_argument("--dataset", choices=DATASETS, default="synthetic",
                   help="built-in synthetic digits (default, no download) or MNIST")
    t.add_argument("--data-dir", default=None, help="MNIST folder (else $NPGAN_DATA, else ~/.cache/npgan/mnist)")
    t.add_argument("--updates", type=_positive_int, default=5000, help="total updates (default 5000)")
    t.add_argument("--batch-size", type=_positive_int, default=128)
    t.add_argument("--seed", type=_nonneg_int, default=0)
    t.add_argument("--recipe", choices=sorted(RECIPES), default="npgan",
                   help="npgan (default): the paper's recipe plus a real-data consistency term that makes "
                        "the categories follow the digits; paper: learned std, lambda_cont 0.1, lReLU 0.1 "
                        "(faithful); code: the original code's fixed std 1, lambda_cont 1, lReLU 0.01")
    t.add_argument("--lambda-cat", type=_nonneg_float, default=1.0, help="weight of the categorical L_I")
    t.add_argument("--lambda-cont", type=_nonneg_float, default=None, help="weight of the continuous L_I")
    t.add_argument("--consistency", type=_nonneg_float, default=None,
                   help="weight of the real-data consistency term (npgan recipe: 1; paper/code: 0); "
                        "from the first update unless --consistency-early is given")
    t.add_argument("--consistency-early", nargs=2, default=None,
                   metavar=("WEIGHT", "UPDATES"),
                   help="weight of the consistency term over the first UPDATES updates (npgan recipe: "
                        "3 over 2500 on synthetic digits; none on MNIST)")
    t.add_argument("--code-prior", type=_nonneg_float, default=None, metavar="WEIGHT",
                   help="weight of the code-prior term: Q's continuous readings of real images pulled "
                        f"towards Unif(-1, 1) (npgan recipe: {CODE_PRIOR['synthetic']['code_prior']:g} on synthetic "
                        "digits; else 0: off)")
    t.add_argument("--code-prior-from", type=_nonneg_int, default=None, metavar="UPDATES",
                   help="the code-prior term starts after this many updates (npgan recipe on synthetic "
                        f"digits: {CODE_PRIOR['synthetic']['code_prior_from']}; else 0)")
    t.add_argument("--ortho-jacobian", type=_nonneg_float, default=None, metavar="WEIGHT",
                   help="weight of the orthogonal-Jacobian term: G's image changes along different "
                        "continuous codes made orthogonal (npgan recipe: "
                        f"{ORTHO_JACOBIAN['synthetic']['ortho_jacobian']:g} on synthetic digits; else 0: off)")
    t.add_argument("--ortho-jacobian-from", type=_nonneg_int, default=None, metavar="UPDATES",
                   help="the orthogonal-Jacobian term starts after this many updates (npgan recipe on "
                        f"synthetic digits: {ORTHO_JACOBIAN['synthetic']['ortho_jacobian_from']}; else 0)")
    t.add_argument("--code-equivariance", type=_nonneg_float, default=None, metavar="WEIGHT",
                   help="weight of the code-equivariance term: groups of real images share a random "
                        "distortion and the changes of Q's continuous readings are made equal within "
                        f"a group (npgan recipe: {CODE_EQUIVARIANCE['synthetic']['code_equivariance']:g} on synthetic "
                        "digits; else 0: off)")
    t.add_argument("--code-equivariance-from", type=_nonneg_int, default=None, metavar="UPDATES",
                   help="the code-equivariance term starts after this many updates (npgan recipe on "
                        f"synthetic digits: {CODE_EQUIVARIANCE['synthetic']['code_equivariance_from']}; else 0)")
    t.add_argument("--categorical-from", type=_nonneg_int, default=None, metavar="UPDATES",
                   help="the categorical part of L_I starts after this many updates: the continuous "
                        "codes form first (default 0)")
    t.add_argument("--distort-rotation", type=_nonneg_float, default=None, metavar="DEGREES",
                   help="rotation range (±) of the consistency term's distortions (default: 45 on "
                        "synthetic digits, rotated ±30; 30 on MNIST)")
    t.add_argument("--distort-scale-x", type=_positive_float, nargs=2, metavar=("LOW", "HIGH"), default=None,
                   help="horizontal scales of the consistency term's distortions (default: 0.7 1.4 on "
                        "synthetic digits, whose widths vary 0.6-1.4; 0.8 1.2 on MNIST)")
    t.add_argument("--q-std", choices=("learned", "fixed"), default=None)
    t.add_argument("--leaky-slope", type=_nonneg_float, default=None)
    t.add_argument("--lr-d", type=_positive_float, default=2e-4)
    t.add_argument("--lr-g", type=_positive_float, default=1e-3)
    t.add_argument("--beta1", type=_nonneg_float, default=0.5)
    t.add_argument("--noise-dim", type=_nonneg_int, default=62)
    t.add_argument("--categorical", type=_positive_int, nargs="*", default=[10],
                   help="categories of each categorical code (default: 10)")
    t.add_argument("--continuous", type=_nonneg_int, default=2, help="number of continuous codes")
    t.add_argument("--gan-baseline", action="store_true",
                   help="regular GAN (lambda = 0 for G and the trunk); Q trained as a detached probe")
    t.add_argument("--out", default="runs/infogan", help="output folder (default runs/infogan)")
    t.add_argument("--checkpoint-every", type=_positive_int, default=500)
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    t.add_argument("--overwrite", action="store_true", help="start again even if --out holds a run")
    t.add_argument("--subset", type=_positive_int, default=None, help="train on the first N images only")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--no-figures", action="store_true", help="skip the figures at the end")
    t.set_defaults(func=cmd_train)

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
    e.add_argument("--bases", type=_positive_int, default=64, help="base latents per continuous sweep")
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
    if args.command == "train":
        args.dataset_given = any(a == "--dataset" or a.startswith("--dataset=") for a in argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"npgan {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
