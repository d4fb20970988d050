"""Bad input to npgan.info raises ValueError/TypeError naming the argument."""

import numpy as np
import pytest

from npgan import info
from npgan.info import (conditional, conditional_entropy, cross_entropy, entropy, gaussian_entropy,
                        gaussian_kl, joint_entropy, joint_from_conditional, kl_divergence,
                        lemma_5_1, marginals, mi_lower_bound, mi_lower_bound_exact,
                        mutual_information, pointwise_information, product_entropy,
                        sum_tolerance, uniform_entropy, variational_gap)
from npgan.info import categorical_entropy

GOOD = np.array([0.25, 0.75])
JOINT = np.array([[0.1, 0.2], [0.3, 0.4]])
Q = np.array([[0.5, 0.5], [0.2, 0.8]])


@pytest.mark.parametrize("bad, match", [
    ([0.5, np.nan, 0.5], "`p` must be finite"),
    ([0.5, np.inf], "`p` must be finite"),
    ([1.2, -0.2], "`p` must be non-negative"),
    ([0.5, 0.4], "`p` must sum to 1"),
    ([[0.5, 0.5], [0.5, 0.6]], "`p` must sum to 1"),
    ([], "`p` must not be empty"),
    (0.5, "`p` must be at least 1-dimensional"),
])
def test_entropy_rejects_bad_probabilities(bad, match):
    with pytest.raises(ValueError, match=match):
        entropy(bad)


