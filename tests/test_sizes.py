"""Sizes are bounded: IDX files by their header (gzip bombs and sparse files are never loaded), every
command-line size option by a documented maximum, and training by a memory estimate."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
import zlib

import numpy as np
import pytest

from npgan.cli import main
from npgan.data import idx, load_mnist
from npgan.data.idx import MAX_IDX_BYTES, parse_idx, read_idx
from npgan.models import InfoGANConfig, InfoGANNets, LatentSpec
from npgan.models import memory


def header(type_code: int, shape) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + np.asarray(shape, dtype=">u4").tobytes()


def _gzip_stream(path, head: bytes, zeros: int) -> None:
    """A gzip file of ``head`` and ``zeros`` zero bytes, written without holding them in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    chunk = b"\0" * (1 << 20)
    with open(path, "wb") as f:
        f.write(comp.compress(head))
        for _ in range(zeros >> 20):
            f.write(comp.compress(chunk))
        f.write(comp.flush())


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    except ValueError:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_gzip_bomb_declaring_2gb_is_refused_before_decompressing(tmp_path):
    p = tmp_path / "bomb.gz"
    _gzip_stream(p, header(0x08, (2_000_000_000,)), 64 << 20)
    assert p.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"bomb\.gz: IDX header declares shape \(2000000000,\), 2000000008 bytes, "
                                         r"more than the limit of 67108864 bytes"):
        read_idx(p)
    assert _peak(lambda: read_idx(p)) < 1 << 20


def test_a_gzip_bomb_hiding_behind_a_small_header_is_read_only_up_to_the_bound(tmp_path):
    p = tmp_path / "bomb.gz"
    _gzip_stream(p, header(0x08, (10,)) + bytes(10), 200 << 20)  # 200 MB of trailing zeros
    with pytest.raises(ValueError, match=r"trailing bytes: header shape \(10,\) needs 10 bytes, found more than"):
        read_idx(p)
    assert _peak(lambda: read_idx(p)) < 32 << 20  # chunks of 4 MB, never the 200 MB


def test_a_huge_sparse_raw_file_is_refused_without_reading_it(tmp_path):
    p = tmp_path / "sparse-idx3-ubyte"
    with open(p, "wb") as f:
        f.write(header(0x08, (1 << 20, 64, 64)))
        f.truncate(4 << 30)  # 4 GiB, sparse
    with pytest.raises(ValueError, match="more than the limit"):
        read_idx(p)
    q = tmp_path / "sparse-tail"
    with open(q, "wb") as f:
        f.write(header(0x08, (4,)) + bytes(4))
        f.truncate(4 << 30)
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(q)
    assert _peak(lambda: read_idx(q)) < 16 << 20


def test_huge_dimensions_give_the_true_size_not_an_overflow():
    data = header(0x0E, (2**32 - 1, 2**32 - 1, 2**32 - 1))
    with pytest.raises(ValueError, match=rf"needs {(2**32 - 1) ** 3 * 8} bytes, found 0"):
        parse_idx(data)
    with pytest.raises(ValueError, match="more than the limit"):
        idx._read_stream(io.BytesIO(data), "x", MAX_IDX_BYTES, None)


def test_a_directory_named_like_an_mnist_file_is_an_error_not_a_download(tmp_path, monkeypatch):
    (tmp_path / "train-images-idx3-ubyte.gz").mkdir()

    def no_network(*a, **k):
        raise AssertionError("a download was attempted")
    monkeypatch.setattr("urllib.request.urlopen", no_network)
    with pytest.raises(ValueError, match="is a directory .* not the MNIST file train-images-idx3-ubyte"):
        load_mnist("train", tmp_path, download=True)
    with pytest.raises(ValueError, match="is a directory, not an IDX file"):
        read_idx(tmp_path / "train-images-idx3-ubyte.gz")


