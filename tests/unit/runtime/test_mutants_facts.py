"""What an applicant's inputs read as, checked value by value (issue 12).

Written for the mutants of ``fundrules/runtime/facts.py`` and of its private modules
``_measures.py`` and ``_values.py`` (``python mutation/code.py --module ...``): each
test's data tells a wrong bound, a day either side of a window, a tie or a lost path
apart from the right one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fundrules.policies.ir import IncomeInput, MeasureInput
from fundrules.policies.pack import load_pack_text
from fundrules.runtime.facts import InputReader, submitted_date, window_day
from fundrules.runtime.semantics import Value
from fundrules.schema import parse_applicant
from tests.conftest import ROOT

FR = "fr-netflix-audiens"
FR_TEXT = (ROOT / "policies" / f"{FR}.yaml").read_text()

#: measures over each list, every kind of figure and window; all read by `eligible`
_MEASURES = {
    "days_in": "over: engagements\n    sum: days\n    within: [2020-01-01, 2020-01-10]",
    "cachets_in": "over: engagements\n    sum: cachets\n    within: [2020-01-01, 2020-01-10]",
    "most_in": ("over: engagements\n    sum: greatest(days, cachets)\n"
                "    within: [2020-01-01, 2020-01-10]"),
    "least_in": ("over: engagements\n    sum: least(days, cachets)\n"
                 "    within: [2020-01-01, 2020-01-10]"),
    "both_in": ("over: engagements\n    sum: days + cachets\n"
                "    within: [2020-01-01, 2020-01-10]"),
    "days_all": "over: engagements\n    sum: days",
    "most_all": "over: engagements\n    sum: greatest(days, cachets)",
    "least_all": "over: engagements\n    sum: least(days, cachets)",
    "both_all": "over: engagements\n    sum: days + cachets + 2",
    "most_mixed": "over: engagements\n    sum: greatest(days + cachets, 3)",
    "least_mixed": "over: engagements\n    sum: least(days + cachets, 3)",
    "overlapping": ("over: engagements\n    count: true\n    within: [2020-01-01, 2020-01-10]\n"
                    "    reads: contract_overlap"),
    "overlap_days": ("over: engagements\n    sum: days\n    within: [2020-01-01, 2020-01-10]\n"
                     "    reads: contract_overlap"),
    "worked_in": "over: engagements\n    count: true\n    within: [2020-01-01, 2020-01-10]",
    "recent": ("over: engagements\n    sum: days\n"
               "    within: ['days_before(submitted_date, 9)', submitted_date]"),
    "film": "over: engagements\n    count: true\n    where: sector == film_production",
    "film_days": "over: engagements\n    sum: days\n    where: sector == film_production",
    "stopped": "over: engagements\n    count: true\n    where: stop.cause == covid",
    "late": "over: engagements\n    count: true\n    where: start >= 2020-01-05",
    "from_day": ("over: engagements\n    count: true\n"
                 "    where: submitted_date >= 2020-01-10 and sector == film_production"),
    "monthly": "over: benefits\n    sum: monthly\n    where: receiving",
    "monthly_twice": "over: benefits\n    sum: monthly + monthly\n    where: receiving",
    "big": "over: benefits\n    count: true\n    where: monthly >= 100 EUR",
    "awards": "over: prior_awards\n    count: true",
}
_TEXT = FR_TEXT.replace("measures:\n", "measures:\n" + "".join(
    f"  {name}:\n    {body}\n" for name, body in _MEASURES.items()), 1).replace(
    "eligible: intermittent", "eligible: " + " and ".join(
        f"{name} >= 0{' EUR' if name.startswith('monthly') else ''}" for name in _MEASURES)
    + " and is_french and intermittent", 1).replace(
    "rules:\n", "rules:\n  - id: FR-NAT\n    when: \"'FR' in nationalities\"\n"
    "    then: is_french\n    cite: S1\n"
    "    message: {en: French, fr: Français, it: Francese, es: Francés}\n", 1)
CALL = load_pack_text(_TEXT, file="variant.yaml").calls["main"]
READER = InputReader(CALL)


def _read(**fields: Any) -> dict[str, Value]:
    applicant = parse_applicant({"id": "m", "submitted_at": "2020-01-10T23:30:00+01:00",
                                 **fields})
    return {getattr(k, "measure", None) or getattr(k, "field", None) or type(k).__name__: v
            for k, v in READER.read(applicant).items()}


def _measure(name: str, *engagements: dict[str, Any], **more: Any) -> Value:
    return _read(engagements=list(engagements), **more)[name]


def _bounds(value: Value) -> tuple[Any, Any]:
    return value.lo, value.hi


def _span(start: str | None, end: str | None, **more: Any) -> dict[str, Any]:
    found = {"start": start, "end": end, **more}
    return {k: v for k, v in found.items() if v is not None}


# --- windows: a day either side of each bound -------------------------------------------

@pytest.mark.parametrize(("start", "end", "inside"), [
    ("2019-12-31", "2019-12-31", 0), ("2019-12-31", "2020-01-01", 1),
    ("2020-01-01", "2020-01-01", 1), ("2020-01-10", "2020-01-10", 1),
    ("2020-01-10", "2020-01-11", 1), ("2020-01-11", "2020-01-12", 0),
    ("2019-12-30", "2020-01-12", 10), ("2020-01-03", "2020-01-05", 3),
])
def test_days_worked_inside_a_window_count_to_the_day(start: str, end: str, inside: int):
    calendar = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1
    engagement = _span(start, end, days=calendar, cachets=calendar + 5)
    assert _bounds(_measure("days_in", engagement)) == (inside, inside)
    assert _bounds(_measure("worked_in", engagement)) == ((1, 1) if inside else (0, 0))
    whole = inside == calendar
    cachets = (calendar + 5, calendar + 5) if whole else (0, calendar + 5) if inside else (0, 0)
    assert _bounds(_measure("cachets_in", engagement)) == cachets


def test_days_given_of_a_straddling_engagement_fall_between_the_calendar_bounds():
    # 4 days inside (7..10 Jan), 3 outside (11..13): 5 days worked are 2 to 4 inside
    engagement = _span("2020-01-07", "2020-01-13", days=5)
    value = _measure("days_in", engagement)
    assert _bounds(value) == (2, 4)
    assert value.missing == ("engagements[0].work_dates",)
    assert _bounds(_measure("days_in", _span("2020-01-07", "2020-01-13", days=7))) == (4, 4)
    assert _bounds(_measure("days_in", _span("2020-01-07", "2020-01-13", days=2))) == (0, 2)


def test_work_dates_say_exactly_which_days_are_inside():
    engagement = _span("2019-12-30", "2020-01-12", days=4, cachets=6, work_dates=[
        "2019-12-31", "2020-01-01", "2020-01-10", "2020-01-11"])
    assert _bounds(_measure("days_in", engagement)) == (2, 2)
    value = _measure("cachets_in", engagement)  # several cachets a day: dates cannot split
    assert _bounds(value) == (0, 6)
    assert value.missing == ("engagements[0].cachets",)
    outside = _span("2019-12-30", "2020-01-12", days=2, work_dates=["2019-12-31", "2020-01-11"])
    assert _bounds(_measure("days_in", outside)) == (0, 0)
    assert _bounds(_measure("worked_in", outside)) == (0, 0)
    inside = _span("2019-12-30", "2020-01-12", days=2, work_dates=["2020-01-01", "2020-01-10"])
    assert _bounds(_measure("days_in", inside)) == (2, 2)
    assert _measure("days_in", inside).missing == ()


def test_an_engagement_without_its_dates_may_or_may_not_count():
    value = _measure("days_in", _span("2020-01-02", None, days=3))
    assert _bounds(value) == (0, 3)
    assert value.missing == ("engagements[0].end",)
    value = _measure("worked_in", _span(None, None, days=3))
    assert _bounds(value) == (0, 1)
    assert value.missing == ("engagements[0].start", "engagements[0].end")
    assert _bounds(_measure("days_all", _span(None, None, days=3))) == (3, 3)


def test_figures_absent_inside_the_window_are_bounded_by_the_calendar():
    value = _measure("days_in", _span("2020-01-08", "2020-01-12"))  # 3 days inside, 2 out
    assert _bounds(value) == (0, 3)
    assert value.missing == ("engagements[0].days", "engagements[0].work_dates")
    assert _bounds(_measure("days_in", _span("2020-01-02", "2020-01-04"))) == (0, 3)
    assert _bounds(_measure("days_all", _span("2020-01-02", "2020-01-04"))) == (0, 3)
    value = _measure("cachets_in", _span("2020-01-02", "2020-01-04"))
    assert _bounds(value) == (0, None)
    assert value.missing == ("engagements[0].cachets",)
    assert _bounds(_measure("days_all", {"production": "p"})) == (0, None)


@pytest.mark.parametrize(("start", "end", "counted"), [
    ("2019-12-20", "2019-12-31", 0), ("2019-12-20", "2020-01-01", 1),
    ("2020-01-10", "2020-02-01", 1), ("2020-01-11", "2020-02-01", 0),
    ("2019-12-01", "2020-02-01", 1), ("2020-01-04", "2020-01-06", 1),
])
def test_a_contract_that_overlaps_the_window_by_a_day_counts_whole(start: str, end: str,
                                                                    counted: int):
    engagement = _span(start, end, days=2)
    assert _bounds(_measure("overlapping", engagement)) == (counted, counted)
    assert _bounds(_measure("overlap_days", engagement)) == (2 * counted, 2 * counted)


@pytest.mark.parametrize(("start", "end", "bounds", "missing"), [
    ("2020-01-05", None, (1, 1), ()), (None, "2020-01-05", (1, 1), ()),
    ("2020-01-01", None, (1, 1), ()), ("2020-01-10", None, (1, 1), ()),
    (None, "2020-01-01", (1, 1), ()), (None, "2020-01-10", (1, 1), ()),
    ("2020-01-11", None, (0, 0), ()), (None, "2019-12-31", (0, 0), ()),
    ("2019-12-31", None, (0, 1), ("engagements[0].end",)),
    (None, "2020-01-11", (0, 1), ("engagements[0].start",)),
    (None, None, (0, 1), ("engagements[0].start", "engagements[0].end")),
])
def test_an_overlap_with_one_date_known(start: str | None, end: str | None,
                                        bounds: tuple[int, int], missing: tuple[str, ...]):
    value = _measure("overlapping", _span(start, end))
    assert (_bounds(value), value.missing) == (bounds, missing)


@pytest.mark.parametrize(("submitted", "counted"), [
    ("2020-01-10T23:30:00+01:00", 3),  # 10 January in Paris: 1..10 January, all 3 days
    ("2020-01-10T23:30:00+00:00", 2),  # already 11 January in Paris: 2..11 January
    ("2020-01-12T00:30:00+01:00", 1),  # 12 January: 3..12 January
])
def test_a_window_relative_to_the_submission_day_follows_the_funds_time_zone(
        submitted: str, counted: int):
    applicant = parse_applicant({"id": "m", "submitted_at": submitted, "engagements": [
        _span("2020-01-01", "2020-01-01", days=1), _span("2020-01-02", "2020-01-02", days=1),
        _span("2020-01-10", "2020-01-10", days=1)]})
    values = READER.read(applicant)
    assert _bounds(values[MeasureInput("recent", "number")]) == (counted, counted)


def test_window_bounds_shift_by_months_and_days_and_keep_to_the_month():
    day = dt.date(2020, 3, 31)
    from fundrules.policies.ir import DateBound

    assert window_day(day, DateBound(ordinal=5)) == 5
    assert window_day(day, DateBound(months=-1)) == dt.date(2020, 2, 29).toordinal()
    assert window_day(day, DateBound(months=-13)) == dt.date(2019, 2, 28).toordinal()
    assert window_day(day, DateBound(months=9)) == dt.date(2020, 12, 31).toordinal()
    assert window_day(day, DateBound(months=10)) == dt.date(2021, 1, 31).toordinal()
    assert window_day(day, DateBound(months=8)) == dt.date(2020, 11, 30).toordinal()
    assert window_day(day, DateBound(months=-10)) == dt.date(2019, 5, 31).toordinal()
    assert window_day(dt.date(2020, 4, 30), DateBound(months=-2)) == \
        dt.date(2020, 2, 29).toordinal()
    assert window_day(day, DateBound(months=-3)) == dt.date(2019, 12, 31).toordinal()
    assert window_day(day, DateBound(days=-9)) == dt.date(2020, 3, 22).toordinal()
    assert window_day(dt.date(2020, 1, 15), DateBound(months=1, days=1)) == \
        dt.date(2020, 2, 16).toordinal()
    assert submitted_date(parse_applicant({"id": "x", "submitted_at":
                                           "2020-01-10T23:30:00+00:00"}), "Europe/Paris") \
        == dt.date(2020, 1, 11)


# --- figures: greatest, least, sums ------------------------------------------------------

@pytest.mark.parametrize(("figures", "most", "least", "both"), [
    ({"days": 3, "cachets": 5}, (5, 5), (3, 3), (10, 10)),
    ({"days": 5, "cachets": 3}, (5, 5), (3, 3), (10, 10)),
    ({"days": 4, "cachets": 4}, (4, 4), (4, 4), (10, 10)),
    ({"days": 4}, (4, 4), (4, 4), (6, None)),  # cachets: any number; days: the calendar
    ({"cachets": 6}, (6, 6), (6, 6), (8, 15)),
    ({}, (0, None), (0, None), (2, None)),
])
def test_greatest_and_least_read_the_figures_reported(figures: dict[str, int], most: Any,
                                                      least: Any, both: Any):
    engagement = _span("2020-01-02", "2020-01-08", **figures)  # 7 days, wholly inside
    assert _bounds(_measure("most_all", engagement)) == most
    assert _bounds(_measure("least_all", engagement)) == least
    assert _bounds(_measure("both_all", engagement)) == both
    assert _bounds(_measure("most_in", engagement)) == most
    assert _bounds(_measure("least_in", engagement)) == least


@pytest.mark.parametrize(("figures", "most", "least"), [
    ({"days": 1, "cachets": 1}, (3, 3), (2, 2)), ({"days": 2, "cachets": 3}, (5, 5), (3, 3)),
    ({"days": 2}, (3, None), (2, 3)), ({}, (3, None), (0, 3)),
])
def test_greatest_and_least_of_a_sum_and_a_number(figures: dict[str, int], most: Any,
                                                  least: Any):
    """A sum with an absent figure is reported but open: its bounds join the others'."""
    engagement = _span("2020-01-02", "2020-01-08", **figures)
    assert _bounds(_measure("most_mixed", engagement)) == most
    assert _bounds(_measure("least_mixed", engagement)) == least


