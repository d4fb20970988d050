"""Dask preload of a local sweep's workers (loaded by file path, so it imports nothing of npgan).

A terminal sends Ctrl-C to the whole process group, and ``kill -TERM -- -PGID`` SIGTERM, workers
included. The workers are started with both signals blocked (:func:`npgan.sweep.stop.signals_blocked`);
here they also ignore them, so that the client alone stops the runs, each with a checkpoint
(:class:`npgan.sweep.worker.StopSweep`). A worker killed by the signal would be restarted by its
nanny and run its task again, never told to stop. Loading this file by path keeps the worker's start
light (no npgan, numba or matplotlib before a task needs them).

Where :data:`LOG_ENV` names a file (``npgan sweep``'s ``OUT/dask.log``, :mod:`npgan.sweep.dask_log`),
the worker's stdout and stderr go there: Dask's logging and warnings are nothing a user can act on,
and a run's failure reaches the client as its outcome.
"""

import os
import signal
import threading

#: npgan.sweep.dask_log.WORKER_LOG_ENV
LOG_ENV = "NPGAN_DASK_LOG"


def dask_setup(worker) -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
    path = os.environ.get(LOG_ENV)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
        finally:
            os.close(fd)
