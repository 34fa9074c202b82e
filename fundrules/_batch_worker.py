"""The work of one process: decide inputs against packs, each failure kept in its place.

Shared by the single-process path and the worker processes of :mod:`fundrules._pool`.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection

from fundrules._batch_input import Input, Where, _parse
from fundrules.api import BackendName, Engine
from fundrules.diagnostics import (
    ApplicantError,
    Diagnostic,
    EngineError,
    FundrulesError,
    PackError,
    UnknownPackError,
)
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision

__all__ = ["BatchResult", "Failure"]

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


def _bug(message: str) -> Failure:
    return Failure("EngineError", (Diagnostic(
        "engine-failure", message, hint="this is a fundrules bug: please report it with "
        "the input"),))



_ENGINES: dict[tuple[str, str, str], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine_for(pack: Pack, backend: BackendName) -> Engine:
    """One engine per pack source and backend in this process, built on first use.

    Engines are immutable and thread-safe, and a durable_rules ruleset can never be
    unregistered: building a new engine for every batch would grow memory each time.
    """
    key = (pack.id, pack.digest, backend)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = Engine([pack], backend=backend)
        return _ENGINES[key]


class _Worker:
    """Decides inputs against packs; one per process, with one Engine per pack."""

    def __init__(self, packs: Sequence[Pack], backend: BackendName, lang: str | None,
                 keep_applicants: bool) -> None:
        self.engines = [(p.id, _engine_for(p, backend)) for p in packs]
        self.lang = lang
        self.keep = keep_applicants

    def run(self, chunk: Sequence[Input]) -> list[BatchResult]:
        return [self.one(item) for item in chunk]

    def one(self, item: Input) -> BatchResult:
        try:
            applicant = _parse(item)
        except FundrulesError as exc:
            return self._failed(item, Failure.of(exc))
        except Exception as exc:  # a bug: reported in place, the batch goes on
            return self._failed(item, _bug(f"reading the input failed: {exc!r}"[:500]))
        results: list[Decision | Failure] = []
        for pack_id, engine in self.engines:
            try:
                results.append(engine.evaluate(applicant, pack_id, lang=self.lang))
            except FundrulesError as exc:
                results.append(Failure.of(exc))
            except Exception as exc:
                results.append(_bug(f"deciding against `{pack_id}` failed: {exc!r}"[:500]))
        return BatchResult(item.where, item.at, applicant if self.keep else None, tuple(results))

    def _failed(self, item: Input, failure: Failure) -> BatchResult:
        return BatchResult(item.where, item.at, None, (failure,) * len(self.engines))


def _serve(conn: Connection, packs: Sequence[Pack], backend: BackendName, lang: str | None,
           keep: bool) -> None:
    """A worker process: build the engines once, then decide chunks until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    worker = _Worker(packs, backend, lang, keep)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        seq, chunk = message
        conn.send((seq, worker.run(chunk)))
