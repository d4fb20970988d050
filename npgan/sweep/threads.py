"""A run's share of the cores: npgan's thread policy with ``n`` threads, numba's included.

Several runs share a machine's cores. Inside :func:`run_threads` a run's kernels use a pool of
``n`` threads with BLAS single-threaded (:func:`npgan.kernels.threads.use_threads`, which
``npgan.train.train`` then shares instead of taking every core), and numba's own parallel regions
(the synthetic digits' renderer) at most ``n`` threads; so two runs on two cores use one thread each.
"""

from __future__ import annotations

from contextlib import contextmanager

from npgan._checks import check_int
from npgan.kernels.threads import use_threads


@contextmanager
def run_threads(n: int):
    """Run the body (training, evaluation) of one run on ``n`` threads.

    numba's setting belongs to the calling thread and its pool keeps the size it was started with
    (``NUMBA_NUM_THREADS``, by default the cores), so its regions get ``min(n, that size)``.
    """
    import numba
    n = check_int(n, "n", minimum=1)
    before = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        with use_threads(n):
            yield n
    finally:
        numba.set_num_threads(before)
