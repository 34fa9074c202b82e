"""The vocabulary of conditions: which applicant fields a pack may read, and their kinds.

Derived from the applicant schema itself (``fundrules.schema``), so the two can never
drift apart: a new enumeration value in the schema is at once a valid constant in packs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from fundrules.schema import Applicant, Benefit, Engagement, Income, Money, PriorAward

__all__ = ["APPLICANT_FIELDS", "ITEM_FIELDS", "FieldInfo", "Kind"]

Kind = Literal["number", "money", "date", "instant", "symbol", "bool", "text", "list"]


@dataclasses.dataclass(frozen=True, slots=True)
class FieldInfo:
    """One readable field: its dotted name, kind and (for enumerations) allowed values."""

    name: str
    kind: Kind
    values: tuple[str, ...] = ()
    item_kind: Kind | None = None  # for lists of scalars (e.g. nationalities)


def _strip(annotation: Any) -> Any:
    """Remove Optional[...] and Annotated[...] wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]] | None:
    ann = _strip(annotation)
    if typing.get_origin(ann) is Literal:
        return "symbol", tuple(str(v) for v in typing.get_args(ann))
    if ann is bool:
        return "bool", ("true", "false")
    if ann is int or ann is Decimal:
        return "number", ()
    if ann is dt.datetime:
        return "instant", ()
    if ann is dt.date:
        return "date", ()
    if ann is str:
        return "text", ()
    if isinstance(ann, type) and issubclass(ann, Money):
        return "money", ()
    return None


def _fields(model: type[BaseModel], prefix: str = "") -> dict[str, FieldInfo]:
    out: dict[str, FieldInfo] = {}
    for name, field in model.model_fields.items():
        dotted = prefix + name
        ann = _strip(field.annotation)
        described = _kind(ann)
        if described is not None:
            out[dotted] = FieldInfo(dotted, described[0], described[1])
            continue
        if typing.get_origin(ann) is tuple:
            inner = _kind(typing.get_args(ann)[0])
            if inner is not None:
                out[dotted] = FieldInfo(dotted, "list", inner[1], item_kind=inner[0])
            continue
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(_fields(ann, dotted + "."))
    return out


#: Scalar and scalar-list fields of the applicant (lists of records are read by measures).
APPLICANT_FIELDS: dict[str, FieldInfo] = {
    name: info for name, info in _fields(Applicant).items() if not name.startswith("needs.")
}
APPLICANT_FIELDS["submitted_date"] = FieldInfo("submitted_date", "date")

#: Fields of one item of each list a measure can run over.
ITEM_FIELDS: dict[str, dict[str, FieldInfo]] = {
    "engagements": _fields(Engagement),
    "benefits": _fields(Benefit),
    "income": _fields(Income),
    "prior_awards": _fields(PriorAward),
}
