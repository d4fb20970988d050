"""Per-class rank correlations of codes with factors, and the agreement of classes on code and sign."""

import numpy as np
import pytest

from npgan.evaluation import class_agreement, class_rank_correlations
from npgan.figures import plot_class_correlations


def _data(seed=0, n_per=60, classes=10):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n_per)
    factors = rng.uniform(-1, 1, (labels.size, 2))
    return labels, factors


def test_a_clean_code_agrees_in_every_class():
    labels, factors = _data()
    codes = np.tanh(2 * factors)  # monotone in each factor: rank correlation exactly 1
    rho, classes = class_rank_correlations(codes, factors, labels)
    np.testing.assert_array_equal(classes, np.arange(10))
    np.testing.assert_allclose(rho[0, 0], 1.0)
    np.testing.assert_allclose(rho[1, 1], 1.0)
    assert np.all(np.abs(rho[0, 1]) < 0.5) and np.all(np.abs(rho[1, 0]) < 0.5)
    np.testing.assert_array_equal(class_agreement(rho), [1.0, 1.0])


def test_a_flipped_and_a_swapped_class_are_found():
    labels, factors = _data(1)
    codes = factors.copy()
    codes[labels == 3, 0] *= -1  # class 3 reads the first factor with the other sign
    two = labels == 2
    codes[two] = codes[two][:, ::-1]  # class 2 swaps the codes
    rho, _ = class_rank_correlations(codes, factors, labels)
    assert rho[0, 0, 3] == pytest.approx(-1.0)
    assert rho[1, 0, 2] == pytest.approx(1.0) and rho[0, 1, 2] == pytest.approx(1.0)
    np.testing.assert_allclose(class_agreement(rho), [0.8, 0.9])  # factor 0: classes 2 and 3 differ


def test_undefined_correlations_are_nan_and_skipped():
    labels = np.array([0, 0, 0, 0, 1, 1])  # class 1 has two images: too few
    factors = np.array([[0.1], [0.4], [0.2], [0.9], [0.3], [0.5]])
    codes = np.column_stack([factors[:, 0], np.ones(6)])  # the second code is constant
    rho, _ = class_rank_correlations(codes, factors, labels)
    assert rho[0, 0, 0] == pytest.approx(1.0)
    assert np.isnan(rho[0, 0, 1]) and np.all(np.isnan(rho[1, 0]))
    assert class_agreement(rho)[0] == 1.0
    assert np.isnan(class_agreement(np.full((2, 1, 3), np.nan))[0])


def test_validation():
    labels, factors = _data(n_per=5)
    with pytest.raises(TypeError, match="labels"):
        class_rank_correlations(factors, factors, labels.astype(float))
    with pytest.raises(ValueError, match="same number of rows"):
        class_rank_correlations(factors[:-1], factors, labels)
    with pytest.raises(ValueError, match="codes"):
        class_rank_correlations(factors[:, 0], factors, labels)
    with pytest.raises(TypeError, match="factors"):
        class_rank_correlations(factors, factors.tolist(), labels)
    with pytest.raises(ValueError, match="labels"):
        class_rank_correlations(factors, factors, labels[:, None])
    with pytest.raises(ValueError, match="rho"):
        class_agreement(np.zeros((2, 2)))


def test_plot_class_correlations(tmp_path):
    labels, factors = _data(2)
    codes = factors.copy()
    codes[labels == 3, 0] *= -1
    rho, classes = class_rank_correlations(codes, factors, labels)
    report = {"class_rho": rho, "classes": classes, "code_names": ["c1", "c2", "c3"],
              "style_factors": ["rotation", "width"],
              "class_agreement": dict(zip(["rotation", "width"], class_agreement(rho)))}
    out = plot_class_correlations(report, tmp_path / "sub" / "class_rho.png")
    assert out.exists() and out.stat().st_size > 1000
    with pytest.raises(ValueError, match="class_rho"):
        plot_class_correlations({**report, "class_rho": None}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="report"):
        plot_class_correlations([rho], tmp_path / "x.png")
