"""Dask preload of a local sweep's workers (loaded by file path, so it imports nothing of npgan).

A terminal sends Ctrl-C to the whole process group, and ``kill -TERM -- -PGID`` SIGTERM, workers
included. The workers are started with both signals blocked (:func:`npgan.sweep.stop.signals_blocked`);
here they also ignore them, so that the client alone stops the runs, each with a checkpoint
(:class:`npgan.sweep.worker.StopSweep`). A worker killed by the signal would be restarted by its
nanny and run its task again, never told to stop. Loading this file by path keeps the worker's start
light (no npgan, numba or matplotlib before a task needs them).
"""

import signal
import threading


def dask_setup(worker) -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
