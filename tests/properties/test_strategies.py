"""The public strategies generate what their documentation promises.

Every schema field (present and absent), values at each pack threshold, instants at each window
bound, engagements across measure windows, and missing facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from fundrules import Applicant, parse_applicant
from fundrules.schema import Benefit, Engagement, Income, PriorAward
from fundrules.testing import absent_paths, applicants, applicants_for, case_yaml, filled
from tests.properties._support import ENGINE, profiled

_SEEN = settings(max_examples=400, database=None, derandomize=True, deadline=None,
                 phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def _collect(strategy: st.SearchStrategy[Applicant], look: Callable[[Applicant], None]) -> None:
    @_SEEN
    @given(strategy)
    def run(applicant: Applicant) -> None:
        look(applicant)

    run()


def test_applicants_cover_every_field_of_the_schema_present_and_absent() -> None:
    models: dict[str, Any] = {"": Applicant, "engagements": Engagement, "benefits": Benefit,
                              "income": Income, "prior_awards": PriorAward}
    present: set[str] = set()
    absent: set[str] = set()

    def look(a: Applicant) -> None:
        for name in Applicant.model_fields:
            (absent if getattr(a, name) is None else present).add(name)
        for over in ("engagements", "benefits", "income", "prior_awards"):
            for item in getattr(a, over) or ():
                for name in type(item).model_fields:
                    (absent if getattr(item, name) is None else present).add(f"{over}.{name}")

    _collect(applicants(), look)
    every = {f"{k}.{n}" if k else n for k, m in models.items() for n in m.model_fields}
    assert every - present == {"call"}  # a call belongs to a pack: see applicants_for
    required = {"id", "submitted_at", "income.period", "income.amount", "income.basis",
                "benefits.scheme", "prior_awards.fund"}
    assert every - absent - required == set()  # every optional field is sometimes unknown


def test_fr_applicants_sit_on_the_thresholds_and_windows_of_the_pack() -> None:
    incomes: set[Decimal] = set()
    instants: set[int] = set()
    offsets: set[Any] = set()
    shapes: set[str] = set()
    outcomes: set[str] = set()
    opens = int(dt.datetime(2020, 4, 15, tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp())

    def look(a: Applicant) -> None:
        incomes.update(i.amount.value for i in a.income or () if i.period == "2019")
        instants.add(int(a.submitted_at.timestamp()) - opens)
        offsets.add(a.submitted_at.utcoffset())
        for e in a.engagements or ():
            if e.start and e.end and e.start < dt.date(2019, 9, 1) <= e.end:
                shapes.add("straddles with work_dates" if e.work_dates else "straddles")
        outcomes.add(ENGINE.evaluate(a, "fr-netflix-audiens").outcome)

    _collect(applicants_for("fr-netflix-audiens"), look)
    assert {Decimal("14999.99"), Decimal("15000.00"), Decimal("15000.01")} <= incomes
    assert {-1, 0, 1} <= instants  # one second before, at and after the window opens
    assert len(offsets) >= 4
    assert shapes == {"straddles", "straddles with work_dates"}
    assert outcomes == {"eligible", "ineligible", "incomplete"}


def test_aimed_applicants_meet_the_rule_aimed_at() -> None:
    met = []
    _collect(applicants_for("fr-netflix-audiens", aim="FR-C3"), lambda a: met.append(
        {r.rule: r.status for r in ENGINE.evaluate(a, "fr-netflix-audiens").reasons}["FR-C3"]))
    assert met.count("met") > len(met) // 2


@profiled(100)
@given(data=st.data())
def test_filled_gives_a_value_to_the_path_and_keeps_the_rest(data: st.DataObject) -> None:
    applicant = data.draw(applicants_for("es-academia-netflix"))
    paths = absent_paths(applicant, "es-academia-netflix")
    assume(paths)  # nothing absent: there is no path to fill
    path = data.draw(st.sampled_from(paths))
    after = data.draw(filled(applicant, path, "es-academia-netflix"))
    assert path not in absent_paths(after)
    assert set(absent_paths(after)) < set(absent_paths(applicant)) | {
        p for p in absent_paths(after) if p.startswith(path)}


@profiled(100)
@given(applicant=applicants_for("it-ifc-netflix"))
def test_a_case_written_by_case_yaml_decides_as_recorded(applicant: Applicant) -> None:
    decision = ENGINE.evaluate(applicant, "it-ifc-netflix")
    [case] = yaml.safe_load(case_yaml(applicant, decision))
    again = ENGINE.evaluate(parse_applicant(case["applicant"]), "it-ifc-netflix")
    assert again == decision
    assert case["expect"]["outcome"] == decision.outcome
    assert case["expect"]["reasons"] == {r.rule: r.status for r in decision.reasons}


def test_a_property_test_under_100_examples_needs_a_written_reason() -> None:
    with pytest.raises(ValueError, match="at least 100 examples"):
        profiled(99)
    with pytest.raises(ValueError, match="fewer_because"):
        profiled(10, fewer_because=" ")
    assert profiled(10, fewer_because="each example runs a 2 s search")  # allowed, with why
