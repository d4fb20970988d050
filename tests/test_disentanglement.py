"""Tests for npgan.evaluation: discretisation, MI matrix, MIG, NMI, the factor report.

Exact cases use full factorial designs: every combination of the factor values occurs equally
often, so the empirical joint of two different factors is exactly the product of its marginals
(MI 0 up to rounding) and a code that copies a factor has MI = H(factor).
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npgan.data import make_synthetic_digits
from npgan.evaluation import (class_rank_correlations, cluster_accuracy, code_values, codes_from_q, discretize,
                              factor_report, mig, mutual_information_matrix, normalized_mutual_information)
from npgan.figures import plot_mi_matrix
from npgan.info import entropy
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec


def _grid(*sizes, repeat=1):
    """Full factorial design: columns of all combinations of range(s) for s in sizes, each `repeat` times."""
    g = np.array(list(itertools.product(*[range(s) for s in sizes])), dtype=np.int64)
    return np.repeat(g, repeat, axis=0)


def _h(codes):
    return float(entropy(np.bincount(codes).astype(float), normalize=True))


# ------------------------------------------------------------------ discretize
def test_discretize_constant_gives_one_bin():
    assert np.array_equal(discretize(np.full(7, 3.25)), np.zeros(7, np.int64))
    assert np.array_equal(discretize(np.zeros(4, np.int64), n_bins=2), np.zeros(4, np.int64))


def test_discretize_equal_frequency_for_distinct_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    c = discretize(x, n_bins=20)
    assert c.dtype == np.int64 and c.shape == (1000,)
    counts = np.bincount(c)
    assert counts.size == 20 and np.all(counts == 50)
    # order preserving: sorting by value sorts the codes
    assert np.all(np.diff(c[np.argsort(x)]) >= 0)
    assert np.all(np.bincount(discretize(x[:103], n_bins=10)) >= 10)  # 103 / 10: 10 or 11 each


def test_discretize_keeps_few_integer_values_as_categories():
    v = np.array([7, -2, 7, 40, -2, 7])
    assert np.array_equal(discretize(v, n_bins=5), [1, 0, 1, 2, 0, 1])
    digits = np.random.default_rng(1).integers(0, 10, 500)
    assert np.array_equal(discretize(digits), digits)  # 0..9 already dense and sorted
    assert np.array_equal(discretize(np.array([True, False, True])), [1, 0, 1])


def test_discretize_never_splits_ties():
    # 60 % of the mass on one value: it cannot be spread over several equal-frequency bins
    x = np.concatenate([np.zeros(600), np.arange(1, 401) / 400.0])
    np.random.default_rng(2).shuffle(x)
    c = discretize(x, n_bins=10)
    assert np.unique(c[x == 0]).size == 1
    assert np.array_equal(np.unique(c), np.arange(c.max() + 1))  # all bins occupied, dense
    assert c.max() + 1 < 10  # fewer bins than asked: the tied run takes several bins' worth
    assert np.all(np.diff(c[np.argsort(x, kind="stable")]) >= 0)


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=60), st.integers(2, 8))
def test_discretize_properties_and_monotone_invariance(ints, n_bins):
    x = np.array(ints, dtype=np.float64) / 3.0  # heavy ties
    c = discretize(x, n_bins=n_bins)
    k = c.max() + 1
    assert k <= n_bins
    assert np.array_equal(np.unique(c), np.arange(k))
    for v in np.unique(x):
        assert np.unique(c[x == v]).size == 1  # ties share a bin
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(c[order]) >= 0)
    # depends only on the order of the values
    assert np.array_equal(discretize(np.exp(x), n_bins=n_bins), c)
    assert np.array_equal(discretize(x**3 + 10.0, n_bins=n_bins), c)


def test_discretize_bad_input():
    with pytest.raises(ValueError, match="n_bins"):
        discretize(np.arange(5.0), n_bins=1)
    with pytest.raises(TypeError, match="n_bins"):
        discretize(np.arange(5.0), n_bins=2.5)
    with pytest.raises(ValueError, match="values"):
        discretize(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="values"):
        discretize(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="values"):
        discretize(np.array([]))
    with pytest.raises(TypeError, match="values"):
        discretize(np.array(["a", "b"]))


# ----------------------------------------------------------- MI matrix and MIG
def test_perfectly_disentangled_codes_have_mig_one():
    g = _grid(4, 5, 3, 6, repeat=2)  # factors a, b, c; d is nuisance
    a, b, c, d = g.T
    factors = np.column_stack([a, b, c]).astype(np.float64)
    perm = np.array([2, 0, 3, 1])
    # codes: relabelled copies of b and a (order swapped), a nuisance code, a decreasing map of c
    codes = np.column_stack([b + 100.0, perm[a] * 7.0, d, -2.0 * c])
    mi, h = mutual_information_matrix(codes, factors)
    np.testing.assert_allclose(h, np.log([4, 5, 3]), rtol=0, atol=1e-12)
    expected = np.zeros((4, 3))
    expected[0, 1], expected[1, 0], expected[3, 2] = np.log(5), np.log(4), np.log(3)
    np.testing.assert_allclose(mi, expected, rtol=0, atol=1e-12)
    score, per = mig(mi, h)
    assert abs(score - 1.0) < 1e-12
    np.testing.assert_allclose(per, 1.0, rtol=0, atol=1e-12)


def test_codes_that_mix_both_factors_equally_have_mig_zero():
    a, b = _grid(4, 4, repeat=3).T
    factors = np.column_stack([a, b])
    same = a * 4 + b  # both codes the same function of both factors
    mi, h = mutual_information_matrix(np.column_stack([same, same]), factors)
    assert np.all(mi > 1.0)  # each code carries all of both factors ...
    score, per = mig(mi, h)
    assert score == 0.0 and np.all(per == 0.0)  # ... so no factor has a code of its own


def test_rotated_continuous_codes_have_mig_near_zero_and_axis_codes_near_one():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 1, size=(2, 20000))
    factors = np.column_stack([x, y])
    mi, h = mutual_information_matrix(np.column_stack([x + y, x - y]), factors)
    assert np.all(mi > 0.2), mi  # informative about both factors ...
    assert mig(mi, h)[0] < 0.05  # ... but equally so: entangled
    mi2, h2 = mutual_information_matrix(np.column_stack([np.tanh(3 * y), x**3]), factors)
    assert mig(mi2, h2)[0] > 0.98


@given(st.integers(1, 40), st.data())
def test_mi_matrix_is_bounded_by_the_entropies(n, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, 3, n), rng.normal(size=n), rng.integers(0, 2, n) * 1.5])
    factors = np.column_stack([rng.integers(0, 4, n), codes[:, 1] + rng.normal(size=n) * 0.1])
    n_bins = data.draw(st.integers(2, 6))
    mi, h = mutual_information_matrix(codes, factors, n_bins=n_bins)
    assert mi.shape == (3, 2) and h.shape == (2,)
    hc = np.array([_h(discretize(codes[:, i], n_bins)) for i in range(3)])
    hv = np.array([_h(discretize(factors[:, j], n_bins)) for j in range(2)])
    np.testing.assert_allclose(h, hv, rtol=0, atol=1e-12)
    assert np.all(mi >= -1e-12)
    assert np.all(mi <= np.minimum(hc[:, None], hv[None, :]) + 1e-12)


def test_mi_is_invariant_to_monotone_transforms_of_a_code():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(2, 3000))
    factors = np.column_stack([x + 0.5 * rng.normal(size=3000), y])
    base, _ = mutual_information_matrix(np.column_stack([x, y]), factors)
    assert base[0, 0] > 0.5
    for f in (np.exp, np.arctan, lambda t: 5.0 * t - 2.0, lambda t: t**3):
        mi, _ = mutual_information_matrix(np.column_stack([f(x), f(y)]), factors)
        assert np.array_equal(mi, base)
    mi, _ = mutual_information_matrix(np.column_stack([-x, -np.exp(y)]), factors)  # decreasing
    np.testing.assert_allclose(mi, base, rtol=0, atol=1e-12)


def test_mig_subset_and_hand_computed_gaps():
    mi = np.array([[1.0, 0.1, 0.0], [0.2, 0.6, 0.3], [0.0, 0.5, 0.3]])
    h = np.array([2.0, 1.0, 0.5])
    score, per = mig(mi, h)
    np.testing.assert_allclose(per, [0.4, 0.1, 0.0])
    assert score == pytest.approx(0.5 / 3)
    score12, per12 = mig(mi, h, factors=[1, 0])
    np.testing.assert_allclose(per12, [0.1, 0.4])
    assert score12 == pytest.approx(0.25)


def test_mig_constant_factor_is_nan_and_left_out():
    mi = np.array([[1.0, 0.0], [0.0, 0.0]])
    score, per = mig(mi, np.array([1.0, 0.0]))
    assert per[0] == 1.0 and np.isnan(per[1])
    assert score == 1.0
    assert np.isnan(mig(mi, np.array([1.0, 0.0]), factors=[1])[0])


def test_mi_matrix_and_mig_bad_input():
    codes, factors = np.zeros((10, 2)), np.zeros((10, 3))
    with pytest.raises(ValueError, match="samples"):
        mutual_information_matrix(codes, factors[:9])
    with pytest.raises(ValueError, match="codes"):
        mutual_information_matrix(codes[:, 0], factors)
    with pytest.raises(ValueError, match="factors"):
        mutual_information_matrix(codes, np.zeros((10, 3, 1)))
    with pytest.raises(ValueError, match="n_bins"):
        mutual_information_matrix(codes, factors, n_bins=1)
    with pytest.raises(TypeError, match="codes"):
        mutual_information_matrix(np.array([["a"]]), factors[:1])
    mi, h = np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match="mi"):
        mig(np.ones(3), h)
    with pytest.raises(ValueError, match="at least 2 codes"):
        mig(np.ones((1, 2)), h)
    with pytest.raises(ValueError, match="factor_entropies"):
        mig(mi, np.ones(3))
    with pytest.raises(ValueError, match="factor_entropies"):
        mig(mi, -h)
    with pytest.raises(ValueError, match="factors"):
        mig(mi, h, factors=[2])
    with pytest.raises(TypeError, match="factors"):
        mig(mi, h, factors=[0.5])
    with pytest.raises(TypeError, match="factors"):
        mig(mi, h, factors="rotation")


# ------------------------------------------------------------------- clustering
def test_nmi_relabelled_perfect_clustering_is_one():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 10, 2000)
    perm = rng.permutation(10) * 3 - 4  # arbitrary integer names, negatives included
    assert normalized_mutual_information(labels, perm[labels]) == pytest.approx(1.0, abs=1e-12)


def test_nmi_independent_labels_is_zero():
    a, b = _grid(6, 4, repeat=5).T
    assert normalized_mutual_information(a, b) == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(6)
    assert normalized_mutual_information(rng.integers(0, 10, 20000), rng.integers(0, 10, 20000)) < 0.01


def test_nmi_hand_computed_and_degenerate_cases():
    labels = np.repeat(np.arange(4), 25)
    merged = np.where(labels == 3, 2, labels)  # H = 1.5 ln 2 = I; H(labels) = 2 ln 2
    assert normalized_mutual_information(labels, merged) == pytest.approx(6 / 7, abs=1e-12)
    assert normalized_mutual_information(np.zeros(5, int), np.zeros(5, int)) == 1.0
    assert normalized_mutual_information(np.zeros(4, int), np.array([0, 1, 0, 1])) == 0.0


def test_nmi_bad_input():
    with pytest.raises(ValueError, match="labels_pred"):
        normalized_mutual_information(np.zeros(3, int), np.zeros(4, int))
    with pytest.raises(TypeError, match="labels_pred"):
        normalized_mutual_information(np.zeros(3, int), np.zeros(3))
    with pytest.raises(ValueError, match="labels_true"):
        normalized_mutual_information(np.zeros((3, 1), int), np.zeros(3, int))


# ---------------------------------------------------------------- codes from Q
def test_codes_from_q_takes_argmax_then_means():
    lat = LatentSpec(noise_dim=4, categorical=(3, 2), continuous=2)
    rng = np.random.default_rng(7)
    q = rng.normal(size=(6, lat.q_output_dim)).astype(np.float32)
    values, names = codes_from_q(q, lat)
    assert names == ["c1", "c2", "c3", "c4"]
    assert values.shape == (6, 4) and values.dtype == np.float64
    np.testing.assert_array_equal(values[:, 0], np.argmax(q[:, :3], axis=1))
    np.testing.assert_array_equal(values[:, 1], np.argmax(q[:, 3:5], axis=1))
    np.testing.assert_array_equal(values[:, 2:], q[:, 5:7])  # means; log-stds (7:9) dropped
    with pytest.raises(ValueError, match="q_out"):
        codes_from_q(q[:, :-1], lat)
    with pytest.raises(TypeError, match="latent"):
        codes_from_q(q, "latent")


# --------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def tiny():
    nets = InfoGANNets(InfoGANConfig(batch_size=8), np.random.default_rng(0))
    data = make_synthetic_digits(300, np.random.default_rng(1))
    return nets, data, factor_report(nets, data, batch_size=128)


def test_factor_report_on_untrained_infogan(tiny):
    nets, data, r = tiny
    assert r["code_names"] == ["c1", "c2", "c3"]
    assert r["factor_names"] == ["digit", "rotation", "width", "thickness", "font"]
    assert r["mi"].shape == (3, 5) and r["factor_entropies"].shape == (5,)
    assert r["mi_normalized"].shape == (3, 5) and r["n_samples"] == 300
    assert np.all(np.isfinite(r["mi"])) and np.all(r["mi"] >= -1e-12)
    np.testing.assert_allclose(r["mi_normalized"], r["mi"] / r["factor_entropies"])
    assert set(r["gaps"]) == set(r["factor_names"])
    for key in ("mig", "mig_style", "cluster_accuracy", "nmi"):
        assert isinstance(r[key], float) and 0.0 <= r[key] <= 1.0, (key, r[key])
    assert r["style_factors"] == ["rotation", "width"]
    # the report is exactly the documented composition of the public pieces
    values, _ = code_values(nets, data.images)
    factors = np.column_stack([data.factors[f] for f in r["factor_names"]]).astype(float)
    mi, h = mutual_information_matrix(values, factors)
    np.testing.assert_allclose(r["mi"], mi, rtol=0, atol=1e-12)
    assert r["mig"] == pytest.approx(mig(mi, h)[0])
    assert r["mig_style"] == pytest.approx(mig(mi, h, [1, 2])[0])
    pred = values[:, 0].astype(int)
    assert r["nmi"] == pytest.approx(normalized_mutual_information(data.labels, pred))
    assert r["cluster_accuracy"] == pytest.approx(cluster_accuracy(data.labels, pred, 10, 10)[0])
    rho, classes = class_rank_correlations(values[:, 1:], factors[:, [1, 2]], data.labels)
    np.testing.assert_array_equal(r["class_rho"], rho)
    np.testing.assert_array_equal(r["classes"], classes)
    assert r["class_rho"].shape == (2, 2, 10)
    assert set(r["class_agreement"]) == {"rotation", "width"}


def test_factor_report_bad_input(tiny):
    nets, data, _ = tiny
    with pytest.raises(TypeError, match="dataset"):
        factor_report(nets, (data.images, data.labels))
    with pytest.raises(TypeError, match="nets"):
        factor_report("nets", data)
    with pytest.raises(ValueError, match="n_bins"):
        factor_report(nets, data, n_bins=1)


def test_plot_mi_matrix_writes_png(tiny, tmp_path):
    _, _, r = tiny
    path = plot_mi_matrix(r, tmp_path / "sub" / "mi.png")
    assert path.exists() and path.stat().st_size > 5000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="report"):
        plot_mi_matrix({"mi": r["mi"]}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="report"):
        plot_mi_matrix([1, 2], tmp_path / "x.png")
