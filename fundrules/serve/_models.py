"""The service's request and response bodies, as pydantic models.

The OpenAPI document is generated from these models (and from the library's
``Applicant``, ``Decision`` and ``Explanation``), so what the service documents is what
it accepts and answers. Requests are validated in two steps: the envelope
(:class:`DecisionEnvelope`) first, then each applicant with
:func:`fundrules.schema.parse_applicant`, so an invalid applicant gets exactly the
library's diagnostics.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision

__all__ = [
    "CallInfo",
    "CriterionInfo",
    "DecisionEnvelope",
    "DecisionRequest",
    "DecisionsResponse",
    "ErrorBody",
    "ErrorItem",
    "ExplanationEnvelope",
    "ExplanationRequest",
    "Health",
    "Lang",
    "NotEncodedInfo",
    "PackDetail",
    "PackSummary",
    "SourceInfo",
    "WindowInfo",
    "pack_detail",
    "pack_summary",
]

Lang = Literal["fr", "en", "it", "es"]
_Id = Annotated[str, Field(min_length=1, max_length=64)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- requests: what OpenAPI documents, and the envelopes validated first at run time -------

class DecisionRequest(_Closed):
    """One applicant (``applicant``) or a list (``applicants``); no ``pack``: every pack."""

    applicant: Applicant | None = None
    applicants: list[Applicant] | None = None
    pack: _Id | None = Field(None, description="pack id; absent: every loaded pack")
    lang: Lang | None = Field(None, description="language of the messages (default English)")
    call: _Id | None = Field(None, description="call id for applicants that name none")


class DecisionEnvelope(_Closed):
    """:class:`DecisionRequest` with the applicants left unread (``parse_applicant`` reads them)."""

    applicant: Any = None
    applicants: list[Any] | None = None
    pack: _Id | None = None
    lang: Lang | None = None
    call: _Id | None = None


class ExplanationRequest(_Closed):
    """One applicant explained against one pack."""

    applicant: Applicant
    pack: _Id
    lang: Lang = "en"
    call: _Id | None = Field(None, description="call id if the applicant names none")


class ExplanationEnvelope(_Closed):
    """:class:`ExplanationRequest` with the applicant left unread."""

    applicant: Any
    pack: _Id
    lang: Lang = "en"
    call: _Id | None = None


# --- responses -------------------------------------------------------------------------------

class DecisionsResponse(_Closed):
    """Decisions in request order: per applicant, one per pack (in load order)."""

    decisions: list[Decision]
    decision_ids: list[str] | None = Field(
        None, description="ids of the decision log's lines, one per decision (with a log)")


class ErrorItem(BaseModel):
    """One problem: a library diagnostic, or a service error of the same shape."""

    code: str
    message: str
    severity: Literal["error", "warning"] = "error"
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None


class ErrorBody(BaseModel):
    """Every error response: the list of problems."""

    errors: list[ErrorItem]


class Health(_Closed):
    """The service is up, with its engine and packs."""

    status: Literal["ok"] = "ok"
    backend: str
    packs: list[str]


class WindowInfo(_Closed):
    """A call's window as the pack writes it (local times in ``tz``, ``closes`` excluded)."""

    opens: str | None
    closes: str | None
    tz: str


class CallInfo(_Closed):
    """A call (round) of a fund."""

    id: str
    title: dict[str, str] | None
    window: WindowInfo
    budget: Decimal | None = None


class SourceInfo(_Closed):
    """A public source that criteria cite."""

    title: str
    url: str | None = None


class CriterionInfo(_Closed):
    """A criterion: a rule, an exclusion or an award tier, with its messages and sources."""

    id: str
    kind: Literal["rule", "priority", "exclusion", "award"]
    message: dict[str, str]
    cite: list[str]
    concludes: str | None = None
    calls: list[str] | None = None
    confidence: str | None = None


class NotEncodedInfo(_Closed):
    """A criterion of the fund that the pack does not decide."""

    id: str
    reason: str
    confidence: str


class PackSummary(_Closed):
    """A loaded pack, as ``GET /v1/packs`` lists it."""

    id: str
    version: str
    digest: str
    title: dict[str, str]
    calls: list[str]


class PackDetail(_Closed):
    """Everything a caller needs to know about a pack without reading its YAML."""

    id: str
    version: str
    digest: str
    title: dict[str, str]
    country: str
    administrator: str
    currency: str
    languages: list[str]
    allocation: str
    calls: list[CallInfo]
    sources: dict[str, SourceInfo]
    criteria: list[CriterionInfo]
    not_encoded: list[NotEncodedInfo]


def pack_summary(pack: Pack) -> PackSummary:
    """The short form of a pack."""
    return PackSummary(id=pack.id, version=pack.version, digest=pack.digest,
                       title={str(k): v for k, v in pack.model.title.items()},
                       calls=list(pack.calls))


def _messages(messages: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (messages or {}).items()}


def pack_detail(pack: Pack) -> PackDetail:
    """The long form of a pack: calls with windows, criteria with messages and cites."""
    m = pack.model
    criteria = [CriterionInfo(id=r.id, kind="priority" if r.priority else "rule",
                              message=_messages(r.message), cite=list(r.cite), concludes=r.then,
                              calls=list(r.calls) if r.calls is not None else None,
                              confidence=r.confidence) for r in m.rules]
    criteria += [CriterionInfo(id=r.id, kind="exclusion", message=_messages(r.message),
                               cite=list(r.cite), confidence=r.confidence) for r in m.exclusions]
    for award, call in [(m.award, None), *((c.award, c.id) for c in m.calls)]:
        for tier in (award.tiers or ()) if award is not None else ():
            if tier.id is not None:
                criteria.append(CriterionInfo(
                    id=tier.id, kind="award", message=_messages(tier.message),
                    cite=list(tier.cite), calls=[call] if call else None))
    return PackDetail(
        id=pack.id, version=pack.version, digest=pack.digest, title=_messages(m.title),
        country=m.country, administrator=m.administrator, currency=m.currency,
        languages=[str(x) for x in m.languages], allocation=m.allocation,
        calls=[CallInfo(id=c.id, title=_messages(c.title) if c.title else None,
                        window=WindowInfo(opens=c.window.opens, closes=c.window.closes,
                                          tz=c.window.tz), budget=c.budget) for c in m.calls],
        sources={k: SourceInfo(title=s.title, url=s.url) for k, s in m.sources.items()},
        criteria=criteria,
        not_encoded=[NotEncodedInfo(id=n.id, reason=n.reason, confidence=n.confidence)
                     for n in m.not_encoded])
