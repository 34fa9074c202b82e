"""YAML test cases for packs: an applicant, and the decision a policy author expects.

A case file names its pack, optional ``defaults`` merged under every applicant, and
``cases``, each with ``name``, ``applicant`` and ``expect`` (``outcome``, and
optionally ``call``, ``award`` fields, ``reasons`` statuses by rule id, ``missing``,
``trace``). See docs/test-cases.md.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fundrules.api import Engine
from fundrules.diagnostics import Diagnostic
from fundrules.errors import FundrulesError
from fundrules.explain import award_text
from fundrules.policies.loader import Node, load_file
from fundrules.policies.pack import display_path, load_pack
from fundrules.policies.registry import builtin_pack_dir
from fundrules.schema import Decision

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "Case",
    "CaseResult",
    "load_cases",
    "run_case",
    "run_case_file",
]

#: The backends every case runs on (the pytest plugin, ``fundrules test``).
BACKENDS: tuple[str, ...] = ("durable", "python")

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
    """The outcome of running one case on one backend: ``problems`` is empty when it passed."""

    case: Case
    decision: Decision | None
    problems: tuple[str, ...]
    backend: str = "durable"

    @property
    def passed(self) -> bool:
        """True when the decision matched every expectation."""
        return not self.problems

    def report(self) -> str:
        """Readable failure text: the case, expected vs actual, where it is written."""
        head = f"{self.case.file}:{self.case.line}: case {self.case.name!r} [{self.backend}]"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


def _bad(file: str, node: Node | None, message: str) -> FundrulesError:
    return FundrulesError([Diagnostic(
        "test-invalid", message, hint="see docs/test-cases.md", file=file,
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


def _compare(expect: Mapping[str, Any], decision: Decision, where: Mapping[str, str]
             ) -> list[str]:
    """Every difference, then (on failure) what a reader needs to find the cause."""
    def at(rule: str) -> str:
        found = where.get(rule) or where.get(f"{rule}@{decision.call}")
        return f" ({found})" if found else ""

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
                problems.append(f"award: expected {_expected_award(expect)}, "
                                f"got {award_text(decision.award)}")
        else:
            for key, value in want.items():
                if str(got.get(key)) != str(value) and not _same_number(got.get(key), value):
                    problems.append(f"award.{key}: expected {value}, got {got.get(key)}")
    statuses = {r.rule: r.status for r in decision.reasons}
    for rule, status in (expect.get("reasons") or {}).items():
        if statuses.get(rule) != status:
            problems.append(f"criterion {rule}: expected {status}, got {statuses.get(rule)}"
                            + at(rule))
    if "missing" in expect and sorted(expect["missing"]) != sorted(decision.missing):
        problems.append(f"missing: expected {sorted(expect['missing'])}, "
                        f"got {sorted(decision.missing)}")
    if "trace" in expect and list(expect["trace"]) != list(decision.trace):
        problems.append(f"trace: expected {expect['trace']}, got {list(decision.trace)}")
    if not problems:
        return []
    not_met = [f"{r}={s}{at(r)}" for r, s in statuses.items() if s != "met"]
    return [f"expected: outcome {expect.get('outcome', '(not checked)')}, "
            f"award {_expected_award(expect)}",
            f"actual:   outcome {decision.outcome}, award {award_text(decision.award)}",
            *problems,
            *(["not met: " + ", ".join(not_met)] if not_met else []),
            "criteria: " + ", ".join(f"{r}={s}" for r, s in statuses.items())]


def _expected_award(expect: Mapping[str, Any]) -> str:
    if "award" not in expect:
        return "(not checked)"
    want = expect["award"]
    if not isinstance(want, dict):
        return "none" if want is None else str(want)
    if "amount" in want and set(want) <= {"kind", "amount", "currency"}:
        return f"{want['amount']} {want.get('currency', '')}".strip()
    return ", ".join(f"{k} {v}" for k, v in want.items())


@functools.lru_cache(maxsize=32)
def _criterion_lines(pack_file: str) -> dict[str, str]:
    """``file:line`` of each criterion's ``id:`` in the pack (``window@call``: the window)."""
    loaded = load_file(pack_file)
    root = loaded.root
    if root is None:
        return {}
    shown = display_path(Path(pack_file))
    out: dict[str, str] = {}

    def items(node: Node | None) -> list[Node]:
        return node.value if node is not None and isinstance(node.value, list) else []

    awards = [root.get("award"), *(c.get("award") for c in items(root.get("calls")))]
    tiers = [t for a in awards if a is not None for t in items(a.get("tiers"))]
    for item in [*items(root.get("rules")), *items(root.get("exclusions")), *tiers]:
        ident = item.get("id")
        if ident is not None and isinstance(ident.value, str):
            out.setdefault(ident.value, f"{shown}:{ident.mark.line}")
    for call in items(root.get("calls")):
        ident, window = call.get("id"), call.get("window")
        if ident is not None and window is not None:
            out[f"window@{ident.value}"] = f"{shown}:{window.mark.line}"
    return out


def _same_number(a: object, b: object) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


class BackendUnavailable(RuntimeError):
    """The backend asked for cannot run here (durable_rules cannot be loaded)."""


_ENGINES: dict[tuple[str, str], Engine] = {}


def _engine_for(case_file: Path, pack_id: str, backend: str) -> Engine:
    """The pack next to the case file (``../<pack>.yaml``) if present, else the built-in.

    Raises :class:`BackendUnavailable` rather than run a case on another backend than the
    one asked for (``Engine(backend="durable")`` falls back to python, with a warning, where
    durable_rules cannot be loaded).
    """
    local = case_file.resolve().parent.parent / f"{pack_id}.yaml"
    path = local if local.is_file() else builtin_pack_dir() / f"{pack_id}.yaml"
    key = (str(path), backend)
    if key not in _ENGINES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # reported as BackendUnavailable
            engine = Engine([load_pack(path)], backend=backend)  # type: ignore[arg-type]
        _ENGINES[key] = engine
    engine = _ENGINES[key]
    if engine.backend != backend:
        raise BackendUnavailable(f"the {backend} backend cannot run here (durable_rules cannot "
                                 "be loaded: see docs/engines.md#installing-durable_rules)")
    return engine


def run_case(case: Case, backend: str = "durable") -> CaseResult:
    """Run one case against its pack on ``backend`` (``durable`` or ``python``).

    Raises :class:`BackendUnavailable` when that backend cannot run here.
    """
    engine = _engine_for(Path(case.file), case.pack, backend)
    try:
        decision = engine.evaluate(case.applicant, case.pack)
    except FundrulesError as exc:
        return CaseResult(case, None, tuple(d.format() for d in exc.diagnostics), backend)
    where = _criterion_lines(engine.pack(case.pack).file)
    return CaseResult(case, decision, tuple(_compare(case.expect, decision, where)), backend)


def run_case_file(path: str | os.PathLike[str], backend: str = "durable") -> list[CaseResult]:
    """Run every case of a file on ``backend``."""
    return [run_case(case, backend) for case in load_cases(path)]
