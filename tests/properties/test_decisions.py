"""Properties every built-in pack must have, over applicants generated for it.

Each test runs for every pack the engine loads (``fundrules.Engine().pack_ids``), so a
pack added to ``policies/`` is covered without editing this file. A failure prints the
shrunk applicant as a YAML test case, ready to paste into ``policies/tests/``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from fundrules import Applicant, Award, Decision
from fundrules.policies.ir import ItemField, ItemGreatest, ItemLeast
from fundrules.runtime.decide import _NO_WINDOW
from fundrules.testing import absent_paths, applicants, applicants_for, filled
from tests.properties._support import ENGINE, PACK_IDS, as_case, outcome_view, profiled

_CENT = Decimal("0.01")


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(_CENT)


def _declared_awards(pack_id: str, call: str | None) -> list[Award]:
    compiled = ENGINE.pack(pack_id).calls[str(call)]
    assert compiled.award is not None
    return [Award(kind=compiled.award.kind, amount=_money(t.amount), min=_money(t.min),
                  max=_money(t.max), months=t.months, currency=compiled.award.currency)
            for t in compiled.award.tiers]


@profiled(150)
@given(applicant=applicants())
def test_every_valid_applicant_gets_one_decision_per_pack(applicant: Applicant) -> None:
    as_case(applicant)
    decisions = ENGINE.evaluate_all(applicant)
    assert [d.pack for d in decisions] == list(PACK_IDS)
    for d in decisions:
        assert d.applicant == applicant.id
        assert d.call in ENGINE.pack(d.pack).calls
        assert Decision.model_validate(d.model_dump(mode="json")) == d  # serialisable as is


@pytest.mark.parametrize("pack_id", PACK_IDS)
@profiled(120)
@given(data=st.data())
def test_award_is_coherent_with_the_outcome(pack_id: str, data: st.DataObject) -> None:
    applicant = data.draw(applicants_for(pack_id), label="applicant")
    d = ENGINE.evaluate(applicant, pack_id)
    as_case(applicant, d)
    assert d.pack == pack_id and d.applicant == applicant.id
    if d.outcome == "eligible":
        assert d.missing == ()
        if ENGINE.pack(pack_id).calls[str(d.call)].award is not None:
            assert d.award in _declared_awards(pack_id, d.call)
            assert d.award is not None
            if d.award.min is not None and d.award.max is not None:
                assert d.award.min <= d.award.max
        assert all(r.status == "met" for r in d.reasons if r.rule in _required(pack_id, d))
    else:
        assert d.award is None
    if d.outcome == "incomplete":
        assert d.missing, "an incomplete decision must say which facts are missing"
        assert any(r.status == "unknown" for r in d.reasons)
    if d.outcome == "ineligible":
        assert any(r.status == "unmet" for r in d.reasons)


def _required(pack_id: str, d: Decision) -> set[str]:
    """Criteria an eligible applicant must meet: the window and every rule eligibility reads."""
    compiled = ENGINE.pack(pack_id).calls[str(d.call)]
    eligible = compiled.rule("eligible")
    return {r.id for r in compiled.rules if r.id in eligible.deps and r.kind != "exclusion"
            and _plain_and(eligible.cond, r.id)}


def _plain_and(cond: object, fact: str) -> bool:
    """Whether ``fact`` is read directly under a chain of ``and`` (so it must be met)."""
    from fundrules.policies.ir import CAnd, CFact

    if isinstance(cond, CFact):
        return cond.rule == fact
    if isinstance(cond, CAnd):
        return any(_plain_and(op, fact) for op in cond.operands)
    return False


@pytest.mark.parametrize("pack_id", PACK_IDS)
@profiled(100)
@given(data=st.data())
def test_decisions_are_deterministic_and_ignore_list_order(pack_id: str,
                                                          data: st.DataObject) -> None:
    applicant = data.draw(applicants_for(pack_id), label="applicant")
    first = ENGINE.evaluate(applicant, pack_id)
    as_case(applicant, first)
    assert ENGINE.evaluate(applicant, pack_id) == first
    raw = applicant.model_dump(mode="json", exclude_none=True)
    for name in ("engagements", "benefits", "income", "prior_awards", "nationalities"):
        if raw.get(name):
            raw[name] = data.draw(st.permutations(raw[name]), label=f"shuffled {name}")
    shuffled = Applicant.model_validate(raw)
    note(f"shuffled: {raw}")
    assert outcome_view(ENGINE.evaluate(shuffled, pack_id)) == outcome_view(first)


@pytest.mark.parametrize("pack_id", PACK_IDS)
@profiled(150)
@given(data=st.data())
def test_supplying_a_missing_fact_never_changes_a_decided_status(pack_id: str,
                                                                data: st.DataObject) -> None:
    applicant = data.draw(applicants_for(pack_id), label="applicant")
    before = ENGINE.evaluate(applicant, pack_id)
    read = absent_paths(applicant, pack_id)  # what this pack reads, most of the time
    paths = [p for group in (before.missing, read, read, absent_paths(applicant)) for p in group
             if p not in _not_reported(applicant, pack_id)]
    assume(paths)  # nothing is unknown: there is no fact to supply
    path = data.draw(st.sampled_from(paths), label="path filled")
    after_applicant = data.draw(filled(applicant, path, pack_id), label="filled applicant")
    after = ENGINE.evaluate(after_applicant, pack_id)
    as_case(applicant, before, name="before filling " + path)
    as_case(after_applicant, after, name="after filling " + path)
    if before.outcome != "incomplete":
        assert after.outcome == before.outcome, f"supplying `{path}` changed a decided outcome"
        assert after.award == before.award
    decided = {r.rule: r.status for r in before.reasons if r.status != "unknown"}
    now = {r.rule: r.status for r in after.reasons}
    changed = {rule: (status, now[rule]) for rule, status in decided.items()
               if now[rule] != status}
    assert not changed, f"supplying `{path}` changed decided criteria: {changed}"


def _not_reported(applicant: Applicant, pack_id: str) -> set[str]:
    """Absent members of ``greatest(...)``/``least(...)`` when another member is given.

    Such a measure reads the members an applicant reports and skips absent ones (FR
    ambiguity A6: a technician reports days, an artist cachets), so an absent member
    there is *not reported*, not unknown; supplying it may change the value. This is the
    one deliberate exception to "absent means unknown" (docs/testing.md).
    """
    out: set[str] = set()
    for compiled in ENGINE.pack(pack_id).calls.values():
        for m in compiled.measures:
            if not isinstance(m.value, ItemGreatest | ItemLeast):
                continue
            members = [a.field for a in m.value.args if isinstance(a, ItemField)]
            for i, item in enumerate(getattr(applicant, m.over) or ()):
                given_ = [f for f in members if getattr(item, f) is not None]
                if given_:
                    out.update(f"{m.over}[{i}].{f}" for f in members if f not in given_)
    return out


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_criterion_has_a_message_in_every_language_of_its_pack(pack_id: str) -> None:
    pack = ENGINE.pack(pack_id)
    for call, compiled in pack.calls.items():
        for rule in compiled.rules:
            if rule.kind == "eligible":
                continue
            for lang in compiled.languages:
                assert rule.message.get(lang, "").strip(), \
                    f"{pack_id} call {call}: `{rule.id}` has no {lang} message"
        for tier in compiled.award.tiers if compiled.award else ():
            for lang in compiled.languages:
                assert tier.message.get(lang, "").strip(), \
                    f"{pack_id} call {call}: award tier `{tier.id}` has no {lang} message"


@pytest.mark.parametrize("pack_id", PACK_IDS)
@profiled(100)
@given(data=st.data())
def test_every_reason_is_explained_in_the_language_asked(pack_id: str,
                                                         data: st.DataObject) -> None:
    applicant = data.draw(applicants_for(pack_id), label="applicant")
    as_case(applicant)
    for lang in ENGINE.pack(pack_id).model.languages:
        d = ENGINE.evaluate(applicant, pack_id, lang=lang)
        compiled = ENGINE.pack(pack_id).calls[str(d.call)]
        assert d.reasons
        for reason in d.reasons:
            assert reason.message.strip(), f"`{reason.rule}` has an empty message"
            own = compiled.rule(reason.rule).message[lang]
            if reason.rule == "window" and reason.status == "unmet":  # may name every window
                fits_none = _NO_WINDOW[lang].format(windows=ENGINE.pack(pack_id).windows_text())
                assert reason.message in (own, fits_none)
            else:
                assert reason.message == own
