"""Pack parameters: typed values that calls may override and messages may quote.

A parameter is written as plain YAML and typed by its form: ``12`` (number),
``15000 EUR`` (money), ``2020-01-01`` (date), ``[2019-09-01, 2020-02-29]`` (an
inclusive day window), ``true`` (switch), anything else text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = ["Param", "interpolate", "parse_param"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY = re.compile(r"^(-?\d[\d_]*(?:\.\d+)?)\s+([A-Z]{3})$")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")

ParamKind = Literal["number", "money", "date", "window", "bool", "text", "list"]


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """A typed parameter value."""

    kind: ParamKind
    number: Decimal | None = None
    currency: str | None = None
    date: dt.date | None = None
    window: tuple[dt.date, dt.date] | None = None
    flag: bool | None = None
    text: str | None = None
    items: tuple[str, ...] = ()

    def render(self) -> str:
        """How a message shows the value (``15000 EUR``, ``2019-09-01 – 2020-02-29``)."""
        if self.kind == "number":
            return _fmt(self.number)
        if self.kind == "money":
            return f"{_fmt(self.number)} {self.currency}"
        if self.kind == "date":
            return str(self.date)
        if self.kind == "window":
            assert self.window is not None
            return f"{self.window[0]} – {self.window[1]}"
        if self.kind == "bool":
            return "true" if self.flag else "false"
        if self.kind == "list":
            return ", ".join(self.items)
        return self.text or ""


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", " ") if abs(value) >= 10000 else str(int(value))
    return f"{value:f}"


def _date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_param(raw: object) -> Param | str:
    """The typed value, or an error message saying what forms are accepted."""
    if isinstance(raw, bool):
        return Param("bool", flag=raw)
    if isinstance(raw, int):
        return Param("number", number=Decimal(raw))
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return "a parameter must be a finite number"
        return Param("number", number=Decimal(str(raw)))
    if isinstance(raw, str):
        if _DATE.match(raw):
            day = _date(raw)
            return Param("date", date=day) if day else f"`{raw}` is not a real calendar date"
        money = _MONEY.match(raw)
        if money:
            try:
                amount = Decimal(money.group(1).replace("_", ""))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return f"`{raw}` is not an amount"
            return Param("money", number=amount, currency=money.group(2))
        return Param("text", text=raw)
    if isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
        days = [_date(x) for x in raw if isinstance(x, str)]
        if len(raw) == 2 and days[0] is not None and days[1] is not None:
            return Param("window", window=(days[0], days[1]))
        if any(_DATE.match(str(x)) for x in raw):
            return "a window is a list of two dates, e.g. `[2019-09-01, 2020-02-29]`"
        return Param("list", items=tuple(str(x) for x in raw))
    return (
        "a parameter is a number, an amount (`15000 EUR`), a date, a window of two dates, "
        "a list of values, `true`/`false` or text"
    )


def interpolate(text: str, params: dict[str, Param]) -> str:
    """Replace ``{name}`` with the parameter's rendering; unknown names stay as written."""

    def repl(match: re.Match[str]) -> str:
        param = params.get(match.group(1))
        return param.render() if param is not None else match.group(0)

    return _PLACEHOLDER.sub(repl, text)
