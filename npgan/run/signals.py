"""Ctrl-C (SIGINT) and SIGTERM during training: a request to stop, honoured between updates.

The first signal sets :attr:`StopSignals.signum`; the loop finishes the current update, saves a
checkpoint and stops (a batch scheduler's or ``docker stop``'s SIGTERM is handled like Ctrl-C). A
second signal while a checkpoint is being written waits for the write (with a note); a second
signal inside an update stops at once, keeping the last checkpoint (the networks are half-updated,
so that state is never saved). Only the main thread can install signal handlers; elsewhere (a sweep's
worker threads) this is a no-op and the caller stops through the callback.
"""

from __future__ import annotations

import logging
import signal
import threading

logger = logging.getLogger("npgan")

#: exit status of a process stopped by each signal (128 + signal number), as shells report it
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class StopSignals:
    """Install the handlers for the duration of a ``with`` block.

    The loop sets :attr:`in_update` around each update and :attr:`saving` around each checkpoint.
    """

    def __init__(self):
        self.signum: int | None = None
        self.reason = ""
        self.in_update = False
        self.saving = False
        self._old: dict = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int, reason: str) -> None:
        """Ask to stop as ``signum`` would (its exit status), described as ``reason``; the first request wins."""
        if self.signum is None:
            self.signum, self.reason = signum, reason

    def _handler(self, signum, frame):
        name = signal.Signals(signum).name
        if self.signum is None:
            self.request(signum, "Ctrl-C (SIGINT)" if signum == signal.SIGINT else name)
            logger.warning("note: %s: stopping after this update (a checkpoint is saved first)", name)
            return
        if self.saving:
            logger.warning("note: %s: a checkpoint is being written; it finishes first", name)
            return
        if self.in_update:
            raise KeyboardInterrupt
        logger.warning("note: %s: already stopping", name)

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> bool:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()
        return False
