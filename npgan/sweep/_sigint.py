"""Dask preload of a local sweep's workers (loaded by file path, so it imports nothing of npgan).

A terminal sends Ctrl-C to the whole process group, workers included; they ignore it so that the
client alone stops the runs, each with a checkpoint (:func:`npgan.sweep.worker.request_stop`).
Importing npgan here would import numba before the worker's thread limits reach its environment.
"""

import signal
import threading


def dask_setup(worker) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
