"""``npgan train``: settings from a recipe or a run's config.json, then the training loop and figures."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from npgan.cli import _common
from npgan.cli._common import (MAX_SUBSET, MAX_UPDATES, CLIError, nonneg_int, os_error_message, positive_float,
                               positive_int_max, setting)
from npgan.models.infogan import MAX_BATCH_SIZE
from npgan.recipes import DATASETS, RECIPES

#: flags that change a run's settings (refused with --resume where they differ from the run's)
_SETTING_FLAGS = ("config", "recipe", "sets", "batch_size", "lr_d", "lr_g", "gan_baseline", "seed")


def _read_run_config(path: Path, flag: str = "--config"):
    """``(meta, TrainingConfig)`` of a run's config.json, every fault one line naming ``flag``."""
    from npgan.train.config import read_run_config
    try:
        return read_run_config(path)
    except FileNotFoundError:
        raise CLIError(f"{flag}: no such file: {path}") from None
    except ValueError as exc:
        raise CLIError(f"{flag}: {exc}") from None


def _requested(args, dataset: str, own=None):
    """The settings this command line asks for: (TrainingConfig, seed, updates). ``own``: a resumed
    run's settings, the base of the flags when neither --config nor --recipe is given."""
    from npgan.recipes import resolve
    seed, updates = args.seed, args.updates
    try:
        if args.config is not None:
            meta, base = _read_run_config(Path(args.config))
            seed = meta.get("seed", 0) if seed is None else seed
            updates = meta.get("updates", 5000) if updates is None else updates
        elif own is not None and args.recipe is None:
            base = own
        else:
            base = resolve(args.recipe or "npgan", dataset)
        flags = {key: getattr(args, key) for key in ("batch_size", "lr_d", "lr_g") if getattr(args, key) is not None}
        if args.gan_baseline:
            flags["gan_baseline"] = True
        # every --set is checked, then the flags win over them
        config = base.with_settings(dict(args.sets or [])).with_settings(flags)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    return config, 0 if seed is None else seed, 5000 if updates is None else updates


def _settings_differ(run, requested) -> list[str]:
    a, b = run.settings(), requested.settings()
    return [f"{k}: run {a[k]!r}, given {b[k]!r}" for k in a if a[k] != b[k]]


def _check_folder(args, out: Path) -> None:
    from npgan.run import RunLocked
    from npgan.run.folder import RunFolderError, check_folder
    if args.resume and args.overwrite:
        raise CLIError("--resume continues the run in --out and --overwrite starts it again: give one of them")
    if args.config is not None and args.recipe is not None:
        raise CLIError("--config holds a run's full settings; give --config or --recipe, not both")
    try:
        check_folder(out, resume=args.resume, overwrite=args.overwrite)
    except RunLocked as exc:
        raise CLIError(str(exc)) from None
    except RunFolderError as exc:
        raise CLIError(f"--resume: {exc}" if args.resume else str(exc)) from None


def _run_meta(out: Path) -> dict:
    """The run's config.json (updates and number of images); {} if there is none (the checkpoint is
    the truth), a one-line error if it is damaged."""
    from npgan.run.folder import read_run_meta
    try:
        return read_run_meta(out / "config.json")
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise CLIError(f"--resume: {exc} (remove it to resume from the checkpoint alone)") from None


