"""Declared monotonicity: a change that can only help an applicant never hurts them.

A pack declares these under `monotonic:` (docs/pack-format.md): what grows (`more:` a
measure) or shrinks (`less:` an input such as `income(income_year, gross)`), and what it
must never do: make an eligible applicant ineligible (or incomplete), or lower the award.
The compiler resolves each declaration per call (`CompiledPack.monotonic`); this module
turns it into a change to an applicant and checks the promise by property.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from fundrules import Applicant
from fundrules.policies.ir import IncomeInput, Input, MeasureInput
from fundrules.testing import applicants_for
from tests.properties._support import ENGINE, PACK_IDS, as_case, profiled

_Raw = dict[str, Any]
_Change = Callable[[_Raw, st.DataObject, str], _Raw | None]

_FILM = {"sector": "film_production", "netflix": False, "outcome": "completed"}

#: (pack, measure) -> fields of an engagement that counts for that measure (its `where`).
#: Generating these from the measure's filter is not worth it; a new `more:` declaration
#: on an engagement measure adds one line here (the test below says so if it is missing).
ITEM_FIELDS: dict[tuple[str, str], dict[str, Any]] = {
    ("fr-netflix-audiens", "activity_units"): {**_FILM, "contract": "cddu"},
    ("it-ifc-netflix", "qualifying_engagements"): {
        "sector": "film_production", "netflix": False, "registered": True,
        "production_listed": True, "outcome": "interrupted", "stop": {"cause": "covid"},
        "days_remaining": 5},
    ("es-academia-netflix", "work_days"): {**_FILM, "registered": True},
    ("uk-film-tv-charity", "erf_film_tv_days"): {**_FILM, "paid": True},
}


def _declarations() -> list[tuple[str, int, str]]:
    """(pack, index, what it says) for every declaration of every loaded pack."""
    out = []
    for pack_id in PACK_IDS:
        for i, decl in enumerate(ENGINE.pack(pack_id).model.monotonic):
            says = (decl.says or {}).get("en") or f"{decl.more or decl.less} ({decl.never})"
            out.append((pack_id, i, says))
    return out


_CASES = _declarations()


def _window(pack_id: str, call: str, measure: str) -> tuple[int, int]:
    m = next(x for x in ENGINE.pack(pack_id).calls[call].measures if x.name == measure)
    assert m.within is not None and m.within[0].ordinal and m.within[1].ordinal
    return m.within[0].ordinal, m.within[1].ordinal


def add_engagement(measure: str) -> _Change:
    """Add one engagement that counts for ``measure``, wholly inside its window."""
    def change(raw: _Raw, data: st.DataObject, pack_id: str) -> _Raw | None:
        first, last = _window(pack_id, raw["call"], measure)
        start = data.draw(st.integers(first, last), label="added engagement starts")
        end = data.draw(st.integers(start, min(last, start + 60)), label="and ends")
        days = data.draw(st.integers(1, end - start + 1), label="days worked")
        item = {**ITEM_FIELDS[(pack_id, measure)], "start": dt.date.fromordinal(start).isoformat(),
                "end": dt.date.fromordinal(end).isoformat(), "days": days}
        return {**raw, "engagements": [*(raw.get("engagements") or []), item]}
    return change


def lower_income(period: str, basis: str) -> _Change:
    """Lower every known income of ``period`` and ``basis`` (all in the pack's currency)."""
    def change(raw: _Raw, data: st.DataObject, pack_id: str) -> _Raw | None:
        currency = ENGINE.pack(pack_id).calls[raw["call"]].currency
        entries = raw.get("income") or []
        mine = [e for e in entries if e["period"] == period and e["basis"] == basis]
        if not mine or any(e["amount"]["currency"] != currency for e in mine):
            return None  # the change is only declared for a known income
        cut = data.draw(st.integers(1, 100_000), label="cents taken off each entry")
        lowered = [{**e, "amount": {**e["amount"], "value": str(
            Decimal(e["amount"]["value"]) - Decimal(cut) / 100)}} if e in mine else e
            for e in entries]
        return {**raw, "income": lowered}
    return change


def _change(pack_id: str, direction: str, key: Input) -> _Change:
    """The change a resolved declaration names: one more counting item, or a lower income."""
    if direction == "more" and isinstance(key, MeasureInput) \
            and (pack_id, key.measure) in ITEM_FIELDS:
        return add_engagement(key.measure)
    if direction == "less" and isinstance(key, IncomeInput):
        return lower_income(key.period, key.basis)
    raise AssertionError(f"{pack_id}: no change generator for `{direction}: {key}`; "
                         "add the measure to ITEM_FIELDS")


def _applies(pack_id: str, call: str, key: Input) -> bool:
    """A call that does not read what the change moves is not concerned."""
    return key in ENGINE.pack(pack_id).calls[call].inputs


@pytest.mark.parametrize(("pack_id", "index", "says"), _CASES,
                         ids=[f"{p}: {s}" for p, _, s in _CASES])
@profiled(100)
@given(data=st.data())
def test_declared_monotonicity(pack_id: str, index: int, says: str, data: st.DataObject
                               ) -> None:
    call = data.draw(st.sampled_from(sorted(ENGINE.pack(pack_id).calls)), label="call")
    direction, key, never = ENGINE.pack(pack_id).calls[call].monotonic[index]
    assume(_applies(pack_id, call, key))
    applicant = data.draw(applicants_for(pack_id, call=call, aim="eligible"), label="applicant")
    raw = {**applicant.model_dump(mode="json", exclude_none=True), "call": call}
    before = ENGINE.evaluate(Applicant.model_validate(raw), pack_id)
    changed = _change(pack_id, direction, key)(raw, data, pack_id)
    assume(before.outcome == "eligible" and changed is not None)  # what is declared about
    after_applicant = Applicant.model_validate(changed)
    after = ENGINE.evaluate(after_applicant, pack_id)
    as_case(Applicant.model_validate(raw), before, name="before: " + says)
    as_case(after_applicant, after, name="after: " + says)
    note(f"declared: {says} ({direction} {key}, never {never})")
    assert after.outcome == "eligible", says
    if never == "lower_award":
        assert before.award is not None and after.award is not None
        assert (after.award.amount or 0) >= (before.award.amount or 0), says


def test_every_declaration_is_compiled_for_every_call_and_has_a_change() -> None:
    """A declaration the test cannot turn into a change would silently test nothing."""
    assert _CASES, "no pack declares `monotonic:`"
    for pack_id in PACK_IDS:
        pack = ENGINE.pack(pack_id)
        for call in pack.calls.values():
            assert len(call.monotonic) == len(pack.model.monotonic)
            for direction, key, _ in call.monotonic:
                _change(pack_id, direction, key)
        assert any(_applies(pack_id, c, k) for c in pack.calls
                   for _, k, _ in pack.calls[c].monotonic) or not pack.model.monotonic
