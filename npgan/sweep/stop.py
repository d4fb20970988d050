"""How a sweep hears Ctrl-C and SIGTERM: as a request it polls, never as an exception in Dask's code.

A terminal's Ctrl-C and ``kill -TERM -- -PGID`` reach every process of the group: the client and the
local cluster's workers. Only the client acts on them. :class:`StopRequest`'s handlers record the
signal; before the sweep starts they raise ``KeyboardInterrupt`` (nothing runs yet), and inside
:meth:`StopRequest.deferred` (the sweep itself) they only record it, and the sweep polls
:attr:`StopRequest.requested` between its steps. So a signal never interrupts the cluster's start
or close halfway (which left Dask's exit handlers failing on a half-made cluster).

:func:`signals_blocked` blocks both signals in the calling thread while the local cluster is made:
the cluster's event-loop thread, and through it every worker process the nannies spawn (also when
they restart one), inherit the blocked mask, so no worker ever receives either signal, not even
while it is still importing. Nothing here imports Dask.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from npgan.run.signals import EXIT_STATUS

#: the signals that stop a sweep
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """The stop signals (SIGINT, SIGTERM) a sweep has received, in order.

    Also what a program that runs :func:`npgan.sweep.runner.run_sweep` in a thread calls to stop it:
    ``request(signal.SIGINT)``.
    """

    def __init__(self):
        self.signals: list[signal.Signals] = []
        self._deferred = 0

    @property
    def requested(self) -> bool:
        """A stop was asked for."""
        return bool(self.signals)

    @property
    def repeated(self) -> bool:
        """A stop was asked for twice (stop waiting for the runs' checkpoints)."""
        return len(self.signals) > 1

    @property
    def exit_status(self) -> int:
        """The exit status of the first signal (130 for SIGINT, 143 for SIGTERM; 130 if none)."""
        return EXIT_STATUS[self.signals[0]] if self.signals else EXIT_STATUS[signal.SIGINT]

    def request(self, signum: int = signal.SIGINT) -> None:
        """Record a stop as ``signum`` would."""
        self.signals.append(signal.Signals(signum))

    def _handler(self, signum, frame) -> None:
        self.request(signum)
        if not self._deferred:
            raise KeyboardInterrupt

    @contextmanager
    def deferred(self):
        """Inside: a signal is only recorded (the sweep polls :attr:`requested`); outside, it raises
        ``KeyboardInterrupt`` once recorded."""
        self._deferred += 1
        try:
            yield self
        finally:
            self._deferred -= 1

    @contextmanager
    def installed(self):
        """The handlers of SIGINT and SIGTERM for the ``with`` block (the main thread only: elsewhere
        nothing is installed and only :meth:`request` stops the sweep). A signal ignored on entry
        stays ignored, as in ``npgan train`` (a job started in the background with ``&`` from a
        script ignores SIGINT, so that the terminal's Ctrl-C does not reach it)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {sig: signal.signal(sig, self._handler) for sig in STOP_SIGNALS
               if signal.getsignal(sig) is not signal.SIG_IGN}
        try:
            yield self
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)


@contextmanager
def signals_blocked():
    """SIGINT and SIGTERM blocked in the calling thread (and every thread and process it starts) for
    the ``with`` block; signals that arrive meanwhile are delivered when it ends.

    multiprocessing's resource tracker is started first: starting it unblocks both signals in the
    thread that starts it (``multiprocessing.resource_tracker.ensure_running``), which would otherwise
    be Dask's event loop, the parent of every worker process.
    """
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
