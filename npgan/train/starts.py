"""Several short starts of one run, the best one continued: chosen by a label-free statistic.

Which partition the categorical code settles into depends on the seed (docs/experiments/
robustness.md): the same settings find the digits on some seeds and split them by rotation on
others. With ``starts.count = K > 1`` a run trains K starts for ``starts.updates`` updates each,
then continues the one whose logged statistic of the term :data:`npgan.train.terms.STARTS_STATISTIC`
names (the consistency term's I(c; c') between Q's categories of a real batch and of its distorted
copy) has the highest mean over its last ``starts.window`` updates. No label and no test image is read.

Layout: start 0 *is* the run (seed ``seed``, trained in the run folder as a run without starts
would be); start k >= 1 is a plain run with seed :func:`start_seed` ``(seed, k)`` in
``RUN/starts/k/``. ``RUN/starts/start0.json`` keeps start 0's statistic (written before anything
can replace the run's own log), ``RUN/starts/selection.json`` every start's statistic and the
choice. If start j != 0 wins, the run folder takes over its state and its log at ``starts.updates``
(the run keeps its own seed, id and settings), so the run then goes on exactly as start j alone
would have. Every step can be interrupted and resumed: each start is a run folder of its own, and
the choice is made again (the same one) from the files when a resumed run reaches it.

This module keeps the choice and its files; the loop (:mod:`npgan.train.loop`) trains the starts and
makes the run take over the one chosen.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npgan._json import INTEGER, LIST, NUMBER, JSONFileError, check_fields, read_json
from npgan.run.folder import METRICS_NAME, write_atomic
from npgan.run.metrics import read_metrics
from npgan.train.config import Starts
from npgan.train.terms import STARTS_STATISTIC

logger = logging.getLogger("npgan")

#: the logged statistic the choice reads (a column of metrics.jsonl: the term the registry names)
STATISTIC = STARTS_STATISTIC
STARTS_DIR = "starts"
SELECTION_NAME = "selection.json"
_START0_NAME = "start0.json"


def start_seed(seed: int, k: int) -> int:
    """The seed of start ``k`` of a run with seed ``seed``: ``seed`` itself for start 0, else a
    63-bit integer drawn from ``SeedSequence((seed, k))`` (independent of every other start)."""
    if k == 0:
        return int(seed)
    words = np.random.SeedSequence((int(seed), int(k))).generate_state(2, np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1]))


def remove_starts(run: Path) -> None:
    """Delete ``RUN/starts`` (before a new run starts in ``run``: it can only be an earlier run's)."""
    path = Path(run) / STARTS_DIR
    if path.is_dir():
        shutil.rmtree(path)
        logger.warning("note: %s: removed the starts of an earlier run", path)


def start_folder(run: Path, k: int) -> Path:
    """The folder start ``k`` trains in (start 0: the run folder itself)."""
    return Path(run) if k == 0 else Path(run) / STARTS_DIR / str(k)


def statistic_of(metrics_path: Path, updates: int, window: int) -> tuple[float, float]:
    """(mean of :data:`STATISTIC` over updates ``updates - window + 1 .. updates``, seconds of
    updates 1 .. ``updates``) from a metrics log.

    Raises
    ------
    ValueError
        The log has fewer than ``updates`` updates, or the statistic is missing in the window.
    """
    records = read_metrics(metrics_path, note=False).records
    records = [r for r in records if r["update"] <= updates]
    if len(records) < updates or records[-1]["update"] != updates:
        raise ValueError(f"{metrics_path} holds {len(records)} of the {updates} updates of this start")
    values = [r.get(STATISTIC) for r in records[updates - window:]]
    if any(not isinstance(v, (int, float)) for v in values):
        raise ValueError(f"{metrics_path}: no {STATISTIC!r} logged in updates {updates - window + 1}-{updates}; "
                         f"choosing among starts needs the {STATISTIC} term on by then")
    return statistics.fmean(values), sum(r.get("seconds", 0.0) for r in records)


@dataclass(frozen=True)
class Selection:
    """Every start's statistic (None: the start diverged) and training time, and the start chosen
    (the highest statistic; the lowest index among equals)."""

    updates: int
    window: int
    seeds: list
    values: list
    seconds: list
    chosen: int

    def to_dict(self) -> dict:
        return {"statistic": STATISTIC, "updates": self.updates, "window": self.window, "chosen": self.chosen,
                "starts": [{"start": k, "seed": s, "folder": str(start_folder(Path("."), k)), "value": v,
                            "seconds": round(t, 3)} for k, (s, v, t) in enumerate(zip(self.seeds, self.values,
                                                                                      self.seconds))]}


_SELECTION_WHAT = "a choice among starts written by npgan"
_START0_WHAT = "start 0's statistic written by npgan"
_SELECTION = {"updates": INTEGER, "window": INTEGER, "chosen": INTEGER, "starts": LIST}
_START = {"start": INTEGER, "seed": INTEGER, "seconds": NUMBER}


def record_start0(run: Path, starts: Starts) -> None:
    """Keep start 0's statistic (from the run's own log) before the run's log can be replaced."""
    path = Path(run) / STARTS_DIR / _START0_NAME
    if path.exists():
        return
    value, seconds = statistic_of(Path(run) / METRICS_NAME, starts.updates, starts.window)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"value": value, "seconds": seconds}))


