"""The validated scalar types of the applicant schema: dates, amounts, codes, bounded lists.

Kept apart from the models so each validator reads on its own. Every problem is raised
with :func:`reject`, which carries the hint that :func:`fundrules.schema.parse_applicant`
reports; :func:`show` renders an input value for such a message without ever raising.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Annotated, TypeVar

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from fundrules._schema.codes import COUNTRY_CODES, CURRENCY_CODES, country_hint, currency_hint

__all__ = [
    "DECIMAL_CONTEXT",
    "ERROR_TYPE",
    "MAX_ID",
    "MAX_KEYS",
    "MAX_TOTAL_WORK_DATES",
    "Amount",
    "Count",
    "Country",
    "Currency",
    "Date",
    "DateTime",
    "Loc",
    "Name",
    "Nationalities",
    "Records",
    "Text",
    "WorkDates",
    "fail_many",
    "printable",
    "reject",
    "show",
    "to_period",
    "total_work_dates",
]

# --- limits: generous for a real applicant, small enough to reject abuse quickly -----------

_MAX_TEXT = 500
MAX_ID = 200
_MAX_INT = 100_000
MAX_KEYS = 100  # keys of one mapping: every model has fewer than 20 fields
_MAX_RECORDS = 1000  # engagements, income, benefits, prior awards
_MAX_WORK_DATES = 3660  # ten years of days
#: work dates of all engagements together: the cost of deciding grows with them, and no
#: fund reads more than a few years of days (docs/limits.md;
#: tests/unit/schema/test_applicant_limits.py)
MAX_TOTAL_WORK_DATES = 20_000
_MAX_NATIONALITIES = 20
_MAX_MONEY = Decimal(10) ** 12
_CENT = Decimal("0.01")
_ONE = Decimal(1)
DECIMAL_CONTEXT = Context(prec=40)  # explicit, so a caller's decimal context cannot interfere

ERROR_TYPE = "applicant_invalid"
Loc = tuple[str | int, ...]


def reject(message: str, hint: str) -> PydanticCustomError:
    """Build a validation error that carries its hint (read back by :func:`parse_applicant`)."""
    return PydanticCustomError(ERROR_TYPE, "{message}", {"message": message, "hint": hint})


def fail_many(problems: list[tuple[Loc, str, str]]) -> PydanticCustomError:
    """One error for several problems, each at its own path below the validated field."""
    message = "; ".join(text for _, text, _ in problems)
    return PydanticCustomError(
        ERROR_TYPE,
        "{message}",
        {"message": message, "hint": problems[0][2], "problems": tuple(problems)},
    )


def printable(text: str, limit: int) -> str:
    """``text`` shortened, with control characters and lone surrogates escaped."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def show(value: object) -> str:
    """Render an input value for a message: short, and never raises (huge ints, NaN)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else "a very large number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return f'"{printable(value, 40)}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value) if len(value.as_tuple().digits) <= 30 else "a very long number"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


# --- scalar types ---------------------------------------------------------------------------

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
_AMOUNT_RE = re.compile(r"[+-]?[0-9]{1,40}(\.[0-9]{1,40})?")
_DATE_HINT = 'write an ISO 8601 date in quotes, e.g. "2020-03-16"'
_DATETIME_HINT = (
    "write an ISO 8601 date and time with its UTC offset, e.g. 2020-04-20T10:00:00+02:00"
)
_NAIVE_HINT = "add a UTC offset, e.g. 2020-04-20T10:00:00+02:00"
_AMOUNT_HINT = 'use a string such as "12000.00": floats lose cents'


#: Dates outside these years are refused: no relief fund decides them, and date arithmetic
#: near year 1 or 9999 (windows, time zones) would overflow.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_RANGE_HINT = "use a real date between 1900 and 2199"


def _in_range(day: dt.date, value: object) -> None:
    """Refuse a day outside the accepted years (``value`` is shown only then)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise reject(f"{show(value)} is outside the years {FIRST_DAY.year}-{LAST_DAY.year}",
                    _RANGE_HINT)


