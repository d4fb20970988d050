"""Datasets: MNIST from the original IDX files, and synthetic digits with known factors.

Public API::

    load_mnist(split="train", data_dir=None, *, download=False) -> (uint8 (N, 28, 28), uint8 (N,))
    mnist_to_float(images) -> float32 (N, 1, 28, 28) in [0, 1]
    download_mnist(dest=None, ...)
    read_idx(path, *, magic=None, shape_tail=None)
"""

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

__all__ = [
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
