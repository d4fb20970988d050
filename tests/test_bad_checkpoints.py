"""Every kind of bad checkpoint gives one clear line and exit status 2: never a traceback, never pickle advice.

``CASES`` damages a good checkpoint in one way each (the file's bytes, the archive's structure, the
arrays, the metadata and config, the optimiser state, the random generators and the data stream,
a checkpoint of another run). Each case is resumed with ``npgan train --resume`` and, unless it
only matters to a resume, sampled and evaluated, in-process (the networks are tiny, so the whole
table runs in seconds). ``SUBPROCESS_CASES`` runs one case of each kind through ``python -m npgan``
on the paper's networks (marked slow: a process each, 2-9 s apiece on 2 cores).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from npgan.cli import main
from npgan.data import load_dataset
from npgan.run import CheckpointError, load_checkpoint, save_checkpoint
from npgan.train import TrainOptions, load_trained, train
from tiny_nets import tiny_config, tiny_nets_patched

CKPT = "checkpoint.npz"


# ------------------------------------------------------------------ ways to damage a checkpoint
def _bytes(fn):
    def apply(path: Path):
        path.write_bytes(fn(path.read_bytes()))
    return apply


def _state(fn):
    def apply(path: Path):
        state = load_checkpoint(path)
        fn(state)
        save_checkpoint(path, state)
    return apply


def _flip_directory_name(data: bytes) -> bytes:
    """Flip the first byte of the first entry's name in the zip's central directory (a field every
    reader must use; a byte at a fixed fraction of the file may land on one that none reads)."""
    eocd = data.rfind(b"PK\x05\x06")
    first = int.from_bytes(data[eocd + 16:eocd + 20], "little")  # offset of the central directory
    b = bytearray(data)
    b[first + 46] ^= 0xFF
    return bytes(b)


def _flip(at: float):
    def flip(data: bytes) -> bytes:
        b = bytearray(data)
        b[int(len(b) * at)] ^= 0xFF
        return bytes(b)
    return flip


def _rezip(path: Path, change):
    """Rewrite the archive entry by entry; ``change(name, data)`` returns (name, data) or None (drop)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            new = change(name, data)
            if new is not None:
                zf.writestr(zipfile.ZipInfo(new[0]), new[1], compress_type=new[2] if len(new) > 2 else zipfile.ZIP_STORED)
    path.write_bytes(buf.getvalue())


def _huge_header(path: Path):
    def change(name, data):
        if name != "a0.npy":
            return name, data
        f = io.BytesIO(data)
        np.lib.format.read_magic(f)
        _, _, dtype = np.lib.format.read_array_header_1_0(f)
        out = io.BytesIO()
        np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                   "fortran_order": False, "shape": (2**32, 1)})  # 16 GiB
        return name, out.getvalue() + data[f.tell():]
    _rezip(path, change)


def _object_entry(path: Path):
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    _rezip(path, lambda name, data: (name, buf.getvalue()) if name == "a0.npy" else (name, data))


def _meta(fn):
    def change(name, data):
        if name != "__meta__.npy":
            return name, data
        skeleton = json.loads(str(np.load(io.BytesIO(data))))
        out = io.BytesIO()
        np.save(out, np.array(json.dumps(fn(skeleton))))
        return name, out.getvalue()
    return lambda path: _rezip(path, change)


def _net(key):
    return lambda s: s["trainer"]["nets"][key]


def _set_net(key, value_fn):
    def fn(s):
        s["trainer"]["nets"][key] = value_fn(s["trainer"]["nets"][key])
    return _state(fn)


def _set(path_keys, value):
    def fn(s):
        d = s
        for k in path_keys[:-1]:
            d = d[k]
        d[path_keys[-1]] = value(d[path_keys[-1]]) if callable(value) else value
    return _state(fn)


def _nan_first(a):
    a = a.copy()
    a.flat[0] = np.nan
    return a


def _directory(path: Path):
    path.unlink()
    path.mkdir()


