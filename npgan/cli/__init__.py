"""The ``npgan`` command line (also ``python -m npgan``).

Commands, one module each::

    npgan train      train InfoGAN (or the GAN baseline); checkpoints, metrics, figures   (train.py)
    npgan recipes    every recipe's settings on every dataset, and the extra training terms (recipes.py)
    npgan traverse   the paper's Figure 2 traversal grids from a checkpoint                (runs.py)
    npgan eval       categorical accuracy, L_I, rotation/width correlations (table + JSON)  (runs.py)
    npgan sample     a grid of random samples                                               (runs.py)
    npgan curves     Figure 1: L_I against updates for several runs (InfoGAN vs GAN)        (runs.py)
    npgan report     one HTML page: settings, evaluation, figures, latent explorer, animation (report.py)

A command module defines ``add_parser(sub)``, which adds its sub-parser and sets ``func``; a user
error is a :class:`~npgan.cli._common.CLIError`, printed as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from npgan import __version__
from npgan.cli import recipes, report, runs, train
from npgan.cli._common import CLIError

#: the command modules, in the order ``npgan --help`` lists them
COMMANDS = (train, recipes, runs, report)


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
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"npgan {args.command}: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["CLIError", "build_parser", "main"]
