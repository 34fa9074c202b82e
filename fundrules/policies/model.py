"""The policy pack as a validated pydantic model, built from the located YAML tree.

Shape errors (unknown keys, wrong types, missing keys) are turned into diagnostics
that point at the YAML position, which pydantic alone cannot know. Conditions stay
text here; :mod:`fundrules.policies.resolve` parses and checks them.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from fundrules.diagnostics import Diagnostic
from fundrules.policies.loader import Mark, Node

__all__ = [
    "LANGUAGES",
    "AwardModel",
    "CallModel",
    "MeasureModel",
    "MonotonicModel",
    "NotEncodedModel",
    "PackModel",
    "RuleModel",
    "SourceModel",
    "TierModel",
    "WindowModel",
    "build_pack",
    "suggest",
]

Lang = Literal["fr", "en", "it", "es"]
LANGUAGES: tuple[str, ...] = ("fr", "en", "it", "es")
_ID = r"^[A-Za-z][A-Za-z0-9_.-]*$"
_NAME = r"^[a-z][a-z0-9_]*$"


def _as_tuple(value: object) -> object:
    """Let authors write one citation as a string and several as a list."""
    if isinstance(value, str):
        return (value,)
    return value


Refs = Annotated[tuple[Annotated[str, Field(pattern=_ID)], ...], BeforeValidator(_as_tuple)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Messages = dict[Lang, Text]
#: The source's own words, by the language they are written in (any ISO 639-1 code: a
#: source may be in a language the pack's messages are not, e.g. `ca` for Catalan).
Quote = dict[Annotated[str, Field(pattern=r"^[a-z]{2}$")], Text]
_QUOTE = Field(description=(
    "The source's own words for this criterion, in the source's language, as `{lang: text}` "
    "(an ISO 639-1 code, e.g. `{fr: \"au moins 12 jours\"}`); fragments of one source are "
    "joined by ` … `. Never a translation; absent when no wording is on record."))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class SourceModel(_Model):
    """A public source a rule can cite."""

    title: Text
    url: str | None = None
    note: Text | None = None


class WindowModel(_Model):
    """When a call accepts applications, in the fund's own time zone.

    ``opens`` is inclusive, ``closes`` exclusive; both are local date-times
    (``2020-04-22T18:00``) or dates (``2020-05-30`` = midnight), ``null`` = unbounded.
    """

    opens: str | None
    closes: str | None = None
    tz: str


#: an award amount: never negative, at most two decimals (cents are the smallest unit)
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), decimal_places=2)]


class TierModel(_Model):
    """One award tier; the first tier whose ``when`` is met gives the award."""

    id: Annotated[str, Field(pattern=_ID)] | None = None
    when: Text | None = None
    amount: Amount | None = None
    min: Amount | None = None
    max: Amount | None = None
    months: Annotated[int, Field(ge=1, le=120)] | None = None
    cite: Refs = ()
    settles: Refs = ()
    message: Messages | None = None
    quote: Annotated[Quote | None, _QUOTE] = None


class AwardModel(_Model):
    """What an eligible applicant receives: ``tiers``, or one tier's fields inline."""

    kind: Literal["fixed", "range", "monthly", "share"]
    tiers: tuple[TierModel, ...] | None = None
    amount: Amount | None = None
    min: Amount | None = None
    max: Amount | None = None
    months: Annotated[int, Field(ge=1, le=120)] | None = None
    cite: Refs = ()
    settles: Refs = ()
    message: Messages | None = None
    quote: Annotated[Quote | None, _QUOTE] = None


class RuleModel(_Model):
    """A criterion: when ``when`` holds, the fact ``then`` holds (met / unmet / unknown)."""

    id: Annotated[str, Field(pattern=_ID, max_length=64)]
    when: Text
    then: Annotated[str, Field(pattern=_NAME)] | None = None
    cite: Refs = ()
    settles: Refs = ()
    confidence: Literal["high", "medium", "low"] | None = None
    message: Messages
    calls: tuple[str, ...] | None = None
    enabled: bool | Annotated[str, Field(pattern=_NAME)] = True
    priority: bool = False
    description: Text | None = None
    quote: Annotated[Quote | None, _QUOTE] = None


class NotEncodedModel(_Model):
    """A criterion of the fund that the pack does not decide, and why."""

    id: Annotated[str, Field(pattern=_ID, max_length=64, description=(
        "The dossier's id of the criterion (or of the part of it), e.g. `FR-C6` or "
        "`UK-C2.festival-screenings`."))]
    reason: Annotated[Text, Field(description=(
        "Why the pack does not decide it, and what happens to applicants it concerns."))]
    confidence: Annotated[Literal["high", "medium", "low"], Field(description=(
        "The dossier's confidence in the criterion: `high`, `medium` or `low`."))]


