"""Recipes: named sets of training settings, per dataset, as data.

A recipe is a mapping of the flat setting keys of :class:`npgan.train.TrainingConfig` (``lambda_cont``,
``consistency.weight``, ``distortion.rotation`` ...) to values, with extra keys per dataset. The CLI
(``npgan train --recipe NAME``, ``npgan recipes``), the sweep, the benchmarks and the tests all read
them from here; nothing else in npgan knows a recipe by name. What each term does and why:
:mod:`npgan.train.terms`; what the recipes measured: ``docs/experiments/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from npgan.train.config import TrainingConfig

DATASETS = ("synthetic", "mnist")


@dataclass(frozen=True)
class Recipe:
    """A named set of settings.

    ``settings`` apply on every dataset, ``per_dataset[name]`` on top of them on that dataset.
    """

    name: str
    summary: str
    settings: dict = field(default_factory=dict)
    per_dataset: dict = field(default_factory=dict)


_PAPER = {"q_std": "learned", "lambda_cont": 0.1, "leaky_slope": 0.1}

#: Settings every recipe gets on a dataset: the random distortions of the real-data terms reach
#: beyond the data's own variation (the synthetic digits are rotated by up to 30 degrees and
#: stretched 0.6-1.4; MNIST keeps Distortion's defaults, 30 degrees and 0.8-1.2).
DATASET_SETTINGS = {
    "mnist": {},
    "synthetic": {"distortion.rotation": 45.0, "distortion.scale_x": (0.7, 1.4)},
}

RECIPES = {r.name: r for r in (
    Recipe("paper", "the paper's: learned std of the continuous codes' Q, lambda 0.1 for them, lReLU 0.1",
           dict(_PAPER)),
    Recipe("code", "the original TensorFlow code's: fixed std 1, lambda 1 for every code, lReLU 0.01",
           {"q_std": "fixed", "lambda_cont": 1.0, "leaky_slope": 0.01}),
    Recipe("npgan", "the paper's plus the real-data consistency term; on the synthetic digits also a "
                    "stronger start of it and, from update 2 500, the three continuous-code terms",
           {**_PAPER, "consistency.weight": 1.0},
           {"synthetic": {"consistency.early_weight": 3.0, "consistency.early_updates": 2500,
                          "code_prior.weight": 100.0, "code_prior.start": 2500,
                          "ortho_jacobian.weight": 10.0, "ortho_jacobian.start": 2500,
                          "code_equivariance.weight": 30.0, "code_equivariance.start": 2500}}),
)}


def _check(recipe: str, dataset: str) -> Recipe:
    if recipe not in RECIPES:
        raise ValueError(f"`recipe` must be one of {list(RECIPES)}, got {recipe!r}")
    if dataset not in DATASETS:
        raise ValueError(f"`dataset` must be one of {list(DATASETS)}, got {dataset!r}")
    return RECIPES[recipe]


def recipe_settings(recipe: str, dataset: str) -> dict:
    """The flat settings ``recipe`` sets on ``dataset`` (those it leaves at the defaults are not listed)."""
    r = _check(recipe, dataset)
    return {**DATASET_SETTINGS[dataset], **r.settings, **r.per_dataset.get(dataset, {})}


def resolve(recipe: str, dataset: str, overrides: dict | None = None) -> TrainingConfig:
    """The full settings of ``recipe`` on ``dataset`` with ``overrides`` (flat keys; values typed or
    strings) on top. Raises ValueError naming an unknown key or a bad value."""
    config = TrainingConfig(recipe=recipe).with_settings(recipe_settings(recipe, dataset))
    return config.with_settings(overrides or {})
