"""Synthetic 28x28 digits with known, independently sampled factors of variation.

Each image is a digit glyph from one of several fonts that ship with
matplotlib, transformed by factors drawn independently and uniformly:

==========  ==================  ==============================================
factor      default range       effect
==========  ==================  ==============================================
digit       0..9 (int)          the class label
rotation    [-30, 30] degrees   counter-clockwise rotation about the glyph
                                centre (positive leans the top to the left);
                                about MNIST's 5-95 % slant range
width       [0.6, 1.4]          horizontal scale of the glyph (1 = the font's
                                own aspect ratio)
thickness   [1.5, 3.5] pixels   mean stroke width before horizontal scaling
                                (MNIST strokes are ~2-3 px wide)
font        0..len(fonts)-1     nuisance factor: index into ``fonts``
==========  ==================  ==============================================

Geometry follows MNIST: before rotation and scaling, the glyph outline is
scaled to 18 pixels high, so that with the restroked outline and the
antialiasing ramp the ink of an upright digit spans ~20 pixels (MNIST's
20x20 box; rendered heights and stroke widths match MNIST's 5-95 %
percentiles, and under 1 % of images touch the border, as in MNIST). The
image is then placed so that its centre of mass lies at pixel (14, 14) --
MNIST's mean centre of mass in (row, column) index coordinates. Grey values
are float32 in [0, 1] with antialiased edges.

Speed: each (font, digit) glyph is rasterised ONCE, at 8x resolution, into a
signed distance field (cached in memory per font tuple). Every sample is
then a bilinear inverse warp of that field in a parallel numba kernel, and
thickening or thinning the strokes is a shift of the distance threshold, so
60 000 images take well under a few seconds.
"""

from __future__ import annotations

import functools
import numbers
import os
from dataclasses import dataclass

import numpy as np

from npgan._checks import check_int
from npgan.kernels.glyphs import render_from_sdf

__all__ = [
    "DEFAULT_RANGES",
    "FACTOR_NAMES",
    "FONTS",
    "GlyphAtlas",
    "SyntheticDigits",
    "factor_sweeps",
    "glyph_atlas",
    "make_synthetic_digits",
    "render_digits",
]

#: Font files (stems in matplotlib's mpl-data/fonts/ttf) used by default;
#: upright regular weights only, so that slant and stroke width come from
#: the factors rather than from the font.
FONTS = ("DejaVuSans", "DejaVuSerif", "DejaVuSansMono", "STIXGeneral", "cmr10", "cmss10", "cmtt10")

#: Names of the factors, in the order of the factor table.
FACTOR_NAMES = ("digit", "rotation", "width", "thickness", "font")

#: Default ranges of the continuous factors (uniform on [low, high]).
DEFAULT_RANGES = {"rotation": (-30.0, 30.0), "width": (0.6, 1.4), "thickness": (1.5, 3.5)}

IMAGE_SIZE = 28
GLYPH_HEIGHT = 18.0       # px: outline box; with strokes and antialiasing the ink spans ~20 px
CENTRE = (14.0, 14.0)     # MNIST's mean centre of mass (row, col)
ATLAS_SCALE = 8           # atlas cells per output pixel
_CANVAS = IMAGE_SIZE      # atlas canvas side, in output pixels (glyph + margin)
_RAMP = 1.0               # antialiasing ramp width, px: ~ coverage of a 1-px box filter
_PASSES = 2               # render, measure centre of mass, re-render shifted


@dataclass(frozen=True)
class GlyphAtlas:
    """Signed distance fields of every (font, digit) glyph.

    Attributes
    ----------
    sdf : numpy.ndarray
        float32 (len(fonts) * 10, S, S), S = 28 * scale: signed distance to the
        outline in output pixels (negative inside). Index ``font * 10 + digit``.
    stroke_width : numpy.ndarray
        float64 (len(fonts) * 10,): mean stroke width of each glyph in output
        pixels (2 * area / perimeter).
    fonts : tuple of str
    scale : int
        Atlas cells per output pixel.
    """

    sdf: np.ndarray
    stroke_width: np.ndarray
    fonts: tuple
    scale: int


