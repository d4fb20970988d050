"""Named, reusable work buffers for the conv kernels (one set per thread).

Why: a freshly allocated large array costs a page fault (and the kernel
zeroing the page) on first touch of every page. For the im2col matrix of a
64->128 conv at batch 128 (25 MB in float32) that cost more than building the
matrix itself in our measurements, and NumPy's transparent-huge-page advice
can make it several times worse. Intermediates that never leave a kernel
call therefore live here and are reused from call to call; only arrays that
are returned to the caller are allocated fresh.

A buffer is only valid until the next kernel call that asks for the same
name; kernels never return scratch memory. Buffers only grow (one per name
and thread, sized for the largest request so far); :func:`clear_scratch`
releases them.
"""

from __future__ import annotations

import threading

import numpy as np

_local = threading.local()


def scratch(name, shape, dtype):
    """A C-contiguous ``shape`` array of ``dtype`` backed by the reusable buffer ``name``.

    The contents are undefined (whatever the previous user left).
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buf = pool.get(name)
    if buf is None or buf.size < nbytes:
        buf = pool[name] = np.empty(max(nbytes, 64), dtype=np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def clear_scratch():
    """Release this thread's work buffers and spare buffers (they are re-created on demand)."""
    _local.pool = {}
    _local.spare = {}


def take(shape, dtype) -> np.ndarray:
    """A C-contiguous ``shape`` array of ``dtype`` that outlives the kernel call (contents undefined).

    For intermediates that a forward pass hands to its backward pass (the im2col matrix): a buffer
    given back with :func:`give` is reused while its pages are still mapped, instead of a fresh
    allocation page-faulting again.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    spare = getattr(_local, "spare", None)
    if spare is None:
        spare = _local.spare = {}
    free = spare.get(nbytes)
    buf = free.pop() if free else np.empty(max(nbytes, 64), dtype=np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def give(array: np.ndarray) -> None:
    """Return an array from :func:`take` for reuse (at most two spare buffers of a size are kept)."""
    buf = array.base
    while buf is not None and buf.base is not None:
        buf = buf.base
    if buf is None or buf.dtype != np.uint8:
        return
    spare = getattr(_local, "spare", None)
    if spare is None:
        spare = _local.spare = {}
    free = spare.setdefault(array.nbytes, [])
    if len(free) < 2:
        free.append(buf)
