"""Benchmark npgan's conv kernels against a plain NumPy im2col implementation.

Times conv2d and conv-transpose2d forward + backward (input, weight and bias
gradients) in float32 at the InfoGAN MNIST shapes, and compares with the
vectorised NumPy version a NumPy-only user would write (``np.pad`` +
``as_strided`` im2col, one matmul, strided ``+=`` col2im; see
:mod:`npgan.kernels.reference`). Both use the same BLAS for the GEMMs, so
the difference is im2col/col2im, layout passes and the bias. npgan's kernels get
their inputs in the memory layout the InfoGAN networks hand them (the "layout"
column: C-contiguous, or batch-inner after a convolution; ``npgan.kernels.layout``).

Usage::

    python benchmarks/bench_kernels.py [--batch 128] [--repeats 20]

GFLOP/s counts only the three GEMMs (forward, weight gradient, input
gradient), each ``2 * M * K * N`` flops. Timings are medians after warm-up.
"first call" is the first forward+backward in this process at that shape:
for the first row it includes loading numba's on-disk cache (or compiling,
on a fresh install or after a kernel changed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


#: (name, kind, C_in, C_out, H_in, kernel, stride, padding, output_padding, input layout in the
#: InfoGAN networks: "nchw" for the real images and G's reshaped FC output, "inner" (batch-inner,
#: npgan.kernels.layout) after a convolution)
LAYERS = [
    ("conv 1->64, 28->14", "conv", 1, 64, 28, 4, 2, 1, 0, "nchw"),
    ("conv 64->128, 14->7", "conv", 64, 128, 14, 4, 2, 1, 0, "inner"),
    ("convT 128->64, 7->14", "convT", 128, 64, 7, 4, 2, 1, 0, "nchw"),
    ("convT 64->1, 14->28", "convT", 64, 1, 14, 4, 2, 1, 0, "inner"),
]


def _median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def _gemm_flops(kind, batch, c_in, c_out, h_in, k, h_out):
    if kind == "conv":
        m, kk, n = c_out, c_in * k * k, batch * h_out * h_out
    else:   # the transposed conv's GEMMs are those of the conv it is the adjoint of
        m, kk, n = c_in, c_out * k * k, batch * h_in * h_in
    return 3 * 2 * m * kk * n


def _cache_stats():
    """(loaded from numba's disk cache, compiled) counts over the conv-path kernels."""
    import importlib
    hits = misses = 0
    for name in ("npgan.kernels.im2col", "npgan.kernels.conv"):
        for obj in vars(importlib.import_module(name)).values():
            stats = getattr(obj, "stats", None)
            if stats is not None and hasattr(stats, "cache_hits"):
                hits += sum(stats.cache_hits.values())
                misses += sum(stats.cache_misses.values())
    return hits, misses


def run(batch, repeats, seed=0):
    t0 = time.perf_counter()
    import npgan.kernels as K
    import_s = time.perf_counter() - t0
    import numpy_conv as ref   # the NumPy-only baseline, beside this script

    rng = np.random.default_rng(seed)
    rows = []
    from npgan.kernels.layout import as_batch_inner
    for name, kind, c_in, c_out, h, k, s, p, op, layout in LAYERS:
        x = rng.standard_normal((batch, c_in, h, h), dtype=np.float32)
        xo = as_batch_inner(x) if layout == "inner" else x
        b = rng.standard_normal(c_out, dtype=np.float32)
        if kind == "conv":
            w = (0.05 * rng.standard_normal((c_out, c_in, k, k))).astype(np.float32)
            h_out = (h + 2 * p - k) // s + 1

            def ours():
                y, ctx = K.conv2d_forward(xo, w, b, s, p)
                return y, K.conv2d_backward(dyo, ctx)

            def base():
                y, cols = ref.conv2d_numpy(x, w, b, s, p)
                return y, ref.conv2d_backward_numpy(dy, cols, x.shape, w, s, p)

            def ours_fwd():
                return K.conv2d_forward(xo, w, b, s, p)

            def base_fwd():
                return ref.conv2d_numpy(x, w, b, s, p)
        else:
            w = (0.05 * rng.standard_normal((c_in, c_out, k, k))).astype(np.float32)
            h_out = (h - 1) * s - 2 * p + k + op

            def ours():
                y, ctx = K.conv_transpose2d_forward(xo, w, b, s, p, op)
                return y, K.conv_transpose2d_backward(dyo, ctx)

            def base():
                y, x_cm = ref.conv_transpose2d_numpy(x, w, b, s, p, op)
                return y, ref.conv_transpose2d_backward_numpy(dy, x_cm, x.shape, w, s, p)

            def ours_fwd():
                return K.conv_transpose2d_forward(xo, w, b, s, p, op)

            def base_fwd():
                return ref.conv_transpose2d_numpy(x, w, b, s, p, op)
        dy = rng.standard_normal((batch, c_out, h_out, h_out), dtype=np.float32)
        dyo = as_batch_inner(dy)   # a conv's output is batch-inner, and so is the gradient coming back

        t0 = time.perf_counter()
        got = ours()
        first_ms = 1e3 * (time.perf_counter() - t0)
        want = base()
        # Sanity: both implementations agree and ours keeps float32.
        for a, e in zip((got[0], *got[1]), (want[0], *want[1])):
            assert a.dtype == np.float32, a.dtype
            scale = max(1.0, float(np.max(np.abs(e))))
            assert np.max(np.abs(a - e)) <= 1e-4 * scale, name
        for f in (ours, base, ours, base):   # warm-up
            f()
        flops = _gemm_flops(kind, batch, c_in, c_out, h, k, h_out)
        t_ours = _median_ms(ours, repeats)
        t_base = _median_ms(base, repeats)
        f_ours = _median_ms(ours_fwd, repeats)
        f_base = _median_ms(base_fwd, repeats)
        rows.append((name, layout, first_ms, f_ours, t_ours, flops / t_ours / 1e6,
                     f_base, t_base, flops / t_base / 1e6, t_base / t_ours))
    return import_s, rows, _cache_stats()


def main(argv=None):
    from bench_table import print_table_head   # beside this script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    parser.add_argument("--repeats", type=int, default=20, help="timed repeats per case (default 20)")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        parser.error("--batch and --repeats must be >= 1")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import_s, rows, (hits, misses) = run(args.batch, args.repeats)
    print(f"float32, batch {args.batch}, median of {args.repeats} after warm-up; numpy {np.__version__}; "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    print(f"fwd+bwd = forward + dx, dw, db. import npgan.kernels: {1e3 * import_s:.0f} ms; "
          f"conv-path kernels loaded from numba's cache: {hits}, compiled: {misses}")
    head = (f"{'layer':<21} {'layout':>6} {'1st call':>9} | {'npgan fwd':>9} {'fwd+bwd':>9} "
            f"{'GFLOP/s':>7} | {'numpy fwd':>9} {'fwd+bwd':>9} {'GFLOP/s':>7} | {'speed-up':>8}")
    print_table_head(head)
    for name, layout, first, fo, to, go, fb, tb, gb, sp in rows:
        print(f"{name:<21} {layout:>6} {first:>6.1f} ms | {fo:>6.2f} ms {to:>6.2f} ms {go:>7.1f} | "
              f"{fb:>6.2f} ms {tb:>6.2f} ms {gb:>7.1f} | {sp:>7.2f}x")
    total_o = sum(r[4] for r in rows)
    total_b = sum(r[7] for r in rows)
    print("-" * len(head))
    print(f"{'total':<21} {'':>6} {'':>9} | {'':>9} {total_o:>6.2f} ms {'':>7} | {'':>9} "
          f"{total_b:>6.2f} ms {'':>7} | {total_b / total_o:>7.2f}x")


if __name__ == "__main__":
    main()
