"""Who decides which chunk of a batch, and its results back in input order.

The workers are :mod:`fundrules.parallel._pool`'s; with ``here``, this process decides
chunks too while they start (until the first answer comes back), looking after them
between its own inputs, then only dispatches: measured on 2 cores, a process that
decided and dispatched all along was the slowest of the three (see docs/batch.md).
While the workers decide, a chunk is read ahead for each, and a worker that answers is
sent its next one before its results are handed on: it does not wait for this process
to read or to write.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterator
from multiprocessing import connection
from typing import Any

from fundrules.io import Input
from fundrules.parallel._pool import IN_FLIGHT, Workers
from fundrules.parallel._worker import Render, Worker
from fundrules.schema import Applicant

__all__ = ["run_in_processes"]


def run_in_processes(chunks: Iterator[list[Input]], jobs: int, initargs: tuple[Any, ...],
                     width: int, timeout: float | None = None, render: Render = None,
                     here: Worker | None = None) -> Iterator[list[Any]]:
    """Chunks' results in input order, from ``jobs`` processes, few chunks held at once.

    With ``timeout`` (seconds), an input that takes longer gets a ``decision-timeout``
    result and its worker is replaced. With ``render``, results are rendered by it. With
    ``here`` (a :class:`Worker` of this process), the ``jobs`` workers start in the
    background and this process decides chunks until the first of them answers.
    """
    workers = Workers(jobs, initargs, width, timeout, render, background=here is not None)
    try:
        yield from _Schedule(workers, chunks, jobs * IN_FLIGHT, timeout, here).run()
    finally:
        workers.close()


def _travels_unchanged(item: Input) -> bool:
    """Whether an input is decided alike here and in a worker (text, a problem, an Applicant).

    Any other object could fail to be sent, or arrive changed (its pickling is its own), so
    only a worker decides it, the same whatever the timing.
    """
    return item.where != "item" or type(item.data) is Applicant


class _Schedule:
    """Who decides which chunk, and the results held until their turn to be yielded."""

    def __init__(self, workers: Workers, chunks: Iterator[list[Input]], held: int,
                 timeout: float | None, here: Worker | None) -> None:
        self.workers = workers
        self.feed = enumerate(chunks)
        self.held = held
        self.timeout = timeout
        self.here = here
        self.for_workers: collections.deque[tuple[int, list[Input]]] = collections.deque()
        self.results: dict[int, list[Any]] = {}
        self.exhausted = False
        self.warming_up = here is not None  # until a worker's first answer

    def _take(self) -> tuple[int, list[Input]] | None:
        """The next chunk, unless the input is done or enough chunks are held already."""
        if self.exhausted:
            return None
        busy = sum(p.job is not None for p in self.workers.procs)
        if len(self.results) + busy + len(self.for_workers) >= self.held:
            return None
        task = next(self.feed, None)
        self.exhausted = task is None
        return task

    def run(self) -> Iterator[list[Any]]:
        next_out = 0
        while True:
            self.feed_workers()
            task = self._take() if self.warming_up else None
            if task is not None and not all(map(_travels_unchanged, task[1])):
                self.for_workers.append(task)
            elif task is not None:
                self.results[task[0]] = self.decide_here(task[1])
            else:
                self.read_ahead()
                if (not self.look_after(block=True) and self.exhausted and not self.results
                        and not self.for_workers):
                    return
            while next_out in self.results:
                yield self.results.pop(next_out)
                next_out += 1

    def decide_here(self, chunk: list[Input]) -> list[Any]:
        """Decide a chunk in this process, looking after the workers between its inputs."""
        assert self.here is not None
        out = []
        with contextlib.closing(self.here.each(chunk)) as results:
            for result in results:
                out.append(self.workers.made_here(result))
                self.feed_workers()
                self.look_after(block=False)
        return out

    def read_ahead(self) -> None:
        """Read a chunk per worker while they decide, so that one that answers gets it at once.

        Measured on 2 cores, 100,000 French applicants, one pack: a worker sat idle 2.3-2.8 s
        of 10.6-11.9 s while this process read its next chunk after its answer (docs/batch.md).
        """
        if self.warming_up:
            return
        while len(self.for_workers) < len(self.workers.procs):  # one for each, if all answer
            task = self._take()
            if task is None:
                return
            self.for_workers.append(task)

    def feed_workers(self) -> None:
        """Send a chunk to each idle worker (none until they have started)."""
        workers = self.workers
        if not workers.ready():
            return
        for index, proc in enumerate(workers.procs):
            if proc.job is not None:
                continue
            task = self.for_workers.popleft() if self.for_workers else self._take()
            if task is None:
                return
            try:
                proc.send(*task)
            except Exception:  # cannot be pickled, or the process is gone: one by one
                if not proc.process.is_alive():
                    workers.replace(index)
                self.results[task[0]] = workers.isolate(index, task[1])

    def look_after(self, *, block: bool) -> bool:
        """Take the workers' answers; end one past the time limit, replace a dead one.

        Waits for the first answer (or time limit) with ``block``, else only looks.
        ``False`` when no worker holds a chunk.
        """
        workers, timeout = self.workers, self.timeout
        if not workers.ready():
            if block:  # nothing else to do: let them start
                workers.wait_started()
            return True
        waiting = [p for p in workers.procs if p.job is not None]
        if not waiting:
            return False
        wait_for: float | None = 0.0
        if block:
            now = time.monotonic()
            wakes = [w for p in waiting if (w := p.wake(timeout, now)) is not None]
            wait_for = max(0.0, min(wakes) - now) + 0.001 if wakes else None
        ready = connection.wait([p.conn for p in waiting]
                                + [p.process.sentinel for p in waiting], wait_for)
        now = time.monotonic()
        for proc in waiting:
            job = proc.job
            assert job is not None
            if proc.conn not in ready and proc.process.sentinel not in ready:
                deadline = proc.deadline(timeout)
                if deadline is not None and now >= deadline:
                    self.results[job[0]] = workers.stuck(workers.procs.index(proc))
                continue
            answer = proc.receive() if proc.conn.poll() else None
            if answer is None:
                index = workers.procs.index(proc)
                workers.replace(index)
                answer = workers.isolate(index, job[1])
            else:
                self.warming_up = False
            self.results[job[0]] = workers.answered(answer)
        self.feed_workers()  # before this process writes what it received
        return True
