"""npgan's update against its own GEMMs alone and against PyTorch, interleaved in one process.

The question: how much of an update is *not* its GEMMs? The GEMM-only model is the update's GEMMs
replayed with NumPy on contiguous random operands of the same shapes, with BLAS's own threads (the
speed a perfect implementation would get from this BLAS). Measured in separate runs, the model and
the update drift apart on a shared 2-core VM: the CPU's speed changes between minutes (square SGEMM
read 126 GFLOP/s at 2 threads in one run and 191 in the next). So here the three are measured in
turns, block by block, in one process: each round times ``--steps`` updates of npgan (under its own
thread policy, ``use_threads``), ``--steps`` replays of the GEMMs, and ``--steps`` updates of the
same networks in PyTorch (``torch_infogan.py``, its fastest setting picked first), in a rotating
order. Ratios are taken per round (paired) and the median over rounds is reported.

The recorded GEMMs are those npgan actually calls in one update (every ``matmul``/``matmul_add`` of
the layers, with its (M, K, N)), so the model counts exactly the step's GEMM work. As training does
(``npgan.train.train``), the process keeps freed memory for reuse (``npgan.kernels.alloc``); that
holds for all three sides alike.

Usage::

    python benchmarks/bench_gemm_bound.py                           # batch 64 and 128, 1 and 2 threads
    python benchmarks/bench_gemm_bound.py --batch-sizes 128 --threads 2 --rounds 10 --no-torch

Prints the CPU model and the BLAS kernels that ran, and warns when ``OPENBLAS_CORETYPE`` forces
kernels (unset it and ``OPENBLAS_L2_SIZE`` in the benchmark's own command to measure the CPU's).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from bench_table import print_table_head  # noqa: E402  (beside this script)


def cpu_model() -> str:
    """The CPU's model name, family/model numbers and widest SIMD (from /proc/cpuinfo)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown CPU"
    flags = set(info.get("flags", "").split())
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return (f"{info.get('model name', 'unknown CPU')} (family {info.get('cpu family', '?')} "
            f"model {info.get('model', '?')}, {simd})")


def blas_kernels() -> str:
    from threadpoolctl import threadpool_info
    return ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                     for i in threadpool_info() if i.get("user_api") == "blas")


def record_gemms(trainer, x) -> list[tuple[int, int, int]]:
    """(M, K, N) of every GEMM one update calls (through the names the layers imported)."""
    shapes = []
    patched = []
    for mod_name in ("npgan.kernels.conv", "npgan.nn.linear"):
        mod = importlib.import_module(mod_name)
        for name in ("matmul", "matmul_add"):
            f = getattr(mod, name, None)
            if f is None:
                continue

            def spy(a, b, *rest, _f=f, **kw):
                shapes.append((a.shape[0], a.shape[1], b.shape[1]))
                return _f(a, b, *rest, **kw)
            setattr(mod, name, spy)
            patched.append((mod, name, f))
    try:
        trainer.update(x)
    finally:
        for mod, name, f in patched:
            setattr(mod, name, f)
    return shapes


def gemm_replay(shapes, rng):
    """A function running the GEMMs of ``shapes`` with NumPy on contiguous float32 operands."""
    ops = [(rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32),
            np.empty((m, n), dtype=np.float32)) for m, k, n in shapes]

    def run():
        for a, b, out in ops:
            np.matmul(a, b, out=out)
    return run


