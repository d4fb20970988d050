"""npgan report on a run whose eval.json is damaged (not JSON, not an object, wrong types): one line
names the file and the fault and says it evaluates again; the report is built and eval.json written
anew (issue 33: every file npgan reads is checked, its own included)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from npgan.cli import main
from npgan.evaluation.eval_file import read_eval
from tiny_nets import TINY_TRAIN_ARGS, tiny_nets_patched


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("damaged_eval") / "run"
    with tiny_nets_patched():
        assert main(["train", "--out", str(out), *TINY_TRAIN_ARGS]) == 0
    return out


#: each case builds a report (about 6 s): two in the default suite
SLOW = pytest.mark.slow


@pytest.mark.parametrize("content, fault", [
    ("{damaged", "not valid JSON"),
    pytest.param("", "not valid JSON", marks=SLOW),
    ("[1, 2]", "expected a JSON object, got a list"),
    pytest.param("null", "expected a JSON object, got null", marks=SLOW),
    pytest.param('{"update": "4", "dataset": "synthetic", "li_cat": 0.1, "h_cat": 1.0, "continuous": []}',
                 "'update' must be an integer, got '4'", marks=SLOW),
    pytest.param('{"update": 4, "dataset": "synthetic", "li_cat": 0.1, "h_cat": 1.0, "continuous": {}}',
                 "'continuous' must be a list", marks=SLOW),
])
def test_report_names_the_damaged_eval_json_and_evaluates_again(content, fault, trained, tmp_path, tiny_nets,
                                                                 capsys):
    run = Path(shutil.copytree(trained, tmp_path / "run"))
    (run / "eval.json").write_text(content)
    capsys.readouterr()
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if "eval.json" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"npgan report: {run / 'eval.json'} is not an evaluation written by npgan eval: ")
    assert fault in lines[0] and lines[0].endswith(": evaluating again"), lines[0]
    assert read_eval(run / "eval.json")["update"] == 4 and (run / "report.html").exists()