class MeasureModel(_Model):
    """A number computed from one of the applicant's lists."""

    over: Literal["engagements", "benefits", "income", "prior_awards"]
    count: bool | None = None
    sum: Text | None = None
    where: Text | None = None
    within: str | tuple[str, str] | None = None
    #: what `within` measures on an engagement: the days worked inside the window
    #: (`work_dates`, or the calendar bounds of DESIGN 5), or whether its contract
    #: period overlaps the window by a day (the whole engagement then counts)
    reads: Annotated[Literal["worked_days", "contract_overlap"], Field(description=(
        "What `within` reads on an engagement: `worked_days` (default: the days worked inside "
        "the window, exact with `work_dates`) or `contract_overlap` (the engagement counts, "
        "whole, when its contract period `[start, end]` overlaps the window by a day)."))
    ] = "worked_days"
    description: Text | None = None


class MonotonicModel(_Model):
    """A declared monotonicity: a change that can only help, and the harm it never does.

    Exactly one of ``more`` / ``less`` names what changes: a measure, or an input such
    as ``income(income_year, gross)`` (the compiler resolves it per call). Declarations
    are checked by the property tests, never by the engine.
    """

    model_config = ConfigDict(json_schema_extra={"anyOf": [  # exactly one, for editors
        {"required": ["more"], "properties": {"less": {"type": "null"}}},
        {"required": ["less"], "properties": {"more": {"type": "null"}}}]})

    more: Text | None = None
    less: Text | None = None
    never: Literal["lose_eligibility", "lower_award"]
    says: Messages | None = None


class CallModel(_Model):
    """A call (round) of the fund, with its window and parameter overrides."""

    id: Annotated[str, Field(pattern=_ID, max_length=64)]
    title: Messages | None = None
    window: WindowModel
    parameters: dict[str, Any] = Field(default_factory=dict)
    eligible: Text | None = None
    award: AwardModel | None = None
    budget: Amount | None = None
    funder: str | None = None
    cite: Refs = ()
    settles: Refs = ()
    description: Text | None = None


class PackModel(_Model):
    """A whole policy pack (see docs/pack-format.md)."""

    pack: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    title: Messages
    description: Text | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    administrator: Text
    funder: str | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    budget: Amount | None = None
    max_awards: Annotated[int, Field(ge=1)] | None = None
    languages: Annotated[tuple[Lang, ...], Field(min_length=1)]
    allocation: Literal["first_come_first_served", "budget_share", "needs_assessed"]
    sources: dict[Annotated[str, Field(pattern=_ID)], SourceModel]
    ambiguities: dict[Annotated[str, Field(pattern=_ID)], Text] = Field(default_factory=dict)
    parameters: dict[Annotated[str, Field(pattern=_NAME)], Any] = Field(default_factory=dict)
    calls: Annotated[tuple[CallModel, ...], Field(min_length=1)]
    measures: dict[Annotated[str, Field(pattern=_NAME)], MeasureModel] = Field(
        default_factory=dict
    )
    rules: Annotated[tuple[RuleModel, ...], Field(max_length=500)] = ()
    exclusions: Annotated[tuple[RuleModel, ...], Field(max_length=100)] = ()
    eligible: Text
    award: AwardModel | None = None
    monotonic: Annotated[tuple[MonotonicModel, ...], Field(max_length=100)] = ()
    not_encoded: Annotated[tuple[NotEncodedModel, ...], Field(max_length=500, description=(
        "Every criterion of the fund that the pack does not decide: its id, the reason and "
        "the dossier's confidence, so that each criterion is accounted for."))] = ()