#: ISO dates already read (applicants repeat the same days): at most _MAX_DAYS_KEPT
_DAYS: dict[str, dt.date] = {}
_MAX_DAYS_KEPT = 8192


def _to_date(value: object) -> dt.date:
    """Accept ISO text or a date; no timestamps, no datetimes (their time would be lost)."""
    if type(value) is str:
        day = _DAYS.get(value)
        if day is not None:  # read and accepted before: the same text is the same day
            return day
    if isinstance(value, dt.datetime):
        raise reject(f"expects a date, not the date and time {show(value)}", _DATE_HINT)
    if isinstance(value, dt.date):
        _in_range(value, value)
        return value
    if not isinstance(value, str):
        raise reject(f"expects a date in the form YYYY-MM-DD, not {show(value)}", _DATE_HINT)
    if not _DATE_RE.fullmatch(value):
        raise reject(f"{show(value)} is not a date in the form YYYY-MM-DD", _DATE_HINT)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise reject(f"{show(value)} is not a day of the calendar", _DATE_HINT) from None
    _in_range(day, value)
    if type(value) is str and len(_DAYS) < _MAX_DAYS_KEPT:
        _DAYS[value] = day
    return day


def _to_datetime(value: object) -> dt.datetime:
    """Accept ISO text or a datetime with a UTC offset: a naive time is ambiguous."""
    if isinstance(value, str):
        if not _DATETIME_RE.fullmatch(value):
            raise reject(f"{show(value)} is not an ISO 8601 date and time", _DATETIME_HINT)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise reject(f"{show(value)} is not a valid date and time", _DATETIME_HINT) from None
    if not isinstance(value, dt.datetime):
        raise reject(
            f"expects a date and time with a UTC offset, not {show(value)}", _DATETIME_HINT
        )
    if value.utcoffset() is None:
        raise reject(f"{show(value)} has no UTC offset", _NAIVE_HINT)
    # compare the local date, and the date anywhere on earth, with the accepted years
    _in_range(value.date(), value)
    _in_range((value.replace(tzinfo=None) - value.utcoffset()).date(), value)  # type: ignore[operator]
    return value


def _to_amount(value: object) -> Decimal:
    """Read an exact amount in cents from str, int or Decimal; refuse floats and bools."""
    if isinstance(value, bool):
        raise reject(f"expects an amount, not {show(value)}", 'use a string such as "12000.00"')
    if isinstance(value, float):
        raise reject(f"expects an exact amount, not the float {show(value)}", _AMOUNT_HINT)
    if isinstance(value, int):
        if abs(value) >= _MAX_MONEY:
            raise reject(f"{show(value)} is too large", "amounts must be below 1,000,000,000,000")
        number = Decimal(value)
    elif isinstance(value, str):
        if not _AMOUNT_RE.fullmatch(value):
            raise reject(
                f"{show(value)} is not a decimal amount",
                'write digits with an optional point, such as "12000.00" '
                "(no spaces, thousands separators or exponents)",
            )
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        raise reject(f"expects an amount, not {show(value)}", _AMOUNT_HINT)
    if not number.is_finite():
        raise reject(f"{show(value)} is not a finite amount", _AMOUNT_HINT)
    if number.copy_abs() >= _MAX_MONEY:
        raise reject(f"{show(value)} is too large", "amounts must be below 1,000,000,000,000")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if exponent < -2 or exponent > 0:
        rounded = number.quantize(_CENT if exponent < 0 else _ONE, context=DECIMAL_CONTEXT)
        if rounded != number:
            raise reject(
                f"{show(value)} has more than two decimal places",
                'round the amount to cents, e.g. "12000.00"',
            )
        number = rounded
    return number


def _to_code(value: object, codes: frozenset[str], what: str) -> str:
    if not isinstance(value, str):
        raise reject(f"expects {what} as text, not {show(value)}", f"write {what} in quotes")
    if value in codes:
        return value
    hint = country_hint(value[:10]) if codes is COUNTRY_CODES else currency_hint(value[:10])
    raise reject(f"{show(value)} is not {what}", hint)


