"""The batch's own small process pool: chunks out, results back in input order.

Workers start with ``forkserver`` (``spawn`` where it does not exist), never ``fork``:
durable_rules is not fork-safe. Each holds one chunk at a time; a worker that dies is
replaced and its chunk retried one input at a time.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Iterator
from multiprocessing import connection
from typing import Any

from fundrules.diagnostics import Diagnostic
from fundrules.errors import EngineError
from fundrules.io import Input
from fundrules.parallel._worker import BatchResult, bug_failure, serve

__all__ = ["GUARD_MESSAGE", "run_in_processes"]

_IN_FLIGHT = 3  # chunks held per worker (being decided or waiting for their turn to be yielded)
_MAX_DEATHS = 5  # worker deaths in a row, with no answer between, before the batch stops


#: What a script that starts worker processes without the guard is told (one line).
GUARD_MESSAGE = ("processes need `if __name__ == \"__main__\":` around the script's entry point "
                 "(see docs/batch.md)")


def _is_main_guard(test: ast.expr) -> bool:
    """Whether an `if` test is `__name__ == "__main__"` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
            and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides))


def _unguarded_main_line() -> int | None:
    """The line of the main script that starts processes outside its `__main__` guard.

    Worker processes (``forkserver`` and ``spawn``) import the main script again; if that
    line runs on import, every worker would start workers in turn and die. ``None`` when
    the processes are started from a guarded line, from a function the script does not
    call at import, or when there is no main script that workers re-run (``python -m
    package``, an interactive session).
    """
    main = sys.modules.get("__main__")
    spec_name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    path = getattr(main, "__file__", None)
    if main is None or not path or spec_name.endswith("__main__"):
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>"
                                     and frame.f_globals is vars(main)):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None           # started from code the script runs later (a callback, a thread)
    line = frame.f_lineno
    try:
        with open(os.fspath(path), encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_guard(node.test) \
                and node.lineno <= line <= (node.end_lineno or node.lineno):
            return None
    return line


class _Proc:
    """One worker process, its end of the pipe, and the chunk it is working on.

    Each worker has at most one chunk at a time, so neither side can block writing a
    large message while the other is writing too.
    """

    def __init__(self, context: Any, initargs: tuple[Any, ...]) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, *initargs), daemon=True,
                                       name="fundrules-batch")
        self.process.start()
        child.close()
        self.job: tuple[int, list[Input]] | None = None

    def send(self, seq: int, chunk: list[Input]) -> None:
        self.conn.send((seq, chunk))  # pickled whole before writing: a failure sends nothing
        self.job = (seq, chunk)

    def receive(self) -> list[BatchResult] | None:
        """The answer to the current chunk, or ``None`` if the process died."""
        try:
            seq, results = self.conn.recv()
        except (EOFError, OSError):
            return None
        assert self.job is not None and seq == self.job[0]
        self.job = None
        return results  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.job is None and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.conn.close()


class _Workers:
    """The worker processes; a dead one is replaced and its chunk retried input by input."""

    def __init__(self, jobs: int, initargs: tuple[Any, ...], width: int) -> None:
        line = _unguarded_main_line()
        if line is not None:
            main_file = getattr(sys.modules["__main__"], "__file__", None)
            raise EngineError([Diagnostic(
                "engine-failure", GUARD_MESSAGE, file=main_file, line=line,
                hint="put the script's work in a function and call it under "
                     "`if __name__ == \"__main__\":`, or use jobs=1")])
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn")
        self.initargs = initargs
        self.width = width
        self.deaths = 0
        self.procs: list[_Proc] = []
        self.procs = [_Proc(self.context, initargs) for _ in range(jobs)]

    def replace(self, index: int) -> _Proc:
        """A new process for a dead one; give up when they die faster than they answer."""
        self.deaths += 1
        if self.deaths > _MAX_DEATHS:
            raise EngineError([Diagnostic(
                "engine-failure", f"{self.deaths} worker processes died in a row, without "
                "deciding any input in between", hint="run with `--jobs 1` (or jobs=1) to "
                "see the error; this is a fundrules bug: please report it")])
        self.procs[index].stop()
        self.procs[index] = _Proc(self.context, self.initargs)
        return self.procs[index]

    def answered(self, answer: list[BatchResult]) -> list[BatchResult]:
        self.deaths = 0
        return answer

    def failed(self, item: Input, message: str) -> BatchResult:
        return BatchResult(item.where, item.at, None, (bug_failure(message[:500]),) * self.width)

    def isolate(self, index: int, chunk: list[Input]) -> list[BatchResult]:
        """Decide a chunk that killed its worker or could not be sent, one input at a time."""
        out: list[BatchResult] = []
        for item in chunk:
            proc = self.procs[index]
            try:
                proc.send(-1, [item])
            except Exception as exc:  # e.g. an object that cannot be sent to a process
                out.append(self.failed(item, f"this input cannot be sent to a worker process: "
                                             f"{exc!r}"))
                if proc.job is None and not proc.process.is_alive():
                    self.replace(index)
                continue
            answer = proc.receive()
            if answer is None:
                self.replace(index)
                out.append(self.failed(item, "the worker process died while deciding this input"))
            else:
                out += self.answered(answer)
        return out

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()


def run_in_processes(chunks: Iterator[list[Input]], jobs: int, initargs: tuple[Any, ...],
              width: int) -> Iterator[list[BatchResult]]:
    """Chunks' results in input order, from ``jobs`` processes, few chunks held at once."""
    workers = _Workers(jobs, initargs, width)
    feed = enumerate(chunks)
    results: dict[int, list[BatchResult]] = {}
    next_out = 0
    exhausted = False
    try:
        while True:
            for index in range(len(workers.procs)):
                proc = workers.procs[index]
                busy = sum(p.job is not None for p in workers.procs)
                if proc.job is not None or exhausted or len(results) + busy >= jobs * _IN_FLIGHT:
                    continue
                task = next(feed, None)
                if task is None:
                    exhausted = True
                    continue
                try:
                    proc.send(*task)
                except Exception:  # cannot be pickled, or the process is gone: one by one
                    if not proc.process.is_alive():
                        workers.replace(index)
                    results[task[0]] = workers.isolate(index, task[1])
            waiting = [p for p in workers.procs if p.job is not None]
            if not waiting and exhausted and not results:
                return
            if waiting:
                ready = connection.wait([p.conn for p in waiting]
                                        + [p.process.sentinel for p in waiting])
                for proc in waiting:
                    if proc.conn not in ready and proc.process.sentinel not in ready:
                        continue
                    job = proc.job
                    assert job is not None
                    answer = proc.receive() if proc.conn.poll() else None
                    if answer is None:
                        index = workers.procs.index(proc)
                        workers.replace(index)
                        answer = workers.isolate(index, job[1])
                    results[job[0]] = workers.answered(answer)
            while next_out in results:
                yield results.pop(next_out)
                next_out += 1
    finally:
        workers.close()
