"""The policy pack as a validated pydantic model, built from the located YAML tree.

Shape errors (unknown keys, wrong types, missing keys) are turned into diagnostics
that point at the YAML position, which pydantic alone cannot know. Conditions stay
text here; :mod:`fundrules.policies.resolve` parses and checks them.
"""

from __future__ import annotations

import difflib
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


class TierModel(_Model):
    """One award tier; the first tier whose ``when`` is met gives the award."""

    id: Annotated[str, Field(pattern=_ID)] | None = None
    when: Text | None = None
    amount: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    months: Annotated[int, Field(ge=1, le=120)] | None = None
    cite: Refs = ()
    settles: Refs = ()
    message: Messages | None = None


class AwardModel(_Model):
    """What an eligible applicant receives: ``tiers``, or one tier's fields inline."""

    kind: Literal["fixed", "range", "monthly", "share"]
    tiers: tuple[TierModel, ...] | None = None
    amount: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    months: Annotated[int, Field(ge=1, le=120)] | None = None
    cite: Refs = ()
    settles: Refs = ()
    message: Messages | None = None


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
    description: Text | None = None


class MeasureModel(_Model):
    """A number computed from one of the applicant's lists."""

    over: Literal["engagements", "benefits", "income", "prior_awards"]
    count: bool | None = None
    sum: Text | None = None
    where: Text | None = None
    within: str | tuple[str, str] | None = None
    description: Text | None = None


class CallModel(_Model):
    """A call (round) of the fund, with its window and parameter overrides."""

    id: Annotated[str, Field(pattern=_ID, max_length=64)]
    title: Messages | None = None
    window: WindowModel
    parameters: dict[str, Any] = Field(default_factory=dict)
    eligible: Text | None = None
    award: AwardModel | None = None
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
    budget: Decimal | None = None
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
    rules: tuple[RuleModel, ...] = ()
    exclusions: tuple[RuleModel, ...] = ()
    eligible: Text
    award: AwardModel | None = None


def suggest(name: str, candidates: object) -> str | None:
    """``did you mean `x`?`` text for the closest candidate, if any is close."""
    names = [str(c) for c in candidates] if candidates else []  # type: ignore[attr-defined]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
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


def _diagnostic(err: Any, root: Node, file: str) -> Diagnostic:
    loc = tuple(s for s in err["loc"] if not (isinstance(s, str) and s.startswith("function-")))
    node, stuck = _descend(root, loc)
    mark: Mark = node.mark
    kind = err["type"]
    name = _path(loc) or "pack"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        mark = node.mark
        parent, _ = _descend(root, loc[:-1])
        mark = parent.key_marks.get(key, parent.mark)
        hint = suggest(key, _allowed_keys(PackModel, loc[:-1])) or "remove it"
        return Diagnostic(
            "unknown-key",
            f"`{name}`: unknown key `{key}`",
            hint=hint,
            file=file,
            line=mark.line,
            column=mark.column,
            path=name,
        )
    if kind == "missing":
        return Diagnostic(
            "missing-key",
            f"`{_path(loc[:-1]) or 'pack'}`: missing required key `{loc[-1]}`",
            hint=f"add `{loc[-1]}:` here (see docs/pack-format.md)",
            file=file,
            line=mark.line,
            column=mark.column,
            path=name,
        )
    code = "wrong-type" if kind.endswith("_type") or kind in ("model_type", "dict_type") else "invalid-value"
    if kind.startswith("literal_error"):
        code = "invalid-value"
    got = node.value if node.is_scalar() and stuck is None else None
    shown = f"; got `{got}`" if got is not None else ""
    return Diagnostic(
        code,
        f"`{name}`: {err['msg'][0].lower() + err['msg'][1:]}{shown}",
        hint="see docs/pack-format.md for the expected form",
        file=file,
        line=mark.line,
        column=mark.column,
        path=name,
    )


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
        return None, [_diagnostic(e, root, file) for e in exc.errors()]
