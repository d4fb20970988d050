"""Memory: what training the networks of a config needs, estimated before anything is allocated.

The estimate is linear in the parameter count and the batch size, with constants measured with
``tracemalloc`` on the MNIST networks (docs/benchmarks.md): 20 bytes per parameter while training
(weights, gradients, Adam's two moments, initialisation scratch) plus 12 more while a checkpoint is
written (its copies of weights and moments), and about 0.74 MB per sample of a batch, rounded up to
1 MB. :func:`check_training_memory` compares it with the memory available to this process (the
smaller of ``MemAvailable`` and the cgroup's limit) and refuses with a clear message where the
machine has less; where neither can be read it does not refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from npgan.models.infogan import InfoGANConfig, InfoGANNets

_BYTES_PER_PARAMETER = 32
_BYTES_PER_SAMPLE = 1_000_000
_FIXED_BYTES = 64 * 2**20

_GIB = 2**30


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


def available_memory() -> int | None:
    """Bytes this process can still allocate: the smallest of MemAvailable and cgroup headroom (None: unknown)."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        lim, use = _read_int(limit), _read_int(usage)
        if lim is not None and use is not None and lim < 2**60:  # "no limit" reads as max or ~2**63
            found.append(max(lim - use, 0))
    return min(found) if found else None


def check_training_memory(config: InfoGANConfig, extra_bytes: int = 0, what: str = "") -> MemoryEstimate:
    """Raise :class:`NotEnoughMemory` if training ``config`` (plus ``extra_bytes``, e.g. the data) cannot fit.

    ``what`` describes ``extra_bytes`` in the message (e.g. ``"; 60,000 training images"``).
    """
    est = training_memory(config)
    need = est.total + extra_bytes
    have = available_memory()
    if have is not None and need > have:
        raise NotEnoughMemory(
            f"training these networks needs about {need / _GIB:.1f} GiB ({est.parameters:,} parameters: "
            f"{est.network_bytes / _GIB:.1f} GiB; batch of {config.batch_size}: {est.batch_bytes / _GIB:.1f} GiB"
            f"{what}), but only {have / _GIB:.1f} GiB is available: lower latent.noise_dim, latent.categorical "
            "or the batch size")
    return est
