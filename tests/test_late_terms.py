"""Terms that switch on at a given update (the code prior, the orthogonal Jacobian, the code
equivariance): their schedules, and that a late start leaves the run identical to the default up
to that update."""

import json

import numpy as np
import pytest

from npgan.models import InfoGANConfig, LatentSpec
from npgan.train import build_trainer

TERMS = ("code_prior", "ortho_jacobian", "code_equivariance")


def _config(**kw):
    return InfoGANConfig(latent=LatentSpec(noise_dim=6, categorical=(3,), continuous=2), batch_size=8, **kw)


@pytest.mark.parametrize("term", TERMS)
def test_schedule_validation_and_round_trip(term):
    start = term + "_from"
    cfg = _config(**{term: 2.0, start: 3})
    weight_at = getattr(cfg, term + "_at")
    assert [weight_at(u) for u in (1, 3, 4, 100)] == [0.0, 0.0, 2.0, 2.0]
    assert getattr(_config(**{term: 2.0}), term + "_at")(1) == 2.0  # from update 1 by default
    back = InfoGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert (getattr(back, term), getattr(back, start)) == (2.0, 3)
    old = cfg.to_dict()  # a config written before the fields existed: off
    del old[term], old[start]
    assert getattr(InfoGANConfig.from_dict(old), term + "_at")(10) == 0.0
    with pytest.raises(ValueError, match=term):
        _config(**{term: -1.0})
    with pytest.raises(ValueError, match=start):
        _config(**{start: -2})


@pytest.mark.parametrize("term", TERMS)
def test_a_term_before_its_start_leaves_the_run_identical_to_the_default(term):
    # a run that switches a term on late must be the default run up to that update (same random
    # stream, same weights), so its rows compare with the default's
    images = np.random.default_rng(7).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    runs = []
    for cfg in (_config(), _config(**{term: 1.0, term + "_from": 2})):
        trainer, stream = build_trainer(cfg, 5, images)
        stats = [trainer.update(stream.next()).as_dict() for _ in range(2)]
        runs.append((stats, trainer.nets))
    (plain, nets_a), (late, nets_b) = runs
    assert plain == late
    for name in ("G", "trunk", "d_head", "q_head"):
        pa, pb = getattr(nets_a, name).parameters(), getattr(nets_b, name).parameters()
        assert pa.keys() == pb.keys()
        for key in pa:
            np.testing.assert_array_equal(pa[key], pb[key])


def test_categorical_schedule_validation_and_round_trip():
    cfg = _config(lambda_cat=2.0, categorical_from=3)
    assert [cfg.lambda_cat_at(u) for u in (1, 3, 4, 100)] == [0.0, 0.0, 2.0, 2.0]
    assert _config(lambda_cat=2.0).lambda_cat_at(1) == 2.0  # from update 1 by default
    back = InfoGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back.categorical_from == 3
    old = cfg.to_dict()  # a config written before the field existed: from update 1
    del old["categorical_from"]
    assert InfoGANConfig.from_dict(old).lambda_cat_at(1) == 2.0
    with pytest.raises(ValueError, match="categorical_from"):
        _config(categorical_from=-1)


def test_before_categorical_from_the_run_is_the_run_without_the_categorical_term():
    # up to `categorical_from` the categorical L_I must act on nothing (G, trunk, Q head) exactly as
    # with lambda_cat = 0; after it, the runs part
    images = np.random.default_rng(7).uniform(0, 1, (40, 1, 28, 28)).astype(np.float32)
    runs = []
    for cfg in (_config(lambda_cat=0.0), _config(categorical_from=2)):
        trainer, stream = build_trainer(cfg, 5, images)
        stats = [trainer.update(stream.next()).as_dict() for _ in range(3)]
        runs.append((stats, trainer.nets))
    (off, nets_a), (late, nets_b) = runs
    # the reported L_I is measured either way; the losses differ only by the term's weight (0 vs 0)
    assert off[:2] == late[:2]
    assert off[2]["g_loss"] != late[2]["g_loss"]
    changed = []
    for name in ("G", "trunk", "d_head", "q_head"):
        pa, pb = getattr(nets_a, name).parameters(), getattr(nets_b, name).parameters()
        changed += [not np.array_equal(pa[k], pb[k]) for k in pa]
    assert any(changed)  # the third update used the term
