"""Benchmark one InfoGAN training step: npgan against PyTorch on the same CPU.

Times ``InfoGANTrainer.update(x_real)`` (one D step, then one G step, Adam) on npgan's paper-recipe
networks, built as training builds them (``npgan.train.build.build_trainer``), on random real batches
(float32 in [0, 1], shape (B, 1, 28, 28)); the median and interquartile range of many steps after
warm-up, per batch size and thread count. Also reported:

- a per-phase breakdown (D step on the real batch, fake generation, D step on the fake batch + Q, the
  G step, the two Adam steps) and a per-layer breakdown (forward and backward time of each layer of
  G, the D trunk, the D head and the Q head) with FLOP counts and achieved GFLOP/s, from separate
  instrumented steps (the layers' methods are wrapped on the instances; npgan is not modified);
- the machine's SGEMM throughput (NumPy float32 matmul of a large square and of the step's own GEMM
  shapes), and the "GEMM-only" time: what BLAS needs for the step's GEMMs on contiguous operands;
- numba's first-run cost: a fresh process with an empty ``NUMBA_CACHE_DIR`` (everything compiles)
  and one with the normal on-disk cache, first update against the third;
- peak memory of a training step (NumPy allocations by ``tracemalloc``, and the process's RSS);
- when PyTorch is importable, the same networks and step in PyTorch (``torch_infogan.py``), in the
  fastest of a few settings (Adam foreach or fused, channels-last off or on), and npgan/PyTorch.

FLOPs are ``2 * M * K * N`` per GEMM-equivalent: a weight layer's forward, its weight gradient and
(when the layer computes it) its input gradient each count once. Bias, batch norm, activations and
Adam count zero, so GFLOP/s reads as "GEMM work per second" (about 44 GFLOP per step at batch 128).

Threads: each thread count runs in its own child process with OPENBLAS/OMP/MKL/NUMBA_NUM_THREADS
set before NumPy is imported (OpenBLAS reads them at load time) and ``torch.set_num_threads``. npgan's
step runs under its own thread policy (``npgan.kernels.threads.use_threads(threads)``, as training
does: a pool of that many threads, BLAS single-threaded inside it); the SGEMM reference and PyTorch
use their libraries' own threads. A WARNING line says when OpenBLAS ran kernels narrower than the
CPU offers (e.g. ``OPENBLAS_CORETYPE=Haswell`` on an AVX-512 CPU).
The report names the kernel family OpenBLAS uses: ``OPENBLAS_CORETYPE`` in the environment overrides
its CPU detection (``Haswell`` = AVX2 kernels, ``SkylakeX`` = AVX-512), which can halve or double
NumPy's SGEMM on an AVX-512 CPU; ``--openblas-coretype`` sets it for the children ('' unsets it).

The work is split by concern: ``bench_step_measure.py`` (the measurements), ``bench_step_gemm.py``
(the GEMM model and SGEMM table) and ``bench_step_report.py`` (the printed report); this file holds
the command line and the child processes.

Usage::

    python benchmarks/bench_step.py                       # batch 64 and 128, 1 and 2 threads
    python benchmarks/bench_step.py --batch-sizes 128 --threads 2 --json step.json
    python benchmarks/bench_step.py --openblas-coretype ''   # let OpenBLAS pick its kernels
    python benchmarks/bench_step.py --quick --no-torch    # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
if HERE not in sys.path:      # the sibling modules, also when loaded by path (the tests)
    sys.path.insert(0, HERE)

from bench_step_measure import (MEMORY_LIMIT_MIB, PHASES, THREAD_VARS, blas_threads, log,  # noqa: E402,F401
                                run_first_run, run_measure)
from bench_step_report import print_report  # noqa: E402


# ------------------------------------------------------------------------------- parent side
def _thread_env(threads: int, coretype: str | None = None) -> dict:
    """The environment of a child: thread counts, and OPENBLAS_CORETYPE when given ("" unsets it)."""
    env = dict(os.environ)
    if coretype == "":
        env.pop("OPENBLAS_CORETYPE", None)
    elif coretype is not None:
        env["OPENBLAS_CORETYPE"] = coretype
    for k in THREAD_VARS:
        env[k] = str(threads)
    env["NUMBA_NUM_THREADS"] = str(max(1, min(threads, os.cpu_count() or 1)))
    return env


def _spawn(child_args: list[str], env: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_step_") as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), *child_args, "--_out", out]
        proc = subprocess.run(cmd, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark child {' '.join(child_args)} failed with exit status {proc.returncode}")
        with open(out) as f:
            return json.load(f)


def _forwarded(args) -> list[str]:
    a = ["--batch-sizes", *map(str, args.batch_sizes), "--steps", str(args.steps), "--warmup", str(args.warmup),
         "--breakdown-steps", str(args.breakdown_steps), "--trial-steps", str(args.trial_steps),
         "--profile-steps", str(args.profile_steps)]
    return a + (["--quick"] if args.quick else []) + (["--no-torch"] if args.no_torch else [])


def _first_runs(args) -> dict:
    batch, threads = min(args.batch_sizes), min(args.threads)
    out = {}
    kinds = ["warm"] + ([] if args.no_cold_compile else ["cold"])
    for kind in kinds:
        log(f"numba first run, {kind} cache (fresh process, batch {batch})")
        env = _thread_env(threads, args.openblas_coretype)
        tmp = None
        if kind == "cold":
            tmp = tempfile.TemporaryDirectory(prefix="bench_step_numba_")
            env["NUMBA_CACHE_DIR"] = tmp.name
        try:
            out[kind] = _spawn(["--_child", "first-run", "--batch-sizes", str(batch)], env)
        except RuntimeError as e:
            out[kind] = {"error": str(e)}
        finally:
            if tmp is not None:
                tmp.cleanup()
    return out


def _meta() -> dict:
    import numba
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    blas = {}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:
        pass
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
            "blas_config": blas.get("openblas configuration", "")}


def _parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default 30; 3 with --quick)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up steps (default 5; 1 with --quick)")
    ap.add_argument("--breakdown-steps", type=int, default=None,
                    help="instrumented steps for the phase/layer breakdown (default 10; 1 with --quick)")
    ap.add_argument("--trial-steps", type=int, default=None,
                    help="PyTorch steps per setting when picking the fastest (default 4; 1 with --quick)")
    ap.add_argument("--profile-steps", type=int, default=None,
                    help="PyTorch steps under torch.profiler for the top-ops table (default 3; 0 with --quick)")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    ap.add_argument("--no-cold-compile", action="store_true",
                    help="skip the fresh-process run with an empty numba cache (the slowest part)")
    ap.add_argument("--in-process", action="store_true",
                    help="measure in this process (thread counts are then labels only) instead of one child "
                         "process per thread count; the first-run checks still use fresh processes")
    ap.add_argument("--openblas-coretype", metavar="NAME", default=None,
                    help="set OPENBLAS_CORETYPE in the child processes (e.g. SkylakeX for AVX-512 kernels, "
                         "Haswell for AVX2; '' unsets it so OpenBLAS detects the CPU); default: inherit")
    ap.add_argument("--json", metavar="OUT", help="write all results to this JSON file")
    ap.add_argument("--quick", action="store_true", help="few steps, small SGEMM (smoke test)")
    ap.add_argument("--_child", choices=["measure", "first-run"], help=argparse.SUPPRESS)
    ap.add_argument("--_threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--_out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    defaults = dict(steps=(3, 30), warmup=(1, 5), breakdown_steps=(1, 10), trial_steps=(1, 4), profile_steps=(0, 3))
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if min(args.batch_sizes) < 2:
        ap.error(f"--batch-sizes must be >= 2 (batch norm needs a batch), got {args.batch_sizes}")
    if args.in_process and args.openblas_coretype is not None:
        ap.error("--openblas-coretype needs child processes (OpenBLAS reads it at load): drop --in-process")
    if min(args.threads) < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    if args.steps < 1 or args.warmup < 0 or args.breakdown_steps < 1 or args.trial_steps < 1 or args.profile_steps < 0:
        ap.error("--steps, --breakdown-steps and --trial-steps must be >= 1, --warmup and --profile-steps >= 0")
    return args


def main(argv=None) -> dict:
    """Run the benchmark; print the report and return all results as a dict."""
    args = _parse(argv)
    if args._child:
        res = (run_measure(args._threads, args) if args._child == "measure"
               else run_first_run(args.batch_sizes[0]))
        with open(args._out, "w") as f:
            json.dump(res, f)
        return res
    t0 = time.perf_counter()
    res = {"meta": _meta(), "config": {k: v for k, v in vars(args).items() if not k.startswith("_")}, "runs": {}}
    blas_before = blas_threads() if args.in_process else None
    for t in args.threads:
        if args.in_process:
            try:
                res["runs"][str(t)] = run_measure(t, args)
            finally:        # leave the caller's BLAS as it was (the tests run in-process)
                if blas_before is not None:
                    blas_threads(blas_before)
        else:
            res["runs"][str(t)] = _spawn(["--_child", "measure", "--_threads", str(t), *_forwarded(args)],
                                         _thread_env(t, args.openblas_coretype))
    res["first_run"] = _first_runs(args)
    res["wall_s"] = time.perf_counter() - t0
    print_report(res)
    print(f"\n(benchmark wall time {res['wall_s']:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
