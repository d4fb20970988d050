"""Dask's own messages go to a log file in the sweep's folder, not to the user's terminal.

A local cluster prints things a user cannot act on: "Port 8787 is already in use" (a warning of
the scheduler's HTTP server), "Worker process still alive after 4.0 seconds, killing" (a nanny at
the end of a sweep), distributed's logging. :func:`dask_messages_to` sends, while it is entered,
the client process's Dask loggers and Dask's warnings to the file; the local workers are started
with :data:`WORKER_LOG_ENV` naming it, and their preload (:mod:`npgan.sweep._signals`) sends their
output there too. npgan's own lines (the bar, a run done or failed, the summary) stay on the terminal.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from pathlib import Path

#: the log's name in the sweep's folder
DASK_LOG = "dask.log"
#: the environment variable that tells a local worker's preload where the log is (the preload,
#: loaded by path, spells it out too: npgan.sweep._signals.LOG_ENV)
WORKER_LOG_ENV = "NPGAN_DASK_LOG"
#: loggers of the client process whose messages go to the log
LOGGERS = ("distributed", "dask", "tornado", "bokeh")


def _from_dask(filename: str) -> bool:
    """True if a warning was raised in Dask's own code (distributed, dask, tornado)."""
    parts = Path(filename).parts
    return any(name in parts for name in ("distributed", "dask", "tornado"))


@contextmanager
def dask_messages_to(path):
    """Send the Dask loggers' records and Dask's warnings to ``path`` (appended) while entered.

    The loggers' own handlers and propagation, and :func:`warnings.showwarning`, are restored on
    exit. Other warnings are shown as before.
    """
    path = Path(path)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.handlers[:], logger.propagate)
        logger.handlers = [handler]
        logger.propagate = False
    shown = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if not _from_dask(filename):
            return shown(message, category, filename, lineno, file, line)
        handler.acquire()
        try:  # the warning as Python prints it, in the log
            handler.stream.write(warnings.formatwarning(message, category, filename, lineno, line))
            handler.flush()
        finally:
            handler.release()

    warnings.showwarning = showwarning
    try:
        yield path
    finally:
        warnings.showwarning = shown
        for name, (handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, propagate
        handler.close()
