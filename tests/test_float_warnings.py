"""A diverging training prints its one-line error and no raw numpy warnings, also from the GEMM
pieces that run on npgan's thread pool, where ``np.errstate`` (per thread) does not reach (issue 33)."""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings

import numpy as np

import npgan.train.loop as loop


def _overflow_in_another_thread():
    def work():
        with np.errstate(all="warn"):
            np.array([1e308]) * 10.0
    t = threading.Thread(target=work)
    t.start()
    t.join()


def test_float_warnings_of_other_threads_are_ignored_inside_the_loop():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _overflow_in_another_thread()
        assert any("overflow encountered" in str(w.message) for w in seen)  # the case is real
        seen.clear()
        with loop._no_float_warnings():
            _overflow_in_another_thread()
        assert not seen
        with warnings.catch_warnings():  # other warnings still pass
            with loop._no_float_warnings():
                warnings.warn("something else", RuntimeWarning)
        assert [str(w.message) for w in seen] == ["something else"]


def test_npgan_train_with_an_overflowing_learning_rate_is_one_line(tmp_path):
    """The paper's networks (their GEMMs are cut into pieces on the pool): exit 3 and one error line."""
    out = subprocess.run([sys.executable, "-m", "npgan", "train", "--out", str(tmp_path / "run"), "--updates", "4",
                          "--subset", "64", "--batch-size", "8", "--no-progress", "--no-figures", "--lr-g", "1e308"],
                         capture_output=True, text=True, timeout=300)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 3, out.stderr
    assert len(lines) == 2 and lines[0].startswith("npgan train: synthetic"), lines
    assert lines[1].startswith("npgan train: error: a loss became non-finite"), lines
