"""Run a sweep on Dask: submit the runs that are not finished, follow them, record, summarise.

:func:`run_sweep` is what ``npgan sweep`` calls. Each unfinished run is one Dask task
(:func:`npgan.sweep.worker.run_task`); Dask places it on a free worker and, if that worker dies
(killed, out of memory), runs it again elsewhere, where it resumes from its last checkpoint. A task
that raises (a bad setting, a NaN abort) is recorded as failed, with its error, and the others go
on. A stop (Ctrl-C, SIGTERM: :class:`npgan.sweep.stop.StopRequest`, polled twice a second) asks
every run to stop after its current update with a checkpoint (:class:`npgan.sweep.worker.StopSweep`:
also a worker that restarts later), waits for them, and leaves the sweep resumable: the same call
continues it.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from distributed import wait
from distributed import TimeoutError as DaskTimeoutError

from npgan.report.images import write_atomic
from npgan.sweep.cluster import LocalPlan, check_local_memory, connect, plan_local
from npgan.sweep.dask_log import dask_messages_to
from npgan.sweep.plan import RunSpec, SweepSpec
from npgan.sweep.progress import SweepProgress
from npgan.sweep.record import load_record, merge_specs, save_record
from npgan.sweep.stop import StopRequest
from npgan.sweep.summary import Summary, write_summary
from npgan.sweep.task import RunOutcome, check_settings, is_complete, is_finished
from npgan.sweep.worker import PROGRESS_TOPIC, StopSweep, run_task


@dataclass
class SweepResult:
    """What one invocation did.

    ``attempts``: this invocation's entries of ``sweep.json`` (run name -> status, error, start and
    end update, host, seconds); ``skipped``: runs found finished; ``interrupted``: stopped (Ctrl-C, SIGTERM);
    ``local``: the local cluster's shape (None on an existing cluster or when nothing was trained).
    """

    summary: Summary
    attempts: dict
    skipped: list
    interrupted: bool
    seconds: float
    local: LocalPlan | None


def _gather_root(spec: SweepSpec) -> str:
    import tempfile
    key = hashlib.sha1(str(spec.out).encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / "npgan-sweep" / key)


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        write_atomic(folder / name, data)


class _Execution:
    """The client's side of one invocation: futures, their outcomes, the record and the bar."""

    def __init__(self, client, spec: SweepSpec, todo: list[RunSpec], attempts: dict, *, threads,
                 gather: bool, worker_dir, progress: bool, stop: StopRequest, stop_timeout: float):
        self.client, self.spec, self.attempts = client, spec, attempts
        self.stop_request, self.stop_timeout = stop, stop_timeout
        self.stopping = self.stop_registered = False
        self.sweep_id = uuid.uuid4().hex
        self.new: dict[str, dict] = {}
        self.collected: set = set()
        self.bar = SweepProgress([r.name for r in todo], spec.updates, enabled=progress)
        client.subscribe_topic(PROGRESS_TOPIC, self._on_event)
        root = worker_dir or (_gather_root(spec) if gather else None)
        self.futures = {client.submit(run_task, spec, run, self.sweep_id, threads, root, gather, pure=False,
                                      key=f"npgan-sweep-{self.sweep_id[:8]}-{run.name}", retries=0): run
                        for run in todo}

    def _on_event(self, event) -> None:
        msg = event[1]
        if isinstance(msg, dict) and msg.get("sweep") == self.sweep_id:
            self.bar.running(msg["run"], msg["update"], msg.get("phase"))

    def _record(self, run: RunSpec, entry: dict) -> None:
        self.attempts[run.name] = self.new[run.name] = entry
        save_record(self.spec.out, self.spec, self.attempts)

    def _fail(self, run: RunSpec, error: str, **more) -> None:
        self._record(run, {"status": "failed", "error": error, **more})
        self.bar.finished(run.name, "failed", error)

    def collect(self, future) -> None:
        """Record a finished future's outcome, then let Dask drop its result (gathered files are large)."""
        if future in self.collected:
            return
        self.collected.add(future)
        try:
            self._outcome(self.futures[future], future)
        finally:
            future.release()

    def _outcome(self, run: RunSpec, future) -> None:
        if future.status == "cancelled":
            return
        if future.status == "error":
            exc = future.exception()
            self._fail(run, f"{type(exc).__name__}: {exc}")
            return
        outcome: RunOutcome = future.result()
        if outcome.status == "failed":
            self._fail(run, outcome.error, host=outcome.host, traceback=outcome.traceback)
            return
        folder = self.spec.folder(run)
        if outcome.files is not None:
            _write_files(folder, outcome.files)
        if outcome.status == "done" and not is_finished(folder, self.spec.updates):
            self._fail(run, f"the worker wrote the run to {outcome.folder} on {outcome.host}, which this "
                            "machine does not see: give --out a folder shared by every worker, or --gather")
            return
        self._record(run, {"status": outcome.status, "error": "", "start_update": outcome.start_update,
                           "end_update": outcome.end_update, "host": outcome.host,
                           "seconds": round(outcome.seconds, 3)})
        self.bar.finished(run.name, outcome.status)

    def _collect_done(self, until) -> None:
        """Collect futures as they finish, refreshing the bar, until none is pending or ``until()``."""
        pending = {f for f in self.futures if f not in self.collected}
        while pending and not until():
            try:
                done, pending = wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
            except (DaskTimeoutError, TimeoutError):
                done = set()
            for f in done:
                self.collect(f)
            self.bar.refresh()

    def follow(self) -> None:
        """Collect every future as it finishes; a stop request (or Ctrl-C) stops the runs (:meth:`stop`)."""
        try:
            self._collect_done(until=lambda: self.stop_request.requested)
        except KeyboardInterrupt:  # no handlers installed (a library call in the main thread)
            self.stop_request.request()
        if self.stop_request.requested and len(self.collected) < len(self.futures):
            self.stop()

    def stop(self) -> None:
        """Ask the runs to checkpoint and stop; wait for them (a second stop request stops waiting)."""
        self.stopping = True
        self.bar.note("stopping: each running run saves a checkpoint after its current update "
                      "(Ctrl-C again to stop waiting; the runs keep their last periodic checkpoint)")
        deadline = time.monotonic() + self.stop_timeout
        try:
            self.client.register_plugin(StopSweep(self.sweep_id), name=StopSweep.name_of(self.sweep_id))
            self.stop_registered = True
            self._collect_done(until=lambda: self.stop_request.repeated or time.monotonic() > deadline)
        except KeyboardInterrupt:
            pass
        self.client.cancel([f for f in self.futures if f not in self.collected])

    def close(self) -> None:
        """Unsubscribe, close the bar and forget this sweep's stop plugin (an existing cluster keeps running)."""
        self.client.unsubscribe_topic(PROGRESS_TOPIC)
        self.bar.close()
        if self.stop_registered:
            self.client.unregister_worker_plugin(StopSweep.name_of(self.sweep_id))


