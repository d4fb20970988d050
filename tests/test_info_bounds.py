"""The variational MI bound, its gap, Lemma 5.1 and the Monte-Carlo estimator."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npgan.distributions import Gaussian, gaussian_log_q
from npgan.info import (conditional, conditional_entropy, cross_entropy, entropy, lemma_5_1,
                        mi_lower_bound, mi_lower_bound_exact, mutual_information, variational_gap)
from npgan.info.strategies import joint_tables, stochastic_matrices, value_tables

TOL = 1e-10


@st.composite
def joint_and_q(draw, zeros_in_q=True):
    """joint[c, x] and an arbitrary Q with q[x, c] = Q(c|x)."""
    joint = draw(joint_tables())
    n_c, n_x = joint.shape
    q = draw(stochastic_matrices(n_x, n_cols=n_c, zeros=zeros_in_q))
    return joint, q


@given(joint_and_q())
def test_bound_is_below_mi_and_gap_is_expected_kl(jq):
    joint, q = jq
    mi = mutual_information(joint)
    bound = mi_lower_bound_exact(joint, q)
    gap = variational_gap(joint, q)
    assert bound <= mi + TOL
    assert gap >= 0.0
    if np.isfinite(bound):
        assert mi - bound == pytest.approx(gap, abs=TOL)
    else:
        # Q(c|x) = 0 where P(c, x) > 0: log Q = -inf, and the KL is infinite
        assert bound == -np.inf and gap == np.inf
        assert np.any((q.T == 0) & (joint > 0))


@given(joint_tables())
def test_bound_is_tight_at_the_true_posterior(joint):
    posterior = conditional(joint, given=1)       # (n_x, n_c): P(c | x)
    assert variational_gap(joint, posterior) == 0.0
    assert mi_lower_bound_exact(joint, posterior) == pytest.approx(mutual_information(joint), abs=TOL)
    # and that is H(c) - H(c|x), InfoGAN's I(c; G(z, c))
    h_c = entropy(joint.sum(axis=1))
    assert mi_lower_bound_exact(joint, posterior) == pytest.approx(
        h_c - conditional_entropy(joint, given=1), abs=TOL)


@given(joint_and_q(zeros_in_q=False))
def test_bound_written_with_cross_entropies(jq):
    # L_I = H(c) - E_x[ CE(P(c|x), Q(c|x)) ]: the form Q is trained with
    joint, q = jq
    p_x = joint.sum(axis=0)
    seen = p_x > 0
    ce = cross_entropy(conditional(joint, given=1)[seen], q[seen])
    expected = entropy(joint.sum(axis=1)) - np.sum(p_x[seen] * ce)
    assert mi_lower_bound_exact(joint, q) == pytest.approx(expected, abs=TOL)


@given(joint_tables(), st.data())
def test_lemma_5_1_for_tables(joint, data):
    f = data.draw(value_tables(joint.shape))
    lhs, rhs = lemma_5_1(joint, f)
    assert lhs == pytest.approx(rhs, abs=TOL)
    assert lhs == pytest.approx(np.sum(joint * f), abs=TOL)


@given(joint_tables(), st.sampled_from([
    lambda x, y: np.sin(3.0 * x + y),
    lambda x, y: (x - y) ** 2,
    lambda x, y: np.where(x == y, 1.0, -0.5),
    lambda x, y: 0.0 * x + 2.0,
]))
def test_lemma_5_1_for_functions(joint, f):
    lhs, rhs = lemma_5_1(joint, f)
    assert lhs == pytest.approx(rhs, abs=TOL)


@given(joint_and_q(zeros_in_q=False))
def test_lemma_5_1_is_the_step_that_removes_the_posterior(jq):
    # InfoGAN: E_{x ~ G(z,c)} E_{c' ~ P(c|x)}[log Q(c'|x)] = E_{c ~ P(c), x ~ G(z,c)}[log Q(c|x)].
    # With X = c, Y = x and f(c, x) = log Q(c|x), Lemma 5.1's right side is the posterior form.
    joint, q = jq
    f = np.log(q.T)                                   # f[c, x]
    lhs, rhs = lemma_5_1(joint, f)
    p_x = joint.sum(axis=0)
    posterior = conditional(joint, given=1)           # P(c' | x), (n_x, n_c)
    posterior_form = np.sum(p_x[:, None] * posterior * np.log(q))
    assert rhs == pytest.approx(posterior_form, abs=TOL)
    assert lhs + entropy(joint.sum(axis=1)) == pytest.approx(mi_lower_bound_exact(joint, q), abs=TOL)


def test_exact_bound_known_values():
    joint = np.array([[0.5, 0.0], [0.0, 0.5]])
    assert mi_lower_bound_exact(joint, np.full((2, 2), 0.5)) == 0.0
    assert mi_lower_bound_exact(joint, np.eye(2), base=2) == 1.0
    assert variational_gap(joint, np.full((2, 2), 0.5), base=2) == pytest.approx(1.0, abs=1e-15)
    # an unused x (P(x) = 0) may have any Q row, even one with zeros
    joint3 = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])
    q3 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert variational_gap(joint3, q3) == 0.0


# ----------------------------------------------------------------------------- Monte Carlo


def _sample_generative(joint, n, rng):
    """c ~ P(c), then x ~ P(x | c): the generative process c ~ P(c), x ~ G(z, c)."""
    p_c = joint.sum(axis=1)
    x_given_c = conditional(joint, given=0)
    c = rng.choice(p_c.size, size=n, p=p_c)
    u = rng.random(n)
    cdf = np.cumsum(x_given_c[c], axis=1)
    x = np.minimum((u[:, None] >= cdf).sum(axis=1), joint.shape[1] - 1)
    return c, x


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [2_000, 50_000])
def test_mc_bound_converges_to_exact_bound(seed, n):
    rng = np.random.default_rng(seed)
    joint = rng.random((4, 6)) ** 3
    joint[0, 0] = joint[2, 5] = 0.0
    joint /= joint.sum()
    q = rng.random((6, 4)) + 0.05
    q /= q.sum(axis=1, keepdims=True)
    exact = mi_lower_bound_exact(joint, q)
    # exact standard deviation of log Q(c|x) under P(c, x): the tolerance is 5 standard errors
    log_q_table = np.log(q.T)
    mean = np.sum(joint * log_q_table)
    sigma = math.sqrt(np.sum(joint * (log_q_table - mean) ** 2))
    c, x = _sample_generative(joint, n, rng)
    est = mi_lower_bound(np.log(q[x, c]), entropy(joint.sum(axis=1)))
    assert abs(est - exact) <= 5 * sigma / math.sqrt(n)
    assert isinstance(est, float)


def test_mc_bound_with_gaussian_posterior_head():
    # c ~ N(0, 1), x = c + s * noise: I(c; x) = log(1 + 1/s^2) / 2, and the true posterior
    # is N(x / (1 + s^2), s^2 / (1 + s^2)). With Q = that posterior the bound equals I;
    # with Q = N(x, 1) (fixed std) it is E[log N(c; x, 1)] + H(c) = (1 - s^2) / 2.
    rng = np.random.default_rng(7)
    s, n = 0.5, 40_000
    prior = Gaussian(0.0, 1.0, dim=1, dtype=np.float64)
    c = prior.sample(n, rng)
    x = c + s * rng.standard_normal((n, 1))
    mi = 0.5 * math.log(1 + 1 / s ** 2)

    post_mean = x / (1 + s ** 2)
    post_log_std = np.full_like(x, 0.5 * math.log(s ** 2 / (1 + s ** 2)))
    log_q, _, _ = gaussian_log_q(post_mean, post_log_std, c)
    est = mi_lower_bound(log_q, prior.entropy())
    assert abs(est - mi) <= 5 * log_q.std() / math.sqrt(n)

    log_q_fixed, _, _ = gaussian_log_q(x, None, c)
    est_fixed = mi_lower_bound(log_q_fixed, prior.entropy())
    assert abs(est_fixed - 0.5 * (1 - s ** 2)) <= 5 * log_q_fixed.std() / math.sqrt(n)
    assert est_fixed < est


def test_mc_bound_base_and_values():
    assert mi_lower_bound(np.zeros(4), math.log(2), base=2) == pytest.approx(1.0, abs=1e-15)
    assert mi_lower_bound(np.array([-np.inf, 0.0]), 1.0) == -np.inf
    assert mi_lower_bound(np.log(np.array([0.5, 0.5], dtype=np.float32)), math.log(2)) == \
        pytest.approx(0.0, abs=1e-7)
