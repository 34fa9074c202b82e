"""The python backend's memos: keyed finely enough, bounded, and safe to share.

A Decision is recalled by the statuses of every comparison of the call (with the language
and whether the application fits no call); the applicant's id and missing paths are always
its own. Each test decides applicants one after another on one prepared pack, so that
later ones may be answered from what earlier ones left, and holds every answer equal to
that of a pack prepared afresh for that applicant alone (nothing remembered).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from fundrules import Engine, parse_applicant
from fundrules.runtime import decide as decide_module
from fundrules.runtime import python_backend
from fundrules.runtime.evaluation import PreparedPack
from fundrules.runtime.python_backend import PythonBackend
from fundrules.schema import Decision

FR = "fr-netflix-audiens"
BASE: dict[str, Any] = {
    "submitted_at": "2020-04-20T10:00:00+02:00", "status": "intermittent",
    "covid_hardship": True, "prior_awards": [],
    "benefits": [{"scheme": "fr-annexe-8", "receiving": False, "rights_opened": "2019-01-10",
                  "rights_ended": "2020-01-15"}],
    "engagements": [{"sector": "film_production", "contract": "cddu", "start": "2019-10-01",
                     "end": "2019-12-20", "days": 20}],
    "income": [{"period": "2019", "amount": {"value": "12000.00", "currency": "EUR"},
                "basis": "gross"}],
}


@pytest.fixture(scope="module")
def fr_pack(python_engine: Engine) -> Any:
    return python_engine.pack(FR)


def _person(name: str, **more: Any) -> Any:
    return parse_applicant({**BASE, "id": name, **more})


def _fresh(pack: Any, person: Any, lang: str | None = None) -> Decision:
    return PreparedPack(pack, PythonBackend()).decide(person, lang=lang)


def _check_in_turn(pack: Any, people: list[tuple[Any, str | None]]) -> list[Decision]:
    """Decide in turn on one prepared pack, twice; each as a fresh pack decides it."""
    shared = PreparedPack(pack, PythonBackend())
    got = []
    for _ in range(2):
        for person, lang in people:
            decision = shared.decide(person, lang=lang)
            assert decision == _fresh(pack, person, lang), person.id
            assert decision.model_dump_json() == _fresh(pack, person, lang).model_dump_json()
            got.append(decision)
    return got


def test_the_same_comparisons_keep_each_applicants_id_and_missing_paths(fr_pack: Any) -> None:
    """One status pattern (C3 unknown: a sector absent), three applicants' own paths."""
    def engagement(sector: str | None, days: int = 20) -> dict[str, Any]:
        found = {"contract": "cddu", "start": "2019-10-01", "end": "2019-12-20", "days": days}
        return found if sector is None else {**found, "sector": sector}
    people = [_person("a", engagements=[engagement(None)]),
              _person("b", engagements=[engagement("film_production", 5), engagement(None)]),
              _person("c", engagements=[engagement(None), engagement(None)])]
    shared = PreparedPack(fr_pack, PythonBackend())
    runner = shared.calls["main"].runner
    values = [shared.calls["main"].reader.read(p) for p in people]
    assert len({runner.pattern(v) for v in values}) == 1  # type: ignore[attr-defined]
    got = _check_in_turn(fr_pack, [(p, None) for p in people])
    assert [d.missing for d in got[:3]] == [
        ("engagements[0].sector",), ("engagements[1].sector",),
        ("engagements[0].sector", "engagements[1].sector")]
    assert [d.applicant for d in got[:3]] == ["a", "b", "c"]


def test_the_same_rule_statuses_from_other_comparisons_miss_other_facts(fr_pack: Any) -> None:
    """FR-C2 unknown, FR-C2a unknown, FR-C2b unmet in both, from other comparisons.

    What leaves FR-C2 open differs: its own comparison (benefits received) is unknown
    only in the first.
    """
    benefit = {"scheme": "fr-annexe-8", "rights_opened": "2019-05-01"}
    first = _person("open-receiving", benefits=[benefit])
    second = _person("receiving-given", benefits=[{**benefit, "receiving": False}])
    # each first: what one leaves must never stand for the other's
    got = _check_in_turn(fr_pack, [(second, None), (first, None), (second, None)])
    statuses = [{r.rule: r.status for r in d.reasons} for d in got[:2]]
    assert statuses[0] == statuses[1]
    assert statuses[0]["FR-C2"] == statuses[0]["FR-C2a"] == "unknown"
    assert got[1].missing == ("benefits[0].receiving", "benefits[0].rights_ended")
    assert got[0].missing == got[2].missing == ("benefits[0].rights_ended",)


