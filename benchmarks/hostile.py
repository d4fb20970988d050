"""A hostile pass over npgan's command line (issue 33's classes), each case classified.

    nice -n 10 python benchmarks/hostile.py --work /tmp/hostile [--only PREFIX] [--json OUT.json]

Classes of cases: bad arguments and settings of every command; damaged files (npgan's own
config.json, eval.json, metrics.jsonl, sweep.json, samples/frames.json, the checkpoint); outputs
aimed at a run's own files; SIGINT / SIGTERM / kill -9 at random moments of tiny runs, each then
resumed; tiny sweeps (changed settings, signals to the process group, damaged sweep.json);
resource abuse at and beyond the documented maxima. Every run is tiny (the paper's networks, a few
updates at batch 8 on 64-256 images).

Each case runs with a timeout and is classified:

- ``clear``: refused with one line (``npgan CMD: error: ...``; argparse's usage line may precede
  it) and exit status 2 (3: training diverged, as the README documents), or 130 / 143 for a signal
  (-9 for kill -9), after which the next invocation resumes (or, killed before its first
  checkpoint, refuses in one line);
- ``accepted``: exit 0 and the case's own check of the output holds (what each case checks is in
  its ``check``: e.g. the run's checkpoint and metrics exist and are finite, the figure printed
  exists and is a PNG, eval.json is a checked evaluation);
- ``traceback``: "Traceback" or "Exception ignored" on stderr;
- ``silently wrong``: exit 0 but the check fails, or exit 0 where a refusal was the only right answer;
- ``data loss``: a run's checkpoint.npz, metrics.jsonl or config.json changed or removed by a
  command not asked to (no --overwrite, not --resume of that run);
- ``killed``: ran past its timeout or ended by a signal nobody sent (the OOM killer);
- ``unclear``: any other ending (exit 1, several error lines).

Prints one line per case and the counts; ``--json`` writes every case's result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NPGAN = [sys.executable, "-m", "npgan"]
TINY = ["--updates", "4", "--subset", "64", "--batch-size", "8", "--checkpoint-every", "2", "--no-progress",
        "--no-figures"]
EVAL = ["--limit", "50", "--samples", "50", "--bases", "2"]
#: a small explorer: a report in seconds
REPORT = ["--noise", "1", "--budget", "16", "--steps", "3"]
PROTECTED = ("checkpoint.npz", "metrics.jsonl", "config.json")
DEEP = "[" * 100_000 + "]" * 100_000
PNG = b"\x89PNG\r\n\x1a\n"
FAILING = ("traceback", "silently wrong", "data loss", "killed", "unclear")


@dataclass
class Case:
    """One hostile case: ``argv`` after ``npgan`` (``RUN`` / ``WORK`` replaced by paths)."""

    name: str
    argv: list
    kind: str = "clear"        # "clear": only a refusal is right; "ok": only acceptance; "either"
    setup: object = None       # setup(work) before the command (damage a file ...)
    check: object = None       # check(work, out, err) -> str | None (None: the output is right)
    run: str | None = "run"    # the base run copied to WORK/run (None: no run)
    may_change: tuple = ()     # run files this command may change (--resume, --overwrite)
    timeout: float = 180.0
    signal_at: tuple | None = None   # (signal, seconds after start)
    after: object = None       # after(work) -> (argv, check) run after a signalled command
    extra: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------ checks of outputs
def _finite_run(folder: Path) -> str | None:
    if not (folder / "checkpoint.npz").is_file():
        return f"no checkpoint in {folder}"
    lines = (folder / "metrics.jsonl").read_text().splitlines() if (folder / "metrics.jsonl").exists() else []
    if not lines:
        return "no metrics"
    for line in lines:
        rec = json.loads(line)
        bad = [k for k, v in rec.items() if isinstance(v, float) and v != v]
        if bad:
            return f"NaN in metrics: {bad}"
    return None


def run_ok(work, out, err):
    return _finite_run(work / "out")


def printed_pngs(work, out, err):
    paths = [Path(line.split(": ", 1)[-1].strip()) for line in out.splitlines() if line.strip().endswith(".png")]
    if not paths:
        return "printed no .png"
    for p in paths:
        if not p.is_file() or p.read_bytes()[:8] != PNG:
            return f"printed {p}, not a PNG file there"
    return None


def eval_written(work, out, err):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from npgan.evaluation.eval_file import read_eval
    line = [x for x in out.splitlines() if "written:" in x]
    if not line:
        return "no 'written:' line"
    path = Path(line[-1].split("written:", 1)[1].strip())
    try:
        read_eval(path)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return f"{path}: {exc}"
    return None


def report_written(work, out, err):
    p = work / "run" / "report.html"
    return None if p.is_file() and p.stat().st_size > 1000 else "no report.html"


def summary_ok(work, out, err):
    return None if (work / "S" / "summary.md").is_file() else "no summary.md"


# ------------------------------------------------------------------------------ the cases
def _write(rel: str, text: str):
    def setup(work: Path):
        p = work / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return setup


def _edit_json(rel: str, change):
    def setup(work: Path):
        p = work / rel
        data = json.loads(p.read_text())
        data = change(data)
        p.write_text(json.dumps(data))
    return setup


def _pop(key):
    def change(d):
        cur, *rest = key.split(".")
        target = d
        while rest:
            target, cur, rest = target[cur], rest[0], rest[1:]
        target.pop(cur, None)
        return d
    return change


def _put(key, value):
    def change(d):
        parts = key.split(".")
        target = d
        for p in parts[:-1]:
            target = target[p]
        target[parts[-1]] = value
        return d
    return change


def argument_cases() -> list[Case]:
    cases = []
    bad_ints = ["0", "-1", "abc", "1.5", "", "1e3", "99999999999999999999"]
    for flag in ("--updates", "--batch-size", "--subset", "--checkpoint-every", "--seed", "--samples-every"):
        for v in bad_ints:
            ok = flag in ("--seed", "--samples-every") and v in ("0", "99999999999999999999")  # any seed is one
            cases.append(Case(f"train {flag} {v!r}", ["train", "--out", "WORK/out", *TINY, flag, v],
                              kind="either" if ok else "clear", check=run_ok, run=None))
    for flag, v in [("--updates", "10000001"), ("--subset", "60001"), ("--batch-size", "100000"),
                    ("--lr-d", "0"), ("--lr-d", "-1"), ("--lr-d", "nan"), ("--lr-g", "inf"), ("--lr-g", "1e308"),
                    ("--recipe", "nope"), ("--dataset", "cifar"), ("--data-dir", "WORK/nodir"),
                    ("--config", "WORK/none.json"), ("--out", "/dev/null"), ("--out", "/proc/version"),
                    ("--out", "/proc/self/npgan")]:
        cases.append(Case(f"train {flag} {v}", ["train", *TINY, "--out", "WORK/out", flag, v], run=None,
                          kind="either", check=run_ok))
    sets = ["batch_size=abc", "batch_size=0", "batch_size=-8", "batch_size=1e9", "lr_d=-1", "lr_d=nan",
            "lr_g=inf", "beta1=1", "beta1=-0.1", "beta2=2", "lambda_cat=-1", "lambda_cat=nan", "lambda_cont=1e308",
            "latent.noise_dim=0", "latent.noise_dim=-3", "latent.noise_dim=100000000", "latent.categorical=abc",
            "latent.categorical=0", "latent.categorical=1", "latent.categorical=1000000", "latent.categorical=",
            "latent.categorical=10,10,10", "latent.continuous=-1", "latent.continuous=0", "latent.continuous=100000",
            "distortion.shift=1e308", "distortion.shift=-1", "distortion.scale_x=1e-320,1e-320",
            "distortion.scale_x=2,1", "distortion.rotation=nan", "distortion.rotation=1e308", "nonexistent=1",
            "=5", "x", "q_std=maybe", "leaky_slope=-5", "gan_baseline=perhaps", "consistency.weight=-1",
            "consistency.start=-5", "code_prior.weight=inf", "starts.count=0", "starts.count=100000",
            "starts.window=0", "ortho_jacobian.weight=1e308", "lr_g=1e3"]
    for s in sets:
        cases.append(Case(f"train --set {s}", ["train", *TINY, "--out", "WORK/out", "--set", s], kind="either",
                          check=run_ok, run=None))
    cases.append(Case("train --set batch_size=abc --batch-size 16",
                      ["train", *TINY, "--out", "WORK/out", "--set", "batch_size=abc", "--batch-size", "16"],
                      run=None))
    for name, text in [("not JSON", "{x"), ("list", "[]"), ("null", "null"), ("deep", DEEP), ("empty", ""),
                       ("latent missing", '{"config": {}}'), ("terms list", '{"config": {"terms": []}}')]:
        cases.append(Case(f"train --config {name}", ["train", "--config", "WORK/c.json", *TINY, "--out", "WORK/out"],
                          setup=_write("c.json", text), run=None, kind="either", check=run_ok))
    # the other commands
    bad = {"eval": [["--samples", "0"], ["--samples", "100001"], ["--bases", "1"], ["--bases", "4097"],
                    ["--limit", "0"], ["--limit", "10001"], ["--dataset", "x"], ["--json", "WORK/e.txt"],
                    ["--seed", "-1"], ["--data-dir", "WORK/none", "--dataset", "synthetic"]],
           "sample": [["--n", "0"], ["--n", "10001"], ["--out", "WORK/x.xyz"], ["--seed", "x"]],
           "traverse": [["--range", "0"], ["--range", "nan"], ["--range", "1e39"], ["--range", "-2"],
                        ["--out", "RUN/checkpoint.npz"]],
           "report": [["--steps", "4"], ["--steps", "2"], ["--steps", "43"], ["--noise", "0"], ["--noise", "65"],
                      ["--budget", "0"], ["--budget", "65537"], ["--data-dir", "WORK/none"]]}
    for cmd, variants in bad.items():
        for v in variants:
            cases.append(Case(f"{cmd} {' '.join(v)}", [cmd, "RUN", *(EVAL if cmd == "eval" else []), *v]))
    for cmd in ("eval", "sample", "traverse", "report", "curves"):
        for target in ("WORK/none", "/dev/null", "/", "WORK", "/proc/self/status"):
            cases.append(Case(f"{cmd} on {target}", [cmd, target]))
    sweep_bad = [["--seeds", "0-100000000"], ["--seeds", "0-20000"], ["--seeds", "x"], ["--seeds", "5-1"],
                 ["--updates", "100000000"], ["--subset", "100000000"], ["--workers", "0"], ["--workers", "100000"],
                 ["--threads-per-run", "0"], ["--recipe", "nope"], ["--eval-samples", "0"],
                 ["--eval-at", "-1"], ["--scheduler", "tcp://256.0.0.1:1"], ["--set", "batch_size=abc"],
                 ["--set", "latent.categorical=1000000"], ["--checkpoint-every", "0"],
                 ["--report", "WORK/none"], ["--report", "/"]]
    for v in sweep_bad:
        cases.append(Case(f"sweep {' '.join(v)}", ["sweep", "--out", "WORK/S", "--updates", "4", "--subset", "64",
                                                   "--set", "batch_size=8", "--workers", "1", "--no-figures",
                                                   "--no-progress", *v], run=None, timeout=120))
    cases += [Case("npgan", [], kind="ok", run=None, check=lambda w, o, e: None),
              Case("npgan nope", ["nope"], run=None),
              Case("npgan --version", ["--version"], kind="ok", run=None,
                   check=lambda w, o, e: None if "npgan" in o else "no version"),
              Case("recipes extra", ["recipes", "x"], run=None)]
    return cases


def output_cases() -> list[Case]:
    cases = []
    targets_of = {("eval", "--json"): ["RUN/checkpoint.npz", "RUN/metrics.jsonl", "RUN/config.json",
                                       "RUN/samples/frames.json", "RUN/report.html", "RUN", "RUN/config.json/x.json",
                                       "WORK/new.json", "RUN/eval.json"],
                  ("sample", "--out"): ["RUN/checkpoint.npz", "RUN/config.json", "RUN/metrics.jsonl", "RUN/samples",
                                        "RUN/new", "WORK/n.png", "RUN/samples.png"],
                  ("curves", "--out"): ["RUN/metrics.jsonl", "RUN/checkpoint.npz", "RUN/config", "WORK/c.png",
                                        "RUN/config.json/c.png"],
                  ("traverse", "--out"): ["RUN/checkpoint.npz", "RUN", "WORK/tv", "RUN/config.json"]}
    for (cmd, flag), targets in targets_of.items():
        for t in targets:
            check = eval_written if cmd == "eval" else printed_pngs
            cases.append(Case(f"{cmd} {flag} {t}", [cmd, "RUN", *(EVAL if cmd == "eval" else []), flag, t],
                              kind="either", check=check))
    cases.append(Case("train into an existing run", ["train", *TINY, "--out", "RUN"]))
    cases.append(Case("train --resume no run", ["train", *TINY, "--out", "WORK/none", "--resume"], run=None))
    cases.append(Case("train --overwrite", ["train", *TINY, "--out", "RUN", "--overwrite"], kind="ok",
                      may_change=PROTECTED,
                      check=lambda w, o, e: _finite_run(w / "run") or (
                          "old eval.json left" if (w / "run" / "eval.json").exists() else None)))
    cases.append(Case("train --resume --seed 5", ["train", "--out", "RUN", "--resume", "--updates", "6",
                                                  "--seed", "5", "--no-progress", "--no-figures"]))
    cases.append(Case("train --resume --batch-size 16", ["train", "--out", "RUN", "--resume", "--updates", "6",
                                                         "--batch-size", "16", "--no-progress", "--no-figures"]))
    cases.append(Case("train --resume", ["train", "--out", "RUN", "--resume", "--updates", "6", "--no-progress",
                                         "--no-figures"], kind="ok", may_change=PROTECTED,
                      check=lambda w, o, e: _finite_run(w / "run")))
    cases.append(Case("train --resume --updates 2 (fewer)", ["train", "--out", "RUN", "--resume", "--updates", "2",
                                                             "--no-progress", "--no-figures"], kind="either",
                      may_change=PROTECTED, check=lambda w, o, e: _finite_run(w / "run")))
    return cases


def damaged_file_cases() -> list[Case]:
    cases = []
    cfg_damage = {"not JSON": _write("run/config.json", "{x"), "list": _write("run/config.json", "[]"),
                  "null": _write("run/config.json", "null"), "deep": _write("run/config.json", DEEP),
                  "empty": _write("run/config.json", ""), "binary": _write("run/config.json", "\x00\x01\xff"),
                  "no config key": _edit_json("run/config.json", _pop("config")),
                  "latent missing": _edit_json("run/config.json", _pop("config.model.latent")),
                  "terms list": _edit_json("run/config.json", _put("config.terms", [])),
                  "batch text": _edit_json("run/config.json", _put("config.model.batch_size", "8")),
                  "images true": _edit_json("run/config.json", _put("images", True)),
                  "seed text": _edit_json("run/config.json", _put("seed", "zero"))}
    ev_damage = {"not JSON": _write("run/eval.json", "{x"), "list": _write("run/eval.json", "[1]"),
                 "null": _write("run/eval.json", "null"), "deep": _write("run/eval.json", DEEP),
                 "no li_cat": _edit_json("run/eval.json", _pop("li_cat")),
                 "li_cat text": _edit_json("run/eval.json", _put("li_cat", "high")),
                 "mapping bad": _edit_json("run/eval.json", _put("mapping", {"x": 1}))}
    met_damage = {"not JSON line": _write("run/metrics.jsonl", "{x\n{y\n"),
                  "empty": _write("run/metrics.jsonl", ""), "deep": _write("run/metrics.jsonl", DEEP + "\n"),
                  "no li_cat": _write("run/metrics.jsonl", '{"update": 1}\n{"update": 2}\n'),
                  "list line": _write("run/metrics.jsonl", "[1]\n[2]\n"),
                  "text numbers": _write("run/metrics.jsonl", '{"update": "1", "li_cat": "x"}\n'),
                  "binary": _write("run/metrics.jsonl", "\x00\xff\xfe\n")}
    frames_damage = {"frames not JSON": _write("run/samples/frames.json", "{x"),
                     "frames deep": _write("run/samples/frames.json", DEEP),
                     "frames list": _write("run/samples/frames.json", "[]")}
    ckpt = {"ckpt empty": lambda w: (w / "run/checkpoint.npz").write_bytes(b""),
            "ckpt text": lambda w: (w / "run/checkpoint.npz").write_text("hello"),
            "ckpt truncated": lambda w: _truncate(w / "run/checkpoint.npz"),
            "ckpt dir": lambda w: ((w / "run/checkpoint.npz").unlink(), (w / "run/checkpoint.npz").mkdir()),
            "ckpt missing": lambda w: (w / "run/checkpoint.npz").unlink(),
            "ckpt flipped": lambda w: _flip(w / "run/checkpoint.npz")}
    commands = {"report": (["report", "RUN", *REPORT], report_written), "eval": (["eval", "RUN", *EVAL], eval_written),
                "curves": (["curves", "RUN"], printed_pngs), "sample": (["sample", "RUN"], printed_pngs),
                "resume": (["train", "--out", "RUN", "--resume", "--updates", "6", "--no-progress", "--no-figures"],
                           lambda w, o, e: _finite_run(w / "run"))}
    for group, damages, cmds in [("config.json", cfg_damage, ("report", "curves", "resume", "eval")),
                                 ("eval.json", ev_damage, ("report",)),
                                 ("metrics.jsonl", met_damage, ("report", "curves", "resume")),
                                 ("frames.json", frames_damage, ("report", "resume")),
                                 ("checkpoint", ckpt, ("report", "eval", "sample", "resume"))]:
        for dname, setup in damages.items():
            for c in cmds:
                argv, check = commands[c]
                may = PROTECTED if c == "resume" else ()
                damaged = {"config.json": ("config.json",), "metrics.jsonl": ("metrics.jsonl",),
                           "checkpoint": ("checkpoint.npz",)}.get(group, ())
                cases.append(Case(f"{c} with {group} {dname}", argv, kind="either", setup=setup, check=check,
                                  may_change=may + damaged))
    return cases


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _flip(p: Path) -> None:
    with p.open("r+b") as f:
        f.seek(p.stat().st_size // 3)
        b = f.read(1)
        f.seek(p.stat().st_size // 3)
        f.write(bytes([b[0] ^ 0xFF]))


def signal_cases(rng: random.Random, n: int) -> list[Case]:
    cases = []
    sigs = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
    for i in range(n):
        sig = sigs[i % 3]
        at = round(rng.uniform(0.1, 12.0), 2)
        argv = ["train", "--out", "WORK/out", "--updates", "30", "--subset", "64", "--batch-size", "8",
                "--checkpoint-every", "3", "--no-progress", "--no-figures"]

        def after(work, argv=argv):
            return ([*argv[:-2], "--resume", "--no-progress", "--no-figures"], run_ok)
        cases.append(Case(f"train {signal.Signals(sig).name} at {at}s", argv, kind="either", run=None,
                          signal_at=(sig, at), after=after, check=run_ok))
    for i in range(4):
        sig = [signal.SIGINT, signal.SIGTERM][i % 2]
        at = round(rng.uniform(0.1, 1.5), 2)
        cases.append(Case(f"eval {signal.Signals(sig).name} at {at}s", ["eval", "RUN", *EVAL], kind="either",
                          signal_at=(sig, at), check=eval_written))
    return cases


SWEEP = ["sweep", "--out", "WORK/S", "--updates", "20", "--subset", "256", "--set", "batch_size=8", "--workers",
         "1", "--no-figures", "--no-progress", "--seeds", "0", "--checkpoint-every", "4"]


def sweep_cases(rng: random.Random, n_signals: int) -> list[Case]:
    cases = [Case("sweep tiny", SWEEP, kind="ok", run=None, check=summary_ok, timeout=400)]
    for i in range(n_signals):
        sig = [signal.SIGINT, signal.SIGTERM][i % 2]
        at = round(rng.uniform(0.2, 25.0), 1)

        def after(work):
            return (SWEEP, summary_ok)
        cases.append(Case(f"sweep {signal.Signals(sig).name} to group at {at}s", SWEEP, kind="either", run=None,
                          signal_at=(sig, at), after=after, check=summary_ok, timeout=400, extra={"group": True}))
    return cases


def sweep_file_cases() -> list[Case]:
    cases = []
    for name, setup in {"sweep.json not JSON": _write("S/sweep.json", "{x"),
                        "sweep.json deep": _write("S/sweep.json", DEEP),
                        "sweep.json list": _write("S/sweep.json", "[]"),
                        "sweep.json runs list": _edit_json("S/sweep.json", _put("runs", [])),
                        "run config {}": _write("S/npgan/seed0/config.json", "{}"),
                        "run eval.json damaged": _write("S/npgan/seed0/eval.json", "{x"),
                        "run metrics damaged": _write("S/npgan/seed0/metrics.jsonl", "{x\n")}.items():
        cases.append(Case(f"sweep --report with {name}", ["sweep", "--report", "WORK/S"], kind="either", run="sweep",
                          setup=setup, check=summary_ok))
        if name in ("sweep.json not JSON", "run config {}", "run metrics damaged"):
            cases.append(Case(f"sweep again with {name}", SWEEP, kind="either", run="sweep", setup=setup,
                              check=summary_ok, timeout=300, may_change=PROTECTED))
    cases.append(Case("sweep again with lambda_cont=0.2", [*SWEEP, "--set", "lambda_cont=0.2"], run="sweep",
                      timeout=300))
    cases.append(Case("sweep again unchanged", SWEEP, kind="ok", run="sweep", check=summary_ok, timeout=300))
    return cases


# ------------------------------------------------------------------------------ running
def _digests(folder: Path) -> dict:
    out = {}
    if folder.is_dir():
        for p in folder.rglob("*"):
            if p.name in PROTECTED and p.is_file():
                out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _subst(argv, work: Path):
    return [a.replace("RUN", str(work / "run")).replace("WORK", str(work)) for a in argv]


def _default_signals() -> None:
    """In the child: SIGINT and SIGTERM at their defaults. A background job of a non-interactive shell
    (``nohup python hostile.py &``) inherits SIGINT ignored, and npgan leaves an ignored signal ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _execute(argv, work: Path, timeout: float, signal_at=None, group=False):
    proc = subprocess.Popen([*NPGAN, *argv], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "MPLBACKEND": "Agg"},
                            preexec_fn=_default_signals)
    sent = None
    try:
        if signal_at is not None:
            sig, at = signal_at
            try:
                proc.wait(timeout=at)
            except subprocess.TimeoutExpired:
                (os.killpg if group else os.kill)(proc.pid, sig)
                sent = sig
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, sent, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return proc.returncode, out, err, sent, True
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of the case's group outlives it
        except ProcessLookupError:
            pass


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": error: " in line and line.startswith("npgan")]


