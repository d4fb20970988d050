"""Reading back what ``npgan eval`` wrote (``eval.json``, a sweep's ``evals/update_U.json``), checked.

The report and the sweep summary read these files; :func:`read_eval` checks every entry they use,
so a damaged file is one :class:`~npgan._json.JSONFileError` naming the file and the fault.
"""

from __future__ import annotations

from npgan._json import INTEGER, LIST, NUMBER, OBJECT, TEXT, JSONFileError, check_fields, check_items, read_json

#: what the file is, for messages
EVAL_WHAT = "an evaluation written by npgan eval"
_FIELDS = {"update": INTEGER, "dataset": TEXT, "li_cat": NUMBER, "h_cat": NUMBER, "continuous": LIST}
_OPTIONAL = {"accuracy": NUMBER, "n_test": INTEGER, "li_cont": NUMBER, "factors": OBJECT, "checkpoint": TEXT,
             "mapping": OBJECT}
_CODE = {"code": INTEGER, "rotation": NUMBER, "width": NUMBER}
_FACTORS = {"mig": NUMBER, "mig_style": NUMBER, "style_factors": LIST, "code_names": LIST, "factor_names": LIST,
            "mi": LIST, "factor_entropies": LIST}
#: the factor report's lists and what each holds
_FACTOR_ITEMS = {"style_factors": TEXT, "code_names": TEXT, "factor_names": TEXT, "factor_entropies": NUMBER,
                 "mi": LIST}


def read_eval(path) -> dict:
    """The checked contents of an evaluation file.

    Raises
    ------
    FileNotFoundError
        No such file.
    JSONFileError
        Not JSON, or an entry the readers use is missing or of the wrong type.
    """
    ev = check_fields(read_json(path, EVAL_WHAT), _FIELDS, path, EVAL_WHAT, optional=_OPTIONAL)
    if "accuracy" in ev and "n_test" not in ev:
        raise JSONFileError(f"{path} is not {EVAL_WHAT}: 'accuracy' without 'n_test'")
    if "mapping" in ev:  # category -> matched class; JSON keys are text
        bad = [k for k in ev["mapping"] if not (k.isdigit() and k.isascii())]
        if bad:
            raise JSONFileError(f"{path} is not {EVAL_WHAT}: 'mapping' keys must be category numbers, got {bad[0]!r}")
        check_items(list(ev["mapping"].values()), INTEGER, path, EVAL_WHAT, "mapping")
    for i, code in enumerate(ev["continuous"]):
        check_fields(code, _CODE, path, f"{EVAL_WHAT} (continuous[{i}])")
    if "factors" in ev:
        _check_factors(ev["factors"], path)
    return ev


def _check_factors(factors: dict, path) -> None:
    what = f"{EVAL_WHAT} (factors)"
    check_fields(factors, _FACTORS, path, what, optional={"nmi": NUMBER}, nullable=("mig", "mig_style", "nmi"))
    for name, kind in _FACTOR_ITEMS.items():
        check_items(factors[name], kind, path, what, name)
    for i, row in enumerate(factors["mi"]):
        check_items(row, NUMBER, path, what, f"mi[{i}]")


__all__ = ["EVAL_WHAT", "read_eval"]
