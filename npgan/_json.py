"""Reading npgan's own JSON files (``config.json``, ``eval.json``, ``sweep.json`` ...) with one-line errors.

A file that npgan wrote can still be damaged (cut short, edited by hand, replaced). Every reader goes
through :func:`read_json` and checks what it needs with :func:`check_fields`, so a damaged file is
one :class:`JSONFileError` (a ``ValueError``) naming the file and the fault, never a ``KeyError``,
an ``AttributeError`` or a ``RecursionError`` from deep inside a command.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

#: the types :func:`check_fields` knows, by the name its messages use
NUMBER, INTEGER, TEXT, OBJECT, LIST = "a number", "an integer", "a string", "a JSON object", "a list"
_PYTHON = {NUMBER: (int, float), INTEGER: (int,), TEXT: (str,), OBJECT: (dict,), LIST: (list,)}


class JSONFileError(ValueError):
    """A JSON file npgan reads is not what it should be; the message names the file and the fault."""


def read_json(path, what: str = "a JSON file"):
    """The JSON value in ``path``.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file should be, for the message (``"a run's config.json"``).

    Raises
    ------
    FileNotFoundError
        No such file (callers say what was expected).
    JSONFileError
        Not UTF-8 JSON, or nested too deeply to read.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise JSONFileError(f"{path} is not {what}: nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JSONFileError(f"{path} is not {what}: not valid JSON ({exc})") from None


def _fits(value, kind: str) -> bool:
    # JSON true/false are not numbers here, though Python's bool is an int
    return isinstance(value, _PYTHON[kind]) and not isinstance(value, bool)


def check_fields(d, fields: Mapping[str, str], path, what: str, optional: Mapping[str, str] | None = None,
                 nullable: tuple[str, ...] = ()) -> dict:
    """Check that ``d`` is a JSON object with ``fields`` (name -> :data:`NUMBER`, :data:`INTEGER`, ...).

    ``optional`` fields may be missing but must have their type when present; a field named in
    ``nullable`` may also be ``null``. Returns ``d``; raises :class:`JSONFileError` naming ``path``,
    the first faulty field and what it holds.
    """
    if not isinstance(d, dict):
        raise JSONFileError(f"{path} is not {what}: expected a JSON object, got {_kind(d)}")
    for name, kind in fields.items():
        if name not in d:
            raise JSONFileError(f"{path} is not {what}: no {name!r} entry")
    for name, kind in {**fields, **(optional or {})}.items():
        if name in d and not (_fits(d[name], kind) or (d[name] is None and name in nullable)):
            raise JSONFileError(f"{path} is not {what}: {name!r} must be {kind}, got {_kind(d[name])}")
    return d


def check_items(values: list, kind: str, path, what: str, name: str) -> list:
    """Check that every item of the list ``values`` (the entry ``name``) is of ``kind``; return it."""
    for i, value in enumerate(values):
        if not _fits(value, kind):
            raise JSONFileError(f"{path} is not {what}: {name}[{i}] must be {kind}, got {_kind(value)}")
    return values


def _kind(value) -> str:
    """What a JSON value is, briefly, for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else "a string"
    return "a list" if isinstance(value, list) else "a JSON object"


__all__ = ["INTEGER", "LIST", "NUMBER", "OBJECT", "TEXT", "JSONFileError", "check_fields", "check_items", "read_json"]
