"""npgan sweep: the grid, the summary, and sweeps on a real LocalCluster with 2 worker processes.

The runs are tiny (batch 8, noise 8, a 64-image subset, a few updates, a small evaluation), so the
file tests the mechanics: what is trained, what is skipped, what fails alone, what survives a killed
worker or Ctrl-C, and that a sweep's run is the run ``npgan train`` makes.
"""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest

from npgan.cli import main
from npgan.run import load_checkpoint
from npgan.sweep import EvalOptions, SweepSpec, parse_seeds, plan_runs, write_summary
from npgan.sweep.cluster import plan_local
from npgan.sweep.summary import FIELDS, li_at

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="the [sweep] extra (dask[distributed]) is not installed")

TINY_SETS = [("batch_size", "8"), ("latent.noise_dim", "8")]
TINY_EVAL = EvalOptions(samples=100, bases=2, limit=100)
TINY_CLI = ["--subset", "64", "--set", "batch_size=8", "--set", "latent.noise_dim=8", "--eval-limit", "100",
            "--eval-samples", "100", "--eval-bases", "2", "--no-progress"]


# --------------------------------------------------------------------------- the plan, no cluster
def test_seeds_accept_ranges_and_lists():
    assert parse_seeds(["0-4"]) == [0, 1, 2, 3, 4]
    assert parse_seeds(["0", "2", "7-8", "2"]) == [0, 2, 7, 8]
    assert parse_seeds(["1,3"]) == [1, 3]
    for bad in (["a"], ["3-1"], ["-1"], []):
        with pytest.raises(ValueError, match="seeds"):
            parse_seeds(bad)


def test_grid_varies_a_key_given_twice_and_adds_the_gan_arm():
    runs = plan_runs(["paper", "npgan"], [0, 1], [("consistency.weight", "0.5"), ("consistency.weight", "1"),
                                                  ("batch_size", "8")], gan_baseline=True)
    arms = list(dict.fromkeys(r.arm for r in runs))
    assert arms == ["paper_consistency.weight=0.5", "paper_consistency.weight=1",
                    "npgan_consistency.weight=0.5", "npgan_consistency.weight=1", "gan"]
    assert len(runs) == 10 and [r.seed for r in runs[:2]] == [0, 1]
    assert runs[0].overrides == {"batch_size": "8", "consistency.weight": "0.5"}
    gan = [r for r in runs if r.arm == "gan"]
    assert gan[0].recipe == "paper" and gan[0].overrides == {"batch_size": "8", "gan_baseline": "true"}
    assert runs[0].name == "paper_consistency.weight=0.5/seed0"


def test_grid_rejects_unknown_recipes_and_keys_at_once():
    with pytest.raises(ValueError, match="unknown setting 'lamda'"):
        plan_runs(["npgan"], [0], [("lamda", "1")])
    with pytest.raises(ValueError, match="recipes"):
        plan_runs(["nope"], [0])


def test_local_cluster_shares_the_cores_among_the_runs():
    assert plan_local(4, cores=2) == plan_local(2, cores=2)
    p = plan_local(4, cores=2)
    assert (p.workers, p.threads_per_run) == (2, 1)
    p = plan_local(1, cores=8)
    assert (p.workers, p.threads_per_run) == (1, 8)
    p = plan_local(10, cores=8, threads_per_run=2)
    assert (p.workers, p.threads_per_run) == (4, 2)
    p = plan_local(10, cores=8, workers=3)
    assert (p.workers, p.threads_per_run) == (3, 2)


def test_li_at_is_the_mean_of_the_window_and_none_before_it():
    recs = [{"update": u, "li_cat": float(u)} for u in range(1, 101)]
    assert li_at(recs, 100, window=4) == pytest.approx(98.5)
    assert li_at(recs, 1000) is None


def test_seeds_and_grids_have_a_maximum_checked_before_they_are_made():
    from npgan.sweep.plan import MAX_RUNS
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=f"at most {MAX_RUNS} seeds.*'0-100000000'"):
        parse_seeds(["0-100000000"])  # issue 33: 3.8 GB allocated before "out of memory"
    assert time.perf_counter() - t0 < 1.0
    assert len(parse_seeds([f"0-{MAX_RUNS - 1}"])) == MAX_RUNS
    with pytest.raises(ValueError, match="at most 1000 seeds"):
        parse_seeds([f"0-{MAX_RUNS - 1}", str(MAX_RUNS)])
    with pytest.raises(ValueError, match=r"at most 1000 runs, got 1,010 \(101 arms x 10 seeds\)"):
        plan_runs(["paper"], range(10), [("lambda_cont", str(i)) for i in range(100)], gan_baseline=True)
    with pytest.raises(ValueError, match="at most 1000 runs"):  # counted, not made: 100**5 arms
        plan_runs(["paper"], [0], [(k, str(i)) for k in ("lambda_cont", "lambda_cat", "lr_d", "lr_g", "beta1")
                                   for i in range(1, 101)])
    assert f"MAX_RUNS = {MAX_RUNS}" in " ".join(_sweep_help().split())


