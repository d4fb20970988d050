"""One entry point for the training code: ``load_dataset(name, split, ...)``."""

from __future__ import annotations

import numpy as np

from npgan._checks import check_int
from npgan.data.mnist import load_mnist, mnist_to_float
from npgan.data.synthetic import make_synthetic_digits

__all__ = ["DATASETS", "MNIST_SIZES", "SYNTHETIC_SEEDS", "SYNTHETIC_SIZES", "load_dataset", "n_test_images"]

#: Names accepted by :func:`load_dataset`.
DATASETS = ("mnist", "synthetic")

#: Default seed of each synthetic split, so that "train" and "test" are fixed and different.
SYNTHETIC_SEEDS = {"train": 0, "test": 1}

#: Size of each MNIST split.
MNIST_SIZES = {"train": 60000, "test": 10000}

#: Default size of each synthetic split (as MNIST).
SYNTHETIC_SIZES = dict(MNIST_SIZES)


def n_test_images(dataset: str, limit: int | None = None) -> int:
    """How many test images of ``dataset`` an evaluation reads: all of the split, or ``limit``."""
    return limit or (SYNTHETIC_SIZES if dataset == "synthetic" else MNIST_SIZES)["test"]


def load_dataset(name: str = "mnist", split: str = "train", data_dir=None, *, download: bool = False,
                 n: int | None = None, rng=None):
    """Load a data set as float32 NCHW images in [0, 1] and integer labels.

    Parameters
    ----------
    name : {"mnist", "synthetic"}
        ``"mnist"``: the MNIST files (see :func:`npgan.data.load_mnist` for where
        they are looked for). ``"synthetic"``: digits rendered from fonts with
        known factors (:func:`npgan.data.make_synthetic_digits`, default ranges).
    split : {"train", "test"}
    data_dir : str or os.PathLike, optional
        MNIST folder; must be None for ``"synthetic"``.
    download : bool
        MNIST only: download missing files (verified) into the folder.
    n : int, optional
        Number of images. MNIST: the first ``n`` of the split (default all);
        synthetic: default 60 000 for train, 10 000 for test.
    rng : numpy.random.Generator or int, optional
        Synthetic only: randomness of the factors; default a fixed seed per
        split (:data:`SYNTHETIC_SEEDS`), so repeated loads are identical.

    Returns
    -------
    images : numpy.ndarray
        float32 (N, 1, 28, 28) in [0, 1].
    labels : numpy.ndarray
        int64 (N,), digit class 0..9.
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a str, got {type(name).__name__}")
    if name not in DATASETS:
        raise ValueError(f"`name` must be one of {DATASETS}, got {name!r}")
    if not isinstance(split, str):
        raise TypeError(f"`split` must be a str, got {type(split).__name__}")
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}")
    if n is not None:
        n = check_int(n, "n", minimum=0)
    if name == "mnist":
        if rng is not None:
            raise ValueError("`rng` is only used by the 'synthetic' dataset; MNIST is fixed data")
        images, labels = load_mnist(split, data_dir, download=download)
        if n is not None:
            if n > images.shape[0]:
                raise ValueError(f"`n` must be <= {images.shape[0]} for MNIST {split}, got {n}")
            images, labels = images[:n], labels[:n]
        return mnist_to_float(images), labels.astype(np.int64)
    if data_dir is not None or download:
        raise ValueError("`data_dir` and `download` apply to 'mnist' only; 'synthetic' is rendered on the fly")
    ds = make_synthetic_digits(SYNTHETIC_SIZES[split] if n is None else n,
                               SYNTHETIC_SEEDS[split] if rng is None else rng)
    return ds.images, ds.labels
