"""The contract every extra training term must keep (npgan.train.terms), parametrized over the
registry: its value and gradient against finite differences in float64, what it trains, off before
its start, in the GAN baseline and where the latent layout lacks its codes, and a late start that
leaves the run identical up to it. Plus the Schedule itself."""

import numpy as np
import pytest

from npgan.data.augment import Distortion
from npgan.models import InfoGANNets, LatentSpec
from npgan.testing import numerical_partial
from npgan.train import TERMS, Schedule, TrainingConfig, build_trainer
from npgan.train.terms import TermContext, build_terms
from tiny_nets import TINY_LATENT as LATENT
from tiny_nets import random_images, tiny_config

NAMES = list(TERMS)


def _config(terms=None, latent=LATENT, batch=8, **model):
    return TrainingConfig(model=tiny_config(latent, batch, **model), terms=terms or {})


def _images(n, seed=6, dtype=np.float32):
    return random_images(n, seed, dtype)


def _grads(*modules):
    return {f"{i}.{k}": v.copy() for i, m in enumerate(modules) for k, v in m.gradients().items()}


@pytest.mark.parametrize("name", NAMES)
def test_declares_the_interface(name):
    cls = TERMS[name]
    assert cls.name == name and cls.step in ("D", "G") and cls.trains and cls.logs
    assert not (cls.rides_on_real and cls.step != "D")


@pytest.mark.parametrize("name", NAMES)
def test_value_and_gradient_match_finite_differences_float64(name, networks):
    """``run(ctx, w)`` leaves ``w`` times the gradient of its loss (the statistic, or minus it for
    an objective) in exactly the networks it trains; checked against central differences of the
    statistic recomputed with the same random draws (the generator's state is replayed)."""
    cls, weight = TERMS[name], 0.7
    nets = networks(_config().model, np.random.default_rng(0), dtype=np.float64)
    nets.train()
    term, rng = cls(Schedule(weight)), np.random.default_rng(1)
    x_real = _images(8, seed=3, dtype=np.float64)
    fixed_q = nets.q_head(nets.trunk(x_real)).copy() if cls.step == "D" and not cls.rides_on_real else None
    state = rng.bit_generator.state

    def run(w):
        rng.bit_generator.state = state
        ctx = TermContext(nets, rng, Distortion(), 8, x_real=x_real if cls.step == "D" else None)
        if cls.rides_on_real:  # its gradient flows back through the real batch's own reading
            ctx.q_real = nets.q_head(nets.trunk(x_real)).copy()
        else:
            ctx.q_real = fixed_q
        stat = term.run(ctx, w)
        if cls.rides_on_real:
            nets.trunk.backward(nets.q_head.backward(ctx.dq_real), need_dx=False)
        return stat

    for m in nets.modules().values():
        m.zero_grad()
    stat = run(weight)
    assert np.isfinite(stat) and (stat > 0 or cls.maximise)
    assert stat == pytest.approx(run(0.0), rel=1e-12)  # the weight scales the gradient, not the value
    for m in nets.modules().values():
        m.zero_grad()
    run(weight)
    trained = (nets.G,) if cls.step == "G" else (nets.trunk, nets.q_head)
    untouched = (nets.trunk, nets.d_head, nets.q_head) if cls.step == "G" else (nets.G, nets.d_head)
    assert not any(np.any(v) for m in untouched for v in m.gradients().values())
    sign = -1.0 if cls.maximise else 1.0
    check = np.random.default_rng(4)
    checked = 0
    for mod in trained:
        params, grads = mod.parameters(), {k: v.copy() for k, v in mod.gradients().items()}
        for key in [k for k in params if k.endswith("weight")][:3]:
            p = params[key]
            for _ in range(2):
                idx = tuple(int(check.integers(0, s)) for s in p.shape)
                # eps 1e-6: leaky-ReLU kinks lie within 1e-5 of some weights
                num = sign * weight * numerical_partial(lambda: run(0.0), p, idx, eps=1e-6)
                ana = grads[key][idx]
                assert abs(num - ana) <= 1e-5 * max(1e-3, abs(num) + abs(ana)) + 1e-9, (key, idx, num, ana)
                checked += abs(ana) > 0
    assert checked >= 3


