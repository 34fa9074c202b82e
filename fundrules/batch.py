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

Reading lives here; one input's parsing in ``_batch_input``, a process's work in
``_batch_worker``, the process pool in ``_pool``.
"""

from __future__ import annotations

import codecs
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from fundrules._batch_input import Input
from fundrules._batch_input import Where as Where
from fundrules._batch_worker import BatchResult, Failure, _Worker
from fundrules._pool import _parallel
from fundrules.api import BackendName
from fundrules.diagnostics import ApplicantError, Diagnostic
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
_SUFFIXES = (".json", ".yaml", ".yml")


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
        for chunk in itertools.chain(head, chunks):  # streams: never the whole input
            yield from worker.run(chunk)
        return
    for results in _parallel(itertools.chain(head, chunks), jobs, initargs, len(packs)):
        yield from results


def _item(index: int, data: object) -> Input:
    """One applicant for a worker: as given when it travels well, else checked here.

    Anything but an Applicant or a dict is validated in this process, so that what a
    worker could not receive fails exactly as :meth:`Engine.evaluate` would, in its place.
    """
    if isinstance(data, Applicant | dict):
        return Input("item", index, data)
    try:
        return Input("item", index, parse_applicant(
            dict(data) if isinstance(data, Mapping) else data))
    except ApplicantError as err:
        return Input("item", index, problem=err.diagnostics[0])


def decide_in_parallel(pack: Pack, applicants: Iterable[Applicant | Mapping[str, object]], *,
                       backend: BackendName, lang: str | None, jobs: int | None
                       ) -> Iterator[Decision]:
    """:meth:`Engine.evaluate_many` on several processes: the same decisions, same order.

    An invalid applicant raises its error at its position, as one process would.
    """
    items = (_item(i, a) for i, a in enumerate(applicants))
    for result in evaluate_inputs(items, [pack], backend=backend, lang=lang, jobs=jobs):
        (outcome,) = result.results
        if isinstance(outcome, Failure):
            raise outcome.exception()
        yield outcome
