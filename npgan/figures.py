"""Figures: the paper's latent traversals (Figure 2), L_I curves (Figure 1), losses, samples, and
the heat maps of the evaluation (code-by-factor information, per-class correlations).

Every function writes a PNG and returns its path. matplotlib runs on the Agg backend (no screen).

Sizes are chosen for the run report (1 068 px of content on a laptop): the losses and the heat maps
take its full width, the L_I curve and the traversals half of it, each at about its natural size, so
their smallest text shows at 11 px or more. Each PNG records its smallest text in pixels
(:data:`TEXT_PX_KEY`), and the report's browser test checks it at the size the page shows it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from npgan._checks import check_generator, check_int
from npgan.evaluation.factor_report import STYLE_FACTORS
from npgan.evaluation.probes import generate
from npgan.models.infogan import InfoGANNets


def pyplot():
    """matplotlib.pyplot on the Agg backend (no screen needed); the one place that selects it."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


#: the PNG text entry holding a figure's smallest text height in pixels (:func:`save_figure`)
TEXT_PX_KEY = "npgan smallest text px"


def smallest_text_px(fig) -> float | None:
    """The font size of the smallest text drawn in ``fig``, in the PNG's pixels (None: no text)."""
    from matplotlib.text import Text
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes) * fig.dpi / 72.0 if sizes else None


def save_figure(fig, path, rect=None) -> Path:
    """Lay out ``fig`` (within ``rect``, figure fractions (left, bottom, right, top), if given), write
    it to ``path`` as a PNG (parent folders created) and close it.

    The PNG carries :func:`smallest_text_px` under :data:`TEXT_PX_KEY`, so a page that shows it can
    check that its text is legible at the size shown.
    """
    fig.tight_layout(rect=rect)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    px = smallest_text_px(fig)
    fig.savefig(path, metadata=None if px is None else {TEXT_PX_KEY: f"{px:.1f}"})
    pyplot().close(fig)
    return path


def tile(images: np.ndarray, rows: int, cols: int, pad: int = 1, fill: float = 1.0) -> np.ndarray:
    """Arrange (rows*cols, 1, H, W) images into one (rows*(H+pad)-pad, cols*(W+pad)-pad) canvas.

    ``fill`` is the value of the gaps between images (1.0: as dark as a stroke under ``gray_r``).
    """
    n, _, h, w = images.shape
    if n != rows * cols:
        raise ValueError(f"`images` holds {n} images, expected rows*cols = {rows * cols}")
    canvas = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), fill, dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            canvas[i * (h + pad): i * (h + pad) + h, j * (w + pad): j * (w + pad) + w] = images[i * cols + j, 0]
    return canvas


def _save_grid(canvas, path, title, xlabel=None, ylabel=None):
    """Draw ``canvas`` (images from :func:`tile`) into ``path``; images that are not finite (G's output
    overflowed or its weights are NaN) are a ValueError, never blank tiles."""
    bad = int(np.count_nonzero(~np.isfinite(canvas)))
    if bad:
        raise ValueError(f"{path}: {bad:,} of {canvas.size:,} pixels of G's images are not finite "
                         "(NaN or infinite): not drawn")
    plt = pyplot()
    h, w = canvas.shape
    # about two screen pixels per image pixel: 10 columns of digits make a 5.2-inch (520 px) figure,
    # shown at its size in half the report's width; the text at 11-12 pt (15-17 px)
    scale = 1.8 / 100
    fig, ax = plt.subplots(figsize=(max(3.0, w * scale + 0.5), max(3.0, h * scale + 0.9)), dpi=100)
    ax.imshow(canvas, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=12)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=11)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=11)
    return save_figure(fig, path)


