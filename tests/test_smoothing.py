"""The curves' smoothing (npgan.figures._smooth): a trailing mean defined from the first update."""

import numpy as np

from npgan.figures import _smooth


def test_a_step_function_is_smoothed_without_a_dip():
    y = np.r_[np.zeros(30), np.ones(30)]
    s = _smooth(y, 20)
    assert s.shape == y.shape
    assert np.all(np.diff(s) >= 0)                       # monotone in, monotone out: no dip
    assert np.all(s[:30] == 0) and s[-1] == 1 and s[49] == 1
    np.testing.assert_allclose(s[30:50], np.arange(1, 21) / 20)


def test_every_point_is_the_mean_of_its_trailing_window():
    y = np.random.default_rng(0).normal(size=57)
    s = _smooth(y, 20)
    want = [y[max(0, i - 19): i + 1].mean() for i in range(y.size)]
    np.testing.assert_allclose(s, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(_smooth(y, 1), y)
    assert _smooth(y[:0], 20).size == 0
