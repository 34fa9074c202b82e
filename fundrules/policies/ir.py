"""The engine-neutral compiled form of a pack: plain, immutable, typed data.

A compiled call holds the *inputs* to compute from an applicant (one class per kind
of input), the *measures* over the applicant's lists, and *rules* whose conditions are
Kleene trees over comparisons (one input against one constant) and the statuses of
other rules. Every rule is identified by its id: a condition that reads a fact points
at the rule that concludes it, so nothing is looked up by a prefixed string.

Nothing here evaluates anything: the semantics (what a comparison or an ``and`` means
over three values) is written once, in :mod:`fundrules.runtime.semantics`, and both
backends, explanations and the verifier derive from it.

Constants are normalised so every engine compares them the same way: dates are ordinal
integers, instants epoch seconds, money integer minor units (cents) in the pack's
currency, booleans and enumerations strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar, Literal, TypeAlias

__all__ = [
    "FALSE",
    "TRUE",
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
    "Const",
    "ContainsInput",
    "DateBound",
    "FieldInput",
    "IncomeInput",
    "Input",
    "InputType",
    "ItemAdd",
    "ItemConst",
    "ItemExpr",
    "ItemField",
    "ItemGreatest",
    "ItemLeast",
    "LeafInput",
    "MeasureInput",
    "MeasureSpec",
    "Op",
    "PluginInput",
    "RuleKind",
    "SourceSpot",
    "Status",
    "SubmittedDay",
    "SubmittedInstant",
    "WindowSpec",
]

Status = Literal["met", "unmet", "unknown"]
Op = Literal["lt", "le", "gt", "ge", "eq", "ne", "in", "nin"]
Const: TypeAlias = "int | float | str | tuple[str, ...]"
InputType = Literal["number", "money", "date", "symbol", "instant"]

TRUE = "true"
FALSE = "false"


# --- inputs: what a comparison reads -------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class FieldInput:
    """A scalar applicant field (dotted for nested models, e.g. ``needs.savings``)."""

    field: str
    type: InputType

    @property
    def key(self) -> str:
        """The input as the pack writes it."""
        return self.field


@dataclasses.dataclass(frozen=True, slots=True)
class SubmittedDay:
    """``submitted_date``: the calendar day of the application in the call's time zone."""

    type: ClassVar[InputType] = "date"
    key: ClassVar[str] = "submitted_date"


@dataclasses.dataclass(frozen=True, slots=True)
class SubmittedInstant:
    """The instant of the application (epoch seconds), read by the call's window."""

    type: ClassVar[InputType] = "instant"
    key: ClassVar[str] = "submitted_at"


@dataclasses.dataclass(frozen=True, slots=True)
class ContainsInput:
    """Whether a list field (e.g. ``nationalities``) holds one value."""

    field: str
    item: str
    type: ClassVar[InputType] = "symbol"

    @property
    def key(self) -> str:
        """The input as the pack writes it."""
        return f"{self.item} in {self.field}"


@dataclasses.dataclass(frozen=True, slots=True)
class MeasureInput:
    """A measure of the pack (a count or sum over a list)."""

    measure: str
    type: InputType

    @property
    def key(self) -> str:
        """The input as the pack writes it."""
        return self.measure


@dataclasses.dataclass(frozen=True, slots=True)
class IncomeInput:
    """``income(period, basis)``: the applicant's total income of that period and basis."""

    period: str
    basis: str
    type: ClassVar[InputType] = "money"

    @property
    def key(self) -> str:
        """The input as the pack writes it."""
        return f"income({self.period}, {self.basis})"


@dataclasses.dataclass(frozen=True, slots=True)
class PluginInput:
    """A predicate registered by an installed package (True, False or unknown)."""

    name: str
    type: ClassVar[InputType] = "symbol"

    @property
    def key(self) -> str:
        """The input as the pack writes it."""
        return f"{self.name}()"


@dataclasses.dataclass(frozen=True, slots=True)
class ItemField:
    """A field of one list item, read inside a measure's ``where`` (or summed)."""

    field: str
    type: InputType = "number"

    @property
    def key(self) -> str:
        """The input as the pack writes it."""
        return self.field


Input: TypeAlias = ("FieldInput | SubmittedDay | SubmittedInstant | ContainsInput | "
                    "MeasureInput | IncomeInput | PluginInput")
LeafInput: TypeAlias = "Input | ItemField"


# --- conditions ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class CLeaf:
    """``input op value``: the only comparison engines evaluate."""

    input: LeafInput
    op: Op
    value: Const
    numeric: bool


@dataclasses.dataclass(frozen=True, slots=True)
class CFact:
    """The status of a fact, concluded by the rule ``rule`` (filled in by the compiler)."""

    fact: str
    rule: str = ""


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


# --- measures -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class ItemConst:
    value: int | float


@dataclasses.dataclass(frozen=True, slots=True)
class ItemGreatest:
    """The greatest of the figures an item reports (absent ones are skipped, A6)."""

    args: tuple[ItemExpr, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ItemLeast:
    """The least of the figures an item reports (absent ones are skipped)."""

    args: tuple[ItemExpr, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ItemAdd:
    args: tuple[ItemExpr, ...]


ItemExpr: TypeAlias = "ItemField | ItemConst | ItemGreatest | ItemLeast | ItemAdd"


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
    #: what the window reads of an engagement: days worked inside it, or whether its
    #: contract period overlaps it (then the whole engagement counts)
    reads: Literal["worked_days", "contract_overlap"] = "worked_days"


# --- rules, awards, calls -----------------------------------------------------------

RuleKind = Literal["window", "rule", "priority", "exclusion", "eligible", "tier"]


@dataclasses.dataclass(frozen=True, slots=True)
class SourceSpot:
    """Where a rule is written, to locate problems found after compilation."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule: its condition's status is the status of the rule (and of its fact).

    ``fact`` is the name authors give the conclusion (``then:``), None for windows,
    exclusions, tiers and eligibility; conditions read a rule through :class:`CFact`.
    ``deps`` are the ids of the rules it reads; ``stratum`` is 0 for a rule that reads
    none, else one more than the deepest rule it reads. For an exclusion the condition
    says whether the exclusion *applies*; its reason reports the criterion "not excluded"
    (see :mod:`fundrules.runtime.decide`).
    """

    id: str
    kind: RuleKind
    fact: str | None
    cond: Cond
    deps: tuple[str, ...]
    message: Mapping[str, str]
    cite: tuple[str, ...] = ()
    settles: tuple[str, ...] = ()
    confidence: str | None = None
    stratum: int = 0
    spot: SourceSpot | None = None


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


@dataclasses.dataclass(frozen=True)
class CompiledPack:
    """Everything an engine needs to decide one call of one pack."""

    pack: str
    version: str
    digest: str
    call: str
    currency: str
    languages: tuple[str, ...]
    window: WindowSpec
    inputs: tuple[Input, ...]
    measures: tuple[MeasureSpec, ...]
    rules: tuple[CompiledRule, ...]  # by stratum, then as written: every rule after its deps
    award: AwardSpec | None
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    written: tuple[str, ...] = ()  # rule ids in the order the pack writes them (for reasons)
    monotonic: tuple[tuple[str, Input, str], ...] = ()  # declared (more|less, input, never)
    by_id: Mapping[str, CompiledRule] = dataclasses.field(init=False, repr=False,
                                                          compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {r.id: r for r in self.rules})

    def rule(self, rule_id: str) -> CompiledRule:
        """The rule with that id (KeyError if none)."""
        return self.by_id[rule_id]
