"""The run report and the sample frames: what a person looks at to see a run learn.

- :mod:`~npgan.report.frames`: a sample grid from one fixed latent batch every N updates during
  training (the training loop's callback) and the progress GIF.
- :mod:`~npgan.report.explorer`: which code combinations the explorer pre-renders, and G's frames.
- :mod:`~npgan.report.explorer_page`: the explorer's markup: its first state without script, c1's digits.
- :mod:`~npgan.report.page`: the self-contained HTML page (``assets/`` holds its style and script).
- :mod:`~npgan.report.build`: :func:`build_report`, what ``npgan report RUN`` runs.
- :mod:`~npgan.report.run_files`: the run folder's other files (metrics, ``eval.json``, figures).

Above the evaluation and the figures, below the command line; the training package never imports it.
"""

from npgan.report.build import REPORT_NAME, ReportResult, build_report
from npgan.report.explorer import ExplorerPlan, plan_explorer, render_explorer
from npgan.report.frames import SampleFrames, frame_latent, list_frames, write_progress_gif

__all__ = ["REPORT_NAME", "ReportResult", "build_report", "ExplorerPlan", "plan_explorer", "render_explorer",
           "SampleFrames", "frame_latent", "list_frames", "write_progress_gif"]
