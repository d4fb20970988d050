"""One progress bar over a sweep: runs done / running / failed, and each running run's update or phase."""

from __future__ import annotations

import sys
import threading


class SweepProgress:
    """A tqdm bar over the runs of one invocation; a line per finished run (also without the bar).

    ``running`` may be called from another thread (Dask delivers the workers' progress events on
    the client's event loop); the bar is redrawn by ``refresh`` in the caller's thread.
    """

    def __init__(self, names: list[str], updates: int, *, enabled: bool = True):
        from tqdm.auto import tqdm
        self.updates = updates
        self.counts = {"done": 0, "failed": 0, "interrupted": 0}
        self.live: dict[str, str] = {}  # run -> "U/UPDATES" or its phase after training ("evaluating")
        self.over: set[str] = set()
        self._lock = threading.Lock()
        self.enabled = enabled
        self.bar = tqdm(total=len(names), desc="sweep", unit="run", disable=not enabled, dynamic_ncols=True,
                        file=sys.stderr)

    def running(self, name: str, update: int, phase: str | None = None) -> None:
        """Run ``name`` is at ``update``, or (``phase``) past training: evaluating, building its report."""
        with self._lock:
            if name in self.over:
                return
            said = self.live.get(name)
            self.live[name] = phase or f"{update}/{self.updates}"
        if phase is not None and phase != said and not self.enabled:  # no bar to show it: a line
            self.note(f"npgan sweep: {name} {phase}")

    def finished(self, name: str, status: str, error: str = "") -> None:
        with self._lock:
            self.over.add(name)
            self.live.pop(name, None)
            self.counts[status] += 1
        self.bar.update(1)
        self.note(f"npgan sweep: {name} {status}" + (f": {error}" if error else ""))
        self.refresh()

    def refresh(self) -> None:
        with self._lock:
            live = ", ".join(f"{n} {where}" for n, where in sorted(self.live.items()))
            text = (f"done {self.counts['done']}, running {len(self.live)}, failed {self.counts['failed']}"
                    + (f" | {live}" if live else ""))
        self.bar.set_postfix_str(text, refresh=True)

    def note(self, text: str) -> None:
        self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()
