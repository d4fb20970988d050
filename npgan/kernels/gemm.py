"""GEMMs on the thread pool: ``out = a @ b``, one piece of ``out`` per thread.

Each piece is a block of rows (or of columns, when ``out`` is wider than tall) computed by one
single-threaded BLAS call on views of the operands (NumPy passes BLAS the strides and transpose
flags, so no operand is copied). Every element of ``out`` is computed by the same BLAS kernel
over the same ``k`` as in one unsplit call, so the result does not depend on the thread count.
"""

from __future__ import annotations

import numpy as np

from ._scratch import scratch
from .threads import n_threads, parallel, split

#: Every piece has at least this many multiply-adds, else the GEMM runs as one call. Besides the
#: hand-off cost: OpenBLAS switches to "small matrix" kernels, which sum in another order, below about
#: 10^6 multiply-adds on some CPUs, and a piece must round exactly as the whole GEMM does.
MIN_PIECE_MACS = 1 << 22
#: Piece boundaries are multiples of this (a 64-byte line of float32; BLAS kernels work in such blocks).
ALIGN = 16


def _pieces(a, b, piece) -> None:
    """``piece(rows, cols)`` (two slices of the output) over one block per pool thread (one if small)."""
    m, k = a.shape
    n = b.shape[1]
    threads = max(1, min(n_threads(), (m * n * k) // MIN_PIECE_MACS))
    whole = slice(None)
    if m >= n:
        parts = split(m, threads, ALIGN)
        parallel(lambda i: piece(slice(*parts[i]), whole), len(parts))
    else:
        parts = split(n, threads, ALIGN)
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
