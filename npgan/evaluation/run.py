"""Everything ``npgan eval`` measures for a trained run, as one JSON-able dict, and its text form.

:func:`evaluate_run` loads a checkpoint (a file or a run folder) and measures: the categorical
code's Hungarian-matched accuracy on the test split, L_I on fresh samples, each continuous code's
rank correlation with slant and width along sweeps, and on the synthetic digits the full factor
report (:func:`npgan.evaluation.factor_report.factor_report`). :func:`format_eval` prints it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from npgan._checks import check_int
from npgan.data import load_dataset, make_synthetic_digits
from npgan.data.datasets import SYNTHETIC_SEEDS, n_test_images
from npgan.evaluation.clustering import cluster_accuracy
from npgan.evaluation.factor_report import factor_report
from npgan.evaluation.memory import check_evaluation_memory
from npgan.evaluation.probes import categorical_predictions, estimate_li
from npgan.evaluation.sweeps import sweep_correlations
from npgan.kernels.threads import use_threads
from npgan.run import read_checkpoint_meta
from npgan.run.folder import CHECKPOINT_NAME
from npgan.train import load_trained
from npgan.train.config import checkpoint_config

DATASETS = ("synthetic", "mnist")


def _jsonable(report: dict) -> dict:
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in report.items()}


def _check_memory(checkpoint, dataset, *, samples: int, bases: int, limit: int | None) -> None:
    """Raise :class:`~npgan.models.memory.NotEnoughMemory` for an evaluation that cannot fit, from the
    checkpoint's settings alone (its JSON skeleton, no array loaded): :mod:`npgan.evaluation.memory`."""
    path = Path(checkpoint)
    path = path / CHECKPOINT_NAME if path.is_dir() else path
    state = read_checkpoint_meta(path)
    config = checkpoint_config(state, path)
    dataset = dataset or state["dataset"]
    check_evaluation_memory(config.model, samples=samples, bases=bases, n_test=n_test_images(dataset, limit),
                            synthetic=dataset == "synthetic")


def evaluate_run(checkpoint, *, dataset: str | None = None, data_dir=None, download: bool = False,
                 samples: int = 10000, bases: int = 64, limit: int | None = None, seed: int = 0, log=None):
    """Evaluate the networks in ``checkpoint`` (a checkpoint file or a run folder).

    Parameters
    ----------
    dataset : {"synthetic", "mnist"}, optional
        Test data (default: the run's own).
    data_dir, download :
        Where MNIST is, and whether to download it if missing (verified).
    samples : int
        Fresh samples for the L_I estimate.
    bases : int
        Base latents per continuous-code sweep.
    limit : int, optional
        Use only the first ``limit`` test images.
    seed : int
        Seed of the samples and sweeps.
    log : callable, optional
        Called with one line as each phase starts (the accuracy, the factor report, L_I, the
        sweeps), so a caller can show where a minute-long evaluation is; the CLI prints them.

    Returns
    -------
    nets : InfoGANNets
        The run's networks (evaluation mode).
    result : dict
        JSON-able: ``checkpoint``, ``update``, ``dataset``; ``accuracy``, ``n_test``, ``mapping``
        (category -> class), ``confusion`` (classes x categories) with a categorical code;
        ``li_cat``, ``li_cont``, ``h_cat``; ``continuous`` (per code: ``rotation``, ``width`` rank
        correlations); ``factors`` (the factor report) on the synthetic digits.

    Raises
    ------
    NotEnoughMemory
        The evaluation cannot fit in the memory available (checked before anything is loaded).

    The networks run on npgan's thread pool (:func:`npgan.kernels.threads.use_threads`).
    """
    samples = check_int(samples, "samples", minimum=1)
    bases = check_int(bases, "bases", minimum=2)
    if limit is not None:
        limit = check_int(limit, "limit", minimum=1)
    log = log or (lambda line: None)
    _check_memory(checkpoint, dataset, samples=samples, bases=bases, limit=limit)
    nets, meta = load_trained(checkpoint)
    dataset = dataset or meta["dataset"]
    if dataset not in DATASETS:
        raise ValueError(f"the checkpoint's dataset {dataset!r} is unknown; pass `dataset` (one of {DATASETS})")
    with use_threads():   # on npgan's pool, as in training: the numbers do not depend on the thread count
        lat = nets.config.latent
        rng = np.random.default_rng(seed)
        result = {"checkpoint": str(checkpoint), "update": meta["update"], "dataset": dataset}
        if lat.categorical:
            kw = {"data_dir": data_dir, "download": download} if dataset == "mnist" else {}
            log(f"accuracy of c1 on the {dataset} test images" + (f" (the first {limit:,})" if limit else ""))
            images, labels = load_dataset(dataset, split="test", n=limit, **kw)
            pred = categorical_predictions(nets, images)
            acc, mapping, confusion = cluster_accuracy(labels.astype(np.int64), pred, 10, lat.categorical[0])
            result.update(accuracy=acc, n_test=int(images.shape[0]), mapping=mapping, confusion=confusion.tolist())
        if dataset == "synthetic":
            n_test = n_test_images(dataset, limit)
            log(f"factor report (mutual information, MIG) on {n_test:,} synthetic test images")
            result["factors"] = _jsonable(factor_report(nets, make_synthetic_digits(n_test, SYNTHETIC_SEEDS["test"])))
        log(f"L_I on {samples:,} fresh samples")
        result.update(estimate_li(nets, samples, rng))
        if lat.continuous:
            log(f"continuous sweeps: {lat.continuous} codes x {bases:,} base latents x 11 values")
        result["continuous"] = sweep_correlations(nets, rng, n_bases=bases)
    return nets, result


