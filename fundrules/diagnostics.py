"""Diagnostics as data: every problem fundrules finds is a :class:`Diagnostic`.

Problems are collected, never raised one at a time, so a policy author sees every
mistake of a pack in one run (as pydantic's error list or Cedar's validator do).
The set of codes is closed: :data:`CODES` is the single list, and
``docs/errors.md`` documents each one (a test keeps the two in step). The exceptions
that carry diagnostics are in :mod:`fundrules.errors`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

__all__ = ["CODES", "Diagnostic", "Severity", "sorted_diagnostics"]

Severity = Literal["error", "warning"]

#: Every diagnostic code, with a one-line summary. Documented in docs/errors.md.
CODES: dict[str, str] = {
    # reading the file
    "file-unreadable": "the file cannot be read (missing, a directory, not UTF-8)",
    "yaml-syntax": "the text is not valid YAML",
    "yaml-limit": "the YAML exceeds a safety limit (size, depth, aliases, items)",
    "yaml-tag": "the YAML uses a tag fundrules does not accept (e.g. !!python/object)",
    "yaml-duplicate-key": "a mapping repeats a key",
    # the pack's shape
    "unknown-key": "a key the pack format does not define",
    "missing-key": "a required key is absent",
    "wrong-type": "a value has the wrong type (e.g. a list where a mapping is expected)",
    "invalid-value": "a value has the right type but is not allowed",
    # conditions and expressions
    "condition-syntax": "a condition or expression cannot be parsed",
    "unknown-name": "a condition names a fact, measure, parameter or function that does not exist",
    "type-mismatch": "a comparison mixes kinds of value (date vs number, money vs number, ...)",
    "currency-mismatch": "an amount is in a currency other than the pack's",
    # rules and their links
    "duplicate-id": "two rules, calls, measures or sources share one id",
    "unproduced-fact": "a condition reads a derived fact that no rule concludes",
    "unused-fact": "a rule concludes a fact that nothing reads",
    "rule-cycle": "rules depend on each other in a cycle",
    "missing-message": "a rule has no message for one of the pack's languages",
    "unknown-source": "a rule cites a source the pack does not declare",
    "unknown-ambiguity": "a rule settles an ambiguity the pack does not declare",
    "award-overlap": "two award tiers can apply to the same applicant",
    "award-gap": "no award tier applies to some eligible applicant",
    "window-order": "a window closes before it opens",
    "unknown-parameter": "a call overrides a parameter the pack does not declare",
    "unknown-plugin": "a condition uses a plugin predicate that no installed package registers",
    "missing-cite": "a rule, exclusion, award tier or call window cites no source",
    "unused-parameter": "a parameter that no condition, window, switch or message uses",
    "name-shadowed": "a parameter, fact or measure has the name of another name it hides",
    "engine-limit": "the pack exceeds a limit of the rules engine",
    "engine-failure": "the rules engine failed on an applicant (a fundrules bug: report it)",
    "decision-timeout": "deciding one input of a batch took longer than its time limit",
    # applicants and packs at run time
    "applicant-invalid": "an applicant does not match the applicant schema",
    "json-syntax": "a line of a JSON Lines input is not valid JSON",
    "unknown-pack": "no pack has that id",
    "unknown-call": "the pack has no call with that id",
    "plugin-broken": "an installed package registers packs that cannot be loaded",
    "invalid-argument": "a function of the Python API was given a value it does not take",
    "dask-unavailable": "a batch cannot run on the Dask cluster it was given (unreachable, "
                        "no workers, no or another fundrules on them, dask not installed)",
    # YAML test cases
    "test-invalid": "a YAML test case is malformed",
    "pack-path-outside": "a test case file's `pack:` path leads outside its folder and project",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, located as precisely as fundrules knows.

    ``path`` is the YAML (or applicant) path, e.g. ``rules[2].when``; ``line``
    and ``column`` are 1-based and absent when the position is unknown (never
    invented).
    """

    code: str
    message: str
    severity: Severity = "error"
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a programming error, not a user error
            raise ValueError(f"undeclared diagnostic code {self.code!r}")

    def location(self) -> str:
        """``file:line:col`` (or as much of it as is known)."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """The one-line form used by the CLI: ``file:line:col: code: message``."""
        text = f"{self.location()}: {self.code}: {self.message}"
        if self.path and self.line is None:
            text += f" (at {self.path})"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready form."""
        return dataclasses.asdict(self)


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    # the message too: two problems at one place come out in the same order every run
    return (d.file or "", d.line or 0, d.column or 0, d.code, d.message)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by file, line, column, code, message; drop exact duplicates."""
    return sorted(set(diagnostics), key=_sort_key)
