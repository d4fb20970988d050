"""The one place that defines numba's compilation options for npgan.

Every kernel is compiled with :func:`njit` (or :func:`njit_parallel`) from
here, never with ``numba.njit`` directly, so the house options stay uniform:

- ``cache=True``: compiled machine code is cached on disk, so only the very
  first run of a fresh install pays the JIT cost.
- ``error_model="numpy"``: division by zero gives inf/nan like NumPy instead
  of raising, and lets LLVM vectorise divisions.
- no blanket ``fastmath=True``: it lets LLVM assume there are no NaNs, which
  silently breaks ``isnan`` checks (NaN detection in training depends on it).
  :data:`FASTMATH` is the restricted set used where reassociation pays
  (reductions); it keeps NaN/inf semantics.
"""

from __future__ import annotations

import numba

#: Fast-math flags that keep NaN and inf semantics (no "nnan", "ninf").
FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

_BASE = dict(cache=True, error_model="numpy", nogil=True)


def njit(*args, fastmath=False, **kwargs):
    """``numba.njit`` with npgan's house options (serial)."""
    opts = dict(_BASE, fastmath=set(FASTMATH) if fastmath else False)
    opts.update(kwargs)
    return numba.njit(*args, **opts)


def njit_parallel(*args, fastmath=False, **kwargs):
    """``numba.njit(parallel=True)`` with npgan's house options; use ``numba.prange``."""
    return njit(*args, fastmath=fastmath, parallel=True, **kwargs)
