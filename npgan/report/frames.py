"""Sample frames during training: a grid from one fixed latent batch every N updates, and a GIF.

The first frames come early and then spaced out (:data:`EARLY_UPDATES` below N: updates 10, 25, 50,
100, then every 250 by default), so a user sees G learn in the first minute, not after 250 updates.

The frames' latent batch comes from the run's seed through a stream of its own (child 3 of the
run's ``SeedSequence``; :func:`npgan.train.build.build_trainer` uses children 0-2), never from the
trainer's generator. So a run with frames is bit-identical to one without, every frame shows the
same latents, and a resumed run draws the same batch and continues the sequence.

A grid has one row per category of the first categorical code (10 rows without one) and one
column per fixed draw of the noise and the other codes (10 columns), so a row shows what one
category becomes as training goes on.

Files in the run folder: ``samples/update_00250.png`` ... (exact pixels, see
:func:`npgan.report.images.to_grey`), ``samples/frames.json`` (``every`` and ``seed``, so a resumed
run keeps the spacing) and ``progress.gif`` (every frame in order, the update number on each).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan._checks import check_int
from npgan._json import INTEGER, JSONFileError, check_fields, read_json
from npgan.evaluation.probes import generate
from npgan.figures import tile
from npgan.models.latent import LatentSpec
from npgan.report.images import png_bytes, read_grey, to_grey, write_atomic
from npgan.train.starts import read_selection, start_folder

FRAMES_DIR = "samples"
FRAMES_META = "frames.json"
GIF_NAME = "progress.gif"
DEFAULT_EVERY = 250
#: frames drawn before the regular spacing starts (those below ``every``)
EARLY_UPDATES = (10, 25, 50, 100, 250, 500)
FRAME_STREAM = 3  # the run's SeedSequence children 0, 1, 2 seed the networks, the latents, the data
_FRAME_RE = re.compile(r"^update_(\d+)\.png$")
_COLS = 10


@dataclass(frozen=True)
class FrameLatent:
    """The fixed latent batch of a run's frames, row-major over a ``rows`` x ``cols`` grid.

    ``z`` (rows*cols, noise_dim), ``cat`` (rows*cols, n_categorical) int64, ``cont``
    (rows*cols, continuous).
    """

    z: np.ndarray
    cat: np.ndarray
    cont: np.ndarray
    rows: int
    cols: int


def frame_latent(latent: LatentSpec, seed: int, dtype=np.float32) -> FrameLatent:
    """The frames' latent batch for a run with ``seed`` (independent of the trainer's streams)."""
    if not isinstance(latent, LatentSpec):
        raise TypeError(f"`latent` must be a LatentSpec, got {type(latent).__name__}")
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(FRAME_STREAM,))))
    rows = latent.categorical[0] if latent.categorical else 10
    z, cat, cont = latent.sample(_COLS, rng, dtype=dtype)  # one draw per column
    z, cat, cont = np.tile(z, (rows, 1)), np.tile(cat, (rows, 1)), np.tile(cont, (rows, 1))
    if latent.categorical:
        cat[:, 0] = np.repeat(np.arange(rows), _COLS)
    return FrameLatent(z, cat, cont, rows, _COLS)


def draw_frame(nets, fl: FrameLatent) -> np.ndarray:
    """G's images of ``fl`` as one uint8 grid (grey gaps), shape (rows*29-1, cols*29-1).

    G runs in evaluation mode (batch-norm running averages, as every figure); each network's
    mode is restored afterwards, so a caller in the middle of training is left as it was.
    """
    modes = {name: m.training for name, m in nets.modules().items()}
    try:
        images = generate(nets, fl.z, fl.cat, fl.cont)
    finally:
        for name, m in nets.modules().items():
            m.train(modes[name])
    return to_grey(tile(images, fl.rows, fl.cols, fill=0.35))


def frame_due(update: int, every: int) -> bool:
    """True if a frame is drawn after ``update``: every ``every`` updates, and at the
    :data:`EARLY_UPDATES` below ``every`` (10, 25, 50, 100, 250, 500, 750 ... for ``every=250``)."""
    return update % every == 0 or (update < every and update in EARLY_UPDATES)


def frame_path(run_dir, update: int) -> Path:
    return Path(run_dir) / FRAMES_DIR / f"update_{update:05d}.png"


def list_frames(run_dir) -> list[tuple[int, Path]]:
    """The frames in ``run_dir/samples``, as (update, path) in update order."""
    folder = Path(run_dir) / FRAMES_DIR
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _FRAME_RE.match(p.name))]
    return sorted(found)


def frames_every(run_dir) -> int | None:
    """The frame spacing a run was started with (None: the run has no frames)."""
    path = Path(run_dir) / FRAMES_DIR / FRAMES_META
    if not path.exists():
        return None
    what = "a frames file written by npgan"
    meta = check_fields(read_json(path, what), {"every": INTEGER}, path, what)
    if meta["every"] < 1:
        raise JSONFileError(f"{path} is not {what}: 'every' must be >= 1, got {meta['every']}")
    return meta["every"]


def adopt_start_frames(run_dir) -> int:
    """Make a run's frames up to its choice among starts (:mod:`npgan.train.starts`) those of the start
    it continued: the run's own frames of those updates show start 0. Returns how many were copied
    (0 when the run has no starts or continued start 0); doing it again changes nothing."""
    sel = read_selection(run_dir)
    if sel is None or sel["chosen"] == 0:
        return 0
    upto, source = sel["updates"], start_folder(Path(run_dir), sel["chosen"])
    for update, path in list_frames(run_dir):
        if update <= upto:
            path.unlink()
    copied = 0
    for update, path in list_frames(source):
        if update <= upto:
            shutil.copyfile(path, frame_path(run_dir, update))
            copied += 1
    return copied


class SampleFrames:
    """The training loop's ``callback(update, stats, trainer)`` that draws a frame every ``every`` updates.

    Parameters
    ----------
    run_dir : str or Path
        The run folder; frames go to ``run_dir/samples``.
    seed : int
        The run's seed (the frames' latent batch is drawn from it).
    every : int
        Draw a frame after every ``every``-th update, and at the early updates below it
        (:func:`frame_due`).
    start : int
        The update the run starts at (0) or resumes from. A new run removes the frames of an earlier
        run in the folder; a resumed one removes the frames after ``start`` (drawn by a run killed after
        its last checkpoint), which it draws again.
    progress : bool
        Show a status line with the latest frame's path under the training progress bar.
    """

    def __init__(self, run_dir, seed: int, every: int = DEFAULT_EVERY, *, start: int = 0, progress: bool = False):
        self.run_dir = Path(run_dir)
        self.seed = check_int(seed, "seed", minimum=0)
        self.every = check_int(every, "every", minimum=1)
        start = check_int(start, "start", minimum=0)
        self.progress = bool(progress)
        self.latest: Path | None = None
        self._latent: FrameLatent | None = None
        self._status = None
        for update, path in list_frames(self.run_dir):
            if update > start:
                path.unlink()
        write_atomic(self.run_dir / FRAMES_DIR / FRAMES_META,
                     json.dumps({"every": self.every, "seed": self.seed}).encode())

    def __call__(self, update: int, stats, trainer) -> None:
        if not frame_due(update, self.every):
            return
        if self._latent is None:
            self._latent = frame_latent(trainer.nets.config.latent, self.seed, dtype=trainer.nets.dtype)
        path = write_atomic(frame_path(self.run_dir, update), png_bytes(draw_frame(trainer.nets, self._latent)))
        self.latest = path
        if self.progress:
            self._show(f"latest samples: {path} (update {update})")

    def _show(self, text: str) -> None:
        if self._status is None:  # created at the first frame, so it sits under the loop's bar
            from tqdm.auto import tqdm
            self._status = tqdm(total=0, position=1, bar_format="{desc}", leave=True)
        self._status.set_description_str(text)

    def close(self) -> None:
        """Remove the status line (the progress bar above it stays)."""
        if self._status is not None:
            self._status.close()
            self._status = None


def _labelled(grey: np.ndarray, text: str):
    """A frame with a white strip on top carrying ``text`` (a PIL image, mode L)."""
    from PIL import Image, ImageDraw, ImageFont
    strip = 18
    canvas = Image.new("L", (grey.shape[1], grey.shape[0] + strip), color=255)
    canvas.paste(Image.fromarray(grey), (0, strip))
    ImageDraw.Draw(canvas).text((4, 2), text, fill=0, font=ImageFont.load_default(size=13))
    return canvas


def progress_gif_bytes(run_dir, ms_per_frame: int = 400, ms_last: int = 2000) -> bytes | None:
    """The frames in ``run_dir/samples`` as an endless GIF, update number on each (None: no frames)."""
    frames = list_frames(run_dir)
    if not frames:
        return None
    images = [_labelled(read_grey(p), f"update {u}") for u, p in frames]
    buf = io.BytesIO()
    durations = [ms_per_frame] * (len(images) - 1) + [ms_last]
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return buf.getvalue()


def write_progress_gif(run_dir) -> Path | None:
    """Write ``run_dir/progress.gif`` from the frames; return its path (None: no frames)."""
    data = progress_gif_bytes(run_dir)
    return None if data is None else write_atomic(Path(run_dir) / GIF_NAME, data)
