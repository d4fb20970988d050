"""How many BLAS and numba threads one training run may use, in one place.

Several runs share a machine's cores: two runs on two cores, each with the default of one BLAS
thread and one numba thread per core, would fight for the cores (four busy threads on two cores).
:func:`pin_threads` gives a run its share. It is the one function to switch to npgan's shared thread
policy once that exists.
"""

from __future__ import annotations

import os

from npgan._checks import check_int

#: environment variables the BLAS libraries read when they load (not NUMBA_NUM_THREADS: numba
#: rereads it whenever it compiles and refuses a value other than its running pool's size)
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS")


def thread_env(n: int) -> dict[str, str]:
    """The environment that limits the BLAS libraries of a process started with it to ``n`` threads."""
    n = check_int(n, "n", minimum=1)
    return {var: str(n) for var in THREAD_ENV_VARS}


def pin_threads(n: int) -> int:
    """Limit this process's BLAS threads and the calling thread's numba threads to ``n``.

    The BLAS pools are set at run time (threadpoolctl: OpenBLAS and MKL grow or shrink their pools
    whatever they were loaded with), and :func:`thread_env` goes into ``os.environ`` for processes
    started from here. numba's pool keeps the size it was started with (``NUMBA_NUM_THREADS`` when
    numba was imported, by default the cores), so the numba threads are ``min(n, that size)``;
    numba's setting belongs to the calling thread, so call this in the thread that trains.

    Returns
    -------
    int
        The number of numba threads set.
    """
    import numba
    from threadpoolctl import threadpool_limits
    os.environ.update(thread_env(n))
    threadpool_limits(limits=n)  # every BLAS/OpenMP pool loaded in the process, until changed
    k = min(n, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(k)
    return k