def _raise_if_stopped(stop: StopRequest) -> None:
    if stop.requested:
        raise KeyboardInterrupt  # before any run was submitted


def run_sweep(spec: SweepSpec, *, client=None, scheduler: str | None = None, workers: int | None = None,
              threads_per_run: int | None = None, gather: bool = False, worker_dir: str | None = None,
              progress: bool = True, stop: StopRequest | None = None,
              stop_timeout: float = 300.0, dask_log: Path | None = None) -> SweepResult:
    """Train and evaluate every unfinished run of ``spec`` on Dask, then write the summary.

    Parameters
    ----------
    spec : SweepSpec
        ``spec.out`` must be absolute when the runs are trained elsewhere (workers resolve it).
    client : distributed.Client, optional
        Use this client's cluster (``workers`` does not apply; ``threads_per_run`` default 1).
    scheduler : str, optional
        Address of an existing scheduler (``tcp://HOST:8786``), used as ``client``.
    workers, threads_per_run : int, optional
        The local cluster's shape (:func:`npgan.sweep.cluster.plan_local`).
    gather : bool
        Runs are written on the workers (``worker_dir``, default a folder in their temp directory)
        and their files sent back to ``spec.out`` when they finish; otherwise the workers write
        into ``spec.out`` directly, which must be the same folder on every worker.
    progress : bool
        Show the progress bar.
    stop : StopRequest, optional
        Polled while the runs train: once requested, they stop with a checkpoint (the CLI installs its
        signal handlers; it is held off while this call starts and closes the local cluster). Without
        it, Ctrl-C (``KeyboardInterrupt`` while the runs train) stops them.
    stop_timeout : float
        Seconds to wait for the runs to checkpoint after a stop.
    dask_log : pathlib.Path, optional
        A file for Dask's own messages while the runs train (this process's Dask logging and
        warnings, a local cluster's workers' output: :mod:`npgan.sweep.dask_log`); None leaves them
        where Dask puts them (the terminal).

    Returns
    -------
    SweepResult

    Raises
    ------
    KeyboardInterrupt
        Stopped before any run was submitted (nothing trained).
    npgan.models.memory.NotEnoughMemory
        The local cluster's runs cannot train at once in this machine's memory (nothing recorded).
    """
    t0 = time.perf_counter()
    for r in spec.runs:  # before sweep.json records the new settings
        check_settings(spec, r)
    todo = [r for r in spec.runs if not is_complete(spec, r)]
    skipped = [r.name for r in spec.runs if r not in todo]
    local, interrupted, new = None, False, {}
    if todo and client is None and scheduler is None:
        local = plan_local(len(todo), workers=workers, threads_per_run=threads_per_run)
        check_local_memory(replace(spec, runs=tuple(todo)), local.workers)
    old, attempts = load_record(spec.out)
    full = merge_specs(old, spec)
    save_record(spec.out, full, attempts)
    stop = StopRequest() if stop is None else stop
    if todo:
        threads = local.threads_per_run if local else (threads_per_run or 1)
        _raise_if_stopped(stop)
        quiet = nullcontext() if dask_log is None else dask_messages_to(dask_log)
        cluster = nullcontext(client) if client is not None else connect(scheduler, local, worker_log=dask_log)
        with quiet, cluster as c:
            _raise_if_stopped(stop)
            run = _Execution(c, full, todo, attempts, threads=threads, gather=gather, worker_dir=worker_dir,
                             progress=progress, stop=stop, stop_timeout=stop_timeout)
            try:
                run.follow()
            finally:
                run.close()
            interrupted, new = run.stopping, run.new
    summary = write_summary(spec.out)
    return SweepResult(summary=summary, attempts=new, skipped=skipped, interrupted=interrupted,
                       seconds=time.perf_counter() - t0, local=local)
