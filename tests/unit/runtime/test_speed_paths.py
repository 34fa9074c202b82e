"""The fast paths of the run time say exactly what the plain paths say.

Each shortcut (values by position, a filter's statuses remembered per field value, the
shared exact values, the Decision built in one step) is checked against the path it
replaces, on data where a wrong shortcut would give a different answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from fundrules import Engine, parse_applicant
from fundrules.policies.ir import MeasureInput
from fundrules.runtime.decide import Decider
from fundrules.runtime.durable_form import durable_form, working_fact
from fundrules.runtime.facts import InputReader, InputValues
from fundrules.runtime.python_backend import PythonRunner
from fundrules.schema import Decision

FR = "fr-netflix-audiens"


def _applicant(**more: Any) -> Any:
    return parse_applicant({"id": "s-1", "submitted_at": "2020-04-20T10:00:00+02:00",
                            "status": "intermittent", **more})


@pytest.fixture(scope="module")
def fr_call() -> Any:
    return Engine(backend="python").pack(FR).calls["main"]


def _engagement(sector: str, contract: str, cachets: int) -> dict[str, Any]:
    return {"sector": sector, "contract": contract, "start": "2019-10-01",
            "end": "2019-10-20", "cachets": cachets, "days": 3}


def test_values_by_position_read_like_a_mapping(fr_call: Any) -> None:
    values = InputReader(fr_call).read(_applicant(
        engagements=[_engagement("film_production", "cddu", 7)]))
    assert isinstance(values, InputValues)
    assert list(values) == list(fr_call.inputs)
    assert len(values) == len(fr_call.inputs)
    for i, spec in enumerate(fr_call.inputs):
        assert values[spec] is values.by_position[i]
    plain = dict(values)
    runner = PythonRunner(fr_call)
    assert runner.run(plain) == runner.run(values)  # a plain mapping takes the slow path
    form = durable_form(fr_call)
    assert working_fact(form, plain, "x") == working_fact(form, values, "x")


def test_remembered_filter_statuses_follow_each_value(fr_call: Any) -> None:
    """More distinct values than are remembered, met ones before and after the memo fills."""
    reader = InputReader(fr_call)
    awards = [{"fund": f"fund-{i}"} for i in range(600)]
    awards[3] = awards[500] = {"fund": FR}
    values = reader.read(_applicant(prior_awards=awards))
    by_name = {k.measure: v for k, v in values.items() if isinstance(k, MeasureInput)}
    assert (by_name["earlier_awards"].lo, by_name["earlier_awards"].hi) == (2, 2)
    # the same reader, other applicants: remembered statuses are per value, never per item
    again = reader.read(_applicant(prior_awards=[{"fund": "fund-3"}, {"fund": FR}]))
    count = next(v for k, v in again.items() if k == MeasureInput("earlier_awards", "number"))
    assert (count.lo, count.hi) == (1, 1)
    sectors = ["film_production", "tv_broadcast", "animation_production", "festival"]
    engagements = [_engagement(sectors[i % 4], "cddu" if i % 3 else "permanent", i + 1)
                   for i in range(40)]
    got = reader.read(_applicant(engagements=engagements))
    units = next(v for k, v in got.items() if k == MeasureInput("activity_units", "number"))
    want = sum(i + 1 for i in range(40) if i % 4 in (0, 2) and i % 3)
    assert (units.lo, units.hi) == (want, want)


def test_the_one_step_decision_is_the_validated_decision(fr_call: Any) -> None:
    engine = Engine(backend="python")
    for applicant in (_applicant(), _applicant(engagements=[
            _engagement("film_production", "cddu", 30)], benefits=[], prior_awards=[],
            income=[{"period": "2019", "basis": "gross",
                     "amount": {"value": "1000.00", "currency": "EUR"}}])):
        decision = engine.evaluate(applicant, FR)
        assert type(decision) is Decision
        validated = Decision.model_validate(decision.model_dump())
        assert decision == validated
        assert decision.model_dump() == validated.model_dump()
        assert decision.model_dump_json() == validated.model_dump_json()
        assert decision.model_fields_set == set(Decision.model_fields)
        assert list(vars(decision)) == list(Decision.model_fields)
        changed = decision.model_copy(update={"applicant": "other"})
        assert (changed.applicant, decision.applicant) == ("other", applicant.id)
        assert hash(decision) == hash(validated)
        with pytest.raises(Exception, match="frozen"):
            decision.outcome = "eligible"  # type: ignore[misc]


def test_the_decider_gives_the_same_decision_from_a_plain_mapping(fr_call: Any) -> None:
    applicant = _applicant(engagements=[_engagement("film_production", "cdd", 9)])
    values = InputReader(fr_call).read(applicant)
    statuses, trace = PythonRunner(fr_call).run(values)
    decider = Decider(fr_call, "main: ...")
    assert decider.decide(applicant, values, statuses, trace) == decider.decide(
        applicant, dict(values), statuses, trace)


def test_remembered_missing_fields_name_each_item(fr_call: Any) -> None:
    """Items with the same unknown filter share what is missing, never their paths."""
    reader = InputReader(fr_call)
    no_sector = {"contract": "cddu", "start": "2019-10-01", "end": "2019-10-20", "days": 3}
    no_contract = {"sector": "film_production", "start": "2019-10-01", "end": "2019-10-20",
                   "days": 3}
    for _ in range(2):  # the second time from what was remembered
        values = reader.read(_applicant(engagements=[
            no_sector, _engagement("film_production", "cddu", 1), no_sector, no_contract]))
        units = values[MeasureInput("activity_units", "number")]
        assert units.missing == ("engagements[0].sector", "engagements[2].sector",
                                 "engagements[3].contract")
