"""One input of a batch: where it came from, and how it becomes an applicant.

JSON Lines are read strictly (no duplicate keys, no ``NaN``): a line that a lenient
reader would accept with a silently dropped value is reported instead. Errors name the
line (or file) and the field.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Literal

from fundrules.applicants import read_applicant, strict_json
from fundrules.diagnostics import ApplicantError, Diagnostic
from fundrules.schema import Applicant, parse_applicant

__all__ = ["Input", "Where"]

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
        data = strict_json(item.data)
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
