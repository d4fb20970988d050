"""The ``npgan`` command line. Sub-commands are registered in :func:`build_parser`."""

from __future__ import annotations

import argparse
import sys

from npgan import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npgan",
        description="InfoGAN from scratch in NumPy: train, traverse, evaluate and sample.",
    )
    parser.add_argument("--version", action="version", version=f"npgan {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