def test_the_language_and_window_are_part_of_the_key(fr_pack: Any) -> None:
    person = _person("p")
    got = _check_in_turn(fr_pack, [(person, None), (person, "fr"), (person, "es")])
    assert len({d.reasons[1].message for d in got[:3]}) == 3


def test_fitting_no_call_is_part_of_the_key(python_engine: Engine) -> None:
    """The same statuses; the window reason lists every window for one of them only.

    The one that named no call: the pack then chose a call by date, and it fits none.
    """
    pack = python_engine.pack("it-ifc-netflix")
    named = parse_applicant({"id": "named", "call": "call-1",
                             "submitted_at": "2020-07-15T10:00:00+02:00"})
    unnamed = parse_applicant({"id": "unnamed", "submitted_at": "2020-07-15T10:00:00+02:00"})
    shared = PreparedPack(pack, PythonBackend())
    got = [shared.decide(p, lang=lang) for _ in range(2) for lang in (None, "it")
           for p in (named, unnamed)]
    assert got == [PreparedPack(pack, PythonBackend()).decide(p, lang=lang)
                   for _ in range(2) for lang in (None, "it") for p in (named, unnamed)]
    assert got[0].reasons[0].message != got[1].reasons[0].message


def test_awards_follow_each_applicants_tier(fr_pack: Any) -> None:
    low = _person("low")
    high = _person("high", income=[{"period": "2019", "basis": "gross",
                                    "amount": {"value": "15001", "currency": "EUR"}}])
    got = _check_in_turn(fr_pack, [(low, None), (high, None)])
    assert [str(d.award.amount) for d in got[:2] if d.award] == ["900.00", "500.00"]


def test_the_memos_stay_within_their_bounds(fr_pack: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(python_backend, "_PATTERNS", 2)
    monkeypatch.setattr(decide_module, "_CONCLUDED", 2)
    people = [(_person(f"n{n}", engagements=[{**BASE["engagements"][0], "days": n}]), None)
              for n in (5, 11, 12, 30)] + [(_person("no-status", status=None), None),
                                           (_person("no-benefits", benefits=None), None)]
    _check_in_turn(fr_pack, people)
    shared = PreparedPack(fr_pack, PythonBackend())
    for person, _ in people:
        shared.decide(person)
    call = shared.calls["main"]
    assert len(call.runner._patterns) <= 2  # type: ignore[attr-defined]
    assert len(call.decider._recalled) <= 2
    monkeypatch.setattr(python_backend, "_STORED", 0)  # no room for one rule's status
    again = PreparedPack(fr_pack, PythonBackend())
    assert [again.decide(p) for p, _ in people] == [_fresh(fr_pack, p) for p, _ in people]
    assert not again.calls["main"].runner._patterns  # type: ignore[attr-defined]
    assert not again.calls["main"].decider._recalled  # nothing holds unremembered statuses


def test_threads_filling_the_memos_agree_with_one_thread(fr_pack: Any) -> None:
    people = [_person(f"t{n}", engagements=[{**BASE["engagements"][0], "days": n}])
              for n in range(8, 16)] + [_person("u", status=None), _person("v", income=None)]
    expected = [_fresh(fr_pack, p) for p in people]
    shared = PreparedPack(fr_pack, PythonBackend())
    wrong: list[str] = []

    def work(offset: int) -> None:
        for i in range(200):
            k = (i + offset) % len(people)
            if shared.decide(people[k]) != expected[k]:
                wrong.append(people[k].id)
    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not wrong


def test_a_run_wrapped_to_give_another_trace_is_decided_with_that_trace(
        fr_pack: Any, monkeypatch: Any) -> None:
    """Recalled only with the trace the Decision was built with (the backend's own)."""
    person = _person("w")
    shared = PreparedPack(fr_pack, PythonBackend())
    plain = shared.decide(person)
    real = python_backend.PythonRunner.run

    def backwards(self: Any, values: Any) -> Any:
        statuses, trace = real(self, values)
        return statuses, tuple(reversed(trace))
    monkeypatch.setattr(python_backend.PythonRunner, "run", backwards)
    assert shared.decide(person).trace == tuple(reversed(plain.trace))