def test_figures_of_a_straddling_engagement_combine_their_intervals():
    # 4 days inside (7..10), 3 outside: days 6 -> 3..4 inside, cachets 2 -> 0..2
    engagement = _span("2020-01-07", "2020-01-13", days=6, cachets=2)
    assert _bounds(_measure("most_in", engagement)) == (3, 4)
    assert _bounds(_measure("least_in", engagement)) == (0, 2)
    assert _bounds(_measure("both_in", engagement)) == (3, 6)
    value = _measure("both_in", engagement)
    assert value.missing == ("engagements[0].work_dates",)
    # cachets absent: the greatest may be any number of cachets, the least at most the days
    engagement = _span("2020-01-07", "2020-01-13", days=6)
    assert _bounds(_measure("most_in", engagement)) == (3, 4)
    assert _bounds(_measure("least_in", engagement)) == (3, 4)
    assert _bounds(_measure("both_in", engagement)) == (3, None)


def test_sums_add_every_item_and_an_unknown_one_opens_the_bound():
    engagements = [_span("2020-01-02", "2020-01-03", days=2),
                   _span("2020-01-04", "2020-01-09", days=5),
                   _span("2020-01-05", "2020-01-05", days=1)]
    assert _bounds(_measure("days_all", *engagements)) == (8, 8)
    assert _bounds(_measure("days_in", *engagements)) == (8, 8)
    value = _measure("cachets_in", *engagements)
    assert _bounds(value) == (0, None)
    assert value.missing == tuple(f"engagements[{i}].cachets" for i in range(3))


