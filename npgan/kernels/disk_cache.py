"""Whether numba must compile npgan's kernels before the first update (a cold on-disk cache).

Every kernel is compiled with ``cache=True`` (:mod:`npgan.kernels._jit`): the first process of a
fresh install, or after numba or a kernel's source changed, compiles them (10-35 s on a 2-core
machine), and later processes load them from the cache (0.3 s). The training loop says so before
the first update, so a long first update is explained before it happens, not after.

The cache of a kernel is read through numba's own index (``<cache dir>/<module>.<kernel>-<line>.py3X.nbi``):
it is empty unless it was written by this numba for the kernel's present source. Which
signatures an update needs is not known in advance, so a cache counts as cold when most kernels
have nothing cached; a few kernels no recipe calls stay uncached forever and do not count.
"""

from __future__ import annotations

import importlib
import pkgutil

#: seconds numba takes to compile one of npgan's kernels, roughly (15 s for 21 kernels on a 2-core
#: Zen 3, 27 s for 22 on a loaded 2-core machine: docs/benchmarks.md)
SECONDS_PER_KERNEL = 1.0


def kernels() -> dict:
    """Every numba dispatcher defined in :mod:`npgan.kernels` (qualified name -> dispatcher)."""
    import numba
    import npgan.kernels as package
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, numba.core.dispatcher.Dispatcher) and obj.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def is_cached(dispatcher) -> bool:
    """True if numba's disk cache holds machine code of ``dispatcher`` for this numba and source.

    A dispatcher already compiled in this process counts as cached (nothing is left to compile); so
    does one whose cache cannot be read through these numba internals (no claim is made about it).
    """
    if dispatcher.signatures:
        return True
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    load_index = getattr(cache_file, "_load_index", None)
    if load_index is None:  # cache=False, or a numba whose internals moved
        return True
    try:
        return bool(load_index())
    except Exception:  # a damaged index: numba compiles again  # noqa: BLE001
        return False


def uncached_kernels(found: dict | None = None) -> list[str]:
    """The names of npgan's kernels (or of ``found``, name -> dispatcher) with nothing in numba's
    cache and not compiled in this process."""
    found = kernels() if found is None else found
    return sorted(name for name, d in found.items() if not is_cached(d))


def compile_note() -> str | None:
    """The line to print before the first update on a cold cache (most kernels uncached), else None."""
    found = kernels()
    cold = len(uncached_kernels(found))
    if 2 * cold <= len(found):
        return None
    seconds = max(10, round(cold * SECONDS_PER_KERNEL, -1))
    return (f"compiling kernels (once, about {seconds:.0f} s): numba's cache is cold; the first update waits for "
            "them and the progress bar's rate counts from the second update")
