"""Hypothesis strategies that generate applicants, for property tests of packs.

``applicants()`` covers the whole applicant schema, absent (unknown) fields included.
``applicants_for(pack)`` reads a pack's compiled form and concentrates where decisions
change: values just below, at and above every threshold, instants around every call
window (in several UTC offsets, across daylight-saving changes), engagements that
straddle measure windows with and without ``work_dates``, and missing facts. With
``aim=`` it steers generation towards meeting (or failing) chosen rules, which is how
``fundrules verify`` looks for witnesses. ``absent_paths`` and ``filled`` support
Kleene properties (supplying a missing fact never changes a decided status).
See docs/testing.md.

The work is done in private modules: ``_values`` (generic raw values and instants),
``_targets`` (what a pack reads, comparisons that give rules a status), ``_realise``
(an applicant for one call) and ``_kleene`` (``absent_paths``, ``filled``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from hypothesis import strategies as st

from fundrules.diagnostics import Diagnostic
from fundrules.errors import UnknownPackError
from fundrules.policies.fields import APPLICANT_FIELDS
from fundrules.policies.ir import Status
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision, Needs
from fundrules.testing._kleene import absent_paths, filled
from fundrules.testing._realise import for_call
from fundrules.testing._targets import Aim, Ref, resolve_pack
from fundrules.testing._values import (
    ANY_MONEY,
    BOOL,
    LISTS,
    T0,
    T1,
    TOP_SKIP,
    Draw,
    Raw,
    generic_item,
    instant_text,
    ints,
    maybe,
    put,
    scalar,
    validate,
)

__all__ = ["absent_paths", "applicants", "applicants_for", "case_yaml", "filled"]


# --- the generic strategy -----------------------------------------------------------------

@st.composite
def _applicant(draw: Draw) -> Applicant:
    raw: Raw = {"id": f"gen-{draw(ints(0, 9999))}",
                 "submitted_at": instant_text(draw, draw(ints(T0, T1)), None)}
    for name, info in APPLICANT_FIELDS.items():
        if name not in TOP_SKIP:
            put(raw, name, maybe(draw, scalar(info), 3))
    for over in LISTS:
        count = maybe(draw, ints(0, 3), 3)
        raw[over] = None if count is None else [generic_item(draw, over) for _ in range(count)]
    if draw(BOOL):
        raw["needs"] = {k: maybe(draw, ANY_MONEY) for k in Needs.model_fields}
    return validate(raw)


def applicants() -> st.SearchStrategy[Applicant]:
    """Valid applicants over the whole schema; any optional field may be absent (unknown)."""
    return _applicant()


def applicants_for(pack: Pack | str, *, call: str | None = None,
                   aim: Mapping[str, Status] | str | None = None) -> st.SearchStrategy[Applicant]:
    """Applicants concentrated on one pack's thresholds, windows and enumerations.

    ``pack`` is a loaded :class:`~fundrules.Pack` or the id of a built-in (or installed)
    pack; ``call`` fixes the call (default: any). ``aim`` steers generation: a rule id
    (or ``"eligible"``, or a tier id) to meet, or ``{rule_id: "met" | "unmet"}``. Aimed
    applicants have exact facts; unaimed ones also have missing facts and intervals.
    """
    loaded = resolve_pack(pack)
    if call is not None and call not in loaded.calls:
        raise UnknownPackError([Diagnostic(
            "unknown-call", f"pack `{loaded.id}` has no call `{call}`",
            hint="use one of " + ", ".join(f"`{c}`" for c in loaded.calls), path="call")])
    wants: Aim | None = {aim: "met"} if isinstance(aim, str) else aim
    return for_call(Ref(loaded), call, wants)


def case_yaml(applicant: Applicant, decision: Decision | None = None, *,
              name: str = "generated") -> str:
    """A YAML test case (one item of ``cases:``) holding the applicant, ready to paste.

    With a decision, ``expect`` records its outcome, award and reason statuses.
    """
    case: dict[str, Any] = {"name": name,
                            "applicant": applicant.model_dump(mode="json", exclude_none=True)}
    if decision is not None:
        expect: dict[str, Any] = {"outcome": decision.outcome}
        if decision.award is not None:
            expect["award"] = decision.award.model_dump(mode="json", exclude_none=True)
        expect["reasons"] = {r.rule: r.status for r in decision.reasons}
        if decision.missing:
            expect["missing"] = list(decision.missing)
        case["expect"] = expect
    text: str = yaml.safe_dump([case], sort_keys=False, allow_unicode=True, width=100)
    return text
