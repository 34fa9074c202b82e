"""Declared monotonicity: a change that can only help an applicant never hurts them.

The pack format has no key for these declarations yet, so they live here, per pack
(docs/testing.md proposes the `monotonic:` key that would move them into the packs).
A declaration names a change to an applicant ("one more qualifying engagement",
"lower 2019 income") and what it must never do: make an eligible applicant
ineligible (or incomplete), or lower the award.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from fundrules import Applicant
from fundrules.testing import applicants_for
from tests.properties._support import ENGINE, PACK_IDS, as_case, profiled

_Raw = dict[str, Any]
_Change = Callable[[_Raw, st.DataObject, str], _Raw | None]


@dataclasses.dataclass(frozen=True)
class Monotone:
    """A change that can only help, and the harm it must never do."""

    says: str
    reads: str  # the compiled input the change moves: a call without it is not concerned
    change: _Change
    never: Literal["lose_eligibility", "lower_award"]


def _window(pack_id: str, call: str, measure: str) -> tuple[int, int]:
    m = next(x for x in ENGINE.pack(pack_id).calls[call].measures if x.name == measure)
    assert m.within is not None and m.within[0].ordinal and m.within[1].ordinal
    return m.within[0].ordinal, m.within[1].ordinal


def add_engagement(measure: str, **fields: Any) -> _Change:
    """Add one engagement that counts for ``measure``, wholly inside its window."""
    def change(raw: _Raw, data: st.DataObject, pack_id: str) -> _Raw | None:
        first, last = _window(pack_id, raw["call"], measure)
        start = data.draw(st.integers(first, last), label="added engagement starts")
        end = data.draw(st.integers(start, min(last, start + 60)), label="and ends")
        days = data.draw(st.integers(1, end - start + 1), label="days worked")
        item = {**fields, "start": dt.date.fromordinal(start).isoformat(),
                "end": dt.date.fromordinal(end).isoformat(), "days": days}
        return {**raw, "engagements": [*(raw.get("engagements") or []), item]}
    return change


def lower_income(period: str) -> _Change:
    """Lower every known gross income of ``period`` (all in the pack's currency)."""
    def change(raw: _Raw, data: st.DataObject, pack_id: str) -> _Raw | None:
        currency = ENGINE.pack(pack_id).calls[raw["call"]].currency
        entries = raw.get("income") or []
        mine = [e for e in entries if e["period"] == period and e["basis"] == "gross"]
        if not mine or any(e["amount"]["currency"] != currency for e in mine):
            return None  # the change is only declared for a known income
        cut = data.draw(st.integers(1, 100_000), label="cents taken off each entry")
        lowered = [{**e, "amount": {**e["amount"], "value": str(
            Decimal(e["amount"]["value"]) - Decimal(cut) / 100)}} if e in mine else e
            for e in entries]
        return {**raw, "income": lowered}
    return change


_FILM = {"sector": "film_production", "netflix": False, "outcome": "completed"}

DECLARED: dict[str, list[Monotone]] = {
    "fr-netflix-audiens": [
        Monotone("more qualifying days never make an eligible applicant ineligible",
                 "m:activity_units", add_engagement("activity_units", **_FILM, contract="cddu"),
                 "lose_eligibility"),
        Monotone("lower 2019 income never lowers the award", "income:2019:gross",
                 lower_income("2019"), "lower_award"),
    ],
    "it-ifc-netflix": [
        Monotone("one more suspended, listed, registered engagement never makes an eligible "
                 "applicant ineligible", "m:qualifying_engagements",
                 add_engagement("qualifying_engagements", sector="film_production",
                                netflix=False, registered=True, production_listed=True,
                                outcome="interrupted", stop={"cause": "covid"},
                                days_remaining=5), "lose_eligibility"),
    ],
    "es-academia-netflix": [
        Monotone("more registered days never make an eligible applicant ineligible",
                 "m:work_days", add_engagement("work_days", **_FILM, registered=True),
                 "lose_eligibility"),
        Monotone("lower 2019 income never makes an eligible applicant ineligible",
                 "income:2019:gross", lower_income("2019"), "lose_eligibility"),
    ],
    "uk-film-tv-charity": [
        Monotone("more paid film/TV days never make an eligible applicant ineligible",
                 "m:erf_film_tv_days", add_engagement("erf_film_tv_days", **_FILM, paid=True),
                 "lose_eligibility"),
        Monotone("lower 2019-20 income never makes an eligible applicant ineligible",
                 "income:2019-20:gross", lower_income("2019-20"), "lose_eligibility"),
    ],
}

_CASES = [(pack_id, m) for pack_id in PACK_IDS for m in DECLARED.get(pack_id, [])]


def _applies(pack_id: str, call: str, m: Monotone) -> bool:
    return any(spec.key == m.reads for spec in ENGINE.pack(pack_id).calls[call].inputs)


@pytest.mark.parametrize(("pack_id", "declared"), _CASES,
                         ids=[f"{p}: {m.says}" for p, m in _CASES])
@profiled(80)
@given(data=st.data())
def test_declared_monotonicity(pack_id: str, declared: Monotone, data: st.DataObject) -> None:
    call = data.draw(st.sampled_from(sorted(ENGINE.pack(pack_id).calls)), label="call")
    assume(_applies(pack_id, call, declared))  # the call reads what the change moves
    applicant = data.draw(applicants_for(pack_id, call=call, aim="eligible"), label="applicant")
    raw = {**applicant.model_dump(mode="json", exclude_none=True), "call": call}
    before = ENGINE.evaluate(Applicant.model_validate(raw), pack_id)
    changed = declared.change(raw, data, pack_id)
    assume(before.outcome == "eligible" and changed is not None)  # what is declared about
    after_applicant = Applicant.model_validate(changed)
    after = ENGINE.evaluate(after_applicant, pack_id)
    as_case(Applicant.model_validate(raw), before, name="before: " + declared.says)
    as_case(after_applicant, after, name="after: " + declared.says)
    note(f"declared: {declared.says}")
    assert after.outcome == "eligible", declared.says
    if declared.never == "lower_award":
        assert before.award is not None and after.award is not None
        assert (after.award.amount or 0) >= (before.award.amount or 0), declared.says


def test_every_declaration_names_a_loaded_pack() -> None:
    """Declarations for a pack that is not loaded would silently test nothing."""
    assert set(DECLARED) <= set(PACK_IDS)
