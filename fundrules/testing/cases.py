"""YAML test cases for packs: an applicant, and the decision a policy author expects.

A case file names its pack, optional ``defaults`` merged under every applicant, and
``cases``, each with ``name``, ``applicant`` and ``expect`` (``outcome``, and
optionally ``call``, ``award`` fields, ``reasons`` statuses by rule id, ``missing``,
``trace``). See docs/testing.md.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fundrules.api import Engine
from fundrules.diagnostics import Diagnostic, FundrulesError
from fundrules.policies.loader import Node, load_file
from fundrules.policies.pack import load_pack
from fundrules.policies.registry import builtin_pack_dir
from fundrules.schema import Decision

__all__ = ["Case", "CaseResult", "load_cases", "run_case_file"]

_EXPECT_KEYS = {"outcome", "call", "award", "reasons", "missing", "trace"}


@dataclasses.dataclass(frozen=True)
class Case:
    """One test case, with where it is written."""

    name: str
    pack: str
    applicant: dict[str, Any]
    expect: dict[str, Any]
    file: str
    line: int


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """The outcome of running one case: ``problems`` is empty when it passed."""

    case: Case
    decision: Decision | None
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when the decision matched every expectation."""
        return not self.problems

    def report(self) -> str:
        """Readable failure text: the case, expected vs actual, where it is written."""
        head = f"{self.case.file}:{self.case.line}: case {self.case.name!r}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


def _bad(file: str, node: Node | None, message: str) -> FundrulesError:
    return FundrulesError([Diagnostic(
        "test-invalid", message, hint="see docs/testing.md", file=file,
        line=node.mark.line if node else None, column=node.mark.column if node else None,
        path=node.path if node else None)])


def load_cases(path: str | os.PathLike[str]) -> list[Case]:
    """Read a case file; raise FundrulesError (code ``test-invalid``) if malformed."""
    file = str(path)
    loaded = load_file(path)
    if loaded.root is None or loaded.diagnostics:
        raise FundrulesError(loaded.diagnostics)
    root = loaded.root
    pack = root.get("pack")
    cases = root.get("cases")
    if pack is None or not isinstance(pack.value, str) or cases is None \
            or not cases.is_sequence():
        raise _bad(file, root, "a case file needs `pack: <id>` and a list `cases:`")
    defaults = root.get("defaults")
    base = defaults.to_plain() if defaults is not None else {}
    if not isinstance(base, dict):
        raise _bad(file, defaults, "`defaults` must be a mapping of applicant fields")
    out = []
    assert isinstance(cases.value, list)
    for node in cases.value:
        plain = node.to_plain()
        if not isinstance(plain, dict) or not {"name", "applicant", "expect"} <= set(plain):
            raise _bad(file, node, "each case needs `name`, `applicant` and `expect`")
        if not isinstance(plain["applicant"], dict) or not isinstance(plain["expect"], dict):
            raise _bad(file, node, "`applicant` and `expect` must be mappings")
        unknown = set(plain["expect"]) - _EXPECT_KEYS
        if unknown:
            raise _bad(file, node.get("expect"), f"unknown expectation(s) {sorted(unknown)}; "
                       f"use {sorted(_EXPECT_KEYS)}")
        out.append(Case(str(plain["name"]), pack.value, {**base, **plain["applicant"]},
                        plain["expect"], file, node.mark.line))
    return out


def _compare(expect: Mapping[str, Any], decision: Decision) -> list[str]:
    problems = []
    if "outcome" in expect and expect["outcome"] != decision.outcome:
        problems.append(f"outcome: expected {expect['outcome']}, got {decision.outcome}")
    if "call" in expect and expect["call"] != decision.call:
        problems.append(f"call: expected {expect['call']}, got {decision.call}")
    if "award" in expect:
        got = decision.award.model_dump(mode="json") if decision.award else None
        want = expect["award"]
        if want is None or got is None:
            if want != got:
                problems.append(f"award: expected {want}, got {got}")
        else:
            for key, value in want.items():
                if str(got.get(key)) != str(value) and not _same_number(got.get(key), value):
                    problems.append(f"award.{key}: expected {value}, got {got.get(key)}")
    statuses = {r.rule: r.status for r in decision.reasons}
    for rule, status in (expect.get("reasons") or {}).items():
        if statuses.get(rule) != status:
            problems.append(f"criterion {rule}: expected {status}, got {statuses.get(rule)}")
    if "missing" in expect and sorted(expect["missing"]) != sorted(decision.missing):
        problems.append(f"missing: expected {sorted(expect['missing'])}, "
                        f"got {sorted(decision.missing)}")
    if "trace" in expect and list(expect["trace"]) != list(decision.trace):
        problems.append(f"trace: expected {expect['trace']}, got {list(decision.trace)}")
    if problems:
        problems.append("criteria: " + ", ".join(f"{r}={s}" for r, s in statuses.items()))
    return problems


def _same_number(a: object, b: object) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


_ENGINES: dict[tuple[str, str], Engine] = {}


def _engine_for(case_file: Path, pack_id: str, backend: str) -> Engine:
    """The pack next to the case file (``../<pack>.yaml``) if present, else the built-in."""
    local = case_file.resolve().parent.parent / f"{pack_id}.yaml"
    path = local if local.is_file() else builtin_pack_dir() / f"{pack_id}.yaml"
    key = (str(path), backend)
    if key not in _ENGINES:
        _ENGINES[key] = Engine([load_pack(path)], backend=backend)  # type: ignore[arg-type]
    return _ENGINES[key]


def run_case(case: Case, backend: str = "durable") -> CaseResult:
    """Run one case against its pack."""
    engine = _engine_for(Path(case.file), case.pack, backend)
    try:
        decision = engine.evaluate(case.applicant, case.pack)
    except FundrulesError as exc:
        return CaseResult(case, None, tuple(d.format() for d in exc.diagnostics))
    return CaseResult(case, decision, tuple(_compare(case.expect, decision)))


def run_case_file(path: str | os.PathLike[str], backend: str = "durable") -> list[CaseResult]:
    """Run every case of a file."""
    return [run_case(case, backend) for case in load_cases(path)]