@pytest.mark.parametrize("name", NAMES)
def test_off_before_its_start_in_the_baseline_and_without_its_codes(name, networks):
    images = _images(40)
    trainer, stream = build_trainer(_config({name: Schedule(1.0, start=1)}), 3, images)
    first, second = trainer.update(stream.next()), trainer.update(stream.next())
    assert first.terms[name] == 0.0 and second.terms[name] != 0.0 and second.finite()
    assert set(second.as_dict()) >= set(TERMS)  # every term has its column, on or off
    trainer, stream = build_trainer(_config({name: Schedule(1.0)}, gan_baseline=True), 3, images)
    assert trainer.update(stream.next()).terms[name] == 0.0
    cls = TERMS[name]
    # one code fewer of the kind it needs (and a code of the other kind, so Q has outputs)
    lacking = LatentSpec(noise_dim=6, categorical=() if cls.needs_categorical else (3,),
                         continuous=cls.needs_continuous - 1 if cls.needs_continuous else 1)
    assert not cls.applies_to(lacking), (f"{name} applies to {lacking}: a term must need a code "
                                         "(needs_categorical or needs_continuous) to be off without it")
    trainer, stream = build_trainer(_config({name: Schedule(1.0)}, latent=lacking), 3, images)
    assert trainer.update(stream.next()).terms[name] == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_a_late_start_leaves_the_run_identical_up_to_it(name, networks):
    # a run that switches a term on late must be the plain run up to then (same random stream,
    # same weights), so its results compare with the plain run's
    images = _images(40, seed=7)
    runs = []
    for terms in ({}, {name: Schedule(1.0, start=2)}):
        trainer, stream = build_trainer(_config(terms), 5, images)
        runs.append(([trainer.update(stream.next()).as_dict() for _ in range(2)], trainer.nets.state_dict()))
    (plain, wa), (late, wb) = runs
    assert plain == late
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_the_weighted_statistic_is_part_of_its_steps_loss(name, networks):
    images = _images(40, seed=8)
    out = {}
    for w in (1.0, 2.0):
        trainer, stream = build_trainer(_config({name: Schedule(w)}), 5, images)
        out[w] = trainer.update(stream.next())
    loss = "g_loss" if TERMS[name].step == "G" else "d_loss"
    a, b = out[1.0], out[2.0]
    assert a.terms[name] == b.terms[name]  # same batch, same draws, same networks before the update
    sign = -1.0 if TERMS[name].maximise else 1.0
    assert getattr(b, loss) - getattr(a, loss) == pytest.approx(sign * a.terms[name], rel=1e-6, abs=1e-9)


def test_registry_builds_every_term_and_rejects_unknown_names():
    terms = build_terms({"consistency": Schedule(2.0)})
    assert [t.name for t in terms] == NAMES
    assert terms[0].schedule.weight == 2.0 and all(t.schedule == Schedule() for t in terms[1:])
    with pytest.raises(ValueError, match="unknown training term"):
        build_terms({"nope": Schedule(1.0)})


def test_schedule_weights_and_validation():
    s = Schedule(weight=1.0, start=0, early_weight=3.0, early_updates=2)
    assert [s.at(u) for u in (1, 2, 3, 100)] == [3.0, 3.0, 1.0, 1.0]
    late = Schedule(weight=2.0, start=3)
    assert [late.at(u) for u in (1, 3, 4, 100)] == [0.0, 0.0, 2.0, 2.0]
    assert Schedule(0.5).at(1) == 0.5 and not Schedule().ever_on and Schedule(0.0, 0, 2.0, 5).ever_on
    for kw, match in ((dict(weight=-1.0), "weight"), (dict(start=-2), "start"),
                      (dict(early_weight=-1.0), "early_weight"), (dict(early_updates=-1), "early_updates")):
        with pytest.raises(ValueError, match=match):
            Schedule(**kw)
    with pytest.raises(TypeError, match="early_updates"):
        Schedule(early_updates=2.5)


def test_equivariance_groups_divide_odd_batches(networks):
    # batch 12: groups of 12 (the largest divisor up to 16); batch 34: groups of 2 (17 > 16)
    for batch in (12, 34):
        trainer, stream = build_trainer(_config({"code_equivariance": Schedule(1.0)}, batch=batch), 3,
                                        _images(batch * 2))
        assert trainer.update(stream.next()).terms["code_equivariance"] > 0.0


