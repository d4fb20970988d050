"""``npgan report RUN``: one self-contained HTML page with the run's settings, evaluation, curves,
traversals, the latent-code explorer and the progress animation (``RUN/report.html``)."""

from __future__ import annotations

import sys
from pathlib import Path

from npgan.cli._common import CLIError, error_line, int_at_least, nonneg_int, positive_int_max, run_folder

#: maxima of the explorer's sizes (each frame of each noise vector is rendered and embedded in the page)
MAX_STEPS, MAX_NOISE, MAX_BUDGET = 41, 64, 65_536


def make_report(run, *, data_dir=None, seed: int | None = None, steps: int | None = None,
                noise: int | None = None, budget: int | None = None) -> None:
    """Build the report of ``run`` (a run folder or checkpoint), printing progress to stderr; shared
    by ``npgan report`` and the end of ``npgan train``."""
    from npgan.data import MNISTDownloadError
    from npgan.report import build_report
    from npgan.report.explorer import DEFAULT_BUDGET, DEFAULT_NOISE, DEFAULT_STEPS
    folder = run_folder(run)
    if not (folder / "checkpoint.npz").exists():
        raise CLIError(f"{folder} holds no checkpoint.npz: not a training run folder")
    try:
        result = build_report(folder, data_dir=data_dir, seed=seed, steps=steps or DEFAULT_STEPS,
                              noise=noise or DEFAULT_NOISE, budget=budget or DEFAULT_BUDGET,
                              log=lambda line: print(f"npgan report: {line}", file=sys.stderr))
    except (FileNotFoundError, MNISTDownloadError, ValueError) as exc:
        raise CLIError(error_line(exc)) from exc
    took = f"{result.seconds:.1f} s" + (f", of which evaluation {result.eval_seconds:.1f} s"
                                        if result.eval_seconds else "")
    print(f"report: {result.path} ({result.size_bytes / 1e6:.1f} MB, {result.plan.n_frames:,} explorer frames, "
          f"built in {took})")


def cmd_report(args) -> int:
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise CLIError(f"--data-dir: no such folder: {args.data_dir}")
    make_report(args.run, data_dir=args.data_dir, seed=args.seed, steps=args.steps, noise=args.noise,
                budget=args.budget)
    return 0


def add_parser(sub) -> None:
    r = sub.add_parser("report", help="one HTML page: settings, evaluation, curves, traversals, latent explorer",
                       description="Write RUN/report.html: one self-contained file (images embedded, no network) "
                                   "with the run's settings and evaluation (npgan eval runs first if eval.json is "
                                   "missing or older than the checkpoint), the curves, the Figure 2 traversals, "
                                   "an explorer that shows G's image as you turn each code, and the progress "
                                   "animation.")
    r.add_argument("run", help="run folder (or its checkpoint.npz)")
    r.add_argument("--data-dir", default=None, help="MNIST folder, for evaluating an MNIST run (default: $NPGAN_DATA, else ~/.cache/npgan/mnist)")
    r.add_argument("--seed", type=nonneg_int, default=None,
                   help="seed of the explorer's noise vectors and the figures (default: the run's)")
    r.add_argument("--steps", type=int_at_least(3, "an odd integer >= 3", MAX_STEPS), default=None,
                   help=f"values of each continuous code in [-2, 2] (odd; default 9, at most {MAX_STEPS})")
    r.add_argument("--noise", type=positive_int_max(MAX_NOISE), default=None,
                   help=f"noise vectors to step through (default 8, at most {MAX_NOISE})")
    r.add_argument("--budget", type=positive_int_max(MAX_BUDGET), default=None,
                   help="frames for the full grid of codes; beyond it codes go one at a time "
                        f"(default 8192, at most {MAX_BUDGET:,})")
    r.set_defaults(func=cmd_report)
