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


@contextmanager
def connect(scheduler: str | None = None, plan: LocalPlan | None = None, *, timeout: float = 30.0):
    """A ``distributed.Client`` on ``scheduler`` (an address), or on a new local cluster shaped by ``plan``.

    The local cluster's workers run one task at a time, ignore Ctrl-C (:mod:`npgan.sweep._sigint`),
    keep glibc's default memory trimming and serve no dashboard; its scheduler does not restart
    workers for missing heartbeats (a sweep paused for a while goes on where it was). Both are closed on exit.

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
    with dask.config.set({**_NO_MALLOC_TRIM, **_NO_WORKER_TTL}):
        cluster = LocalCluster(n_workers=plan.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, preload=[str(Path(__file__).with_name("_sigint.py"))])
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
