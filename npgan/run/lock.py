"""``train.lock``: one training process per run folder.

The lock file is created atomically with its content (written to a private file, then hard-linked
to the lock's name, which fails if the lock exists) and holds the owner's pid, host, boot id, the
process's start time and a random token. While training, a heartbeat thread touches the file every
:data:`HEARTBEAT_SECONDS`; the owner deletes it when it stops.

A lock that exists is **stale**, and is taken over with a one-line note, when

- its owner ran on this host and is gone: no such process, a zombie, another process that reused
  the pid (a different start time), or a boot since (a different boot id). A ``kill -9`` or a
  killed Dask worker leaves such a lock, and ``--resume`` then just works;
- its owner ran on another host (a folder shared over a network) and its heartbeat is older than
  :data:`STALE_SECONDS`: the owner cannot be asked, so silence is taken as death. A run restarted
  on another host less than that after its process died is refused with the time it must wait.

Otherwise a second ``npgan train`` on the folder is refused with the owner's pid, host and start
time. Hosts are told apart by ``socket.gethostname()``; clocks of hosts that share a folder should
agree to well within :data:`STALE_SECONDS`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path

logger = logging.getLogger("npgan")

LOCK_NAME = "train.lock"
#: how often a training process touches its lock
HEARTBEAT_SECONDS = 30.0
#: a lock of another host untouched for this long is taken over
STALE_SECONDS = 300.0


class RunLocked(RuntimeError):
    """Another live process trains in the run folder."""


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _process_start(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of ``pid`` from /proc, or None if unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the name in parentheses may hold spaces
    return fields[0], fields[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


class RunLock:
    """The lock of one run folder; use as a context manager or call :meth:`acquire` / :meth:`release`."""

    def __init__(self, folder):
        self.path = Path(folder) / LOCK_NAME
        self.token = secrets.token_hex(8)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _content(self) -> bytes:
        proc = _process_start(os.getpid())
        return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "boot_id": _boot_id(),
                           "process_start": proc[1] if proc else None, "token": self.token,
                           "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                           "heartbeat_seconds": HEARTBEAT_SECONDS}).encode()

    def acquire(self) -> None:
        """Take the lock (a stale one with a logged note); :class:`RunLocked` if another process holds it."""
        for _ in range(5):
            if self._create():
                self._remove_leftovers()
                self._start_heartbeat()
                return
            raw, holder = self._read()
            if raw is None:
                continue  # released meanwhile
            why = self._stale(holder)
            if why is None:
                raise RunLocked(self._held_message(holder))
            if self._take_over(raw):
                logger.warning("note: %s: took over a stale lock (%s)", self.path, why)
        raise RunLocked(f"{self.path}: could not take the lock: other processes are taking it at the same time")

    def held_by_another(self) -> str | None:
        """If a live process (not a stale lock) holds the folder, the message saying so; else None."""
        raw, holder = self._read()
        if raw is None or (holder is not None and holder.get("token") == self.token):
            return None
        return self._held_message(holder) if self._stale(holder) is None else None

    def _create(self) -> bool:
        tmp = self.path.with_name(f"{LOCK_NAME}.{self.token}.new")
        tmp.write_bytes(self._content())
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: create-exclusive, then write
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as f:
                f.write(self._content())
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def _read(self) -> tuple[bytes | None, dict | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        try:
            holder = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply: an unreadable lock
            return raw, None
        return raw, holder if isinstance(holder, dict) else None

    def _stale(self, holder: dict | None) -> str | None:
        """Why the lock is stale, or None if its owner may be alive."""
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return "released"
        if holder is None or not isinstance(holder.get("pid"), int):
            return f"unreadable, untouched for {age:.0f} s" if age > STALE_SECONDS else None
        pid, host = holder["pid"], holder.get("host")
        if host != socket.gethostname():
            return f"pid {pid} on {host}: no heartbeat for {age:.0f} s" if age > STALE_SECONDS else None
        if holder.get("boot_id") and _boot_id() and holder["boot_id"] != _boot_id():
            return f"pid {pid} ran before this host's last boot"
        if not _alive(pid):
            return f"pid {pid} on {host} has ended"
        proc = _process_start(pid)
        if proc is not None and proc[0] == "Z":
            return f"pid {pid} on {host} has ended (a zombie)"
        if proc is not None and holder.get("process_start") not in (None, proc[1]):
            return f"pid {pid} on {host} has ended (its pid now belongs to another process)"
        return None

    def _held_message(self, holder: dict | None) -> str:
        folder = self.path.parent
        if holder is None:
            return (f"{folder} is locked by an unreadable {LOCK_NAME} touched less than {STALE_SECONDS:.0f} s ago; "
                    f"if no npgan train is running there, delete {self.path}")
        if holder.get("host") != socket.gethostname():
            return (f"{folder} is in use by npgan train pid {holder['pid']} on host {holder.get('host')} (since "
                    f"{holder.get('started')}); its lock is taken over after {STALE_SECONDS:.0f} s without a "
                    "heartbeat")
        return (f"{folder} is in use by npgan train pid {holder['pid']} on this host (since {holder.get('started')}); "
                "wait for it to finish or stop it (Ctrl-C or kill, which saves a checkpoint), then --resume")

    def _take_over(self, judged: bytes) -> bool:
        """Move the stale lock aside, unless another process replaced it meanwhile."""
        aside = self.path.with_name(f"{LOCK_NAME}.{self.token}.stale")
        try:
            os.rename(self.path, aside)
            moved = aside.read_bytes()
        except FileNotFoundError:
            return False
        if moved != judged:  # a fresh lock of a process that took over first: put it back
            try:
                os.link(aside, self.path)
            except OSError:
                pass
            aside.unlink(missing_ok=True)
            return False
        aside.unlink(missing_ok=True)
        return True  # the next round of acquire() creates our lock

    def _remove_leftovers(self) -> None:
        """Private files of lock attempts that a kill cut short (safe while the lock is ours: another
        process's attempt in flight fails either way, and copes with its file vanishing)."""
        for p in self.path.parent.glob(f"{LOCK_NAME}.*"):
            if p.suffix in (".new", ".stale"):
                p.unlink(missing_ok=True)

    def _owned(self) -> bool:
        raw, holder = self._read()
        return holder is not None and holder.get("token") == self.token

    def _start_heartbeat(self) -> None:
        def beat():
            while not self._stop.wait(HEARTBEAT_SECONDS):
                if not self._owned():
                    return
                try:
                    os.utime(self.path)
                except OSError:
                    return
        self._thread = threading.Thread(target=beat, name=f"npgan-lock-{self.path.parent.name}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop the heartbeat and delete the lock if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._owned():
            self.path.unlink()

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> bool:
        self.release()
        return False
