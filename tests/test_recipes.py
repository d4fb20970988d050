"""Recipes as data (npgan.recipes): what each recipe sets on each dataset."""

import pytest

from npgan.data.augment import Distortion
from npgan.recipes import DATASETS, RECIPES, recipe_settings, resolve
from npgan.train import Schedule, TrainingConfig
from npgan.train.terms import TERMS


@pytest.mark.parametrize("recipe, dataset, weights", [("npgan", "synthetic", (3.0, 3.0, 1.0)),
                                                      ("npgan", "mnist", (1.0, 1.0, 1.0)),
                                                      ("paper", "synthetic", (0.0, 0.0, 0.0)),
                                                      ("code", "mnist", (0.0, 0.0, 0.0))])
def test_consistency_and_the_continuous_code_terms(recipe, dataset, weights):
    cfg = resolve(recipe, dataset)
    assert tuple(cfg.terms["consistency"].at(u) for u in (1, 2500, 2501)) == weights
    # the continuous codes' terms: on the synthetic digits in the npgan recipe, from update 2 501
    names = ("code_prior", "ortho_jacobian", "code_equivariance")
    on = recipe == "npgan" and dataset == "synthetic"
    assert [cfg.terms[n].at(2500) for n in names] == [0.0, 0.0, 0.0]
    assert [cfg.terms[n].at(2501) for n in names] == ([100.0, 10.0, 30.0] if on else [0.0, 0.0, 0.0])
    assert cfg.recipe == recipe


@pytest.mark.parametrize("recipe, expected", [
    ("paper", dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.1)),
    ("code", dict(q_std="fixed", lambda_cont=1.0, leaky_slope=0.01)),
    ("npgan", dict(q_std="learned", lambda_cont=0.1, leaky_slope=0.1)),
])
def test_the_papers_hyperparameters(recipe, expected):
    for dataset in DATASETS:
        m = resolve(recipe, dataset).model
        assert {k: getattr(m, k) for k in expected} == expected
        assert (m.lr_d, m.lr_g, m.beta1, m.batch_size, m.gan_baseline) == (2e-4, 1e-3, 0.5, 128, False)


def test_distortions_follow_the_dataset():
    # the synthetic digits are rotated by up to 30 degrees and stretched 0.6-1.4: the ranges reach beyond
    assert resolve("npgan", "synthetic").distortion == Distortion(rotation=45.0, scale_x=(0.7, 1.4))
    assert resolve("npgan", "mnist").distortion == Distortion()


def test_recipe_settings_are_a_copy_and_overrides_apply_on_top():
    s = recipe_settings("npgan", "synthetic")
    s["consistency.weight"] = -1.0
    assert recipe_settings("npgan", "synthetic")["consistency.weight"] == 1.0
    cfg = resolve("paper", "mnist", {"consistency.weight": "2", "latent.categorical": "10,5"})
    assert cfg.terms["consistency"] == Schedule(2.0) and cfg.model.latent.categorical == (10, 5)


@pytest.mark.parametrize("recipe, dataset, name", [("gan", "mnist", "recipe"), ("npgan", "cifar", "dataset")])
def test_unknown_names_rejected(recipe, dataset, name):
    with pytest.raises(ValueError, match=name):
        resolve(recipe, dataset)


def test_every_recipe_key_is_a_setting():
    keys = set(TrainingConfig().settings())
    for r in RECIPES.values():
        assert set(r.settings) <= keys
        for extra in r.per_dataset.values():
            assert set(extra) <= keys


@pytest.mark.parametrize("recipe", ["paper", "code"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_extra_term_is_off_in_the_papers_and_the_codes_recipes(recipe, dataset):
    cfg = resolve(recipe, dataset)
    assert set(cfg.terms) == set(TERMS)
    assert [name for name, sched in cfg.terms.items() if sched.ever_on] == []