@dataclass(frozen=True)
class SyntheticDigits:
    """A synthetic data set and its ground-truth factors.

    Attributes
    ----------
    images : numpy.ndarray
        float32 (N, 1, 28, 28) in [0, 1].
    factors : dict of str -> numpy.ndarray
        One (N,) array per name in ``factor_names``: ``digit`` and ``font``
        int64, ``rotation`` (degrees), ``width`` and ``thickness`` float64.
    factor_names : tuple of str
    factor_ranges : dict of str -> tuple
        (low, high) of each factor, integers inclusive.
    fonts : tuple of str
        Font of each ``font`` index.
    """

    images: np.ndarray
    factors: dict
    factor_names: tuple
    factor_ranges: dict
    fonts: tuple

    @property
    def labels(self) -> np.ndarray:
        """Digit class of each image, int64 (N,)."""
        return self.factors["digit"]

    def __len__(self) -> int:
        return self.images.shape[0]


def _font_path(name: str) -> str:
    import matplotlib

    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name + ".ttf")
    if not os.path.isfile(path):
        raise ValueError(f"`fonts`: no font file {name}.ttf in matplotlib's {os.path.dirname(path)}")
    return path


def _glyph_sdf(digit: int, font_file: str, scale: int):
    """Rasterise one glyph at ``scale`` x resolution; return (sdf, stroke width)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath
    from scipy.ndimage import distance_transform_edt

    path = TextPath((0, 0), str(digit), size=100, prop=FontProperties(fname=font_file))
    ext = path.get_extents()
    k = GLYPH_HEIGHT / ext.height  # font units -> output pixels
    verts = (path.vertices - [ext.x0 + ext.width / 2, ext.y0 + ext.height / 2]) * k
    glyph = Path(verts, path.codes)

    size = _CANVAS * scale
    cs = (size - 1) / 2
    idx = (np.arange(size) - cs) / scale
    xx, yy = np.meshgrid(idx, -idx)  # cell (i, j) at (x, y_up) = ((j - cs)/scale, (cs - i)/scale)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    polygons = glyph.to_polygons()  # closed contours, curves flattened
    # Even-odd rule by XOR over the contours: Path.contains_points on the
    # compound glyph path came out with the holes of 0, 4, 6, 8, 9 filled.
    inside = np.zeros(points.shape[0], dtype=bool)
    for poly in polygons:
        inside ^= Path(poly).contains_points(points)
    inside = inside.reshape(size, size)
    # Boundary half-way between an inside and an outside cell: +-0.5 cell.
    sdf = np.where(inside, 0.5 - distance_transform_edt(inside), distance_transform_edt(~inside) - 0.5)
    area = inside.sum() / scale**2
    perimeter = sum(np.linalg.norm(np.diff(poly, axis=0), axis=1).sum() for poly in polygons)
    return (sdf / scale).astype(np.float32), 2.0 * area / perimeter


@functools.lru_cache(maxsize=4)
def _atlas_cached(fonts: tuple, scale: int) -> GlyphAtlas:
    files = [_font_path(f) for f in fonts]
    sdf = np.empty((len(fonts) * 10, _CANVAS * scale, _CANVAS * scale), np.float32)
    width = np.empty(len(fonts) * 10)
    for f, file in enumerate(files):
        for d in range(10):
            sdf[f * 10 + d], width[f * 10 + d] = _glyph_sdf(d, file, scale)
    sdf.setflags(write=False)
    width.setflags(write=False)
    return GlyphAtlas(sdf, width, fonts, scale)


def _check_fonts(fonts) -> tuple:
    if isinstance(fonts, str) or not isinstance(fonts, (tuple, list)):
        raise TypeError(f"`fonts` must be a tuple or list of font names, got {type(fonts).__name__}")
    if not fonts or not all(isinstance(f, str) for f in fonts):
        raise ValueError(f"`fonts` must be a non-empty sequence of font-file stems, got {fonts!r}")
    return tuple(fonts)


def glyph_atlas(fonts=FONTS) -> GlyphAtlas:
    """Return the (cached, read-only) signed-distance atlas of ``fonts``' digits."""
    return _atlas_cached(_check_fonts(fonts), ATLAS_SCALE)