def _resumed_settings(args, out: Path):
    """The run's own settings (the truth on resume): (config, seed, updates, dataset, update, subset)."""
    from npgan.run import CheckpointError, read_checkpoint_meta
    from npgan.train.config import checkpoint_config
    path = out / "checkpoint.npz"
    try:
        state = read_checkpoint_meta(path)
        run_config = checkpoint_config(state, path)
    except CheckpointError as exc:
        raise CLIError(f"--resume: {exc}") from None
    dataset, seed, at = state["dataset"], state["seed"], state["update"]
    if dataset not in DATASETS:
        raise CLIError(f"--resume: the run in {out} was trained on {dataset!r}, which npgan train cannot load "
                       "(a run started from Python: resume it with npgan.train.train(..., resume=True))")
    if args.dataset is not None and args.dataset != dataset:
        raise CLIError(f"--resume: the run in {out} was trained on {dataset!r}, not {args.dataset!r}")
    meta = _run_meta(out)
    diff = []
    if any(getattr(args, f) not in (None, False, []) for f in _SETTING_FLAGS):
        requested, given_seed, _ = _requested(args, dataset, own=run_config)
        diff = _settings_differ(run_config, requested)
        if (args.seed is not None or args.config is not None) and given_seed != seed:  # --seed, or --config's
            diff.insert(0, f"seed: run {seed}, given {given_seed}")
    subset = meta.get("images")
    if args.subset is not None and subset is not None and args.subset != subset:
        diff.append(f"subset: run {subset} images, given {args.subset}")
    if diff:
        raise CLIError("--resume keeps the run's own settings, and these differ from the ones given: " + "; ".join(diff))
    if args.updates is not None and args.updates < at:
        raise CLIError(f"--updates {args.updates} is less than the {at} updates the run in {out} has made")
    planned = meta.get("updates") or 5000
    updates = args.updates or max(planned, at)
    return run_config, seed, updates, dataset, at, args.subset or subset


def _new_settings(args):
    """The settings of a new run: (config, seed, updates, dataset)."""
    dataset = args.dataset
    if dataset is None and args.config is not None:
        dataset = _read_run_config(Path(args.config))[0].get("dataset")
    dataset = dataset or "synthetic"
    if dataset not in DATASETS:
        raise CLIError(f"--config: the run's dataset {dataset!r} is not one of {list(DATASETS)}")
    return (*_requested(args, dataset), dataset)


def _frames_every(args, out: Path) -> int:
    """The sample frames' spacing (0: none). A resumed run keeps its own; one without frames stays
    without unless --samples-every is given."""
    from npgan.report.frames import DEFAULT_EVERY, frames_every
    every = args.samples_every
    if args.resume:
        try:
            run_every = frames_every(out)
        except ValueError as exc:
            raise CLIError(f"--resume: {exc}") from exc
        if run_every is not None and every is not None and every != run_every:
            raise CLIError(f"--resume keeps the run's sample frames every {run_every} updates, "
                           f"but --samples-every {every} was given")
        return (run_every or 0) if every is None else every
    return DEFAULT_EVERY if every is None else every


def _check_memory(config, n_images: int) -> None:
    from npgan.models.memory import check_training_memory
    try:
        check_training_memory(config.model, n_images * 28 * 28 * 4, f"; {n_images:,} training images")
    except MemoryError as exc:
        raise CLIError(str(exc)) from None


def _train(config, images, options, args, dataset, callback=None, start_callback=None):
    """The training loop, with every failure as a one-line error; returns (trainer, last) or an exit status."""
    from npgan.run import CheckpointError, MetricsError, RunFolderError, RunLocked
    from npgan.train import TrainingDiverged, TrainingInterrupted, train
    try:
        return train(config, images, options, resume=args.resume, dataset=dataset, callback=callback,
                     start_callback=start_callback)
    except TrainingDiverged as exc:
        print(f"npgan train: error: {exc}", file=sys.stderr)
        return 3
    except TrainingInterrupted as exc:
        print(f"npgan train: {exc}", file=sys.stderr)
        return exc.exit_status
    except (RunFolderError, RunLocked, CheckpointError, MetricsError) as exc:
        raise CLIError(f"--resume: {exc}" if args.resume and not isinstance(exc, RunLocked) else str(exc)) from None
    except OSError as exc:
        raise CLIError(os_error_message(exc)) from None


