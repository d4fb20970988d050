"""The Dask side of a worker: the task a sweep submits, its progress events and its stop request.

:func:`run_task` runs in a worker's thread: it gives the run its threads (:func:`npgan.sweep.threads.run_threads`), reports the
update count as Dask events (topic :data:`PROGRESS_TOPIC`, at most about once a second) and stops
with a checkpoint once the client has registered :class:`StopSweep` for its sweep (on every worker,
also those that join or restart later, which then start no run of that sweep). A run that raises
(a bad setting, a NaN abort) returns a ``failed`` outcome with the error and its traceback, so the
worker's log stays quiet and the client records it.
"""

from __future__ import annotations

import socket
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from npgan.sweep.plan import RunSpec, SweepSpec
from npgan.sweep.task import RunOutcome, run_one
from npgan.sweep.threads import run_threads

PROGRESS_TOPIC = "npgan-sweep-progress"
_STOPPED: set[str] = set()  # sweeps whose runs are to stop (ids), in this worker process


def request_stop(sweep_id: str) -> None:
    """Ask this worker's runs of sweep ``sweep_id`` to stop after their current update."""
    _STOPPED.add(sweep_id)


class StopSweep(WorkerPlugin):
    """The stop of sweep ``sweep_id`` as a worker plugin: the scheduler sets it up on every worker,
    also on those that join later (a worker restarted by its nanny), before they run a task.

    ``Client.register_plugin(StopSweep(id), name=StopSweep.name_of(id))``.
    """

    idempotent = True

    def __init__(self, sweep_id: str):
        self.sweep_id = sweep_id

    @staticmethod
    def name_of(sweep_id: str) -> str:
        """The plugin's name for sweep ``sweep_id`` (one per sweep; unregistered at the sweep's end)."""
        return f"npgan-sweep-stop-{sweep_id}"

    def setup(self, worker) -> None:
        request_stop(self.sweep_id)


def _reporter(sweep_id: str, run: RunSpec, updates: int, every: float = 1.0):
    """``report(update, phase=None)`` for :func:`~npgan.sweep.task.run_one`: the update count at most
    every ``every`` seconds (and the last), a phase after training (evaluating ...) at once."""
    worker = get_worker()
    last = [0.0]

    def report(update: int, phase: str | None = None) -> None:
        now = time.monotonic()
        if phase is not None or now - last[0] >= every or update >= updates:
            last[0] = now
            worker.log_event(PROGRESS_TOPIC, {"sweep": sweep_id, "run": run.name, "update": int(update),
                                              "phase": phase})
    return report


def run_task(spec: SweepSpec, run: RunSpec, sweep_id: str, threads: int | None,
             root: str | None = None, gather: bool = False) -> RunOutcome:
    """One run of a sweep on this worker (:func:`npgan.sweep.task.run_one`).

    ``threads``: the run's threads (None: npgan's default, every CPU the worker may use). ``root``:
    the folder for run folders on this worker (default the sweep's ``out``); ``gather``: return
    the run folder's files to the client.
    """
    t0 = time.perf_counter()
    try:
        with run_threads(threads) if threads is not None else nullcontext():
            return run_one(spec, run, root=None if root is None else Path(root), gather=gather,
                           report=_reporter(sweep_id, run, spec.updates),
                           should_stop=lambda: sweep_id in _STOPPED)
    except Exception as exc:  # the run fails alone; its error goes to the summary
        return RunOutcome(name=run.name, status="failed", start_update=-1, end_update=-1,
                          host=socket.gethostname(), folder=str(spec.folder(run, root)),
                          seconds=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}",
                          traceback=traceback.format_exc())
