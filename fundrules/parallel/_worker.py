"""The work of one process: decide inputs against packs, each failure kept in its place.

Shared by the single-process path and the worker processes of :mod:`fundrules.parallel._pool`.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator, MutableSequence, Sequence
from multiprocessing.connection import Connection
from typing import Any

from fundrules.backends import BackendName, backend_named
from fundrules.diagnostics import Diagnostic
from fundrules.errors import (
    ApplicantError,
    EngineError,
    FundrulesError,
    PackError,
    UnknownPackError,
)
from fundrules.io import Input, Where, parse_input
from fundrules.policies.pack import Pack
from fundrules.runtime.evaluation import PreparedPack
from fundrules.schema import Applicant, Decision

__all__ = ["BatchResult", "Failure", "Render", "Worker", "bug_failure", "can_interrupt_here",
           "serve", "timeout_failure"]

_ERRORS: dict[str, type[FundrulesError]] = {
    cls.__name__: cls for cls in (ApplicantError, EngineError, PackError, UnknownPackError)
}


@dataclasses.dataclass(frozen=True, slots=True)
class Failure:
    """Why an input could not be decided against a pack: the error's class and diagnostics."""

    error: str
    diagnostics: tuple[Diagnostic, ...]

    @classmethod
    def of(cls, exc: FundrulesError) -> Failure:
        """The failure an exception describes."""
        return cls(type(exc).__name__, exc.diagnostics)

    def exception(self) -> FundrulesError:
        """The exception to raise for it (same class as the one caught)."""
        return _ERRORS.get(self.error, FundrulesError)(self.diagnostics)


@dataclasses.dataclass(frozen=True, slots=True)
class BatchResult:
    """What became of one input: one Decision or Failure per pack, in the packs' order."""

    where: Where
    at: int | str
    applicant: Applicant | None
    results: tuple[Decision | Failure, ...]


#: What a worker does to each result before sending it back (``None``: send it as it is).
#: Must be picklable: a module-level function, or a ``functools.partial`` of one.
Render = Callable[[BatchResult], Any] | None


def bug_failure(message: str) -> Failure:
    return Failure("EngineError", (Diagnostic(
        "engine-failure", message, hint="this is a fundrules bug: please report it with "
        "the input"),))


def timeout_failure(seconds: float) -> Failure:
    """What an input gets when deciding it took longer than the time limit."""
    return Failure("EngineError", (Diagnostic(
        "decision-timeout", f"deciding this input took longer than the time limit of "
        f"{seconds:g} s: it was stopped and the batch went on",
        hint="an applicant is decided in milliseconds: please report this input; if such "
             "inputs are expected, raise the limit (`--timeout SECONDS`, timeout=)"),))


class _Timeout(BaseException):
    """Raised by the alarm in the middle of an input that takes too long (never escapes)."""


def _ring(signum: int, frame: object) -> None:
    raise _Timeout


@dataclasses.dataclass
class _Alarm:
    """A time limit per input in this process: SIGALRM, where there is one and it is ours.

    Only the main thread of a process receives signals, so elsewhere there is no limit in
    process (worker processes are watched by the parent instead).
    """

    seconds: float | None

    @property
    def usable(self) -> bool:
        return (self.seconds is not None and hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread())


def can_interrupt_here(seconds: float) -> bool:
    """Whether an input decided in this thread can be stopped after ``seconds``."""
    return _Alarm(seconds).usable


_PREPARED: dict[tuple[str, str, str], PreparedPack] = {}
_PREPARED_LOCK = threading.Lock()


def _prepared(pack: Pack, backend: BackendName) -> PreparedPack:
    """One prepared pack per pack source and backend in this process, built on first use.

    Prepared packs are immutable and thread-safe, and a durable_rules ruleset can never be
    unregistered: preparing the pack again for every batch would grow memory each time.
    """
    key = (pack.id, pack.digest, backend)
    with _PREPARED_LOCK:
        if key not in _PREPARED:
            _PREPARED[key] = PreparedPack(pack, backend_named(backend))
        return _PREPARED[key]


class Worker:
    """Decides inputs against packs; one per process, each pack prepared once.

    ``timeout`` limits each input in this process (see :class:`_Alarm`); ``progress``, when
    given, is shared memory where the input being decided (its index in the chunk and when
    it started, ``time.monotonic``) is kept for the parent process to watch.
    """

    def __init__(self, packs: Sequence[Pack], backend: BackendName, lang: str | None,
                 keep_applicants: bool, *, timeout: float | None = None,
                 progress: MutableSequence[float] | None = None) -> None:
        self.packs = [_prepared(p, backend) for p in packs]
        self.lang = lang
        self.keep = keep_applicants
        self.alarm = _Alarm(timeout)
        self.progress = progress

    def run(self, chunk: Sequence[Input]) -> list[BatchResult]:
        progress = self.progress
        if progress is None:
            return list(self.each(chunk))
        out = []
        for index, item in enumerate(chunk):
            progress[0] = index
            progress[1] = time.monotonic()
            out.append(self.one(item))
        progress[1] = 0.0
        return out

    def each(self, chunk: Sequence[Input]) -> Generator[BatchResult, None, None]:
        """The chunk's results one at a time, so that the caller can do other work between."""
        if self.alarm.usable:
            yield from self._timed(chunk)
        else:
            yield from map(self.one, chunk)

    def _timed(self, chunk: Sequence[Input]) -> Iterator[BatchResult]:
        """Each input with the alarm set; one that rings gets a ``decision-timeout`` record.

        The handler raises only while an input is being decided: the timer is disarmed
        inside the ``try`` that catches it, before the previous handler is put back.
        """
        seconds = self.alarm.seconds
        assert seconds is not None
        previous = signal.signal(signal.SIGALRM, _ring)
        try:
            for item in chunk:
                try:
                    signal.setitimer(signal.ITIMER_REAL, seconds)
                    result = self.one(item)
                    signal.setitimer(signal.ITIMER_REAL, 0)
                except _Timeout:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    result = self._failed(item, timeout_failure(seconds))
                yield result
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def one(self, item: Input) -> BatchResult:
        try:
            applicant = parse_input(item)
        except FundrulesError as exc:
            return self._failed(item, Failure.of(exc))
        except Exception as exc:  # a bug: reported in place, the batch goes on
            return self._failed(item, bug_failure(f"reading the input failed: {exc!r}"[:500]))
        results: list[Decision | Failure] = []
        for prepared in self.packs:
            try:
                results.append(prepared.evaluate(applicant, lang=self.lang).decision)
            except FundrulesError as exc:
                results.append(Failure.of(exc))
            except Exception as exc:
                results.append(bug_failure(
                    f"deciding against `{prepared.pack.id}` failed: {exc!r}"[:500]))
        return BatchResult(item.where, item.at, applicant if self.keep else None, tuple(results))

    def _failed(self, item: Input, failure: Failure) -> BatchResult:
        return BatchResult(item.where, item.at, None, (failure,) * len(self.packs))


def serve(conn: Connection, progress: MutableSequence[float], packs: Sequence[Pack],
          backend: BackendName, lang: str | None, keep: bool, render: Render = None) -> None:
    """A worker process: prepare the packs once, then decide chunks until told to stop.

    The parent watches ``progress`` and ends this process when one input takes too long.
    With ``render``, each result is rendered here (e.g. to its JSON records), so that the
    parent receives small strings rather than objects to unpickle.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    worker = Worker(packs, backend, lang, keep, progress=progress)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        seq, chunk = message
        results = worker.run(chunk)
        conn.send((seq, results if render is None else [render(r) for r in results]))
