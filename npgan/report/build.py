"""``build_report(run_dir)``: write ``run_dir/report.html`` from a run folder.

Steps: load the checkpoint; evaluate (``eval.json``, reused when it is of the checkpoint's update);
write the run's figures; draw the progress GIF from the sample frames; render the explorer's frames
with G; assemble the page. Each step is announced through ``log`` (the CLI prints them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan._checks import check_int
from npgan.evaluation.eval_file import read_eval
from npgan.kernels.threads import use_threads
from npgan.report.explorer import DEFAULT_BUDGET, DEFAULT_NOISE, DEFAULT_STEPS, ExplorerPlan, plan_explorer, \
    render_explorer
from npgan.report.frames import GIF_NAME, frames_every, list_frames, write_progress_gif
from npgan.report.images import write_atomic
from npgan.report.page import ReportContent, render_page
from npgan.report.run_files import CLASS_FIGURE, EVAL_NAME, MI_FIGURE, evaluate_and_save, read_metrics, \
    save_run_figures

REPORT_NAME = "report.html"


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote and what it cost.

    ``seconds`` is the whole build, ``eval_seconds`` the part spent in the evaluation (0 when
    ``eval.json`` was reused), ``explorer_seconds`` the part spent rendering the explorer's frames.
    """

    path: Path
    size_bytes: int
    seconds: float
    eval_seconds: float
    explorer_seconds: float
    plan: ExplorerPlan


def _load_eval(run_dir: Path, update: int, data_dir, log) -> tuple[dict, float]:
    """The run's ``eval.json`` if it is of the checkpoint's ``update``; else (missing, older, damaged:
    the fault is logged) the evaluation is run again and written."""
    path = run_dir / EVAL_NAME
    try:
        result = read_eval(path)
        if result["update"] == update:
            return result, 0.0
        log(f"{path} is not of update {update}: evaluating again")
    except FileNotFoundError:
        log(f"no {EVAL_NAME}: running npgan eval first")
    except ValueError as exc:
        log(f"{exc}: evaluating again")
    t0 = time.perf_counter()
    _, result, _ = evaluate_and_save(run_dir, data_dir=data_dir, download=True,
                                     log=lambda line: log(f"eval: {line}"))  # its phases: a minute otherwise silent
    return result, time.perf_counter() - t0


def build_report(run_dir, *, data_dir=None, seed: int | None = None, steps: int = DEFAULT_STEPS,
                 noise: int = DEFAULT_NOISE, budget: int = DEFAULT_BUDGET, log=None) -> ReportResult:
    """Write ``run_dir/report.html`` (see the module docstring) and return a :class:`ReportResult`.

    Parameters
    ----------
    run_dir : str or Path
        A run folder (``checkpoint.npz``, ``metrics.jsonl``, ``config.json``).
    data_dir : str or Path, optional
        Where MNIST is, for the evaluation of an MNIST run (else ``$NPGAN_DATA`` ...).
    seed : int, optional
        Seed of the explorer's noise vectors and of the figures' latents (default: the run's seed,
        as ``npgan train`` uses at the end of a run).
    steps, noise, budget :
        The explorer's plan (:func:`npgan.report.explorer.plan_explorer`).
    log : callable, optional
        Called with one line per step.

    Raises
    ------
    FileNotFoundError
        No checkpoint in ``run_dir``.
    ValueError
        Not a training checkpoint, or a bad explorer setting.

    G and the evaluation run on npgan's thread pool (:func:`npgan.kernels.threads.use_threads`),
    as in training.
    """
    if seed is not None:
        seed = check_int(seed, "seed", minimum=0)
    with use_threads():
        return _build(Path(run_dir), data_dir, seed, steps, noise, budget, log or (lambda line: None))


def _build(run_dir: Path, data_dir, seed: int | None, steps: int, noise: int, budget: int, log) -> ReportResult:
    from npgan.train import load_trained
    t_start = time.perf_counter()
    nets, meta = load_trained(run_dir)
    planned = _planned_updates(run_dir)  # a damaged config.json stops the build before any work
    seed = int(meta["seed"]) if seed is None else seed
    plan = plan_explorer(nets.config.latent, steps=steps, noise=noise, budget=budget)
    evaluation, eval_seconds = _load_eval(run_dir, meta["update"], data_dir, log)
    records = read_metrics(run_dir)
    log("figures: traversals, samples, curves")
    figures = {p.name: p for p in save_run_figures(nets, records, run_dir, seed)}
    for name in (MI_FIGURE, CLASS_FIGURE):
        if evaluation.get("factors") and (run_dir / name).exists():
            figures[name] = run_dir / name
    frames = tuple(u for u, _ in list_frames(run_dir))
    gif = write_progress_gif(run_dir) if frames else None
    log(f"explorer: {plan.n_frames:,} frames")
    t0 = time.perf_counter()
    explorer = render_explorer(nets, plan, np.random.default_rng(seed))
    explorer_seconds = time.perf_counter() - t0
    content = ReportContent(run_dir=run_dir, meta=meta, planned_updates=planned, records=records,
                            evaluation=evaluation, explorer=explorer, figures=figures,
                            gif=gif.read_bytes() if gif else None, frames=frames,
                            frames_every=frames_every(run_dir) if frames else None)
    path = write_atomic(run_dir / REPORT_NAME, render_page(content).encode("utf-8"))
    return ReportResult(path, path.stat().st_size, time.perf_counter() - t_start, eval_seconds,
                        explorer_seconds, plan)


def _planned_updates(run_dir: Path) -> int | None:
    """The updates the run was started for (its ``config.json``, checked), None if it has no config.json."""
    from npgan.run.folder import CONFIG_NAME
    from npgan.train.config import read_run_config
    try:
        return read_run_config(run_dir / CONFIG_NAME)[0].get("updates")
    except FileNotFoundError:
        return None


__all__ = ["REPORT_NAME", "GIF_NAME", "ReportResult", "build_report"]
