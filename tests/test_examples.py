"""The teaching examples run and say what they should."""

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_gradient_check_example(capsys):
    runpy.run_path(str(EXAMPLES / "gradient_check.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("(ok)") == 4 and "FAIL" not in out


def test_step_by_step_example(capsys):
    runpy.run_path(str(EXAMPLES / "infogan_step_by_step.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "(16, 1, 28, 28)" in out and "G loss" in out and "D loss" in out
