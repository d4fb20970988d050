"""G's images as 8-bit grey pixels, PNG and GIF bytes, data URIs, and atomic file writes.

One convention everywhere in the report: a pixel is ``255 - round(255 * x)`` for G's output
``x`` in [0, 1], so strokes are dark on a white page (as the ``gray_r`` figures show them). The
browser test reads these bytes back from a canvas and compares them with G's output.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np

from npgan._checks import check_float_array


def to_grey(images: np.ndarray) -> np.ndarray:
    """G's images, shape (n, 1, H, W) or (H, W), values in [0, 1], as uint8 grey (dark strokes).

    Returns an array of shape (n, H, W) (or (H, W) for one 2-D image).
    """
    check_float_array(images, "images", ndim=(2, 4))
    if images.ndim == 4:
        if images.shape[1] != 1:
            raise ValueError(f"`images` must have one channel, got shape {images.shape}")
        images = images[:, 0]
    return (255 - np.rint(255.0 * np.clip(images.astype(np.float64), 0.0, 1.0))).astype(np.uint8)


def png_bytes(grey: np.ndarray) -> bytes:
    """A 2-D uint8 array as a greyscale PNG (no gamma or colour profile chunk, so a browser shows
    the bytes as they are)."""
    from PIL import Image
    grey = np.ascontiguousarray(grey)
    if grey.dtype != np.uint8 or grey.ndim != 2:
        raise ValueError(f"`grey` must be a 2-D uint8 array, got {grey.dtype} of shape {grey.shape}")
    buf = io.BytesIO()
    # zlib's default level: 2 % larger than `optimize=True` on the explorer's sheets, 10 times faster
    Image.fromarray(grey).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def read_grey(path) -> np.ndarray:
    """A PNG file as a 2-D uint8 grey array."""
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``: a file embedded in the page, so it loads without a network."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def write_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename, so an interrupted write
    never leaves half a file under the real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
