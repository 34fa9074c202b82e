"""Who decided what in ``fundrules batch --jobs N --backend python``, and who waited.

Usage: python benchmarks/batch_schedule.py BATCH-ARGUMENTS...
       e.g. python benchmarks/batch_schedule.py population.jsonl --pack fr-netflix-audiens
            --backend python --jobs 2 --out decisions.jsonl

Runs the batch command in this process with the scheduler of
``fundrules/parallel/_schedule.py`` observed (its private ``_Schedule`` methods wrapped,
nothing else changed): how many chunks this process decided and how long that took,
how many chunks went to workers, when the workers were first ready, and how long some
worker sat idle while inputs were left (idle because the results window was full, or
for any other reason). Printed to stderr after the command's own output. For the
``--jobs 2`` accounting of docs/performance.md; a reading of one run, not a benchmark.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from fundrules.cli import main
from fundrules.parallel import _schedule

_START = time.monotonic()
_SEEN: dict[str, Any] = {"here_chunks": 0, "here_seconds": 0.0, "sent_chunks": 0,
                         "workers_ready_after": None, "idle_window_full": 0.0,
                         "idle_other": 0.0}
_IDLE_SINCE: list[tuple[float, bool]] = []


def _feed(original: Any) -> Any:
    def feed_workers(self: Any) -> None:
        workers = self.workers
        if workers.ready():
            if _SEEN["workers_ready_after"] is None:
                _SEEN["workers_ready_after"] = time.monotonic() - _START
            idle = [p for p in workers.procs if p.job is None]
            if idle and not _IDLE_SINCE and not self.exhausted:
                busy = len(workers.procs) - len(idle)
                full = len(self.results) + busy + len(self.for_workers) >= self.held
                _IDLE_SINCE.append((time.monotonic(), full))
        sent_before = sum(p.job is not None for p in workers.procs)
        original(self)
        sent = sum(p.job is not None for p in workers.procs) - sent_before
        if sent > 0:
            _SEEN["sent_chunks"] += sent
            if _IDLE_SINCE:
                since, full = _IDLE_SINCE.pop()
                _SEEN["idle_window_full" if full else "idle_other"] += time.monotonic() - since
    return feed_workers


def _here(original: Any) -> Any:
    def decide_here(self: Any, chunk: list[Any]) -> list[Any]:
        started = time.monotonic()
        try:
            return original(self, chunk)  # type: ignore[no-any-return]
        finally:
            _SEEN["here_chunks"] += 1
            _SEEN["here_seconds"] += time.monotonic() - started
    return decide_here


def run(argv: list[str]) -> int:
    schedule: Any = _schedule._Schedule
    schedule.feed_workers = _feed(schedule.feed_workers)
    schedule.decide_here = _here(schedule.decide_here)
    status = main(["batch", *argv])
    total = time.monotonic() - _START
    print(f"batch_schedule: {total:.2f} s in all; this process decided "
          f"{_SEEN['here_chunks']} chunks in {_SEEN['here_seconds']:.2f} s; "
          f"{_SEEN['sent_chunks']} chunks sent to workers, first ready after "
          f"{_SEEN['workers_ready_after'] or 0:.2f} s; a worker idle with inputs left: "
          f"{_SEEN['idle_window_full']:.2f} s (results window full), "
          f"{_SEEN['idle_other']:.2f} s (other)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
