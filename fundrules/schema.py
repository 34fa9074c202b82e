"""The common applicant schema and the Decision (DESIGN sections 3 and 6), as pydantic v2 models.

Every pack reads the same :class:`Applicant`, so the schema is strict where a loose reading
would change a decision: an absent field means *unknown* (never false or zero), money is an
exact :class:`~decimal.Decimal` (floats lose cents), dates are ISO 8601 text (never unix
timestamps), ``submitted_at`` must carry a UTC offset, and unknown keys are rejected (a
misspelt key would otherwise be silently unknown). All models are frozen, so an applicant
can be shared between threads and hashed.

Sizes are bounded (lists, strings, integers, keys per mapping) and lists are measured before
their items are validated, so hostile input is rejected in microseconds.
:func:`parse_applicant` turns every problem into a :class:`~fundrules.diagnostics.Diagnostic`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Annotated, Literal, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fundrules._codes import COUNTRY_CODES, CURRENCY_CODES, country_hint, currency_hint
from fundrules.diagnostics import ApplicantError, Diagnostic

__all__ = [
    "COUNTRY_CODES",
    "CURRENCY_CODES",
    "Applicant",
    "Award",
    "AwardKind",
    "Benefit",
    "BenefitScheme",
    "Contract",
    "Decision",
    "EmploymentStatus",
    "Engagement",
    "EngagementOutcome",
    "Income",
    "IncomeBasis",
    "Money",
    "Needs",
    "Outcome",
    "PriorAward",
    "Reason",
    "Role",
    "Sector",
    "ShortfallReason",
    "SocialSecurity",
    "Status",
    "Stop",
    "StopCause",
    "parse_applicant",
]

# --- enumerations (DESIGN section 3); typing.get_args(Sector) lists the values -------------

Role = Literal["artist", "technician", "both"]
EmploymentStatus = Literal[
    "intermittent", "employee", "freelancer", "self_employed", "company_director"
]
SocialSecurity = Literal["es-general", "es-general-artists", "es-self-employed", "other"]
ShortfallReason = Literal["maternity", "illness", "caring", "other"]
Sector = Literal[
    "audiovisual_production",
    "film_production",
    "animation_production",
    "post_production",
    "tv_broadcast",
    "distribution",
    "exhibition",
    "festival",
    "live_performance",
    "advertising",
    "other",
]
Contract = Literal["cdd", "cddu", "fixed_term", "permanent", "freelance", "self_employed", "none"]
EngagementOutcome = Literal["completed", "interrupted", "postponed", "cancelled"]
StopCause = Literal["covid", "other"]
IncomeBasis = Literal["gross", "net", "profit"]
BenefitScheme = Literal[
    "fr-annexe-8", "fr-annexe-10", "es-unemployment", "uk-seiss", "uk-jrs", "other"
]

# --- enumerations of the Decision (DESIGN section 6) ---------------------------------------

Outcome = Literal["eligible", "ineligible", "incomplete"]
Status = Literal["met", "unmet", "unknown"]
AwardKind = Literal["fixed", "range", "monthly", "share"]

# --- limits: generous for a real applicant, small enough to reject abuse quickly -----------

_MAX_TEXT = 500
_MAX_ID = 200
_MAX_INT = 100_000
_MAX_KEYS = 100  # keys of one mapping: every model has fewer than 20 fields
_MAX_RECORDS = 1000  # engagements, income, benefits, prior awards
_MAX_WORK_DATES = 3660  # ten years of days
_MAX_NATIONALITIES = 20
_MAX_MONEY = Decimal(10) ** 12
_CENT = Decimal("0.01")
_ONE = Decimal(1)
_DECIMAL_CONTEXT = Context(prec=40)  # explicit, so a caller's decimal context cannot interfere

_ERROR_TYPE = "applicant_invalid"
_Loc = tuple[str | int, ...]


def _fail(message: str, hint: str) -> PydanticCustomError:
    """Build a validation error that carries its hint (read back by :func:`parse_applicant`)."""
    return PydanticCustomError(_ERROR_TYPE, "{message}", {"message": message, "hint": hint})


def _fail_many(problems: list[tuple[_Loc, str, str]]) -> PydanticCustomError:
    """One error for several problems, each at its own path below the validated field."""
    message = "; ".join(text for _, text, _ in problems)
    return PydanticCustomError(
        _ERROR_TYPE,
        "{message}",
        {"message": message, "hint": problems[0][2], "problems": tuple(problems)},
    )


def _printable(text: str, limit: int) -> str:
    """``text`` shortened, with control characters and lone surrogates escaped."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def _show(value: object) -> str:
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
        return f'"{_printable(value, 40)}"'
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


