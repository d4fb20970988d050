"""Shared test configuration.

Fixtures: ``tiny_nets`` (training builds the tiny networks of ``tiny_nets.TinyNets``) and
``networks`` (a test runs with the tiny networks in the default suite and with the paper's in the
slow one). The latents, configs and random images the training tests share are in tests/tiny_nets.py.

Hypothesis profiles: ``deadline=None`` everywhere because the first call of
a numba kernel compiles it. Runs are derandomised (seeded) so a failure is
reproducible and never "fixed" by a rerun. ``ci`` draws fewer examples to
keep the default suite under 10 minutes on 2 cores.

``--repeat TEST=N`` runs the test function TEST N times in its place, among all the others: issue 33
asks that the sweep's Ctrl-C test pass 20 times in a row in the full suite
(``--repeat test_ctrl_c_stops_cleanly_and_the_run_resumes=20``).
"""

import os
import signal

import pytest
from hypothesis import HealthCheck, settings

from npgan.models import InfoGANNets
from tiny_nets import TinyNets, use_tiny_nets

settings.register_profile(
    "default", deadline=None, derandomize=True, max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci", deadline=None, derandomize=True, max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", deadline=None, max_examples=500,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture
def tiny_nets(monkeypatch):
    """Training (``npgan train`` and ``npgan.train.train``) builds ``TinyNets`` during the test."""
    use_tiny_nets(monkeypatch)


@pytest.fixture(params=["tiny", pytest.param("paper", marks=pytest.mark.slow)])
def networks(request, monkeypatch):
    """The networks class training builds, once each: ``TinyNets`` (default suite) and the paper's
    ``InfoGANNets`` (marked slow). Training (``train``, ``build_trainer``) builds the returned class."""
    if request.param == "tiny":
        use_tiny_nets(monkeypatch)
        return TinyNets
    return InfoGANNets


# --------------------------------------------------------------------------- signals
def pytest_configure(config):
    """Run the suite as from a terminal even when it was started in the background: a shell starts a
    background job (``cmd &`` in a script, ``nohup``) with SIGINT (and maybe SIGTERM) ignored, every
    child inherits that, and npgan rightly leaves an ignored signal ignored, so the tests that stop
    npgan with a signal would wait for nothing. A handler installed here is reset to the default by
    exec in every child."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


# --------------------------------------------------------------------------- --repeat
def pytest_addoption(parser):
    parser.addoption("--repeat", action="append", default=[], metavar="TEST=N",
                     help="run the test function named TEST N times in its place in the suite (e.g. to show "
                          "that a test is deterministic among all the others); may be given several times")


def _repeats(config) -> dict[str, int]:
    out = {}
    for item in config.getoption("repeat"):
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit() or int(count) < 1:
            raise pytest.UsageError(f"--repeat takes TEST=N with N >= 1, got {item!r}")
        out[name] = int(count)
    return out


@pytest.fixture
def _repeat_round(request):
    """The round of a test run several times by --repeat."""
    return request.param


def pytest_generate_tests(metafunc):
    count = _repeats(metafunc.config).get(metafunc.function.__name__)
    if count:
        metafunc.fixturenames.append("_repeat_round")
        metafunc.parametrize("_repeat_round", range(count), indirect=True, ids=lambda i: f"round{i + 1}")
