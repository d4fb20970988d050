"""Figures: the paper's latent traversals (Figure 2), L_I curves (Figure 1), losses and samples.

Every function writes a PNG and returns its path. matplotlib runs on the Agg backend (no screen).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from npgan._checks import check_generator, check_int
from npgan.evaluate import generate
from npgan.models.infogan import InfoGANNets


def pyplot():
    """matplotlib.pyplot on the Agg backend (no screen needed); the one place that selects it."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path) -> Path:
    """Lay out ``fig``, write it to ``path`` as a PNG (parent folders created) and close it."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    pyplot().close(fig)
    return path


def tile(images: np.ndarray, rows: int, cols: int, pad: int = 1) -> np.ndarray:
    """Arrange (rows*cols, 1, H, W) images into one (rows*(H+pad)-pad, cols*(W+pad)-pad) canvas."""
    n, _, h, w = images.shape
    if n != rows * cols:
        raise ValueError(f"`images` holds {n} images, expected rows*cols = {rows * cols}")
    canvas = np.ones((rows * (h + pad) - pad, cols * (w + pad) - pad), dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            canvas[i * (h + pad): i * (h + pad) + h, j * (w + pad): j * (w + pad) + w] = images[i * cols + j, 0]
    return canvas


def _save_grid(canvas, path, title, xlabel=None, ylabel=None):
    plt = pyplot()
    h, w = canvas.shape
    fig, ax = plt.subplots(figsize=(max(3.0, w / 40), max(3.0, h / 40) + 0.4), dpi=100)
    ax.imshow(canvas, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=9)
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


def save_traversals(nets: InfoGANNets, out_dir, rng: np.random.Generator, label: str = "InfoGAN",
                    low: float = -2.0, high: float = 2.0) -> list[Path]:
    """Write one traversal figure per code into ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    lat = nets.config.latent
    paths = []
    for j, k in enumerate(lat.categorical):
        imgs = categorical_traversal(nets, j, rng)
        paths.append(_save_grid(tile(imgs, k, 10), out_dir / f"traverse_cat{j}.png",
                                f"{label}: categorical code c{j + 1} (one row per category)",
                                xlabel="noise and other codes fixed per column",
                                ylabel=f"c{j + 1} = 0 .. {k - 1}"))
    for j in range(lat.continuous):
        imgs = continuous_traversal(nets, j, rng, low=low, high=high)
        rows = imgs.shape[0] // 10
        name = f"c{lat.n_categorical + j + 1}"
        paths.append(_save_grid(tile(imgs, rows, 10), out_dir / f"traverse_cont{j}.png",
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
    if y.size < k or k < 2:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    s = (c[k:] - c[:-k]) / k
    return np.concatenate([y[: k - 1], s])


def plot_li_curves(runs: dict[str, list[dict]], h_c: float, path, smooth: int = 20) -> Path:
    """The paper's Figure 1: L_I (categorical part) against updates, with H(c) drawn.

    ``runs`` maps a label (e.g. "InfoGAN", "GAN") to its metrics records (``update``, ``li_cat``).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    for label, recs in runs.items():
        u = np.array([r["update"] for r in recs])
        li = np.array([r["li_cat"] for r in recs], dtype=np.float64)
        ax.plot(u, _smooth(li, smooth), label=label, lw=1.4)
    ax.axhline(h_c, color="k", ls="--", lw=1, label=f"H(c) = {h_c:.3f} nats")
    ax.set_xlabel("updates")
    ax.set_ylabel("L_I (nats)")
    ax.set_title("Variational lower bound L_I of I(c1; G(z, c))")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_losses(records: list[dict], path, smooth: int = 20) -> Path:
    """D and G losses and mean D outputs against updates."""
    plt = pyplot()
    u = np.array([r["update"] for r in records])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), dpi=110)
    for key in ("d_loss", "g_loss"):
        axes[0].plot(u, _smooth(np.array([r[key] for r in records], dtype=np.float64), smooth), label=key)
    axes[0].set_title("losses")
    for key in ("d_real", "d_fake"):
        axes[1].plot(u, _smooth(np.array([r[key] for r in records], dtype=np.float64), smooth), label=key)
    axes[1].set_title("mean D(x)")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("updates")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return save_figure(fig, path)
