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

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import ValidationError

from fundrules._schema.applicant import (
    Applicant,
    Benefit,
    BenefitScheme,
    Contract,
    EmploymentStatus,
    Engagement,
    EngagementOutcome,
    Frozen,
    Income,
    IncomeBasis,
    Money,
    Needs,
    PriorAward,
    Role,
    Sector,
    ShortfallReason,
    SocialSecurity,
    Stop,
    StopCause,
)
from fundrules._schema.codes import COUNTRY_CODES, CURRENCY_CODES
from fundrules._schema.errors import diagnostics_of
from fundrules._schema.types import show
from fundrules.diagnostics import Diagnostic
from fundrules.errors import ApplicantError

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

# --- enumerations of the Decision (DESIGN section 6) ---------------------------------------

Outcome = Literal["eligible", "ineligible", "incomplete"]
Status = Literal["met", "unmet", "unknown"]
AwardKind = Literal["fixed", "range", "monthly", "share"]

# --- the Decision (DESIGN section 6) --------------------------------------------------------


class Award(Frozen):
    """What the applicant would receive; amounts are Decimals, dumped as strings in JSON."""

    kind: AwardKind
    amount: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    months: int | None = None
    currency: str


class Reason(Frozen):
    """One criterion of the pack and how it was decided."""

    rule: str
    status: Status
    message: str
    source: str | None = None


class Decision(Frozen):
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


def parse_applicant(data: object, *, file: str | None = None) -> Applicant:
    """Validate a mapping (read from JSON or YAML) into an :class:`Applicant`.

    Raises :class:`~fundrules.diagnostics.ApplicantError` listing every problem, each with
    its field path (``engagements[0].start``) and a hint; never any other exception.
    """
    if isinstance(data, Applicant):
        return data
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list | tuple) else show(data)
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
        raise ApplicantError(diagnostics_of(exc, file)) from None