# --- filters ----------------------------------------------------------------------------

def test_a_filter_counts_matches_and_leaves_unknown_items_open():
    engagements = [{"sector": "film_production", "days": 3}, {"sector": "festival", "days": 4},
                   {"days": 5}, {"sector": "film_production", "days": 6}]
    value = _measure("film", *engagements)
    assert (_bounds(value), value.missing) == ((2, 3), ("engagements[2].sector",))
    assert value.notes == ()
    value = _measure("film_days", *engagements)
    assert (_bounds(value), value.missing) == ((9, 14), ("engagements[2].sector",))
    assert _bounds(_measure("film", *engagements[:2], engagements[3])) == (2, 2)
    assert _measure("film", *engagements[:2], engagements[3]).missing == ()


def test_a_filter_on_a_nested_field_reads_through_an_absent_parent():
    engagements = [{"stop": {"cause": "covid", "date": "2020-01-02"}},
                   {"stop": {"cause": "other", "date": "2020-01-02"}}, {"days": 1}]
    value = _measure("stopped", *engagements)
    assert (_bounds(value), value.missing) == ((1, 2), ("engagements[2].stop.cause",))


@pytest.mark.parametrize(("start", "counted"), [
    ("2020-01-04", (0, 0)), ("2020-01-05", (1, 1)), ("2020-01-06", (1, 1)), (None, (0, 1))])
