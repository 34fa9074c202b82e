"""The shortcuts of reading and deciding say exactly what the plain paths say.

Values built slot by slot, statuses and conclusions remembered by what they are a
function of, the Decision without the Evaluation: each is checked against the path it
replaces, on data where a wrong shortcut would answer differently.
"""

from __future__ import annotations

from typing import Any

import pytest

from fundrules import Engine, parse_applicant
from fundrules.runtime import _values
from fundrules.runtime.python_backend import PythonRunner
from fundrules.runtime.semantics import Value

FR = "fr-netflix-audiens"
ENGINE = Engine(backend="python")


def _applicant(**more: Any) -> Any:
    return parse_applicant({"id": "s-1", "submitted_at": "2020-04-20T10:00:00+02:00",
                            "status": "intermittent", **more})


@pytest.mark.parametrize("number", [0, 7, -3, 10**12])
def test_a_value_built_slot_by_slot_is_the_dataclass_value(number: int) -> None:
    fast = _values.new_exact(number)
    assert fast == Value(lo=number, hi=number)
    assert repr(fast) == repr(Value(lo=number, hi=number))
    assert hash(fast) == hash(Value(lo=number, hi=number))
    assert _values.exact(number) == fast


def test_remembered_statuses_follow_each_value_not_its_position() -> None:
    """The same runner on applicants whose counts and symbols alternate."""
    call = ENGINE.pack(FR).calls["main"]
    runner = PythonRunner(call)
    prepared = ENGINE._prepared[FR].calls["main"]
    for status in ["intermittent", "employee", None, "intermittent"] * 80:
        applicant = _applicant(status=status) if status else parse_applicant(
            {"id": "s-1", "submitted_at": "2020-04-20T10:00:00+02:00"})
        values = prepared.reader.read(applicant)
        statuses, trace = runner.run(values)
        want = {None: "unknown", "intermittent": "met"}.get(status, "unmet")
        assert statuses["FR-C1"] == want
        assert runner.run(dict(values)) == (statuses, trace)  # the plain mapping path


def test_the_decision_alone_is_the_evaluations_decision() -> None:
    engine = Engine(backend="python")
    applicants = [_applicant(), _applicant(status="employee"), _applicant(
        engagements=[{"sector": "film_production", "contract": "cddu", "start": "2019-10-01",
                      "end": "2019-10-20", "days": 15}], benefits=[], prior_awards=[],
        covid_hardship=True, income=[{"period": "2019", "basis": "gross",
                                      "amount": {"value": "9000", "currency": "EUR"}}]),
        parse_applicant({"id": "early", "submitted_at": "2020-03-01T10:00:00+01:00"})]
    for lang in (None, "fr", "en", "it", "es", "fr"):
        for applicant in applicants:
            decision = engine.evaluate(applicant, FR, lang=lang)
            assert decision == engine.evaluation(applicant, FR, lang=lang).decision
            assert decision.model_dump() == type(decision).model_validate(
                decision.model_dump()).model_dump()
    outcomes = {engine.evaluate(a, FR).outcome for a in applicants}
    assert outcomes == {"eligible", "ineligible", "incomplete"}


def test_a_call_named_or_chosen_by_date_among_several() -> None:
    engine = Engine(backend="python")
    early = {"id": "a", "submitted_at": "2020-06-01T10:00:00+02:00", "role": "artist"}
    late = {"id": "b", "submitted_at": "2020-10-10T10:00:00+02:00", "role": "artist"}
    outside = {"id": "c", "submitted_at": "2021-01-01T10:00:00+01:00", "role": "artist"}
    pack = ENGINE.pack("it-ifc-netflix")
    chosen = [pack.select_call(parse_applicant(d).submitted_at) for d in (early, late, outside)]
    assert [(c.call, inside) for c, inside in chosen] == [
        ("call-1", True), ("call-2", True), ("call-2", False)]
    for doc in (early, late, outside):
        person = parse_applicant(doc)
        chosen, inside = pack.select_call(person.submitted_at)
        decision = engine.evaluate(person, "it-ifc-netflix")
        assert decision.call == chosen.call
        window = next(r for r in decision.reasons if r.rule == "window")
        assert (window.status == "met") == inside
        assert (";" in window.message) == (not inside)  # the text lists every window
        named = engine.evaluate({**doc, "call": "call-2"}, "it-ifc-netflix")
        assert named.call == "call-2"
        assert ";" not in next(r for r in named.reasons if r.rule == "window").message
