"""``npgan sweep``: a grid of runs (recipes x settings x seeds) on Dask, each evaluated, in one table."""

from __future__ import annotations

import sys
from pathlib import Path

from npgan.cli._common import (MAX_SUBSET, MAX_UPDATES, CLIError, add_eval_size_options, error_line,
                               positive_int_max, setting)
from npgan.recipes import DATASETS, RECIPES

#: --workers and --threads-per-run (a local cluster's processes; a run's threads)
MAX_WORKERS = 256

INSTALL_HINT = ("npgan sweep runs on Dask, which is not installed: pip install 'dask[distributed]' "
                "(or pip install -e '.[sweep]' in a checkout of npgan)")


def _need_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise CLIError(INSTALL_HINT) from None


def _data_dir(args) -> str | None:
    """The MNIST folder as an absolute path (workers look there), downloaded (verified) if missing."""
    if args.dataset != "mnist":
        if args.data_dir is not None:
            raise CLIError("--data-dir applies to --dataset mnist only (synthetic digits are rendered on each worker)")
        return None
    from npgan.data import MNISTDownloadError
    from npgan.data.mnist import download_mnist, find_mnist_files
    folder, _, missing = find_mnist_files(args.data_dir)
    if missing:
        try:
            download_mnist(folder)
        except (MNISTDownloadError, OSError) as exc:
            raise CLIError(error_line(exc)) from exc
    return str(Path(folder).resolve())


def _spec(args):
    from npgan.sweep import EvalOptions, SweepSpec, parse_seeds, plan_runs
    try:
        runs = plan_runs(args.recipe, parse_seeds(args.seeds), args.sets or [], gan_baseline=args.gan_baseline)
        return SweepSpec(args.dataset, runs, updates=args.updates, out=Path(args.out).resolve(),
                         data_dir=_data_dir(args), subset=args.subset, checkpoint_every=args.checkpoint_every,
                         evaluation=EvalOptions(args.eval_samples, args.eval_bases, args.eval_limit),
                         figures=not args.no_figures, eval_at=tuple(args.eval_at))
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from exc


def _print_arms(summary) -> None:
    text = summary.markdown.read_text()
    start = text.index("## Per arm")
    print(text[start:text.index("## Runs")].rstrip())
    written = [summary.csv, summary.markdown, *(p for p in (summary.figure, summary.page) if p)]
    print("\nwritten: " + ", ".join(map(str, written)))


def cmd_report(args) -> int:
    from npgan.sweep import write_summary
    try:
        summary = write_summary(Path(args.report))
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    _print_arms(summary)
    return 0


def cmd_sweep(args) -> int:
    if args.report is not None:
        return cmd_report(args)
    if args.scheduler is not None and args.workers is not None:
        raise CLIError("--workers sizes the local cluster; an existing cluster (--scheduler) is sized where "
                       "it was started")
    if args.worker_dir is not None and not args.gather:
        raise CLIError("--worker-dir is where workers keep runs with --gather; without it they write into --out")
    from npgan.sweep.stop import StopRequest
    with StopRequest().installed() as stop:  # SIGTERM as Ctrl-C
        try:
            _need_dask()
            spec = _spec(args)
            with stop.deferred():  # from here a signal is a request the sweep polls
                return _run(args, spec, stop)
        except KeyboardInterrupt:  # before any run started
            if not stop.requested:
                raise
            print("npgan sweep: stopped before the runs started", file=sys.stderr)
            return stop.exit_status