def choose(run: Path, seed: int, starts: Starts) -> Selection:
    """Read every start's statistic (start 0's from :func:`record_start0`; a start whose log stops
    before ``starts.updates`` diverged and is no candidate) and choose; written to
    ``RUN/starts/selection.json``."""
    run = Path(run)
    path = run / STARTS_DIR / _START0_NAME
    first = check_fields(read_json(path, _START0_WHAT), {"value": NUMBER, "seconds": NUMBER}, path, _START0_WHAT)
    values, seconds = [float(first["value"])], [float(first["seconds"])]
    for k in range(1, starts.count):
        path = start_folder(run, k) / METRICS_NAME
        try:
            v, t = statistic_of(path, starts.updates, starts.window)
        except ValueError:  # a start that diverged before the choice (its log is short)
            v, t = None, sum(r.get("seconds", 0.0) for r in read_metrics(path, note=False).records)
        values.append(v)
        seconds.append(t)
    chosen = max(range(len(values)), key=lambda k: (values[k] is not None, values[k] or 0.0, -k))
    sel = Selection(starts.updates, starts.window, [start_seed(seed, k) for k in range(starts.count)],
                    values, seconds, chosen)
    write_atomic(run / STARTS_DIR / SELECTION_NAME, json.dumps(sel.to_dict(), indent=2))
    return sel


def read_selection(run: Path) -> dict | None:
    """``RUN/starts/selection.json`` as written by :func:`choose`; None if the run has made no choice.

    Raises :class:`~npgan._json.JSONFileError` (a ValueError naming the file and the fault) if it is damaged.
    """
    path = Path(run) / STARTS_DIR / SELECTION_NAME
    try:
        sel = check_fields(read_json(path, _SELECTION_WHAT), _SELECTION, path, _SELECTION_WHAT)
    except FileNotFoundError:
        return None
    for i, start in enumerate(sel["starts"]):
        check_fields(start, _START, path, f"{_SELECTION_WHAT} (starts[{i}])", optional={"value": NUMBER},
                     nullable=("value",))
    if not 0 <= sel["chosen"] < len(sel["starts"]):
        raise JSONFileError(f"{path} is not {_SELECTION_WHAT}: 'chosen' is {sel['chosen']}, "
                            f"but there are {len(sel['starts'])} starts")
    return sel


def other_starts_seconds(run: Path) -> float:
    """Training seconds of the starts a run did not continue (0 for a run without starts)."""
    sel = read_selection(run)
    if sel is None:
        return 0.0
    return sum(s["seconds"] for s in sel["starts"] if s["start"] != sel["chosen"])