def _duration(seconds: float) -> str:
    """``seconds`` for a person: "42.0 s", "3 min 05 s", "2 h 07 min"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min {int(seconds % 60):02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def summary_lines(out: Path, evaluation: dict | None, seconds: float) -> list[str]:
    """The summary ``npgan train`` ends with: wall time, c1's accuracy, L_I against H(c), MIG where the
    factors are known, and where the outputs are. ``evaluation`` is the run's eval.json (the numbers the
    report was built from, not measured again); None when the run was not evaluated (--no-figures)."""
    lines = [f"npgan train: finished in {_duration(seconds)}; outputs in {out}"]
    if evaluation is None:
        lines.append(f"  not evaluated: npgan eval {out} measures c1's accuracy, L_I and MIG")
        return lines
    ev = evaluation
    if "accuracy" in ev:
        lines.append(f"  accuracy of c1: {ev['accuracy']:.4f} (Hungarian-matched, {ev['n_test']:,} "
                     f"{ev['dataset']} test images)")
    lines.append(f"  L_I: {ev['li_cat']:.3f} of H(c) = {ev['h_cat']:.3f} nats (categorical codes, fresh samples)")
    factors = ev.get("factors")
    if factors is not None:
        style = " + ".join(factors["style_factors"])
        mig = "n/a" if factors["mig"] is None else f"{factors['mig']:.3f}"
        mig_style = "n/a" if factors["mig_style"] is None else f"{factors['mig_style']:.3f}"
        lines.append(f"  MIG: {mig} (all factors), {mig_style} ({style})")
    lines.append(f"  report: {out / 'report.html'}; evaluation: {out / 'eval.json'} (npgan eval {out} prints it)")
    return lines


def _evaluation(out: Path) -> dict | None:
    """The run's eval.json as the report left it (None if there is none)."""
    from npgan.evaluation.eval_file import read_eval
    try:
        return read_eval(out / "eval.json")
    except FileNotFoundError:
        return None


