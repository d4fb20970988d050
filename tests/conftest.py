"""Shared test configuration.

Hypothesis profiles: ``deadline=None`` everywhere because the first call of
a numba kernel compiles it. Runs are derandomised (seeded) so a failure is
reproducible and never "fixed" by a rerun. ``ci`` draws fewer examples to
keep the default suite under 10 minutes on 2 cores.
"""

import os

from hypothesis import HealthCheck, settings

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
