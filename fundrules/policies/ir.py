"""The engine-neutral compiled form of a pack, and three-valued evaluation of it.

A compiled pack is plain, immutable data: inputs to compute from an applicant,
measures over the applicant's lists, and rules whose conditions are Kleene trees over
*leaves* (one input compared with one constant) and *facts* (conclusions of other
rules). Engines (durable_rules, plain Python) consume this form; nothing here knows
about either engine.

All constants are normalised so that every engine compares them the same way:
dates are ordinal integers, money is integer minor units (cents) in the pack's
currency, booleans and enumerations are strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

__all__ = [
    "FALSE",
    "TRUE",
    "UNKNOWN_SYM",
    "AwardSpec",
    "AwardTier",
    "CAnd",
    "CConst",
    "CFact",
    "CLeaf",
    "CNot",
    "COr",
    "CompiledPack",
    "CompiledRule",
    "Cond",
    "CondFn",
    "Const",
    "DateBound",
    "InputSpec",
    "InputType",
    "ItemExpr",
    "MeasureSpec",
    "Op",
    "Status",
    "Value",
    "WindowSpec",
    "compile_cond",
    "evaluate",
    "leaf_status",
    "unknown_parts",
]

Status = Literal["met", "unmet", "unknown"]
Op = Literal["lt", "le", "gt", "ge", "eq", "ne", "in", "nin"]
Const: TypeAlias = "int | float | str | tuple[int | float | str, ...]"

TRUE = "true"
FALSE = "false"
#: What an unknown symbolic value looks like inside an engine (never a real value).
UNKNOWN_SYM = "?"


@dataclasses.dataclass(frozen=True, slots=True)
class Value:
    """An input's value for one applicant: exact, an interval, or unknown.

    Numeric inputs use ``lo``/``hi`` (``None`` = unbounded / unknown on that side);
    symbolic inputs (enumerations, booleans, text) use ``sym`` (``None`` = unknown).
    ``missing`` lists the applicant field paths whose absence makes it uncertain;
    ``notes`` says why in words (e.g. a currency that cannot be compared).
    """

    lo: int | float | None = None
    hi: int | float | None = None
    sym: str | None = None
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """True when the value is known exactly."""
        return self.sym is not None or (self.lo is not None and self.lo == self.hi)


@dataclasses.dataclass(frozen=True, slots=True)
class CLeaf:
    """``input op value``: the only comparison engines evaluate."""

    input: str
    op: Op
    value: Const
    numeric: bool


@dataclasses.dataclass(frozen=True, slots=True)
class CFact:
    """The status of a fact concluded by another rule."""

    fact: str


@dataclasses.dataclass(frozen=True, slots=True)
class CConst:
    """A condition whose status is fixed at compile time (e.g. a switched-off parameter)."""

    status: Status


@dataclasses.dataclass(frozen=True, slots=True)
class CNot:
    operand: Cond


@dataclasses.dataclass(frozen=True, slots=True)
class CAnd:
    operands: tuple[Cond, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class COr:
    operands: tuple[Cond, ...]


Cond: TypeAlias = "CLeaf | CFact | CConst | CNot | CAnd | COr"


@dataclasses.dataclass(frozen=True, slots=True)
class ItemExpr:
    """A per-item value for a `sum`: a field, `greatest`/`least`, `+`, or a constant."""

    kind: Literal["field", "greatest", "least", "add", "const"]
    field: str | None = None
    args: tuple[ItemExpr, ...] = ()
    const: int | float | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DateBound:
    """A window bound: a fixed day, or a day relative to the submission date."""

    ordinal: int | None = None  # a fixed day (``date.toordinal()``)
    months: int = 0  # else: the submission date shifted by months, then days
    days: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class MeasureSpec:
    """A count or sum over one of the applicant's lists, filtered and windowed."""

    name: str
    over: Literal["engagements", "benefits", "income", "prior_awards"]
    aggregate: Literal["count", "sum"]
    value: ItemExpr | None
    value_type: Literal["number", "money"]
    where: Cond | None
    #: inclusive day window; bounds may be relative to the submission date
    within: tuple[DateBound, DateBound] | None


InputType = Literal["number", "money", "date", "symbol", "instant"]


