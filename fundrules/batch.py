"""Batch evaluation: many applicants, several packs, several processes, input order kept.

A fund administrator decides thousands of applications at once. Inputs are streamed (JSON
Lines read line by line, a folder file by file) and handed to worker processes in chunks;
only a few chunks per worker are in flight, so memory stays bounded whatever the input
size, and results come back in input order. Each worker builds its own Engine once.
Workers start with ``forkserver`` (``spawn`` where it does not exist), never ``fork``:
durable_rules is not fork-safe. An input that cannot be read or validated becomes a
:class:`Failure` in its place and never stops the batch; a worker that dies is replaced
and the chunk it was deciding is retried one input at a time, so the input that killed
it is reported and nothing else is lost.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import itertools
import json
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from multiprocessing import connection
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from fundrules.api import BackendName, Engine
from fundrules.applicants import read_applicant
from fundrules.diagnostics import (
    ApplicantError,
    Diagnostic,
    EngineError,
    FundrulesError,
    PackError,
    UnknownPackError,
)
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision, parse_applicant

__all__ = [
    "MAX_LINE_BYTES",
    "BatchResult",
    "Failure",
    "Input",
    "InputSource",
    "decide_in_parallel",
    "default_jobs",
    "evaluate_inputs",
]

#: The longest JSON Lines line read (a maximal valid applicant is far smaller).
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK_ITEMS = 64
_CHUNK_CHARS = 4 * 1024 * 1024
_IN_FLIGHT = 3  # chunks held per worker (being decided or waiting for their turn to be yielded)
_MAX_DEATHS = 5  # worker deaths in a row, with no answer between, before the batch stops
_SUFFIXES = (".json", ".yaml", ".yml")
_ERRORS: dict[str, type[FundrulesError]] = {
    cls.__name__: cls for cls in (ApplicantError, EngineError, PackError, UnknownPackError)
}
Where = Literal["line", "file", "item"]


@dataclasses.dataclass(frozen=True, slots=True)
class Input:
    """One input of a batch and where it came from.

    ``where`` is ``"line"`` (``at`` = 1-based line number, ``data`` = the line's text),
    ``"file"`` (``at`` = the file's path; the worker reads it) or ``"item"`` (``at`` =
    0-based index, ``data`` = an Applicant or a mapping). ``problem`` is set when the input
    could not even be read (a line too long, not UTF-8).
    """

    where: Where
    at: int | str
    data: object = None
    problem: Diagnostic | None = None
    source: str | None = None


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


# --- reading inputs --------------------------------------------------------------------


class InputSource:
    """The inputs of a batch, read lazily (JSON Lines, or a folder of applicant files).

    A JSON Lines file is read line by line; a folder's JSON/YAML files are read
    recursively, in sorted path order, hidden ones skipped. Blank lines are skipped and
    counted in ``blank_lines``; ``size`` and ``done`` (bytes for a file, files for a
    folder) let a caller show progress.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.blank_lines = 0
        self.done = 0
        self._files: list[Path] | None = None
        try:
            if self.path.is_dir():
                self._files = sorted(
                    p for p in self.path.rglob("*")
                    if p.suffix.lower() in _SUFFIXES and p.is_file()
                    and not any(part.startswith(".")
                                for part in p.relative_to(self.path).parts))
                self.size = len(self._files)
            else:
                with open(self.path, "rb"):
                    pass
                self.size = self.path.stat().st_size
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            raise ApplicantError([Diagnostic(
                "file-unreadable", f"cannot read `{self.path}`: {reason}",
                hint="give a JSON Lines file or a folder of JSON/YAML applicant files",
                file=str(self.path))]) from None

    @property
    def is_folder(self) -> bool:
        """Whether the inputs are a folder's files (else JSON Lines)."""
        return self._files is not None

    def __iter__(self) -> Iterator[Input]:
        if self._files is not None:
            for file in self._files:
                self.done += 1
                yield Input("file", str(file))
        else:
            yield from self._lines()

    def _lines(self) -> Iterator[Input]:
        name = str(self.path)
        with open(self.path, "rb") as fh:
            number = 0
            while raw := fh.readline(MAX_LINE_BYTES + 1):
                number += 1
                self.done += len(raw)
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while (more := fh.readline(1 << 20)) and not more.endswith(b"\n"):
                        self.done += len(more)
                    self.done += len(more)
                    yield Input("line", number, problem=Diagnostic(
                        "applicant-invalid", f"the line is longer than {MAX_LINE_BYTES} bytes",
                        hint="write one applicant per line", file=name, line=number))
                    continue
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield Input("line", number, problem=Diagnostic(
                        "json-syntax", "the line is not UTF-8 text",
                        hint="save the file as UTF-8", file=name, line=number,
                        column=exc.start + 1))
                    continue
                if text.strip():
                    yield Input("line", number, text, source=name)
                else:
                    self.blank_lines += 1


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key `{key[:60]}` appears twice in one object")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


def _parse(item: Input) -> Applicant:
    """The applicant of one input; :class:`ApplicantError` naming line (or file) and field."""
    if item.problem is not None:
        raise ApplicantError([item.problem])
    if item.where == "file":
        return read_applicant(str(item.at))
    if item.where == "item":
        return parse_applicant(item.data)
    assert isinstance(item.data, str) and isinstance(item.at, int)
    try:
        data = json.loads(item.data, object_pairs_hook=_no_duplicates,
                          parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ApplicantError([Diagnostic(
            "json-syntax", f"the line is not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]}",
            hint="write one JSON object per line", file=item.source, line=item.at,
            column=exc.colno)]) from None
    except (ValueError, RecursionError) as exc:
        raise ApplicantError([Diagnostic(
            "json-syntax", f"the line cannot be read: {str(exc)[:200] or 'too deep'}",
            hint="write one JSON object per line", file=item.source, line=item.at)]) from None
    try:
        return parse_applicant(data, file=item.source)
    except ApplicantError as exc:
        raise ApplicantError([dataclasses.replace(d, line=item.at)
                              for d in exc.diagnostics]) from None


# --- the work of one process -------------------------------------------------------------


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


# --- many processes, input order kept ------------------------------------------------------


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _chunks(inputs: Iterable[Input]) -> Iterator[list[Input]]:
    chunk: list[Input] = []
    size = 0
    for item in inputs:
        chunk.append(item)
        size += len(item.data) if isinstance(item.data, str) else 1000
        if len(chunk) >= _CHUNK_ITEMS or size >= _CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class _Proc:
    """One worker process, its end of the pipe, and the chunk it is working on.

    Each worker has at most one chunk at a time, so neither side can block writing a
    large message while the other is writing too.
    """

    def __init__(self, context: Any, initargs: tuple[Any, ...]) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, *initargs), daemon=True,
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
        return BatchResult(item.where, item.at, None, (_bug(message[:500]),) * self.width)

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


def _parallel(chunks: Iterator[list[Input]], jobs: int, initargs: tuple[Any, ...],
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


def evaluate_inputs(inputs: Iterable[Input], packs: Sequence[Pack], *,
                    backend: BackendName = "durable", lang: str | None = None,
                    jobs: int | None = 1,
                    keep_applicants: bool = False) -> Iterator[BatchResult]:
    """Decide every input against every pack, yielding one result per input, in order.

    ``jobs`` processes share the work (``None`` = every core; with 1, or when the input
    fits in one chunk, no process is started). Memory stays bounded: inputs are read
    as results are consumed. With ``keep_applicants`` each result carries the validated
    applicant (allocation needs it).
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be 1 or more, not {jobs}")
    chunks = _chunks(inputs)
    head = [c for c in (next(chunks, None), next(chunks, None)) if c]
    initargs = (tuple(packs), backend, lang, keep_applicants)
    if jobs == 1 or len(head) < 2:
        worker = _Worker(*initargs)
        for chunk in (*head, *chunks):
            yield from worker.run(chunk)
        return
    for results in _parallel(itertools.chain(head, chunks), jobs, initargs, len(packs)):
        yield from results


def decide_in_parallel(pack: Pack, applicants: Iterable[Applicant | Mapping[str, object]], *,
                       backend: BackendName, lang: str | None, jobs: int | None
                       ) -> Iterator[Decision]:
    """:meth:`Engine.evaluate_many` on several processes: the same decisions, same order.

    An invalid applicant raises its error at its position, as one process would.
    """
    items = (Input("item", i, a if isinstance(a, Applicant | dict) else dict(a))
             for i, a in enumerate(applicants))
    for result in evaluate_inputs(items, [pack], backend=backend, lang=lang, jobs=jobs):
        (outcome,) = result.results
        if isinstance(outcome, Failure):
            raise outcome.exception()
        yield outcome