def classify(case: Case, rc, out, err, sent, timed_out, before, after_digests) -> tuple[str, str]:
    if timed_out:
        return "killed", f"ran past {case.timeout:.0f} s"
    if "Traceback" in err or "Exception ignored" in err:
        return "traceback", err.strip().splitlines()[-1][:200] if err.strip() else ""
    lost = [k for k, v in before.items() if after_digests.get(k) != v
            and not (rc == 0 and Path(k).name in case.may_change)
            and not (Path(k).name in case.may_change and sent is not None)]
    if lost:
        return "data loss", f"changed or removed: {lost}"
    if rc is not None and rc < 0 and (sent is None or -rc != sent):
        return "killed", f"signal {-rc}"
    if sent is not None and rc in (130, 143, -9, -signal.SIGKILL):
        status = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -9}[sent]
        return ("clear", f"exit {rc}") if rc == status else ("unclear", f"exit {rc} after {signal.Signals(sent).name}")
    if rc == 2 or (rc == 3 and case.argv[0] == "train"):  # 3: training diverged (README)
        lines = _error_lines(err)
        stray = [x for x in err.splitlines() if x.strip() and not x.startswith("npgan") and not x.startswith("usage")
                 and not x.startswith(" ")]
        if len(lines) == 1 and not stray:
            return "clear", lines[0][:200]
        return "unclear", f"{len(lines)} error lines, stray: {stray[:2]}"
    if rc == 0:
        if case.kind == "clear":
            return "silently wrong", "exit 0 where only a refusal is right"
        problem = case.check(case.extra["work"], out, err) if case.check else None
        return ("silently wrong", problem) if problem else ("accepted", "")
    return "unclear", f"exit {rc}: {err.strip().splitlines()[-1][:160] if err.strip() else ''}"