def _as_1d(x, name: str, kind: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind not in ("iu" if kind == "int" else "iuf"):
        raise TypeError(f"`{name}` must be {'integer' if kind == 'int' else 'real'}-valued, got dtype {arr.dtype}")
    if arr.ndim > 1:
        raise ValueError(f"`{name}` must be a scalar or 1-D, got shape {arr.shape}")
    if kind != "int" and not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite")
    return arr.astype(np.int64 if kind == "int" else np.float64).reshape(-1)


def render_digits(digit, rotation, width, thickness, font, *, fonts=FONTS) -> np.ndarray:
    """Render digits with the given factor values (no randomness).

    Parameters
    ----------
    digit : int or array_like of int, shape (N,)
        Digit classes 0..9.
    rotation : float or array_like, shape (N,)
        Counter-clockwise rotation in degrees.
    width : float or array_like, shape (N,)
        Horizontal scale, > 0.
    thickness : float or array_like, shape (N,)
        Mean stroke width in pixels, > 0.
    font : int or array_like of int, shape (N,)
        Index into ``fonts``.
    fonts : sequence of str
        Font-file stems from matplotlib's mpl-data/fonts/ttf.

    Scalars broadcast against arrays.

    Returns
    -------
    numpy.ndarray
        float32 (N, 1, 28, 28) in [0, 1].
    """
    atlas = glyph_atlas(fonts)
    args = {"digit": _as_1d(digit, "digit", "int"), "rotation": _as_1d(rotation, "rotation", "real"),
            "width": _as_1d(width, "width", "real"), "thickness": _as_1d(thickness, "thickness", "real"),
            "font": _as_1d(font, "font", "int")}
    try:
        arrs = np.broadcast_arrays(*args.values())
    except ValueError:
        shapes = {k: v.shape for k, v in args.items()}
        raise ValueError(f"factor arrays must have equal lengths (or be scalars), got {shapes}") from None
    d, rot, w, t, f = (np.ascontiguousarray(a) for a in arrs)
    if d.size and (d.min() < 0 or d.max() > 9):
        raise ValueError(f"`digit` must be in 0..9, got values in [{d.min()}, {d.max()}]")
    if f.size and (f.min() < 0 or f.max() >= len(atlas.fonts)):
        raise ValueError(f"`font` must be in 0..{len(atlas.fonts) - 1}, got values in [{f.min()}, {f.max()}]")
    if w.size and w.min() <= 0:
        raise ValueError(f"`width` must be > 0, got minimum {w.min()}")
    if t.size and t.min() <= 0:
        raise ValueError(f"`thickness` must be > 0, got minimum {t.min()}")
    glyph = f * 10 + d
    theta = np.deg2rad(rot)
    offset = (t - atlas.stroke_width[glyph]) / 2.0  # dilating by r widens strokes by 2r
    out = np.empty((d.size, 1, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    if d.size:
        render_from_sdf(atlas.sdf, glyph, np.cos(theta), np.sin(theta), 1.0 / w, offset,
                        float(atlas.scale), _RAMP, CENTRE[0], CENTRE[1], _PASSES,
                        out.reshape(d.size, IMAGE_SIZE, IMAGE_SIZE))
    return out


def _check_range(value, name: str, *, positive: bool) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"`{name}` must be a (low, high) pair, got {value!r}")
    lo, hi = value
    for v in value:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"`{name}` must hold real numbers, got {value!r}")
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"`{name}` must be finite with low <= high, got {value!r}")
    if positive and lo <= 0:
        raise ValueError(f"`{name}` must be positive, got {value!r}")
    return lo, hi