def _to_date(value: object) -> dt.date:
    """Accept ISO text or a date; no timestamps, no datetimes (their time would be lost)."""
    if isinstance(value, dt.datetime):
        raise _fail(f"expects a date, not the date and time {_show(value)}", _DATE_HINT)
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise _fail(f"expects a date in the form YYYY-MM-DD, not {_show(value)}", _DATE_HINT)
    if not _DATE_RE.fullmatch(value):
        raise _fail(f"{_show(value)} is not a date in the form YYYY-MM-DD", _DATE_HINT)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{_show(value)} is not a day of the calendar", _DATE_HINT) from None


def _to_datetime(value: object) -> dt.datetime:
    """Accept ISO text or a datetime with a UTC offset: a naive time is ambiguous."""
    if isinstance(value, str):
        if not _DATETIME_RE.fullmatch(value):
            raise _fail(f"{_show(value)} is not an ISO 8601 date and time", _DATETIME_HINT)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _fail(f"{_show(value)} is not a valid date and time", _DATETIME_HINT) from None
    if not isinstance(value, dt.datetime):
        raise _fail(
            f"expects a date and time with a UTC offset, not {_show(value)}", _DATETIME_HINT
        )
    if value.utcoffset() is None:
        raise _fail(f"{_show(value)} has no UTC offset", _NAIVE_HINT)
    return value


def _to_amount(value: object) -> Decimal:
    """Read an exact amount in cents from str, int or Decimal; refuse floats and bools."""
    if isinstance(value, bool):
        raise _fail(f"expects an amount, not {_show(value)}", 'use a string such as "12000.00"')
    if isinstance(value, float):
        raise _fail(f"expects an exact amount, not the float {_show(value)}", _AMOUNT_HINT)
    if isinstance(value, int):
        if abs(value) >= _MAX_MONEY:
            raise _fail(f"{_show(value)} is too large", "amounts must be below 1,000,000,000,000")
        number = Decimal(value)
    elif isinstance(value, str):
        if not _AMOUNT_RE.fullmatch(value):
            raise _fail(
                f"{_show(value)} is not a decimal amount",
                'write digits with an optional point, such as "12000.00" '
                "(no spaces, thousands separators or exponents)",
            )
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        raise _fail(f"expects an amount, not {_show(value)}", _AMOUNT_HINT)
    if not number.is_finite():
        raise _fail(f"{_show(value)} is not a finite amount", _AMOUNT_HINT)
    if number.copy_abs() >= _MAX_MONEY:
        raise _fail(f"{_show(value)} is too large", "amounts must be below 1,000,000,000,000")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if exponent < -2 or exponent > 0:
        rounded = number.quantize(_CENT if exponent < 0 else _ONE, context=_DECIMAL_CONTEXT)
        if rounded != number:
            raise _fail(
                f"{_show(value)} has more than two decimal places",
                'round the amount to cents, e.g. "12000.00"',
            )
        number = rounded
    return number


def _to_code(value: object, codes: frozenset[str], what: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"expects {what} as text, not {_show(value)}", f"write {what} in quotes")
    if value in codes:
        return value
    hint = country_hint(value[:10]) if codes is COUNTRY_CODES else currency_hint(value[:10])
    raise _fail(f"{_show(value)} is not {what}", hint)


def _to_country(value: object) -> str:
    return _to_code(value, COUNTRY_CODES, "an ISO 3166-1 alpha-2 country code")


def _to_currency(value: object) -> str:
    return _to_code(value, CURRENCY_CODES, "an ISO 4217 currency code")