W = "G.0.weight"
#: (id, damage, what the message says, whether only a resume can see it)
CASES = [
    # the file's bytes
    ("empty", _bytes(lambda d: b""), "not a readable npgan checkpoint", False),
    ("random-bytes", _bytes(lambda d: np.random.default_rng(0).bytes(4096)), "not a readable npgan checkpoint", False),
    ("truncated-half", _bytes(lambda d: d[: len(d) // 2]), "not a readable npgan checkpoint", False),
    ("truncated-100", _bytes(lambda d: d[:100]), "not a readable npgan checkpoint", False),
    ("flipped-data-byte", _bytes(_flip(0.5)), "", False),
    ("flipped-directory-byte", _bytes(_flip_directory_name), "not a readable npgan checkpoint", False),
    ("flipped-header-byte", _bytes(_flip(0.0005)), "", False),
    ("a-directory", _directory, "is a directory", False),
    ("bare-npy", _bytes(lambda d: b"\x93NUMPY" + d[6:200]), "not a readable npgan checkpoint", False),
    # the archive's structure
    ("header-claims-16GiB", _huge_header, "header declares shape (4294967296, 1)", False),
    ("object-array", _object_entry, "holds Python objects", False),
    ("compressed-entry", lambda p: _rezip(p, lambda n, d: (n, d, zipfile.ZIP_DEFLATED)), "is compressed", False),
    ("no-meta", lambda p: _rezip(p, lambda n, d: None if n == "__meta__.npy" else (n, d)), "no __meta__", False),
    ("meta-not-json", lambda p: _rezip(p, lambda n, d: (n, _npy("{not json")) if n == "__meta__.npy" else (n, d)),
     "not valid JSON", False),
    ("meta-deeply-nested", lambda p: _rezip(p, lambda n, d: (n, _npy("[" * 100000 + "]" * 100000))
                                            if n == "__meta__.npy" else (n, d)), "not valid JSON", False),
    ("missing-array-entry", lambda p: _rezip(p, lambda n, d: None if n == "a3.npy" else (n, d)),
     "does not hold", False),
    ("unreferenced-array", lambda p: _add_entry(p), "no entry refers to", False),
    ("format-2", _meta(lambda s: {**s, "format": 2}), "checkpoint format 2", False),
    # the arrays
    ("missing-weight", _state(lambda s: s["trainer"]["nets"].pop(W)), "missing ['G.0.weight']", False),
    ("extra-weight", _state(lambda s: s["trainer"]["nets"].update(extra=np.zeros(3, np.float32))),
     "unexpected ['extra']", False),
    ("int32-weights", _set_net(W, lambda a: a.astype(np.int32)), "has dtype int32, expected float32", False),
    ("float16-weights", _set_net(W, lambda a: a.astype(np.float16)), "has dtype float16", False),
    ("float64-weights", _set_net(W, lambda a: a.astype(np.float64)), "has dtype float64", False),
    ("complex-weights", _set_net(W, lambda a: a.astype(np.complex64)), "has dtype complex64", False),
    ("wrong-shape", _set_net(W, lambda a: a[:-1]), "has shape", False),
    ("nan-weight", _set_net(W, _nan_first), "1 non-finite values", False),
    ("inf-adam-v", _set(["trainer", "opt_d", "v.0"], lambda a: np.full_like(a, np.inf)), "non-finite", False),
    ("negative-adam-v", _set(["trainer", "opt_g", "v.1"], lambda a: a - 1), "Adam's second moment", False),
    ("negative-running-var", _set(["trainer", "nets", "G.1.running_var"], lambda a: -a), "variance", False),
    ("weights-as-list", _set(["trainer", "nets", W], lambda a: a.tolist()), "must be an array", False),
    # metadata and config
    ("update-negative", _set(["update"], -5), "update must be >= 0, got -5", False),
    ("update-string", _set(["update"], "5"), "update must be an integer", False),
    ("update-not-the-steps", _set(["update"], 2), "has made 4 steps but the checkpoint is of update 2", False),
    ("seed-negative", _set(["seed"], -1), "seed must be >= 0", False),
    ("dataset-number", _set(["dataset"], 7), "dataset must be a string", False),
    ("unknown-top-key", _state(lambda s: s.update(extra=1)), "unexpected ['extra']", False),
    ("missing-data", _state(lambda s: s.pop("data")), "missing ['data']", False),
    ("unknown-config-key", _state(lambda s: s["config"]["model"].update(foo=1)), "unknown InfoGANConfig field", False),
    ("config-huge-noise", _state(lambda s: s["config"]["model"]["latent"].update(noise_dim=10**9)),
     "noise_dim` must be <= 10000", False),
    ("config-not-a-dict", _set(["config"], [1, 2]), "config", False),
    # the optimisers
    ("adam-lr-differs", _set(["trainer", "opt_d", "lr"], 0.5), "lr is 0.5, but the run's config gives", False),
    ("adam-step-float", _set(["trainer", "opt_g", "step"], 4.0), "step must be an integer", False),
    ("adam-missing-moment", _state(lambda s: s["trainer"]["opt_d"].pop("m.2")), "missing ['m.2']", False),
    # random generators and the data stream
    ("rng-even-increment", _set(["trainer", "rng", "state", "inc"], lambda v: v - 1), "increment must be odd", False),
    ("rng-state-too-large", _set(["data", "rng", "state", "state"], 2**129), "state must be a 128-bit unsigned integer", False),
    ("rng-other-generator", _set(["trainer", "rng", "bit_generator"], "MT19937"), "expected 'PCG64'", False),
    ("perm-out-of-range", _set(["data", "perm"], lambda p: p + 1000), "not a permutation", False),
    ("perm-all-sevens", _set(["data", "perm"], lambda p: np.full_like(p, 7)), "not a permutation", False),
    ("perm-float", _set(["data", "perm"], lambda p: p.astype(np.float64)), "1-D int64 array", False),
    ("pos-off-batch", _set(["data", "pos"], 3), "not at a batch boundary", False),
    ("pos-beyond-data", _set(["data", "pos"], 10**6), "data.pos must be in [0", False),
    ("perm-other-dataset-size", _set(["data", "perm"], lambda p: np.arange(p.size + 8)), "made for a dataset of", True),
    # a checkpoint of another run
    ("foreign-run-id", _set(["run_id"], "0123456789abcdef"), "belongs to another run", True),
    ("foreign-legacy", _state(lambda s: (s.pop("run_id"), s.update(seed=9))), "belongs to another run", True),
]


def _npy(text: str) -> bytes:
    out = io.BytesIO()
    np.save(out, np.array(text))
    return out.getvalue()


def _add_entry(path: Path):
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("zz.npy", _npy("x"))


def _legacy_config_json(folder: Path):
    meta = json.loads((folder / "config.json").read_text())
    meta.pop("run_id")
    (folder / "config.json").write_text(json.dumps(meta))


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def images():
    return load_dataset("synthetic", split="train", n=64)[0]


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, images):
    out = tmp_path_factory.mktemp("good") / "run"
    with tiny_nets_patched():
        train(tiny_config(), images, TrainOptions(updates=4, seed=1, out_dir=out, checkpoint_every=2, progress=False),
              dataset="synthetic")
    return out


def _one_error_line(err: str, command: str) -> str:
    lines = [x for x in err.strip().splitlines() if x]
    errors = [x for x in lines if x.startswith(f"npgan {command}: error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert all(x.startswith(f"npgan {command}: ") for x in lines), err
    return errors[0]


@pytest.mark.parametrize("name, damage, message, resume_only", CASES, ids=[c[0] for c in CASES])
def test_bad_checkpoint_is_one_clear_line_with_exit_2(name, damage, message, resume_only, good_run, tmp_path,
                                                      tiny_nets, capsys):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    if name == "foreign-legacy":
        _legacy_config_json(run)
    damage(run / CKPT)
    capsys.readouterr()
    commands = [["train", "--out", str(run), "--resume", "--updates", "6", "--no-progress", "--no-figures"]]
    if not resume_only:
        commands += [["sample", str(run), "--out", str(tmp_path / "s.png"), "--n", "4"],
                     ["eval", str(run), "--limit", "20", "--samples", "20", "--bases", "2"]]
    for argv in commands:
        assert main(argv) == 2, argv
        line = _one_error_line(capsys.readouterr().err, argv[0])
        assert str(run / CKPT) in line and message in line, line
        assert "allow_pickle" not in line and "unsafe" not in line, line
    assert not (tmp_path / "s.png").exists()


def test_the_good_checkpoint_loads_and_resumes(good_run, tmp_path, tiny_nets, capsys):
    """The cases above damage a checkpoint that is fine as it is."""
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    nets, meta = load_trained(run)
    assert meta["update"] == 4 and np.isfinite(nets.G.parameters()["0.weight"]).all()
    assert main(["train", "--out", str(run), "--resume", "--updates", "6", "--no-progress", "--no-figures"]) == 0
    assert load_checkpoint(run / CKPT)["update"] == 6


def test_checkpoint_errors_are_checkpoint_errors_in_the_library(good_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    (run / CKPT).write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CheckpointError, match="not a readable npgan checkpoint"):
        load_checkpoint(run / CKPT)
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(run / "none.npz")


# ------------------------------------------------------------------ through python -m npgan, the paper's networks
SUBPROCESS_CASES = ["truncated-half", "header-claims-16GiB", "int32-weights", "perm-all-sevens", "foreign-run-id",
                    "nan-weight"]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "run"
    subprocess.run([sys.executable, "-m", "npgan", "train", "--out", str(out), "--updates", "2", "--batch-size", "8",
                    "--subset", "16", "--no-progress", "--no-figures", "--set", "latent.noise_dim=4"],
                   check=True, capture_output=True, timeout=600)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_bad_checkpoint_through_the_command_line(name, real_run, tmp_path):
    damage, message, resume_only = next((d, m, r) for n, d, m, r in CASES if n == name)
    run = tmp_path / "run"
    shutil.copytree(real_run, run)
    damage(run / CKPT)
    argv = ["train", "--out", str(run), "--resume", "--updates", "4", "--subset", "16", "--no-progress"]
    if not resume_only:
        argv = ["sample", str(run), "--out", str(tmp_path / "s.png")] if name.startswith("nan") else argv
    res = subprocess.run([sys.executable, "-m", "npgan", *argv], capture_output=True, text=True, timeout=600)
    assert res.returncode == 2, res.stderr
    line = _one_error_line(res.stderr, argv[0])
    assert str(run / CKPT) in line and message in line and "pickle" not in line, line


def test_a_run_of_an_npgan_without_run_ids_resumes_and_survives_a_kill_after_the_resume(good_run, tmp_path,
                                                                                       tiny_nets):
    """Neither side has an id: the settings agree, so it resumes; config.json then has an id and the
    checkpoint not yet (a kill before the next checkpoint), which must resume too."""
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    _legacy_config_json(run)
    state = load_checkpoint(run / CKPT)
    state.pop("run_id")
    save_checkpoint(run / CKPT, state)
    argv = ["train", "--out", str(run), "--resume", "--no-progress", "--no-figures"]
    assert main([*argv, "--updates", "5", "--checkpoint-every", "100"]) == 0  # ends with a checkpoint at 5 ...
    save_checkpoint(run / CKPT, state)  # ... put back the id-less one of update 4, as if killed before saving
    assert "run_id" in json.loads((run / "config.json").read_text())
    assert main([*argv, "--updates", "6"]) == 0
    assert load_checkpoint(run / CKPT)["update"] == 6