def run_case(case: Case, bases: dict, root: Path) -> dict:
    work = root / "case"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    case.extra["work"] = work
    if case.run == "run":
        shutil.copytree(bases["run"], work / "run")
    elif case.run == "sweep":
        shutil.copytree(bases["sweep"], work / "S")
    if case.setup:
        case.setup(work)
    before = {**{f"run/{k}": v for k, v in _digests(work / "run").items()},
              **{f"S/{k}": v for k, v in _digests(work / "S").items()}}
    t0 = time.perf_counter()
    rc, out, err, sent, timed_out = _execute(_subst(case.argv, work), work, case.timeout, case.signal_at,
                                             case.extra.get("group", False))
    after_d = {**{f"run/{k}": v for k, v in _digests(work / "run").items()},
               **{f"S/{k}": v for k, v in _digests(work / "S").items()}}
    verdict, detail = classify(case, rc, out, err, sent, timed_out, before, after_d)
    if verdict in ("clear", "accepted") and sent is not None and case.after is not None:
        argv2, check2 = case.after(work)   # the next invocation resumes
        metrics = work / "out" / "metrics.jsonl"
        logged_before = len(metrics.read_text().splitlines()) if metrics.exists() and sent != signal.SIGKILL else 0
        rc2, out2, err2, _, to2 = _execute(_subst(argv2, work), work, case.timeout)
        if to2:
            verdict, detail = "killed", "the resumption ran past its timeout"
        elif "Traceback" in err2:
            verdict, detail = "traceback", "in the resumption: " + err2.strip().splitlines()[-1][:160]
        elif rc2 == 0:
            problem = check2(work, out2, err2)
            verdict, detail = ("silently wrong", f"resumed: {problem}") if problem else (verdict, detail + "; resumed")
        elif rc2 == 2 and len(_error_lines(err2)) == 1 and "no checkpoint" in err2:
            # stopped before its first checkpoint: nothing to resume, unless updates were logged
            if logged_before:
                verdict, detail = "data loss", f"{logged_before} updates logged, no checkpoint kept"
            else:
                detail += f"; stopped before its first update, resumption refused: {_error_lines(err2)[0][:100]}"
        else:
            verdict, detail = "unclear", f"resumption exit {rc2}: {err2.strip()[-160:]}"
    seconds = time.perf_counter() - t0
    shutil.rmtree(work, ignore_errors=True)
    return {"name": case.name, "verdict": verdict, "detail": detail, "rc": rc, "seconds": round(seconds, 1),
            "argv": case.argv}


