"""Where a sweep runs: a ``LocalCluster`` sized to this machine, or an existing Dask cluster.

Local sizing: one worker process per run that can run at once (at most one per core), each worker
running one task at a time, and each run's threads limited to its worker's share of the cores
(:func:`npgan.sweep.threads.run_threads`), so two runs on two cores do not oversubscribe them. An
existing cluster (``dask scheduler`` + ``dask worker``, dask-jobqueue, Kubernetes ...) is sized where
it was started; its runs use ``threads_per_run`` threads (default 1, as Dask's own
``OMP_NUM_THREADS=1`` for worker processes).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from npgan._checks import check_int
from npgan.kernels.threads import available_cpus
from npgan.sweep.dask_log import WORKER_LOG_ENV
from npgan.sweep.stop import signals_blocked


#: Dask starts worker processes with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's adaptive
#: mmap threshold: every large temporary array of an update is then mapped and unmapped afresh
#: (twice the system time, about 9 % more wall time per update, measured in docs/sweeps.md)
_NO_MALLOC_TRIM = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

#: The scheduler restarts a worker that has not sent a heartbeat for ``worker-ttl`` (5 minutes by
#: default). On a local cluster the scheduler and workers stop and resume together (Ctrl-Z then
#: ``fg``, a suspended machine), and a run's update never blocks the heartbeats; the check would
#: only kill runs that were paused, losing their updates since the last checkpoint.
_NO_WORKER_TTL = {"distributed.scheduler.worker-ttl": None}


@dataclass(frozen=True)
class LocalPlan:
    """The shape of a local cluster: worker processes, and threads per run."""

    workers: int
    threads_per_run: int
    cores: int


def plan_local(n_runs: int, *, workers: int | None = None, threads_per_run: int | None = None,
               cores: int | None = None) -> LocalPlan:
    """Size a local cluster for ``n_runs`` runs on ``cores`` cores (default: those this process may use).

    Without ``workers`` or ``threads_per_run``: ``min(n_runs, cores)`` workers and ``cores //
    workers`` threads per run. Given one of them, the other fills the cores; given both, they are used.
    """
    n_runs = check_int(n_runs, "n_runs", minimum=1)
    cores = available_cpus() if cores is None else check_int(cores, "cores", minimum=1)
    if workers is not None:
        workers = check_int(workers, "workers", minimum=1)
    if threads_per_run is not None:
        threads_per_run = check_int(threads_per_run, "threads_per_run", minimum=1)
    if workers is None:
        per = threads_per_run or 1
        workers = max(1, min(n_runs, cores // per))
    if threads_per_run is None:
        threads_per_run = max(1, cores // workers)
    return LocalPlan(workers=workers, threads_per_run=threads_per_run, cores=cores)


def check_local_memory(spec, workers: int) -> None:
    """Refuse a local sweep whose ``workers`` runs at once cannot fit this machine's memory.

    Each worker holds its run's networks and optimiser and the training images (``spec.subset``, else
    the whole split) as ``npgan train`` estimates them (:func:`npgan.models.memory.check_training_memory`),
    then evaluates it as ``npgan eval`` does with the sweep's evaluation sizes
    (:func:`npgan.evaluation.memory.check_evaluation_memory`); the arm needing the most counts for every
    worker. Arms whose settings are invalid are left to fail alone.

    Raises
    ------
    npgan.models.memory.NotEnoughMemory
        The estimate exceeds the memory available to this process.
    """
    from npgan.data.datasets import SYNTHETIC_SIZES, n_test_images
    from npgan.evaluation.memory import check_evaluation_memory
    from npgan.models.memory import check_training_memory, training_memory
    from npgan.recipes import resolve
    models = []
    for run in {r.arm: r for r in spec.runs}.values():
        try:
            models.append(resolve(run.recipe, spec.dataset, run.overrides).model)
        except (TypeError, ValueError):
            continue
    if models:
        images = spec.subset or SYNTHETIC_SIZES["train"]  # the training split of either dataset
        largest = max(models, key=lambda m: training_memory(m).total)
        check_training_memory(largest, images * 28 * 28 * 4, f"; {images:,} training images", copies=workers)
        ev = spec.evaluation    # each run is evaluated on its worker, possibly all at once (--eval-at)
        check_evaluation_memory(largest, samples=ev.samples, bases=ev.bases,
                                n_test=n_test_images(spec.dataset, ev.limit), synthetic=spec.dataset == "synthetic",
                                copies=workers)


@contextmanager
def connect(scheduler: str | None = None, plan: LocalPlan | None = None, *, timeout: float = 30.0,
            worker_log: Path | None = None):
    """A ``distributed.Client`` on ``scheduler`` (an address), or on a new local cluster shaped by ``plan``.

    The local cluster's workers run one task at a time, never receive SIGINT or SIGTERM (started with
    both blocked, :func:`npgan.sweep.stop.signals_blocked`, and ignoring them, :mod:`npgan.sweep._signals`:
    the client alone stops the runs), keep glibc's default memory trimming and serve no dashboard; its
    scheduler does not restart workers for missing heartbeats (a sweep paused for a while goes on where
    it was). Both are closed on exit. Signals to this process wait while the cluster starts. With
    ``worker_log``, the local workers' stdout and stderr go to that file (:mod:`npgan.sweep.dask_log`).

    Raises
    ------
    OSError
        The scheduler cannot be reached within ``timeout`` seconds.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        client = Client(scheduler, timeout=f"{timeout}s")
        try:
            yield client
        finally:
            client.close()
        return
    if plan is None:
        raise ValueError("`plan` is needed to start a local cluster (or give `scheduler`)")
    # read when the scheduler and the nannies are made (and for the nannies' restarts)
    log_env = {} if worker_log is None else {
        f"distributed.nanny.pre-spawn-environ.{WORKER_LOG_ENV}": str(worker_log)}
    with signals_blocked(), dask.config.set({**_NO_MALLOC_TRIM, **_NO_WORKER_TTL, **log_env}):
        cluster = LocalCluster(n_workers=plan.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, preload=[str(Path(__file__).with_name("_signals.py"))])
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
