"""The step benchmark's measurements (for ``bench_step.py``): npgan's step timed, instrumented by
phase and by layer, its memory, numba's first run, and PyTorch's step; ``run_measure`` is everything
one thread count measures, ``run_first_run`` a fresh process's first updates.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict

import numpy as np

from bench_step_gemm import add_gemm_only_ms, describe_layer, flops, gemm_shapes, measure_sgemm

HERE = os.path.dirname(os.path.abspath(__file__))

#: Phases of one update, in order (npgan's timeline and the PyTorch step use the same names).
PHASES = ("D real", "D fake gen", "D fake+Q", "Adam D", "G gen", "G fwd+bwd", "Adam G", "other")

#: Which piece of npgan's method timeline is which phase (see ``_Timeline.pieces``).
PHASE_OF = {
    "update > d_step: start -> sample_fake": "D real",
    "update > d_step > sample_fake": "D fake gen",
    "update > d_step: sample_fake -> opt_d.step": "D fake+Q",
    "update > d_step > opt_d.step": "Adam D",
    "update > g_step: start -> sample_fake": "G gen",      # G's zero_grad, as in the PyTorch step
    "update > g_step > sample_fake": "G gen",
    "update > g_step: sample_fake -> opt_g.step": "G fwd+bwd",
    "update > g_step > opt_g.step": "Adam G",
}
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MEMORY_LIMIT_MIB = 1024.0
_MIB = 2.0 ** 20


def log(msg: str) -> None:
    print(f"[bench_step] {msg}", file=sys.stderr, flush=True)


def stats_ms(seconds) -> dict:
    """Median, quartiles and minimum of a list of durations in seconds, in ms."""
    a = 1e3 * np.asarray(seconds, dtype=np.float64)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {"median": float(med), "q1": float(q1), "q3": float(q3), "min": float(a.min()), "n": int(a.size)}


def time_calls(fn, warmup: int, steps: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


# ------------------------------------------------------------------------------- memory probes
def _proc_status_kib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) of this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def blas_threads(n: int | None = None) -> int | None:
    """Get (and with ``n``, first set) the thread count of the OpenBLAS that NumPy loaded.

    Used in ``--in-process`` mode, where the environment variables come too late. threadpoolctl
    does this when installed; otherwise the OpenBLAS found in this process's memory map is called
    directly. Returns None when neither works.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        if n is not None:
            threadpool_limits(n, user_api="blas")
        return max((d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"), default=None)
    except ImportError:
        pass
    import ctypes
    for lib in _openblas_libs():
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    if n is not None:
                        setter(ctypes.c_int(n))
                    return int(getter())
    return None


def _openblas_libs() -> list:
    """The OpenBLAS libraries mapped into this process, opened with ctypes (none if /proc is unreadable)."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and ln.split()[-1].startswith("/")}
    except OSError:
        return []
    return [ctypes.CDLL(path) for path in sorted(paths)]


def openblas_corename() -> str | None:
    """The kernel family OpenBLAS chose at load (``OPENBLAS_CORETYPE`` overrides its CPU detection)."""
    import ctypes
    for lib in _openblas_libs():
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                     "openblas_get_corename"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux


# ----------------------------------------------------------------------------- instrumentation
class _Timeline:
    """Nested timings of the trainer's methods (update > d_step > sample_fake, opt_d.step, ...)."""

    def __init__(self):
        self.stack: list[dict] = []
        self.roots: list[dict] = []

    def wrap(self, obj, attr: str, name: str, undo: list) -> None:
        if not hasattr(obj, attr):
            return
        orig = getattr(obj, attr)

        def timed(*a, **k):
            node = {"name": name, "children": []}
            (self.stack[-1]["children"] if self.stack else self.roots).append(node)
            self.stack.append(node)
            node["t0"] = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                node["t1"] = time.perf_counter()
                self.stack.pop()

        setattr(obj, attr, timed)
        undo.append((obj, attr))

    @staticmethod
    def pieces(node: dict, path: str) -> list[tuple[str, float]]:
        """Split a call into its children and the gaps between them: [(path, seconds)] in time order."""
        kids = node["children"]
        if not kids:
            return [(path, node["t1"] - node["t0"])]
        out, seen = [], Counter()
        prev_t, prev = node["t0"], "start"
        for c in kids:
            seen[c["name"]] += 1
            cname = c["name"] if seen[c["name"]] == 1 else f"{c['name']}#{seen[c['name']]}"
            out.append((f"{path}: {prev} -> {cname}", c["t0"] - prev_t))
            out.extend(_Timeline.pieces(c, f"{path} > {cname}"))
            prev_t, prev = c["t1"], cname
        out.append((f"{path}: {prev} -> end", node["t1"] - prev_t))
        return out


class _Instrument:
    """Timers on the trainer's methods and on every leaf layer's forward/backward (per instance)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.undo: list = []
        self.timeline = _Timeline()
        self.layers: dict[str, dict] = {}
        self.step_layer: dict[str, Counter] = defaultdict(Counter)    # this step's sums
        self.per_step: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        tl = self.timeline
        tl.wrap(trainer, "update", "update", self.undo)
        tl.wrap(trainer, "d_step", "d_step", self.undo)
        tl.wrap(trainer, "g_step", "g_step", self.undo)
        tl.wrap(trainer, "sample_fake", "sample_fake", self.undo)
        tl.wrap(trainer.opt_d, "step", "opt_d.step", self.undo)
        tl.wrap(trainer.opt_g, "step", "opt_g.step", self.undo)
        nets = trainer.nets
        named = nets.modules() if hasattr(nets, "modules") else {
            k: getattr(nets, k) for k in ("G", "trunk", "d_head", "q_head")}
        for net_name, net in named.items():
            self._wrap_layer(net, f"{net_name} (network)", is_leaf=False)
            for sub, mod in net.named_modules():
                if next(iter(mod.children()), None) is None:
                    self._wrap_layer(mod, f"{net_name}.{sub}" if sub else net_name, is_leaf=True)

    def _wrap_layer(self, mod, key: str, is_leaf: bool) -> None:
        rec = self.layers.setdefault(key, {"leaf": is_leaf, "desc": type(mod).__name__, "type": type(mod).__name__})
        fwd, bwd = mod.forward, mod.backward
        last = {}
        acc = self.step_layer

        def timed(fn, phase: str, *a, **k):
            """``fn(*a, **k)`` timed, its seconds and one call added to this step's sums of the layer
            under ``phase`` ("fwd" or "bwd"): (its result, the sums)."""
            t0 = time.perf_counter()
            out = fn(*a, **k)
            dt = time.perf_counter() - t0
            s = acc[key]
            s[f"{phase}_s"] += dt
            s[f"{phase}_calls"] += 1
            return out, s

        def forward(x, *a, **k):
            y, s = timed(fwd, "fwd", x, *a, **k)
            if is_leaf:
                g = gemm_shapes(mod, x.shape, y.shape)
                last["g"] = g
                rec["desc"] = describe_layer(mod, x.shape, y.shape)
                if g is not None:
                    s["fwd_flops"] += flops(g["fwd"])
                    s[("fwd",) + g["fwd"]] += 1
            return y

        def backward(dy, *a, **k):
            need_dx = k.get("need_dx", a[0] if a else True)
            dx, s = timed(bwd, "bwd", dy, *a, **k)
            g = last.get("g") if is_leaf else None
            if g is not None:
                # a frozen layer (requires_grad False: D's layers in the G step) skips its dW GEMM
                if getattr(mod, "requires_grad", True):
                    s["bwd_flops"] += flops(g["dw"])
                    s[("dw",) + g["dw"]] += 1
                if need_dx:
                    s["bwd_flops"] += flops(g["dx"])
                    s[("dx",) + g["dx"]] += 1
            return dx

        mod.forward, mod.backward = forward, backward
        self.undo += [(mod, "forward"), (mod, "backward")]

    def end_step(self) -> None:
        """Fold this step's per-layer sums into the per-step lists."""
        for key, s in self.step_layer.items():
            for field, v in s.items():
                self.per_step[key][field].append(v)
        self.step_layer.clear()

    def remove(self) -> None:
        for obj, attr in reversed(self.undo):
            delattr(obj, attr)
        self.undo.clear()


def _summarise_instrumented(inst: _Instrument, n_steps: int) -> dict:
    """Per-phase and per-layer medians over the instrumented steps."""
    phase_steps = defaultdict(lambda: [0.0] * n_steps)
    piece_steps = defaultdict(lambda: [0.0] * n_steps)
    totals = []
    for i, root in enumerate(inst.timeline.roots[-n_steps:]):
        totals.append(root["t1"] - root["t0"])
        for path, dt in _Timeline.pieces(root, "update"):
            phase_steps[PHASE_OF.get(path, "other")][i] += dt
            piece_steps[path][i] += dt
    phases = {p: 1e3 * float(np.median(phase_steps[p])) if p in phase_steps else 0.0 for p in PHASES}
    pieces = {k: 1e3 * float(np.median(v)) for k, v in piece_steps.items()}
    layers = {}
    for key, rec in inst.layers.items():
        ps = inst.per_step.get(key)
        if not ps:
            continue
        med = {f: float(np.median(v)) for f, v in ps.items() if isinstance(f, str)}
        gemm_counts = {f: int(np.median(v)) for f, v in ps.items() if isinstance(f, tuple)}
        fwd_ms, bwd_ms = 1e3 * med.get("fwd_s", 0.0), 1e3 * med.get("bwd_s", 0.0)
        gflop = (med.get("fwd_flops", 0.0) + med.get("bwd_flops", 0.0)) / 1e9
        fwd_calls = med.get("fwd_calls", 0.0)
        layers[key] = {
            "desc": rec["desc"], "type": rec["type"], "leaf": rec["leaf"],
            "fwd_calls": fwd_calls, "bwd_calls": med.get("bwd_calls", 0.0),
            "fwd_ms": fwd_ms, "bwd_ms": bwd_ms,
            "fwd_gflop": med.get("fwd_flops", 0.0) / 1e9, "bwd_gflop": med.get("bwd_flops", 0.0) / 1e9,
            "fwd_flops_per_call": (med.get("fwd_flops", 0.0) / fwd_calls) if fwd_calls else 0.0,
            "gflops": gflop / ((fwd_ms + bwd_ms) / 1e3) if gflop and fwd_ms + bwd_ms > 0 else None,
            "gemms": [[kind, m, k, n, c] for (kind, m, k, n), c in sorted(gemm_counts.items())],
        }
    return {"instrumented_step_ms": stats_ms(totals), "phases": phases, "pieces": pieces, "layers": layers}


#: Kinds of work, for npgan's layers and PyTorch's profiled ops alike.
KINDS = ("linear layers", "conv layers", "batch norm", "activations", "other layers", "Adam", "rest")


def _time_split(r: dict) -> dict:
    """Where an instrumented step's time goes, by kind (see ``KINDS``); ms per step."""
    split = Counter()
    for rec in r["layers"].values():
        if not rec["leaf"]:
            continue
        ms = rec["fwd_ms"] + rec["bwd_ms"]
        if rec["gemms"]:
            split["conv layers" if "Conv" in rec["type"] else "linear layers"] += ms
        elif "BatchNorm" in rec["type"]:
            split["batch norm"] += ms
        elif rec["type"] in ("ReLU", "LeakyReLU", "Sigmoid", "Tanh"):
            split["activations"] += ms
        else:
            split["other layers"] += ms
    split["Adam"] = r["phases"]["Adam D"] + r["phases"]["Adam G"]
    split["rest"] = r["instrumented_step_ms"]["median"] - sum(split.values())
    return dict(split)


def _torch_kind(op: str) -> str:
    name = op.lower()
    if "adam" in name or "_foreach" in name:
        return "Adam"
    if "conv" in name:
        return "conv layers"
    if name in ("aten::mm", "aten::addmm", "aten::bmm", "aten::linear", "aten::matmul"):
        return "linear layers"
    if "batch_norm" in name:
        return "batch norm"
    if any(a in name for a in ("relu", "sigmoid", "threshold", "clamp_min", "tanh")):
        return "activations"
    return "rest"


# ------------------------------------------------------------------------------ npgan timing
def _build_npgan(batch: int, seed: int = 0):
    """The trainer exactly as ``npgan train`` builds it, plus a few random real batches."""
    from npgan.models.infogan import InfoGANConfig
    from npgan.train.build import build_trainer
    rng = np.random.default_rng(seed + 1000)
    images = rng.random((4 * batch, 1, 28, 28), dtype=np.float32)
    trainer, stream = build_trainer(InfoGANConfig(batch_size=batch), seed, images)
    return trainer, [stream.next() for _ in range(4)]


def _cycle(trainer, batches):
    it = [0]

    def step():
        trainer.update(batches[it[0] % len(batches)])
        it[0] += 1
    return step


def measure_npgan(batch: int, warmup: int, steps: int, breakdown_steps: int) -> dict:
    trainer, batches = _build_npgan(batch)
    step = _cycle(trainer, batches)
    step_s = time_calls(step, warmup, steps)
    inst = _Instrument(trainer)
    try:
        for _ in range(breakdown_steps):
            step()
            inst.end_step()
    finally:
        inst.remove()
    out = {"step_ms": stats_ms(step_s)}
    out.update(_summarise_instrumented(inst, breakdown_steps))
    out["gflop"] = sum(r["fwd_gflop"] + r["bwd_gflop"] for r in out["layers"].values() if r["leaf"])
    out["time_split_ms"] = _time_split(out)
    out["gflops"] = out["gflop"] / (out["step_ms"]["median"] / 1e3)
    return out


def measure_memory(batch: int) -> dict:
    """Peak memory while building the trainer and running two updates at ``batch``.

    ``numpy_peak_mib``: tracemalloc's peak over the Python heap and NumPy's buffers allocated from
    the start of the measurement (parameters, gradients, Adam moments, the conv kernels' scratch
    buffers and each step's temporaries; numba-internal allocations are not traced).
    ``rss_peak_growth_mib``: the kernel's RSS high-water mark over the same span minus the RSS
    before it (everything, numba included). ``maxrss_mib``: the process's whole-life peak so far.
    """
    try:
        from npgan.kernels import clear_scratch
        clear_scratch()
    except ImportError:
        pass
    gc.collect()
    hwm_ok = _reset_peak_rss()
    rss0 = _proc_status_kib("VmRSS")
    tracemalloc.start()
    try:
        trainer, batches = _build_npgan(batch)
        after_build, _ = tracemalloc.get_traced_memory()
        step = _cycle(trainer, batches)
        step()
        tracemalloc.reset_peak()
        before_step, _ = tracemalloc.get_traced_memory()
        step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    hwm = _proc_status_kib("VmHWM")
    state = 0          # parameters, gradients, BN buffers and Adam's moments
    for net in trainer.nets.modules().values():
        for d in (net.parameters(), net.gradients(), net.named_buffers()):
            state += sum(a.nbytes for a in d.values())
    for opt in (trainer.opt_d, trainer.opt_g):
        state += sum(a.nbytes for arrays in getattr(opt, "state", {}).values() for a in arrays)
    out = {
        "batch": batch,
        "numpy_peak_mib": peak / _MIB,
        "numpy_after_build_mib": after_build / _MIB,
        "numpy_before_step_mib": before_step / _MIB,
        "step_transient_mib": (peak - before_step) / _MIB,
        "persistent_state_mib": state / _MIB,
        "rss_peak_growth_mib": (hwm - rss0) / 1024.0 if hwm_ok and hwm and rss0 else None,
        "maxrss_mib": maxrss_mib(),
    }
    del trainer, batches
    gc.collect()
    return out


# ------------------------------------------------------------------------------------ PyTorch
TORCH_SKIPPED = "PyTorch not installed: comparison skipped"


def measure_torch(batches, threads: int, warmup: int, steps: int, trial_steps: int, profile_steps: int) -> dict:
    try:
        import torch
    except ImportError:
        return {"skipped": TORCH_SKIPPED}
    sys.path.insert(0, HERE)
    import torch_infogan as ti
    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = True
    out = {"version": torch.__version__, "num_threads": torch.get_num_threads(),
           "mkldnn": bool(torch.backends.mkldnn.is_available()), "batches": {}}
    variants = [(adam, cl) for adam in ("foreach", "fused") for cl in (False, True)]
    for batch in batches:
        log(f"  PyTorch batch {batch}: trying {len(variants)} settings")
        x = torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(1))
        trials = {}
        for adam, cl in variants:
            name = f"adam={adam}, {'channels_last' if cl else 'NCHW'}"
            try:
                m = ti.TorchInfoGAN(adam, cl)
                trials[name] = 1e3 * float(np.median(time_calls(lambda: m.update(x), 1, trial_steps)))
            except Exception as e:     # a setting this build does not support
                trials[name] = f"failed: {type(e).__name__}: {e}"
        ok = {k: v for k, v in trials.items() if isinstance(v, float)}
        best = min(ok, key=ok.get)
        adam, cl = variants[list(trials).index(best)]
        m = ti.TorchInfoGAN(adam, cl)
        phase_steps = defaultdict(list)

        def step():
            m.update(x)
            for p, v in m.phases.items():
                phase_steps[p].append(v)
        step_s = time_calls(step, warmup, steps)
        phases = {p: 1e3 * float(np.median(phase_steps[p][-steps:])) for p in PHASES if p in phase_steps}
        phases["other"] = max(0.0, 1e3 * float(np.median(step_s)) - sum(phases.values()))
        res = {"trials_ms": trials, "best": best, "step_ms": stats_ms(step_s), "phases": phases}
        if profile_steps:
            res["top_ops"], res["time_split_ms"] = _torch_profile(m, x, profile_steps, res["step_ms"]["median"])
        out["batches"][str(batch)] = res
    return out


def _torch_profile(m, x, n_steps: int, step_ms: float, top: int = 15) -> tuple[list[dict], dict]:
    """Top ops by self CPU time (ms per step) and the time by kind, scaled to the unprofiled step."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(n_steps):
            m.update(x)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    split = Counter()
    for e in events:
        split[_torch_kind(e.key)] += e.self_cpu_time_total / 1e3 / n_steps
    total = sum(split.values())
    split = {k: v * step_ms / total for k, v in split.items()} if total > 0 else dict(split)
    rows = [{"op": e.key, "self_ms": e.self_cpu_time_total / 1e3 / n_steps, "calls": e.count / n_steps}
            for e in events[:top]]
    return rows, split


# ------------------------------------------------------------------------------- child work
def run_measure(threads: int, args) -> dict:
    """Everything measured at one thread count (runs in the child process that has its env set)."""
    t_start = time.perf_counter()
    out = {"threads": threads,
           "env": {k: os.environ.get(k) for k in (*THREAD_VARS, "NUMBA_NUM_THREADS", "OPENBLAS_CORETYPE")},
           "openblas_core": openblas_corename(),
           "loadavg_start": list(os.getloadavg())}
    out["blas_threads"] = blas_threads(threads if args.in_process else None)
    batches = args.batch_sizes
    from npgan.kernels.threads import use_threads
    with use_threads(threads) as pool:   # npgan's thread policy, as training applies it
        out["npgan_pool"] = pool
        log(f"threads={threads}: warming up numba kernels")
        warm_trainer, warm_batches = _build_npgan(min(8, min(batches)))
        _cycle(warm_trainer, warm_batches)()
        del warm_trainer, warm_batches
        log(f"threads={threads}: memory at batch {max(batches)}")
        out["memory"] = measure_memory(max(batches))
        out["npgan"] = {}
        shapes = []
        for b in batches:
            log(f"threads={threads}: npgan batch {b}: {args.warmup} warm-up + {args.steps} timed + "
                 f"{args.breakdown_steps} instrumented steps")
            r = measure_npgan(b, args.warmup, args.steps, args.breakdown_steps)
            out["npgan"][str(b)] = r
            shapes += [(m, k, n) for rec in r["layers"].values() for _, m, k, n, _c in rec["gemms"]]
    out["maxrss_after_npgan_mib"] = maxrss_mib()
    log(f"threads={threads}: SGEMM throughput")
    out["sgemm"] = measure_sgemm(512 if args.quick else 2048, shapes, args.quick)
    for r in out["npgan"].values():
        add_gemm_only_ms(r["layers"], out["sgemm"])
        r["gemm_only_ms"] = sum(rec.get("gemm_only_ms", 0.0) for rec in r["layers"].values() if rec["leaf"])
        weights = r["time_split_ms"].get("linear layers", 0.0) + r["time_split_ms"].get("conv layers", 0.0)
        r["beyond_gemm_ms"] = weights - r["gemm_only_ms"]
    if args.no_torch:
        out["torch"] = {"skipped": "--no-torch given: comparison skipped"}
    else:
        out["torch"] = measure_torch(batches, threads, args.warmup, args.steps, args.trial_steps,
                                     args.profile_steps)
    out["loadavg_end"] = list(os.getloadavg())
    out["wall_s"] = time.perf_counter() - t_start
    return out


def _numba_cache_counts() -> tuple[int, int]:
    """(loaded from numba's on-disk cache, compiled) over npgan's numba dispatchers used so far."""
    hits = misses = 0
    for name, mod in list(sys.modules.items()):
        if not name.startswith("npgan") or mod is None:
            continue
        for obj in list(vars(mod).values()):
            stats = getattr(obj, "stats", None)
            if stats is not None and hasattr(stats, "cache_hits") and hasattr(obj, "py_func"):
                hits += sum(stats.cache_hits.values())
                misses += sum(stats.cache_misses.values())
    return hits, misses


def run_first_run(batch: int) -> dict:
    """A fresh process's import, build and first three updates (numba compiles or loads its cache)."""
    t0 = time.perf_counter()
    import npgan.train.loop  # noqa: F401  (imports the models, layers and kernels)
    import npgan.train.step  # noqa: F401
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    trainer, batches = _build_npgan(batch)
    build_s = time.perf_counter() - t0
    updates = time_calls(_cycle(trainer, batches), 0, 3)
    hits, misses = _numba_cache_counts()
    return {"batch": batch, "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"), "import_s": import_s,
            "build_s": build_s, "update_s": updates, "first_run_overhead_s": updates[0] - updates[2],
            "kernels_loaded_from_cache": hits, "kernels_compiled": misses}
