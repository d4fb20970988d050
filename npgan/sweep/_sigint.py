"""Dask preload of a local sweep's workers (loaded by file path, so it imports nothing of npgan).

A terminal sends Ctrl-C to the whole process group, workers included; they ignore it so that the
client alone stops the runs, each with a checkpoint (:func:`npgan.sweep.worker.request_stop`).
Loading it by path keeps the worker's start light (no npgan, numba or matplotlib before a task needs them).
"""

import signal
import threading


def dask_setup(worker) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
