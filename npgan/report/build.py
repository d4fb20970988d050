"""``build_report(run_dir)``: write ``run_dir/report.html`` from a run folder.

Steps: load the checkpoint; evaluate (``eval.json``, reused when it is of the checkpoint's update);
write the run's figures; draw the progress GIF from the sample frames; render the explorer's frames
with G; assemble the page. Each step is announced through ``log`` (the CLI prints them).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan._checks import check_int
from npgan.kernels.threads import use_threads
from npgan.report.explorer import DEFAULT_BUDGET, DEFAULT_NOISE, DEFAULT_STEPS, ExplorerPlan, plan_explorer, \
    render_explorer
from npgan.report.frames import GIF_NAME, frames_every, list_frames, write_progress_gif
from npgan.report.images import write_atomic
from npgan.report.page import ReportContent, render_page
from npgan.report.run_files import EVAL_NAME, evaluate_and_save, read_metrics, save_run_figures

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
    path = run_dir / EVAL_NAME
    if path.exists():
        try:
            result = json.loads(path.read_text())
        except ValueError:
            result = None
        if isinstance(result, dict) and result.get("update") == update:
            return result, 0.0
        log(f"{path} is not of update {update}: evaluating again")
    else:
        log(f"no {EVAL_NAME}: running npgan eval first")
    t0 = time.perf_counter()
    _, result, _ = evaluate_and_save(run_dir, data_dir=data_dir, download=True)
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
    seed = int(meta["seed"]) if seed is None else seed
    plan = plan_explorer(nets.config.latent, steps=steps, noise=noise, budget=budget)
    evaluation, eval_seconds = _load_eval(run_dir, meta["update"], data_dir, log)
    records = read_metrics(run_dir)
    log("figures: traversals, samples, curves")
    figures = {p.name: p for p in save_run_figures(nets, records, run_dir, seed)}
    for name in ("mi_matrix.png", "class_rho.png"):
        if evaluation.get("factors") and (run_dir / name).exists():
            figures[name] = run_dir / name
    frames = tuple(u for u, _ in list_frames(run_dir))
    gif = write_progress_gif(run_dir) if frames else None
    log(f"explorer: {plan.n_frames:,} frames")
    t0 = time.perf_counter()
    explorer = render_explorer(nets, plan, np.random.default_rng(seed))
    explorer_seconds = time.perf_counter() - t0
    config_path = run_dir / "config.json"
    planned = json.loads(config_path.read_text()).get("updates") if config_path.exists() else None
    content = ReportContent(run_dir=run_dir, meta=meta, planned_updates=planned, records=records,
                            evaluation=evaluation, explorer=explorer, figures=figures,
                            gif=gif.read_bytes() if gif else None, frames=frames,
                            frames_every=frames_every(run_dir) if frames else None)
    path = write_atomic(run_dir / REPORT_NAME, render_page(content).encode("utf-8"))
    return ReportResult(path, path.stat().st_size, time.perf_counter() - t_start, eval_seconds,
                        explorer_seconds, plan)


__all__ = ["REPORT_NAME", "GIF_NAME", "ReportResult", "build_report"]