@dataclasses.dataclass(frozen=True, slots=True)
class InputSpec:
    """A value a rule reads: an applicant field, a measure, an income figure, ..."""

    key: str
    kind: Literal["field", "contains", "measure", "income", "submitted", "plugin"]
    type: InputType
    field: str | None = None
    arg: str | None = None
    arg2: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule: it concludes ``then`` with a status when its inputs are decided."""

    id: str
    kind: Literal["window", "rule", "priority", "exclusion", "eligible", "tier"]
    then: str
    cond: Cond
    deps: tuple[str, ...]
    message: Mapping[str, str]
    cite: tuple[str, ...] = ()
    settles: tuple[str, ...] = ()
    confidence: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AwardTier:
    id: str
    rule: str | None  # the compiled rule that decides the tier, None for the default tier
    amount: int | None  # minor units
    min: int | None
    max: int | None
    months: int | None
    message: Mapping[str, str]
    cite: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class AwardSpec:
    kind: Literal["fixed", "range", "monthly", "share"]
    currency: str
    tiers: tuple[AwardTier, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class WindowSpec:
    """A call's window: epoch seconds, ``closes`` exclusive; text for messages."""

    opens: int | None
    closes: int | None
    text: str
    tz: str


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledPack:
    """Everything an engine needs to decide one call of one pack."""

    pack: str
    version: str
    digest: str
    call: str
    currency: str
    languages: tuple[str, ...]
    window: WindowSpec
    inputs: tuple[InputSpec, ...]
    measures: tuple[MeasureSpec, ...]
    rules: tuple[CompiledRule, ...]  # in an order where every rule follows the rules it reads
    award: AwardSpec | None
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    written: tuple[str, ...] = ()  # rule ids in the order the pack writes them (for reasons)
    monotonic: tuple[tuple[str, str, str], ...] = ()  # declared (more|less, input key, never)

    def rule(self, rule_id: str) -> CompiledRule:
        """The rule with that id (KeyError if none)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def _num_status(op: Op, lo: float | None, hi: float | None, c: float) -> Status:
    met: bool
    unmet: bool
    if op == "ge":
        met, unmet = lo is not None and lo >= c, hi is not None and hi < c
    elif op == "gt":
        met, unmet = lo is not None and lo > c, hi is not None and hi <= c
    elif op == "le":
        met, unmet = hi is not None and hi <= c, lo is not None and lo > c
    elif op == "lt":
        met, unmet = hi is not None and hi < c, lo is not None and lo >= c
    elif op in ("eq", "ne"):
        eq = lo is not None and hi is not None and lo == hi == c
        ne = (lo is not None and lo > c) or (hi is not None and hi < c)
        met, unmet = (eq, ne) if op == "eq" else (ne, eq)
    else:  # pragma: no cover - resolve never builds these for numbers
        raise ValueError(op)
    return "met" if met else "unmet" if unmet else "unknown"


def leaf_status(leaf: CLeaf, value: Value) -> Status:
    """Kleene status of one comparison against an input's value."""
    if leaf.numeric:
        assert isinstance(leaf.value, int | float)
        return _num_status(leaf.op, value.lo, value.hi, leaf.value)
    if value.sym is None:
        return "unknown"
    if leaf.op in ("in", "nin"):
        assert isinstance(leaf.value, tuple)
        inside = value.sym in leaf.value
        return "met" if inside == (leaf.op == "in") else "unmet"
    equal = value.sym == leaf.value
    return "met" if equal == (leaf.op == "eq") else "unmet"


def evaluate(
    cond: Cond,
    values: Mapping[str, Value],
    facts: Mapping[str, Status],
) -> Status:
    """Kleene (strong three-valued) status of a condition."""
    if isinstance(cond, CLeaf):
        return leaf_status(cond, values[cond.input])
    if isinstance(cond, CFact):
        return facts[cond.fact]
    if isinstance(cond, CConst):
        return cond.status
    if isinstance(cond, CNot):
        s = evaluate(cond.operand, values, facts)
        return "unmet" if s == "met" else "met" if s == "unmet" else "unknown"
    if isinstance(cond, CAnd):
        result: Status = "met"
        for op in cond.operands:
            s = evaluate(op, values, facts)
            if s == "unmet":
                return "unmet"
            if s == "unknown":
                result = "unknown"
        return result
    result = "unmet"
    for op in cond.operands:
        s = evaluate(op, values, facts)
        if s == "met":
            return "met"
        if s == "unknown":
            result = "unknown"
    return result


CondFn: TypeAlias = Callable[[Mapping[str, Value], Mapping[str, Status]], Status]
_NOT: dict[Status, Status] = {"met": "unmet", "unmet": "met", "unknown": "unknown"}


def _value_leaf(leaf: CLeaf) -> CondFn:
    key = leaf.input

    def status(values: Mapping[str, Value], facts: Mapping[str, Status]) -> Status:
        return leaf_status(leaf, values[key])
    return status


def compile_cond(cond: Cond, leaf: Callable[[CLeaf], Any] = _value_leaf) -> Any:
    r"""The same function as :func:`evaluate`, composed once into closures (no text is run).

    ``leaf`` compiles the comparisons; the default reads input :class:`Value`\ s, so the
    result is a :data:`CondFn`. Another leaf compiler may read something else (a list
    item): the closures then take whatever its leaves take, as two arguments.
    """
    if isinstance(cond, CLeaf):
        return leaf(cond)
    if isinstance(cond, CFact):
        name = cond.fact
        return lambda values, facts: facts[name]
    if isinstance(cond, CConst):
        status = cond.status
        return lambda values, facts: status
    if isinstance(cond, CNot):
        inner = compile_cond(cond.operand, leaf)
        return lambda values, facts: _NOT[inner(values, facts)]
    parts = tuple(compile_cond(op, leaf) for op in cond.operands)
    stop: Status = "unmet" if isinstance(cond, CAnd) else "met"
    default: Status = "met" if isinstance(cond, CAnd) else "unmet"

    def combine(values: Any, facts: Any) -> Status:
        result = default
        for part in parts:
            s = part(values, facts)
            if s == stop:
                return stop
            if s == "unknown":
                result = "unknown"
        return result
    return combine


def unknown_parts(cond: Cond, values: Mapping[str, Value], facts: Mapping[str, Status]
                  ) -> list[CLeaf | CFact]:
    """The leaves and facts that leave an unknown condition undecided.

    Only unknown branches are followed: in ``a or b`` with ``a`` met nothing is
    returned; in ``a and b`` with ``b`` unmet nothing either. These are exactly the
    parts whose value could still change the condition's status.
    """
    if evaluate(cond, values, facts) != "unknown":
        return []
    if isinstance(cond, CLeaf | CFact):
        return [cond]
    if isinstance(cond, CNot):
        return unknown_parts(cond.operand, values, facts)
    if isinstance(cond, CAnd | COr):
        return [part for op in cond.operands for part in unknown_parts(op, values, facts)]
    return []
