"""The step benchmark's report (for ``bench_step.py``): ``print_report(results)`` prints the
tables, and a WARNING where OpenBLAS ran kernels narrower than the CPU offers.
"""

from __future__ import annotations

from collections import defaultdict

from bench_step_gemm import flops
from bench_step_measure import KINDS, MEMORY_LIMIT_MIB, PHASE_OF, PHASES


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


#: OpenBLAS kernel families that use AVX-512 (the others on an AVX-512 CPU leave half its SIMD width unused)
_AVX512_CORES = {"skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"}


def _kernel_warnings(runs: dict) -> list[str]:
    """A WARNING line for every run whose OpenBLAS kernels were forced below what the CPU offers."""
    lines = []
    if "avx512f" not in _cpu_flags():
        return lines
    for t, r in runs.items():
        core, forced = (r.get("openblas_core") or ""), r["env"].get("OPENBLAS_CORETYPE")
        if core and core.lower() not in _AVX512_CORES:
            why = f"OPENBLAS_CORETYPE={forced} in the environment" if forced else "OpenBLAS's CPU detection"
            lines.append(f"WARNING (threads={t}): OpenBLAS ran its {core} kernels on this AVX-512 CPU ({why}); "
                         "NumPy's SGEMM is then slower than the CPU allows. Run with --openblas-coretype '' "
                         "(or unset OPENBLAS_CORETYPE) to measure the CPU's own kernels.")
    return lines


def _fmt_stats(s: dict) -> str:
    return f"{s['median']:7.1f} [{s['q1']:.0f}-{s['q3']:.0f}]"


