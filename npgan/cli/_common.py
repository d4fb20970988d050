"""What the command modules share: the one-line user error, argument types, loading data and runs."""

from __future__ import annotations

import argparse
from pathlib import Path


class CLIError(Exception):
    """A user error reported as one line, exit status 2."""


def int_at_least(minimum: int, what: str):
    """An argparse type: an integer >= ``minimum``, with a message naming what was expected."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {v}")
        return v
    return parse


positive_int = int_at_least(1, "positive")
nonneg_int = int_at_least(0, "non-negative")


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return v


def setting(text: str) -> tuple[str, str]:
    """An argparse type: ``KEY=VALUE`` as a pair of stripped strings."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (see `npgan recipes`), got {text!r}")
    return key.strip(), value.strip()


def load_images(dataset: str, split: str, data_dir, n: int | None = None):
    """Images (float32 NCHW in [0, 1]) and labels; MNIST is downloaded (verified) if missing."""
    from npgan.data import MNISTDownloadError, load_dataset
    try:
        if dataset == "mnist":
            return load_dataset("mnist", split=split, data_dir=data_dir, download=True, n=n)
        if data_dir is not None:
            raise CLIError("--data-dir applies to --dataset mnist only (synthetic digits are rendered on the fly)")
        return load_dataset(dataset, split=split, n=n)
    except (FileNotFoundError, MNISTDownloadError, ValueError) as exc:
        raise CLIError(str(exc)) from exc


def load_run(path):
    """``(nets, meta)`` of a checkpoint file or run folder (:func:`npgan.train.load_trained`)."""
    from npgan.train import load_trained
    try:
        return load_trained(path)
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from exc


def run_folder(checkpoint) -> Path:
    """The run folder of a checkpoint file or run folder."""
    p = Path(checkpoint)
    return p if p.is_dir() else p.parent
