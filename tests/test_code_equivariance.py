"""The code-equivariance term: the spread of Q's reading changes under a shared distortion, and its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npgan.data.augment import Distortion
from npgan.testing import numerical_gradient
from npgan.train.terms.code_equivariance import group_spread


@given(seed=st.integers(0, 2**31 - 1), groups=st.integers(1, 4), size=st.integers(1, 5), d=st.integers(1, 3))
@settings(max_examples=40)
def test_value_and_gradient_float64(seed, groups, size, d):
    rng = np.random.default_rng(seed)
    delta = rng.normal(size=(groups * size, d))
    spread, grad = group_spread(delta, size)
    expected = sum(np.sum((delta[g * size:(g + 1) * size] - delta[g * size:(g + 1) * size].mean(0)) ** 2)
                   for g in range(groups)) / (groups * size)
    assert spread == pytest.approx(expected, rel=1e-12, abs=1e-15)
    num = numerical_gradient(lambda: group_spread(delta, size)[0], delta)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9)


def test_zero_when_each_group_moves_together_and_blind_to_a_shared_shift():
    rng = np.random.default_rng(0)
    shifts = rng.normal(size=(3, 2))
    together = np.repeat(shifts, 4, axis=0)  # every image of a group moves by the same amount
    spread, grad = group_spread(together, 4)
    assert spread == pytest.approx(0.0, abs=1e-15) and np.allclose(grad, 0.0)
    delta = rng.normal(size=(12, 2))
    assert group_spread(delta + together, 4)[0] == pytest.approx(group_spread(delta, 4)[0], rel=1e-12)
    # a flipped reading: one image of a group of four moves the other way
    flipped = np.array([[1.0], [1.0], [1.0], [-1.0]])
    assert group_spread(flipped, 4)[0] == pytest.approx(0.75)
    assert group_spread(flipped, 4)[1].dtype == np.float64
    assert group_spread(flipped.astype(np.float32), 4)[1].dtype == np.float32


def test_validation():
    with pytest.raises(ValueError, match="group_size"):
        group_spread(np.zeros((6, 2)), 4)
    with pytest.raises(ValueError, match="group_size"):
        group_spread(np.zeros((0, 2)), 1)
    with pytest.raises(ValueError, match="group_size"):
        group_spread(np.zeros((4, 2)), 0)
    with pytest.raises(ValueError, match="delta"):
        group_spread(np.zeros(4), 2)
    with pytest.raises(TypeError, match="delta"):
        group_spread([[1, 2]], 1)


def test_grouped_distortion_shares_one_warp_per_group():
    rng = np.random.default_rng(1)
    digit = rng.uniform(0, 1, (1, 1, 28, 28)).astype(np.float32)
    images = np.repeat(digit, 12, axis=0)
    out = Distortion().grouped(images, 4, np.random.default_rng(2))
    assert out.shape == images.shape and out.dtype == np.float32
    for g in range(3):
        for i in range(1, 4):
            np.testing.assert_array_equal(out[4 * g + i], out[4 * g])
    assert not np.array_equal(out[0], out[4]) and not np.array_equal(out[4], out[8])
    assert not np.array_equal(out[0], images[0])
    with pytest.raises(ValueError, match="group_size"):
        Distortion().grouped(images, 5, rng)
    with pytest.raises(ValueError, match="group_size"):
        Distortion().grouped(images, 0, rng)