def print_report(res: dict) -> None:
    meta, cfg = res["meta"], res["config"]
    p = print
    p(f"\nInfoGAN training step benchmark: {meta['cpu']}, {meta['cpu_count']} CPUs; "
      f"numpy {meta['numpy']} ({meta['blas']}), numba {meta['numba']}, python {meta['python']}")
    if meta.get("blas_config"):
        p(f"BLAS: {meta['blas_config']}")
    p(f"{cfg['steps']} timed steps after {cfg['warmup']} warm-up; breakdowns from {cfg['breakdown_steps']} "
      f"instrumented steps; float32; FLOPs = GEMM work only (2*M*K*N per forward/weight-grad/input-grad GEMM)")
    runs = res["runs"]
    for line in _kernel_warnings(runs):
        p(line)
    for t, r in runs.items():
        p(f"threads={t}: npgan's pool {r.get('npgan_pool')} thread(s), BLAS 1 thread per call inside it; "
          f"for SGEMM/PyTorch: OpenBLAS threads {r.get('blas_threads')}, kernels {r.get('openblas_core')} "
          f"(OPENBLAS_CORETYPE={r['env'].get('OPENBLAS_CORETYPE')}), "
          f"NUMBA_NUM_THREADS {r['env'].get('NUMBA_NUM_THREADS')}; "
          f"load average (1 min) {r['loadavg_start'][0]:.2f} at start, {r['loadavg_end'][0]:.2f} at end"
          f"{'  (busy machine: timings are noisy)' if r['loadavg_start'][0] > 0.5 else ''}")
    p("\nSGEMM (NumPy float32 matmul, square)")
    for t, r in runs.items():
        s = r["sgemm"]
        p(f"  threads={t}: {s['square']}^3: {s['square_gflops']:.1f} GFLOP/s")
    b_max = str(max(cfg["batch_sizes"]))
    uses = defaultdict(list)
    for key, rec in next(iter(runs.values()))["npgan"][b_max]["layers"].items():
        for kind, m, k, n, _ in rec["gemms"]:
            uses["x".join(map(str, (m, k, n)))].append(f"{key} {kind}")
    p(f"SGEMM at the step's GEMM shapes, batch {b_max} (M x K x N; GFLOP/s per thread count)")
    p(f"  {'M x K x N':>16}  " + "  ".join(f"{'thr=' + t:>6}" for t in runs) + "   used by")
    for shape, users in sorted(uses.items(), key=lambda kv: -flops(map(int, kv[0].split("x")))):
        rates = "  ".join(f"{r['sgemm']['shapes'][shape]['gflops']:6.1f}" for r in runs.values())
        p(f"  {shape:>16}  {rates}   {', '.join(users)}")
    p("\nTraining step, ms: median [q1-q3]; GFLOP/s of the GEMM work; %SGEMM = GFLOP/s / square SGEMM's;\n"
      "GEMM-only = the step's GEMMs alone at NumPy's speed for their shapes")
    head = (f"  {'batch':>5} {'thr':>3} | {'npgan ms':>17} {'GFLOP':>6} {'GFLOP/s':>7} {'%SGEMM':>6} "
            f"{'GEMM-only':>9} | "
            f"{'PyTorch ms':>17} {'GFLOP/s':>7} {'setting':<30} | {'npgan/PyTorch':>13}")
    p(head)
    p("  " + "-" * (len(head) - 2))
    torch_note = None
    for t, r in runs.items():
        for b, n in r["npgan"].items():
            pct = 100 * n["gflops"] / r["sgemm"]["square_gflops"]
            line = (f"  {b:>5} {t:>3} | {_fmt_stats(n['step_ms']):>17} {n['gflop']:6.1f} {n['gflops']:7.1f} "
                    f"{pct:5.0f}% {n['gemm_only_ms']:6.1f} ms | ")
            tb = r["torch"].get("batches", {}).get(b)
            if tb:
                tg = n["gflop"] / (tb["step_ms"]["median"] / 1e3)
                ratio = n["step_ms"]["median"] / tb["step_ms"]["median"]
                line += f"{_fmt_stats(tb['step_ms']):>17} {tg:7.1f} {tb['best']:<30} | {ratio:12.2f}x"
            else:
                torch_note = r["torch"].get("skipped")
                line += f"{'-':>17} {'-':>7} {'':<30} | {'-':>13}"
            p(line)
    if torch_note:
        p(f"  {torch_note}")
    for t, r in runs.items():
        for b, n in r["npgan"].items():
            tb = r["torch"].get("batches", {}).get(b)
            p(f"\nPhases, batch {b}, {t} thread(s) (median ms per step)")
            p(f"  {'phase':<12} {'npgan':>8} {'PyTorch':>8}")
            for ph in PHASES:
                tv = f"{tb['phases'].get(ph, 0.0):8.1f}" if tb else f"{'-':>8}"
                p(f"  {ph:<12} {n['phases'][ph]:8.1f} {tv}")
            tot_t = f"{tb['step_ms']['median']:8.1f}" if tb else f"{'-':>8}"
            p(f"  {'step':<12} {n['instrumented_step_ms']['median']:8.1f} {tot_t}   (npgan: instrumented steps)")
            sp = n["time_split_ms"]
            tk = tb.get("time_split_ms") if tb else None
            p(f"  {'by kind':<12} {'npgan':>8} {'PyTorch':>8}   (PyTorch: profiler self times, scaled to its step)")
            for k in KINDS:
                tv = f"{tk.get(k, 0.0):8.1f}" if tk else f"{'-':>8}"
                p(f"  {k:<12} {sp.get(k, 0.0):8.1f} {tv}")
            p(f"  npgan's linear + conv layers: GEMM-only {n['gemm_only_ms']:.1f} ms (NumPy's SGEMM at their shapes), "
              f"beyond GEMM {n['beyond_gemm_ms']:.1f} ms (im2col/col2im, bias, copies, temporaries)")
            other = n["phases"]["other"]
            if other > 0.05 * n["instrumented_step_ms"]["median"]:
                p("  npgan's 'other' time is large; the method timeline's pieces (ms):")
                for path, ms in n["pieces"].items():
                    if path not in PHASE_OF and ms > 0.1:
                        p(f"    {path}: {ms:.1f}")
            if tb:
                p(f"  PyTorch settings tried (ms): " + ", ".join(
                    f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in tb["trials_ms"].items()))
    t_max = max(runs, key=int)
    r = runs[t_max]
    for b, n in r["npgan"].items():
        p(f"\nLayers, batch {b}, {t_max} thread(s) (ms per step, summed over the step's calls)")
        hl = (f"  {'layer':<11} {'':<34} {'calls f/b':>9} {'fwd ms':>7} {'bwd ms':>7} {'GFLOP':>6} {'GFLOP/s':>7} "
              f"{'GEMM-only':>9}")
        p(hl)
        for key, rec in n["layers"].items():
            if not rec["leaf"]:
                continue
            gf = rec["fwd_gflop"] + rec["bwd_gflop"]
            p(f"  {key:<11} {rec['desc'][:34]:<34} {rec['fwd_calls']:>4.0f}/{rec['bwd_calls']:<4.0f} "
              f"{rec['fwd_ms']:7.2f} {rec['bwd_ms']:7.2f} {gf:6.2f} "
              f"{rec['gflops'] if rec['gflops'] else 0:7.1f} "
              + (f"{rec['gemm_only_ms']:6.2f} ms" if 'gemm_only_ms' in rec else ""))
        for key, rec in n["layers"].items():
            if not rec["leaf"]:
                p(f"  {key:<46} {rec['fwd_calls']:>4.0f}/{rec['bwd_calls']:<4.0f} "
                  f"{rec['fwd_ms']:7.2f} {rec['bwd_ms']:7.2f}")
        tb = r["torch"].get("batches", {}).get(b)
        if tb and tb.get("top_ops"):
            p(f"  PyTorch's top ops by self time, batch {b}, {t_max} thread(s) (ms per step, calls per step):")
            for op in tb["top_ops"]:
                p(f"    {op['op']:<48} {op['self_ms']:7.2f} {op['calls']:6.0f}")
    mem = r["memory"]
    ok = mem["numpy_peak_mib"] < MEMORY_LIMIT_MIB and (mem["rss_peak_growth_mib"] or 0) < MEMORY_LIMIT_MIB
    p(f"\nMemory, batch {mem['batch']} ({t_max} thread(s)): NumPy peak {mem['numpy_peak_mib']:.0f} MiB (tracemalloc, "
      f"from building the trainer through two updates; parameters, gradients and Adam moments "
      f"{mem['persistent_state_mib']:.0f} MiB, "
      f"one step's transients {mem['step_transient_mib']:.0f} MiB); RSS peak growth "
      + (f"{mem['rss_peak_growth_mib']:.0f} MiB" if mem["rss_peak_growth_mib"] is not None else "n/a")
      + f"; process max RSS {r['maxrss_after_npgan_mib']:.0f} MiB (interpreter, numba and all batch sizes); "
      f"limit {MEMORY_LIMIT_MIB:.0f} MiB: {'OK' if ok else 'EXCEEDED'}")
    fr = res.get("first_run", {})
    if fr:
        p("\nnumba first run (fresh process): import, build, updates 1-3; overhead = update 1 - update 3")
        for kind, f in fr.items():
            if "error" in f:
                p(f"  {kind} cache: {f['error']}")
                continue
            u = f["update_s"]
            p(f"  {kind:>4} cache (batch {f['batch']}): import {f['import_s']:.2f} s, build {f['build_s']:.2f} s, "
              f"updates {u[0]:.2f} / {u[1]:.2f} / {u[2]:.2f} s, first-run overhead {f['first_run_overhead_s']:.2f} s; "
              f"kernels compiled {f['kernels_compiled']}, loaded from cache {f['kernels_loaded_from_cache']}")