def _sweep_help() -> str:
    from npgan.cli import build_parser
    parser = build_parser()
    return next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["sweep"].format_help()


@pytest.mark.parametrize("option, value", [("--updates", "100000000"), ("--subset", "100000000"),
                                           ("--checkpoint-every", "100000000"), ("--eval-samples", "100000000"),
                                           ("--eval-bases", "100000"), ("--eval-limit", "100000"),
                                           ("--eval-at", "100000000"), ("--workers", "100000"),
                                           ("--threads-per-run", "100000")])
def test_sweep_size_options_have_maxima(tmp_path, capsys, option, value):
    # issue 33: --updates 100000000 was accepted, --subset 100000000 killed 4 workers
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "--out", str(tmp_path / "s"), option, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: expected at most" in err and "Traceback" not in err
    assert not (tmp_path / "s").exists()


def test_sweep_seeds_over_the_maximum_are_one_line(tmp_path, capsys):
    # issue 33: --seeds 0-20000 started 20 001 runs
    assert main(["sweep", "--out", str(tmp_path / "s"), "--seeds", "0-20000", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "at most 1000 seeds" in err and "'0-20000'" in err, err
    assert not (tmp_path / "s").exists()


@needs_dask
def test_a_local_sweep_that_cannot_fit_in_memory_is_refused_before_it_starts(tmp_path, capsys, monkeypatch):
    from npgan.models import memory
    from npgan.recipes import resolve
    one = memory.training_memory(resolve("paper", "synthetic", dict(TINY_SETS)).model).total + 64 * 28 * 28 * 4
    monkeypatch.setattr(memory, "available_memory", lambda: int(1.5 * one))  # one run fits, two do not
    out = tmp_path / "s"
    args = ["sweep", "--recipe", "paper", "--seeds", "0-1", "--updates", "2", "--out", str(out), *TINY_CLI]
    assert main([*args, "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "2 trainings at once" in err and "--workers" in err and "Traceback" not in err
    assert not (out / "sweep.json").exists()


def test_sweep_without_dask_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert main(["sweep", "--out", str(tmp_path), "--updates", "1"]) == 2
    err = capsys.readouterr().err
    assert "pip install" in err and "[sweep]" in err and "Traceback" not in err


def test_report_needs_a_sweep_folder(tmp_path, capsys):
    assert main(["sweep", "--report", str(tmp_path)]) == 2
    assert "no sweep.json" in capsys.readouterr().err


# --------------------------------------------------------------------------- on a LocalCluster
@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes (1 thread each), shared by the tests below."""
    from npgan.sweep.cluster import connect
    with connect(None, plan_local(2, workers=2, threads_per_run=1)) as c:
        yield c


def sweep_2x2_args(out, client):
    return ["sweep", "--recipe", "paper", "npgan", "--seeds", "0-1", "--updates", "4",
            "--out", str(out), "--scheduler", client.scheduler.address, *TINY_CLI]


@pytest.fixture(scope="module")
def sweep_2x2(tmp_path_factory, client):
    """2 recipes x 2 seeds through the command line, on the cluster's scheduler (``--scheduler``)."""
    out = tmp_path_factory.mktemp("sweep")
    assert main(sweep_2x2_args(out, client)) == 0
    return out


@needs_dask
def test_local_scheduler_keeps_workers_without_heartbeats(client):
    # a sweep stopped and resumed as a whole (Ctrl-Z, fg) must not find its runs restarted
    assert client.cluster.scheduler.worker_ttl is None
    import dask
    assert dask.config.get("distributed.scheduler.worker-ttl") is not None  # only the local cluster's


@needs_dask
def test_sweep_writes_every_run_and_a_summary(sweep_2x2):
    out = sweep_2x2
    names = ["paper/seed0", "paper/seed1", "npgan/seed0", "npgan/seed1"]
    for name in names:
        folder = out / name
        for f in ("config.json", "metrics.jsonl", "checkpoint.npz", "eval.json", "samples.png", "li_curve.png",
                  "losses.png", "traverse_cat0.png", "mi_matrix.png", "report.html", "samples/frames.json"):
            assert (folder / f).exists(), f"{name}/{f}"
    lines = (out / "summary.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:len(FIELDS)] == list(FIELDS) and "c2_rotation" in header
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    assert [r["run"] for r in rows] == names
    for r in rows:
        assert r["status"] == "done" and r["update"] == "4" and r["error"] == ""
        assert 0.0 <= float(r["accuracy"]) <= 1.0 and float(r["train_s"]) > 0
        assert r["li_1000"] == ""  # 4 updates never reach update 1 000
        assert np.isfinite(float(r["li_end"])) and np.isfinite(float(r["mig_style"]))
    md = (out / "summary.md").read_text()
    assert "4 runs: 4 done, 0 failed" in md
    assert md.count("| paper | 2 / 2 |") == 1 and md.count("| npgan | 2 / 2 |") == 1
    assert (out / "summary.png").stat().st_size > 1000
    record = json.loads((out / "sweep.json").read_text())
    assert all(record["runs"][n]["start_update"] == 0 and record["runs"][n]["end_update"] == 4 for n in names)


@needs_dask
def test_second_invocation_trains_nothing_and_gives_the_same_summary(sweep_2x2, client, capsys):
    out = sweep_2x2
    before = {f: (out / f).read_bytes() for f in ("summary.csv", "summary.md")}
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/seed*/checkpoint.npz")}
    capsys.readouterr()
    assert main(sweep_2x2_args(out, client)) == 0
    assert "4 runs were finished already" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert {f: (out / f).read_bytes() for f in before} == before
    # --report rebuilds the same table from the folders alone
    (out / "summary.md").unlink()
    assert main(["sweep", "--report", str(out)]) == 0
    assert (out / "summary.md").read_bytes() == before["summary.md"]


def _arrays_equal(a, b, path="state"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _arrays_equal(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _arrays_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b, path


@needs_dask
def test_a_sweep_run_is_the_npgan_train_run(sweep_2x2, tmp_path):
    """npgan train, then npgan eval with the sweep's evaluation options and npgan report (what npgan
    train's end does with the default evaluation): the same folder, numbers and files."""
    ref = tmp_path / "ref"
    assert main(["train", "--recipe", "npgan", "--seed", "1", "--updates", "4", "--subset", "64",
                 "--set", "batch_size=8", "--set", "latent.noise_dim=8", "--no-progress", "--no-figures",
                 "--out", str(ref)]) == 0
    assert main(["eval", str(ref), "--limit", "100", "--samples", "100", "--bases", "2"]) == 0
    assert main(["report", str(ref)]) == 0
    run = sweep_2x2 / "npgan" / "seed1"

    def listing(folder):
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert listing(run) == listing(ref)
    a, b = load_checkpoint(run / "checkpoint.npz"), load_checkpoint(ref / "checkpoint.npz")
    assert a.pop("run_id") != b.pop("run_id")  # each run has its own id; everything else is equal
    _arrays_equal(a, b)

    def config(folder):
        return {k: v for k, v in json.loads((folder / "config.json").read_text()).items() if k != "run_id"}
    assert config(run) == config(ref)

    def metrics(folder):
        return [{k: v for k, v in json.loads(x).items() if k != "seconds"}
                for x in (folder / "metrics.jsonl").read_text().splitlines()]
    assert metrics(run) == metrics(ref)

    def evaluation(folder):
        ev = json.loads((folder / "eval.json").read_text())
        ev.pop("checkpoint")
        for key in ("figure", "class_figure"):
            ev["factors"][key] = os.path.basename(ev["factors"][key])
        return ev
    assert evaluation(run) == evaluation(ref)


def _spec(out, runs, updates, **kw):
    return SweepSpec("synthetic", runs, updates=updates, out=out, subset=64, evaluation=TINY_EVAL,
                     figures=False, **kw)


@needs_dask
def test_a_failing_run_fails_alone_and_results_can_be_gathered(client, tmp_path):
    # a batch larger than the 64 images passes the settings' check (it depends on the data) and
    # fails where the run starts; values a setting cannot take are refused before the sweep starts
    from npgan.sweep.runner import run_sweep
    runs = plan_runs(["paper"], [0], [("latent.noise_dim", "8"), ("batch_size", "8"), ("batch_size", "128")])
    spec = _spec(tmp_path / "out", runs, updates=2)
    result = run_sweep(spec, client=client, gather=True, worker_dir=str(tmp_path / "workers"), progress=False)
    bad, good = "paper_batch_size=128/seed0", "paper_batch_size=8/seed0"
    assert result.attempts[bad]["status"] == "failed"
    assert "batch size 128" in result.attempts[bad]["error"] and "Traceback" in result.attempts[bad]["traceback"]
    assert result.attempts[good]["status"] == "done"
    rows = {r["run"]: r for r in result.summary.rows}
    assert rows[good]["status"] == "done" and rows[bad]["status"] == "failed"
    assert "batch size 128" in rows[bad]["error"]
    assert f"| {bad} | 0 | failed |" in result.summary.markdown.read_text()
    # gathered: the workers wrote into their own folder, the client's --out has the files
    assert (tmp_path / "workers" / good / "checkpoint.npz").exists()
    assert (tmp_path / "out" / good / "eval.json").exists()
    assert (tmp_path / "out" / good / "checkpoint.npz").stat().st_size > 0


def _kill_worker_when(client, key_part, ready, done):
    """Kill (SIGKILL) the worker process running the task named ``key_part`` once ``ready()``."""
    while not done.is_set():
        if ready():
            for addr, keys in client.processing().items():
                if any(key_part in str(k) for k in keys):
                    pid = client.run(os.getpid, workers=[addr])[addr]
                    os.kill(pid, signal.SIGKILL)
                    return pid
        time.sleep(0.05)
    return None


@needs_dask
def test_a_killed_worker_leaves_its_run_resumed_from_the_checkpoint(client, tmp_path):
    from npgan.sweep.runner import run_sweep
    runs = plan_runs(["paper"], [3], TINY_SETS)
    spec = _spec(tmp_path, runs, updates=40, checkpoint_every=4)
    folder = spec.folder(runs[0])

    def ready():  # the first checkpoint (update 4) is on disk and the run trains on
        return (folder / "checkpoint.npz").exists()

    done, killed = threading.Event(), []
    watcher = threading.Thread(target=lambda: killed.append(_kill_worker_when(client, "paper/seed3", ready, done)))
    watcher.start()
    try:
        result = run_sweep(spec, client=client, progress=False)
    finally:
        done.set()
        watcher.join()
    assert killed and killed[0] is not None, "the worker was not killed while the run trained"
    attempt = result.attempts["paper/seed3"]
    assert attempt["status"] == "done"
    assert 4 <= attempt["start_update"] < 40, "the run restarted instead of resuming from its checkpoint"
    updates = [json.loads(x)["update"] for x in (folder / "metrics.jsonl").read_text().splitlines()]
    assert updates == list(range(1, 41))
    assert load_checkpoint(folder / "checkpoint.npz")["update"] == 40
    assert result.summary.rows[0]["status"] == "done"


@contextmanager
def _training_sweep(out):
    """A sweep of one long run in its own process group, yielded once the run has trained an update (its
    first metrics line), with its metrics log; the whole group is killed on the way out if still there."""
    cmd = [sys.executable, "-m", "npgan", "sweep", "--recipe", "paper", "--seeds", "0", "--updates", "100000",
           "--checkpoint-every", "100000", "--out", str(out), "--workers", "1", "--no-figures", *TINY_CLI]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    metrics = out / "paper" / "seed0" / "metrics.jsonl"
    try:
        deadline = time.monotonic() + 180
        while not (metrics.exists() and metrics.read_text().count("\n") >= 1):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the run did not train an update in 180 s"
            time.sleep(0.1)
        yield proc, metrics
    finally:
        _kill_group(proc)


def _kill_group(proc):
    """SIGKILL to ``proc``'s process group (its session's leader), if anything of it is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


def _stopped_sweep(out, send):
    """A training sweep stopped by ``send(proc)``: its return code, stderr and stop update (checkpoint =
    last metrics line, none was due before)."""
    with _training_sweep(out) as (proc, metrics):
        send(proc)
        _, err = proc.communicate(timeout=240)
    assert "run the same command to continue" in err and "Traceback" not in err, err
    stopped_at = load_checkpoint(out / "paper" / "seed0" / "checkpoint.npz")["update"]
    assert 1 <= stopped_at < 100000
    assert stopped_at == json.loads(metrics.read_text().splitlines()[-1])["update"]
    assert json.loads((out / "sweep.json").read_text())["runs"]["paper/seed0"]["status"] == "interrupted"
    return proc.returncode, err, stopped_at


@needs_dask
def test_ctrl_c_stops_cleanly_and_the_run_resumes(client, tmp_path):
    out = tmp_path / "sweep"
    # what a terminal does: the whole process group, workers included
    rc, err, stopped_at = _stopped_sweep(out, lambda proc: os.killpg(proc.pid, signal.SIGINT))
    assert rc == 130, err
    assert "| paper/seed0 | 0 | stopped |" in (out / "summary.md").read_text()
    assert write_summary(out).rows[0]["status"] == "stopped"
    # the next invocation (here asking for two more updates) resumes from that checkpoint
    from npgan.sweep.runner import run_sweep
    spec = _spec(out, plan_runs(["paper"], [0], TINY_SETS), updates=stopped_at + 2, checkpoint_every=1000)
    attempt = run_sweep(spec, client=client, progress=False).attempts["paper/seed0"]
    assert (attempt["status"], attempt["start_update"], attempt["end_update"]) == ("done", stopped_at, stopped_at + 2)


@needs_dask
@pytest.mark.parametrize("to_group", [False, True], ids=["client", "group"])
def test_sigterm_to_the_sweep_stops_it_as_ctrl_c_does(tmp_path, to_group):
    # kill PID, docker stop: the sweep's own process; kill -TERM -- -PGID: every process of the group
    # (the workers ignore it: killed, their nannies would restart them and the runs would train on)
    def send(proc):
        (os.killpg if to_group else os.kill)(proc.pid, signal.SIGTERM)
    rc, err, _ = _stopped_sweep(tmp_path / "sweep", send)
    assert rc == 143, err


def test_a_signal_ignored_when_the_sweep_starts_stays_ignored():
    # as npgan train: `npgan sweep ... &` in a script starts with SIGINT ignored; the terminal's
    # Ctrl-C must not reach it, while SIGTERM still stops it
    from npgan.sweep.stop import StopRequest
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopRequest().installed() as stop:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == stop._handler
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)


# --------------------------------------------------------------------------- evaluations on the way
def test_eval_at_keeps_each_runs_evaluation_at_those_updates(tmp_path):
    from npgan.sweep.record import save_record
    from npgan.sweep.task import milestone_path, run_one
    runs = plan_runs(["paper"], [0], TINY_SETS)
    spec = SweepSpec(dataset="synthetic", runs=runs, updates=5, out=tmp_path, subset=64, evaluation=TINY_EVAL,
                     figures=False, eval_at=(3, 2, 3))
    assert spec.eval_at == (2, 3)
    folder = spec.folder(runs[0])
    outcome = run_one(spec, runs[0])
    assert outcome.start_update == 0 and outcome.end_update == 5
    for u in (2, 3):
        assert json.loads(milestone_path(folder, u).read_text())["update"] == u
    assert json.loads((folder / "eval.json").read_text())["update"] == 5
    assert len((folder / "metrics.jsonl").read_text().splitlines()) == 5
    save_record(tmp_path, spec, {})
    row = write_summary(tmp_path, figure=False).rows[0]
    assert row["accuracy@2"] == json.loads(milestone_path(folder, 2).read_text())["accuracy"]
    assert "accuracy@3" in (tmp_path / "summary.md").read_text()
    # asked later, a run already past an update is not evaluated there: its cell stays empty
    later = SweepSpec(dataset="synthetic", runs=runs, updates=6, out=tmp_path, subset=64, evaluation=TINY_EVAL,
                      figures=False, eval_at=(4,))
    run_one(later, runs[0])
    assert not milestone_path(folder, 4).exists()
    save_record(tmp_path, later, {})
    assert write_summary(tmp_path, figure=False).rows[0]["accuracy@4"] is None


def test_eval_at_must_come_before_the_end():
    with pytest.raises(ValueError, match="eval_at"):
        SweepSpec(dataset="synthetic", runs=plan_runs(["paper"], [0]), updates=5, eval_at=(5,))


@pytest.mark.parametrize("setting", ["batch_size=abc", "latent.categorical=1000000", "distortion.rotation=-1"])
def test_a_bad_setting_value_is_refused_before_a_cluster_starts(setting, tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", "--set", setting, "--updates", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("npgan sweep: error: arm 'npgan': "), err
    assert not out.exists()