def make_bases(root: Path) -> dict:
    bases = {"run": root / "base" / "run", "sweep": root / "base" / "S"}
    if not (bases["run"] / "eval.json").exists():
        shutil.rmtree(bases["run"], ignore_errors=True)
        bases["run"].parent.mkdir(parents=True, exist_ok=True)
        for argv in (["train", "--out", str(bases["run"]), *TINY[:-1]], ["eval", str(bases["run"]), *EVAL]):
            subprocess.run([*NPGAN, *argv], check=True, capture_output=True, env={**os.environ, "MPLBACKEND": "Agg"})
    if not (bases["sweep"] / "summary.md").exists():
        shutil.rmtree(bases["sweep"], ignore_errors=True)
        argv = [a.replace("WORK/S", str(bases["sweep"])) for a in SWEEP]
        subprocess.run([*NPGAN, *argv], check=True, capture_output=True, env={**os.environ, "MPLBACKEND": "Agg"})
    return bases


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=Path("/tmp/npgan-hostile"))
    p.add_argument("--only", default=None, help="run only cases whose name starts with this")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--signals", type=int, default=24, help="signalled tiny trainings")
    p.add_argument("--sweep-signals", type=int, default=4)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    bases = make_bases(args.work)
    cases = (argument_cases() + output_cases() + damaged_file_cases() + signal_cases(rng, args.signals)
             + sweep_file_cases() + sweep_cases(rng, args.sweep_signals))
    if args.only:
        cases = [c for c in cases if c.name.startswith(args.only)]
    results, t0 = [], time.perf_counter()
    for i, case in enumerate(cases):
        r = run_case(case, bases, args.work)
        results.append(r)
        print(f"[{i + 1}/{len(cases)}] {r['verdict']:15s} {r['seconds']:6.1f}s  {r['name']}  {r['detail']}",
              flush=True)
    counts = {v: sum(r["verdict"] == v for r in results)
              for v in ("clear", "accepted", "traceback", "silently wrong", "data loss", "killed", "unclear")}
    print(f"\n{len(results)} cases in {time.perf_counter() - t0:.0f} s: " +
          ", ".join(f"{k} {v}" for k, v in counts.items()))
    for r in results:
        if r["verdict"] in FAILING:
            print(f"  FAIL {r['verdict']}: {r['name']}: {r['detail']}")
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "cases": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