def suggest(name: str, candidates: object) -> str | None:
    """``did you mean `x`?`` text for the closest candidate, if any is close."""
    names = [str(c) for c in candidates] if candidates else []  # type: ignore[attr-defined]
    prefixed = [n for n in names if n.startswith(name) and len(name) >= 3]
    close = prefixed[:1] if len(prefixed) == 1 else difflib.get_close_matches(
        name, names, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def _descend(root: Node, loc: tuple[int | str, ...]) -> tuple[Node, str | int | None]:
    """The deepest node on ``loc`` and the first step that could not be followed."""
    node = root
    for step in loc:
        child: Node | None = None
        if isinstance(step, str) and node.is_mapping():
            child = node.get(step)
        elif isinstance(step, int) and node.is_sequence():
            items = node.value
            assert isinstance(items, list)
            child = items[step] if 0 <= step < len(items) else None
        if child is None:
            return node, step
        node = child
    return node, None


_ALLOWED_KEYS: dict[str, type[BaseModel]] = {}


def _allowed_keys(root_model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model that sits at ``loc`` (for "did you mean")."""
    model: Any = root_model
    for step in loc:
        if isinstance(step, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(step)
        if field is None:
            return []
        model = _inner_model(field.annotation)
    return list(getattr(model, "model_fields", {}).keys())


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


_WANTED = {  # pydantic error type -> what the author should have written
    "string_type": "text", "tuple_type": "a list", "list_type": "a list",
    "dict_type": "a mapping (`key: value` lines)", "model_type": "a mapping (`key: value` lines)",
    "model_attributes_type": "a mapping (`key: value` lines)", "bool_type": "`true` or `false`",
    "bool_parsing": "`true` or `false`", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number",
    "decimal_type": "a number", "decimal_parsing": "a number", "float_type": "a number",
}
_PATTERNS = {  # a model's regex -> the same rule in words, with an example
    _ID: ("an id: a letter, then letters, digits, `_`, `.` or `-`", "e.g. `FR-C3`"),
    _NAME: ("a name: a lowercase letter, then lowercase letters, digits or `_`",
            "e.g. `minimum_activity`"),
    r"^[a-z0-9]+(-[a-z0-9]+)*$": ("a pack id: lowercase words joined by `-`",
                                  "e.g. `fr-netflix-audiens`"),
    r"^[A-Z]{2}$": ("an ISO 3166-1 alpha-2 country code", "e.g. `FR`"),
    r"^[A-Z]{3}$": ("an ISO 4217 currency code", "e.g. `EUR`"),
}


_UNIONS = {  # fields that accept two forms: one message for both of pydantic's complaints
    "within": ("the name of a window parameter or a list of two dates",
               "write e.g. `within: activity_window` or `within: [2019-09-01, 2020-02-29]`; "
               "put a bound that contains a comma in quotes"),
    "enabled": ("`true`, `false` or the name of a `true`/`false` parameter",
                "write e.g. `enabled: exclude_netflix_workers`"),
}


def _shown(node: Node) -> str:
    """How a wrong value is named in a message: its text, or what kind of thing it is."""
    if node.is_mapping():
        return "a mapping"
    if isinstance(node.value, list):
        return f"a list of {len(node.value)} item" + ("s" if len(node.value) != 1 else "")
    return "nothing" if node.value is None else f"`{node.value}`"


def diagnostic(err: Any, root: Node, file: str) -> Diagnostic:
    loc = tuple(s for s in err["loc"] if not (isinstance(s, str) and s.startswith("function-")))
    kind, ctx = err["type"], err.get("ctx") or {}
    for i, step in enumerate(loc):  # a union member's tag (`str`, `tuple[str, str]`, ...)
        if isinstance(step, str) and not _descend(root, loc[:i])[0].is_mapping():
            loc, kind = loc[:i], "union"
            break
    on_key = bool(loc) and loc[-1] == "[key]"  # a mapping's key (e.g. a parameter name)
    if on_key:
        loc = loc[:-1]
    node, stuck = _descend(root, loc)
    parent, _ = _descend(root, loc[:-1])
    name = _path(loc) or "pack"
    where = f"`{_path(loc[:-1])}`" if loc[:-1] else "the pack"

    def diag(code: str, message: str, hint: str | None, at: Mark) -> Diagnostic:
        return Diagnostic(code, message, hint=hint, file=file, line=at.line, column=at.column,
                          path=name)

    if kind == "extra_forbidden":
        key = str(loc[-1])
        return diag("unknown-key", f"unknown key `{key}` in {where}",
                    suggest(key, _allowed_keys(PackModel, loc[:-1])) or "remove it (see "
                    "docs/pack-format.md for the keys allowed here)",
                    parent.key_marks.get(key, parent.mark))
    if kind == "missing":
        return diag("missing-key", f"{where} is missing the required key `{loc[-1]}`",
                    f"add `{loc[-1]}:` to {where} (see docs/pack-format.md)", node.mark)
    mark = parent.key_marks.get(str(loc[-1]), node.mark) if on_key else node.mark
    got = f"`{loc[-1]}`" if on_key else _shown(node) if stuck is None else "this value"
    if kind == "union" and str(loc[-1]) in _UNIONS:
        wanted, hint = _UNIONS[str(loc[-1])]
        return diag("wrong-type", f"`{name}` must be {wanted}, not {got}", hint, mark)
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERNS:
        rule, example = _PATTERNS[ctx["pattern"]]
        return diag("invalid-value", f"`{name}`: {got} is not {rule}", f"write {example}", mark)
    if kind in _WANTED:
        return diag("wrong-type", f"`{name}` must be {_WANTED[kind]}, not {got}",
                    "see docs/pack-format.md for the expected form", mark)
    if kind == "literal_error":
        values = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        text = got.strip("`")
        return diag("invalid-value", f"`{name}`: {got} is not one of "
                    + ", ".join(f"`{v}`" for v in values),
                    suggest(text, values) or "use one of " + ", ".join(values), mark)
    message = str(err["msg"]).replace(" after validation", "")
    return diag("invalid-value", f"`{name}`: {message[0].lower() + message[1:]}; got {got}",
                "see docs/pack-format.md for the expected form", mark)


def build_pack(root: Node, file: str) -> tuple[PackModel | None, list[Diagnostic]]:
    """Validate the shape of a pack; every problem is reported at its YAML position."""
    if not root.is_mapping():
        return None, [
            Diagnostic(
                "wrong-type",
                "a pack must be a mapping with keys such as `pack:` and `rules:`",
                hint="start the file with `pack: <id>` (see docs/pack-format.md)",
                file=file,
                line=root.mark.line,
                column=root.mark.column,
            )
        ]
    try:
        return PackModel.model_validate(root.to_plain()), []
    except ValidationError as exc:
        found = [diagnostic(e, root, file) for e in exc.errors()]
        return None, list(dict.fromkeys(found))  # a union's members say the same thing once
