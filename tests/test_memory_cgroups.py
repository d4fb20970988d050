"""The memory available to this process: MemAvailable and the limits of its own cgroup and those above it.

Each test builds a fake /proc and /sys/fs/cgroup tree and points npgan.models.memory at it, but the
last, which makes a real child cgroup (cgroup-v1 memory controller, where this process may) and runs
npgan inside it.
"""

import pytest

from npgan.models import memory

GIB = 2**30
NO_LIMIT_V1 = str(9223372036854771712)


def _fake(monkeypatch, tmp_path, proc_cgroup: str | None, files: dict, meminfo_gib: float = 64):
    """A fake tree: ``/proc/self/cgroup`` (None: unreadable), ``/proc/meminfo``, and cgroup ``files``
    (path below /sys/fs/cgroup -> content)."""
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text(f"MemTotal: 1 kB\nMemAvailable: {int(meminfo_gib * GIB) // 1024} kB\n")
    if proc_cgroup is not None:
        (proc / "cgroup").write_text(proc_cgroup)
    root = tmp_path / "cgroup"
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"{content}\n")
    monkeypatch.setattr(memory, "_MEMINFO", str(proc / "meminfo"))
    monkeypatch.setattr(memory, "_PROC_CGROUP", str(proc / "cgroup"))
    monkeypatch.setattr(memory, "_CGROUP_ROOT", str(root))


def test_v2_reads_the_process_own_cgroup(monkeypatch, tmp_path):
    _fake(monkeypatch, tmp_path, "0::/user.slice/job\n", {
        "memory.max": "max", "memory.current": 10 * GIB,
        "user.slice/job/memory.max": int(1.5 * GIB), "user.slice/job/memory.current": GIB // 2})
    assert memory.available_memory() == GIB


def test_v2_a_limit_above_the_process_cgroup_binds_it(monkeypatch, tmp_path):
    _fake(monkeypatch, tmp_path, "0::/a/b\n", {
        "a/memory.max": 2 * GIB, "a/memory.current": int(1.75 * GIB),
        "a/b/memory.max": "max", "a/b/memory.current": GIB})
    assert memory.available_memory() == GIB // 4


def test_v1_reads_the_memory_controller_path(monkeypatch, tmp_path):
    _fake(monkeypatch, tmp_path, "5:cpu,cpuacct:/other\n4:memory:/process_api/abc\n0::/\n", {
        "memory/memory.limit_in_bytes": NO_LIMIT_V1, "memory/memory.usage_in_bytes": 30 * GIB,
        "memory/process_api/abc/memory.limit_in_bytes": int(1.5 * GIB),
        "memory/process_api/abc/memory.usage_in_bytes": GIB // 2,
        "memory/other/memory.limit_in_bytes": GIB // 10, "memory/other/memory.usage_in_bytes": 0})
    assert memory.available_memory() == GIB


def test_meminfo_when_it_is_the_smallest(monkeypatch, tmp_path):
    _fake(monkeypatch, tmp_path, "0::/job\n", {"job/memory.max": 8 * GIB, "job/memory.current": 0}, meminfo_gib=2)
    assert memory.available_memory() == 2 * GIB


@pytest.mark.parametrize("proc_cgroup", [None, "garbage\n", "0::/not/there\n"],
                         ids=["unreadable", "damaged", "another-namespace"])
def test_falls_back_to_the_mount_roots(monkeypatch, tmp_path, proc_cgroup):
    _fake(monkeypatch, tmp_path, proc_cgroup, {
        "memory.max": 3 * GIB, "memory.current": GIB,
        "memory/memory.limit_in_bytes": 4 * GIB, "memory/memory.usage_in_bytes": GIB})
    assert memory.available_memory() == 2 * GIB


def test_nothing_readable_is_unknown(monkeypatch, tmp_path):
    _fake(monkeypatch, tmp_path, None, {})
    (tmp_path / "proc" / "meminfo").unlink()
    assert memory.available_memory() is None


def test_training_is_refused_inside_a_small_child_cgroup(monkeypatch, tmp_path):
    # issue 33: a 1.5 GB child cgroup under an unlimited root; the check read the root and let a
    # batch of 4096 be OOM-killed
    from npgan.models.infogan import InfoGANConfig
    _fake(monkeypatch, tmp_path, "4:memory:/job\n", {
        "memory/memory.limit_in_bytes": NO_LIMIT_V1, "memory/memory.usage_in_bytes": GIB,
        "memory/job/memory.limit_in_bytes": int(1.5 * GIB), "memory/job/memory.usage_in_bytes": GIB // 10})
    with pytest.raises(memory.NotEnoughMemory, match="only 1.4 GiB is available"):
        memory.check_training_memory(InfoGANConfig(batch_size=4096))


def test_copies_multiply_the_need_and_name_the_workers(monkeypatch):
    from npgan.models.infogan import InfoGANConfig
    one = memory.training_memory(InfoGANConfig()).total
    monkeypatch.setattr(memory, "available_memory", lambda: 3 * one)
    memory.check_training_memory(InfoGANConfig(), copies=3)
    with pytest.raises(memory.NotEnoughMemory, match=r"4 trainings at once.*--workers"):
        memory.check_training_memory(InfoGANConfig(), copies=4)


# --------------------------------------------------------------------------- a real cgroup
def _own_memory_cgroup_v1():
    """The folder of this process's cgroup-v1 memory controller, if this process may make a child there."""
    import os
    from pathlib import Path
    try:
        line = next(ln for ln in Path("/proc/self/cgroup").read_text().splitlines()
                    if ln.split(":")[1] and "memory" in ln.split(":")[1].split(","))
    except (OSError, StopIteration, IndexError):
        return None
    folder = Path("/sys/fs/cgroup/memory") / line.split(":", 2)[2].lstrip("/")
    ok = (folder / "memory.limit_in_bytes").exists() and os.access(folder, os.W_OK)
    return folder if ok else None


@pytest.mark.skipif(_own_memory_cgroup_v1() is None,
                    reason="needs a writable cgroup-v1 memory controller (root on a host that has one)")
def test_a_real_child_cgroup_limits_what_npgan_reads_and_refuses(tmp_path):
    # issue 33: inside a 1.5 GB child cgroup `npgan train --subset 4096 --batch-size 4096` was OOM-killed
    import os
    import subprocess
    import sys
    child = _own_memory_cgroup_v1() / f"npgan-test-{os.getpid()}"
    child.mkdir()
    try:
        (child / "memory.limit_in_bytes").write_text(str(600 * 2**20))

        def enter():                      # in the child process, before it runs Python
            (child / "cgroup.procs").write_text(str(os.getpid()))

        def run(*args):
            return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                                  preexec_fn=enter, cwd=tmp_path)
        seen = run("-c", "from npgan.models.memory import available_memory; print(available_memory())")
        assert seen.returncode == 0, seen.stderr
        assert 0 < int(seen.stdout) <= 600 * 2**20
        out = tmp_path / "run"
        train = run("-m", "npgan", "train", "--subset", "4096", "--batch-size", "4096", "--updates", "1",
                    "--out", str(out))
        err = train.stderr.strip().splitlines()
        assert train.returncode == 2, train.stderr[-2000:]
        assert err[-1].startswith("npgan train: error: training these networks needs about"), err
        assert "GiB is available" in err[-1] and not any("Traceback" in line for line in err)
    finally:
        child.rmdir()
