"""The thread policy: the pool runs every piece, the BLAS limit holds inside and is restored, and no
kernel's result depends on the number of threads (bit for bit, down to a whole training update)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from npgan import kernels as K
from npgan.kernels import gemm, threads
from npgan.kernels.adam import adam_update
from npgan.kernels.gemm import matmul, matmul_add
from npgan.kernels.layout import as_batch_inner

THREADS = (2, 3)


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


# ------------------------------------------------------------------ the pool itself
def test_parallel_runs_every_piece_once_on_several_threads():
    seen, names = [], set()
    lock = threading.Lock()

    def piece(i):
        with lock:
            seen.append(i)
            names.add(threading.current_thread().name)

    with threads.use_threads(3):
        threads.parallel(piece, 50)
    assert sorted(seen) == list(range(50))
    assert len(names) >= 1
    seen.clear()
    threads.parallel(piece, 5)                       # outside: in order, on the caller
    assert seen == list(range(5))


def test_an_exception_in_a_piece_reaches_the_caller_and_the_pool_keeps_working():
    def piece(i):   # fails on the calling thread, so the caller has an error before the workers finish
        time.sleep(0.002)
        if threading.current_thread() is threading.main_thread():
            raise ZeroDivisionError(f"piece {i}")

    with threads.use_threads(2):
        with pytest.raises(ZeroDivisionError, match="piece"):
            threads.parallel(piece, 16)
        for _ in range(3):   # the next calls still wait for every piece (none left over from the failed one)
            out = np.zeros(16)

            def slow(i):
                time.sleep(0.002)
                out[i] = i
            threads.parallel(slow, 16)
            np.testing.assert_array_equal(out, np.arange(16))


def test_nested_and_concurrent_calls_finish_without_deadlock():
    totals = []

    def outer(i):
        inner = np.zeros(8)
        threads.parallel(lambda j: inner.__setitem__(j, j + i), 8)   # nested: runs on this thread
        totals.append(inner.sum())

    def caller():
        threads.parallel(outer, 6)

    with threads.use_threads(2):
        workers = [threading.Thread(target=caller) for _ in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
        assert not any(w.is_alive() for w in workers)
    assert sorted(totals) == sorted([28.0 + 8 * i for i in range(6)] * 3)


def test_use_threads_limits_blas_inside_and_restores_it():
    before = _blas_threads()
    with threads.use_threads(2) as n:
        assert n == 2 and threads.n_threads() == 2
        assert all(t == 1 for t in _blas_threads())
        with threads.use_threads(5):                 # nested: the first context's pool stays
            assert threads.n_threads() == 2
    assert threads.n_threads() == 1
    assert _blas_threads() == before
    with threads.use_threads(1):
        assert threads.n_threads() == 1


@pytest.mark.parametrize("bad, err", [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)])
def test_use_threads_rejects_bad_counts(bad, err):
    with pytest.raises(err, match="`n`"):
        with threads.use_threads(bad):
            pass


def test_default_is_the_available_cpus_capped():
    assert 1 <= threads.default_threads() <= threads.MAX_THREADS
    assert threads.default_threads() == min(threads.available_cpus(), threads.MAX_THREADS)


@pytest.mark.parametrize("length, pieces, align", [(10, 3, 1), (1024, 2, 16), (7, 8, 1), (100, 3, 16), (1, 4, 16)])
def test_split_covers_the_range_in_order(length, pieces, align):
    parts = threads.split(length, pieces, align)
    assert parts[0][0] == 0 and parts[-1][1] == length and len(parts) <= pieces
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    assert all(s % align == 0 for s, _ in parts)


# --------------------------------------------------------------- thread-count independence
def _same_under_threads(fn):
    """fn() at 1, 2 and 3 threads: every returned array bit-identical.

    (Outside the context BLAS runs its own threads, and OpenBLAS's own split of a GEMM can sum in
    another order than its one-thread kernel: that is the user's setting, not compared here.)"""
    with threads.use_threads(1):
        ref = fn()
    for n in THREADS:
        with threads.use_threads(n):
            got = fn()
        for a, b in zip(ref, got):
            if a is None:
                assert b is None
            else:
                np.testing.assert_array_equal(a, b)


GEMMS = [(128, 6272, 64), (64, 25088 // 8, 16), (16, 64, 3136), (300, 77, 90), (128, 1024, 14)]


@pytest.mark.parametrize("cap", [1, 2, 4])
@pytest.mark.parametrize("m, k, n", GEMMS)
@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True)])
def test_gemm_does_not_depend_on_threads(m, k, n, ta, tb, cap, monkeypatch):
    # every machine's cap (machine_pieces) is exercised here, whatever this machine's is
    monkeypatch.setattr(gemm, "MAX_PIECES", cap)
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    a, b = (a.T if ta else a), (b.T if tb else b)
    acc0 = rng.standard_normal((m, n), dtype=np.float32)
    _same_under_threads(lambda: (matmul(a, b), matmul_add(a, b, acc0.copy())))
    np.testing.assert_allclose(matmul(a, b), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)
    expect = acc0.copy()
    expect += matmul(a, b)                          # the product rounded first, then added
    np.testing.assert_array_equal(matmul_add(a, b, acc0.copy()), expect)


def test_the_machine_sets_the_most_pieces_not_the_threads():
    assert [gemm.machine_pieces(c) for c in (None, 1, 2, 3, 4, 6, 64)] == [1, 1, 2, 2, 4, 4, 4]
    assert gemm.MAX_PIECES == gemm.machine_pieces(os.cpu_count())


