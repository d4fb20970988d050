"""How npgan uses the cores: one pool of threads runs the kernels' pieces, BLAS runs single-threaded.

Why one pool: a training step alternates BLAS GEMMs with memory-bound numba passes (im2col, layout
changes, batch norm, activations, Adam). With OpenBLAS threading its GEMMs and numba running its own
parallel regions, two thread pools take turns on the same cores, and OpenBLAS's workers keep
spinning for a while after every GEMM: on a 2-core machine a numba ``prange`` region then waits for a
descheduled thread, and a loaded machine made a 2-thread OpenBLAS step several times slower than a
1-thread one. Here every piece of work, GEMMs included, goes through one pool: BLAS is limited to
one thread per call (``threadpoolctl``) and the kernels split their work themselves: each numba pass
into one range of channels or elements per thread, each GEMM into pieces chosen from its shape
alone (:mod:`npgan.kernels.gemm`). Nobody spins: idle workers block on a queue.

The policy, as :func:`use_threads` applies it (``npgan.train.train`` enters it for a run, the
benchmarks for their timings):

- ``n`` threads, by default the CPUs this process may run on (its affinity mask, and a cgroup CPU
  quota where one is set), at most :data:`MAX_THREADS`; the caller's thread is one of them.
- Every BLAS library loaded in the process is limited to 1 thread for the duration and restored on
  exit, so no environment variable has to be set, and the user's own settings hold outside.
- 1 CPU: no worker thread, every kernel runs on the caller, exactly as outside the context.
- Many CPUs: a batch of 128 is split into at most :data:`MAX_THREADS` pieces; beyond that, pieces
  get too small for BLAS to run at full speed, and parallel runs (``npgan sweep``) use the rest.

Outside the context (a user's own script calling layers) nothing changes: the kernels run on the
caller's thread and BLAS uses its own threads as configured.

Results do not depend on the number of threads: a GEMM is cut into pieces chosen from its shape
alone (:mod:`npgan.kernels.gemm`) and numba passes split by channels or elements, so every output
element is computed by the same operations in the same order.
"""

from __future__ import annotations

import itertools
import math
import os
import queue
import threading
from contextlib import contextmanager

#: Most threads npgan splits a kernel into (see the module docstring).
MAX_THREADS = 8


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup v2 CPU quota if set."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):          # not Linux
        n = os.cpu_count() or 1
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        if quota != "max":
            n = min(n, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def default_threads() -> int:
    """The pool size :func:`use_threads` picks: :func:`available_cpus`, at most :data:`MAX_THREADS`."""
    return min(available_cpus(), MAX_THREADS)


class _Pool:
    """``n - 1`` daemon workers plus the calling thread; ``run(fn, pieces)`` calls ``fn(i)`` for every i.

    Pieces are handed out from a shared counter, so a descheduled thread holds back only the piece
    it has. One caller at a time: a call made while the pool is busy (another thread's call, or a
    piece that itself calls :func:`parallel`) runs its pieces on the calling thread.
    """

    def __init__(self, n: int):
        self.n = n
        self._busy = threading.Lock()
        self._inbox = [queue.SimpleQueue() for _ in range(n - 1)]
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        for box in self._inbox:
            threading.Thread(target=self._work, args=(box,), daemon=True, name="npgan-kernel").start()

    def _work(self, box) -> None:
        while True:
            self._done.put(self._drain(*box.get()))

    @staticmethod
    def _drain(fn, counter, pieces):
        """Run pieces until none is left; return the first exception raised (or None)."""
        error = None
        for i in iter(counter.__next__, None):
            if i >= pieces:
                break
            try:
                fn(i)
            except BaseException as exc:     # re-raised in the caller
                error = error or exc
        return error

    def run(self, fn, pieces: int) -> None:
        if pieces <= 1 or self.n == 1 or not self._busy.acquire(blocking=False):
            for i in range(pieces):
                fn(i)
            return
        try:
            helpers = min(self.n, pieces) - 1
            job = (fn, itertools.count(), pieces)
            for box in self._inbox[:helpers]:
                box.put(job)
            errors = [self._drain(*job)] + [self._done.get() for _ in range(helpers)]  # wait for all
            error = next((e for e in errors if e is not None), None)
        finally:
            self._busy.release()
        if error is not None:
            raise error



_state_lock = threading.Lock()
_pool: _Pool | None = None       # the active pool (None: kernels run on the caller)
_pools: dict[int, _Pool] = {}    # started pools by size, kept for the next context (idle workers block)
_users = 0
_blas_limits = None


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's worker threads: forget the pools (a kernel would wait
    for them forever) and any lock another thread held at the fork; a context still open in the
    child runs its kernels on the caller."""
    global _pool, _state_lock
    _pools.clear()
    _pool = None
    _state_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def n_threads() -> int:
    """Threads the kernels split their work into now (1 outside :func:`use_threads`)."""
    pool = _pool
    return 1 if pool is None else pool.n


def parallel(fn, pieces: int) -> None:
    """Call ``fn(i)`` for ``i in range(pieces)``, spread over the pool (in order on the caller without one).

    ``fn`` must release the GIL for its heavy work (numba ``nogil`` kernels, NumPy's BLAS calls) and
    write disjoint outputs for different ``i``. An exception in a piece is re-raised here.
    """
    pool = _pool
    if pool is None:
        for i in range(pieces):
            fn(i)
    else:
        pool.run(fn, pieces)


def split(length: int, pieces: int, align: int = 1) -> list[tuple[int, int]]:
    """``[start, stop)`` bounds of ``pieces`` near-equal parts of ``range(length)`` (starts multiples of ``align``)."""
    pieces = max(1, min(pieces, -(-length // align)))
    step = -(-length // (pieces * align)) * align
    return [(s, min(s + step, length)) for s in range(0, length, step)]


@contextmanager
def use_threads(n: int | None = None):
    """Run npgan's kernels on a pool of ``n`` threads with BLAS single-threaded (module docstring).

    Parameters
    ----------
    n : int, optional
        Threads, including the caller's; default :func:`default_threads`. Nested or concurrent
        contexts share the first one's pool (their ``n`` is then ignored).
    """
    global _pool, _users, _blas_limits
    if n is None:
        n = default_threads()
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"`n` must be an int or None, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"`n` must be >= 1, got {n}")
    with _state_lock:
        if _users == 0:
            from threadpoolctl import threadpool_limits
            _blas_limits = threadpool_limits(limits=1, user_api="blas")
            if n > 1 and n not in _pools:
                _pools[n] = _Pool(n)
            _pool = _pools.get(n)
        _users += 1
    try:
        yield n_threads()
    finally:
        with _state_lock:
            _users -= 1
            if _users == 0:
                _pool = None
                _blas_limits.restore_original_limits()
                _blas_limits = None