def _max_items(limit: int) -> BeforeValidator:
    """Measure a raw list before pydantic validates its items (a million items fail fast)."""

    def check(value: object) -> object:
        if not isinstance(value, list | tuple):
            raise _fail(
                f"expects a list, not {_show(value)}",
                "write a list (an empty list declares none); leave the field out when unknown",
            )
        if len(value) > limit:
            raise _fail(
                f"has {len(value)} items, more than the {limit} allowed", "shorten the list"
            )
        return value

    return BeforeValidator(check)


_Text = Annotated[str, Field(strict=True, max_length=_MAX_TEXT)]
_Name = Annotated[str, Field(strict=True, min_length=1, max_length=_MAX_TEXT)]
_Count = Annotated[int, Field(strict=True, ge=0, le=_MAX_INT)]
_Date = Annotated[dt.date, BeforeValidator(_to_date)]
_DateTime = Annotated[dt.datetime, BeforeValidator(_to_datetime)]
_Country = Annotated[
    str,
    BeforeValidator(_to_country),
    WithJsonSchema({"type": "string", "enum": sorted(COUNTRY_CODES)}),
]
_Currency = Annotated[
    str,
    BeforeValidator(_to_currency),
    WithJsonSchema({"type": "string", "enum": sorted(CURRENCY_CODES)}),
]
_T = TypeVar("_T")
# _max_items measures each raw list first (fast); max_length states the bound in the JSON Schema.
_Records = Annotated[tuple[_T, ...], Field(max_length=_MAX_RECORDS), _max_items(_MAX_RECORDS)]
_WorkDates = Annotated[
    tuple[_Date, ...], Field(max_length=_MAX_WORK_DATES), _max_items(_MAX_WORK_DATES)
]
_Nationalities = Annotated[
    tuple[_Country, ...], Field(max_length=_MAX_NATIONALITIES), _max_items(_MAX_NATIONALITIES)
]
_Amount = Annotated[
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


# --- models ---------------------------------------------------------------------------------


class _Frozen(BaseModel):
    """Immutable and closed: unknown keys are errors, not silently unknown facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Input(_Frozen):
    """A model read from user input: its mappings are bounded in size."""

    @model_validator(mode="before")
    @classmethod
    def _bounded_keys(cls, data: object) -> object:
        if isinstance(data, Mapping) and len(data) > _MAX_KEYS:
            raise _fail(f"has {len(data)} keys, more than the {_MAX_KEYS} allowed", "remove them")
        return data


class Money(_Input):
    """An exact amount in one currency; fundrules never converts between currencies."""

    value: _Amount
    currency: _Currency

    def minor_units(self) -> int:
        """Return the amount in cents (exact: the value has at most two decimal places)."""
        return int(self.value.scaleb(2, context=_DECIMAL_CONTEXT))


class Stop(_Input):
    """When and why an engagement stopped early."""

    date: _Date | None = None
    cause: StopCause | None = None


class Engagement(_Input):
    """One contract of the work history.

    ``work_dates`` is declared before ``days`` so that ``days`` can be checked against it.
    """

    production: _Text | None = None
    production_listed: StrictBool | None = None
    sector: Sector | None = None
    contract: Contract | None = None
    registered: StrictBool | None = None
    paid: StrictBool | None = None
    netflix: StrictBool | None = None
    start: _Date | None = None
    end: _Date | None = None
    work_dates: _WorkDates | None = None
    days: _Count | None = None
    cachets: _Count | None = None
    outcome: EngagementOutcome | None = None
    stop: Stop | None = None
    days_remaining: _Count | None = None

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise _fail(
                f"end {end} is before start {start}",
                "an engagement cannot end before it starts: check both dates",
            )
        return end

    @field_validator("work_dates")
    @classmethod
    def _work_dates_consistent(
        cls, work_dates: tuple[dt.date, ...] | None, info: ValidationInfo
    ) -> tuple[dt.date, ...] | None:
        start, end = info.data.get("start"), info.data.get("end")
        if "start" not in info.data or "end" not in info.data:
            start = end = None  # a bound failed (end before start, ...): that error suffices
        problems: list[tuple[_Loc, str, str]] = []
        seen: set[dt.date] = set()
        for index, day in enumerate(work_dates or ()):
            if (start is not None and day < start) or (end is not None and day > end):
                problems.append(
                    (
                        (index,),
                        f"{day} is outside the engagement ({start or '?'} to {end or '?'})",
                        "list only days between start and end, or correct start and end",
                    )
                )
            if day in seen:
                problems.append(((index,), f"{day} is listed twice", "list each day once"))
            seen.add(day)
        if problems:
            raise _fail_many(problems)
        return work_dates

    @field_validator("days")
    @classmethod
    def _days_consistent(cls, days: int | None, info: ValidationInfo) -> int | None:
        if days is None:
            return days
        start, end = info.data.get("start"), info.data.get("end")
        work_dates = info.data.get("work_dates")
        problems: list[tuple[_Loc, str, str]] = []
        if start is not None and end is not None and start <= end:
            calendar = (end - start).days + 1
            if days > calendar:
                problems.append(
                    (
                        (),
                        f"{days} days worked do not fit in the {calendar} days "
                        f"from {start} to {end}",
                        "count each day worked once, or correct start and end",
                    )
                )
        if work_dates is not None and days != len(work_dates):
            problems.append(
                (
                    (),
                    f"{days} days worked but {len(work_dates)} work dates listed",
                    "make days equal the number of work_dates, or leave one of them out",
                )
            )
        if problems:
            raise _fail_many(problems)
        return days


_YEAR_RE = re.compile(r"[0-9]{4}")
_TAX_YEAR_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_PERIOD_HINT = 'write a calendar year such as "2019" or a UK tax year such as "2019-20", in quotes'


def _to_period(value: object) -> str:
    """Accept a calendar year ``2019`` or a UK tax year ``2019-20`` (years that follow)."""
    if not isinstance(value, str):
        raise _fail(f"expects a period as text, not {_show(value)}", _PERIOD_HINT)
    if _YEAR_RE.fullmatch(value):
        return value
    match = _TAX_YEAR_RE.fullmatch(value)
    if match is None:
        raise _fail(f"{_show(value)} is not a year or a UK tax year", _PERIOD_HINT)
    first, second = int(match[1]), int(match[2])
    if second != (first + 1) % 100:
        expected = f"{first}-{(first + 1) % 100:02d}"
        raise _fail(
            f"{_show(value)} is not a tax year", f'a UK tax year spans two years: "{expected}"'
        )
    return value


class Income(_Input):
    """Income of one period: a calendar year or a UK tax year."""

    period: Annotated[str, BeforeValidator(_to_period), WithJsonSchema({"type": "string"})]
    amount: Money
    basis: IncomeBasis


class Benefit(_Input):
    """An unemployment right or a government support scheme."""

    scheme: BenefitScheme
    receiving: StrictBool | None = None
    eligible: StrictBool | None = None
    rights_opened: _Date | None = None
    rights_ended: _Date | None = None
    monthly: Money | None = None

    @field_validator("rights_ended")
    @classmethod
    def _ended_not_before_opened(
        cls, ended: dt.date | None, info: ValidationInfo
    ) -> dt.date | None:
        opened = info.data.get("rights_opened")
        if ended is not None and opened is not None and ended < opened:
            raise _fail(
                f"rights ended {ended}, before they opened {opened}",
                "check rights_opened and rights_ended",
            )
        return ended


class PriorAward(_Input):
    """A grant already received (``fund`` is a pack id)."""

    fund: _Name
    call: _Text | None = None
    amount: Money | None = None
    date: _Date | None = None


class Needs(_Input):
    """Figures for need-based funds."""

    monthly_essential_costs: Money | None = None
    savings: Money | None = None
    home_equity: Money | None = None
    expected_income_6m: Money | None = None


class Applicant(_Input):
    """One application: every field but ``id`` and ``submitted_at`` may be unknown (absent)."""

    id: Annotated[str, Field(strict=True, min_length=1, max_length=_MAX_ID)]
    submitted_at: _DateTime
    call: _Text | None = None
    residence_country: _Country | None = None
    nationalities: _Nationalities | None = None
    role: Role | None = None
    status: EmploymentStatus | None = None
    social_security: SocialSecurity | None = None
    unemployed: StrictBool | None = None
    covid_hardship: StrictBool | None = None
    shortfall_reason: ShortfallReason | None = None
    long_term_illness_months: _Count | None = None
    engagements: _Records[Engagement] | None = None
    income: _Records[Income] | None = None
    benefits: _Records[Benefit] | None = None
    prior_awards: _Records[PriorAward] | None = None
    needs: Needs | None = None

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise _fail("must not be blank", "give the reference of the application")
        return value


# --- the Decision (DESIGN section 6) --------------------------------------------------------


class Award(_Frozen):
    """What the applicant would receive; amounts are Decimals, dumped as strings in JSON."""

    kind: AwardKind
    amount: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    months: int | None = None
    currency: str


class Reason(_Frozen):
    """One criterion of the pack and how it was decided."""

    rule: str
    status: Status
    message: str
    source: str | None = None


class Decision(_Frozen):
    """The result of evaluating one applicant against one pack (and call)."""

    pack: str
    pack_version: str
    pack_digest: str
    call: str | None = None
    applicant: str
    outcome: Outcome
    award: Award | None = None
    reasons: tuple[Reason, ...] = ()
    missing: tuple[str, ...] = ()
    trace: tuple[str, ...] = ()


# --- parse_applicant: pydantic errors -> diagnostics ----------------------------------------

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


def _model_at(loc: _Loc) -> type[BaseModel] | None:
    """Find the model that validates the mapping at ``loc`` of an applicant."""
    model: type[BaseModel] | None = Applicant
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        model = _model_in(field.annotation) if field is not None else None
    return model


def _path(loc: _Loc) -> str:
    """``('engagements', 0, 'start')`` -> ``engagements[0].start``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = _printable(part, 60)
            text += f".{name}" if text else name
    return text


def _describe(error: Mapping[str, object], loc: _Loc) -> tuple[str, str]:
    """Message (without the path) and hint for one pydantic error."""
    kind = str(error["type"])
    ctx = error.get("ctx")
    ctx = ctx if isinstance(ctx, Mapping) else {}
    shown = _show(error.get("input"))
    field = str(loc[-1]) if loc else "the field"
    if kind == _ERROR_TYPE:
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


def _diagnostic(loc: _Loc, message: str, hint: str, file: str | None) -> Diagnostic:
    path = _path(loc)
    where = f"`{path}`" if path else "the applicant"
    return Diagnostic(
        code="applicant-invalid",
        message=f"{where}: {message}",
        hint=hint,
        file=file,
        path=path or None,
    )


def _diagnostics(exc: ValidationError, file: str | None) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        loc: _Loc = tuple(error["loc"])
        if error["type"] == "invalid_key":  # the last part is the offending key, not a field
            loc = loc[:-1]
        ctx = error.get("ctx") or {}
        problems = ctx.get("problems") if error["type"] == _ERROR_TYPE else None
        if problems:
            found.extend(_diagnostic(loc + sub, text, hint, file) for sub, text, hint in problems)
        else:
            found.append(_diagnostic(loc, *_describe(error, loc), file))
    return found


def parse_applicant(data: object, *, file: str | None = None) -> Applicant:
    """Validate a mapping (read from JSON or YAML) into an :class:`Applicant`.

    Raises :class:`~fundrules.diagnostics.ApplicantError` listing every problem, each with
    its field path (``engagements[0].start``) and a hint; never any other exception.
    """
    if isinstance(data, Applicant):
        return data
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list | tuple) else _show(data)
        raise ApplicantError(
            [
                Diagnostic(
                    code="applicant-invalid",
                    message=f"the applicant must be a mapping of fields, not {kind}",
                    hint='write a JSON object such as {"id": "A-1", "submitted_at": '
                    '"2020-04-20T10:00:00+02:00"}',
                    file=file,
                )
            ]
        )
    try:
        return Applicant.model_validate(data if isinstance(data, dict) else dict(data))
    except ValidationError as exc:
        raise ApplicantError(_diagnostics(exc, file)) from None
