"""Property tests of the discrete information quantities (npgan.info.discrete).

Identities are checked in float64 to 1e-10 absolute (all quantities here are
O(log K) with K <= 36, so absolute tolerance is the meaningful scale).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npgan.info import (conditional, conditional_entropy, cross_entropy, entropy, joint_entropy,
                        joint_from_conditional, kl_divergence, marginals, mutual_information,
                        pointwise_information)
from npgan.info.strategies import (joint_tables, markov_chains, probability_vectors,
                                   stochastic_matrices)

TOL = 1e-10


@st.composite
def same_size_pairs(draw):
    p = draw(probability_vectors(1, 8))
    q = draw(probability_vectors(p.size, p.size))
    return p, q


# ----------------------------------------------------------------------------- entropy, KL, CE


@given(probability_vectors(1, 12))
def test_entropy_bounds(p):
    h = entropy(p)
    assert 0.0 <= h <= math.log(p.size) + TOL
    support = np.count_nonzero(p)
    # H <= log |support|, a sharper bound that uses the zeros
    assert h <= math.log(support) + TOL


@pytest.mark.parametrize("k", [1, 2, 3, 7, 100])
def test_entropy_equality_cases(k):
    assert entropy(np.full(k, 1.0 / k)) == pytest.approx(math.log(k), abs=1e-12)
    for i in range(min(k, 5)):
        one_hot = np.zeros(k)
        one_hot[i] = 1.0
        h = entropy(one_hot)
        assert h == 0.0 and not np.signbit(h)  # an exact +0.0


@given(probability_vectors(2, 8))
def test_entropy_is_maximal_only_for_uniform(p):
    # log K - H(p) = KL(p || uniform) >= 0, zero iff p is uniform.
    u = np.full(p.size, 1.0 / p.size)
    assert math.log(p.size) - entropy(p) == pytest.approx(kl_divergence(p, u), abs=TOL)
    if np.max(np.abs(p - u)) > 1e-3:
        assert entropy(p) < math.log(p.size) - 1e-9


@given(same_size_pairs())
def test_kl_nonnegative_and_zero_iff_equal(pq):
    p, q = pq
    kl = kl_divergence(p, q)
    assert kl >= 0.0
    assert kl_divergence(p, p) == 0.0
    if np.max(np.abs(p - q)) > 1e-3:
        assert kl > 0.0


@given(same_size_pairs())
def test_kl_infinite_where_q_is_zero_below_p(pq):
    p, q = pq
    if np.any((q == 0) & (p > 0)):
        assert kl_divergence(p, q) == np.inf
        assert cross_entropy(p, q) == np.inf
    else:
        assert np.isfinite(kl_divergence(p, q))


@given(same_size_pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce = cross_entropy(p, q)
    if np.isfinite(ce):
        assert ce == pytest.approx(entropy(p) + kl_divergence(p, q), abs=TOL)
        # and it is -sum p log q computed directly
        mask = p > 0
        assert ce == pytest.approx(-np.sum(p[mask] * np.log(q[mask])), abs=TOL)
    assert cross_entropy(p, p) == entropy(p)


@given(probability_vectors(1, 8))
def test_entropy_is_expected_pointwise_information(p):
    info = pointwise_information(p)
    mask = p > 0
    assert np.all(info[~mask] == np.inf)
    assert entropy(p) == pytest.approx(np.sum(p[mask] * info[mask]), abs=TOL)


def test_pointwise_information_values():
    assert pointwise_information(1.0) == 0.0 and not np.signbit(pointwise_information(1.0))
    np.testing.assert_allclose(pointwise_information([0.5, 0.125], base=2), [1.0, 3.0], rtol=1e-15)
    assert pointwise_information(np.float32(0.5)).dtype == np.float32


@given(st.lists(probability_vectors(4, 4), min_size=1, max_size=5))
def test_batched_last_axis(rows):
    p = np.stack(rows)
    q = p[::-1]
    h = entropy(p)
    assert h.shape == (p.shape[0],)
    np.testing.assert_array_equal(h, [entropy(r) for r in p])
    np.testing.assert_array_equal(kl_divergence(p, q), [kl_divergence(a, b) for a, b in zip(p, q)])
    # leading axes broadcast: every row against one q
    kl_b = kl_divergence(p, q[0])
    np.testing.assert_array_equal(kl_b, [kl_divergence(a, q[0]) for a in p])


@given(probability_vectors(1, 8), st.sampled_from([2, 10, 0.5, 3.7]))
def test_base_converts_nats(p, base):
    assert entropy(p, base=base) == pytest.approx(entropy(p) / math.log(base), abs=TOL)


def test_bits():
    assert entropy([0.25] * 4, base=2) == pytest.approx(2.0, abs=1e-15)
    assert mutual_information(np.eye(4) / 4, base=2) == pytest.approx(2.0, abs=1e-15)


def test_float32_in_float32_out():
    p = np.array([0.25, 0.75], dtype=np.float32)
    q = np.array([0.5, 0.5], dtype=np.float32)
    joint = np.full((2, 2), 0.25, dtype=np.float32)
    for value in (entropy(p), kl_divergence(p, q), cross_entropy(p, q), joint_entropy(joint),
                  conditional_entropy(joint), mutual_information(joint)):
        assert value.dtype == np.float32
    assert entropy(p) == pytest.approx(entropy(p.astype(np.float64)), rel=1e-6)


def test_lists_and_integers_are_accepted():
    assert entropy([1, 1], normalize=True) == pytest.approx(math.log(2), abs=1e-15)
    assert entropy([0, 1]) == 0.0


def test_normalize_divides_by_the_sum():
    w = np.array([1.0, 2.0, 3.0, 0.0])
    assert entropy(w, normalize=True) == pytest.approx(entropy(w / w.sum()), abs=1e-15)
    assert mutual_information(np.eye(3) * 7, normalize=True) == pytest.approx(math.log(3), abs=1e-14)


# ----------------------------------------------------------------------------- joint quantities


@given(joint_tables())
def test_chain_rule(joint):
    px, py = marginals(joint)
    h_xy = joint_entropy(joint)
    assert h_xy == pytest.approx(entropy(px) + conditional_entropy(joint, given=0), abs=TOL)
    assert h_xy == pytest.approx(entropy(py) + conditional_entropy(joint, given=1), abs=TOL)
    # H(X|Y) of joint[x, y] is H(Y|X) of the transposed table
    assert conditional_entropy(joint, given=1) == pytest.approx(conditional_entropy(joint.T), abs=TOL)


@given(joint_tables())
def test_conditional_entropy_bounds(joint):
    px, py = marginals(joint)
    h_y_x = conditional_entropy(joint)
    assert h_y_x >= 0.0
    assert h_y_x <= entropy(py) + TOL  # conditioning reduces entropy


@given(probability_vectors(1, 6), st.data())
def test_conditional_entropy_zero_for_a_function(px, data):
    # Y = g(X) makes H(Y|X) exactly 0.
    g = data.draw(st.lists(st.integers(0, 3), min_size=px.size, max_size=px.size))
    joint = np.zeros((px.size, 4))
    joint[np.arange(px.size), g] = px
    assert conditional_entropy(joint) == 0.0
    assert mutual_information(joint) == pytest.approx(entropy(joint.sum(axis=0)), abs=TOL)


@given(joint_tables())
def test_mutual_information_identities(joint):
    px, py = marginals(joint)
    mi = mutual_information(joint)
    h_x, h_y, h_xy = entropy(px), entropy(py), joint_entropy(joint)
    assert mi == pytest.approx(h_x - conditional_entropy(joint, given=1), abs=TOL)
    assert mi == pytest.approx(h_y - conditional_entropy(joint, given=0), abs=TOL)
    assert mi == pytest.approx(h_x + h_y - h_xy, abs=TOL)
    assert mi == pytest.approx(mutual_information(joint.T), abs=TOL)  # symmetry
    assert mi >= -1e-15                                             # non-negative up to rounding
    assert mi <= min(h_x, h_y) + TOL
    # I(X;Y) = E_x KL(P(Y|x) || P(Y)) over the x with p(x) > 0
    seen = px > 0
    kl_rows = kl_divergence(conditional(joint)[seen], py)
    assert mi == pytest.approx(np.sum(px[seen] * kl_rows), abs=TOL)


@given(probability_vectors(1, 6), probability_vectors(1, 6))
def test_mutual_information_zero_for_product(px, py):
    joint = np.outer(px, py)
    assert abs(mutual_information(joint)) <= 1e-14
    assert joint_entropy(joint) == pytest.approx(entropy(px) + entropy(py), abs=TOL)
    assert conditional_entropy(joint) == pytest.approx(entropy(py), abs=TOL)


@given(markov_chains())
def test_data_processing_inequality(chain):
    p_x, p_y_x, p_z_y = chain
    p_xyz = p_x[:, None, None] * p_y_x[:, :, None] * p_z_y[None, :, :]
    i_xy = mutual_information(p_xyz.sum(axis=2))
    i_yz = mutual_information(p_xyz.sum(axis=0))
    i_xz = mutual_information(p_xyz.sum(axis=1))
    assert i_xz <= i_xy + TOL
    assert i_xz <= i_yz + TOL
    # multi-variable joint entropy: H(X,Y,Z) = H(X) + H(Y|X) + H(Z|Y) for a Markov chain
    p_xy = p_xyz.sum(axis=2)
    p_yz = p_xyz.sum(axis=0)
    expected = entropy(p_x) + conditional_entropy(p_xy) + conditional_entropy(p_yz)
    assert joint_entropy(p_xyz) == pytest.approx(expected, abs=TOL)


@given(probability_vectors(1, 6), st.data())
def test_joint_from_conditional_and_conditional_round_trip(px, data):
    channel = data.draw(stochastic_matrices(px.size))
    joint = joint_from_conditional(px, channel)
    assert joint.sum() == pytest.approx(1.0, abs=1e-14)
    back = conditional(joint, given=0)
    seen = px > 0
    np.testing.assert_allclose(back[seen], channel[seen], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(back[~seen], 1.0 / channel.shape[1])  # undefined rows: uniform
    post = conditional(joint, given=1)
    assert post.shape == (channel.shape[1], px.size)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=1e-14)
    # Bayes: p(x|y) p(y) = p(x, y)
    np.testing.assert_allclose(post * joint.sum(axis=0)[:, None], joint.T, atol=1e-15)


def test_known_values():
    # A binary symmetric channel with crossover 0.1 and uniform input: I = log 2 - h(0.1)
    joint = 0.5 * np.array([[0.9, 0.1], [0.1, 0.9]])
    h01 = -(0.1 * math.log(0.1) + 0.9 * math.log(0.9))
    assert mutual_information(joint) == pytest.approx(math.log(2) - h01, abs=1e-14)
    assert conditional_entropy(joint) == pytest.approx(h01, abs=1e-14)
    assert kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), abs=1e-15)
