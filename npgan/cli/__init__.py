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
``OSError`` (a folder that cannot be written, a full disk) and a ``MemoryError``; Ctrl-C outside
training prints one line and exits with 130. Notes of the library (logger ``npgan``: a torn metrics
line dropped, a stale lock taken over) are printed as ``npgan COMMAND: note: ...``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from npgan import __version__
from npgan.cli import recipes, report, runs, sweep, train
from npgan.cli._common import CLIError, os_error_message

#: the command modules, in the order ``npgan --help`` lists them
COMMANDS = (train, recipes, runs, report, sweep)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npgan",
        description="InfoGAN from scratch in NumPy: train, traverse, evaluate and sample.",
    )
    parser.add_argument("--version", action="version", version=f"npgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
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
    except KeyboardInterrupt:
        print(f"npgan {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(notes)
        logger.propagate = True


def _error(command: str, message: str) -> int:
    print(f"npgan {command}: error: {message}", file=sys.stderr)
    return 2


__all__ = ["CLIError", "build_parser", "main"]
