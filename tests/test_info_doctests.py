"""The docstring examples of npgan.info and npgan.distributions run, and so does the example."""

import doctest
import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

MODULES = ["npgan.info._validate", "npgan.info.discrete", "npgan.info.closed_form",
           "npgan.info.bounds", "npgan.distributions"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "information_identities.py"


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_every_public_function_has_an_example():
    import npgan.distributions as dist
    import npgan.info as info
    missing = [n for n in info.__all__ if ">>>" not in (getattr(info, n).__doc__ or "")]
    missing += [n for n in dist.__all__ if ">>>" not in (getattr(dist, n).__doc__ or "")]
    assert not missing, f"no runnable example in the docstring of: {missing}"


def _load_example():
    spec = importlib.util.spec_from_file_location("information_identities", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed, base", [(0, None), (1, 2), (2, None)])
def test_example_identities_hold(seed, base):
    example = _load_example()
    rows = example.identity_rows(np.random.default_rng(seed), n_mc=5_000, base=base)
    assert len(rows) >= 15
    failed = [row[0] for row in rows if not example.holds(row)]
    assert not failed, f"identities failed for seed {seed}: {failed}"


def test_example_prints_a_table(capsys):
    _load_example().main(["--seed", "4"])
    out = capsys.readouterr().out
    assert "Lemma 5.1" in out and "I(c;x) = H(c) - H(c|x)" in out
    assert "NO" not in out.split("holds", 1)[1].split("'='", 1)[0]