def _as_generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(int(rng))
    raise TypeError(f"`rng` must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


def make_synthetic_digits(n: int, rng, *, rotation_range=DEFAULT_RANGES["rotation"],
                          width_range=DEFAULT_RANGES["width"],
                          thickness_range=DEFAULT_RANGES["thickness"], fonts=FONTS) -> SyntheticDigits:
    """Draw ``n`` synthetic digits with independent, uniformly distributed factors.

    Parameters
    ----------
    n : int
        Number of images, >= 0.
    rng : numpy.random.Generator or int
        Source of randomness (an int is used as the seed of a new Generator).
        The same seed gives identical images and factors.
    rotation_range : (float, float)
        Rotation in degrees, counter-clockwise.
    width_range : (float, float)
        Horizontal scale, positive.
    thickness_range : (float, float)
        Mean stroke width in pixels, positive.
    fonts : sequence of str
        Font-file stems; the ``font`` factor is uniform over them.

    Returns
    -------
    SyntheticDigits
        ``images`` float32 (n, 1, 28, 28) in [0, 1] and the factor table.
    """
    n = check_int(n, "n", minimum=0)
    rng = _as_generator(rng)
    fonts = _check_fonts(fonts)
    ranges = {
        "rotation": _check_range(rotation_range, "rotation_range", positive=False),
        "width": _check_range(width_range, "width_range", positive=True),
        "thickness": _check_range(thickness_range, "thickness_range", positive=True),
    }
    factors = {
        "digit": rng.integers(0, 10, size=n, dtype=np.int64),
        "rotation": rng.uniform(*ranges["rotation"], size=n),
        "width": rng.uniform(*ranges["width"], size=n),
        "thickness": rng.uniform(*ranges["thickness"], size=n),
        "font": rng.integers(0, len(fonts), size=n, dtype=np.int64),
    }
    images = render_digits(factors["digit"], factors["rotation"], factors["width"],
                           factors["thickness"], factors["font"], fonts=fonts)
    factor_ranges = {"digit": (0, 9), **ranges, "font": (0, len(fonts) - 1)}
    return SyntheticDigits(images, factors, FACTOR_NAMES, factor_ranges, fonts)


def factor_sweeps(steps: int = 7, digits=(2, 3, 4, 7), *, font: int = 0, fonts=FONTS) -> dict:
    """Images that vary one factor at a time, for a preview figure.

    Parameters
    ----------
    steps : int
        Values per continuous factor, evenly spaced over its default range.
    digits : sequence of int
        One row per digit.
    font : int
        Font used while sweeping the other factors.

    Returns
    -------
    dict
        ``{name: (images, values)}`` for ``rotation``, ``width``, ``thickness``
        (``images`` float32 (len(digits), steps, 28, 28)) and ``font``
        (all fonts, ``values`` the font names); the other factors sit at the
        middle of their ranges.
    """
    steps = check_int(steps, "steps", minimum=1)
    fonts = _check_fonts(fonts)
    digits = _as_1d(digits, "digits", "int")
    mid = {k: 0.5 * (lo + hi) for k, (lo, hi) in DEFAULT_RANGES.items()}
    mid["rotation"] = 0.0
    out = {}
    for name, (lo, hi) in DEFAULT_RANGES.items():
        values = np.linspace(lo, hi, steps)
        kw = {k: v for k, v in mid.items()}
        kw[name] = np.tile(values, digits.size)
        imgs = render_digits(np.repeat(digits, steps), font=font, fonts=fonts, **kw)
        out[name] = (imgs.reshape(digits.size, steps, IMAGE_SIZE, IMAGE_SIZE), values)
    nf = len(fonts)
    imgs = render_digits(np.repeat(digits, nf), font=np.tile(np.arange(nf), digits.size), fonts=fonts, **mid)
    out["font"] = (imgs.reshape(digits.size, nf, IMAGE_SIZE, IMAGE_SIZE), fonts)
    return out