def test_a_resumed_run_is_in_the_phase_its_update_count_says(tmp_path, networks):
    # the schedules follow the trainer's update count, which the loop sets from the checkpoint
    from npgan.train import TrainOptions, train
    images = _images(40, seed=7)
    cfg = _config({"consistency": Schedule(1.0, early_weight=3.0, early_updates=2),
                   "code_prior": Schedule(1.0, start=3)})
    straight = train(cfg, images, TrainOptions(updates=4, seed=1, out_dir=tmp_path / "a", progress=False))[0]
    train(cfg, images, TrainOptions(updates=2, seed=1, out_dir=tmp_path / "b", progress=False))
    resumed = train(cfg, images, TrainOptions(updates=4, out_dir=tmp_path / "b", progress=False), resume=True)[0]
    assert resumed.updates_done == straight.updates_done == 4
    for k, v in straight.nets.state_dict().items():
        np.testing.assert_array_equal(v, resumed.nets.state_dict()[k], err_msg=k)


@pytest.mark.parametrize("name", NAMES)
def test_one_nan_policy_statistic_nan_zero_gradient_every_pass_finished(name):
    """A term that meets values that are not finite reports NaN, hands on a zero gradient and
    leaves no pass pending (the loop then stops cleanly on the NaN)."""
    cls = TERMS[name]
    nets = InfoGANNets(_config().model, np.random.default_rng(0))
    nets.train()
    rng, x_real = np.random.default_rng(1), _images(8, seed=3)
    ctx = TermContext(nets, rng, Distortion(), 8, x_real=x_real if cls.step == "D" else None)
    handed = []
    for mod in (nets.q_head, nets.G):
        original = mod.backward

        def spy(dy, *a, _original=original, **k):
            handed.append(np.array(dy))
            return _original(dy, *a, **k)
        mod.backward = spy
    if cls.reads_fakes:   # G's images are not finite
        nets.G.parameters()["10.bias"][...] = np.nan
    else:
        ctx.q_real = np.full((8, LATENT.q_output_dim), np.nan, dtype=np.float32)
    stat = cls(Schedule(1.0)).run(ctx, 2.0)
    assert np.isnan(stat)
    handed += [ctx.dq_real] if cls.rides_on_real else []
    assert handed and all(np.all(g == 0) for g in handed)
    if not cls.reads_fakes:   # the trunk and heads are fine: their gradients stay finite
        assert all(np.all(np.isfinite(g)) for m in (nets.trunk, nets.q_head) for g in m.gradients().values())
    # G's images are data to a D-step term, as to the D step's own fake batch: G's forward is
    # never followed by a backward there
    data_only = {"G"} if cls.reads_fakes and cls.step == "D" else set()
    pending = [f"{n}.{k}" for n, net in nets.modules().items() for k, m in net.named_modules()
               if m.has_pending_forward and n not in data_only]
    assert not pending, f"{name} left a pass pending in {pending}"


def test_a_gradient_that_is_not_finite_is_not_applied():
    nets = InfoGANNets(_config().model, np.random.default_rng(0))
    ctx = TermContext(nets, np.random.default_rng(1), Distortion(), 8, weight=3.0)
    dq = np.ones((8, LATENT.q_output_dim), dtype=np.float32)
    dq[2, 1] = np.inf
    ctx.add_q_real_grad(dq.copy())
    assert ctx.nonfinite and np.all(ctx.dq_real == 0)
    ctx2 = TermContext(nets, np.random.default_rng(1), Distortion(), 8, weight=3.0)
    ctx2.add_q_real_grad(np.ones((8, LATENT.q_output_dim), dtype=np.float32))
    assert not ctx2.nonfinite and np.all(ctx2.dq_real == 3.0)   # the weight, applied once


def test_what_the_registry_and_the_classes_declare_names_registered_terms():
    # the knowledge other modules need of the terms lives here, not as names written elsewhere
    from npgan.train.terms import STARTS_STATISTIC
    assert STARTS_STATISTIC in TERMS and TERMS[STARTS_STATISTIC].step == "D"
    assert all(cls.reads_fakes for cls in TERMS.values() if cls.step == "G")