def test_a_filter_on_a_date_counts_from_its_day(start: str | None, counted: tuple[int, int]):
    assert _bounds(_measure("late", _span(start, None))) == counted


@pytest.mark.parametrize(("submitted", "counted"), [
    ("2020-01-10T00:30:00+01:00", (1, 2)), ("2020-01-09T23:30:00+00:00", (1, 2)),
    ("2020-01-09T22:30:00+00:00", (0, 0))])
def test_a_filter_on_the_submission_day_reads_the_funds_day(submitted: str,
                                                            counted: tuple[int, int]):
    applicant = parse_applicant({"id": "m", "submitted_at": submitted, "engagements": [
        {"sector": "film_production"}, {"sector": "festival"}, {}]})
    value = READER.read(applicant)[MeasureInput("from_day", "number")]
    assert _bounds(value) == counted
    assert value.missing == (("engagements[2].sector",) if counted[0] else ())


def test_remembered_filter_statuses_never_leak_between_values():
    many = [{"sector": s, "days": 1} for s in ["film_production", "festival"] * 150]
    assert _bounds(_measure("film", *many)) == (150, 150)
    again = [{"sector": "festival", "days": 1}, {"sector": "film_production", "days": 1}, {}]
    value = _measure("film", *again)
    assert (_bounds(value), value.missing) == ((1, 2), ("engagements[2].sector",))
    again = [{}, {"sector": "festival"}, {}]
    value = _measure("film", *again)
    assert (_bounds(value), value.missing) == ((0, 2), ("engagements[0].sector",
                                                         "engagements[2].sector"))


