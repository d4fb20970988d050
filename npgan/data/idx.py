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

Reading is streamed and bounded: the header is read first, and a file whose
header declares more than ``max_bytes`` (default :data:`MAX_IDX_BYTES`, room for
MNIST's largest file) is refused before its payload is read or decompressed;
the payload is then read up to the declared size only, so neither a gzip bomb
nor a huge sparse file is ever loaded into memory.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from npgan._checks import check_int

__all__ = ["IDX_DTYPES", "MAX_IDX_BYTES", "read_idx", "read_idx_bytes", "parse_idx"]

#: IDX element-type byte -> big-endian NumPy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Default bound on an IDX file's (decompressed) size: 64 MiB. MNIST's largest file, the training
#: images, is 47 040 016 bytes; larger data sets pass ``max_bytes``.
MAX_IDX_BYTES = 64 * 2**20

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 22


def read_idx_bytes(path, *, max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """Return the decompressed bytes of the (possibly gzipped) IDX file ``path``.

    The header is checked first and at most its declared size is read (see the module docstring).

    Raises
    ------
    ValueError
        If the file is not a valid, complete IDX file (gzipped or not), declares more than
        ``max_bytes`` bytes, or is a directory. The message names the file.
    FileNotFoundError
        If ``path`` does not exist.
    """
    return _read(Path(os.fspath(path)), check_int(max_bytes, "max_bytes", minimum=4), None)


def _read(path: Path, max_bytes: int, magic: int | None) -> bytes:
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not an IDX file")
    with path.open("rb") as f:
        if f.read(2) == _GZIP_MAGIC:
            f.seek(0)
            try:
                with gzip.GzipFile(fileobj=f) as g:
                    return _read_stream(g, str(path), max_bytes, magic)
            except (OSError, EOFError, zlib.error) as exc:
                # gzip.BadGzipFile is an OSError; a cut-off stream is an EOFError.
                raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc
        f.seek(0)
        if path.suffix == ".gz":
            head = f.read(4)
            if not _looks_like_idx(head):
                raise ValueError(f"{path}: named .gz but is neither gzip data nor an IDX file "
                                 f"(first bytes {head.hex() or 'empty'})")
            f.seek(0)
        return _read_stream(f, str(path), max_bytes, magic)


def _read_exact(stream, n: int) -> bytes:
    """Up to ``n`` bytes from ``stream`` (fewer only at its end), in bounded chunks."""
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(min(n - got, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _count_rest(stream, limit: int) -> int:
    """How many bytes remain in ``stream``, counting at most ``limit`` (read and dropped in chunks)."""
    count = 0
    while count < limit:
        chunk = stream.read(min(limit - count, _CHUNK))
        if not chunk:
            break
        count += len(chunk)
    return count


def _read_stream(stream, source: str, max_bytes: int, magic: int | None) -> bytes:
    """Header, then exactly the declared payload; refuse oversize headers and trailing data."""
    head = _read_exact(stream, 4)
    _check_magic(head, source)
    if magic is not None:
        _check_expected_magic(head, source, magic)
    dims = _read_exact(stream, 4 * head[3])
    header = head + dims
    dtype, shape, header_len = _parse_header(header, source)
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if header_len + expected > max_bytes:
        raise ValueError(f"{source}: IDX header declares shape {shape}, {header_len + expected} bytes, more "
                         f"than the limit of {max_bytes} bytes (read_idx's max_bytes; MNIST-sized data "
                         "fits the default)")
    payload = _read_exact(stream, expected)
    if len(payload) < expected:
        raise ValueError(f"{source}: IDX payload truncated: header shape {shape} needs {expected} bytes, "
                         f"found {len(payload)}")
    extra = _count_rest(stream, max_bytes - header_len - expected + 1)
    if extra:
        over = header_len + expected + extra > max_bytes  # stopped reading at the limit
        found = f"more than {expected + extra - 1}" if over else f"{expected + extra}"
        raise ValueError(f"{source}: IDX payload has trailing bytes: header shape {shape} needs {expected} "
                         f"bytes, found {found}")
    return header + payload


def _looks_like_idx(raw: bytes) -> bool:
    return len(raw) >= 4 and raw[0] == 0 and raw[1] == 0 and raw[2] in IDX_DTYPES


def _check_magic(data: bytes, source: str) -> None:
    if len(data) < 4:
        raise ValueError(f"{source}: not an IDX file: only {len(data)} bytes, need a 4-byte magic number")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{source}: not an IDX file: magic number 0x{data[:4].hex()} does not start with two zero bytes"
        )
    if data[2] not in IDX_DTYPES:
        raise ValueError(
            f"{source}: unknown IDX element type 0x{data[2]:02x} in magic number 0x{data[:4].hex()}"
        )
    if data[3] == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")


def _check_expected_magic(data: bytes, source: str, magic: int) -> None:
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise ValueError(f"{source}: wrong IDX magic number 0x{found:08x}, expected 0x{magic:08x}")


def _parse_header(data: bytes, source: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, shape, header length) of the IDX header at the start of ``data``."""
    _check_magic(data, source)
    ndim = data[3]
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_len} bytes, file has {len(data)}"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    return IDX_DTYPES[data[2]], shape, header_len


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
    dtype, shape, header_len = _parse_header(data, source)
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    got = len(data) - header_len
    if got != expected:
        what = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(
            f"{source}: IDX payload {what}: header shape {shape} needs {expected} bytes, found {got}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path, *, magic: int | None = None, shape_tail: tuple[int, ...] | None = None,
             max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
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
    max_bytes : int
        The largest (decompressed) file accepted, default :data:`MAX_IDX_BYTES` (64 MiB); a header
        declaring more is refused before the payload is read.

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
    data = _read(path, check_int(max_bytes, "max_bytes", minimum=4), magic)
    arr = parse_idx(data, str(path))
    if shape_tail is not None:
        tail = tuple(shape_tail)
        if tail and (arr.ndim < len(tail) or arr.shape[-len(tail):] != tail):
            raise ValueError(
                f"{path}: IDX array has shape {arr.shape}, expected trailing dimensions {tail}"
            )
    return arr
