"""The batch's own small process pool: worker processes, watched and replaced.

Workers start with ``forkserver`` (``spawn`` where it does not exist), never ``fork``:
durable_rules is not fork-safe. Each holds one chunk at a time; a worker that dies is
replaced and its chunk retried one input at a time. With a time limit, each worker keeps
in shared memory which input it is deciding and since when; a worker past the limit is
ended and replaced, that input gets a ``decision-timeout`` failure and the rest of its
chunk is decided again.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import sys
import threading
import time
from multiprocessing import connection
from typing import Any

from fundrules.diagnostics import Diagnostic
from fundrules.errors import EngineError
from fundrules.io import Input
from fundrules.parallel._worker import (
    BatchResult,
    Render,
    bug_failure,
    serve,
    timeout_failure,
)

__all__ = ["GUARD_MESSAGE", "IN_FLIGHT", "Workers", "start_server_early"]

IN_FLIGHT = 3  # chunks held per worker (being decided or waiting for their turn to be yielded)
_MAX_DEATHS = 5  # worker deaths in a row, with no answer between, before the batch stops
#: With a time limit, how long a worker may take to start on a chunk it was sent (a new
#: worker first prepares its packs): the limit itself applies from each input's start.
_STARTUP_SECONDS = 60.0


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


def _limit(index: int, started: float, timeout: float) -> float:
    """When the input being decided passes the limit (with the start-up grace before any)."""
    return started + (timeout if index >= 0 else max(timeout, _STARTUP_SECONDS))


class _Proc:
    """One worker process, its end of the pipe, and the chunk it is working on.

    Each worker has at most one chunk at a time, so neither side can block writing a
    large message while the other is writing too.
    """

    def __init__(self, context: Any, initargs: tuple[Any, ...]) -> None:
        self.conn, child = context.Pipe()
        # [index in the chunk of the input being decided, when it started (0: none)]
        self.progress = context.RawArray("d", 2)
        self.child = child
        self.process = context.Process(target=serve, args=(child, self.progress, *initargs),
                                       daemon=True, name="fundrules-batch")
        self.job: tuple[int, list[Input]] | None = None
        self.sent = 0.0

    def start(self) -> _Proc:
        self.process.start()
        self.child.close()
        return self

    def send(self, seq: int, chunk: list[Input]) -> None:
        # the time is taken before sending: the worker may start deciding (and stamp
        # `progress`) before this process runs again, and an input stamped before `sent`
        # would be taken for the previous chunk's, given the start-up grace instead of
        # the time limit
        sent = time.monotonic()
        self.conn.send((seq, chunk))  # pickled whole before writing: a failure sends nothing
        self.job = (seq, chunk)
        self.sent = sent

    def deciding(self) -> tuple[int, float]:
        """(index in the chunk, start) of the input being decided; (-1, sent) before any.

        Read twice around the index, so that an input that ends while it is read is not
        blamed with the start of the one before.
        """
        while True:
            index = self.progress[0]
            started = self.progress[1]
            if self.progress[0] == index:
                break
        if started <= 0.0 or started < self.sent:
            return -1, self.sent
        return int(index), started

    def deadline(self, timeout: float | None) -> float | None:
        """When the input being decided passes the limit (``None``: idle, or no limit)."""
        if timeout is None or self.job is None:
            return None
        return _limit(*self.deciding(), timeout)

    def wake(self, timeout: float | None, now: float) -> float | None:
        """When to look at this worker again (``None``: only when it answers).

        Its deadline; but while it has not started on the chunk, at most ``timeout`` from
        now: an input it starts meanwhile passes the limit ``timeout`` after its start,
        long before the start-up deadline, and nothing else may wake the waiting.
        """
        if timeout is None or self.job is None:
            return None
        index, started = self.deciding()  # read once: the worker may start meanwhile
        deadline = _limit(index, started, timeout)
        return deadline if index >= 0 else min(deadline, now + timeout)

    def wait(self, timeout: float | None) -> bool:
        """Wait for the current job's answer (or death); ``False`` when past the limit."""
        while True:
            now = time.monotonic()
            deadline = self.deadline(timeout)
            if deadline is not None and now >= deadline:
                return False
            wake = self.wake(timeout, now)
            if connection.wait([self.conn, self.process.sentinel],
                               None if wake is None else wake - now + 0.001):
                return True

    def receive(self) -> list[Any] | None:
        """The answer to the current chunk, or ``None`` if the process died."""
        try:
            seq, results = self.conn.recv()
        except (EOFError, OSError):
            return None
        assert self.job is not None and seq == self.job[0]
        self.job = None
        return results  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process.pid is None:  # never started
            self.child.close()
            self.conn.close()
            return
        if self.job is None and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=2)
        if self.process.is_alive():  # stuck where SIGTERM does not reach
            self.process.kill()
        self.process.join()
        self.conn.close()