# --- amounts and currencies -------------------------------------------------------------

def _benefit(value: str, currency: str = "EUR", **more: Any) -> dict[str, Any]:
    return {"scheme": "other", "monthly": {"value": value, "currency": currency}, **more}


def test_an_amount_in_another_currency_leaves_every_sum_of_it_open():
    value = _read(benefits=[_benefit("10.05", receiving=True),
                            _benefit("3", "GBP", receiving=True)])["monthly_twice"]
    assert (value.lo, value.hi) == (None, None)
    assert _bounds(_read(benefits=[_benefit("10.05", receiving=True)])["monthly_twice"]) \
        == (2010, 2010)


def test_an_amount_filter_notes_why_another_currency_is_unknown():
    value = _read(benefits=[_benefit("150"), _benefit("99"), _benefit("3", "GBP")])["big"]
    assert (_bounds(value), value.missing) == ((1, 2), ("benefits[2].monthly",))
    assert len(value.notes) == 1 and "GBP" in value.notes[0] and "EUR" in value.notes[0]
    value = _read(benefits=[_benefit("150"), {"scheme": "other"}])["big"]
    assert (_bounds(value), value.missing, value.notes) == ((1, 2), ("benefits[1].monthly",), ())


def test_an_uncertain_item_may_count_nothing_or_all_of_its_figure():
    """Between 0 and its figure, whichever side of 0 the figure lies (a repayment)."""
    value = _read(benefits=[_benefit("-5.00"), _benefit("2.50", receiving=True)])["monthly"]
    assert (_bounds(value), value.missing) == ((-250, 250), ("benefits[0].receiving",))
    value = _measure("film_days", {"sector": "film_production", "days": 2}, {"days": 0})
    assert (_bounds(value), value.missing) == ((2, 2), ("engagements[1].sector",))
    assert value.notes == ()


