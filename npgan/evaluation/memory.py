"""Memory: what evaluating a run needs, estimated from its settings before anything is loaded.

:func:`evaluate_run <npgan.evaluation.run.evaluate_run>` holds, besides the interpreter and its
libraries and a forward batch of 500 images, the checkpoint's arrays and the rebuilt networks
(training's 32 bytes per parameter, :mod:`npgan.models.memory`), the test images of the accuracy
(kept to the end), and then one phase at a time: the synthetic digits' factor report, the ``samples``
images and codes of the L_I estimate, or one continuous code's sweep of ``bases x 11`` images with
their float64 moments. The constants are peak resident sizes measured with ``npgan eval`` on the
paper's MNIST networks (2-core AMD EPYC, rounded up): 552 MB at 100 test images, 100 samples and 2
bases; 20 KB more per L_I sample, 42 KB per sweep image, 14 KB per test image.
:func:`check_evaluation_memory` compares the estimate with :func:`~npgan.models.memory.available_memory`
(this process's own cgroup included) and refuses with one message where it cannot fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from npgan._checks import check_int
from npgan.models.infogan import InfoGANConfig, InfoGANNets
from npgan.models import memory as model_memory
from npgan.models.memory import NotEnoughMemory

#: the interpreter, numpy, numba, scipy and a forward batch of 500 images
_FIXED_BYTES = 192 * 2**20
#: the checkpoint's arrays and the rebuilt networks (training's per-parameter figure)
_BYTES_PER_PARAMETER = 32
#: one test image: the images, Q's outputs, the synthetic digits' rendering and factors
_BYTES_PER_TEST_IMAGE = 16 * 2**10
#: one L_I sample: its latent, G's image and Q's outputs (batches and their concatenation)
_BYTES_PER_SAMPLE = 24 * 2**10
#: one base latent of a continuous sweep: 11 images and their float64 moments' temporaries
_BYTES_PER_BASE = 512 * 2**10

_GIB = 2**30


@dataclass
class EvaluationMemory:
    """Estimated bytes of one evaluation (see the module docstring); :attr:`total` is the peak."""

    parameters: int
    network_bytes: int
    test_bytes: int
    phase_bytes: dict

    @property
    def total(self) -> int:
        return _FIXED_BYTES + self.network_bytes + self.test_bytes + max(self.phase_bytes.values(), default=0)


def evaluation_memory(config: InfoGANConfig, *, samples: int, bases: int, n_test: int,
                      synthetic: bool) -> EvaluationMemory:
    """The estimate for evaluating networks of ``config``.

    Parameters
    ----------
    config : InfoGANConfig
        The run's model settings (its latent layout and networks).
    samples : int
        Samples of the L_I estimate (``npgan eval --samples``).
    bases : int
        Base latents per continuous sweep (``--bases``).
    n_test : int
        Test images read (``--limit``, else the whole test split).
    synthetic : bool
        Whether the test data are the synthetic digits (the factor report runs on ``n_test`` more).

    Returns
    -------
    EvaluationMemory
    """
    if not isinstance(config, InfoGANConfig):
        raise TypeError(f"`config` must be an InfoGANConfig, got {type(config).__name__}")
    samples = check_int(samples, "samples", minimum=1)
    bases = check_int(bases, "bases", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    if not isinstance(synthetic, bool):
        raise TypeError(f"`synthetic` must be a bool, got {type(synthetic).__name__}")
    lat = config.latent
    n = InfoGANNets.parameter_count(config)
    phases = {f"L_I on {samples:,} samples": samples * _BYTES_PER_SAMPLE}
    if lat.continuous:
        phases[f"sweeps of {bases:,} bases x 11 values"] = bases * _BYTES_PER_BASE
    if synthetic:
        phases[f"factor report on {n_test:,} images"] = n_test * _BYTES_PER_TEST_IMAGE
    test = n_test * _BYTES_PER_TEST_IMAGE if lat.categorical else 0
    return EvaluationMemory(n, n * _BYTES_PER_PARAMETER, test, phases)


def check_evaluation_memory(config: InfoGANConfig, *, samples: int, bases: int, n_test: int,
                            synthetic: bool, copies: int = 1) -> EvaluationMemory:
    """Raise :class:`~npgan.models.memory.NotEnoughMemory` if the evaluation cannot fit.

    Arguments as :func:`evaluation_memory`; ``copies``: evaluations at once on this machine (a local
    sweep's worker processes), each needing as much. Returns the estimate of one. Where the memory
    available cannot be read, nothing is refused.
    """
    copies = check_int(copies, "copies", minimum=1)
    est = evaluation_memory(config, samples=samples, bases=bases, n_test=n_test, synthetic=synthetic)
    have = model_memory.available_memory()   # looked up at each call, as training's check does
    if have is not None and est.total * copies > have:
        largest = max(est.phase_bytes, key=est.phase_bytes.get)
        each = f"{copies} evaluations at once, each: " if copies > 1 else ""
        raise NotEnoughMemory(
            f"evaluating this run needs about {est.total * copies / _GIB:.1f} GiB ({each}{est.parameters:,} "
            f"parameters: {est.network_bytes / _GIB:.1f} GiB; {n_test:,} test images: "
            f"{est.test_bytes / _GIB:.1f} GiB; {largest}: {est.phase_bytes[largest] / _GIB:.1f} GiB), but only "
            f"{have / _GIB:.1f} GiB is available: lower --samples, --bases or --limit (in a sweep "
            "--eval-samples, --eval-bases, --eval-limit" + (", or --workers)" if copies > 1 else ")"))
    return est


__all__ = ["EvaluationMemory", "check_evaluation_memory", "evaluation_memory"]
