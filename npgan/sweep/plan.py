"""What a sweep trains: arms (a recipe with settings) times seeds, and where each run lives.

An *arm* is one set of settings: a recipe (:mod:`npgan.recipes`) with ``--set`` values on top. A
setting given more than once is varied: every combination of the varied values is an arm, named
after the recipe and the values it varies (``npgan``, ``npgan_consistency.weight=0.5``). The GAN
baseline is one more arm, ``gan``: the first recipe with the settings given once and
``gan_baseline=true``. Each arm runs every seed; run ``ARM/seedK`` lives in ``OUT/ARM/seedK``, a
folder exactly like one ``npgan train`` writes.

Nothing here imports Dask: a plan can be made, stored and read back on a machine without it.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import asdict, dataclass, field
from pathlib import Path

from npgan._checks import check_int
from npgan.data.datasets import SYNTHETIC_SIZES
from npgan.recipes import DATASETS, RECIPES, resolve
from npgan.train import TrainingConfig

#: the name of the GAN baseline's arm
GAN_ARM = "gan"
#: the most runs one sweep plans (arms x seeds): 1 000 runs of 5 000 updates are some 400 core-hours
MAX_RUNS = 1000


@dataclass(frozen=True)
class RunSpec:
    """One training run of a sweep.

    Parameters
    ----------
    arm : str
        The arm's name (also its folder under the sweep's output folder).
    recipe : str
        The recipe the settings start from.
    seed : int
    overrides : dict[str, str]
        Flat settings on top of the recipe, as on the command line (``{"consistency.weight": "0.5"}``).
    """

    arm: str
    recipe: str
    seed: int
    overrides: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``ARM/seedK``: the run's name in tables and its folder below the output folder."""
        return f"{self.arm}/seed{self.seed}"


@dataclass(frozen=True)
class EvalOptions:
    """How each finished run is evaluated (the options of ``npgan eval``)."""

    samples: int = 10000
    bases: int = 64
    limit: int | None = None

    def __post_init__(self):
        check_int(self.samples, "samples", minimum=1)
        check_int(self.bases, "bases", minimum=2)
        if self.limit is not None:
            check_int(self.limit, "limit", minimum=1)


@dataclass(frozen=True)
class SweepSpec:
    """A whole sweep: the runs and what every run shares.

    Parameters
    ----------
    dataset : {"synthetic", "mnist"}
    runs : tuple of RunSpec
    updates : int
        Updates per run.
    out : pathlib.Path
        The sweep's folder (absolute: workers run elsewhere).
    data_dir : str, optional
        MNIST folder, the same path on every worker; None for the synthetic digits.
    subset : int, optional
        Train on the first ``subset`` images only.
    checkpoint_every : int
    evaluation : EvalOptions
    figures : bool
        Write each run's figures, as ``npgan train`` and ``npgan eval`` do.
    eval_at : tuple of int
        Also evaluate every run at these updates (before ``updates``), into
        ``RUN/evals/update_NNNNN.json``; a run that is already past one is not evaluated there.
    """

    dataset: str
    runs: tuple
    updates: int = 5000
    out: Path = Path("runs/sweep")
    data_dir: str | None = None
    subset: int | None = None
    checkpoint_every: int = 500
    evaluation: EvalOptions = field(default_factory=EvalOptions)
    figures: bool = True
    eval_at: tuple = ()

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(f"`dataset` must be one of {list(DATASETS)}, got {self.dataset!r}")
        runs = tuple(self.runs)
        if not runs or not all(isinstance(r, RunSpec) for r in runs):
            raise TypeError("`runs` must be a non-empty sequence of RunSpec")
        names = [r.name for r in runs]
        if len(set(names)) != len(names):
            raise ValueError(f"`runs` names a run twice: {sorted(n for n in set(names) if names.count(n) > 1)}")
        # every arm's settings are checked here, before any cluster starts (a bad value failed each of
        # its runs a minute later, after Dask had started)
        for arm in {r.arm: r for r in runs}.values():
            try:
                resolve(arm.recipe, self.dataset, arm.overrides)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"arm {arm.arm!r}: {exc}") from None
        object.__setattr__(self, "runs", runs)
        object.__setattr__(self, "out", Path(self.out))
        check_int(self.updates, "updates", minimum=1)
        check_int(self.checkpoint_every, "checkpoint_every", minimum=1)
        if self.subset is not None:  # at most the training split (of either dataset)
            check_int(self.subset, "subset", minimum=1, maximum=SYNTHETIC_SIZES["train"])
        at = sorted({check_int(u, "eval_at", minimum=1) for u in self.eval_at})
        if at and at[-1] >= self.updates:
            raise ValueError(f"`eval_at` must be updates before the end ({self.updates}), got {at[-1]}")
        object.__setattr__(self, "eval_at", tuple(at))

    def folder(self, run: RunSpec, root: Path | None = None) -> Path:
        """The folder of ``run`` below ``root`` (default: the sweep's output folder)."""
        return Path(self.out if root is None else root) / run.arm / f"seed{run.seed}"

    def to_dict(self) -> dict:
        """A JSON-able dict (the ``spec`` entry of ``sweep.json``)."""
        d = asdict(self)
        d["out"] = str(self.out)
        d["runs"] = [asdict(r) for r in self.runs]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SweepSpec":
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["runs"] = tuple(RunSpec(**r) for r in d["runs"])
        d["evaluation"] = EvalOptions(**d.get("evaluation", {}))
        d["eval_at"] = tuple(d.get("eval_at", ()))
        return cls(**d)