def categorical_traversal(nets: InfoGANNets, code: int, rng: np.random.Generator, n_cols: int = 10):
    """Images for the paper's Figure 2a/2b: one row per category of categorical ``code``.

    The other latents (noise, other codes) are drawn once per column and kept fixed down it.
    Returns images of shape (k * n_cols, 1, 28, 28), row-major.
    """
    check_generator(rng)
    lat = nets.config.latent
    k = lat.categorical[code]
    z, cat, cont = lat.sample(n_cols, rng, dtype=nets.dtype)
    zz, cc, kk = np.tile(z, (k, 1)), np.tile(cat, (k, 1)), np.tile(cont, (k, 1))
    cc[:, code] = np.repeat(np.arange(k), n_cols)
    return generate(nets, zz, cc, kk)


def continuous_traversal(nets: InfoGANNets, code: int, rng: np.random.Generator, n_steps: int = 10,
                         low: float = -2.0, high: float = 2.0):
    """Images for the paper's Figure 2c/2d: continuous ``code`` swept from ``low`` to ``high``.

    One row per category of the first categorical code (or 10 random rows without one); noise and
    the other codes fixed along each row. Returns (rows * n_steps, 1, 28, 28).
    """
    check_generator(rng)
    lat = nets.config.latent
    rows = lat.categorical[0] if lat.categorical else 10
    z, cat, cont = lat.sample(rows, rng, dtype=nets.dtype)
    if lat.categorical:
        cat[:, 0] = np.arange(rows)
    values = np.linspace(low, high, n_steps)
    zz, cc, kk = np.repeat(z, n_steps, 0), np.repeat(cat, n_steps, 0), np.repeat(cont, n_steps, 0)
    kk[:, code] = np.tile(values, rows).astype(kk.dtype)
    return generate(nets, zz, cc, kk)


def traversal_names(latent) -> list[str]:
    """The files :func:`save_traversals` writes for ``latent``: categorical codes first."""
    return ([f"traverse_cat{j}.png" for j in range(latent.n_categorical)]
            + [f"traverse_cont{j}.png" for j in range(latent.continuous)])


def save_traversals(nets: InfoGANNets, out_dir, rng: np.random.Generator, label: str = "InfoGAN",
                    low: float = -2.0, high: float = 2.0) -> list[Path]:
    """Write one traversal figure per code into ``out_dir`` (:func:`traversal_names`); return the paths.

    Raises ValueError if G's images are not finite (a range so wide that G overflows, a diverged G).
    """
    out_dir = Path(out_dir)
    lat = nets.config.latent
    names = traversal_names(lat)
    paths = []
    for j, k in enumerate(lat.categorical):
        imgs = categorical_traversal(nets, j, rng)
        paths.append(_save_grid(tile(imgs, k, 10), out_dir / names[j],
                                f"{label}: categorical code c{j + 1} (one row per category)",
                                xlabel="noise and other codes fixed per column",
                                ylabel=f"c{j + 1} = 0 .. {k - 1}"))
    for j in range(lat.continuous):
        imgs = continuous_traversal(nets, j, rng, low=low, high=high)
        rows = imgs.shape[0] // 10
        name = f"c{lat.n_categorical + j + 1}"
        paths.append(_save_grid(tile(imgs, rows, 10), out_dir / names[lat.n_categorical + j],
                                f"{label}: continuous code {name} from {low:g} to {high:g}",
                                xlabel=f"{name}: {low:g} -> {high:g}", ylabel="one row per c1 category"))
    return paths


def save_samples(nets: InfoGANNets, path, rng: np.random.Generator, n: int = 100) -> Path:
    """A square-ish grid of ``n`` random samples."""
    n = check_int(n, "n", minimum=1)
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    lat = nets.config.latent
    z, cat, cont = lat.sample(rows * cols, rng, dtype=nets.dtype)
    imgs = generate(nets, z, cat, cont)
    imgs[n:] = 0.0
    return _save_grid(tile(imgs, rows, cols), path, f"{n} samples")


def _smooth(y: np.ndarray, k: int) -> np.ndarray:
    """Trailing mean over the last ``k`` values, defined from the first one: the mean of every value
    so far until there are ``k`` of them (raw values there, then a mean, drew a dip that was not in
    the data)."""
    y = np.asarray(y, dtype=np.float64)
    if k < 2 or y.size == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    i = np.arange(1, y.size + 1)
    lo = np.maximum(i - k, 0)
    return (c[i] - c[lo]) / (i - lo)


