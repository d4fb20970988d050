"""Sweeps: many seeds and settings trained at once on Dask, each run evaluated, all in one table.

    from npgan.sweep import SweepSpec, plan_runs, run_sweep
    runs = plan_runs(["paper", "npgan"], range(5), gan_baseline=True)
    result = run_sweep(SweepSpec("mnist", runs, updates=5000, out=Path("runs/sweep").resolve(),
                                 data_dir="/data/mnist"))

Modules, one concept each: :mod:`~npgan.sweep.plan` (arms x seeds, the spec),
:mod:`~npgan.sweep.task` (one run on a worker: train or resume, figures, evaluation),
:mod:`~npgan.sweep.threads` (a run's share of the cores), :mod:`~npgan.sweep.record`
(``sweep.json``), :mod:`~npgan.sweep.summary` and :mod:`~npgan.sweep.figure` (the table and
``summary.png``), :mod:`~npgan.sweep.page` (``sweep.html``: arms and seeds side by side), and the Dask side: :mod:`~npgan.sweep.cluster` (local or existing cluster),
:mod:`~npgan.sweep.worker` (the task, progress events, stop requests), :mod:`~npgan.sweep.progress`
(the bar) and :mod:`~npgan.sweep.runner` (:func:`run_sweep`).

Only the Dask side imports Dask (the ``[sweep]`` extra); the plan, the tasks' work and the summary
do not, so ``npgan sweep --summarize`` works without it and nothing else in npgan imports it.
"""

from npgan.sweep.plan import GAN_ARM, EvalOptions, RunSpec, SweepSpec, parse_seeds, plan_runs
from npgan.sweep.summary import Summary, write_summary

__all__ = ["GAN_ARM", "EvalOptions", "RunSpec", "SweepSpec", "parse_seeds", "plan_runs", "Summary",
           "write_summary", "run_sweep"]


def __getattr__(name):
    if name == "run_sweep":  # imports Dask: only when asked for
        from npgan.sweep.runner import run_sweep
        return run_sweep
    raise AttributeError(f"module 'npgan.sweep' has no attribute {name!r}")
