"""MNIST: locate, download (verified) and load the four original IDX files.

Where the files are looked for, in order:

1. the ``data_dir`` argument (the command line's ``--data-dir``),
2. the folder named by the environment variable ``NPGAN_DATA``,
3. the cache folder ``~/.cache/npgan/mnist``.

The folder must hold the four files of the original distribution, gzipped or
not, e.g. ``train-images-idx3-ubyte.gz`` or ``train-images-idx3-ubyte``
(the ``train-images.idx3-ubyte`` spelling of some re-packagings is accepted
too). Nothing is ever downloaded unless asked for (``download=True`` or
:func:`download_mnist`), and there is never a silent fallback to other data.

Downloads use only :mod:`urllib`, try each mirror in :data:`MIRRORS` in turn,
write to a temporary file that is renamed into place only after the MD5 of
the *decompressed* bytes matched :data:`MNIST_MD5` (the gzip wrappers differ
between mirrors; the content does not).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from npgan.data.idx import read_idx, read_idx_bytes

__all__ = [
    "MIRRORS",
    "MNIST_FILES",
    "MNIST_MD5",
    "MNISTDownloadError",
    "default_data_dir",
    "download_mnist",
    "find_mnist_files",
    "load_mnist",
    "mnist_to_float",
]

#: Mirrors tried in order; each must serve ``<mirror><file>.gz``.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: split -> (images file stem, labels file stem)
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: MD5 of the decompressed bytes of each file.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

_IMAGES_MAGIC = 0x00000803  # uint8, 3 dimensions
_LABELS_MAGIC = 0x00000801  # uint8, 1 dimension
_ALL_STEMS = tuple(stem for pair in MNIST_FILES.values() for stem in pair)


class MNISTDownloadError(RuntimeError):
    """No mirror delivered a file with the right checksum.

    The message lists every mirror's failure and what to do; ``summary`` says it in one line (what
    the command line prints).
    """

    def __init__(self, message: str, summary: str | None = None):
        super().__init__(message)
        self.summary = message.splitlines()[0] if summary is None else summary


def default_data_dir(data_dir=None) -> Path:
    """Folder to look in: ``data_dir``, else ``$NPGAN_DATA``, else ``~/.cache/npgan/mnist``."""
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"`data_dir` must be a str or os.PathLike, got {type(data_dir).__name__}")
        return Path(os.fspath(data_dir)).expanduser()
    env = os.environ.get("NPGAN_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "npgan" / "mnist"


def _candidates(folder: Path, stem: str) -> list[Path]:
    # "train-images-idx3-ubyte" is also distributed as "train-images.idx3-ubyte".
    dotted = stem.replace("-idx", ".idx")
    return [folder / name for s in (stem, dotted) for name in (s + ".gz", s)]


def find_mnist_files(data_dir=None) -> tuple[Path, dict[str, Path], list[str]]:
    """Look for the four MNIST files.

    Returns
    -------
    folder : pathlib.Path
        The folder searched (see :func:`default_data_dir`).
    found : dict
        File stem (e.g. ``"train-images-idx3-ubyte"``) -> path found.
    missing : list of str
        Stems not found.

    Raises
    ------
    ValueError
        If a file's name is taken by a directory (or another non-file).
    """
    folder = default_data_dir(data_dir)
    found, missing = {}, []
    for stem in _ALL_STEMS:
        candidates = _candidates(folder, stem)
        blocked = [p for p in candidates if p.exists() and not p.is_file()]
        if blocked:  # never "missing" (which would start a download into it)
            raise ValueError(f"{blocked[0]} is a directory (or another non-file), not the MNIST file "
                             f"{stem}: move it away")
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(stem)
        else:
            found[stem] = hit
    return folder, found, missing


def _check_split(split) -> str:
    if not isinstance(split, str):
        raise TypeError(f"`split` must be a str, got {type(split).__name__}")
    if split not in MNIST_FILES:
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}")
    return split


def _how_to_fix(folder: Path, stems) -> str:
    names = "\n".join(f"  {s}.gz" for s in stems)
    return (
        f"Put these files (from the MNIST distribution, gzipped or not) into {folder}:\n{names}\n"
        "or point npgan at a folder holding them with the environment variable NPGAN_DATA "
        "or --data-dir (data_dir=...), or call load_mnist(..., download=True) / "
        "npgan.data.download_mnist() where the internet is reachable."
    )


def load_mnist(split: str = "train", data_dir=None, *, download: bool = False):
    """Load one MNIST split as uint8 arrays.

    Parameters
    ----------
    split : {"train", "test"}
        ``"train"`` (60 000 images) or ``"test"`` (10 000 images).
    data_dir : str or os.PathLike, optional
        Folder holding the files; see :func:`default_data_dir` for the search order.
    download : bool
        If True and files are missing, fetch them into that folder with
        :func:`download_mnist` first.

    Returns
    -------
    images : numpy.ndarray
        uint8, shape (N, 28, 28), values 0..255 (0 = background).
    labels : numpy.ndarray
        uint8, shape (N,), values 0..9.

    Raises
    ------
    FileNotFoundError
        If files are missing and ``download`` is False; lists the missing
        files and the folder searched.
    ValueError
        If a file is corrupt (bad magic, truncated, wrong shape) or images
        and labels disagree in count.
    """
    split = _check_split(split)
    if not isinstance(download, (bool, np.bool_)):
        raise TypeError(f"`download` must be a bool, got {type(download).__name__}")
    img_stem, lab_stem = MNIST_FILES[split]
    folder, found, _ = find_mnist_files(data_dir)
    missing = [s for s in (img_stem, lab_stem) if s not in found]
    if missing and download:
        download_mnist(folder, files=missing)
        folder, found, _ = find_mnist_files(folder)
        missing = [s for s in (img_stem, lab_stem) if s not in found]
    if missing:
        raise FileNotFoundError(
            f"MNIST {split} split not found: missing {', '.join(missing)} in {folder}.\n"
            + _how_to_fix(folder, missing)
        )
    images = read_idx(found[img_stem], magic=_IMAGES_MAGIC, shape_tail=(28, 28))
    labels = read_idx(found[lab_stem], magic=_LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{found[img_stem]} holds {images.shape[0]} images but {found[lab_stem]} "
            f"holds {labels.shape[0]} labels"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{found[lab_stem]}: labels must be 0..9, found {int(labels.max())}")
    return images, labels


def mnist_to_float(images: np.ndarray) -> np.ndarray:
    """Convert uint8 images (N, 28, 28) to float32 NCHW (N, 1, 28, 28) in [0, 1]."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"`images` must be a numpy.ndarray, got {type(images).__name__}")
    if images.dtype != np.uint8:
        raise TypeError(f"`images` must have dtype uint8, got {images.dtype}")
    if images.ndim != 3:
        raise ValueError(f"`images` must be 3-dimensional (N, H, W), got shape {images.shape}")
    out = images.astype(np.float32)[:, None]
    out *= np.float32(1.0 / 255.0)
    return out


