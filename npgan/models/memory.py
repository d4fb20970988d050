"""Memory: what training the networks of a config needs, estimated before anything is allocated.

The estimate is linear in the parameter count and the batch size, with constants measured with
``tracemalloc`` on the MNIST networks (docs/benchmarks.md): 20 bytes per parameter while training
(weights, gradients, Adam's two moments, initialisation scratch) plus 12 more while a checkpoint is
written (its copies of weights and moments), and about 0.74 MB per sample of a batch, rounded up to
1 MB. :func:`check_training_memory` compares it with the memory available to this process (the
smallest of ``MemAvailable`` and the headroom of this process's own memory cgroup and of each
cgroup above it, v2 or v1, :func:`available_memory`) and refuses with a clear message where the
machine has less; where none can be read it does not refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from npgan.models.infogan import InfoGANConfig, InfoGANNets

_BYTES_PER_PARAMETER = 32
_BYTES_PER_SAMPLE = 1_000_000
_FIXED_BYTES = 64 * 2**20

_GIB = 2**30

#: where the memory figures are read (tests point them at fake trees)
_MEMINFO = "/proc/meminfo"
_PROC_CGROUP = "/proc/self/cgroup"
_CGROUP_ROOT = "/sys/fs/cgroup"
_V2_FILES = ("memory.max", "memory.current")
_V1_FILES = ("memory.limit_in_bytes", "memory.usage_in_bytes")


class NotEnoughMemory(MemoryError):
    """The estimated need exceeds the memory available; the message gives both and what to lower."""


@dataclass
class MemoryEstimate:
    """Estimated bytes to train the networks of a config (see the module docstring)."""

    parameters: int
    network_bytes: int
    batch_bytes: int

    @property
    def total(self) -> int:
        return self.network_bytes + self.batch_bytes + _FIXED_BYTES


def training_memory(config: InfoGANConfig) -> MemoryEstimate:
    """The estimate for ``config`` (its latent sizes and batch size)."""
    if not isinstance(config, InfoGANConfig):
        raise TypeError(f"`config` must be an InfoGANConfig, got {type(config).__name__}")
    n = InfoGANNets.parameter_count(config)
    return MemoryEstimate(n, n * _BYTES_PER_PARAMETER, config.batch_size * _BYTES_PER_SAMPLE)


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def _mem_available() -> int | None:
    try:
        for line in Path(_MEMINFO).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _lineage(base: Path, path: str) -> list[Path]:
    """``base``/``path`` and every folder above it up to ``base`` (a cgroup's limit binds all below it)."""
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    return [base.joinpath(*parts[:k]) for k in range(len(parts), -1, -1)]


def memory_cgroups() -> list[tuple[Path, tuple[str, str]]]:
    """This process's memory cgroup folders and those above them, each with its (limit, usage) file names.

    From ``/proc/self/cgroup``: the v2 line ``0::PATH`` (under ``/sys/fs/cgroup``) and the v1 line
    ``N:...memory...:PATH`` (under ``/sys/fs/cgroup/memory``). Where it cannot be read, the two mount
    roots. Folders that do not exist (another cgroup namespace) are read as no limit.
    """
    root = Path(_CGROUP_ROOT)
    try:
        lines = Path(_PROC_CGROUP).read_text().splitlines()
    except OSError:
        lines = []
    found = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] == "":
            found += [(folder, _V2_FILES) for folder in _lineage(root, parts[2])]
        elif "memory" in parts[1].split(","):
            found += [(folder, _V1_FILES) for folder in _lineage(root / "memory", parts[2])]
    return found or [(root, _V2_FILES), (root / "memory", _V1_FILES)]


def _headroom(folder: Path, files: tuple[str, str]) -> int | None:
    limit, usage = (_read_int(str(folder / name)) for name in files)
    if limit is None or usage is None or limit >= 2**60:  # "no limit" reads as max or ~2**63
        return None
    return max(limit - usage, 0)


def available_memory() -> int | None:
    """Bytes this process can still allocate (None: unknown): the smallest of MemAvailable and the
    headroom (limit - usage) of every cgroup of :func:`memory_cgroups` that has a limit."""
    found = [_mem_available(), *(_headroom(folder, files) for folder, files in memory_cgroups())]
    found = [b for b in found if b is not None]
    return min(found) if found else None


def check_training_memory(config: InfoGANConfig, extra_bytes: int = 0, what: str = "",
                          copies: int = 1) -> MemoryEstimate:
    """Raise :class:`NotEnoughMemory` if training ``config`` (plus ``extra_bytes``, e.g. the data) cannot fit.

    ``what`` describes ``extra_bytes`` in the message (e.g. ``"; 60,000 training images"``);
    ``copies``: trainings at once on this machine (a local sweep's worker processes), each needing as much.
    """
    est = training_memory(config)
    need = (est.total + extra_bytes) * copies
    have = available_memory()
    if have is not None and need > have:
        each = f"{copies} trainings at once, each: " if copies > 1 else ""
        raise NotEnoughMemory(
            f"training these networks needs about {need / _GIB:.1f} GiB ({each}{est.parameters:,} parameters: "
            f"{est.network_bytes / _GIB:.1f} GiB; batch of {config.batch_size}: {est.batch_bytes / _GIB:.1f} GiB"
            f"{what}), but only {have / _GIB:.1f} GiB is available: lower latent.noise_dim, latent.categorical "
            "or the batch size" + (", or the worker processes (--workers)" if copies > 1 else ""))
    return est
