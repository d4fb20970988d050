"""The ``npgan`` command line (also ``python -m npgan``).

Commands, one module each::

    npgan train      train InfoGAN (or the GAN baseline); checkpoints, metrics, figures   (train.py)
    npgan recipes    every recipe's settings on every dataset, and the extra training terms (recipes.py)
    npgan traverse   the paper's Figure 2 traversal grids from a checkpoint                (runs.py)
    npgan eval       categorical accuracy, L_I, rotation/width correlations (table + JSON)  (runs.py)
    npgan sample     a grid of random samples                                               (runs.py)
    npgan curves     Figure 1: L_I against updates for several runs (InfoGAN vs GAN)        (runs.py)
    npgan report     one HTML page: settings, evaluation, figures, latent explorer, animation (report.py)
    npgan sweep      a grid of runs (recipes x settings x seeds) on Dask, one summary table   (sweep.py)

A command module defines ``add_parser(sub)``, which adds its sub-parser and sets ``func``; a user
error is a :class:`~npgan.cli._common.CLIError`, printed as one line with exit status 2. So is an
``OSError`` (a folder that cannot be written, a full disk) and a ``MemoryError``; Ctrl-C or SIGTERM
outside training's and sweeps' own handling prints one line and exits with 130 or 143, from the
first line of :func:`main` on, while numpy, numba and scipy are still being imported too
(:mod:`npgan.cli._interrupt`): this package imports its command modules only inside :func:`main`.
Notes of the library (logger ``npgan``: a torn metrics line dropped, a stale lock taken over) are
printed as ``npgan COMMAND: note: ...``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from npgan import __version__
from npgan.cli._common import CLIError, os_error_message
from npgan.cli._interrupt import catch_signals, exit_on_signal, exit_status, exit_while_starting, restore_signals

#: the command modules (npgan.cli.NAME), in the order ``npgan --help`` lists them; imported by
#: :func:`build_parser`, not here: they import numpy, numba and scipy (a second or more)
COMMANDS = ("train", "recipes", "runs", "report", "sweep")


def build_parser() -> argparse.ArgumentParser:
    """The ``npgan`` parser with every command's sub-parser (imports the command modules)."""
    parser = argparse.ArgumentParser(
        prog="npgan",
        description="InfoGAN from scratch in NumPy: train, traverse, evaluate and sample.",
    )
    parser.add_argument("--version", action="version", version=f"npgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"npgan.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    Without ``argv`` this process is the program (the ``npgan`` script, ``python -m npgan``): a
    signal after the command has returned then ends it at once with 130 / 143
    (:func:`~npgan.cli._interrupt.exit_on_signal`). With ``argv`` (a caller in Python, a test) the
    signal handlers found are put back.
    """
    program = argv is None
    # first: the imports in build_parser take a second or more
    handlers = exit_while_starting() if program else catch_signals()
    try:
        parser = build_parser()
        if program:
            catch_signals()
        return _main(parser, sys.argv[1:] if program else list(argv))
    except KeyboardInterrupt as exc:  # during the imports or parsing, or the command's last lines
        if program:
            exit_on_signal()
        print(f"npgan: {_stopped(exc)}", file=sys.stderr)
        return exit_status(exc)
    finally:
        if program:
            exit_on_signal()
        else:
            restore_signals(handlers)


def _stopped(exc: KeyboardInterrupt) -> str:
    return "interrupted" if exit_status(exc) == 130 else "terminated (SIGTERM)"


def _main(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    notes = logging.StreamHandler(sys.stderr)
    notes.setFormatter(logging.Formatter(f"npgan {args.command}: %(message)s"))
    logger = logging.getLogger("npgan")
    logger.addHandler(notes)
    logger.propagate = False
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        return _error(args.command, str(exc))
    except OSError as exc:
        return _error(args.command, os_error_message(exc))
    except MemoryError as exc:
        return _error(args.command, str(exc) or "out of memory")
    except KeyboardInterrupt as exc:  # Ctrl-C (or SIGTERM: Terminated) outside training's own handling
        print(f"npgan {args.command}: {_stopped(exc)}", file=sys.stderr)
        return exit_status(exc)
    finally:
        logger.removeHandler(notes)
        logger.propagate = True


def _error(command: str, message: str) -> int:
    print(f"npgan {command}: error: {message}", file=sys.stderr)
    return 2


__all__ = ["CLIError", "build_parser", "main"]