def parse_seeds(tokens) -> list[int]:
    """Seeds from tokens such as ``["0-4"]``, ``["0", "2", "7-9"]`` or ``["0,2"]``, in order, no repeats;
    at most :data:`MAX_RUNS` of them (a ValueError before a long range is expanded)."""
    seeds: list[int] = []
    for token in (t for tok in tokens for t in str(tok).split(",") if t.strip()):
        lo, sep, hi = token.strip().partition("-")
        try:
            first, last = int(lo), int(hi if sep else lo)
        except ValueError:
            raise ValueError(f"`seeds`: expected N or A-B (non-negative integers), got {token!r}") from None
        if first < 0 or last < first:
            raise ValueError(f"`seeds`: expected N or A-B with 0 <= A <= B, got {token!r}")
        if len(seeds) + last - first + 1 > MAX_RUNS:
            raise ValueError(f"`seeds`: at most {MAX_RUNS} seeds (a sweep has at most {MAX_RUNS} runs), "
                             f"got {token!r}")
        known = set(seeds)
        seeds += [s for s in range(first, last + 1) if s not in known]
    if not seeds:
        raise ValueError("`seeds`: no seed given")
    return seeds


def _value_text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(_value_text(v) for v in value)
    if isinstance(value, numbers.Number):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value)


def _check_keys(sets) -> None:
    known = TrainingConfig().settings()
    for key, _ in sets:
        if key not in known:
            raise ValueError(f"unknown setting {key!r}; the settings are: {', '.join(known)}")


def _check_size(recipes: int, varied: list[int], gan_baseline: bool, seeds: int) -> None:
    """A ValueError if the grid has more than :data:`MAX_RUNS` runs (counted before it is made)."""
    arms = recipes * math.prod(varied) + gan_baseline
    if arms * seeds > MAX_RUNS:
        raise ValueError(f"a sweep has at most {MAX_RUNS} runs, got {arms * seeds:,} ({arms:,} arms x {seeds} seeds): "
                         "give fewer seeds, recipes or varied values")


def plan_runs(recipes, seeds, sets=(), *, gan_baseline: bool = False) -> tuple[RunSpec, ...]:
    """The runs of a grid: every recipe and every combination of varied settings, times every seed.

    Parameters
    ----------
    recipes : sequence of str
        Recipe names (``npgan recipes``).
    seeds : sequence of int
    sets : sequence of (key, value)
        Flat settings; a key given more than once is varied (one arm per value, in the order given).
    gan_baseline : bool
        Add the ``gan`` arm: the first recipe, the settings given once, ``gan_baseline=true``.

    Raises
    ------
    ValueError
        An unknown recipe or setting key, or more than :data:`MAX_RUNS` runs (values are checked by
        :class:`SweepSpec`, which knows the dataset).
    """
    recipes = list(dict.fromkeys(recipes))
    if not recipes:
        raise ValueError("`recipes`: no recipe given")
    for r in recipes:
        if r not in RECIPES:
            raise ValueError(f"`recipes` must name recipes of {list(RECIPES)}, got {r!r}")
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    sets = [(str(k), _value_text(v)) for k, v in sets]
    _check_keys(sets)
    values: dict[str, list[str]] = {}
    for key, value in sets:
        if value not in values.setdefault(key, []):
            values[key].append(value)
    fixed = {k: v[0] for k, v in values.items() if len(v) == 1}
    varied = {k: v for k, v in values.items() if len(v) > 1}
    _check_size(len(recipes), [len(v) for v in varied.values()], gan_baseline, len(seeds))
    arms = []
    for recipe in recipes:
        for combo in itertools.product(*varied.values()):
            chosen = dict(zip(varied, combo))
            name = "_".join([recipe] + [f"{k}={v}".replace("/", "-") for k, v in chosen.items()])
            arms.append((name, recipe, {**fixed, **chosen}))
    if gan_baseline:
        arms.append((GAN_ARM, recipes[0], {**fixed, "gan_baseline": "true"}))
    return tuple(RunSpec(arm, recipe, seed, overrides) for arm, recipe, overrides in arms for seed in seeds)
