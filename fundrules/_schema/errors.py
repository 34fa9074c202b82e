"""Pydantic's validation errors of an applicant turned into located diagnostics.

Each error becomes one ``applicant-invalid`` diagnostic with its field path
(``engagements[0].start``), a message in the house style and a hint; a validator of
:mod:`fundrules._schema.types` may report several problems in one error.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import get_args, get_origin

from pydantic import BaseModel, ValidationError

from fundrules._schema.applicant import (
    Applicant,
    Benefit,
    Engagement,
    Income,
    Money,
    Needs,
    PriorAward,
    Stop,
)
from fundrules._schema.types import ERROR_TYPE, Loc, printable, show
from fundrules.diagnostics import Diagnostic

__all__ = ["diagnostics_of"]

_NOUNS: dict[type[BaseModel], str] = {
    Applicant: "the applicant",
    Engagement: "an engagement",
    Stop: "a stop",
    Income: "an income",
    Benefit: "a benefit",
    PriorAward: "a prior award",
    Needs: "needs",
    Money: "an amount",
}


def _model_in(annotation: object) -> type[BaseModel] | None:
    if get_origin(annotation) is None and isinstance(annotation, type):
        return annotation if issubclass(annotation, BaseModel) else None
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """Find the model that validates the mapping at ``loc`` of an applicant."""
    model: type[BaseModel] | None = Applicant
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        model = _model_in(field.annotation) if field is not None else None
    return model


def _path(loc: Loc) -> str:
    """``('engagements', 0, 'start')`` -> ``engagements[0].start``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = printable(part, 60)
            text += f".{name}" if text else name
    return text


def _describe(error: Mapping[str, object], loc: Loc) -> tuple[str, str]:
    """Message (without the path) and hint for one pydantic error."""
    kind = str(error["type"])
    ctx = error.get("ctx")
    ctx = ctx if isinstance(ctx, Mapping) else {}
    shown = show(error.get("input"))
    field = str(loc[-1]) if loc else "the field"
    if kind == ERROR_TYPE:
        return str(ctx.get("message")), str(ctx.get("hint"))
    if kind == "missing":
        return "is required but missing", f"add `{field}`"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        if model is None:
            return "is not a known field", "remove it"
        names = sorted(model.model_fields)
        close = difflib.get_close_matches(field[:60], names, n=1)
        if close:
            hint = f"did you mean `{close[0]}`?"
        else:
            hint = "remove it; the fields are " + ", ".join(names)
        return f"is not a field of {_NOUNS.get(model, 'this mapping')}", hint
    if kind == "invalid_key":
        return f"field names must be text, not {shown}", "write field names as text"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if _model_at(loc) is Money:
            return (
                f"expects an amount, not {shown}",
                'write {"value": "12000.00", "currency": "EUR"}',
            )
        return f"expects a mapping of fields, not {shown}", 'write a JSON object: {"key": value}'
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return (
            f"expects a whole number, not {shown}",
            "write a whole number without quotes, e.g. 12",
        )
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more, not {shown}", "correct the number"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, not {shown}", "correct the number"
    if kind in {"bool_type", "bool_parsing"}:
        return f"expects true or false, not {shown}", (
            "write true or false without quotes; leave the field out when unknown"
        )
    if kind == "literal_error":
        expected = str(ctx.get("expected")).replace("'", '"')
        return f"{shown} is not one of {expected}", "use one of these values exactly"
    if kind == "string_type":
        return f"expects text, not {shown}", "write the value in quotes"
    if kind == "string_too_short":
        return "must not be empty", "give a value"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters", "shorten it"
    message = str(error.get("msg", "is invalid"))
    return message[:1].lower() + message[1:], "see `fundrules schema` for the applicant schema"


def _diagnostic(loc: Loc, message: str, hint: str, file: str | None) -> Diagnostic:
    path = _path(loc)
    where = f"`{path}`" if path else "the applicant"
    return Diagnostic(
        code="applicant-invalid",
        message=f"{where}: {message}",
        hint=hint,
        file=file,
        path=path or None,
    )


def diagnostics_of(exc: ValidationError, file: str | None) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(error["loc"])
        if error["type"] == "invalid_key":  # the last part is the offending key, not a field
            loc = loc[:-1]
        ctx = error.get("ctx") or {}
        problems = ctx.get("problems") if error["type"] == ERROR_TYPE else None
        if problems:
            found.extend(_diagnostic(loc + sub, text, hint, file) for sub, text, hint in problems)
        else:
            found.append(_diagnostic(loc, *_describe(error, loc), file))
    return found
