"""One run per folder: the lock, the folder guards, leftovers of kills, full disks and unwritable folders.

Most cases run ``npgan train`` in-process on tiny networks; the ones about processes (a second
``npgan train`` while one runs, two started together) run real ``python -m npgan`` processes on the
paper's networks and are marked slow (10-15 s each on 2 cores).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from npgan.cli import main
from npgan.run import RunLocked, load_checkpoint
from npgan.run.lock import LOCK_NAME, STALE_SECONDS, RunLock
from npgan.train import TrainOptions, train
from tiny_nets import SMALL_LATENT, error_line, random_images, tiny_config, use_tiny_nets
from tiny_nets import TINY_TRAIN_ARGS as TINY

pytestmark = pytest.mark.usefixtures("tiny_nets")


def _run(out, *extra):
    return main(["train", "--out", str(out), *TINY, *extra])


def _lock_file(folder, **fields):
    folder.mkdir(parents=True, exist_ok=True)
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "boot_id": None, "process_start": None,
              "token": "t", "started": "today", "heartbeat_seconds": 30.0, **fields}
    (folder / LOCK_NAME).write_text(json.dumps(holder))
    return folder / LOCK_NAME


# ------------------------------------------------------------------ the lock
def test_a_live_owner_keeps_the_folder(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    with RunLock(out):
        assert _run(out) == 2
        assert f"{out} is in use by npgan train pid {os.getpid()} on this host" in error_line(capsys)
        with pytest.raises(RunLocked, match="in use"):
            RunLock(out).acquire()
    assert not (out / LOCK_NAME).exists()
    assert _run(out) == 0 and not (out / LOCK_NAME).exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("fields, why", [
    (lambda: {"pid": _dead_pid()}, "has ended"),
    (lambda: {"process_start": "1"}, "its pid now belongs to another process"),
    (lambda: {"boot_id": "another-boot"}, "before this host's last boot"),
])
def test_a_stale_lock_on_this_host_is_taken_over_with_a_note(fields, why, tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    _lock_file(out, **fields())
    assert _run(out, "--resume", "--updates", "6") == 0
    err = capsys.readouterr().err
    assert "note:" in err and "took over a stale lock" in err and why in err, err
    assert load_checkpoint(out / "checkpoint.npz")["update"] == 6 and not (out / LOCK_NAME).exists()


def test_a_lock_of_another_host_is_kept_until_its_heartbeat_is_old(tmp_path, capsys):
    out = tmp_path / "run"
    lock = _lock_file(out, host="elsewhere", pid=123)
    assert _run(out) == 2
    line = error_line(capsys)
    assert "pid 123 on host elsewhere" in line and f"after {STALE_SECONDS:.0f} s without a heartbeat" in line
    old = time.time() - STALE_SECONDS - 60
    os.utime(lock, (old, old))
    assert _run(out) == 0
    assert "took over a stale lock (pid 123 on elsewhere: no heartbeat for" in capsys.readouterr().err


def test_an_unreadable_lock_is_kept_while_fresh(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_NAME).write_bytes(b"\x00garbage")
    assert _run(out) == 2
    assert "unreadable train.lock" in error_line(capsys)
    old = time.time() - STALE_SECONDS - 60
    os.utime(out / LOCK_NAME, (old, old))
    assert _run(out) == 0


def test_the_lock_is_released_when_training_fails(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    (out / "checkpoint.npz").write_bytes(b"damaged")
    assert _run(out, "--resume", "--updates", "6") == 2
    assert not (out / LOCK_NAME).exists()


def test_training_in_a_worker_thread_needs_no_signal_handlers(tmp_path):
    import threading
    images, config = random_images(16, seed=0), tiny_config(SMALL_LATENT)
    errors = []

    def work(i):
        try:
            train(config, images, TrainOptions(updates=3, out_dir=tmp_path / str(i), progress=False))
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and all(load_checkpoint(tmp_path / f"{i}/checkpoint.npz")["update"] == 3 for i in range(2))


# ------------------------------------------------------------------ folder guards
def test_a_folder_with_any_run_file_is_refused_without_resume_or_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"update": 1}\n')
    assert _run(out) == 2
    assert "already holds a run (metrics.jsonl); use --resume to continue it, --overwrite" in error_line(capsys)
    assert _run(out, "--resume") == 2
    assert "stopped before its first checkpoint" in error_line(capsys) and (out / "metrics.jsonl").exists()
    assert _run(out, "--overwrite") == 0
    assert "--overwrite removed the previous run's metrics.jsonl" in capsys.readouterr().err
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 4


def test_resume_with_overwrite_and_out_that_is_a_file_are_refused(tmp_path, capsys):
    assert _run(tmp_path / "r", "--resume", "--overwrite") == 2
    assert "give one of them" in error_line(capsys)
    (tmp_path / "file").write_text("x")
    assert _run(tmp_path / "file") == 2
    assert "is a file, not a folder" in error_line(capsys)


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs a read-only /sys")
def test_a_folder_that_cannot_be_created_is_one_line(capsys):
    assert _run("/sys/kernel/npgan-run") == 2
    line = error_line(capsys)
    assert "/sys/kernel/npgan-run" in line and "Operation not permitted" in line, line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder_is_one_line(tmp_path, capsys):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert _run(out) == 2
        assert "cannot write in" in error_line(capsys)
    finally:
        out.chmod(0o755)


def test_leftover_temporary_files_are_removed_on_the_next_start(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    (out / "checkpoint.npz.k1ll3d.tmp").write_bytes(b"\0" * 1_000_000)
    (out / "config.json.x.tmp").write_text("{")
    assert _run(out, "--resume", "--updates", "6") == 0
    assert "removed 2 temporary file(s) (1.0 MB)" in capsys.readouterr().err
    assert not list(out.glob("*.tmp"))


def test_a_refused_start_removes_a_killed_writes_temporary_file(tmp_path, capsys):
    # a kill -9 inside the first checkpoint's write: config and metrics, no checkpoint, a big .tmp
    out = tmp_path / "run"
    assert _run(out) == 0
    (out / "checkpoint.npz").unlink()
    (out / "checkpoint.npz.k1ll3d.tmp").write_bytes(b"\0" * 2_000_000)
    for extra in (["--resume"], []):
        (out / "checkpoint.npz.k1ll3d.tmp").write_bytes(b"\0" * 2_000_000)
        assert _run(out, *extra) == 2
        line = error_line(capsys)
        assert "removed 1 temporary file(s) (2.0 MB) left by interrupted writes" in line, line
        assert not list(out.glob("*.tmp"))


@pytest.mark.parametrize("where", ["checkpoint", "metrics"])
def test_a_full_disk_keeps_the_last_checkpoint_and_says_so(where, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    import npgan.run.checkpoint as ckpt
    import npgan.run.metrics as metrics
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if where == "checkpoint":
        real = ckpt.np.savez
        calls = {"n": 0}

        def savez(f, **arrays):
            calls["n"] += 1
            if calls["n"] == 2:
                raise full
            real(f, **arrays)
        monkeypatch.setattr(ckpt.np, "savez", savez)
    else:
        real = metrics.MetricsLog.append
        monkeypatch.setattr(metrics.MetricsLog, "append",
                            lambda self, r: (_ for _ in ()).throw(full) if r["update"] == 3 else real(self, r))
    assert _run(out) == 2
    line = error_line(capsys)
    assert "No space left on device" in line and f"the last good checkpoint, {out / 'checkpoint.npz'}, holds update 2" in line
    assert load_checkpoint(out / "checkpoint.npz")["update"] == 2 and not list(out.glob("*.tmp"))
    monkeypatch.undo()
    use_tiny_nets(monkeypatch)
    assert _run(out, "--resume") == 0 and load_checkpoint(out / "checkpoint.npz")["update"] == 4


# ------------------------------------------------------------------ real processes
SLOW_RUN = [sys.executable, "-m", "npgan", "train", "--updates", "400", "--batch-size", "8", "--subset", "64",
            "--no-progress", "--no-figures", "--set", "latent.noise_dim=6", "--checkpoint-every", "1000"]


def _wait_for(pred, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_second_npgan_train_is_refused_and_sigterm_saves_a_checkpoint(tmp_path):
    import signal
    out = tmp_path / "run"
    first = subprocess.Popen([*SLOW_RUN, "--out", str(out)], stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: (out / "metrics.jsonl").exists() and (out / "metrics.jsonl").read_text().count("\n") >= 2)
        for flags in ([], ["--resume"], ["--overwrite"]):
            second = subprocess.run([*SLOW_RUN, "--out", str(out), *flags], capture_output=True, text=True, timeout=300)
            assert second.returncode == 2, second.stderr
            assert second.stderr.count("error:") == 1 and "Traceback" not in second.stderr
        assert "is in use by npgan train pid" in second.stderr  # --overwrite must not delete a live run's files
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 143, err
    assert "stopped by SIGTERM at update" in err and "Traceback" not in err
    update = load_checkpoint(out / "checkpoint.npz")["update"]
    assert len((out / "metrics.jsonl").read_text().splitlines()) == update > 0
    assert not (out / LOCK_NAME).exists()


@pytest.mark.slow
def test_two_runs_started_into_one_folder_half_a_second_apart(tmp_path):
    out = tmp_path / "run"
    cmd = [*SLOW_RUN[:5], "6", *SLOW_RUN[6:], "--out", str(out)]
    a = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    b = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    (_, err_a), (_, err_b) = a.communicate(timeout=600), b.communicate(timeout=600)
    assert sorted([a.returncode, b.returncode]) == [0, 2], (err_a, err_b)
    loser = err_a if a.returncode == 2 else err_b
    assert "is in use by npgan train" in loser or "already holds a run" in loser, loser
    updates = [json.loads(x)["update"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert updates == list(range(1, 7)) and load_checkpoint(out / "checkpoint.npz")["update"] == 6
