"""Random affine distortions: kernel vs reference, geometry, validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npgan.data.augment import Distortion, affine_warp
from npgan.kernels import reference


def _random_mats(rng, n):
    m = np.zeros((n, 2, 3))
    m[:, :, :2] = np.eye(2) + rng.normal(0, 0.3, (n, 2, 2))
    m[:, :, 2] = rng.normal(0, 3, (n, 2))
    return m


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9))
@settings(max_examples=30)
def test_kernel_matches_reference_float64(seed, n, h, w):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, h, w))
    mats = _random_mats(rng, n)
    np.testing.assert_allclose(affine_warp(x, mats), reference.affine_warp(x, mats), rtol=0, atol=1e-12)


def test_float32_stays_float32_and_matches_reference():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 1, 28, 28)).astype(np.float32)
    mats = _random_mats(rng, 4)
    y = affine_warp(x, mats)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y[:, 0], reference.affine_warp(x[:, 0], mats), atol=1e-5)


def test_identity_and_integer_shift():
    x = np.random.default_rng(1).uniform(0, 1, (2, 6, 7))
    ident = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (2, 1, 1))
    np.testing.assert_array_equal(affine_warp(x, ident), x)
    shift = ident.copy()
    shift[:, 1, 2] = 2.0  # output column c reads source column c + 2: content moves left
    y = affine_warp(x, shift)
    np.testing.assert_array_equal(y[:, :, :-2], x[:, :, 2:])
    np.testing.assert_array_equal(y[:, :, -2:], 0.0)


def test_distortion_without_range_is_identity():
    x = np.random.default_rng(2).uniform(0, 1, (3, 1, 28, 28)).astype(np.float32)
    none = Distortion(rotation=0.0, scale_x=(1.0, 1.0), scale_y=(1.0, 1.0), shear=0.0, shift=0.0, stroke=0.0)
    np.testing.assert_allclose(none(x, np.random.default_rng(0)), x, atol=1e-6)


def test_distortion_rotation_turns_a_bar_by_the_drawn_angle():
    # A vertical bar, rotated by a pure rotation: its principal axis (from second moments) must
    # turn by the matrix's angle (up to the sign convention, checked consistently over draws).
    x = np.zeros((12, 1, 41, 41))
    x[:, 0, 6:35, 20] = 1.0
    rot = Distortion(rotation=60.0, scale_x=(1.0, 1.0), scale_y=(1.0, 1.0), shear=0.0, shift=0.0)
    mats = rot.matrices(12, np.random.default_rng(0), (41, 41))
    lin = mats[:, :, :2]
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", lin, lin), np.tile(np.eye(2), (12, 1, 1)), atol=1e-12)
    drawn = np.rad2deg(np.arctan2(lin[:, 0, 1], lin[:, 0, 0]))
    assert np.all(np.abs(drawn) <= 60.0) and np.ptp(drawn) > 30.0
    y = affine_warp(x, mats)[:, 0]
    r, c = np.mgrid[0:41, 0:41]
    measured = []
    for img in y:
        m = img.sum()
        mr, mc = (img * r).sum() / m, (img * c).sum() / m
        crr = (img * (r - mr) ** 2).sum()
        ccc = (img * (c - mc) ** 2).sum()
        crc = (img * (r - mr) * (c - mc)).sum()
        # angle of the principal axis from the vertical
        measured.append(np.rad2deg(0.5 * np.arctan2(2 * crc, crr - ccc)))
    measured = np.array(measured)
    sign = np.sign(np.sum(measured * drawn))
    np.testing.assert_allclose(sign * measured, drawn, atol=2.0)


def test_distortion_is_deterministic_for_a_seed_and_keeps_mass():
    x = np.zeros((16, 1, 28, 28), dtype=np.float32)
    x[:, 0, 8:20, 10:18] = 1.0
    a = Distortion()(x, np.random.default_rng(5))
    b = Distortion()(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, x)
    ratio = a.sum(axis=(1, 2, 3)) / x.sum(axis=(1, 2, 3))
    # area scales by sx * sy in [0.72, 1.32], the stroke blend adds or removes at most the blob's
    # one-pixel rim (40 of 96 pixels); nothing falls off a centred blob
    assert np.all((ratio > 0.72 * 56 / 96 - 0.05) & (ratio < 1.32 * 136 / 96 + 0.05)), ratio


def test_bad_inputs():
    x = np.zeros((2, 1, 5, 5), dtype=np.float32)
    with pytest.raises(TypeError, match="images"):
        affine_warp([[0.0]], np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="mats"):
        affine_warp(x, np.zeros((3, 2, 3)))
    with pytest.raises(ValueError, match="channel"):
        affine_warp(np.zeros((2, 3, 5, 5)), np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="mats"):
        affine_warp(x, np.full((2, 2, 3), np.nan))
    with pytest.raises(ValueError, match="scale_x"):
        Distortion(scale_x=(1.2, 0.8))
    with pytest.raises(ValueError, match="rotation"):
        Distortion(rotation=-1.0)


def test_stroke_blend_thickens_and_thins():
    from npgan.data.augment import stroke_blend
    x = np.zeros((3, 1, 9, 9), dtype=np.float32)
    x[:, 0, 2:7, 4] = 1.0  # a vertical bar one pixel wide
    y = stroke_blend(x, np.array([1.0, 0.0, -1.0]))
    assert y.dtype == np.float32
    # full dilation by the cross: the bar gains its left/right neighbours and one pixel at each end
    assert y[0].sum() == pytest.approx(5 * 3 + 2)
    np.testing.assert_array_equal(y[1], x[1])
    assert y[2].sum() == 0.0  # a one-pixel bar erodes away entirely
    half = stroke_blend(x[:1], np.array([0.5]))
    np.testing.assert_allclose(half, 0.5 * x[:1] + 0.5 * y[:1])
    with pytest.raises(ValueError, match="alpha"):
        stroke_blend(x, np.array([2.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="alpha"):
        stroke_blend(x, np.zeros(2))
