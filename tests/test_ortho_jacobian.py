"""The orthogonal-Jacobian term: cos^2 between the image changes of the continuous codes, and its use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npgan.testing import numerical_gradient
from npgan.train.terms.ortho_jacobian import orthogonality_penalty


@given(seed=st.integers(0, 2**31 - 1), m=st.integers(1, 4), k=st.integers(2, 3), eps=st.floats(0.05, 1.0))
@settings(max_examples=30)
def test_value_and_gradient_float64(seed, m, k, eps):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(m, 1, 3, 2))
    shifted = [base + rng.normal(size=base.shape) for _ in range(k)]
    pen, d_base, d_shifted = orthogonality_penalty(base, shifted, eps)
    jac = [(s - base).reshape(m, -1) / eps for s in shifted]
    cos2 = [np.sum(a * b, 1) ** 2 / (np.sum(a * a, 1) * np.sum(b * b, 1))
            for i, a in enumerate(jac) for b in jac[i + 1:]]
    assert pen == pytest.approx(np.mean(cos2), rel=1e-12)
    assert 0.0 <= pen <= 1.0 + 1e-12

    for arr, ana in zip([base, *shifted], [d_base, *d_shifted]):
        num = numerical_gradient(lambda: orthogonality_penalty(base, shifted, eps)[0], arr)
        np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-8)


def test_orthogonal_parallel_and_zero_changes():
    base = np.zeros((2, 4))
    a = np.array([[1.0, 0, 0, 0], [0, 2.0, 0, 0]])
    b = np.array([[0, 3.0, 0, 0], [0, 0, 0, 1.0]])
    assert orthogonality_penalty(base, [a, b], 0.1)[0] == 0.0
    assert orthogonality_penalty(base, [a, -2 * a], 0.1)[0] == pytest.approx(1.0)
    # a code that does not move the image: no direction, no penalty, no gradient (not NaN)
    pen, d_base, d_shifted = orthogonality_penalty(base, [a, base.copy()], 0.1)
    assert pen == 0.0 and not np.any(d_base) and not any(np.any(d) for d in d_shifted)
    # float32 in, float32 gradients out
    _, d32, s32 = orthogonality_penalty(base.astype(np.float32), [a.astype(np.float32), b.astype(np.float32)], 0.1)
    assert d32.dtype == np.float32 and s32[0].dtype == np.float32


def test_bad_input_rejected():
    base = np.zeros((2, 4))
    with pytest.raises(ValueError, match="shifted"):
        orthogonality_penalty(base, [base], 0.1)
    with pytest.raises(ValueError, match=r"shifted\[1\]"):
        orthogonality_penalty(base, [base, np.zeros((2, 5))], 0.1)
    with pytest.raises(ValueError, match="eps"):
        orthogonality_penalty(base, [base, base], 0.0)
    with pytest.raises(TypeError, match="base"):
        orthogonality_penalty([[0.0]], [base, base], 0.1)
