"""The metrics log ``metrics.jsonl``: one JSON object per update, appended and flushed per update.

A process killed while writing can leave a last line without its newline (a torn line). Readers
drop such a line with a note; a resumed run cuts the log back to the checkpoint's update (a single
``truncate``, so an interruption of the cut loses nothing) before it appends again. Any other
damage (a complete line that is not a JSON object with an ``update``, updates that are not
1, 2, 3, ...) is a :class:`MetricsError` naming the file and the line.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("npgan")


class MetricsError(ValueError):
    """A metrics log that cannot be read as one run's updates; the message names file and line."""


@dataclass
class MetricsRead:
    """What :func:`read_metrics` found.

    ``records`` are the complete lines, updates in order without a gap (from 1, or from where a
    resume found the log missing); ``ends`` the byte offset after each record's line; ``torn``
    whether an incomplete last line was dropped.
    """

    records: list[dict]
    ends: list[int]
    torn: bool


#: the numbers every record holds that the figures, the report and the sweep summary read
PLOTTED = ("d_loss", "g_loss", "li_cat")


def read_metrics(path, *, note: bool = True, fields: tuple[str, ...] = ()) -> MetricsRead:
    """Read ``path``; an incomplete last line is dropped (with a logged note when ``note``).

    ``fields`` (e.g. :data:`PLOTTED`) are entries every record must hold as numbers, for readers that
    use them; ``seconds``, where present, must be a number too.

    Raises
    ------
    FileNotFoundError
        No such file.
    MetricsError
        A complete line that is not a JSON object with an integer ``update`` (and ``fields``), or
        updates that do not follow each other (two runs' logs mixed, or lines lost).
    """
    path = Path(path)
    data = path.read_bytes()
    records, ends, numbers, offset = [], [], [], 0
    lines = data.split(b"\n")
    torn = lines[-1] != b""  # the text after the last newline: empty unless a write was cut short
    for number, line in enumerate(lines[:-1], start=1):
        offset += len(line) + 1
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            raise MetricsError(f"{path}: line {number} is not valid JSON") from None
        if not isinstance(record, dict) or type(record.get("update")) is not int:
            raise MetricsError(f"{path}: line {number} is not a metrics record (a JSON object with an integer 'update')")
        expected = records[-1]["update"] + 1 if records else None
        if (expected is None and record["update"] < 1) or (expected is not None and record["update"] != expected):
            raise MetricsError(f"{path}: line {number} holds update {record['update']}, expected "
                               f"{expected or 'a positive number'} (the log is not one run's updates in order)")
        records.append(record)
        ends.append(offset)
        numbers.append(number)
    for record, number in zip(records, numbers) if fields else ():  # after the order: its faults come first
        _check_numbers(record, fields, path, number)
    if torn and note:
        logger.warning("note: %s: dropped an incomplete last line (a write was cut short)", path)
    return MetricsRead(records, ends, torn)


def _check_numbers(record: dict, fields: tuple[str, ...], path: Path, number: int) -> None:
    for name in (*fields, "seconds"):
        value = record.get(name)
        if name == "seconds" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MetricsError(f"{path}: line {number} is not a metrics record: {name!r} must be a number, "
                               f"got {'nothing' if name not in record else repr(value)[:40]}")


def truncate_metrics(path, update: int) -> int:
    """Cut ``path`` back to the record of ``update`` (and drop a torn line); return the lines cut.

    Raises
    ------
    MetricsError
        The log is damaged (see :func:`read_metrics`) or does not reach ``update``, i.e. lines
        the checkpoint's updates wrote are missing.
    """
    path = Path(path)
    found = read_metrics(path, note=False)
    first = found.records[0]["update"] if found.records else 1
    last = found.records[-1]["update"] if found.records else 0
    if last < update or first > update + 1:
        raise MetricsError(f"{path} holds {len(found.records)} updates but the checkpoint is of update {update}: "
                           "the log has lost lines; move it away to resume without it")
    n_keep = update - first + 1
    keep = found.ends[n_keep - 1] if n_keep > 0 else 0
    cut = len(found.records) - n_keep
    if keep != path.stat().st_size:
        os.truncate(path, keep)
        if cut or found.torn:
            logger.warning("note: %s: dropped %d line(s) written after the checkpoint (update %d)%s",
                           path, cut, update, " and an incomplete last line" if found.torn else "")
    return cut


class MetricsLog:
    """Appends records to ``path``, one line each, flushed to the OS at once.

    A flush makes a line survive a killed process; :meth:`sync` (called before a checkpoint is
    written) makes the lines survive a crash of the machine too, so the log never holds fewer
    updates than the checkpoint.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._file = None

    def __enter__(self) -> MetricsLog:
        self._file = self.path.open("a", encoding="utf-8")
        return self

    def append(self, record: dict) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def __exit__(self, *exc) -> bool:
        self._file.close()
        return False