def cmd_train(args) -> int:
    from npgan.train import TrainOptions

    t0 = time.perf_counter()
    out = Path(args.out)
    _check_folder(args, out)
    if args.resume:
        config, seed, updates, dataset, at, subset = _resumed_settings(args, out)
    else:
        (config, seed, updates, dataset), subset = _new_settings(args), args.subset
    every = _frames_every(args, out)
    _check_memory(config, subset or MAX_SUBSET)  # before loading the data: the full split has MAX_SUBSET images
    try:
        options = TrainOptions(updates=updates, seed=seed, out_dir=out, checkpoint_every=args.checkpoint_every,
                               progress=not args.no_progress, overwrite=args.overwrite)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    images, _ = _common.load_images(dataset, "train", args.data_dir, n=subset)
    model = config.model
    if images.shape[0] < model.batch_size:
        raise CLIError(f"batch size {model.batch_size} exceeds the {images.shape[0]} training images")
    kind = "GAN baseline" if model.gan_baseline else f"InfoGAN ({config.recipe or 'custom'} settings)"
    if args.resume:
        print(f"npgan train: resuming {out} at update {at} (seed {seed}, its own settings: {kind}) "
              f"on {dataset} ({images.shape[0]} images), to {updates} updates", file=sys.stderr)
    else:
        print(f"npgan train: {dataset} ({images.shape[0]} images), {updates} updates, batch {model.batch_size}, "
              f"seed {seed}, {kind} -> {out}", file=sys.stderr)
    if not args.no_progress:
        from npgan.figures import D_LOSS_SIGN
        print(f"npgan train: the bar's D and G are the steps' losses: {D_LOSS_SIGN}", file=sys.stderr)
    frames = start_frames = None
    if every:
        from npgan.report.frames import SampleFrames, adopt_start_frames
        frames = SampleFrames(out, seed, every, start=at if args.resume else 0, progress=not args.no_progress)
        def start_frames(k, folder):  # the other starts' frames, from the same latent batch, in their folders
            return SampleFrames(folder, seed, every, start=config.starts.updates)
    try:
        result = _train(config, images, options, args, dataset, callback=frames, start_callback=start_frames)
    finally:
        if frames is not None:
            frames.close()
            adopt_start_frames(out)
    if isinstance(result, int):
        return result
    trainer, last = result
    records = _common.read_run_metrics(out)
    h_c = trainer.nets.config.latent.categorical_entropy()  # the run's own networks and settings
    if last is not None:
        print(f"done: update {records[-1]['update']}: D loss {last.d_loss:.3f}, G loss {last.g_loss:.3f} (both "
              f"subtract lambda L_I), L_I {last.li_cat:.3f} / H(c) {h_c:.3f} nats")
    else:
        print(f"done: the run was already at update {updates}")
    if frames is not None:
        from npgan.report.frames import write_progress_gif
        gif = write_progress_gif(out)
        if gif is not None:
            from npgan.report.frames import EARLY_UPDATES
            early = "".join(f"{u}, " for u in EARLY_UPDATES if u < frames.every)
            print(f"samples: {out / 'samples'} (at updates {early}then every {frames.every}), animation: {gif}")
    evaluation = None
    if not args.no_figures and records:
        from npgan.cli.report import make_report
        make_report(out, data_dir=args.data_dir)
        evaluation = _evaluation(out)  # what the report evaluated (or reused): not measured twice
    print("\n".join(summary_lines(out, evaluation, time.perf_counter() - t0)))
    return 0


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train InfoGAN or the GAN baseline",
                       description="Train InfoGAN (Chen et al. 2016) with progress, checkpoints and figures. "
                                   "Ctrl-C or SIGTERM saves a checkpoint; --resume continues it. Settings come from a "
                                   "recipe (npgan recipes lists them) or a run's config.json, with --set on top.")
    t.add_argument("--dataset", choices=DATASETS, default=None,
                   help="built-in synthetic digits (default, no download) or MNIST")
    t.add_argument("--data-dir", default=None, help="MNIST folder (default: $NPGAN_DATA, else ~/.cache/npgan/mnist)")
    t.add_argument("--recipe", choices=list(RECIPES), default=None,
                   help="npgan (default): the paper's recipe plus npgan's terms; paper: faithful to the paper; "
                        "code: the original code's")
    t.add_argument("--set", dest="sets", type=setting, action="append", metavar="KEY=VALUE",
                   help="change one setting (repeatable), e.g. --set lambda_cont=0.2 --set consistency.weight=0; "
                        "npgan recipes lists the keys (default: the recipe's settings)")
    t.add_argument("--config", default=None, metavar="CONFIG_JSON",
                   help="repeat a run: its config.json's settings, seed, dataset and updates (flags given win; "
                        "default: none, a new run of --recipe)")
    t.add_argument("--gan-baseline", action="store_true",
                   help="regular GAN (lambda = 0 for G and the trunk, no extra terms); Q trained as a detached probe")
    t.add_argument("--updates", type=positive_int_max(MAX_UPDATES), default=None,
                   help=f"total updates (default 5000; with --resume the run's own; at most {MAX_UPDATES:,})")
    t.add_argument("--seed", type=nonneg_int, default=None, help="default 0")
    t.add_argument("--out", default="runs/infogan",
                   help="output folder (default runs/infogan); one run per folder, locked while training")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its checkpoint, with its own settings")
    t.add_argument("--overwrite", action="store_true",
                   help="delete the run in --out (checkpoint, metrics, config.json) and start again")
    t.add_argument("--checkpoint-every", type=positive_int_max(MAX_UPDATES), default=500, help="default 500 updates")
    t.add_argument("--subset", type=positive_int_max(MAX_SUBSET), default=None,
                   help=f"train on the first N images only (at most {MAX_SUBSET:,}; default: all)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--samples-every", type=nonneg_int, default=None, metavar="N",
                   help="a sample grid from one fixed latent batch at updates 10, 25, 50, 100 (those below N) and "
                        "then every N updates (default 250; 0: none) into OUT/samples, and OUT/progress.gif at the end")
    t.add_argument("--no-figures", action="store_true", help="skip the figures and the report at the end")
    p = t.add_argument_group("the paper's hyperparameters (the rest: --set, npgan recipes)")
    p.add_argument("--batch-size", type=positive_int_max(MAX_BATCH_SIZE), default=None,
                   help=f"default 128, at most {MAX_BATCH_SIZE}")
    p.add_argument("--lr-d", type=positive_float, default=None, help="Adam learning rate of D and Q (default 2e-4)")
    p.add_argument("--lr-g", type=positive_float, default=None, help="Adam learning rate of G (default 1e-3)")
    t.set_defaults(func=cmd_train)
