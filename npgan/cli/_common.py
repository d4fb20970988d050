"""What the command modules share: the one-line user error, argument types, loading data and runs.

The size options have documented maxima (their ``--help`` states them), so that no option can ask
for more memory than a laptop has: :data:`MAX_UPDATES`, :data:`MAX_SUBSET`, :data:`MAX_SAMPLES`,
:data:`MAX_EVAL_SAMPLES`, :data:`MAX_BASES`, :data:`MAX_TEST_IMAGES`, and the model's own
(``npgan.models.infogan.MAX_BATCH_SIZE`` and the latent sizes of ``npgan.models.latent``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

#: --updates and --checkpoint-every
MAX_UPDATES = 10_000_000
#: --subset: the largest training split (MNIST's and the synthetic digits')
MAX_SUBSET = 60_000
#: sample --n (a 100 x 100 grid)
MAX_SAMPLES = 10_000
#: eval --samples (the samples of the L_I estimate are held at once: 313 MB at the maximum)
MAX_EVAL_SAMPLES = 100_000
#: eval --bases (11 images per base and code are held at once)
MAX_BASES = 4096
#: eval --limit: the test split's size
MAX_TEST_IMAGES = 10_000


#: the first bytes of every PNG file
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class CLIError(Exception):
    """A user error reported as one line, exit status 2."""


def error_line(exc: Exception) -> str:
    """The one line a command prints for a library error (a failed MNIST download has a long message)."""
    return getattr(exc, "summary", None) or str(exc)


def int_at_least(minimum: int, what: str, maximum: int | None = None):
    """An argparse type: an integer in [``minimum``, ``maximum``], with a message naming what was expected
    (``what``, e.g. ``"a positive integer"``)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
        if maximum is not None and v > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum}, got {v}")
        return v
    return parse


positive_int = int_at_least(1, "a positive integer")
nonneg_int = int_at_least(0, "a non-negative integer")


def positive_int_max(maximum: int):
    """An argparse type: a positive integer <= ``maximum``."""
    return int_at_least(1, "a positive integer", maximum)


def add_eval_size_options(parser, prefix: str = "") -> None:
    """Add the evaluation's size options to ``parser`` (a parser or an argument group): ``--samples``,
    ``--bases`` and ``--limit``, each named ``--{prefix}NAME`` (dest ``{prefix}NAME`` with ``-`` as ``_``):
    ``npgan eval``'s with no prefix, ``npgan sweep``'s with ``prefix="eval-"``."""
    parser.add_argument(f"--{prefix}samples", type=positive_int_max(MAX_EVAL_SAMPLES), default=10000,
                        help=f"samples for the L_I estimate (at most {MAX_EVAL_SAMPLES:,}; default 10,000)")
    parser.add_argument(f"--{prefix}bases", type=int_at_least(2, "an integer >= 2", MAX_BASES), default=64,
                        help=f"base latents per continuous sweep (at most {MAX_BASES}; default 64)")
    parser.add_argument(f"--{prefix}limit", type=positive_int_max(MAX_TEST_IMAGES), default=None,
                        help=f"use only the first N test images (at most {MAX_TEST_IMAGES:,}; default: all)")


def os_error_message(exc: OSError) -> str:
    """An OSError as one line: the file (if known) and the reason, without the errno prefix."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return v


def positive_float_max(maximum: float):
    """An argparse type: a number in (0, ``maximum``]."""
    def parse(text: str) -> float:
        v = positive_float(text)
        if v > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum:g}, got {text}")
        return v
    return parse


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
        raise CLIError(error_line(exc)) from exc


def load_run(path):
    """``(nets, meta)`` of a checkpoint file or run folder (:func:`npgan.train.load_trained`)."""
    from npgan.train import load_trained
    try:
        return load_trained(path)
    except (FileNotFoundError, ValueError) as exc:  # CheckpointError is a ValueError
        raise CLIError(str(exc)) from exc


def read_run_metrics(folder) -> list[dict]:
    """The metrics records of a run folder (a torn last line is dropped with a note)."""
    from npgan.run import MetricsError, read_metrics
    from npgan.run.metrics import PLOTTED
    path = Path(folder) / "metrics.jsonl"
    try:
        return read_metrics(path, fields=PLOTTED).records
    except FileNotFoundError:
        raise CLIError(f"{folder} is not a training run folder (no metrics.jsonl)") from None
    except MetricsError as exc:
        raise CLIError(str(exc)) from None


def _is_png(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE


def _is_evaluation(path: Path) -> bool:
    from npgan.evaluation.eval_file import read_eval
    try:
        read_eval(path)
    except ValueError:
        return False
    return True


def check_replaceable(path: Path, flag: str, kind: str) -> Path:
    """The one check of every output file: ``path`` is new or already a file of ``kind`` (``"png"`` or
    ``"evaluation"``), i.e. one this command writes; anything else (a checkpoint, a metrics log, a
    config.json, a folder, any other file) is never written over. Returns ``path``.
    """
    if path.is_dir():
        raise CLIError(f"{flag}: {path} is a folder, not a file")
    is_kind, what = {"png": (_is_png, "a PNG image"), "evaluation": (_is_evaluation, "an npgan evaluation")}[kind]
    if path.exists() and not is_kind(path):
        raise CLIError(f"{flag}: {path} exists and is not {what}: it is not written over "
                       "(remove it or choose another name)")
    return path


def output_file(text: str, flag: str, suffix: str, default_name: str) -> Path:
    """The path an output option names: ``suffix`` added to a name without one, ``default_name``
    inside an existing folder; another suffix is an error; then :func:`check_replaceable`."""
    path = Path(text)
    if path.is_dir():
        path = path / default_name
    elif not path.suffix:
        path = path.with_name(path.name + suffix)
    elif path.suffix.lower() != suffix:
        raise CLIError(f"{flag}: expected a {suffix} file name, got {text!r}")
    return check_replaceable(path, flag, "png" if suffix == ".png" else "evaluation")


def run_folder(checkpoint) -> Path:
    """The run folder of a checkpoint file or run folder."""
    p = Path(checkpoint)
    return p if p.is_dir() else p.parent