def torch_step(batch: int, threads: int):
    """The fastest PyTorch setting's update on a fixed batch, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None, "PyTorch not installed"
    import torch_infogan as ti
    torch.set_num_threads(threads)
    x = torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    best, best_t = None, float("inf")
    for adam in ("foreach", "fused"):
        for cl in (False, True):
            try:
                m = ti.TorchInfoGAN(adam, cl)
                for _ in range(2):
                    m.update(x)
                t0 = time.perf_counter()
                for _ in range(3):
                    m.update(x)
                t = time.perf_counter() - t0
            except Exception:      # a setting this build lacks
                continue
            if t < best_t:
                best, best_t = (m, f"adam={adam}, {'channels_last' if cl else 'NCHW'}"), t
    m, name = best
    return (lambda: m.update(x)), name


def measure(batch: int, threads: int, rounds: int, steps: int, with_torch: bool, recipe: str) -> dict:
    from threadpoolctl import threadpool_limits

    from npgan.kernels.threads import use_threads
    from npgan.recipes import resolve
    from npgan.train.build import build_trainer

    cfg = resolve(recipe, "mnist", {"batch_size": batch})
    rng = np.random.default_rng(0)
    images = rng.random((4 * batch, 1, 28, 28), dtype=np.float32)
    trainer, stream = build_trainer(cfg, 0, images)
    batches = [stream.next() for _ in range(4)]
    with use_threads(threads):
        for i in range(3):
            trainer.update(batches[i % 4])
        shapes = record_gemms(trainer, batches[0])
    replay = gemm_replay(shapes, rng)
    flops = sum(2 * m * k * n for m, k, n in shapes)

    def npgan_block():
        with use_threads(threads):
            for i in range(steps):
                trainer.update(batches[i % 4])

    def gemm_block():
        with threadpool_limits(limits=threads, user_api="blas"):
            for _ in range(steps):
                replay()

    blocks = {"npgan": npgan_block, "GEMM-only": gemm_block}
    torch_setting = None
    if with_torch:
        tstep, torch_setting = torch_step(batch, threads)
        if tstep is not None:
            def torch_block():
                for _ in range(steps):
                    tstep()
            blocks["PyTorch"] = torch_block
    for block in blocks.values():          # warm every side once more after the others ran
        block()
    times = {name: [] for name in blocks}
    names = list(blocks)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            blocks[name]()
            times[name].append((time.perf_counter() - t0) / steps)
    med = {name: 1e3 * statistics.median(ts) for name, ts in times.items()}
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))  # noqa: E731
    out = {"batch": batch, "threads": threads, "gemms": len(shapes), "gflop": flops / 1e9,
           "ms": med, "npgan/GEMM-only": ratio("npgan", "GEMM-only"), "torch_setting": torch_setting}
    if "PyTorch" in times:
        out["npgan/PyTorch"] = ratio("npgan", "PyTorch")
        out["GEMM-only/PyTorch"] = ratio("GEMM-only", "PyTorch")
    return out


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=8, help="rounds of blocks (default 8)")
    ap.add_argument("--steps", type=int, default=3, help="updates (or GEMM replays) per block (default 3)")
    ap.add_argument("--recipe", default="paper", help="npgan's recipe (MNIST settings; default paper)")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = ap.parse_args(argv)
    from npgan.kernels.alloc import keep_freed_memory
    kept = keep_freed_memory()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs; BLAS: {blas_kernels()}")
    forced = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if forced:
        print(f"WARNING: the environment forces OpenBLAS's kernels ({forced}); unset both in this "
              "command to measure the CPU's own kernels")
    print(f"{args.rounds} rounds x {args.steps} updates per block, blocks interleaved; medians; "
          f"ratios paired per round; freed memory kept for reuse: {kept}\n")
    head = (f"{'batch':>5} {'thr':>3} | {'npgan ms':>9} {'GEMM-only':>9} {'PyTorch':>9} | "
            f"{'npgan/GEMM':>10} {'npgan/PyTorch':>13} {'GEMM/PyTorch':>12} | PyTorch setting")
    print_table_head(head)
    results = []
    for threads in args.threads:
        for batch in args.batch_sizes:
            r = measure(batch, threads, args.rounds, args.steps, not args.no_torch, args.recipe)
            results.append(r)
            torch_ms = r["ms"].get("PyTorch")
            fmt = lambda v, f: (f % v) if v is not None else "-"  # noqa: E731
            print(f"{batch:>5} {threads:>3} | {r['ms']['npgan']:>9.1f} {r['ms']['GEMM-only']:>9.1f} "
                  f"{fmt(torch_ms, '%9.1f'):>9} | {r['npgan/GEMM-only']:>9.2f}x "
                  f"{fmt(r.get('npgan/PyTorch'), '%12.2fx'):>13} {fmt(r.get('GEMM-only/PyTorch'), '%11.2fx'):>12} | "
                  f"{r['torch_setting'] or '-'}", flush=True)
    return results


if __name__ == "__main__":
    main()