def _context() -> Any:
    """The start method's context; with ``forkserver``, what its server imports first."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        # the server imports fundrules once; each worker (and each replacement) is a
        # fork of it, ready in milliseconds (no effect if the server already runs)
        context.set_forkserver_preload(["__main__", "fundrules.parallel._worker"])
    return context


def start_server_early() -> None:
    """Start the forkserver now, so that it imports fundrules while this process prepares.

    Its imports take about as long as this process's own start (~0.3 s); begun before the
    packs are loaded and the input opened, they are over, or nearly, when the first
    worker is asked for. Without ``forkserver`` (``spawn``), nothing to do.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        _context()
        from multiprocessing import forkserver
        forkserver.ensure_running()


class Workers:
    """The worker processes; a dead one is replaced and its chunk retried input by input."""

    def __init__(self, jobs: int, initargs: tuple[Any, ...], width: int,
                 timeout: float | None = None, render: Render = None, *,
                 background: bool = False) -> None:
        line = _unguarded_main_line()
        if line is not None:
            main_file = getattr(sys.modules["__main__"], "__file__", None)
            raise EngineError([Diagnostic(
                "engine-failure", GUARD_MESSAGE, file=main_file, line=line,
                hint="put the script's work in a function and call it under "
                     "`if __name__ == \"__main__\":`, or use jobs=1")])
        self.context = _context()
        self.initargs = (*initargs, render)
        self.render = render
        self.width = width
        self.timeout = timeout
        self.deaths = 0
        self.procs = [_Proc(self.context, self.initargs) for _ in range(jobs)]
        self._start_error: BaseException | None = None
        self._starter: threading.Thread | None = None
        if background:  # this process decides meanwhile (starting the server takes ~0.3 s)
            self._starter = threading.Thread(target=self._start_all, daemon=True,
                                             name="fundrules-batch-start")
            self._starter.start()
        else:
            self._start_all()
            self.ready()

    def _start_all(self) -> None:
        try:
            for proc in self.procs:
                proc.start()
        except BaseException as exc:  # raised in the caller's thread, by `ready`
            self._start_error = exc

    def wait_started(self) -> None:
        if self._starter is not None:
            self._starter.join()
        self.ready()

    def ready(self) -> bool:
        """Whether the workers have started (raises what stopped them from starting)."""
        if self._starter is not None:
            if self._starter.is_alive():
                return False
            self._starter.join()
            self._starter = None
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error
        return True

    def replace(self, index: int, *, died: bool = True) -> _Proc:
        """A new process for a dead (or stopped) one.

        Gives up when they die faster than they answer; one ended for taking too long
        (``died=False``) does not count.
        """
        self.deaths += died
        if self.deaths > _MAX_DEATHS:
            raise EngineError([Diagnostic(
                "engine-failure", f"{self.deaths} worker processes died in a row, without "
                "deciding any input in between", hint="run with `--jobs 1` (or jobs=1) to "
                "see the error; this is a fundrules bug: please report it")])
        self.procs[index].stop()
        self.procs[index] = _Proc(self.context, self.initargs).start()
        return self.procs[index]

    def answered(self, answer: list[Any]) -> list[Any]:
        self.deaths = 0
        return answer

    def made_here(self, result: BatchResult) -> Any:
        """A result made in this process, rendered as the workers render theirs."""
        return result if self.render is None else self.render(result)

    def failed(self, item: Input, message: str) -> Any:
        return self.made_here(BatchResult(item.where, item.at, None,
                                          (bug_failure(message[:500]),) * self.width))

    def timed_out(self, item: Input) -> Any:
        assert self.timeout is not None
        return self.made_here(BatchResult(item.where, item.at, None,
                                          (timeout_failure(self.timeout),) * self.width))

    def stuck(self, index: int) -> list[Any]:
        """End a worker past the time limit: its input times out, the rest are redone."""
        proc = self.procs[index]
        assert proc.job is not None
        chunk = proc.job[1]
        at, _ = proc.deciding()
        self.replace(index, died=False)
        if at < 0:  # not even started (the chunk took too long to arrive): one at a time
            return self.isolate(index, chunk)
        return [*self.isolate(index, chunk[:at]), self.timed_out(chunk[at]),
                *self.isolate(index, chunk[at + 1:])]

    def isolate(self, index: int, chunk: list[Input]) -> list[Any]:
        """Decide a chunk that killed its worker or could not be sent, one input at a time."""
        out: list[Any] = []
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
            if not proc.wait(self.timeout):
                self.replace(index, died=False)
                out.append(self.timed_out(item))
                continue
            answer = proc.receive()
            if answer is None:
                self.replace(index)
                out.append(self.failed(item, "the worker process died while deciding this input"))
            else:
                out += self.answered(answer)
        return out

    def close(self) -> None:
        if self._starter is not None:
            self._starter.join()
        for proc in self.procs:
            proc.stop()
