"""The inputs of a batch: where each came from, how they are read, how one becomes an applicant.

JSON Lines are read strictly (no duplicate keys, no ``NaN``): a line that a lenient
reader would accept with a silently dropped value is reported instead. Errors name the
line (or file) and the field.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from fundrules.diagnostics import Diagnostic
from fundrules.errors import ApplicantError
from fundrules.io._applicants import (
    json_problem_column,
    locate_in_text,
    read_applicant,
    strict_json,
)
from fundrules.schema import Applicant, parse_applicant

__all__ = ["MAX_LINE_BYTES", "Input", "InputSource", "Where", "parse_input"]

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


#: The longest JSON Lines line read (a maximal valid applicant is far smaller).
MAX_LINE_BYTES = 16 * 1024 * 1024
_SUFFIXES = (".json", ".yaml", ".yml")


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
