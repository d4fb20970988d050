"""The latent explorer's frames: which code combinations are pre-rendered, and G's images of them.

The page lets a person pick a category for each categorical code, a value in [-2, 2] for each
continuous code (``steps`` values, 0 among them) and one of ``noise`` fixed noise vectors. Every
combination would be exponential in the number of codes, so the frames rendered are chosen by one
rule (:func:`plan_explorer`):

- codes are taken in order, categorical first; the longest leading run of them whose **full grid**
  (every combination), times the rest explored one at a time, fits ``budget`` frames per page is
  "free": any combination of them can be shown;
- the remaining codes are explored **one at a time** from an anchor (category 0, value 0): setting
  one of them puts the others back to their anchors (the page says so).

With the paper's layout (10 categories, 2 continuous codes, 9 steps, 8 noise vectors: 6 480 frames)
everything is free. With 3 continuous codes c1 stays free and c2 .. c4 go one at a time.

Frame order (the page computes the same index): noise vector, then the free codes' values
(row-major, first code slowest), then the "single" state: 0 = every single code at its anchor,
then for each single code in order its non-anchor values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from npgan._checks import check_generator, check_int, check_real
from npgan.evaluation.probes import generate
from npgan.models.latent import LatentSpec
from npgan.report.images import to_grey

DEFAULT_STEPS = 9
DEFAULT_NOISE = 8
DEFAULT_BUDGET = 8192
SHEET_COLS = 32


@dataclass(frozen=True)
class ExplorerCode:
    """One structured code as the page shows it.

    ``kind`` is "categorical" or "continuous"; ``index`` its position among codes of that kind;
    ``values`` the values the page offers (categories, or continuous values); ``anchor`` the index
    of the value the code takes while another single code is set; ``free`` whether it is in the
    full grid.
    """

    name: str
    kind: str
    index: int
    values: tuple
    anchor: int
    free: bool

    @property
    def size(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class ExplorerPlan:
    """The codes, the number of noise vectors, and so the frames to render (see the module doc)."""

    codes: tuple[ExplorerCode, ...]
    n_noise: int

    @property
    def free(self) -> tuple[ExplorerCode, ...]:
        return tuple(c for c in self.codes if c.free)

    @property
    def single(self) -> tuple[ExplorerCode, ...]:
        return tuple(c for c in self.codes if not c.free)

    @property
    def n_free(self) -> int:
        """Combinations of the free codes."""
        return math.prod(c.size for c in self.free)

    @property
    def n_single(self) -> int:
        """States of the single codes: all at their anchors, or one of them elsewhere."""
        return 1 + sum(c.size - 1 for c in self.single)

    @property
    def frames_per_noise(self) -> int:
        return self.n_free * self.n_single

    @property
    def n_frames(self) -> int:
        return self.n_noise * self.frames_per_noise

    def frame_index(self, values) -> int:
        """The index, among one noise vector's frames, of the state with value index ``values[j]`` for
        code ``j`` (the page's script computes the same). A state with two one-at-a-time codes away from
        their anchors is not rendered: ValueError."""
        if len(values) != len(self.codes):
            raise ValueError(f"`values` must give one value index per code ({len(self.codes)}), got {len(values)}")
        free, single, offset = 0, 0, 1
        for c, v in zip(self.codes, values):
            if not 0 <= v < c.size:
                raise ValueError(f"{c.name} has {c.size} values, got value index {v}")
            if c.free:
                free = free * c.size + int(v)
            else:
                if v != c.anchor:
                    if single:
                        raise ValueError("two one-at-a-time codes away from their anchors: not rendered")
                    single = offset + (int(v) if v < c.anchor else int(v) - 1)
                offset += c.size - 1
        return free * self.n_single + single

    def anchors(self) -> tuple[int, ...]:
        """The page's first state: every code at its anchor (category 0, value 0)."""
        return tuple(c.anchor for c in self.codes)

    def value_indices(self) -> np.ndarray:
        """Each frame's value index for every code, for one noise vector: (frames_per_noise, n_codes)."""
        free_pos = [i for i, c in enumerate(self.codes) if c.free]
        single_pos = [i for i, c in enumerate(self.codes) if not c.free]
        idx = np.empty((self.n_free, self.n_single, len(self.codes)), dtype=np.int64)
        if free_pos:
            grid = np.unravel_index(np.arange(self.n_free), tuple(self.codes[i].size for i in free_pos))
            for i, g in zip(free_pos, grid):
                idx[:, :, i] = g[:, None]
        state = 1
        for i in single_pos:
            c = self.codes[i]
            idx[:, :, i] = c.anchor
            others = [v for v in range(c.size) if v != c.anchor]
            idx[:, state: state + len(others), i] = others
            state += len(others)
        return idx.reshape(self.frames_per_noise, len(self.codes))

    def latents(self, noise: np.ndarray, dtype=np.float32):
        """``(z, cat, cont)`` of every frame in page order, for noise vectors ``noise`` (n_noise, noise_dim)."""
        idx = self.value_indices()
        per = idx.shape[0]
        z = np.repeat(np.asarray(noise, dtype=dtype), per, axis=0)
        n_cat = sum(c.kind == "categorical" for c in self.codes)
        cat = np.zeros((per, n_cat), dtype=np.int64)
        cont = np.zeros((per, len(self.codes) - n_cat), dtype=dtype)
        for j, c in enumerate(self.codes):
            values = np.asarray(c.values)[idx[:, j]]
            if c.kind == "categorical":
                cat[:, c.index] = values
            else:
                cont[:, c.index] = values
        return z, np.tile(cat, (self.n_noise, 1)), np.tile(cont, (self.n_noise, 1))


def _codes(latent: LatentSpec, steps: int, span: float) -> list[ExplorerCode]:
    codes = [ExplorerCode(f"c{j + 1}", "categorical", j, tuple(range(k)), 0, True)
             for j, k in enumerate(latent.categorical)]
    values = tuple(float(v) for v in np.linspace(-span, span, steps))
    codes += [ExplorerCode(f"c{latent.n_categorical + j + 1}", "continuous", j, values, steps // 2, True)
              for j in range(latent.continuous)]
    return codes


def plan_explorer(latent: LatentSpec, *, steps: int = DEFAULT_STEPS, span: float = 2.0,
                  noise: int = DEFAULT_NOISE, budget: int = DEFAULT_BUDGET) -> ExplorerPlan:
    """Choose the frames of the explorer for ``latent`` (the rule is in the module docstring).

    Parameters
    ----------
    latent : LatentSpec
    steps : int
        Values of each continuous code, evenly from ``-span`` to ``span``; odd, so 0 is one of them.
    span : float
        Continuous codes are swept over [-span, span] (the paper's figures use 2).
    noise : int
        Noise vectors to step through (1 when the latent has no noise).
    budget : int
        Frames the full grid may use; the one-at-a-time frames are always rendered, even beyond it.
    """
    if not isinstance(latent, LatentSpec):
        raise TypeError(f"`latent` must be a LatentSpec, got {type(latent).__name__}")
    steps = check_int(steps, "steps", minimum=3)
    if steps % 2 == 0:
        raise ValueError(f"`steps` must be odd (so 0 is one of the values), got {steps}")
    span = check_real(span, "span", minimum=0.0, strict_min=True)
    noise = check_int(noise, "noise", minimum=1)
    budget = check_int(budget, "budget", minimum=1)
    n_noise = noise if latent.noise_dim else 1
    codes = _codes(latent, steps, span)
    sizes = [c.size for c in codes]
    n_free = 0
    for m in range(len(codes), -1, -1):
        total = n_noise * math.prod(sizes[:m]) * (1 + sum(s - 1 for s in sizes[m:]))
        if total <= budget:
            n_free = m
            break
    codes = [ExplorerCode(c.name, c.kind, c.index, c.values, c.anchor, i < n_free) for i, c in enumerate(codes)]
    return ExplorerPlan(tuple(codes), n_noise)


def matched_digits(evaluation: dict | None, n_categories: int) -> tuple[int | None, ...] | None:
    """The class (digit) each category of c1 was matched to by ``npgan eval`` on a labelled test set.

    ``evaluation`` is an ``eval.json`` (its ``mapping``, category -> class, keys as text once read
    back, is Hungarian-matched: :func:`npgan.evaluation.clustering.cluster_accuracy`). Returns one
    entry per category, None for a category left unmatched (more categories than classes); None
    when there is no evaluation with a mapping (not evaluated, or no categorical code).
    """
    n_categories = check_int(n_categories, "n_categories", minimum=1)
    mapping = (evaluation or {}).get("mapping")
    if not mapping:
        return None
    digits = {int(k): int(v) for k, v in mapping.items()}
    return tuple(digits.get(j) for j in range(n_categories))


@dataclass(frozen=True)
class ExplorerFrames:
    """The rendered explorer: its plan, the noise vectors, and one sprite sheet per noise vector.

    ``sheets[v]`` is a uint8 grey image (:func:`npgan.report.images.to_grey`) of shape
    (rows*H, cols*W) holding frame ``i`` (``frame`` = (H, W)) of noise vector ``v`` at row ``i // cols``, column
    ``i % cols`` (unused cells white).
    """

    plan: ExplorerPlan
    noise: np.ndarray
    sheets: tuple[np.ndarray, ...]
    cols: int
    frame: tuple[int, int]

    def image(self, values, noise: int = 0) -> np.ndarray:
        """The frame of the state ``values`` (value indices, see :meth:`ExplorerPlan.frame_index`) for
        noise vector ``noise``: uint8 grey, shape ``frame``."""
        k = self.plan.frame_index(values)
        (h, w), row, col = self.frame, *divmod(k, self.cols)
        return self.sheets[noise][row * h: (row + 1) * h, col * w: (col + 1) * w]

    def manifest(self) -> dict:
        """What the page's script needs, JSON-able (the noise vectors are float32, written exactly)."""
        return {
            "codes": [{"name": c.name, "kind": c.kind, "values": list(c.values), "anchor": c.anchor, "free": c.free}
                      for c in self.plan.codes],
            "n_noise": self.plan.n_noise, "n_single": self.plan.n_single,
            "frames_per_noise": self.plan.frames_per_noise, "cols": self.cols,
            "frame": list(self.frame),
            "noise": [[float(v) for v in row] for row in self.noise],
        }


def render_explorer(nets, plan: ExplorerPlan, rng: np.random.Generator, batch_size: int = 500) -> ExplorerFrames:
    """Draw the noise vectors from ``rng`` and render every frame of ``plan`` with G (evaluation mode)."""
    if not isinstance(plan, ExplorerPlan):
        raise TypeError(f"`plan` must be an ExplorerPlan, got {type(plan).__name__}")
    check_generator(rng)
    lat = nets.config.latent
    noise = lat.sample(plan.n_noise, rng, dtype=nets.dtype)[0]
    z, cat, cont = plan.latents(noise, dtype=nets.dtype)
    grey = to_grey(generate(nets, z, cat, cont, batch_size=batch_size))  # (n_frames, 28, 28)
    per, (h, w) = plan.frames_per_noise, grey.shape[1:]
    cols = min(SHEET_COLS, per)
    rows = -(-per // cols)
    sheets = []
    for v in range(plan.n_noise):
        cells = np.full((rows * cols, h, w), 255, dtype=np.uint8)
        cells[:per] = grey[v * per: (v + 1) * per]
        sheets.append(cells.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w))
    return ExplorerFrames(plan, noise, tuple(sheets), cols, (h, w))
