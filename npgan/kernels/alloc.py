"""Keep freed memory in the process: an update frees and allocates the same arrays every time.

Every layer returns fresh arrays (activations, gradients: 0.4-6.4 MB each at batch 128), and
glibc's ``malloc`` hands memory back to the system whenever more than its trim threshold lies free
at the top of the heap. The next update then grows the heap again and the kernel page-faults every
page back in, zeroed: 6 587 page faults and 20-50 ms of system time per update at batch 128 on the
2-core EPYC (docs/benchmarks.md), 3-8 % of an update, for nothing. :func:`keep_freed_memory` raises
the trim threshold (the heap never shrinks) and the mmap threshold to glibc's maximum (blocks up to
32 MB come from the reused heap, not from fresh mappings): 1 fault and 1-2 ms of system time per
update. The cost: the process keeps its peak heap until it exits.

A process-wide setting of the C library, so npgan makes it only where it runs the training loop
itself (:func:`npgan.train.train`, and the benchmarks that time what training does); elsewhere
(macOS, musl, Windows) it does nothing and returns False.
"""

from __future__ import annotations

import ctypes
import sys

#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc caps the mmap threshold at 4 MiB * sizeof(long) (32 MiB on 64-bit)
_MMAP_MAX = 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long)

_done = False


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed memory for reuse (module docstring); True if it did.

    Idempotent; a no-op returning False where the C library is not glibc.
    """
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # only glibc has it (and mallopt's meaning)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = mallopt(_M_TRIM_THRESHOLD, 1 << 30) == 1 and mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX) == 1
    _done = ok
    return ok
