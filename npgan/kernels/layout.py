"""Memory layouts of activations: C-contiguous, and "batch-inner" (the batch axis innermost).

Every array npgan's layers pass along has its logical shape as in PyTorch (``(N, C, H, W)``,
``(N, F)``), but not always C-contiguous memory. A convolution computes its output as one GEMM
``(C_out, C_in kh kw) @ cols -> (C_out, Ho * Wo * N)`` whose columns run over ``(oh, ow, n)``: the
memory of a ``(C, H, W, N)`` array. Handing that on as the ``(N, C, H, W)`` *view*
``buf.transpose(3, 0, 1, 2)`` instead of converting it saves a transpose per layer and pass, and
the next convolution's im2col reads exactly that memory order. PyTorch does the same with its
``channels_last`` memory format; here the batch axis, not the channel axis, is innermost, so a
channel is one contiguous run of ``H * W * N`` values.

The rules the layers follow:

- a layer accepts any *dense* input (its memory a permutation of a C-contiguous array; anything
  else is copied once with ``np.ascontiguousarray``);
- elementwise layers and batch norm return their output, and every layer its input gradient,
  in the layout of the input it was given;
- convolutions return batch-inner outputs; ``Flatten`` of a batch-inner ``(N, C, H, W)`` is the
  transposed view of its ``(C H W, N)`` memory, which BLAS reads through its transpose flag.

A user sees ordinary arrays of the documented shapes; ``np.ascontiguousarray`` gives the
C-contiguous copy where one is wanted.
"""

from __future__ import annotations

import numpy as np


def memory_order(a: np.ndarray) -> tuple[int, ...] | None:
    """The axis permutation ``p`` with ``a.transpose(p)`` C-contiguous, or None if ``a`` is not dense.

    Axes of length 1 have no meaningful stride; they are placed where they keep ``p`` closest
    to the identity, so a C-contiguous array always gets the identity.
    """
    if a.flags.c_contiguous:
        return tuple(range(a.ndim))
    # sort by stride, largest first; ties (and length-1 axes) keep their logical order
    perm = tuple(sorted(range(a.ndim), key=lambda i: (-a.strides[i] if a.shape[i] > 1 else 0, i)))
    if a.transpose(perm).flags.c_contiguous:
        return perm
    return None


def dense(a: np.ndarray) -> np.ndarray:
    """``a`` itself if its memory is a permutation of a C-contiguous array, else a C-contiguous copy."""
    return a if memory_order(a) is not None else np.ascontiguousarray(a)


def flat(a: np.ndarray) -> np.ndarray:
    """A 1-D view of dense ``a`` in memory order (the same element order for arrays of one layout)."""
    return a.transpose(memory_order(a)).reshape(-1)


def like(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``a`` (shape of ``ref``) in ``ref``'s memory layout: ``a`` itself if it has it, else a copy."""
    order = memory_order(a)
    if order is not None and order == memory_order(ref):
        return a
    out = np.empty_like(ref, dtype=a.dtype)        # empty_like keeps ref's axis order
    np.copyto(out, a)
    return out


def batch_inner(a: np.ndarray) -> np.ndarray | None:
    """The memory of a batch-inner ``a`` (N, ...): C-contiguous ``(..., N)``, else None.

    For a 4-D array that is ``(C, H, W, N)``; for a 2-D one, ``a.T``. A C-contiguous array
    counts as batch-inner only when it is one too (``N == 1``, or 1-D).
    """
    if a.ndim < 2:
        return None
    buf = a.transpose(tuple(range(1, a.ndim)) + (0,))
    return buf if buf.flags.c_contiguous else None


def is_batch_inner(a: np.ndarray) -> bool:
    """Whether ``a`` is batch-inner and not also C-contiguous: a layout its results should keep."""
    return batch_inner(a) is not None and not a.flags.c_contiguous


def from_batch_inner(buf: np.ndarray) -> np.ndarray:
    """The ``(N, ...)`` view of a C-contiguous ``(..., N)`` array (the inverse of :func:`batch_inner`)."""
    return buf.transpose((buf.ndim - 1,) + tuple(range(buf.ndim - 1)))


def as_batch_inner(a: np.ndarray) -> np.ndarray:
    """``a`` (N, ...) with batch-inner memory: ``a`` itself if it has it, else a transposed copy."""
    if batch_inner(a) is not None:
        return a
    return from_batch_inner(np.ascontiguousarray(np.moveaxis(a, 0, -1)))


def reshape_samples(a: np.ndarray, sample_shape: tuple[int, ...]) -> np.ndarray:
    """``a`` (N, ...) reshaped to ``(N, *sample_shape)`` (row-major per sample, as ``np.reshape``),
    keeping batch-inner memory batch-inner; a view where the layout allows, else a copy."""
    n = a.shape[0]
    if is_batch_inner(a):
        return from_batch_inner(batch_inner(a).reshape(tuple(sample_shape) + (n,)))
    return a.reshape((n,) + tuple(sample_shape))


def channel_rows(a: np.ndarray) -> np.ndarray | None:
    """``a`` (N, C, ...) as an ``(M, C, L)`` view in memory order for per-channel passes, or None.

    C-contiguous ``a``: ``(N, C, L)``; a layout with the channel axis outermost in memory (a
    batch-inner 4-D array, an F-contiguous 2-D one): ``(1, C, L)``. Other layouts: None.
    """
    order = memory_order(a)
    if order is None:
        return None
    if order == tuple(range(a.ndim)):
        return a.reshape(a.shape[0], a.shape[1], -1)
    if order[0] == 1:
        return a.transpose(order).reshape(1, a.shape[1], -1)
    return None