def test_the_command_line_reports_a_directory_as_an_mnist_file_in_one_line(tmp_path, capsys):
    (tmp_path / "train-images-idx3-ubyte").mkdir()
    assert main(["train", "--out", str(tmp_path / "r"), "--dataset", "mnist", "--data-dir", str(tmp_path),
                 "--no-progress", "--updates", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "is a directory" in err


@pytest.mark.parametrize("argv, message", [
    (["train", "--set", "latent.noise_dim=1000000000"], "`noise_dim` must be <= 10000, got 1000000000"),
    (["train", "--set", "latent.categorical=10000000"], "`categorical[0]` must be <= 10000, got 10000000"),
    (["train", "--set", "latent.categorical=" + ",".join(["10"] * 101)], "at most 100 codes, got 101"),
    (["train", "--set", "latent.continuous=1000000"], "`continuous` must be <= 1000"),
    (["train", "--set", "batch_size=100000"], "`batch_size` must be <= 4096"),
    (["train", "--batch-size", "100000"], "expected at most 4096, got 100000"),
    (["train", "--subset", "1000000"], "expected at most 60000"),
    (["train", "--updates", "100000000000"], "expected at most 10000000"),
    (["train", "--checkpoint-every", "100000000000"], "expected at most 10000000"),
    (["sample", "x", "--n", "100000000"], "expected at most 10000, got 100000000"),
    (["eval", "x", "--samples", "1000000000"], "expected at most 100000"),
    (["eval", "x", "--bases", "100000"], "expected at most 4096"),
    (["eval", "x", "--limit", "1000000"], "expected at most 10000"),
    (["report", "x", "--steps", "100001"], "expected at most 41"),
    (["report", "x", "--noise", "1000000"], "expected at most 64"),
    (["report", "x", "--budget", "1000000000"], "expected at most 65536"),
])
def test_every_size_option_has_a_maximum(argv, message, tmp_path, capsys):
    try:
        status = main([*argv, "--out", str(tmp_path / "out")] if argv[0] in ("train", "sample") else argv)
    except SystemExit as exc:  # argparse's own errors: one usage line and the message, exit 2
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_each_size_option_states_its_maximum_in_its_help(capsys):
    for command, words in (("train", ["at most 10,000,000", "at most 60,000", "at most 4096"]),
                           ("sample", ["at most 10,000"]),
                           ("eval", ["at most 100,000", "at most 4096", "at most 10,000"]),
                           ("report", ["at most 41", "at most 64", "at most 65,536"])):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert all(w in out for w in words), (command, out)


@pytest.mark.parametrize("latent", [LatentSpec(), LatentSpec(noise_dim=3, categorical=(4, 7), continuous=5),
                                    LatentSpec(noise_dim=0, categorical=(), continuous=1)])
def test_the_parameter_count_used_for_the_estimate_is_the_networks(latent):
    config = InfoGANConfig(latent=latent)
    nets = InfoGANNets(config, np.random.default_rng(0))
    assert InfoGANNets.parameter_count(config) == sum(m.num_parameters() for m in nets.modules().values())


def test_a_config_that_does_not_fit_in_memory_is_refused_before_allocating(tmp_path, monkeypatch, capsys):
    est = memory.training_memory(InfoGANConfig())
    monkeypatch.setattr(memory, "available_memory", lambda: est.total - 1)
    with pytest.raises(MemoryError, match=r"needs about .* GiB \(13,3\d\d,\d\d\d parameters"):
        memory.check_training_memory(InfoGANConfig())
    assert main(["train", "--out", str(tmp_path / "r"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "is available: lower latent.noise_dim" in err
    assert not (tmp_path / "r").exists()


def test_the_command_line_refuses_a_latent_larger_than_the_machine(tmp_path):
    """100 codes of 10 000 categories: a billion-parameter first layer, about 30 GiB; refused at once."""
    if memory.available_memory() is None or memory.available_memory() > 24 << 30:
        pytest.skip("this machine has the memory (or does not say)")
    huge = ",".join(["10000"] * 100)
    res = subprocess.run([sys.executable, "-m", "npgan", "train", "--out", str(tmp_path / "r"), "--no-progress",
                          "--set", f"latent.categorical={huge}"], capture_output=True, text=True, timeout=300)
    assert not (tmp_path / "r").exists()
    assert res.returncode == 2 and res.stderr.count("error:") == 1 and "needs about" in res.stderr, res.stderr
