"""The three-valued semantics, as a user of the tables would check them (issue 12).

Written from the mutants of ``fundrules/runtime/semantics.py`` that the other tests let
through (``python mutation/code.py --module fundrules/runtime/semantics.py``): each
test states a rule of docs/semantics and was seen failing with its mutant applied.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from fundrules import Engine
from fundrules.policies.ir import CAnd, CConst, CFact, CLeaf, CNot, COr, FieldInput
from fundrules.policies.pack import load_pack_text
from fundrules.runtime.semantics import (
    COMPLEMENT,
    Value,
    input_cond,
    leaf_status,
    status_of,
    trace_order,
    unknown_parts,
)

_N = FieldInput("long_term_illness_months", "number")
_S = FieldInput("status", "symbol")
NUMERIC_OPS = ("lt", "le", "gt", "ge", "eq", "ne")
STATUSES = ("met", "unmet", "unknown")


@pytest.mark.parametrize("op", NUMERIC_OPS)
def test_the_complement_is_met_exactly_where_the_comparison_is_unmet(op: str) -> None:
    """``COMPLEMENT`` negates a comparison on every exact value.

    Below, at and above the constant (the strategies use it to make a criterion fail).
    """
    for x in (11, 12, 13):
        exact = Value(lo=x, hi=x)
        here = leaf_status(CLeaf(_N, op, 12, True), exact)
        there = leaf_status(CLeaf(_N, COMPLEMENT[op], 12, True), exact)
        assert {here, there} == {"met", "unmet"}, (op, x)


@pytest.mark.parametrize("op", ["in", "nin", "eq", "ne"])
def test_the_complement_of_a_symbolic_comparison_negates_it(op: str) -> None:
    value = ("employee", "intermittent") if op in ("in", "nin") else "employee"
    for sym in ("employee", "freelancer"):
        here = leaf_status(CLeaf(_S, op, value, False), Value(sym=sym))
        there = leaf_status(CLeaf(_S, COMPLEMENT[op], value, False), Value(sym=sym))
        assert {here, there} == {"met", "unmet"}, (op, sym)


def _kleene_and(a: str, b: str) -> str:
    return "unmet" if "unmet" in (a, b) else "met" if a == b == "met" else "unknown"


def _kleene_or(a: str, b: str) -> str:
    return "met" if "met" in (a, b) else "unmet" if a == b == "unmet" else "unknown"


@pytest.mark.parametrize(("a", "b"), list(itertools.product(STATUSES, STATUSES)))
def test_compiled_and_uncompiled_connectives_follow_kleene(a: str, b: str) -> None:
    """Closures and ``status_of`` give Kleene's table for every pair of statuses.

    Under ``and``, ``or`` and ``not``: the python backend's form and the tools' form.
    """
    statuses = {"A": a, "B": b}
    fa, fb = CFact("a", "A"), CFact("b", "B")
    for cond, want in [(CAnd((fa, fb)), _kleene_and(a, b)), (COr((fa, fb)), _kleene_or(a, b)),
                       (CNot(CAnd((fa, fb))), {"met": "unmet", "unmet": "met"}.get(
                           _kleene_and(a, b), "unknown"))]:
        assert input_cond(cond)({}, statuses) == want, (cond, statuses)
        assert status_of(cond, lambda leaf: "unknown", statuses) == want, (cond, statuses)


def test_a_constant_keeps_its_status_through_both_forms() -> None:
    for s in STATUSES:
        assert input_cond(CConst(s))({}, {}) == s  # type: ignore[arg-type]
        assert status_of(CConst(s), lambda leaf: "unknown", {}) == s  # type: ignore[arg-type]


def test_an_undecided_condition_names_only_its_unknown_parts() -> None:
    fa, fb, fc = CFact("a", "A"), CFact("b", "B"), CFact("c", "C")
    statuses = {"A": "unknown", "B": "met", "C": "unknown"}
    assert unknown_parts(CAnd((fa, fb, fc)), lambda leaf: "unknown", statuses) == [fa, fc]
    assert unknown_parts(COr((fa, CNot(fc))), lambda leaf: "unknown", statuses) == [fa, fc]
    assert unknown_parts(COr((fa, fb)), lambda leaf: "unknown", statuses) == []


def test_an_interval_is_never_empty() -> None:
    Value(lo=3, hi=3)
    Value(lo=None, hi=3)
    Value(lo=3, hi=None)
    with pytest.raises(ValueError, match="empty interval"):
        Value(lo=4, hi=3)


class _Rule:
    def __init__(self, rid: str, stratum: int) -> None:
        self.id, self.stratum = rid, stratum


class _Call:
    def __init__(self, *rules: _Rule) -> None:
        self.rules = rules


def test_the_trace_gives_each_stratum_decided_rules_first_then_the_unknown() -> None:
    call = _Call(_Rule("A", 0), _Rule("B", 0), _Rule("C", 1), _Rule("D", 1), _Rule("E", 2))
    statuses = {"A": "unknown", "B": "met", "C": "unmet", "D": "unknown", "E": "unknown"}
    assert trace_order(call, statuses) == ["B", "A", "C", "D", "E"]  # type: ignore[arg-type]
    statuses = {"A": "met", "B": "unknown", "C": "unknown", "D": "met", "E": "met"}
    assert trace_order(call, statuses) == ["A", "B", "D", "C", "E"]  # type: ignore[arg-type]


_HOLDS = {"lt": lambda x, c: x < c, "le": lambda x, c: x <= c, "gt": lambda x, c: x > c,
          "ge": lambda x, c: x >= c, "eq": lambda x, c: x == c, "ne": lambda x, c: x != c}
_BOUNDS = (None, 10, 11, 12, 13, 14)


def _by_every_value(op: str, lo: int | None, hi: int | None, c: int = 12) -> str:
    """The definition: met if it holds for every value the interval allows, unmet if for none.

    Else unknown. An unknown bound reaches well past the constant.
    """
    values = range(0 if lo is None else lo, (30 if hi is None else hi) + 1)
    held = {_HOLDS[op](x, c) for x in values}
    return "met" if held == {True} else "unmet" if held == {False} else "unknown"


@pytest.mark.parametrize("op", NUMERIC_OPS)
def test_a_comparison_over_an_interval_is_decided_by_every_value_it_allows(op: str) -> None:
    """Every interval with bounds around the constant 12 (each bound known or not)."""
    for lo, hi in itertools.product(_BOUNDS, _BOUNDS):
        if lo is not None and hi is not None and lo > hi:
            continue
        got = leaf_status(CLeaf(_N, op, 12, True), Value(lo=lo, hi=hi))
        assert got == _by_every_value(op, lo, hi), (op, lo, hi)


_FR_TEXT = (Path(__file__).resolve().parents[3] / "policies" / "fr-netflix-audiens.yaml"
            ).read_text(encoding="utf-8")


@pytest.mark.parametrize(("condition", "status", "want"), [
    ("status in [employee, intermittent]", "intermittent", "met"),
    ("status in [employee, intermittent]", "freelancer", "unmet"),
    ("status not in [employee, freelancer]", "intermittent", "met"),
    ("status not in [employee, freelancer]", "employee", "unmet"),
    ("status not in [employee, freelancer]", "freelancer", "unmet"),
])
def test_a_list_membership_is_decided_alike_by_both_backends(
        fr_applicant: dict[str, Any], condition: str, status: str, want: str) -> None:
    """``in`` is met when the value is one of the list, ``not in`` when it is none of them."""
    pack = load_pack_text(_FR_TEXT.replace("when: status == intermittent", f"when: {condition}"),
                          file="variant.yaml")
    applicant = {**fr_applicant, "status": status}
    for engine in (Engine([pack]), Engine([pack], backend="python")):
        decision = engine.evaluate(applicant, "fr-netflix-audiens")
        assert {r.rule: r.status for r in decision.reasons}["FR-C1"] == want, engine


def test_a_decided_part_inside_an_undecided_condition_names_nothing() -> None:
    """A condition decided by a nested part asks for nothing, even with ``d`` unknown.

    ``d and (a or b)`` with ``a``, ``b`` unmet is unmet; ``d or (a and b)`` with both met
    is met.
    """
    fa, fb, fd = CFact("a", "A"), CFact("b", "B"), CFact("d", "D")
    unmet = {"A": "unmet", "B": "unmet", "D": "unknown"}
    met = {"A": "met", "B": "met", "D": "unknown"}
    assert unknown_parts(CAnd((fd, COr((fa, fb)))), lambda leaf: "unknown", unmet) == []
    assert unknown_parts(COr((fd, CAnd((fa, fb)))), lambda leaf: "unknown", met) == []
    assert unknown_parts(COr((fd, CAnd((fa, fb)))), lambda leaf: "unknown", unmet) == [fd]