def test_amounts_are_summed_in_cents_and_never_converted():
    value = _read(benefits=[_benefit("10.05", receiving=True), _benefit("0.10", receiving=True),
                            _benefit("99", receiving=False)])["monthly"]
    assert _bounds(value) == (1015, 1015)
    value = _read(benefits=[_benefit("10.05", receiving=True),
                            _benefit("3", "GBP", receiving=True)])["monthly"]
    assert value.lo is None and value.hi is None  # given, in another currency: not missing
    assert value.missing == ()
    value = _read(benefits=[_benefit("10.05", receiving=True), _benefit("3")])["monthly"]
    assert _bounds(value) == (1005, 1305)
    assert value.missing == ("benefits[1].receiving",)


def _income(*entries: tuple[str, str, str, str]) -> Value:
    return _read(income=[{"period": p, "basis": b, "amount": {"value": v, "currency": c}}
                         for p, b, v, c in entries])[IncomeInput.__name__]


def test_income_adds_the_entries_of_its_period_and_basis():
    assert _bounds(_income(("2019", "gross", "100.25", "EUR"), ("2019", "net", "7", "EUR"),
                           ("2018", "gross", "9", "EUR"), ("2019", "gross", "0.75", "EUR"))) \
        == (10100, 10100)
    assert _bounds(_income()) == (0, 0)
    none_such = _income(("2019", "net", "7", "EUR"), ("2018", "gross", "9", "EUR"))
    assert (none_such.lo, none_such.missing) == (None, ("income",))
    assert none_such.notes == ("no gross income is given for period 2019",)
    other = _income(("2019", "gross", "1", "EUR"), ("2019", "gross", "7", "GBP"))
    assert (other.lo, other.missing) == (None, ("income[1].amount",))
    assert "GBP" in other.notes[0]
    absent = _read()[IncomeInput.__name__]
    assert (absent.lo, absent.missing, absent.notes) == (None, ("income",),
                                                         ("no income given for 2019",))


# --- the applicant's own fields ---------------------------------------------------------

def test_fields_lists_and_instants_read_as_values():
    values = _read(status="intermittent", covid_hardship=False, nationalities=["IT", "FR"],
                   prior_awards=[{"fund": "a"}, {"fund": "b"}])
    assert values["status"] == Value(sym="intermittent")
    assert values["covid_hardship"] == Value(sym="false")
    assert values["nationalities"] == Value(sym="true")
    assert _bounds(values["awards"]) == (2, 2)
    stamp = int(dt.datetime(2020, 1, 10, 22, 30, tzinfo=dt.UTC).timestamp())
    assert _bounds(values["SubmittedInstant"]) == (stamp, stamp)
    values = _read(nationalities=["IT"])
    assert values["nationalities"] == Value(sym="false")
    absent = _read()
    assert absent["status"] == Value(missing=("status",))
    assert absent["nationalities"] == Value(missing=("nationalities",))
    assert absent["awards"] == Value(lo=0, missing=("prior_awards",))
    assert _bounds(_read(prior_awards=[])["awards"]) == (0, 0)
    assert _bounds(_read(engagements=[])["days_in"]) == (0, 0)
    assert absent["days_in"] == Value(lo=0, missing=("engagements",))


