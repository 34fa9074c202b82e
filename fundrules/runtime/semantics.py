"""The three-valued semantics of fundrules, written once.

Everything that decides a status derives from the two tables here:

- :data:`CONNECTIVES`: Kleene's strong logic. ``and`` is met when every operand is met
  and unmet when any is unmet; ``or`` the other way round; ``not`` swaps met and unmet.
  Anything else is unknown.
- :data:`COMPARISONS`: when a comparison of a value against a constant is met and when
  it is unmet. A numeric value is an interval whose bounds may be unknown; a symbol may
  be unknown. Each outcome is a quantifier over elementary *tests* of one bound (or the
  symbol) against the constant; a test on an unknown bound never holds.

The python backend composes closures from these tables (:func:`compile_cond`), the
durable backend turns the same tables into durable_rules patterns
(:mod:`fundrules.runtime.durable_form`), and explanations and the verifier read the
statuses an :class:`~fundrules.runtime.evaluation.Evaluation` holds. Unknown is never
a value real data can take: it is ``None`` here and an absent property in durable_rules.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

from fundrules.policies.ir import (
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    CompiledPack,
    Cond,
    COr,
    LeafInput,
    Op,
    Status,
)

__all__ = [
    "COMPARISONS",
    "COMPLEMENT",
    "CONNECTIVES",
    "NOT",
    "CondFn",
    "Decides",
    "Test",
    "Value",
    "comparison",
    "compile_cond",
    "input_cond",
    "leaf_status",
    "reading",
    "status_of",
    "trace_order",
    "unknown_parts",
    "value_status",
]

Number: TypeAlias = "int | float"


@dataclasses.dataclass(frozen=True, slots=True)
class Value:
    """An input's value for one applicant: exact, an interval, or unknown.

    Numeric inputs use ``lo``/``hi`` (``None``: that bound is unknown); symbolic inputs
    (enumerations, booleans, text) use ``sym`` (``None``: unknown). ``missing`` lists the
    applicant field paths whose absence makes it uncertain; ``notes`` says why in words.
    An interval is never empty: ``lo <= hi`` is checked where every Value is built.
    """

    lo: Number | None = None
    hi: Number | None = None
    sym: str | None = None
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError(f"empty interval {self.lo}..{self.hi}: a measure is wrong")


# --- the tables -----------------------------------------------------------------------

Quantifier = Literal["all", "any"]
Side = Literal["lo", "hi", "sym"]
Relation = Literal["lt", "le", "gt", "ge", "eq", "ne"]


@dataclasses.dataclass(frozen=True, slots=True)
class Test:
    """One elementary test: ``side relation constant``; never holds on an unknown side."""

    side: Side
    rel: Relation


@dataclasses.dataclass(frozen=True, slots=True)
class Decides:
    """An outcome of a comparison: ``quantifier`` over its tests (``any`` of none: never)."""

    quantifier: Quantifier
    tests: tuple[Test, ...]


#: connective -> (quantifier over the operands being met that makes it met,
#:                quantifier over the operands being unmet that makes it unmet)
CONNECTIVES: Mapping[Literal["and", "or"], tuple[Quantifier, Quantifier]] = {
    "and": ("all", "any"),
    "or": ("any", "all"),
}
NOT: Mapping[Status, Status] = {"met": "unmet", "unmet": "met", "unknown": "unknown"}
#: on an exact value, the operator met exactly where this one is unmet
COMPLEMENT: Mapping[Op, Op] = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne",
                               "ne": "eq", "in": "nin", "nin": "in"}


def _t(side: Side, rel: Relation) -> Test:
    return Test(side, rel)


#: numeric operator -> (when met, when unmet) over an interval [lo, hi]
_NUMERIC: Mapping[Op, tuple[Decides, Decides]] = {
    "ge": (Decides("all", (_t("lo", "ge"),)), Decides("any", (_t("hi", "lt"),))),
    "gt": (Decides("all", (_t("lo", "gt"),)), Decides("any", (_t("hi", "le"),))),
    "le": (Decides("all", (_t("hi", "le"),)), Decides("any", (_t("lo", "gt"),))),
    "lt": (Decides("all", (_t("hi", "lt"),)), Decides("any", (_t("lo", "ge"),))),
    "eq": (Decides("all", (_t("lo", "eq"), _t("hi", "eq"))),
           Decides("any", (_t("lo", "gt"), _t("hi", "lt")))),
    "ne": (Decides("any", (_t("lo", "gt"), _t("hi", "lt"))),
           Decides("all", (_t("lo", "eq"), _t("hi", "eq")))),
}
#: symbolic operator -> (when met, when unmet); each test is repeated for every constant
#: of an `in` list: `in` is met when the symbol equals any of them, unmet when it differs
#: from all of them
_SYMBOLIC: Mapping[Op, tuple[Decides, Decides]] = {
    "eq": (Decides("any", (_t("sym", "eq"),)), Decides("all", (_t("sym", "ne"),))),
    "in": (Decides("any", (_t("sym", "eq"),)), Decides("all", (_t("sym", "ne"),))),
    "ne": (Decides("all", (_t("sym", "ne"),)), Decides("any", (_t("sym", "eq"),))),
    "nin": (Decides("all", (_t("sym", "ne"),)), Decides("any", (_t("sym", "eq"),))),
}
COMPARISONS: Mapping[bool, Mapping[Op, tuple[Decides, Decides]]] = {
    True: _NUMERIC, False: _SYMBOLIC}

_RELATIONS: Mapping[Relation, Callable[[Any, Any], bool]] = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "eq": operator.eq, "ne": operator.ne}


def comparison(leaf: CLeaf) -> tuple[tuple[Quantifier, tuple[tuple[Test, Any], ...]],
                                      tuple[Quantifier, tuple[tuple[Test, Any], ...]]]:
    """A leaf's (met, unmet) outcomes with each test bound to its constant.

    The one place where a compiled comparison meets the table; both backends use it.
    """
    met, unmet = COMPARISONS[leaf.numeric][leaf.op]
    constants = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)

    def bind(d: Decides) -> tuple[Quantifier, tuple[tuple[Test, Any], ...]]:
        return d.quantifier, tuple((t, c) for c in constants for t in d.tests)
    return bind(met), bind(unmet)


# --- python evaluation, derived from the tables ---------------------------------------

ValueTest = Callable[[Value], bool]


def _test(test: Test, constant: Any) -> ValueTest:
    relation = _RELATIONS[test.rel]
    get = operator.attrgetter(test.side)

    def holds(value: Value) -> bool:
        side = get(value)
        return side is not None and relation(side, constant)
    return holds


def _outcome(quantifier: Quantifier, tests: tuple[tuple[Test, Any], ...]) -> ValueTest:
    rels = {(t.side, t.rel) for t, _ in tests}
    if len(tests) > 1 and rels in ({("sym", "eq")}, {("sym", "ne")}):
        # `sym == any of them` and `sym != all of them` are set membership
        inside = frozenset(c for _, c in tests)
        if rels == {("sym", "eq")}:
            return lambda value: value.sym is not None and value.sym in inside
        return lambda value: value.sym is not None and value.sym not in inside
    checks = tuple(_test(t, c) for t, c in tests)
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:  # `==` and `!=` on an interval: both bounds
        first, second = checks
        if quantifier == "all":
            return lambda value: first(value) and second(value)
        return lambda value: first(value) or second(value)
    if quantifier == "all":
        return lambda value: all(check(value) for check in checks)
    return lambda value: any(check(value) for check in checks)


@functools.lru_cache(maxsize=4096)
def value_status(leaf: CLeaf) -> Callable[[Value], Status]:
    """A leaf as a function of its input's Value.

    Composed once per comparison: the one cache of the run time, bounded, keyed by the
    compiled comparison itself (immutable pack data, never applicant data).
    """
    (mq, mt), (uq, ut) = comparison(leaf)
    if len(mt) == 1 and len(ut) == 1:  # one test each way (every numeric order, `==`, `!=`)
        return _single(mt[0], ut[0])
    met, unmet = _outcome(mq, mt), _outcome(uq, ut)

    def status(value: Value) -> Status:
        return "met" if met(value) else "unmet" if unmet(value) else "unknown"
    return status


def _single(met: tuple[Test, Any], unmet: tuple[Test, Any]) -> Callable[[Value], Status]:
    """A comparison decided by one test each way, flattened into one function."""
    (m_test, m_const), (u_test, u_const) = met, unmet
    m_get, m_rel = operator.attrgetter(m_test.side), _RELATIONS[m_test.rel]
    u_get, u_rel = operator.attrgetter(u_test.side), _RELATIONS[u_test.rel]

    def status(value: Value) -> Status:
        side = m_get(value)
        if side is not None and m_rel(side, m_const):
            return "met"
        side = u_get(value)
        if side is not None and u_rel(side, u_const):
            return "unmet"
        return "unknown"
    return status


def leaf_status(leaf: CLeaf, value: Value) -> Status:
    """Kleene status of one comparison against a value (uncompiled; for tools)."""
    return value_status(leaf)(value)


#: ``fn(values, statuses)``; a measure filter's closures take ``(item, today)`` instead
CondFn: TypeAlias = Callable[[Any, Any], Status]
LeafCompiler: TypeAlias = Callable[[CLeaf], CondFn]


def compile_cond(cond: Cond, leaf: LeafCompiler) -> CondFn:
    """A condition composed once into closures ``fn(values, statuses) -> Status``.

    ``leaf`` compiles the comparisons (reading an applicant's input Values, or one list
    item for a measure's filter); connectives follow :data:`CONNECTIVES`.
    """
    match cond:
        case CLeaf():
            return leaf(cond)
        case CFact(rule=rule):
            return lambda values, statuses: statuses[rule]
        case CConst(status=status):
            return lambda values, statuses: status
        case CNot(operand=operand):
            inner = compile_cond(operand, leaf)
            return lambda values, statuses: NOT[inner(values, statuses)]
        case CAnd(operands=ops) | COr(operands=ops):
            parts = tuple(compile_cond(op, leaf) for op in ops)
            met_q, _ = CONNECTIVES["and" if isinstance(cond, CAnd) else "or"]
            # `all` met -> met: one unmet operand decides (unmet); else `any` met decides
            stop: Status = "unmet" if met_q == "all" else "met"
            default: Status = "met" if met_q == "all" else "unmet"

            def combine(values: Any, statuses: Any) -> Status:
                result = default
                for part in parts:
                    s = part(values, statuses)
                    if s == stop:
                        return stop
                    if s == "unknown":
                        result = "unknown"
                return result
            return combine
    raise AssertionError(cond)  # pragma: no cover - Cond is closed


def _input_leaf(leaf: CLeaf) -> CondFn:
    status = value_status(leaf)
    key = leaf.input
    return lambda values, statuses: status(values[key])


def input_cond(cond: Cond, position: Mapping[LeafInput, int] | None = None) -> CondFn:
    """A rule's condition over input Values, composed once (the python backend's form).

    With ``position`` (each input's index in the call's ``inputs``), the condition reads
    ``values`` as a sequence by index, without hashing an input per comparison.
    """
    if position is None:
        return compile_cond(cond, _input_leaf)

    def positional(leaf: CLeaf) -> CondFn:
        status, index = value_status(leaf), position[leaf.input]
        return lambda values, statuses: status(values[index])
    return compile_cond(cond, positional)


LeafStatus: TypeAlias = Callable[[CLeaf], Status]


def status_of(cond: Cond, leaf: LeafStatus, statuses: Mapping[str, Status]) -> Status:
    """The status of a condition, given each comparison's status (uncompiled; for tools)."""
    match cond:
        case CLeaf():
            return leaf(cond)
        case CFact(rule=rule):
            return statuses[rule]
        case CConst(status=status):
            return status
        case CNot(operand=operand):
            return NOT[status_of(operand, leaf, statuses)]
        case CAnd(operands=ops) | COr(operands=ops):
            met_q, unmet_q = CONNECTIVES["and" if isinstance(cond, CAnd) else "or"]
            found = [status_of(op, leaf, statuses) for op in ops]
            if (all if met_q == "all" else any)(s == "met" for s in found):
                return "met"
            if (all if unmet_q == "all" else any)(s == "unmet" for s in found):
                return "unmet"
            return "unknown"
    raise AssertionError(cond)  # pragma: no cover - Cond is closed


