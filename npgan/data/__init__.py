"""Datasets: MNIST from the original IDX files, and synthetic digits with known factors.

Public API::

    load_mnist(split="train", data_dir=None, *, download=False) -> (uint8 (N, 28, 28), uint8 (N,))
    mnist_to_float(images) -> float32 (N, 1, 28, 28) in [0, 1]
    download_mnist(dest=None, ...)
    read_idx(path, *, magic=None, shape_tail=None)

    make_synthetic_digits(n, rng, ...) -> SyntheticDigits(images, factors, factor_names, ...)
    render_digits(digit, rotation, width, thickness, font) -> float32 (N, 1, 28, 28)

    load_dataset(name="mnist"|"synthetic", split="train"|"test", data_dir=None, ...)
        -> (float32 (N, 1, 28, 28) in [0, 1], int64 labels (N,))
"""

from npgan.data.datasets import DATASETS, load_dataset
from npgan.data.idx import parse_idx, read_idx
from npgan.data.mnist import (
    MNIST_MD5,
    MNISTDownloadError,
    default_data_dir,
    download_mnist,
    find_mnist_files,
    load_mnist,
    mnist_to_float,
)
from npgan.data.synthetic import (
    DEFAULT_RANGES,
    FACTOR_NAMES,
    FONTS,
    SyntheticDigits,
    factor_sweeps,
    make_synthetic_digits,
    render_digits,
)

__all__ = [
    "DATASETS",
    "DEFAULT_RANGES",
    "FACTOR_NAMES",
    "FONTS",
    "SyntheticDigits",
    "factor_sweeps",
    "load_dataset",
    "make_synthetic_digits",
    "render_digits",
    "MNIST_MD5",
    "MNISTDownloadError",
    "default_data_dir",
    "download_mnist",
    "find_mnist_files",
    "load_mnist",
    "mnist_to_float",
    "parse_idx",
    "read_idx",
]
