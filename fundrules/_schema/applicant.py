"""The applicant's models (DESIGN section 3): what every pack reads, closed and frozen.

Kept apart from :mod:`fundrules.schema` so that the error rendering of
:func:`~fundrules.schema.parse_applicant` can inspect the models without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from fundrules._schema.types import (
    DECIMAL_CONTEXT,
    MAX_ID,
    MAX_KEYS,
    Amount,
    Count,
    Country,
    Currency,
    Date,
    DateTime,
    Loc,
    Name,
    Nationalities,
    Records,
    Text,
    WorkDates,
    fail_many,
    reject,
    to_period,
    total_work_dates,
)

__all__ = [
    "Applicant",
    "Benefit",
    "BenefitScheme",
    "Contract",
    "EmploymentStatus",
    "Engagement",
    "EngagementOutcome",
    "Frozen",
    "Income",
    "IncomeBasis",
    "Money",
    "Needs",
    "PriorAward",
    "Role",
    "Sector",
    "ShortfallReason",
    "SocialSecurity",
    "Stop",
    "StopCause",
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

# --- models ---------------------------------------------------------------------------------


class Frozen(BaseModel):
    """Immutable and closed: unknown keys are errors, not silently unknown facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Input(Frozen):
    """A model read from user input: its mappings are bounded in size."""

    @model_validator(mode="before")
    @classmethod
    def _bounded_keys(cls, data: object) -> object:
        if type(data) is dict:  # the usual case, without an ABC check
            if len(data) > MAX_KEYS:
                raise reject(f"has {len(data)} keys, more than the {MAX_KEYS} allowed",
                             "remove them")
            return data
        if isinstance(data, Mapping) and len(data) > MAX_KEYS:
            raise reject(f"has {len(data)} keys, more than the {MAX_KEYS} allowed", "remove them")
        return data


class Money(_Input):
    """An exact amount in one currency; fundrules never converts between currencies."""

    value: Amount
    currency: Currency

    def minor_units(self) -> int:
        """Return the amount in cents (exact: the value has at most two decimal places)."""
        return int(self.value.scaleb(2, context=DECIMAL_CONTEXT))


class Stop(_Input):
    """When and why an engagement stopped early."""

    date: Date | None = None
    cause: StopCause | None = None


class Engagement(_Input):
    """One contract of the work history.

    ``work_dates`` is declared before ``days`` so that ``days`` can be checked against it.
    """

    production: Text | None = None
    production_listed: StrictBool | None = None
    sector: Sector | None = None
    contract: Contract | None = None
    registered: StrictBool | None = None
    paid: StrictBool | None = None
    netflix: StrictBool | None = None
    start: Date | None = None
    end: Date | None = None
    work_dates: WorkDates | None = None
    days: Count | None = None
    cachets: Count | None = None
    outcome: EngagementOutcome | None = None
    stop: Stop | None = None
    days_remaining: Count | None = None

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise reject(
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
        problems: list[tuple[Loc, str, str]] = []
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
            raise fail_many(problems)
        return work_dates

    @field_validator("days")
    @classmethod
    def _days_consistent(cls, days: int | None, info: ValidationInfo) -> int | None:
        if days is None:
            return days
        start, end = info.data.get("start"), info.data.get("end")
        work_dates = info.data.get("work_dates")
        problems: list[tuple[Loc, str, str]] = []
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
            raise fail_many(problems)
        return days


class Income(_Input):
    """Income of one period: a calendar year or a UK tax year."""

    period: Annotated[str, BeforeValidator(to_period), WithJsonSchema({"type": "string"})]
    amount: Money
    basis: IncomeBasis


class Benefit(_Input):
    """An unemployment right or a government support scheme."""

    scheme: BenefitScheme
    receiving: StrictBool | None = None
    eligible: StrictBool | None = None
    rights_opened: Date | None = None
    rights_ended: Date | None = None
    monthly: Money | None = None

    @field_validator("rights_ended")
    @classmethod
    def _ended_not_before_opened(
        cls, ended: dt.date | None, info: ValidationInfo
    ) -> dt.date | None:
        opened = info.data.get("rights_opened")
        if ended is not None and opened is not None and ended < opened:
            raise reject(
                f"rights ended {ended}, before they opened {opened}",
                "check rights_opened and rights_ended",
            )
        return ended


class PriorAward(_Input):
    """A grant already received (``fund`` is a pack id)."""

    fund: Name
    call: Text | None = None
    amount: Money | None = None
    date: Date | None = None


class Needs(_Input):
    """Figures for need-based funds."""

    monthly_essential_costs: Money | None = None
    savings: Money | None = None
    home_equity: Money | None = None
    expected_income_6m: Money | None = None


class Applicant(_Input):
    """One application: every field but ``id`` and ``submitted_at`` may be unknown (absent)."""

    id: Annotated[str, Field(strict=True, min_length=1, max_length=MAX_ID)]
    submitted_at: DateTime
    call: Text | None = None
    residence_country: Country | None = None
    nationalities: Nationalities | None = None
    role: Role | None = None
    status: EmploymentStatus | None = None
    social_security: SocialSecurity | None = None
    unemployed: StrictBool | None = None
    covid_hardship: StrictBool | None = None
    shortfall_reason: ShortfallReason | None = None
    long_term_illness_months: Count | None = None
    engagements: Records[Engagement] | None = None
    income: Records[Income] | None = None
    benefits: Records[Benefit] | None = None
    prior_awards: Records[PriorAward] | None = None
    needs: Needs | None = None

    @field_validator("engagements", mode="before")
    @classmethod
    def _work_dates_bounded(cls, value: object) -> object:
        return total_work_dates(value)

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise reject("must not be blank", "give the reference of the application")
        return value