def _run(args, spec, stop) -> int:
    """Run the sweep planned as ``spec`` and print its table; the exit status."""
    from npgan.sweep.dask_log import DASK_LOG
    from npgan.sweep.runner import run_sweep
    where = f"the cluster at {args.scheduler}" if args.scheduler else "a local Dask cluster"
    log = spec.out / DASK_LOG
    print(f"npgan sweep: {len(spec.runs)} runs ({spec.dataset}, {spec.updates} updates each) on {where} "
          f"-> {spec.out} (Dask's own messages: {log})", file=sys.stderr)
    spec.out.mkdir(parents=True, exist_ok=True)
    try:
        result = run_sweep(spec, scheduler=args.scheduler, workers=args.workers,
                           threads_per_run=args.threads_per_run, gather=args.gather,
                           worker_dir=args.worker_dir, progress=not args.no_progress, stop=stop, dask_log=log)
    except OSError as exc:  # the scheduler cannot be reached
        raise CLIError(f"--scheduler {args.scheduler}: {exc}") from exc
    except ValueError as exc:  # --out holds a sweep on other data
        raise CLIError(str(exc)) from exc
    if result.local is not None:
        print(f"npgan sweep: {result.local.workers} worker processes x {result.local.threads_per_run} threads "
              f"on {result.local.cores} cores", file=sys.stderr)
    if result.skipped:
        print(f"npgan sweep: {len(result.skipped)} runs were finished already (not trained again)", file=sys.stderr)
    _print_arms(result.summary)
    if result.interrupted or stop.requested:
        print("npgan sweep: stopped; every run keeps its checkpoint: run the same command to continue",
              file=sys.stderr)
        return stop.exit_status
    failed = [name for name, a in result.attempts.items() if a["status"] == "failed"]
    if failed:
        print(f"npgan sweep: {len(failed)} runs failed ({', '.join(failed)}): see {result.summary.markdown}",
              file=sys.stderr)
        return 1
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser(
        "sweep", help="many seeds and recipes at once, on this machine or a Dask cluster, in one table",
        description="Train and evaluate a grid of runs (recipes x settings x seeds) as tasks on Dask "
                    "distributed, then write summary.csv, summary.md, summary.png and sweep.html (arms and "
                    "seeds side by side) into --out. Finished runs are not trained again, interrupted ones "
                    "resume; Ctrl-C or SIGTERM stops cleanly (exit 130 or 143). Dask's own messages go to "
                    "OUT/dask.log. Needs the [sweep] extra.")
    s.add_argument("--dataset", choices=DATASETS, default="synthetic",
                   help="synthetic digits (default; rendered on each worker) or MNIST (--data-dir)")
    s.add_argument("--data-dir", default=None,
                   help="MNIST folder, the same path on every worker (default: $NPGAN_DATA, else ~/.cache/npgan/mnist)")
    s.add_argument("--recipe", nargs="+", choices=list(RECIPES), default=["npgan"], metavar="RECIPE",
                   help=f"one arm per recipe (of {', '.join(RECIPES)}; default npgan)")
    s.add_argument("--seeds", nargs="+", default=["0"], metavar="SEEDS",
                   help="seeds of every arm: N, A-B or lists of them (default 0), e.g. --seeds 0-4 (a sweep "
                        "has at most npgan.sweep.plan.MAX_RUNS = 1000 runs: arms x seeds)")
    s.add_argument("--set", dest="sets", type=setting, action="append", metavar="KEY=VALUE",
                   help="a setting for every arm; give a key several times to vary it (one arm per value), "
                        "e.g. --set consistency.weight=0.5 --set consistency.weight=1 (default: the recipes' settings)")
    s.add_argument("--gan-baseline", action="store_true",
                   help="one more arm, 'gan': the first recipe as a regular GAN (Q a detached probe)")
    s.add_argument("--updates", type=positive_int_max(MAX_UPDATES), default=5000,
                   help=f"updates per run (default 5000, at most {MAX_UPDATES:,})")
    s.add_argument("--out", default="runs/sweep", help="the sweep's folder: ARM/seedK per run (default runs/sweep)")
    s.add_argument("--subset", type=positive_int_max(MAX_SUBSET), default=None,
                   help=f"train on the first N images only (at most {MAX_SUBSET:,}; default: all)")
    s.add_argument("--checkpoint-every", type=positive_int_max(MAX_UPDATES), default=500, help="default 500 updates")
    s.add_argument("--no-figures", action="store_true",
                   help="skip each run's figures (summary.png and sweep.html are drawn)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar (a line per finished run)")
    s.add_argument("--summarize", "--report", dest="report", default=None, metavar="DIR",
                   help="only rebuild DIR's summary files and sweep.html from its runs (trains nothing, needs "
                        "no Dask; default: run the sweep). --report is its old name; a run's HTML page is "
                        "`npgan report RUN`")
    e = s.add_argument_group("evaluation of each run (as npgan eval)")
    add_eval_size_options(e, prefix="eval-")
    e.add_argument("--eval-at", type=positive_int_max(MAX_UPDATES), nargs="+", default=[], metavar="U",
                   help="also evaluate each run at these updates (RUN/evals/; accuracy@U, mig_style@U in the table; "
                        "default: only at the end)")
    c = s.add_argument_group("where the runs go")
    c.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster sized "
                        "to this machine)")
    c.add_argument("--workers", type=positive_int_max(MAX_WORKERS), default=None,
                   help=f"local cluster: worker processes (default: one per core, at most one per run; at most "
                        f"{MAX_WORKERS})")
    c.add_argument("--threads-per-run", type=positive_int_max(MAX_WORKERS), default=None,
                   help="threads per run (default: the cores shared among the local workers; 1 on an "
                        f"existing cluster; at most {MAX_WORKERS})")
    c.add_argument("--gather", action="store_true",
                   help="workers keep runs on their own disk and send each finished run's files back to --out "
                        "(for clusters without a shared folder)")
    c.add_argument("--worker-dir", default=None, help="with --gather: the workers' folder (default: their temp folder)")
    s.set_defaults(func=cmd_sweep)
