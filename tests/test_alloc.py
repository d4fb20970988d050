"""npgan.kernels.alloc: freed memory stays in the process, so reallocating costs no page faults."""

import subprocess
import sys
import textwrap

import pytest

from npgan.kernels.alloc import keep_freed_memory

# Allocate four 20 MB arrays, free them (more than glibc's trim threshold lies free at the heap's
# top), allocate and touch them again; print the page faults of the second round.
_CHURN = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from npgan.kernels.alloc import keep_freed_memory
    if sys.argv[1] == "keep":
        assert keep_freed_memory()
    def churn():
        arrays = [np.ones(5_000_000, dtype=np.float32) for _ in range(4)]
        del arrays
    churn(); churn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    churn()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _CHURN, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_kept_memory_is_reused_without_page_faults():
    if not keep_freed_memory():
        pytest.skip("the C library is not glibc")
    assert keep_freed_memory()                          # idempotent
    kept, default = _faults("keep"), _faults("default")
    assert kept < 100                                   # 80 MB reallocated from the kept heap
    assert default > kept                               # glibc gave it back: faulted in again
    # (2 126 faults here with NumPy's huge-page advice; 20 000 with 4 kB pages)
