"""TrainingConfig: the flat settings, storage, and the configs older npgan versions wrote."""

import json

import pytest

from npgan.data.augment import Distortion
from npgan.models import InfoGANConfig, LatentSpec
from npgan.recipes import resolve
from npgan.train import Schedule, TrainingConfig


def test_round_trip_through_json():
    cfg = resolve("npgan", "synthetic", {"latent.categorical": "10,3", "lr_d": "1e-4"})
    back = TrainingConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg and back.settings() == cfg.settings()


def test_settings_round_trip_and_cover_every_part():
    cfg = resolve("npgan", "mnist")
    flat = cfg.settings()
    assert TrainingConfig.from_settings(flat, recipe="npgan") == cfg
    assert {"lambda_cont", "latent.noise_dim", "consistency.early_updates", "distortion.stroke"} <= set(flat)


def test_with_settings_parses_strings_by_the_settings_type():
    cfg = TrainingConfig().with_settings({"gan_baseline": "yes", "batch_size": "64", "distortion.scale_y": "1,1.2",
                                          "latent.categorical": "", "ortho_jacobian.start": "7"})
    assert cfg.model.gan_baseline is True and cfg.model.batch_size == 64
    assert cfg.distortion.scale_y == (1.0, 1.2) and cfg.model.latent.categorical == ()
    assert cfg.terms["ortho_jacobian"] == Schedule(0.0, 7)


def test_a_flat_config_of_older_runs_is_read():
    old = dict(InfoGANConfig().to_dict(), consistency=1.0, consistency_early=3.0, consistency_early_updates=2500,
               code_prior=100.0, code_prior_from=2500, ortho_jacobian=10.0, ortho_jacobian_from=2500,
               code_equivariance=30.0, code_equivariance_from=2500, categorical_from=0, q_split=False,
               fake_consistency=0.0, distortion={"rotation": 45.0, "scale_x": [0.7, 1.4]})
    cfg = TrainingConfig.from_dict(json.loads(json.dumps(old)))
    expected = resolve("npgan", "synthetic")
    assert cfg.settings() == expected.settings()
    # older still: no term fields, no distortion
    assert TrainingConfig.from_dict(InfoGANConfig().to_dict()) == TrainingConfig()


@pytest.mark.parametrize("key, value", [("q_split", True), ("fake_consistency", 0.5), ("categorical_from", 1000)])
def test_runs_with_retired_settings_say_how_to_read_them(key, value):
    old = dict(InfoGANConfig().to_dict(), **{key: value})
    with pytest.raises(ValueError, match=f"retired setting '{key}'.*npgan 0.1"):
        TrainingConfig.from_dict(old)


def test_validation():
    with pytest.raises(ValueError, match="unknown training term"):
        TrainingConfig(terms={"nope": Schedule(1.0)})
    with pytest.raises(TypeError, match="Schedule"):
        TrainingConfig(terms={"consistency": 1.0})
    with pytest.raises(TypeError, match="model"):
        TrainingConfig(model={"lambda_cat": 1.0})
    with pytest.raises(TypeError, match="distortion"):
        TrainingConfig(distortion=(0.7, 1.4))
    with pytest.raises(ValueError, match="unknown setting 'nope'"):
        TrainingConfig().with_settings({"nope": 1})
    with pytest.raises(ValueError, match="unknown InfoGANConfig field"):
        InfoGANConfig.from_dict(dict(InfoGANConfig().to_dict(), extra=1))
    with pytest.raises(ValueError, match="unknown training term 'nope'"):
        TrainingConfig.from_dict({"model": InfoGANConfig().to_dict(), "terms": {"nope": {"weight": 1.0}}})
    assert TrainingConfig(model=InfoGANConfig(latent=LatentSpec(continuous=3))).terms.keys() == \
        TrainingConfig().terms.keys()
    assert TrainingConfig().distortion == Distortion()