def _to_country(value: object) -> str:
    return _to_code(value, COUNTRY_CODES, "an ISO 3166-1 alpha-2 country code")


def _to_currency(value: object) -> str:
    return _to_code(value, CURRENCY_CODES, "an ISO 4217 currency code")


def _max_items(limit: int) -> BeforeValidator:
    """Measure a raw list before pydantic validates its items (a million items fail fast)."""

    def check(value: object) -> object:
        if not isinstance(value, list | tuple):
            raise reject(
                f"expects a list, not {show(value)}",
                "write a list (an empty list declares none); leave the field out when unknown",
            )
        if len(value) > limit:
            raise reject(
                f"has {len(value)} items, more than the {limit} allowed", "shorten the list"
            )
        return value

    return BeforeValidator(check)


def total_work_dates(value: object) -> object:
    """Refuse engagements whose work dates add up past the limit, before validating any.

    Counted on the raw input, each list at most its own limit (a longer one is refused
    at its place by its own bound); anything that is not a list is left to the schema.
    """
    if not isinstance(value, list | tuple) or len(value) > _MAX_RECORDS:
        return value
    total = 0
    for item in value:
        dates = item.get("work_dates") if isinstance(item, Mapping) else None
        if isinstance(dates, list | tuple):
            total += min(len(dates), _MAX_WORK_DATES)
    if total > MAX_TOTAL_WORK_DATES:
        raise reject(
            f"hold {total} work dates in all, more than the {MAX_TOTAL_WORK_DATES} allowed",
            "give work_dates only for engagements that straddle a measure's window, "
            "and leave them out of the others",
        )
    return value


Text = Annotated[str, Field(strict=True, max_length=_MAX_TEXT)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=_MAX_TEXT)]
Count = Annotated[int, Field(strict=True, ge=0, le=_MAX_INT)]
Date = Annotated[dt.date, BeforeValidator(_to_date)]
DateTime = Annotated[dt.datetime, BeforeValidator(_to_datetime)]
Country = Annotated[
    str,
    BeforeValidator(_to_country),
    WithJsonSchema({"type": "string", "enum": sorted(COUNTRY_CODES)}),
]
Currency = Annotated[
    str,
    BeforeValidator(_to_currency),
    WithJsonSchema({"type": "string", "enum": sorted(CURRENCY_CODES)}),
]
_T = TypeVar("_T")
# _max_items measures each raw list first (fast); max_length states the bound in the JSON Schema.
Records = Annotated[tuple[_T, ...], Field(max_length=_MAX_RECORDS), _max_items(_MAX_RECORDS)]
WorkDates = Annotated[
    tuple[Date, ...], Field(max_length=_MAX_WORK_DATES), _max_items(_MAX_WORK_DATES)
]
Nationalities = Annotated[
    tuple[Country, ...], Field(max_length=_MAX_NATIONALITIES), _max_items(_MAX_NATIONALITIES)
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_to_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[+-]?[0-9]+(\.[0-9]{1,2})?$"},
                {"type": "integer"},
            ]
        }
    ),
]


_YEAR_RE = re.compile(r"[0-9]{4}")
_TAX_YEAR_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_PERIOD_HINT = 'write a calendar year such as "2019" or a UK tax year such as "2019-20", in quotes'


def to_period(value: object) -> str:
    """Accept a calendar year ``2019`` or a UK tax year ``2019-20`` (years that follow)."""
    if not isinstance(value, str):
        raise reject(f"expects a period as text, not {show(value)}", _PERIOD_HINT)
    if _YEAR_RE.fullmatch(value):
        return value
    match = _TAX_YEAR_RE.fullmatch(value)
    if match is None:
        raise reject(f"{show(value)} is not a year or a UK tax year", _PERIOD_HINT)
    first, second = int(match[1]), int(match[2])
    if second != (first + 1) % 100:
        expected = f"{first}-{(first + 1) % 100:02d}"
        raise reject(
            f"{show(value)} is not a tax year", f'a UK tax year spans two years: "{expected}"'
        )
    return value

