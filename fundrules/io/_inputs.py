"""The inputs of a batch: where each came from, how they are read, how one becomes an applicant.

JSON Lines are read strictly (no duplicate keys, no ``NaN``): a line that a lenient
reader would accept with a silently dropped value is reported instead. Errors name the
line (or file) and the field.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import gzip
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from fundrules.diagnostics import Diagnostic
from fundrules.errors import ApplicantError
from fundrules.io._applicants import (
    APPLICANT_LIMITS,
    json_problem_column,
    locate_in_text,
    read_applicant,
    strict_json,
)
from fundrules.schema import Applicant, parse_applicant

__all__ = ["MAX_LINE_BYTES", "MAX_LINE_VALUES", "Input", "InputSource", "Where", "parse_input"]

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

    def __reduce__(self) -> tuple[type[Input], tuple[object, ...]]:
        # every input of a batch with --jobs is pickled to a worker: a plain tuple of its
        # fields pickles in C, the dataclass default (a state dict built in Python) does not
        return Input, (self.where, self.at, self.data, self.problem, self.source)


def parse_input(item: Input) -> Applicant:
    """The applicant of one input; :class:`ApplicantError` naming line (or file) and field."""
    if item.problem is not None:
        raise ApplicantError([item.problem])
    if item.where == "file":
        return read_applicant(str(item.at))
    if item.where == "item":
        return parse_applicant(item.data)
    assert isinstance(item.data, str) and isinstance(item.at, int)
    try:
        data = strict_json(item.data)
    except json.JSONDecodeError as exc:
        raise ApplicantError([Diagnostic(
            "json-syntax", f"the line is not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]}",
            hint="write one JSON object per line", file=item.source, line=item.at,
            column=min(exc.pos, len(item.data.rstrip("\r\n"))) + 1)]) from None
    except (ValueError, RecursionError) as exc:
        raise ApplicantError([Diagnostic(
            "json-syntax", f"the line cannot be read: {str(exc)[:200] or 'too deep'}",
            hint="write one JSON object per line", file=item.source, line=item.at,
            column=None if isinstance(exc, RecursionError) else json_problem_column(item.data),
        )]) from None
    try:
        return parse_applicant(data, file=item.source)
    except ApplicantError as exc:  # re-read located, on the error path only
        raise ApplicantError(locate_in_text(exc.diagnostics, item.data, file=item.source,
                                            line=item.at)) from None


#: The longest JSON Lines line read: the size limit of an applicant file (a maximal valid
#: applicant is far smaller). A longer line is read in bounded pieces and skipped.
MAX_LINE_BYTES = 2 * 1024 * 1024
#: The most JSON values (objects, arrays, numbers, strings...) one line may hold: the node
#: limit of an applicant file, checked before the line is parsed.
MAX_LINE_VALUES = APPLICANT_LIMITS.max_nodes
_SUFFIXES = (".json", ".yaml", ".yml")
_PIECE = 1 << 16  # what an over-long line is read and discarded by
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _too_many_values(raw: bytes) -> bool:
    """Whether a line holds more than :data:`MAX_LINE_VALUES` values (checked in C, no parse).

    Every value after the first of an array or object follows a comma; commas and brackets
    inside strings are not counted (strings are blanked first, only when the quick count
    says the line might be over).
    """
    if len(raw) < MAX_LINE_VALUES:  # each value counted below is a byte of its own
        return False

    def count(text: bytes) -> int:
        return text.count(b",") + text.count(b"[") + text.count(b"{") + 1

    return count(raw) > MAX_LINE_VALUES and count(_STRING.sub(b'""', raw)) > MAX_LINE_VALUES


class InputSource:
    """The inputs of a batch, read lazily (JSON Lines, or a folder of applicant files).

    ``path`` is a JSON Lines file (``.gz``: gzip, decompressed as it is read), ``-`` for
    standard input (JSON Lines), or a folder. A JSON Lines input is read line by line, in
    pieces of bounded size; a folder's JSON/YAML files are read recursively, in sorted path
    order, hidden ones skipped. Blank lines are skipped and counted in ``blank_lines``;
    ``size`` and ``done`` (bytes of the file as stored, or files of a folder; 0 for
    standard input) let a caller show progress.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.stdin = os.fspath(path) == "-"
        self.blank_lines = 0
        self.done = 0
        self.size = 0
        self._files: list[Path] | None = None
        if self.stdin:
            return
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
            raise self._unreadable(exc) from None

    @property
    def name(self) -> str:
        """How records and diagnostics name the input (``<stdin>`` for standard input)."""
        return "<stdin>" if self.stdin else str(self.path)

    @property
    def is_folder(self) -> bool:
        """Whether the inputs are a folder's files (else JSON Lines)."""
        return self._files is not None

    @property
    def is_gzip(self) -> bool:
        """Whether the input is a gzip-compressed JSON Lines file (name ending ``.gz``)."""
        return not self.stdin and self.path.suffix.lower() == ".gz"

    def _unreadable(self, exc: OSError | EOFError | gzip.BadGzipFile) -> ApplicantError:
        reason = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).lower()
        return ApplicantError([Diagnostic(
            "file-unreadable", f"cannot read `{self.name}`: {reason}",
            hint="give a JSON Lines file (.jsonl, or .jsonl.gz), `-` for standard input, "
                 "or a folder of JSON/YAML applicant files", file=self.name)])

    def __iter__(self) -> Iterator[Input]:
        if self._files is not None:
            for file in self._files:
                self.done += 1
                yield Input("file", str(file))
        elif self.stdin:
            yield from self._lines(sys.stdin.buffer, None)
        else:
            with open(self.path, "rb") as raw:
                if self.is_gzip:
                    with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                        yield from self._lines(fh, raw)
                else:
                    yield from self._lines(raw, raw)

    def _lines(self, fh: BinaryIO | io.BufferedIOBase, stored: BinaryIO | None
               ) -> Iterator[Input]:
        """The lines of a JSON Lines stream; ``stored`` is the file whose position is progress.

        A read error (a truncated or corrupt gzip file, an I/O error) raises
        :class:`ApplicantError` naming the file and the line it stopped at.
        """
        name = self.name
        number = 0
        limit = MAX_LINE_BYTES
        while True:
            try:
                raw = fh.readline(limit + 1)
                if len(raw) > limit and not raw.endswith(b"\n"):
                    while (more := fh.readline(_PIECE)) and not more.endswith(b"\n"):
                        pass
                    raw = b""  # held no longer than one piece at a time
                    too_long = True
                else:
                    too_long = False
                    if not raw:
                        return
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                error = self._unreadable(exc)
                raise ApplicantError([dataclasses.replace(
                    error.diagnostics[0], line=number + 1,
                    message=f"{error.diagnostics[0].message} (after line {number})")]) from None
            number += 1
            if stored is not None:
                with contextlib.suppress(OSError, ValueError):
                    self.done = stored.tell()
            if too_long:
                yield Input("line", number, problem=Diagnostic(
                    "applicant-invalid", f"the line is longer than {limit} bytes",
                    hint="write one applicant per line (an applicant is at most "
                         f"{MAX_LINE_BYTES} bytes, like an applicant file)",
                    file=name, line=number))
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
            if not text.strip():
                self.blank_lines += 1
                continue
            if _too_many_values(raw):
                yield Input("line", number, problem=Diagnostic(
                    "applicant-invalid", f"the line holds more than {MAX_LINE_VALUES} JSON "
                    "values", hint="write one applicant per line (an applicant holds at most "
                    f"{MAX_LINE_VALUES} values, like an applicant file)", file=name,
                    line=number))
                continue
            yield Input("line", number, text, source=name)
