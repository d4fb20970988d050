"""Tests of the synthetic digits: determinism, geometry, factor independence and effects."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.stats import kstest, spearmanr

from npgan.data import synthetic
from npgan.kernels import glyphs
from npgan.kernels import reference as R
from npgan.data.datasets import load_dataset
from npgan.data.synthetic import (
    DEFAULT_RANGES,
    FACTOR_NAMES,
    FONTS,
    factor_sweeps,
    glyph_atlas,
    make_synthetic_digits,
    render_digits,
)

CONTINUOUS = ("rotation", "width", "thickness")


@pytest.fixture(scope="module")
def big():
    return make_synthetic_digits(10000, np.random.default_rng(2024))


# ---------------------------------------------------------------- measurements
def moments(images):
    """Centre of mass, spreads and orientation from image moments (y axis pointing up)."""
    x = images[:, 0].astype(np.float64)
    mass = x.sum((1, 2))
    r = np.arange(x.shape[1], dtype=np.float64)
    rows, cols = np.meshgrid(r, r, indexing="ij")
    cy = (x * rows).sum((1, 2)) / mass
    cx = (x * cols).sum((1, 2)) / mass
    dx = cols - cx[:, None, None]
    dy = -(rows - cy[:, None, None])
    vx = (x * dx * dx).sum((1, 2)) / mass
    vy = (x * dy * dy).sum((1, 2)) / mass
    cxy = (x * dx * dy).sum((1, 2)) / mass
    # counter-clockwise angle of the principal axis from vertical, degrees
    orientation = np.degrees(0.5 * np.arctan2(-2.0 * cxy, vy - vx))
    return {"cy": cy, "cx": cx, "ink": mass, "x_spread": np.sqrt(vx), "orientation": orientation}


def stroke_width(images):
    """2 * area / perimeter of the thresholded ink (perimeter with the pi/4 grid correction)."""
    b = images[:, 0] > 0.5
    area = b.sum((1, 2))
    edges = (b[:, 1:] != b[:, :-1]).sum((1, 2)) + (b[:, :, 1:] != b[:, :, :-1]).sum((1, 2))
    return 2.0 * area / (edges * np.pi / 4)


def plugin_mi(a, b):
    """Plug-in mutual information (nats) of two integer-coded arrays."""
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    nz = joint > 0
    return float((joint[nz] * np.log(joint[nz] / outer[nz])).sum())


def discretise(ds, name, bins=8):
    v = ds.factors[name]
    if name in CONTINUOUS:
        lo, hi = ds.factor_ranges[name]
        return np.minimum(((v - lo) / (hi - lo) * bins).astype(np.int64), bins - 1)
    return v


# ---------------------------------------------------------------- basic contract
def test_shapes_dtypes_ranges(big):
    n = len(big)
    assert big.images.shape == (n, 1, 28, 28) and big.images.dtype == np.float32
    assert big.images.min() >= 0.0 and big.images.max() <= 1.0
    assert big.images.max() == 1.0  # stroke interiors are fully on
    assert big.factor_names == FACTOR_NAMES == ("digit", "rotation", "width", "thickness", "font")
    assert set(big.factors) == set(FACTOR_NAMES)
    assert big.fonts == FONTS
    for name in FACTOR_NAMES:
        v = big.factors[name]
        lo, hi = big.factor_ranges[name]
        assert v.shape == (n,)
        assert v.min() >= lo and v.max() <= hi, name
    assert big.factors["digit"].dtype == np.int64 and big.factors["font"].dtype == np.int64
    assert big.factor_ranges["font"] == (0, len(FONTS) - 1)
    np.testing.assert_array_equal(big.labels, big.factors["digit"])
    # every image has a clearly visible digit
    assert moments(big.images)["ink"].min() > 20.0


def test_factor_marginals_uniform(big):
    for name in CONTINUOUS:
        lo, hi = big.factor_ranges[name]
        assert kstest(big.factors[name], "uniform", args=(lo, hi - lo)).pvalue > 1e-3, name
    for name, k in (("digit", 10), ("font", len(FONTS))):
        counts = np.bincount(big.factors[name], minlength=k)
        assert counts.size == k
        expected = len(big) / k
        assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected)), (name, counts)


def test_generation_speed_reported():
    make_synthetic_digits(10, 0)  # compile / build atlas outside the timing
    t0 = time.perf_counter()
    ds = make_synthetic_digits(10000, np.random.default_rng(5))
    dt = time.perf_counter() - t0
    print(f"\n10 000 synthetic digits in {dt:.3f} s ({dt * 6:.2f} s per 60 000 by extrapolation)")
    assert ds.images.shape == (10000, 1, 28, 28)


# ---------------------------------------------------------------- determinism
def test_deterministic_for_seed():
    a = make_synthetic_digits(300, np.random.default_rng(11))
    b = make_synthetic_digits(300, np.random.default_rng(11))
    c = make_synthetic_digits(300, 11)  # an int seed is default_rng(seed)
    d = make_synthetic_digits(300, np.random.default_rng(12))
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.images, c.images)
    for name in FACTOR_NAMES:
        np.testing.assert_array_equal(a.factors[name], b.factors[name])
        assert not np.array_equal(a.factors[name], d.factors[name])
    assert not np.array_equal(a.images, d.images)


def test_render_is_pure_and_batch_independent():
    ds = make_synthetic_digits(50, 3)
    f = ds.factors
    again = render_digits(f["digit"], f["rotation"], f["width"], f["thickness"], f["font"])
    np.testing.assert_array_equal(again, ds.images)
    single = render_digits(f["digit"][7], f["rotation"][7], f["width"][7], f["thickness"][7], f["font"][7])
    np.testing.assert_array_equal(single[0], ds.images[7])


def test_kernel_matches_numpy_reference():
    atlas = glyph_atlas()
    rng = np.random.default_rng(0)
    n = 12
    glyph = rng.integers(0, atlas.sdf.shape[0], n)
    theta = np.deg2rad(rng.uniform(-40, 40, n))
    args = (atlas.sdf, glyph, np.cos(theta), np.sin(theta), 1.0 / rng.uniform(0.5, 1.5, n),
            rng.uniform(-0.3, 1.0, n), float(atlas.scale), 1.0, 14.0, 14.0, 2)
    fast = np.empty((n, 28, 28), np.float32)
    slow = np.empty((n, 28, 28), np.float64)
    glyphs.render_from_sdf(*args, fast)
    R.render_from_sdf(*args, slow)
    np.testing.assert_allclose(fast, slow, atol=2e-4)
    assert slow.max() == 1.0 and slow.min() == 0.0


# ---------------------------------------------------------------- geometry
def test_centre_of_mass_like_mnist(big):
    m = moments(big.images)
    err = np.hypot(m["cy"] - 14.0, m["cx"] - 14.0)
    assert err.max() < 1.0
    assert abs(m["cy"].mean() - 14.0) < 0.05 and abs(m["cx"].mean() - 14.0) < 0.05


def test_upright_digits_fit_mnist_box():
    # zero rotation, natural width, mid thickness: ink fits MNIST's 20x20 box
    d = np.repeat(np.arange(10), len(FONTS))
    f = np.tile(np.arange(len(FONTS)), 10)
    img = render_digits(d, 0.0, 1.0, 2.5, f)[:, 0] > 0.05
    height = img.any(2).sum(1)
    width = img.any(1).sum(1)
    assert height.max() <= 21 and height.min() >= 18
    assert width.max() <= 20


def test_atlas_cached_readonly_with_holes():
    a = glyph_atlas()
    assert glyph_atlas(list(FONTS)) is a
    assert a.sdf.shape == (len(FONTS) * 10, 28 * a.scale, 28 * a.scale)
    with pytest.raises(ValueError):
        a.sdf[0, 0, 0] = 1.0
    # typographic stroke widths at this size are 1-3 px
    assert np.all((a.stroke_width > 1.0) & (a.stroke_width < 3.0))
    # 4 px above the glyph centre, "0" has its hole (even-odd filling) in every
    # font (not at the centre itself: DejaVu Sans Mono's zero is dotted)
    c = (a.sdf.shape[1] - 1) // 2
    assert np.all(a.sdf[0::10, c - 4 * a.scale, c] > 1.0)
    # and the rendered "0" is dark there
    zeros = render_digits(0, 0.0, 1.0, 2.5, np.arange(len(FONTS)))
    assert np.all(zeros[:, 0, 10, 14] == 0.0)


def test_zero_rotation_is_mirror_symmetric_for_0():
    # a "0" is nearly left-right symmetric; rotating it breaks the symmetry
    # (the centre of mass is column 14, so mirror columns 1..27 about it)
    up = render_digits(0, 0.0, 1.0, 2.5, 0)[0, 0, :, 1:]
    tilted = render_digits(0, 25.0, 1.0, 2.5, 0)[0, 0, :, 1:]
    assert np.abs(up - up[:, ::-1]).mean() < 0.02
    assert np.abs(tilted - tilted[:, ::-1]).mean() > 0.1


# ---------------------------------------------------------------- independence
def test_factors_pairwise_independent():
    ds = make_synthetic_digits(20000, np.random.default_rng(99))
    codes = {name: discretise(ds, name) for name in FACTOR_NAMES}
    for i, a in enumerate(FACTOR_NAMES):
        for b in FACTOR_NAMES[i + 1:]:
            mi = plugin_mi(codes[a], codes[b])
            # plug-in bias is about (Ka-1)(Kb-1)/(2N) <= 0.0016 nats here
            assert mi < 0.01, (a, b, mi)
    # sanity of the estimator: a factor with itself has MI = its entropy
    assert plugin_mi(codes["digit"], codes["digit"]) == pytest.approx(np.log(10), abs=0.01)


# ---------------------------------------------------------------- each factor's effect
def sweep(name, rng, combos=20, steps=15):
    """For random fixed values of the other factors, vary ``name`` alone."""
    out = []
    for k in range(combos):
        fixed = {"digit": k % 10, "font": int(rng.integers(len(FONTS))),
                 **{c: rng.uniform(*DEFAULT_RANGES[c]) for c in CONTINUOUS}}
        values = np.linspace(*DEFAULT_RANGES[name], steps)
        fixed[name] = values
        out.append((values, render_digits(**fixed), fixed))
    return out


def unwrap_degrees(angle, ref):
    """Angle difference in (-90, 90]: orientation is defined modulo 180 degrees."""
    return (angle - ref + 90.0) % 180.0 - 90.0


def test_rotation_turns_the_principal_axis():
    rng = np.random.default_rng(1)
    for values, imgs, fixed in sweep("rotation", rng):
        ref = moments(render_digits(**{**fixed, "rotation": 0.0}))["orientation"][0]
        turned = unwrap_degrees(moments(imgs)["orientation"], ref)
        assert spearmanr(values, turned)[0] > 0.95, fixed
    # and quantitatively: the axis of an upright "1" turns by the rotation angle
    values = np.linspace(-30, 30, 13)
    ori = moments(render_digits(1, values, 1.0, 2.5, 0))["orientation"]
    np.testing.assert_allclose(unwrap_degrees(ori, ori[6]), values, atol=1.0)


def test_width_spreads_columns():
    rng = np.random.default_rng(2)
    for values, imgs, fixed in sweep("width", rng):
        assert spearmanr(values, moments(imgs)["x_spread"])[0] > 0.95, fixed


def test_thickness_adds_ink():
    rng = np.random.default_rng(3)
    for values, imgs, fixed in sweep("thickness", rng):
        assert spearmanr(values, moments(imgs)["ink"])[0] > 0.95, fixed
        assert spearmanr(values, stroke_width(imgs))[0] > 0.9, fixed


def test_factor_effects_survive_when_everything_varies(big):
    # All factors vary independently; each measurement still tracks its factor.
    m = moments(big.images)
    f = big.factors
    assert spearmanr(f["rotation"], m["orientation"])[0] > 0.9
    assert spearmanr(f["width"], m["x_spread"])[0] > 0.65
    assert spearmanr(f["thickness"], m["ink"])[0] > 0.55
    assert spearmanr(f["thickness"], stroke_width(big.images))[0] > 0.8
    # stroke widths like MNIST's (5-95 % about 1.6-3.8 px)
    lo, hi = np.percentile(stroke_width(big.images), [5, 95])
    assert 1.2 < lo < 2.0 and 3.3 < hi < 4.3


def test_font_changes_the_image_but_not_the_centre():
    imgs = render_digits(5, 0.0, 1.0, 2.5, np.arange(len(FONTS)))
    flat = imgs.reshape(len(FONTS), -1)
    dist = np.abs(flat[:, None] - flat[None]).mean(-1)
    assert np.all(dist[~np.eye(len(FONTS), dtype=bool)] > 0.01)
    m = moments(imgs)
    assert np.all(np.hypot(m["cy"] - 14, m["cx"] - 14) < 0.5)


def test_factor_sweeps():
    sw = factor_sweeps(steps=5, digits=(1, 8))
    assert set(sw) == {"rotation", "width", "thickness", "font"}
    for name in CONTINUOUS:
        imgs, values = sw[name]
        assert imgs.shape == (2, 5, 28, 28)
        np.testing.assert_allclose(values, np.linspace(*DEFAULT_RANGES[name], 5))
    assert sw["font"][0].shape == (2, len(FONTS), 28, 28) and sw["font"][1] == FONTS
    ink = sw["thickness"][0].sum((2, 3))
    assert np.all(np.diff(ink, axis=1) > 0)


# ---------------------------------------------------------------- options and errors
def test_custom_ranges_and_fonts():
    ds = make_synthetic_digits(500, 4, rotation_range=(10.0, 10.0), width_range=(0.8, 0.9),
                               thickness_range=(2, 3), fonts=("DejaVuSans", "cmr10"))
    assert np.all(ds.factors["rotation"] == 10.0)
    assert ds.factors["width"].min() >= 0.8 and ds.factors["width"].max() <= 0.9
    assert set(np.unique(ds.factors["font"])) == {0, 1}
    assert ds.fonts == ("DejaVuSans", "cmr10") and ds.factor_ranges["font"] == (0, 1)
    assert ds.factor_ranges["thickness"] == (2.0, 3.0)


def test_empty():
    ds = make_synthetic_digits(0, 0)
    assert ds.images.shape == (0, 1, 28, 28) and ds.factors["digit"].shape == (0,)


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"digit": 10}, ValueError, r"`digit` must be in 0\.\.9"),
    ({"digit": -1}, ValueError, r"`digit`"),
    ({"digit": 1.5}, TypeError, r"`digit` must be integer"),
    ({"font": len(FONTS)}, ValueError, r"`font` must be in 0\.\.6"),
    ({"width": 0.0}, ValueError, r"`width` must be > 0"),
    ({"thickness": -1.0}, ValueError, r"`thickness` must be > 0"),
    ({"rotation": np.nan}, ValueError, r"`rotation` must be finite"),
    ({"rotation": "a"}, TypeError, r"`rotation`"),
    ({"rotation": np.zeros((2, 2))}, ValueError, r"`rotation` must be a scalar or 1-D"),
    ({"rotation": np.zeros(3), "width": np.ones(4)}, ValueError, "equal lengths"),
])
def test_render_errors(kwargs, exc, pattern):
    args = {"digit": 3, "rotation": 0.0, "width": 1.0, "thickness": 2.0, "font": 0, **kwargs}
    with pytest.raises(exc, match=pattern):
        render_digits(**args)


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"n": -1}, ValueError, "`n` must be >= 0"),
    ({"n": 2.0}, TypeError, "`n` must be an integer"),
    ({"rng": np.random.RandomState(0)}, TypeError, "`rng` must be a numpy.random.Generator"),
    ({"rng": None}, TypeError, "`rng`"),
    ({"rotation_range": (30, -30)}, ValueError, "`rotation_range` must be finite with low <= high"),
    ({"rotation_range": 30}, TypeError, "`rotation_range` must be a"),
    ({"width_range": (0.0, 1.0)}, ValueError, "`width_range` must be positive"),
    ({"thickness_range": (1.0, np.inf)}, ValueError, "`thickness_range`"),
    ({"fonts": "DejaVuSans"}, TypeError, "`fonts`"),
    ({"fonts": ()}, ValueError, "`fonts`"),
    ({"fonts": ("NoSuchFont",)}, ValueError, "NoSuchFont"),
])
def test_make_errors(kwargs, exc, pattern):
    args = {"n": 4, "rng": 0, **kwargs}
    with pytest.raises(exc, match=pattern):
        make_synthetic_digits(args.pop("n"), args.pop("rng"), **args)


# ---------------------------------------------------------------- load_dataset
def test_load_dataset_synthetic():
    x, y = load_dataset("synthetic", "test", n=200)
    assert x.shape == (200, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.int64
    x2, y2 = load_dataset("synthetic", "test", n=200)
    np.testing.assert_array_equal(x, x2)
    xt, _ = load_dataset("synthetic", "train", n=200)
    assert not np.array_equal(x, xt)  # splits use different seeds
    xr, yr = load_dataset("synthetic", "train", n=200, rng=np.random.default_rng(8))
    ref = make_synthetic_digits(200, np.random.default_rng(8))
    np.testing.assert_array_equal(xr, ref.images)
    np.testing.assert_array_equal(yr, ref.labels)


def test_load_dataset_default_sizes():
    x, y = load_dataset("synthetic", "test")
    assert x.shape == (10000, 1, 28, 28) and np.bincount(y).size == 10


def test_load_dataset_errors(tmp_path):
    with pytest.raises(ValueError, match="`name` must be one of"):
        load_dataset("cifar")
    with pytest.raises(TypeError, match="`name`"):
        load_dataset(3)
    with pytest.raises(ValueError, match="`split`"):
        load_dataset("synthetic", "valid")
    with pytest.raises(ValueError, match="'mnist' only"):
        load_dataset("synthetic", data_dir=tmp_path)
    with pytest.raises(ValueError, match="`rng` is only used"):
        load_dataset("mnist", rng=0)
    with pytest.raises(FileNotFoundError, match="t10k-images"):
        load_dataset("mnist", "test", data_dir=tmp_path)
