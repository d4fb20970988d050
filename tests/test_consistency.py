"""The real-data consistency objective (IIC's I(c; c')) and its use in the D step."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax

from npgan.info import mutual_information
from npgan.train.terms.consistency import paired_assignment_mi


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 12), k=st.integers(2, 6),
       scale=st.floats(0.1, 5.0))
@settings(max_examples=40)
def test_value_and_gradient_float64(seed, n, k, scale):
    rng = np.random.default_rng(seed)
    target = log_softmax(rng.normal(0, scale, (n, k)), axis=1)
    logits = rng.normal(0, scale, (n, k))
    mi, d = paired_assignment_mi(target, logits)
    # value: the mutual information of the symmetrised joint, computed directly
    a = np.exp(log_softmax(logits, axis=1))
    joint = np.exp(target).T @ a / n
    sym = (joint + joint.T) / 2
    assert mi == pytest.approx(mutual_information(sym), abs=1e-12)
    assert -1e-12 <= mi <= np.log(k) + 1e-12
    # gradient of -mi by central differences
    h = 1e-6
    num = np.zeros_like(logits)
    for i in range(n):
        for j in range(k):
            up, dn = logits.copy(), logits.copy()
            up[i, j] += h
            dn[i, j] -= h
            num[i, j] = -(paired_assignment_mi(target, up)[0] - paired_assignment_mi(target, dn)[0]) / (2 * h)
    np.testing.assert_allclose(d, num, atol=1e-7 + 1e-5 * np.abs(num).max())


def test_perfect_balanced_agreement_gives_log_k_and_zero_gradient():
    labels = np.arange(60) % 6
    logits = np.where(np.eye(6)[labels] > 0, 0.0, -800.0)  # one-hot to float64 precision
    mi, d = paired_assignment_mi(log_softmax(logits, axis=1), logits)
    assert mi == pytest.approx(np.log(6), abs=1e-12)
    np.testing.assert_allclose(d, 0.0, atol=1e-12)


def test_uninformative_target_gives_zero():
    # uniform target, balanced (if confident) distorted side: the joint is uniform
    target = np.full((12, 4), -np.log(4))
    logits = np.where(np.eye(4)[np.arange(12) % 4] > 0, 3.0, 0.0)
    mi, _ = paired_assignment_mi(target, logits)
    assert mi == pytest.approx(0.0, abs=1e-12)


def test_gradient_raises_the_objective():
    rng = np.random.default_rng(1)
    target = log_softmax(rng.normal(0, 3, (32, 5)), axis=1)
    logits = rng.normal(size=(32, 5))
    mi0, d = paired_assignment_mi(target, logits)
    mi1, _ = paired_assignment_mi(target, logits - 1.0 * d)
    assert mi1 > mi0


def test_float32_in_float32_out_and_bad_input():
    t = log_softmax(np.zeros((4, 3)), axis=1).astype(np.float32)
    _, d = paired_assignment_mi(t, np.zeros((4, 3), dtype=np.float32))
    assert d.dtype == np.float32
    with pytest.raises(ValueError, match="same shape"):
        paired_assignment_mi(t, np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="logits"):
        paired_assignment_mi(t, [[0.0]])
