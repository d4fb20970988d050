"""``sweep.json``: a sweep's plan and what became of each run, kept in the sweep's folder.

The file holds ``spec`` (:meth:`npgan.sweep.plan.SweepSpec.to_dict`: the runs of every invocation
into this folder, and what they share) and ``runs``: per run name the last attempt's ``status``
(``done``, ``interrupted`` or ``failed``), ``error``, ``start_update``, ``end_update``, ``host`` and
``seconds``. A run that was found finished is not attempted, so its entry stays as it was. The file
is rewritten atomically after every run, so an interrupted sweep leaves a readable record.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from npgan._json import OBJECT, check_fields, read_json
from npgan.report.images import write_atomic
from npgan.sweep.plan import SweepSpec

RECORD_NAME = "sweep.json"
_WHAT = "a sweep record"


def load_record(out) -> tuple[SweepSpec | None, dict]:
    """``(spec, runs)`` from ``out/sweep.json``; ``(None, {})`` if the folder has none.

    Raises
    ------
    ValueError
        The file exists but is not a sweep record.
    """
    path = Path(out) / RECORD_NAME
    try:
        d = check_fields(read_json(path, _WHAT), {"spec": OBJECT}, path, _WHAT, optional={"runs": OBJECT})
    except FileNotFoundError:
        return None, {}
    try:
        return SweepSpec.from_dict(d["spec"]), dict(d.get("runs", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} is not {_WHAT} ({type(exc).__name__}: {exc})") from None


def save_record(out, spec: SweepSpec, runs: dict) -> Path:
    """Atomically write ``out/sweep.json``."""
    text = json.dumps({"spec": spec.to_dict(), "runs": runs}, indent=2)
    return write_atomic(Path(out) / RECORD_NAME, text.encode())


def merge_specs(old: SweepSpec | None, new: SweepSpec) -> SweepSpec:
    """``new`` with the runs of ``old`` (an earlier invocation into the same folder) kept in front.

    Raises
    ------
    ValueError
        The folder's sweep trained on other data (another dataset or subset): its runs and the new
        ones would not be comparable in one table.
    """
    if old is None:
        return new
    for what in ("dataset", "subset"):
        if getattr(old, what) != getattr(new, what):
            raise ValueError(f"{new.out} holds a sweep with {what} {getattr(old, what)!r}, not "
                             f"{getattr(new, what)!r}; give another output folder")
    names = {r.name for r in new.runs}
    return replace(new, runs=tuple(r for r in old.runs if r.name not in names) + new.runs)
