"""The step benchmark's GEMM model: the (M, K, N) of each weight layer's GEMMs, their FLOPs, and
NumPy's SGEMM speed at those shapes (for ``bench_step.py``).

FLOPs are ``2 * M * K * N`` per GEMM-equivalent: a weight layer's forward, its weight gradient and
(when the layer computes it) its input gradient each count once.
"""

from __future__ import annotations

import time

import numpy as np


def gemm_shapes(mod, x_shape, y_shape):
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


def flops(mkn) -> int:
    m, k, n = tuple(mkn)
    return 2 * m * k * n


def describe_layer(mod, x_shape, y_shape) -> str:
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
        out["shapes"]["x".join(map(str, mkn))] = {"ms": 1e3 * ts, "gflops": flops(mkn) / ts / 1e9}
    return out


def add_gemm_only_ms(layers: dict, sgemm: dict) -> None:
    """Add each layer's GEMM-only time (its GEMMs at the SGEMM table's speed) in place."""
    for rec in layers.values():
        if rec["gemms"]:
            rec["gemm_only_ms"] = sum(c * sgemm["shapes"]["x".join(map(str, (m, k, n)))]["ms"]
                                      for _, m, k, n, c in rec["gemms"])