@pytest.mark.parametrize("m, k, n", GEMMS + [(1, 1, 1), (4096, 4096, 4096)])
def test_gemm_pieces_depend_on_the_shape_alone(m, k, n):
    count = gemm.n_pieces(m, k, n)
    assert 1 <= count <= gemm.MAX_PIECES and count & (count - 1) == 0   # a power of two
    for t in (1, *THREADS):
        with threads.use_threads(t):
            assert gemm.n_pieces(m, k, n) == count


CONVS = [  # (N, C_in, H, C_out, k, stride, pad): the InfoGAN layers at a small batch, and odd ones
    (16, 1, 28, 64, 4, 2, 1), (16, 64, 14, 128, 4, 2, 1), (5, 3, 9, 7, 3, 1, 1), (4, 40, 6, 8, 2, 2, 0)]


@pytest.mark.parametrize("geom", CONVS)
@pytest.mark.parametrize("inner", [True, False], ids=["batch-inner", "nchw"])
def test_conv_kernels_do_not_depend_on_threads(geom, inner):
    n, c_in, h, c_out, k, s, p = geom
    rng = np.random.default_rng(sum(geom))
    x = rng.standard_normal((n, c_in, h, h), dtype=np.float32)
    x = as_batch_inner(x) if inner else x
    w = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32)
    b = rng.standard_normal(c_out, dtype=np.float32)

    def conv_pass():
        y, ctx = K.conv2d_forward(x, w, b, s, p)
        return (y, *K.conv2d_backward(np.ascontiguousarray(y[..., ::-1]) if not inner else
                                      as_batch_inner(y[..., ::-1]), ctx))

    def conv_t_pass():
        y, ctx = K.conv_transpose2d_forward(x, np.ascontiguousarray(w.transpose(1, 0, 2, 3)), b, s, p, 0)
        return (y, *K.conv_transpose2d_backward(np.ascontiguousarray(y[..., ::-1]) if not inner else
                                                as_batch_inner(y[..., ::-1]), ctx))

    _same_under_threads(conv_pass)
    _same_under_threads(conv_t_pass)
    _same_under_threads(lambda: (K.col2im(K.im2col(x, k, k, s, p), x.shape, k, k, s, p),))


@pytest.mark.parametrize("shape", [(128, 6272), (64, 1024), (128, 64, 14, 14), (32, 128, 7, 7), (8, 3, 5, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_does_not_depend_on_threads(shape, training):
    rng = np.random.default_rng(len(shape) + shape[1])
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    c = shape[1]
    gamma, beta = rng.standard_normal(c, dtype=np.float32), rng.standard_normal(c, dtype=np.float32)
    rm, rv = rng.standard_normal(c, dtype=np.float32), rng.random(c, dtype=np.float32) + 0.5
    dy = rng.standard_normal(shape, dtype=np.float32)

    def bn():
        y, ctx, mean, var = K.batchnorm_forward(x, gamma, beta, 1e-5, training, rm, rv)
        return (y, mean, var, *K.batchnorm_backward(dy, ctx))
    _same_under_threads(bn)


@pytest.mark.parametrize("kind", K.KINDS)
@pytest.mark.parametrize("size", [100, 300_001])
def test_activations_and_adam_do_not_depend_on_threads(kind, size):
    rng = np.random.default_rng(size)
    x = (rng.standard_normal(size) * 4).astype(np.float32)
    dy = rng.standard_normal(size, dtype=np.float32)

    def act():
        y = K.activation_forward(kind, x, 0.1)
        return y, K.activation_backward(kind, dy, x, y, 0.1)

    def adam():
        p, m, v = x.copy(), dy.copy(), np.abs(dy)
        adam_update(p, dy, m, v, 0.5, 0.999, 1e-8, 1e-3, 1.2)
        return p, m, v
    _same_under_threads(act)
    _same_under_threads(adam)


def test_a_training_update_does_not_depend_on_threads():
    """Two InfoGAN updates (npgan recipe: consistency term on) at 1 and 3 threads: identical weights."""
    from npgan.data import load_dataset
    from npgan.recipes import resolve
    from npgan.train import build_trainer
    config = resolve("npgan", "synthetic", {"batch_size": 16})
    images, _ = load_dataset("synthetic", split="train", n=64)
    results = []
    for n in (1, 3):
        trainer, stream = build_trainer(config, 0, images)
        with threads.use_threads(n):
            stats = [trainer.update(stream.next()).as_dict() for _ in range(2)]
        results.append((stats, trainer.nets.state_dict()))
    (s1, w1), (s3, w3) = results
    assert s1 == s3
    for k in w1:
        np.testing.assert_array_equal(w1[k], w3[k], err_msg=k)


def test_the_distortion_warp_does_not_depend_on_threads():
    from npgan.data.augment import affine_warp
    rng = np.random.default_rng(5)
    images = rng.random((37, 1, 28, 28), dtype=np.float32)
    mats = np.tile(np.array([[0.9, 0.2, 1.0], [-0.1, 1.1, -2.0]]), (37, 1, 1)) + rng.normal(0, 0.05, (37, 2, 3))
    _same_under_threads(lambda: (affine_warp(images, mats),))


def test_zero_fill_clears_every_array_at_any_thread_count():
    from npgan.kernels.elementwise import zero_fill
    for n in (1, 3):
        arrays = [np.ones(300_000, np.float32), np.ones((7, 9)), np.ones((40, 50))[:, ::2]]
        with threads.use_threads(n):
            zero_fill(arrays)
        assert all(not a.any() for a in arrays)