def reading(values: Mapping[LeafInput, Value]) -> LeafStatus:
    """Comparisons' statuses against an applicant's input Values."""
    return lambda leaf: value_status(leaf)(values[leaf.input])


def unknown_parts(cond: Cond, leaf: LeafStatus, statuses: Mapping[str, Status]
                  ) -> list[CLeaf | CFact]:
    """The comparisons and facts that leave an unknown condition undecided.

    Only unknown branches are followed: in ``a or b`` with ``a`` met nothing is returned;
    in ``a and b`` with ``b`` unmet nothing either. These are exactly the parts whose
    value could still change the condition's status. One pass over the tree.
    """
    return _undecided(cond, leaf, statuses)[1]


def _undecided(cond: Cond, leaf: LeafStatus, statuses: Mapping[str, Status]
               ) -> tuple[Status, list[CLeaf | CFact]]:
    match cond:
        case CLeaf():
            status = leaf(cond)
            return status, [cond] if status == "unknown" else []
        case CFact(rule=rule):
            status = statuses[rule]
            return status, [cond] if status == "unknown" else []
        case CConst(status=status):
            return status, []
        case CNot(operand=operand):
            status, parts = _undecided(operand, leaf, statuses)
            return NOT[status], parts
        case CAnd(operands=ops) | COr(operands=ops):
            met_q, unmet_q = CONNECTIVES["and" if isinstance(cond, CAnd) else "or"]
            found = [_undecided(op, leaf, statuses) for op in ops]
            if (all if met_q == "all" else any)(s == "met" for s, _ in found):
                return "met", []
            if (all if unmet_q == "all" else any)(s == "unmet" for s, _ in found):
                return "unmet", []
            return "unknown", [p for s, parts in found if s == "unknown" for p in parts]
    raise AssertionError(cond)  # pragma: no cover - Cond is closed


def trace_order(call: CompiledPack, statuses: Mapping[str, Status]) -> list[str]:
    """The order in which rules conclude, the trace both backends give.

    Per stratum: the rules decided (met or unmet) in compiled order, then those left
    unknown (known to be unknown only once nothing of their stratum decided them).
    """
    order: list[str] = []
    unknown: list[str] = []
    stratum = 0
    for rule in call.rules:  # sorted by stratum
        if rule.stratum != stratum:
            order += unknown
            unknown, stratum = [], rule.stratum
        (unknown if statuses[rule.id] == "unknown" else order).append(rule.id)
    return order + unknown
