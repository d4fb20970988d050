"""Tests of the IDX reader and the MNIST loader/downloader (no network access)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from npgan.data import idx, mnist
from npgan.data.idx import parse_idx, read_idx
from npgan.data.mnist import (
    MNIST_MD5,
    MNISTDownloadError,
    default_data_dir,
    download_mnist,
    load_mnist,
    mnist_to_float,
)

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---------------------------------------------------------------- helpers
def idx_bytes(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    """Serialise ``arr`` as an IDX file (big-endian)."""
    dt = idx.IDX_DTYPES[type_code]
    header = bytes([0, 0, type_code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(arr, dtype=dt).tobytes()


def write(path: Path, data: bytes, gz: bool) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def fake_split(rng, n):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


def write_fake_mnist(folder: Path, rng, *, gz=True, n_train=7, n_test=3, dotted=False):
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = fake_split(rng, n)
        for stem, arr in zip(mnist.MNIST_FILES[split], (images, labels)):
            name = stem.replace("-idx", ".idx") if dotted else stem
            write(folder / (name + (".gz" if gz else "")), idx_bytes(arr), gz)
        out[split] = (images, labels)
    return out


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def real_dir():
    d = os.environ.get("NPGAN_DATA")
    if not d:
        pytest.skip("NPGAN_DATA is not set; real MNIST unavailable")
    return Path(d)


# ---------------------------------------------------------------- IDX reader
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("type_code", sorted(idx.IDX_DTYPES))
def test_idx_roundtrip(tmp_path, rng, gz, type_code):
    dt = idx.IDX_DTYPES[type_code]
    arr = (rng.standard_normal((4, 3, 5)) * 50).astype(dt.newbyteorder("="))
    p = write(tmp_path / "a.idx", idx_bytes(arr, type_code), gz)
    got = read_idx(p)
    assert got.dtype == dt.newbyteorder("=")
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, arr)
    assert got.flags.writeable and got.flags.owndata


def test_idx_uint8_images_and_checks_pass(tmp_path, rng):
    images, _ = fake_split(rng, 5)
    p = write(tmp_path / "img.gz", idx_bytes(images), True)
    got = read_idx(p, magic=0x00000803, shape_tail=(28, 28))
    assert got.dtype == np.uint8 and got.shape == (5, 28, 28)
    np.testing.assert_array_equal(got, images)


def test_idx_wrong_magic_named(tmp_path, rng):
    _, labels = fake_split(rng, 5)
    p = write(tmp_path / "labels.gz", idx_bytes(labels), True)
    with pytest.raises(ValueError, match=r"labels\.gz.*wrong IDX magic number 0x00000801.*0x00000803"):
        read_idx(p, magic=0x00000803)


@pytest.mark.parametrize("data, pattern", [
    (b"\x01\x00\x08\x01" + b"\x00" * 8, "two zero bytes"),
    (b"\x00\x00\x07\x01" + b"\x00" * 8, "unknown IDX element type 0x07"),
    (b"\x00\x00", "only 2 bytes"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated IDX header"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
])
def test_idx_bad_header(tmp_path, data, pattern):
    p = write(tmp_path / "bad-file", data, False)
    with pytest.raises(ValueError, match=pattern) as info:
        read_idx(p)
    assert "bad-file" in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated_payload(tmp_path, rng, gz):
    images, _ = fake_split(rng, 3)
    data = idx_bytes(images)[:-10]
    p = write(tmp_path / "short.idx", data, gz)
    with pytest.raises(ValueError, match=r"short\.idx.*truncated.*\(3, 28, 28\) needs 2352 bytes, found 2342"):
        read_idx(p)


def test_idx_trailing_bytes(tmp_path, rng):
    _, labels = fake_split(rng, 3)
    p = write(tmp_path / "long.idx", idx_bytes(labels) + b"xx", False)
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(p)


def test_idx_wrong_dims(tmp_path, rng):
    arr = rng.integers(0, 255, size=(2, 27, 28), dtype=np.uint8)
    p = write(tmp_path / "img27.gz", idx_bytes(arr), True)
    with pytest.raises(ValueError, match=r"img27\.gz.*\(2, 27, 28\).*\(28, 28\)"):
        read_idx(p, magic=0x00000803, shape_tail=(28, 28))
    # 1-D array checked against a 2-D tail: a clean error, not an index error
    p1 = write(tmp_path / "one.gz", idx_bytes(np.zeros(3, np.uint8)), True)
    with pytest.raises(ValueError, match="trailing dimensions"):
        read_idx(p1, shape_tail=(28, 28))


def test_idx_bad_gzip(tmp_path, rng):
    images, _ = fake_split(rng, 2)
    good = gzip.compress(idx_bytes(images))
    # gzip stream cut in half
    p = tmp_path / "cut.gz"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz.*gzip"):
        read_idx(p)
    # gzip magic followed by garbage
    p = tmp_path / "garbage.gz"
    p.write_bytes(b"\x1f\x8b" + b"not really gzip data at all")
    with pytest.raises(ValueError, match=r"garbage\.gz.*gzip"):
        read_idx(p)
    # named .gz, neither gzip nor IDX
    p = tmp_path / "html.gz"
    p.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(ValueError, match=r"html\.gz.*neither gzip data nor an IDX file"):
        read_idx(p)


def test_idx_gz_name_holding_raw_idx_reads(tmp_path, rng):
    # Some browsers decompress on download but keep the .gz name.
    _, labels = fake_split(rng, 4)
    p = write(tmp_path / "labels.gz", idx_bytes(labels), False)
    np.testing.assert_array_equal(read_idx(p), labels)


def test_parse_idx_big_endian_values():
    data = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + np.array([258, -2], dtype=">i2").tobytes()
    np.testing.assert_array_equal(parse_idx(data), [258, -2])


# ---------------------------------------------------------------- loading
@pytest.mark.parametrize("gz, dotted", [(True, False), (False, False), (True, True)])
def test_load_fake_mnist(tmp_path, rng, gz, dotted):
    ref = write_fake_mnist(tmp_path / "m", rng, gz=gz, dotted=dotted)
    for split in ("train", "test"):
        images, labels = load_mnist(split, data_dir=tmp_path / "m")
        assert images.dtype == np.uint8 and labels.dtype == np.uint8
        np.testing.assert_array_equal(images, ref[split][0])
        np.testing.assert_array_equal(labels, ref[split][1])


def test_load_search_order(tmp_path, rng, monkeypatch):
    a = write_fake_mnist(tmp_path / "a", rng, n_train=2)
    b = write_fake_mnist(tmp_path / "b", rng, n_train=3)
    c = write_fake_mnist(tmp_path / "home" / ".cache" / "npgan" / "mnist", rng, n_train=4)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NPGAN_DATA", str(tmp_path / "b"))
    np.testing.assert_array_equal(load_mnist("train", tmp_path / "a")[1], a["train"][1])
    np.testing.assert_array_equal(load_mnist("train")[1], b["train"][1])
    monkeypatch.delenv("NPGAN_DATA")
    assert default_data_dir() == tmp_path / "home" / ".cache" / "npgan" / "mnist"
    np.testing.assert_array_equal(load_mnist("train")[1], c["train"][1])


def test_load_missing_lists_files_and_folder(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("test", data_dir=folder)
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte" in msg and "t10k-labels-idx1-ubyte" in msg
    assert str(folder) in msg and "NPGAN_DATA" in msg
    assert "train-images" not in msg  # only what this split needs


def test_load_count_mismatch(tmp_path, rng):
    folder = tmp_path / "m"
    write_fake_mnist(folder, rng)
    write(folder / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(5, np.uint8)), True)
    with pytest.raises(ValueError, match="7 images but .* 5 labels"):
        load_mnist("train", folder)


def test_load_labels_out_of_range(tmp_path, rng):
    folder = tmp_path / "m"
    write_fake_mnist(folder, rng)
    write(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.array([1, 2, 12], np.uint8)), True)
    with pytest.raises(ValueError, match="labels must be 0..9"):
        load_mnist("test", folder)


def test_load_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="`split` must be 'train' or 'test', got 'val'"):
        load_mnist("val", tmp_path)
    with pytest.raises(TypeError, match="`split`"):
        load_mnist(0, tmp_path)
    with pytest.raises(TypeError, match="`data_dir`"):
        load_mnist("train", 3)
    with pytest.raises(TypeError, match="`download`"):
        load_mnist("train", tmp_path, download="yes")


def test_mnist_to_float():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    f = mnist_to_float(x)
    assert f.dtype == np.float32 and f.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(f[0, 0], [[0.0, 1.0], [0.2, 0.4]], rtol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        mnist_to_float(x.astype(np.float32))
    with pytest.raises(ValueError, match="3-dimensional"):
        mnist_to_float(x[0])


# ---------------------------------------------------------------- download (no network)
def make_mirror(root: Path, rng, md5s: dict, monkeypatch, *, n=4):
    """Serve fake gzipped MNIST files from a folder; register their MD5 as the expected ones."""
    root.mkdir(parents=True)
    content = {}
    for stem in MNIST_MD5:
        arr = fake_split(rng, n)[0 if "images" in stem else 1]
        raw = idx_bytes(arr)
        (root / (stem + ".gz")).write_bytes(gzip.compress(raw))
        content[stem] = arr
        if md5s is not None:
            monkeypatch.setitem(MNIST_MD5, stem, md5s.get(stem, hashlib.md5(raw).hexdigest()))
    return root.as_uri() + "/", content


def test_download_file_url_mirror(tmp_path, rng, monkeypatch):
    mirror, content = make_mirror(tmp_path / "mirror", rng, {}, monkeypatch)
    dead = (tmp_path / "does-not-exist").as_uri() + "/"
    dest = tmp_path / "dest"
    out = download_mnist(dest, mirrors=(dead, mirror), progress=False)
    assert out == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted(s + ".gz" for s in MNIST_MD5)
    images, labels = load_mnist("test", dest)
    np.testing.assert_array_equal(images, content["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(labels, content["t10k-labels-idx1-ubyte"])


def test_download_skips_present_files(tmp_path, rng, monkeypatch):
    mirror, _ = make_mirror(tmp_path / "mirror", rng, {}, monkeypatch)
    calls = []

    def opener(url, timeout):
        calls.append(url)
        return open(url.removeprefix("file://"), "rb")

    dest = tmp_path / "dest"
    download_mnist(dest, mirrors=(mirror,), progress=False, opener=opener)
    assert len(calls) == 4
    download_mnist(dest, mirrors=(mirror,), progress=False, opener=opener)
    assert len(calls) == 4


def test_download_checksum_mismatch(tmp_path, rng, monkeypatch):
    bad = {stem: "0" * 32 for stem in MNIST_MD5}
    mirror, _ = make_mirror(tmp_path / "mirror", rng, bad, monkeypatch)
    dest = tmp_path / "dest"
    with pytest.raises(MNISTDownloadError) as info:
        download_mnist(dest, files=["train-labels-idx1-ubyte"], mirrors=(mirror,), progress=False)
    msg = str(info.value)
    assert "MD5 of decompressed data is" in msg and "expected " + "0" * 32 in msg
    assert str(dest) in msg and "train-labels-idx1-ubyte.gz" in msg and "NPGAN_DATA" in msg
    assert list(dest.iterdir()) == []  # no partial or unverified file left behind


def test_download_all_mirrors_fail_says_what_to_do(tmp_path, monkeypatch):
    def opener(url, timeout):
        raise urllib.error.URLError("no route to host")

    dest = tmp_path / "dest"
    with pytest.raises(MNISTDownloadError) as info:
        download_mnist(dest, progress=False, opener=opener)
    msg = str(info.value)
    for stem in MNIST_MD5:
        assert stem + ".gz" in msg
    for m in mnist.MIRRORS:
        assert m in msg
    assert "no route to host" in msg and str(dest) in msg and "--data-dir" in msg
    assert list(dest.iterdir()) == []


def test_download_never_touches_network_by_default(tmp_path, monkeypatch):
    def forbidden(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", forbidden)
    with pytest.raises(FileNotFoundError):
        load_mnist("train", tmp_path)


def test_load_with_download_fetches_only_missing_split(tmp_path, rng, monkeypatch):
    mirror, content = make_mirror(tmp_path / "mirror", rng, {}, monkeypatch)
    served = []

    class Response(io.BytesIO):
        headers = {}

    def fake_urlopen(url, timeout):
        served.append(url)
        return Response(Path(url.removeprefix("file://")).read_bytes())

    monkeypatch.setattr(mnist.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setattr(mnist, "MIRRORS", (mirror,))
    images, labels = load_mnist("train", tmp_path / "dest", download=True)
    np.testing.assert_array_equal(images, content["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(labels, content["train-labels-idx1-ubyte"])
    assert sorted(u.rsplit("/", 1)[1] for u in served) == ["train-images-idx3-ubyte.gz",
                                                           "train-labels-idx1-ubyte.gz"]


def test_download_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="`files`"):
        download_mnist(tmp_path, files=["nope"])
    with pytest.raises(ValueError, match="`mirrors`"):
        download_mnist(tmp_path, mirrors="https://example.org/")


# ---------------------------------------------------------------- real MNIST
def test_real_mnist_train(real_dir):
    images, labels = load_mnist("train", real_dir)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS
    assert images.max() == 255 and images.min() == 0
    f = mnist_to_float(images[:100])
    assert f.shape == (100, 1, 28, 28) and f.dtype == np.float32
    assert 0.0 <= f.min() and f.max() == 1.0


def test_real_mnist_test(real_dir):
    images, labels = load_mnist("test", real_dir)
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS


def test_real_mnist_checksums(real_dir):
    _, found, missing = mnist.find_mnist_files(real_dir)
    assert missing == []
    for stem, path in found.items():
        assert hashlib.md5(idx.read_idx_bytes(path)).hexdigest() == MNIST_MD5[stem], path


# ---------------------------------------------------------------- load_dataset("mnist")
def test_load_dataset_mnist_fake(tmp_path, rng):
    from npgan.data import load_dataset

    ref = write_fake_mnist(tmp_path / "m", rng)
    x, y = load_dataset("mnist", "train", data_dir=tmp_path / "m")
    assert x.shape == (7, 1, 28, 28) and x.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, ref["train"][1])
    np.testing.assert_allclose(x[:, 0] * 255.0, ref["train"][0], atol=1e-4)
    x3, y3 = load_dataset("mnist", "train", data_dir=tmp_path / "m", n=3)
    np.testing.assert_array_equal(x3, x[:3])
    np.testing.assert_array_equal(y3, y[:3])
    with pytest.raises(ValueError, match="`n` must be <= 7"):
        load_dataset("mnist", "train", data_dir=tmp_path / "m", n=8)


def test_load_dataset_mnist_real(real_dir):
    from npgan.data import load_dataset

    x, y = load_dataset("mnist", "test")  # found through NPGAN_DATA
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    assert np.bincount(y).tolist() == TEST_COUNTS
