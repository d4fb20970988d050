"""Reader for the IDX file format used by the MNIST distribution.

An IDX file is a 4-byte magic number followed by one big-endian uint32 per
dimension and then the payload in C order::

    bytes 0-1   zero
    byte  2     element type (0x08 = unsigned byte, ...)
    byte  3     number of dimensions
    4 * ndim    dimension sizes, big-endian uint32
    ...         payload, prod(sizes) elements, big-endian

Files may be gzip-compressed; compression is detected from the gzip magic
bytes, not from the file name, so a ``.gz`` file that was already
decompressed (some browsers do that) still reads. Every malformation (bad
magic, bad gzip stream, truncated or overlong payload, unexpected shape)
raises a ``ValueError`` that names the file.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IDX_DTYPES", "read_idx", "read_idx_bytes", "parse_idx"]

#: IDX element-type byte -> big-endian NumPy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def read_idx_bytes(path) -> bytes:
    """Return the decompressed bytes of the (possibly gzipped) file ``path``.

    Raises
    ------
    ValueError
        If the file starts like a gzip stream (or is named ``*.gz``) but is
        not a valid, complete one. The message names the file.
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = Path(os.fspath(path))
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; a cut-off stream is an EOFError.
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc
    if path.suffix == ".gz" and not _looks_like_idx(raw):
        raise ValueError(
            f"{path}: named .gz but is neither gzip data nor an IDX file "
            f"(first bytes {raw[:4].hex() or 'empty'})"
        )
    return raw


def _looks_like_idx(raw: bytes) -> bool:
    return len(raw) >= 4 and raw[0] == 0 and raw[1] == 0 and raw[2] in IDX_DTYPES


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file into an array.

    Parameters
    ----------
    data : bytes
        The whole file content.
    source : str
        Name used in error messages (usually the file path).

    Returns
    -------
    numpy.ndarray
        Array of shape given by the header, in native byte order (uint8 for
        element type 0x08). The array owns its memory.

    Raises
    ------
    ValueError
        For a bad magic number, an unknown element type, a truncated header,
        or a payload whose length does not match the header.
    """
    if len(data) < 4:
        raise ValueError(f"{source}: not an IDX file: only {len(data)} bytes, need a 4-byte magic number")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{source}: not an IDX file: magic number 0x{data[:4].hex()} does not start with two zero bytes"
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        raise ValueError(
            f"{source}: unknown IDX element type 0x{type_code:02x} in magic number 0x{data[:4].hex()}"
        )
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_len} bytes, file has {len(data)}"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header_len
    if got != expected:
        what = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(
            f"{source}: IDX payload {what}: header shape {shape} needs {expected} bytes, found {got}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path, *, magic: int | None = None, shape_tail: tuple[int, ...] | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw), optionally checking magic and shape.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    magic : int, optional
        Required 32-bit magic number, e.g. ``0x00000803`` for a 3-D uint8
        array (MNIST images) or ``0x00000801`` for a 1-D uint8 array (labels).
    shape_tail : tuple of int, optional
        Required trailing dimensions, e.g. ``(28, 28)`` for MNIST images.

    Returns
    -------
    numpy.ndarray
        The array, shape as in the header.

    Raises
    ------
    ValueError
        If the file is malformed or does not match ``magic``/``shape_tail``;
        the message names the file.
    """
    path = Path(os.fspath(path))
    data = read_idx_bytes(path)
    if magic is not None and len(data) >= 4:
        found = int.from_bytes(data[:4], "big")
        if found != magic:
            raise ValueError(f"{path}: wrong IDX magic number 0x{found:08x}, expected 0x{magic:08x}")
    arr = parse_idx(data, str(path))
    if shape_tail is not None:
        tail = tuple(shape_tail)
        if tail and (arr.ndim < len(tail) or arr.shape[-len(tail):] != tail):
            raise ValueError(
                f"{path}: IDX array has shape {arr.shape}, expected trailing dimensions {tail}"
            )
    return arr