def test_the_common_values_are_shared_while_there_is_room(monkeypatch: pytest.MonkeyPatch):
    """A count or symbol read twice is one object: a batch holds one Value per count.

    (The runner remembers statuses per shared value.) Only while the caches have room:
    a process that met more than their capacity of distinct values shares no new ones,
    so the test starts from empty caches, whatever the session read before.
    """
    from fundrules.runtime import _values

    monkeypatch.setattr(_values, "_EXACT", {})
    monkeypatch.setattr(_values, "_SYMBOLS", {})
    first = _read(status="company_director", prior_awards=[{"fund": "a"}] * 97)
    again = _read(status="company_director", prior_awards=[{"fund": "b"}] * 97)
    assert first["status"] is again["status"]
    assert first["awards"] is again["awards"]


# --- plugin predicates ------------------------------------------------------------------

_ANSWERS: dict[str, Any] = {}


def answer_of(applicant: Any) -> Any:
    """A test predicate: whatever the test put for this applicant (or raises it)."""
    found = _ANSWERS[applicant.id]
    if isinstance(found, Exception):
        raise found
    return found


answer_of.reads = ("residence_country", "role")  # type: ignore[attr-defined]


@pytest.fixture()
def plugin_call(monkeypatch: pytest.MonkeyPatch) -> Any:
    import importlib.metadata

    from fundrules.policies import plugins

    entry = importlib.metadata.EntryPoint(name="answers", value=f"{__name__}:answer_of",
                                          group=plugins.ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugins.importlib.metadata, "entry_points",
                        lambda *, group: [entry] if group == plugins.ENTRY_POINT_GROUP else [])
    plugins.reload_predicates()
    text = FR_TEXT.replace("eligible: intermittent and", "eligible: answers() and intermittent and")
    yield InputReader(load_pack_text(text, file="plugin.yaml").calls["main"])
    plugins.reload_predicates()


@pytest.mark.parametrize(("answer", "value"), [
    (True, Value(sym="true")), (False, Value(sym="false")),
    (None, Value(missing=("residence_country", "role"), notes=("`answers()` could not decide",))),
])
def test_a_plugin_predicates_answer_is_a_value(plugin_call: Any, answer: Any, value: Value):
    _ANSWERS["p"] = answer
    values = plugin_call.read(parse_applicant({"id": "p", "submitted_at": "2020-04-20T10:00:00Z"}))
    (found,) = [v for k, v in values.items() if type(k).__name__ == "PluginInput"]
    assert found == value


@pytest.mark.parametrize("answer", [ValueError("broken"), 1, "yes"])
def test_a_plugin_that_fails_or_answers_otherwise_is_an_engine_failure(plugin_call: Any,
                                                                       answer: Any):
    from fundrules.errors import EngineError

    _ANSWERS["p"] = answer
    with pytest.raises(EngineError) as info:
        plugin_call.read(parse_applicant({"id": "p", "submitted_at": "2020-04-20T10:00:00Z"}))
    (d,) = info.value.diagnostics
    assert d.code == "engine-failure" and "`answers`" in d.message


_DAY_PACK = """
pack: day-fund
version: "1"
title: {en: Day fund}
country: FR
administrator: Demo administrator
currency: EUR
languages: [en]
allocation: first_come_first_served
sources:
  S1: {title: "Demo call text"}
calls:
  - id: main
    window: {opens: 2020-01-01T00:00, closes: null, tz: Europe/Paris}
    cite: S1
measures:
  late_awards:
    over: prior_awards
    count: true
    where: submitted_date >= 2020-04-20
rules:
  - id: R1
    when: late_awards >= 1
    then: late
    cite: S1
    message: {en: "An award counted from 20 April"}
eligible: late
"""


def test_a_call_whose_only_reader_of_the_day_is_a_filter_works_the_day_out():
    """No relative window, no `submitted_date` input: the filter alone needs the day."""
    reader = InputReader(load_pack_text(_DAY_PACK, file="day.yaml").calls["main"])
    for submitted, count in (("2020-04-20T00:10:00+02:00", 2), ("2020-04-19T23:50:00+02:00", 0)):
        values = reader.read(parse_applicant({"id": "d", "submitted_at": submitted,
                                              "prior_awards": [{"fund": "a"}, {"fund": "b"}]}))
        assert _bounds(values[MeasureInput("late_awards", "number")]) == (count, count)