def plot_li_curves(runs: dict[str, list[dict]], h_c: float, path, smooth: int = 20) -> Path:
    """The paper's Figure 1: L_I (categorical part) against updates, with H(c) drawn.

    ``runs`` maps a label (e.g. "InfoGAN", "GAN") to its metrics records (``update``, ``li_cat``).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.6), dpi=100)   # half the report's width, at its size
    for label, recs in runs.items():
        u = np.array([r["update"] for r in recs])
        li = np.array([r["li_cat"] for r in recs], dtype=np.float64)
        ax.plot(u, _smooth(li, smooth), label=label, lw=1.4)
    ax.axhline(h_c, color="k", ls="--", lw=1, label=f"H(c) = {h_c:.3f} nats")
    ax.set_xlabel("updates", fontsize=11)
    ax.set_ylabel("L_I (nats)", fontsize=11)
    ax.set_title("Lower bound L_I of I(c; G(z, c))", fontsize=12)
    ax.tick_params(labelsize=10)
    ax.legend(loc="center right", fontsize=10)   # between a GAN's curve near 0 and InfoGAN's near H(c)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


#: why the D loss can go below zero, wherever it is shown
D_LOSS_SIGN = ("D's loss is its GAN loss minus lambda L_I plus the weighted extra terms, so it can go "
               "below 0; G's also subtracts lambda L_I.")


def plot_losses(records: list[dict], path, smooth: int = 20) -> Path:
    """D and G losses and mean D outputs against updates; a note under them says why the D loss can
    be negative (:data:`D_LOSS_SIGN`)."""
    plt = pyplot()
    u = np.array([r["update"] for r in records])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.9), dpi=100)   # the report's full width, at its size
    for key in ("d_loss", "g_loss"):
        axes[0].plot(u, _smooth(np.array([r[key] for r in records], dtype=np.float64), smooth), label=key)
    axes[0].set_title(f"losses (trailing mean of {smooth} updates)" if smooth > 1 else "losses", fontsize=12)
    axes[0].axhline(0.0, color="k", lw=0.8, alpha=0.5)
    for key in ("d_real", "d_fake"):
        axes[1].plot(u, _smooth(np.array([r[key] for r in records], dtype=np.float64), smooth), label=key)
    axes[1].set_title("mean D(x) on real and fake batches", fontsize=12)
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("updates", fontsize=11)
        ax.tick_params(labelsize=10)
        ax.legend(fontsize=10)
        ax.grid(alpha=0.3)
    fig.text(0.01, 0.015, D_LOSS_SIGN.replace("lambda L_I", "\u03bb L_I"), fontsize=10, ha="left", va="bottom")
    return save_figure(fig, path, rect=(0, 0.07, 1, 1))


_REPORT_KEYS = ("code_names", "factor_names", "mi", "factor_entropies")


def plot_mi_matrix(report: Mapping, path) -> Path:
    """Heat map of the MI matrix (codes x factors), saved as a PNG.

    Colours show ``I(c; v) / H(v)`` on a fixed [0, 1] scale (the fraction of each factor's
    entropy a code captures, so columns are comparable); each cell is annotated with the MI
    itself in nats. The title carries the MIG (all factors, and rotation/width when present).

    Parameters
    ----------
    report : mapping
        A :func:`npgan.evaluation.factor_report.factor_report` result (at least ``code_names``,
        ``factor_names``, ``mi``, ``factor_entropies``; ``mig`` and ``mig_style`` are shown when present).
    path : str or Path
        Where to write the PNG (parent folders are created).

    Returns
    -------
    Path
    """
    if not isinstance(report, Mapping):
        raise TypeError(f"`report` must be a dict from factor_report, got {type(report).__name__}")
    missing = [k for k in _REPORT_KEYS if k not in report]
    if missing:
        raise ValueError(f"`report` lacks the keys {missing}; pass the dict returned by factor_report")
    mi = np.asarray(report["mi"], dtype=np.float64)
    h = np.asarray(report["factor_entropies"], dtype=np.float64)
    codes, fnames = list(report["code_names"]), list(report["factor_names"])
    if mi.shape != (len(codes), len(fnames)) or h.shape != (len(fnames),):
        raise ValueError(f"`report`: `mi` has shape {mi.shape} and `factor_entropies` {h.shape}, expected "
                         f"({len(codes)}, {len(fnames)}) and ({len(fnames)},) from the names")
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = np.where(h > 0, mi / h, 0.0)

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.3 * len(fnames) + 2.4, 0.6 * len(codes) + 1.9), dpi=110)
    im = ax.imshow(norm, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(len(codes)):
        for j in range(len(fnames)):
            ax.text(j, i, f"{mi[i, j]:.2f}", ha="center", va="center", fontsize=9,
                    color="black" if norm[i, j] > 0.6 else "white")
    ax.set_xticks(range(len(fnames)))
    ax.set_xticklabels([f"{f}\nH={hj:.2f}" for f, hj in zip(fnames, h)], fontsize=8)
    ax.set_yticks(range(len(codes)))
    ax.set_yticklabels(codes)
    ax.set_xlabel("true factor (H in nats)")
    ax.set_ylabel("inferred code")
    cbar = fig.colorbar(im, ax=ax)
    cbar.set_label("I(code; factor) / H(factor)", fontsize=8)
    title = "I(code; factor), nats"
    score = report.get("mig")
    if score is not None:
        title += f"   MIG = {float(score):.3f}"
        style = report.get("mig_style")
        if style is not None and np.isfinite(style):
            title += f" ({'+'.join(report.get('style_factors', STYLE_FACTORS))}: {float(style):.3f})"
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


def plot_class_correlations(report, path) -> Path:
    """Heat map of the per-class rank correlations (rows: code and factor, columns: digit class).

    Red and blue are the two signs, so a class that uses a code with the other sign, or the other
    code, stands out in its column.

    Parameters
    ----------
    report : mapping
        A :func:`npgan.evaluation.factor_report.factor_report` result with ``class_rho`` (not None),
        ``classes``, ``code_names``, ``style_factors`` and ``class_agreement``.
    path : str or Path
        Where to write the PNG (parent folders are created).

    Returns
    -------
    Path
    """
    if not isinstance(report, Mapping):
        raise TypeError(f"`report` must be a dict from factor_report, got {type(report).__name__}")
    if report.get("class_rho") is None:
        raise ValueError("`report` has no per-class correlations (`class_rho`): the networks need a "
                         "continuous code and the data set rotation or width")
    rho = np.asarray(report["class_rho"], dtype=np.float64)
    classes = [int(k) for k in report["classes"]]
    names = list(report["code_names"])
    cont = names[len(names) - rho.shape[0]:]
    factors = list(report["style_factors"])
    rows = [(i, j) for j in range(len(factors)) for i in range(len(cont))]
    table = np.array([rho[i, j] for i, j in rows])

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(0.55 * len(classes) + 2.6, 0.5 * len(rows) + 1.7), dpi=110)
    im = ax.imshow(np.nan_to_num(table), cmap="RdBu_r", vmin=-1.0, vmax=1.0, aspect="auto")
    for r in range(len(rows)):
        for k in range(len(classes)):
            v = table[r, k]
            ax.text(k, r, "-" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if abs(np.nan_to_num(v)) > 0.6 else "black")
    ax.set_xticks(range(len(classes)))
    ax.set_xticklabels(classes)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{cont[i]} / {factors[j]}" for i, j in rows], fontsize=8)
    ax.set_xlabel("digit class")
    fig.colorbar(im, ax=ax).set_label("rank correlation", fontsize=8)
    agree = report.get("class_agreement") or {}
    ax.set_title("code vs factor within each class; classes agreeing on code and sign: " + ", ".join(
        f"{f} {a * len(classes):.0f}/{len(classes)}" for f, a in agree.items() if np.isfinite(a)), fontsize=9)
    return save_figure(fig, path)
