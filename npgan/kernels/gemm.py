"""GEMMs on the thread pool: ``out = a @ b`` in pieces of ``out`` that depend on the shape alone.

Each piece is a block of rows (or of columns, when ``out`` is wider than tall) computed by one
single-threaded BLAS call on views of the operands (NumPy passes BLAS the strides and transpose
flags, so no operand is copied). The pieces are chosen from the shape, never from the thread count,
and the pool only decides which thread computes which piece: so every element of ``out`` comes from
the same BLAS call at 1, 2 or 8 threads, and the result does not depend on the thread count.

Why not one piece per thread: BLAS kernels work in register blocks (OpenBLAS's Haswell SGEMM, for
one, in blocks of 12 output rows, and it computes the last 8 columns of a call with a narrower
kernel that rounds differently), so splitting an output where the unsplit call did not changes the
rounding of elements next to the cut. A split that followed the thread count would make the
numbers follow it too.

How many pieces at most: as many as the machine has CPUs (a power of two, at most 4), a property
of the machine that no thread setting changes. Every piece past the threads that compute it costs
BLAS another packing of the shared operand: on a 2-core machine 4 pieces made the update 2-5 %
slower than 2 (docs/benchmarks.md), and more than 4 made it slower on any machine measured.
"""

from __future__ import annotations

import os

import numpy as np

from ._scratch import scratch
from .threads import parallel, split

#: A GEMM is cut into a piece per this many multiply-adds (a power of two of them, at most
#: :data:`MAX_PIECES`): smaller pieces would cost more in BLAS's per-call packing than they gain.
MIN_PIECE_MACS = 1 << 22
#: Most pieces of any GEMM, whatever the machine: a power of two, so they spread evenly over 1, 2 or
#: 4 threads. More made the 2-thread step slower (docs/benchmarks.md).
PIECES_CAP = 4


def machine_pieces(cpus: int | None) -> int:
    """Most pieces of one GEMM on a machine with ``cpus`` CPUs: the largest power of two <= ``cpus``,
    at most :data:`PIECES_CAP` (1 when unknown). ``os.cpu_count()``, not the process's affinity or
    quota: the machine's count, so every process on it (a sweep's workers included) cuts alike."""
    cpus = max(1, min(int(cpus or 1), PIECES_CAP))
    return 1 << (cpus.bit_length() - 1)


#: Most pieces of one GEMM on this machine (:func:`machine_pieces`).
MAX_PIECES = machine_pieces(os.cpu_count())
#: Piece boundaries are multiples of this (a 64-byte line of float32).
ALIGN = 16


def n_pieces(m: int, k: int, n: int) -> int:
    """How many pieces an ``(m, k) @ (k, n)`` GEMM is cut into: a function of the shape alone."""
    wanted = min(MAX_PIECES, max(1, (m * n * k) // MIN_PIECE_MACS))
    return 1 << (wanted.bit_length() - 1)


def _pieces(a, b, piece) -> None:
    """``piece(rows, cols)`` (two slices of the output) over the shape's pieces, on the pool."""
    m, k = a.shape
    n = b.shape[1]
    count = n_pieces(m, k, n)
    whole = slice(None)
    if m >= n:
        parts = split(m, count, ALIGN)
        parallel(lambda i: piece(slice(*parts[i]), whole), len(parts))
    else:
        parts = split(n, count, ALIGN)
        parallel(lambda i: piece(whole, slice(*parts[i])), len(parts))


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``out[...] = a @ b`` for 2-D ``a (m, k)``, ``b (k, n)``; returns ``out`` (new if None). Unvalidated.

    ``a`` and ``b`` may be transposed views; ``out`` must be C-contiguous (or a row/column block
    of a C-contiguous array) and have their dtype.
    """
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    _pieces(a, b, lambda r, c: np.matmul(a[r], b[:, c], out=out[r, c]))
    return out


def matmul_add(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out += a @ b`` as NumPy computes it (the product rounded first, then added); returns ``out``.

    Each thread forms its block of the product in a reused work buffer and adds it while it is
    still in cache. Unvalidated; shapes and layouts as :func:`matmul`.
    """
    def piece(r, c):
        a_r, b_c, out_rc = a[r], b[:, c], out[r, c]
        prod = scratch("matmul_add", (a_r.shape[0], b_c.shape[1]), out.dtype)
        np.matmul(a_r, b_c, out=prod)
        np.add(out_rc, prod, out=out_rc)
    _pieces(a, b, piece)
    return out
