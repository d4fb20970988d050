"""The files of a run folder that the report reads and writes, besides the report itself.

- :func:`read_metrics`: ``metrics.jsonl``, one record per update.
- :func:`evaluate_and_save`: what ``npgan eval`` measures, written to ``eval.json`` with its heat maps.
- :func:`save_run_figures`: the figures ``npgan train`` leaves in the folder (Figure 2 traversals,
  samples, the L_I curve, the losses).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

EVAL_NAME = "eval.json"
#: the heat maps :func:`evaluate_and_save` writes into the run folder
MI_FIGURE, CLASS_FIGURE = "mi_matrix.png", "class_rho.png"
#: a sample grid and the L_I curve: one name each, whether npgan train or npgan sample / curves draws them
SAMPLES_FIGURE, LI_FIGURE = "samples.png", "li_curve.png"


def read_metrics(run_dir) -> list[dict]:
    """The records of ``run_dir/metrics.jsonl`` (an empty list if there is none).

    A torn last line (a write cut short) is dropped with a note; a damaged log, or a record without
    the numbers the figures read, is a :class:`npgan.train.MetricsError` (see
    :func:`npgan.train.read_metrics`).
    """
    from npgan.run.metrics import PLOTTED
    from npgan.run.metrics import read_metrics as read_log
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    return read_log(path, fields=PLOTTED).records


def evaluate_and_save(checkpoint, json_path=None, **kwargs) -> tuple[object, dict, list[Path]]:
    """Run :func:`npgan.evaluation.run.evaluate_run` and write its JSON and heat maps.

    Parameters
    ----------
    checkpoint : str or Path
        A checkpoint file or a run folder.
    json_path : str or Path, optional
        Where the JSON goes (default ``eval.json`` in the run folder); the heat maps go into the
        run folder either way (``npgan eval --json`` moves the JSON alone).
    **kwargs
        Passed on to ``evaluate_run`` (``dataset``, ``data_dir``, ``download``, ``samples`` ...).

    Returns
    -------
    nets, result, figures
        The networks, the JSON-able result (with the heat maps' paths under ``factors``) and the
        heat maps written (the per-class one first).
    """
    from npgan.evaluation.run import evaluate_run
    from npgan.figures import plot_class_correlations, plot_mi_matrix
    checkpoint = Path(checkpoint)
    nets, result = evaluate_run(checkpoint, **kwargs)
    folder = checkpoint if checkpoint.is_dir() else checkpoint.parent
    json_path = Path(json_path) if json_path else folder / EVAL_NAME
    figures = []
    if "factors" in result:
        rep = result["factors"]
        rep["figure"] = str(plot_mi_matrix(rep, folder / MI_FIGURE))
        figures.append(Path(rep["figure"]))
        if rep["class_rho"] is not None:
            rep["class_figure"] = str(plot_class_correlations(rep, folder / CLASS_FIGURE))
            figures.insert(0, Path(rep["class_figure"]))
    json_path.write_text(json.dumps(result, indent=2))
    return nets, result, figures


def save_run_figures(nets, records: list[dict], out_dir, seed: int) -> list[Path]:
    """Write the traversals, a sample grid, the L_I curve and the losses into ``out_dir``.

    The traversals and samples draw their latents from ``numpy.random.default_rng(seed)``.
    Returns the paths written.
    """
    from npgan.figures import plot_li_curves, plot_losses, save_samples, save_traversals
    out = Path(out_dir)
    model = nets.config
    rng = np.random.default_rng(seed)
    label = "GAN" if model.gan_baseline else "InfoGAN"
    paths = save_traversals(nets, out, rng, label=label)
    paths.append(save_samples(nets, out / SAMPLES_FIGURE, rng))
    if records:
        if model.latent.categorical:
            paths.append(plot_li_curves({label: records}, model.latent.categorical_entropy(), out / LI_FIGURE))
        paths.append(plot_losses(records, out / "losses.png"))
    return paths