def _fetch(url: str, dest: Path, *, opener, timeout: float, progress: bool) -> None:
    """Stream ``url`` into the file ``dest`` with a tqdm progress bar."""
    from tqdm.auto import tqdm

    with opener(url, timeout=timeout) as resp, open(dest, "wb") as fh:
        length = resp.headers.get("Content-Length") if getattr(resp, "headers", None) else None
        total = int(length) if length and str(length).isdigit() else None
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1],
                  disable=not progress, leave=False) as bar:
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                fh.write(chunk)
                bar.update(len(chunk))


def download_mnist(dest=None, *, files=None, mirrors=None, timeout: float = 60.0,
                   progress: bool = True, opener=None) -> Path:
    """Download the MNIST files that are not yet in ``dest``, verifying checksums.

    Parameters
    ----------
    dest : str or os.PathLike, optional
        Target folder (created if needed); default as in :func:`default_data_dir`.
    files : sequence of str, optional
        File stems to fetch (default: all four). Files already present are skipped.
    mirrors : sequence of str, optional
        Base URLs tried in order (default :data:`MIRRORS`); ``<mirror><stem>.gz`` is fetched.
    timeout : float
        Socket timeout per request, seconds.
    progress : bool
        Show a tqdm progress bar.
    opener : callable, optional
        ``opener(url, timeout=...)`` returning a file-like response; default
        :func:`urllib.request.urlopen` (tests pass a fake).

    Returns
    -------
    pathlib.Path
        The folder holding the files.

    Raises
    ------
    MNISTDownloadError
        If some file could not be fetched with the right MD5 from any mirror;
        the message lists each mirror's failure and says where to put the
        files by hand. Nothing partial is left behind.
    """
    folder = default_data_dir(dest)
    if files is None:
        files = list(_ALL_STEMS)
    unknown = [f for f in files if f not in MNIST_MD5]
    if unknown:
        raise ValueError(f"`files` must be MNIST file stems from {list(MNIST_MD5)}, got {unknown}")
    if mirrors is None:
        mirrors = MIRRORS
    if isinstance(mirrors, str) or not mirrors:
        raise ValueError(f"`mirrors` must be a non-empty sequence of base URLs, got {mirrors!r}")
    opener = urllib.request.urlopen if opener is None else opener
    folder.mkdir(parents=True, exist_ok=True)
    _, found, _ = find_mnist_files(folder)
    failed = {}
    for stem in files:
        if stem in found:
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + stem + ".gz"
            fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=folder)
            os.close(fd)
            tmp = Path(tmp)
            try:
                _fetch(url, tmp, opener=opener, timeout=timeout, progress=progress)
                digest = hashlib.md5(read_idx_bytes(tmp)).hexdigest()
                if digest != MNIST_MD5[stem]:
                    raise ValueError(f"MD5 of decompressed data is {digest}, expected {MNIST_MD5[stem]}")
                os.replace(tmp, folder / (stem + ".gz"))  # atomic: never a half-written file
                break
            except Exception as exc:  # noqa: BLE001 -- every failure means: try the next mirror
                errors.append(f"{url}: {type(exc).__name__}: {exc}")
            finally:
                if tmp.exists():
                    tmp.unlink()
        else:
            failed[stem] = errors
    if failed:
        report = "\n".join(f"  {e}" for errs in failed.values() for e in errs)
        last = next(iter(failed.values()))[-1].split(": ", 1)[1]
        raise MNISTDownloadError(
            f"Could not download MNIST ({', '.join(failed)}); every mirror failed:\n{report}\n"
            + _how_to_fix(folder, list(failed)),
            summary=f"could not download MNIST ({', '.join(failed)}) from any of {len(mirrors)} mirrors "
                    f"(last: {last}); put the files into {folder} or give --data-dir or NPGAN_DATA",
        )
    return folder
