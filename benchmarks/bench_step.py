"""Benchmark one InfoGAN training step: npgan against PyTorch on the same CPU.

Times ``InfoGANTrainer.update(x_real)`` (one D step, then one G step, Adam) on npgan's paper-recipe
networks, built as training builds them (``npgan.train.loop.build_trainer``), on random real batches
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

Usage::

    python benchmarks/bench_step.py                       # batch 64 and 128, 1 and 2 threads
    python benchmarks/bench_step.py --batch-sizes 128 --threads 2 --json step.json
    python benchmarks/bench_step.py --openblas-coretype ''   # let OpenBLAS pick its kernels
    python benchmarks/bench_step.py --quick --no-torch    # smoke run
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

#: Phases of one update, in order (npgan's timeline and the PyTorch step use the same names).
PHASES = ("D real", "D fake gen", "D fake+Q", "Adam D", "G gen", "G fwd+bwd", "Adam G", "other")

#: Which piece of npgan's method timeline is which phase (see ``_Timeline.pieces``).
_PHASE_OF = {
    "update > d_step: start -> sample_fake": "D real",
    "update > d_step > sample_fake": "D fake gen",
    "update > d_step: sample_fake -> opt_d.step": "D fake+Q",
    "update > d_step > opt_d.step": "Adam D",
    "update > g_step: start -> sample_fake": "G gen",      # G's zero_grad, as in the PyTorch step
    "update > g_step > sample_fake": "G gen",
    "update > g_step: sample_fake -> opt_g.step": "G fwd+bwd",
    "update > g_step > opt_g.step": "Adam G",
}
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MEMORY_LIMIT_MIB = 1024.0
_MIB = 2.0 ** 20


def _log(msg: str) -> None:
    print(f"[bench_step] {msg}", file=sys.stderr, flush=True)


def _stats_ms(seconds) -> dict:
    """Median, quartiles and minimum of a list of durations in seconds, in ms."""
    a = 1e3 * np.asarray(seconds, dtype=np.float64)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {"median": float(med), "q1": float(q1), "q3": float(q3), "min": float(a.min()), "n": int(a.size)}


def _time_calls(fn, warmup: int, steps: int) -> list[float]:
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


def _blas_threads(n: int | None = None) -> int | None:
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


def _openblas_corename() -> str | None:
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


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux


# --------------------------------------------------------------------------------- FLOP model
def _gemms(mod, x_shape, y_shape):
    """The (M, K, N) of a weight layer's forward, weight-gradient and input-gradient GEMMs, or None.

    Duck-typed on the weight's rank so fused layers with a Linear- or conv-shaped ``weight`` count
    too: (out, in) is a fully connected layer; (C_out, C_in, kh, kw) a convolution, (C_in, C_out,
    kh, kw) a transposed one (the adjoint: its GEMMs are those of the conv it transposes).
    """
    w = getattr(mod, "params", {}).get("weight")
    if w is None or w.ndim not in (2, 4):
        return None
    if w.ndim == 2:
        out, inn = w.shape
        rows = int(np.prod(x_shape[:-1]))
        return {"fwd": (rows, inn, out), "dw": (out, rows, inn), "dx": (rows, out, inn)}
    if "Transpose" not in type(mod).__name__:
        c_out, c_in, kh, kw = w.shape
        p, kc = y_shape[0] * y_shape[2] * y_shape[3], c_in * kh * kw
        return {"fwd": (c_out, kc, p), "dw": (c_out, p, kc), "dx": (kc, c_out, p)}
    c_in, c_out, kh, kw = w.shape
    p, kc = x_shape[0] * x_shape[2] * x_shape[3], c_out * kh * kw
    return {"fwd": (kc, c_in, p), "dw": (c_in, p, kc), "dx": (c_in, kc, p)}


def _flops(mkn) -> int:
    m, k, n = tuple(mkn)
    return 2 * m * k * n


def _describe(mod, x_shape, y_shape) -> str:
    name = type(mod).__name__
    w = getattr(mod, "params", {}).get("weight")
    if w is not None and w.ndim == 2:
        return f"{name} {w.shape[1]}->{w.shape[0]}"
    if w is not None and w.ndim == 4:
        c_in, c_out = (w.shape[0], w.shape[1]) if "Transpose" in name else (w.shape[1], w.shape[0])
        return f"{name} {c_in}->{c_out} k{w.shape[2]} {x_shape[-1]}->{y_shape[-1]}"
    if len(y_shape) >= 2:
        return f"{name} {tuple(y_shape[1:])}"
    return name


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

        def forward(x, *a, **k):
            t0 = time.perf_counter()
            y = fwd(x, *a, **k)
            dt = time.perf_counter() - t0
            s = acc[key]
            s["fwd_s"] += dt
            s["fwd_calls"] += 1
            if is_leaf:
                g = _gemms(mod, x.shape, y.shape)
                last["g"] = g
                rec["desc"] = _describe(mod, x.shape, y.shape)
                if g is not None:
                    s["fwd_flops"] += _flops(g["fwd"])
                    s[("fwd",) + g["fwd"]] += 1
            return y

        def backward(dy, *a, **k):
            need_dx = k.get("need_dx", a[0] if a else True)
            t0 = time.perf_counter()
            dx = bwd(dy, *a, **k)
            dt = time.perf_counter() - t0
            s = acc[key]
            s["bwd_s"] += dt
            s["bwd_calls"] += 1
            g = last.get("g") if is_leaf else None
            if g is not None:
                # a frozen layer (requires_grad False: D's layers in the G step) skips its dW GEMM
                if getattr(mod, "requires_grad", True):
                    s["bwd_flops"] += _flops(g["dw"])
                    s[("dw",) + g["dw"]] += 1
                if need_dx:
                    s["bwd_flops"] += _flops(g["dx"])
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
            phase_steps[_PHASE_OF.get(path, "other")][i] += dt
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
    return {"instrumented_step_ms": _stats_ms(totals), "phases": phases, "pieces": pieces, "layers": layers}


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
    from npgan.train.loop import build_trainer
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
    step_s = _time_calls(step, warmup, steps)
    inst = _Instrument(trainer)
    try:
        for _ in range(breakdown_steps):
            step()
            inst.end_step()
    finally:
        inst.remove()
    out = {"step_ms": _stats_ms(step_s)}
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
        "maxrss_mib": _maxrss_mib(),
    }
    del trainer, batches
    gc.collect()
    return out


# ------------------------------------------------------------------------------------- SGEMM
def _gemm_seconds(m: int, k: int, n: int, min_time: float, max_reps: int, rng) -> float:
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    times: list[float] = []
    while len(times) < 3 or (sum(times) < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure_sgemm(square: int, shapes, quick: bool) -> dict:
    rng = np.random.default_rng(0)
    min_time, reps = (0.0, 3) if quick else (0.05, 20)
    t = _gemm_seconds(square, square, square, 0.2 if not quick else 0.0, 10 if not quick else 3, rng)
    out = {"square": square, "square_gflops": 2 * square ** 3 / t / 1e9, "shapes": {}}
    for mkn in sorted(set(shapes)):
        ts = _gemm_seconds(*mkn, min_time, reps, rng)
        out["shapes"]["x".join(map(str, mkn))] = {"ms": 1e3 * ts, "gflops": _flops(mkn) / ts / 1e9}
    return out


def _gemm_only_ms(layers: dict, sgemm: dict) -> None:
    """Add each layer's GEMM-only time (its GEMMs at the SGEMM table's speed) in place."""
    for rec in layers.values():
        if rec["gemms"]:
            rec["gemm_only_ms"] = sum(c * sgemm["shapes"]["x".join(map(str, (m, k, n)))]["ms"]
                                      for _, m, k, n, c in rec["gemms"])


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
        _log(f"  PyTorch batch {batch}: trying {len(variants)} settings")
        x = torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(1))
        trials = {}
        for adam, cl in variants:
            name = f"adam={adam}, {'channels_last' if cl else 'NCHW'}"
            try:
                m = ti.TorchInfoGAN(adam, cl)
                trials[name] = 1e3 * float(np.median(_time_calls(lambda: m.update(x), 1, trial_steps)))
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
        step_s = _time_calls(step, warmup, steps)
        phases = {p: 1e3 * float(np.median(phase_steps[p][-steps:])) for p in PHASES if p in phase_steps}
        phases["other"] = max(0.0, 1e3 * float(np.median(step_s)) - sum(phases.values()))
        res = {"trials_ms": trials, "best": best, "step_ms": _stats_ms(step_s), "phases": phases}
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
           "env": {k: os.environ.get(k) for k in (*_THREAD_VARS, "NUMBA_NUM_THREADS", "OPENBLAS_CORETYPE")},
           "openblas_core": _openblas_corename(),
           "loadavg_start": list(os.getloadavg())}
    out["blas_threads"] = _blas_threads(threads if args.in_process else None)
    batches = args.batch_sizes
    from npgan.kernels.threads import use_threads
    with use_threads(threads) as pool:   # npgan's thread policy, as training applies it
        out["npgan_pool"] = pool
        _log(f"threads={threads}: warming up numba kernels")
        warm_trainer, warm_batches = _build_npgan(min(8, min(batches)))
        _cycle(warm_trainer, warm_batches)()
        del warm_trainer, warm_batches
        _log(f"threads={threads}: memory at batch {max(batches)}")
        out["memory"] = measure_memory(max(batches))
        out["npgan"] = {}
        shapes = []
        for b in batches:
            _log(f"threads={threads}: npgan batch {b}: {args.warmup} warm-up + {args.steps} timed + "
                 f"{args.breakdown_steps} instrumented steps")
            r = measure_npgan(b, args.warmup, args.steps, args.breakdown_steps)
            out["npgan"][str(b)] = r
            shapes += [(m, k, n) for rec in r["layers"].values() for _, m, k, n, _c in rec["gemms"]]
    out["maxrss_after_npgan_mib"] = _maxrss_mib()
    _log(f"threads={threads}: SGEMM throughput")
    out["sgemm"] = measure_sgemm(512 if args.quick else 2048, shapes, args.quick)
    for r in out["npgan"].values():
        _gemm_only_ms(r["layers"], out["sgemm"])
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
    updates = _time_calls(_cycle(trainer, batches), 0, 3)
    hits, misses = _numba_cache_counts()
    return {"batch": batch, "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"), "import_s": import_s,
            "build_s": build_s, "update_s": updates, "first_run_overhead_s": updates[0] - updates[2],
            "kernels_loaded_from_cache": hits, "kernels_compiled": misses}


# ------------------------------------------------------------------------------- parent side
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


def _thread_env(threads: int, coretype: str | None = None) -> dict:
    """The environment of a child: thread counts, and OPENBLAS_CORETYPE when given ("" unsets it)."""
    env = dict(os.environ)
    if coretype == "":
        env.pop("OPENBLAS_CORETYPE", None)
    elif coretype is not None:
        env["OPENBLAS_CORETYPE"] = coretype
    for k in _THREAD_VARS:
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
        _log(f"numba first run, {kind} cache (fresh process, batch {batch})")
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
    for shape, users in sorted(uses.items(), key=lambda kv: -_flops(map(int, kv[0].split("x")))):
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
                    if path not in _PHASE_OF and ms > 0.1:
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
    blas_before = _blas_threads() if args.in_process else None
    for t in args.threads:
        if args.in_process:
            try:
                res["runs"][str(t)] = run_measure(t, args)
            finally:        # leave the caller's BLAS as it was (the tests run in-process)
                if blas_before is not None:
                    _blas_threads(blas_before)
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
