"""Smoke test of benchmarks/bench_step.py: one tiny in-process run, checked for sane structure.

Runs the script's ``main`` at batch 8 with 2 timed steps, no PyTorch and no cold-cache compile
(the only subprocess is the warm-cache first-run check). Never imports torch.
"""

import importlib.util
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_step.py"
B = 8

# Per-sample forward GEMM FLOPs (2*M*K*N) of the paper's MNIST networks, by hand.
F_G = 2 * (74 * 1024 + 1024 * 6272 + 128 * (64 * 16) * 49 + 64 * 16 * 196)   # FC, FC, up-conv, up-conv
F_T = 2 * (64 * 16 * 196 + 128 * (64 * 16) * 49 + 6272 * 1024)             # conv, conv, FC
F_D = 2 * 1024
F_Q = 2 * (1024 * 128 + 128 * 14)
N_PARAMS = (74 * 1024 + 1024 + 2 * 1024 + 1024 * 6272 + 6272 + 2 * 6272 + 128 * 64 * 16 + 64 + 2 * 64
            + 64 * 16 + 1                                                         # G
            + 64 * 16 + 64 + 128 * 64 * 16 + 128 + 2 * 128 + 6272 * 1024 + 1024 + 2 * 1024   # trunk
            + 1024 + 1                                                            # D head
            + 1024 * 128 + 128 + 2 * 128 + 128 * 14 + 14)                         # Q head


@pytest.fixture(scope="module")
def bench_run():
    spec = importlib.util.spec_from_file_location("bench_step", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.main(["--in-process", "--quick", "--no-torch", "--no-cold-compile", "--batch-sizes", str(B),
                    "--threads", "1", "--steps", "2", "--warmup", "1"])
    return mod, res


def test_step_timing_and_phases(bench_run):
    _, res = bench_run
    r = res["runs"]["1"]["npgan"][str(B)]
    s = r["step_ms"]
    assert s["n"] == 2 and 0 < s["min"] <= s["median"] and s["q1"] <= s["median"] <= s["q3"]
    # The phases partition the instrumented step (one instrumented step: medians are its values).
    total = r["instrumented_step_ms"]["median"]
    assert math.isclose(sum(r["phases"].values()), total, rel_tol=1e-6)
    for phase in ("D real", "D fake gen", "D fake+Q", "Adam D", "G gen", "G fwd+bwd", "Adam G"):
        assert r["phases"][phase] > 0, phase
    assert r["phases"]["other"] < 0.5 * total


def test_flop_counts(bench_run):
    _, res = bench_run
    r = res["runs"]["1"]["npgan"][str(B)]
    conv = [v for v in r["layers"].values() if v["desc"].startswith("Conv2d 64->128")]
    assert len(conv) == 1
    conv = conv[0]
    # conv 64->128, k4 s2, 14x14 -> 7x7: M = 128 filters, K = 64*4*4, N = B*7*7 output pixels
    assert conv["fwd_flops_per_call"] == 2 * 128 * (64 * 16) * (B * 49)
    assert conv["fwd_calls"] == 3 and conv["bwd_calls"] == 3            # real, fake, G step
    assert conv["fwd_gflop"] <= conv["bwd_gflop"] <= 2 * conv["fwd_gflop"] + 1e-12
    assert conv["gflops"] > 0 and conv["fwd_ms"] > 0 and conv["bwd_ms"] > 0
    # Whole step: at most every GEMM of every pass (the original schedule: G forward twice and
    # backward once, the trunk and D head forward + both gradients three times, Q twice); at least
    # what any correct schedule needs (G's output reused, no unneeded gradients).
    most = B * (4 * F_G + 9 * F_T + 9 * F_D + 6 * F_Q)
    least = B * (2 * F_G + 7 * F_T + 4 * F_D + 2 * F_Q)
    assert least / 1e9 <= r["gflop"] <= most / 1e9 + 1e-9
    assert r["gflop"] == pytest.approx(sum(v["fwd_gflop"] + v["bwd_gflop"] for v in r["layers"].values()
                                           if v["leaf"]))
    assert r["gemm_only_ms"] > 0


def test_sgemm_memory_torch_and_first_run(bench_run, capsys):
    mod, res = bench_run
    run = res["runs"]["1"]
    assert run["sgemm"]["square_gflops"] > 0
    assert all(v["gflops"] > 0 for v in run["sgemm"]["shapes"].values())
    mem = run["memory"]
    # parameters, gradients and Adam's two moments in float32, plus the BN running statistics
    state = 4 * 4 * N_PARAMS / 2 ** 20
    assert state <= mem["persistent_state_mib"] <= state + 1.0
    assert mem["persistent_state_mib"] < mem["numpy_peak_mib"] < mod.MEMORY_LIMIT_MIB
    assert mem["step_transient_mib"] > 0
    assert mem["rss_peak_growth_mib"] is None or mem["rss_peak_growth_mib"] > 0
    assert mem["maxrss_mib"] > 0
    assert run["torch"] == {"skipped": "--no-torch given: comparison skipped"}
    warm = res["first_run"]["warm"]
    assert len(warm["update_s"]) == 3 and min(warm["update_s"]) > 0
    assert warm["kernels_loaded_from_cache"] + warm["kernels_compiled"] > 0
    assert "cold" not in res["first_run"]
    mod.print_report(res)
    out = capsys.readouterr().out
    assert "npgan/PyTorch" in out and "comparison skipped" in out and "Conv2d 64->128" in out