@pytest.mark.parametrize("func", [kl_divergence, cross_entropy])
def test_pair_checks_name_each_argument(func):
    with pytest.raises(ValueError, match="`q` must be non-negative"):
        func(GOOD, [-0.5, 1.5])
    with pytest.raises(ValueError, match="`p` must sum to 1"):
        func([0.2, 0.2], GOOD)
    with pytest.raises(ValueError, match="`p` and `q` must have the same number of outcomes"):
        func(GOOD, [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="`p` and `q` have shapes that do not broadcast"):
        func(np.full((3, 2), 0.5), np.full((2, 2), 0.5))


@pytest.mark.parametrize("func", [joint_entropy, conditional_entropy, mutual_information, marginals,
                                  conditional])
def test_joint_checks(func):
    with pytest.raises(ValueError, match="`joint` must sum to 1 in total"):
        func(JOINT * 2)
    with pytest.raises(ValueError, match="`joint` must be non-negative"):
        func(np.array([[0.5, -0.1], [0.3, 0.3]]))
    with pytest.raises(ValueError, match="`joint` must be finite"):
        func(np.array([[0.5, np.nan], [0.3, 0.2]]))
    if func is not joint_entropy:  # joint_entropy takes any number of variables
        with pytest.raises(ValueError, match="`joint` must be 2-dimensional"):
            func(np.full((2, 2, 2), 0.125))


@pytest.mark.parametrize("base", [0, -2, 0.0, -0.5, 1, 1.0, np.inf, np.nan])
def test_bad_base(base):
    with pytest.raises(ValueError, match="`base`"):
        entropy(GOOD, base=base)
    with pytest.raises(ValueError, match="`base`"):
        mutual_information(JOINT, base=base)


@pytest.mark.parametrize("base", ["2", [2], True])
def test_base_type(base):
    with pytest.raises(TypeError, match="`base`"):
        entropy(GOOD, base=base)


def test_non_real_input_is_a_type_error():
    with pytest.raises(TypeError, match="`p` must be an array of real numbers"):
        entropy(["a", "b"])
    with pytest.raises(TypeError, match="`p`"):
        entropy(np.array([0.5 + 0j, 0.5]))
    with pytest.raises(TypeError, match="`normalize`"):
        entropy(GOOD, normalize="yes")


def test_sum_tolerance_is_stated_and_applied():
    tol = sum_tolerance(np.float64)
    assert tol == pytest.approx(np.sqrt(np.finfo(np.float64).eps))
    assert sum_tolerance(np.float32) > 1e-4
    entropy(np.array([0.5, 0.5 + 0.5 * tol]))          # within tolerance: accepted
    with pytest.raises(ValueError, match="within 1.5e-08"):
        entropy(np.array([0.5, 0.5 + 2 * tol]))
    # float32 tables get the float32 tolerance
    entropy(np.array([0.5, 0.5001], dtype=np.float32))


def test_normalize_rejects_all_zero():
    with pytest.raises(ValueError, match="`p` cannot be normalised"):
        entropy([0.0, 0.0], normalize=True)
    with pytest.raises(ValueError, match="`p` must be non-negative"):
        entropy([2.0, -1.0], normalize=True)


def test_given_is_checked():
    for bad in (2, -1, "x", True):
        with pytest.raises(ValueError, match="`given`"):
            conditional_entropy(JOINT, given=bad)


def test_pointwise_information_range():
    with pytest.raises(ValueError, match="`p` must hold probabilities in \\[0, 1\\]"):
        pointwise_information([0.5, 1.5])
    with pytest.raises(ValueError, match="`p` must be non-negative"):
        pointwise_information(-0.1)


def test_joint_from_conditional_shapes():
    with pytest.raises(ValueError, match="`p_y_given_x` must have one row per value of X"):
        joint_from_conditional([0.5, 0.5], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="`p_y_given_x` must sum to 1"):
        joint_from_conditional([0.5, 0.5], [[1.0, 0.1], [0.5, 0.5]])


def test_closed_form_checks():
    with pytest.raises(ValueError, match="give exactly one of `k` and `probs`"):
        categorical_entropy()
    with pytest.raises(ValueError, match="give exactly one of `k` and `probs`"):
        categorical_entropy(3, probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="`k` must be >= 1"):
        categorical_entropy(0)
    with pytest.raises(TypeError, match="`k` must be an integer"):
        categorical_entropy(2.5)
    with pytest.raises(ValueError, match="`high` must be > `low`"):
        uniform_entropy(1.0, 1.0)
    with pytest.raises(ValueError, match="`low` must be finite"):
        uniform_entropy(-np.inf, 1.0)
    with pytest.raises(ValueError, match="`low` and `high` shapes do not broadcast"):
        uniform_entropy([0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="`std` must be > 0"):
        gaussian_entropy([1.0, 0.0])
    with pytest.raises(ValueError, match="`std_q` must be > 0"):
        gaussian_kl(0.0, 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="`mean_p` must be finite"):
        gaussian_kl(np.nan, 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="shapes do not broadcast"):
        gaussian_kl([0.0, 0.0], 1.0, [0.0, 0.0, 0.0], 1.0)
    with pytest.raises(TypeError, match="`components\\[1\\]`"):
        product_entropy([1.0, "x"])
    with pytest.raises(ValueError, match="`components\\[0\\]` has a non-finite entropy"):
        product_entropy([np.inf])
    with pytest.raises(TypeError, match="`components` must be a sequence"):
        product_entropy(3.0)


def test_bound_checks():
    with pytest.raises(ValueError, match="`q` must have shape \\(n_x, n_c\\)"):
        mi_lower_bound_exact(np.full((2, 3), 1 / 6), Q)
    with pytest.raises(ValueError, match="`q` must sum to 1"):
        variational_gap(JOINT, Q * 2)
    with pytest.raises(ValueError, match="`joint` must sum to 1"):
        mi_lower_bound_exact(JOINT * 2, Q)
    with pytest.raises(ValueError, match="`log_q` must not contain NaN"):
        mi_lower_bound(np.array([np.nan, -1.0]), 1.0)
    with pytest.raises(ValueError, match="`log_q` must be 1-dimensional"):
        mi_lower_bound(np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="`log_q` must not be empty"):
        mi_lower_bound(np.zeros(0), 1.0)
    with pytest.raises(ValueError, match="`prior_entropy` must be finite"):
        mi_lower_bound(np.zeros(3), np.inf)
    with pytest.raises(ValueError, match="`f` must have the shape of `joint`"):
        lemma_5_1(JOINT, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="`f` must have finite values"):
        lemma_5_1(JOINT, np.array([[0.0, np.inf], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="`f\\(x, y\\)` must return an array broadcastable"):
        lemma_5_1(JOINT, lambda x, y: np.zeros(5))


def test_public_api_is_exactly_the_submodules_functions_and_each_is_in_the_overview():
    """``__all__`` lists every public function of npgan.info's submodules (and ``sum_tolerance``),
    each the submodule's own object, and nothing else; the package docstring names each one."""
    import inspect

    from npgan.info import bounds, closed_form, discrete
    defined = {name: obj for mod in (discrete, closed_form, bounds) for name, obj in vars(mod).items()
               if inspect.isfunction(obj) and obj.__module__ == mod.__name__ and not name.startswith("_")}
    assert sorted(info.__all__) == sorted([*defined, "sum_tolerance"])
    assert len(set(info.__all__)) == len(info.__all__)
    for name, obj in defined.items():
        assert getattr(info, name) is obj, name
    assert [name for name in info.__all__ if f"{name}(" not in info.__doc__ and f"`{name}`" not in info.__doc__] == []