def format_eval(result: dict, n_categorical: int) -> str:
    """The text ``npgan eval`` prints for an :func:`evaluate_run` result."""
    lines = [f"npgan eval: {result['checkpoint']} (update {result['update']}, {result['dataset']})"]
    if "accuracy" in result:
        lines.append(f"  categorical accuracy (Hungarian-matched, {result['n_test']} test images): "
                     f"{result['accuracy']:.4f}")
    lines.append(f"  L_I categorical: {result['li_cat']:.4f} nats (H(c) = {result['h_cat']:.4f})")
    if result["continuous"]:
        lines.append(f"  L_I continuous:  {result['li_cont']:.4f} nats")
        lines.append("  continuous code | rotation rho | width rho   (mean Spearman along sweeps of [-1, 1])")
        for r in result["continuous"]:
            name = f"c{n_categorical + r['code'] + 1}"
            lines.append(f"  {name:>15} | {r['rotation']:+12.3f} | {r['width']:+9.3f}")
    if "factors" in result:
        lines += _factor_lines(result["factors"])
    return "\n".join(lines)


def _f3(v: float | None) -> str:
    """Three decimals, or "n/a" for a number that is not defined (NMI(c1, digit) without a c1)."""
    return "n/a" if v is None else f"{v:.3f}"


def _factor_lines(rep: dict) -> list[str]:
    names, factors = rep["code_names"], rep["factor_names"]
    lines = [f"  mutual information I(code; factor) in nats, {rep['n_samples']} synthetic test images "
             f"({rep['n_bins']} bins per continuous variable):",
             "  " + " " * 6 + "".join(f"{f:>11}" for f in factors)]
    lines += [f"  {name:>6}" + "".join(f"{v:11.3f}" for v in row) for name, row in zip(names, rep["mi"])]
    lines.append("  H(fac)" + "".join(f"{v:11.3f}" for v in rep["factor_entropies"]))
    lines.append(f"  MIG (all factors): {_f3(rep['mig'])};  MIG ({' + '.join(rep['style_factors'])}): "
                 f"{_f3(rep['mig_style'])};  NMI(c1, digit): {_f3(rep['nmi'])}")
    if rep.get("class_rho") is not None:
        rho = np.asarray(rep["class_rho"], dtype=np.float64)
        cont = names[len(names) - rho.shape[0]:]
        lines.append("  rank correlation of each continuous code with each factor within each digit class:")
        lines.append(f"  {'digit class':>17}" + "".join(f"{int(k):>6}" for k in rep["classes"]))
        for j, fac in enumerate(rep["style_factors"]):
            lines += [f"  {code:>6} {fac:>9} " + "".join(f"{v:6.2f}" for v in rho[i, j]) for i, code in enumerate(cont)]
        lines.append("  classes that follow each factor with the majority's code and sign: " + ", ".join(
            f"{fac} {frac * rho.shape[2]:.0f} of {rho.shape[2]}" if np.isfinite(frac) else f"{fac} undefined"
            for fac, frac in rep["class_agreement"].items()))
    return lines
