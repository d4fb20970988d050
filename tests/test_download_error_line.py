"""A failed MNIST download: the library's message lists every mirror; the command line prints one line."""

import urllib.error

from npgan.cli import main
from npgan.data import MNISTDownloadError, download_mnist, mnist


def _unreachable(monkeypatch):
    def opener(url, timeout):
        raise urllib.error.URLError("Name or service not known")
    real = mnist.download_mnist
    monkeypatch.setattr(mnist, "download_mnist", lambda *a, **k: real(*a, **{**k, "opener": opener}))
    return opener


def test_the_error_has_a_one_line_summary(tmp_path, monkeypatch):
    opener = _unreachable(monkeypatch)
    try:
        download_mnist(tmp_path, progress=False, opener=opener)
    except MNISTDownloadError as exc:
        assert len(str(exc).splitlines()) > 5  # every mirror's failure and what to do
        assert "\n" not in exc.summary and str(tmp_path) in exc.summary and "--data-dir" in exc.summary
        assert "Name or service not known" in exc.summary and "train-images-idx3-ubyte" in exc.summary
    else:
        raise AssertionError("no MNISTDownloadError")


def test_train_prints_one_line(tmp_path, monkeypatch, capsys):
    # issue 33: 9 lines
    _unreachable(monkeypatch)
    monkeypatch.setenv("NPGAN_DATA", str(tmp_path / "mnist"))
    assert main(["train", "--dataset", "mnist", "--updates", "1", "--no-progress", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("npgan train: error: could not download MNIST"), err
