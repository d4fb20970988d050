"""Save a PNG showing what each factor of the synthetic digits does.

Usage::

    python examples/synthetic_digits_preview.py [out.png]

One panel per factor (rotation, width, thickness, font): each row is one
digit, each column one value of that factor, the other factors held at the
middle of their ranges (rotation at 0). A last panel shows 40 random samples
(``make_synthetic_digits(40, 0)``).
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from npgan.data.synthetic import DEFAULT_RANGES, factor_sweeps, make_synthetic_digits  # noqa: E402


def tile(images: np.ndarray) -> np.ndarray:
    """(rows, cols, 28, 28) -> one (rows*30, cols*30) picture with 2-px grey gaps."""
    rows, cols, h, w = images.shape
    out = np.full((rows, cols, h + 2, w + 2), 0.25, np.float32)
    out[:, :, 1:-1, 1:-1] = images
    return out.transpose(0, 2, 1, 3).reshape(rows * (h + 2), cols * (w + 2))


def main(path: str = "synthetic_digits_preview.png") -> None:
    sweeps = factor_sweeps(steps=7, digits=(2, 3, 4, 7))
    samples = make_synthetic_digits(40, 0).images[:, 0].reshape(4, 10, 28, 28)
    panels = [(f"{name} {lo:g} .. {hi:g}", sweeps[name][0]) for name, (lo, hi) in DEFAULT_RANGES.items()]
    panels.append(("font: " + ", ".join(sweeps["font"][1]), sweeps["font"][0]))
    panels.append(("random samples, seed 0", samples))
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.2 * len(panels)))
    for ax, (title, imgs) in zip(axes, panels):
        ax.imshow(tile(imgs), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"saved {path}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
