"""Ctrl-C and SIGTERM outside the handlers of training and sweeps: one line, exit 130 or 143.

The command line's first code (:func:`npgan.cli.main`, before it imports numpy, numba, scipy or
matplotlib, a second or more) installs :func:`catch_signals`: SIGINT raises
``KeyboardInterrupt`` (Python's own default) and SIGTERM raises :class:`Terminated`, a
``KeyboardInterrupt`` too, so cleanup written for Ctrl-C runs for both and ``main`` reports either
in one line with the shell's status (:func:`exit_status`). Training and sweeps install their own
handlers inside this (they stop between updates) and put these back when they return. A signal
that is ignored (``nohup``, a sweep's worker) stays ignored.

Once the command has returned, the program itself (not a caller of ``main``) ends at once on a
signal, with the same status and without a traceback (:func:`exit_on_signal`): a Ctrl-C during the
interpreter's shutdown otherwise prints "Exception ignored in atexit callback" and a traceback.

This module imports nothing heavy: it runs before the command modules are imported.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

#: the signals handled here and the exit status of each (128 + its number, as shells report it)
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived outside training's and sweeps' own handlers (exit status 143)."""


def exit_status(exc: KeyboardInterrupt) -> int:
    """The exit status for ``exc``: 143 for :class:`Terminated` (SIGTERM), else 130 (Ctrl-C)."""
    return EXIT_STATUS[signal.SIGTERM] if isinstance(exc, Terminated) else EXIT_STATUS[signal.SIGINT]


def _raise_terminated(signum, frame):
    raise Terminated


def _install(handlers: dict) -> dict:
    """Install ``handlers`` (signal -> handler) in the main thread, except over an ignored signal;
    returns the handlers they replaced."""
    old = {}
    if threading.current_thread() is not threading.main_thread():
        return old
    for sig, handler in handlers.items():
        current = signal.getsignal(sig)
        if current is signal.SIG_IGN:
            continue
        old[sig] = signal.signal(sig, handler)
    return old


def catch_signals() -> dict:
    """From now on SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`.

    Returns the handlers replaced, for :func:`restore_signals`. Outside the main thread (where
    handlers cannot be installed) and for an ignored signal this changes nothing.
    """
    return _install({signal.SIGINT: signal.default_int_handler, signal.SIGTERM: _raise_terminated})


def restore_signals(old: dict) -> None:
    """Put back the handlers :func:`catch_signals` replaced."""
    for sig, handler in old.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _exit_now(signum, frame):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream: the exit status still says what happened
            pass
    os._exit(EXIT_STATUS.get(signum, 128 + signum))


def _exit_starting(signum, frame):
    sys.stderr.write("npgan: interrupted\n" if signum == signal.SIGINT else "npgan: terminated (SIGTERM)\n")
    _exit_now(signum, frame)


def exit_while_starting() -> dict:
    """While the program imports its command modules: SIGINT and SIGTERM end it at once, in one line,
    with 130 / 143. Nothing is there to save yet, and an exception raised inside numpy's import
    would come out as numpy's ImportError and a traceback. Returns the handlers replaced."""
    return _install({signal.SIGINT: _exit_starting, signal.SIGTERM: _exit_starting})


def exit_on_signal() -> None:
    """From now on, SIGINT and SIGTERM end this process at once with 130 / 143 (no traceback).

    For the program only, after its command has returned: nothing of npgan's is left to save.
    """
    _install({signal.SIGINT: _exit_now, signal.SIGTERM: _exit_now})


__all__ = ["EXIT_STATUS", "Terminated", "catch_signals", "exit_on_signal", "exit_status", "exit_while_starting",
           "restore_signals"]
