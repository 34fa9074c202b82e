"""The semantic core: the reproducers of "One semantic core", and the pieces they broke.

Each reproducer is kept as it was reported (an applicant or a pack that crashed the
default engine, made the backends disagree or passed the loader), with the behaviour
the core now has. Below them, unit tests of the pieces: the interval arithmetic of
measures, the tables, the durable translation and the decision builder.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from fundrules import ApplicantError, Engine, PackError
from fundrules._schema.codes import COUNTRY_CODES
from fundrules.policies.ir import CLeaf, FieldInput, MeasureInput
from fundrules.policies.pack import load_pack_text
from fundrules.runtime.durable_form import durable_form, limit_diagnostics
from fundrules.runtime.facts import InputReader
from fundrules.runtime.semantics import COMPARISONS, Value, leaf_status
from fundrules.schema import parse_applicant
from tests.conftest import ROOT

PACKS = ROOT / "policies"
FR = "fr-netflix-audiens"
FR_TEXT = (PACKS / f"{FR}.yaml").read_text()
DURABLE = Engine()
PYTHON = Engine(backend="python")


def _both(applicant: Any, pack: str = FR, engines: tuple[Engine, Engine] = (DURABLE, PYTHON)
          ) -> Any:
    """The decision, after checking that both backends give exactly the same one."""
    a, b = (e.evaluate(applicant, pack) for e in engines)
    assert a == b
    return a


def _line(text: str, written: str) -> int:
    """The 1-based line of ``text`` where ``written`` is."""
    return text[:text.index(written)].count("\n") + 1


def _pack(text: str, name: str = "variant.yaml") -> Any:
    return load_pack_text(text, file=name)


def _straddling(fr_applicant: dict[str, Any], **figures: Any) -> dict[str, Any]:
    """Example 1 with one engagement across the end of the activity window (29 Feb)."""
    applicant = copy.deepcopy(fr_applicant)
    applicant["engagements"] = [{"production": "x", "sector": "audiovisual_production",
                                 "contract": "cddu", "start": "2020-02-20",
                                 "end": "2020-03-06", **figures}]
    return applicant


# --- reproducer 1: an engagement straddling the window's end ---------------------------

def test_cachets_beyond_the_days_inside_the_window_are_undecided_not_a_crash(fr_applicant):
    """29 cachets over 16 days, 10 of them in the window: 0 to 29 may be inside."""
    d = _both(_straddling(fr_applicant, cachets=29))
    assert d.outcome == "incomplete"
    assert {r.rule: r.status for r in d.reasons}["FR-C3"] == "unknown"
    assert d.missing == ("engagements[0].work_dates",)


def test_cachets_on_work_dates_inside_the_window_count_exactly(fr_applicant):
    days = [f"2020-02-{n}" for n in range(20, 30)]  # ten days, all inside
    d = _both(_straddling(fr_applicant, cachets=29, work_dates=days, days=10))
    assert d.outcome == "eligible" and d.award is not None


def test_cachets_on_work_dates_that_straddle_cannot_be_split(fr_applicant):
    days = ["2020-02-28", "2020-02-29", "2020-03-01", "2020-03-02"]
    d = _both(_straddling(fr_applicant, cachets=29, work_dates=days, days=4))
    assert d.outcome == "incomplete" and d.missing == ("engagements[0].cachets",)


def test_more_days_than_the_calendar_holds_is_an_applicant_error(fr_applicant):
    with pytest.raises(ApplicantError, match="20 days worked do not fit in the 16 days"):
        DURABLE.evaluate(_straddling(fr_applicant, days=20), FR)


def test_an_empty_interval_cannot_be_built():
    with pytest.raises(ValueError, match=r"empty interval 23\.\.10"):
        Value(lo=23, hi=10)


# --- reproducer 2: packs durable_rules cannot run, found before any evaluation ---------

def _rules(n: int, chain: bool) -> str:
    out = ""
    for k in range(n):
        when = f"c{k - 1}" if chain and k else "activity_units >= 0"
        out += (f"  - id: C{k}\n    when: {when}\n    then: c{k}\n    cite: S1\n"
                "    message: {fr: w, en: w, it: w, es: w}\n")
    return out


def _with_rules(n: int, chain: bool, read: str) -> str:
    return FR_TEXT.replace("rules:\n", "rules:\n" + _rules(n, chain), 1).replace(
        "eligible: intermittent", f"eligible: {read} and intermittent")


def test_three_or_clauses_and_a_chain_of_120_rules_run_on_durable(fr_applicant):
    ors = FR_TEXT.replace("when: status == intermittent", "when: status == intermittent or "
                          "role == artist or role == technician or unemployed")
    chain = _with_rules(120, True, "c119")
    for text in (ors, chain):
        pack = _pack(text)
        engines = (Engine([pack]), Engine([pack], backend="python"))
        assert _both(fr_applicant, FR, engines).outcome == "eligible"


#: what durable_rules once refused, now split into auxiliary rules (runtime/_durable_split.py)
_WIDE_OR = FR_TEXT.replace("when: status == intermittent", "when: " + " or ".join(
    f"(role == artist and activity_units >= {k})" for k in range(20)))
_SEVENTY_FACTS = _with_rules(70, False, " and ".join(f"c{k}" for k in range(70)))


@pytest.mark.parametrize("text", [_WIDE_OR, _SEVENTY_FACTS], ids=["a wide or", "70 facts"])
def test_a_rule_too_wide_for_durable_is_split_and_runs(text, fr_applicant):
    pack = _pack(text)
    call = pack.calls["main"]
    assert durable_form(call).hidden and limit_diagnostics(call) == []
    engines = (Engine([pack]), Engine([pack], backend="python"))
    artist = {**copy.deepcopy(fr_applicant), "role": "artist"}
    for applicant in (fr_applicant, artist, {**artist, "engagements": []}):
        _both(applicant, FR, engines)


@pytest.mark.parametrize(("name", "text", "line", "says"), [
    ("a wide in", FR_TEXT.replace("when: status == intermittent", "when: residence_country in ["
                                  + ", ".join(sorted(COUNTRY_CODES)[:70]) + "]"),
     _line(FR_TEXT, "when: status == intermittent"),
     "rule `FR-C1` of pack `fr-netflix-audiens`: asserting the worst fact leaves 72 alpha nodes "
     "pending at once"),
    ("a float durable cannot read", FR_TEXT.replace("min_activity_units: 12",
                                                    "min_activity_units: 0.00001"),
     _line(FR_TEXT, "when: activity_units >= min_activity_units"),
     "1e-05 has an exponent without a decimal point"),
])
def test_what_durable_cannot_run_is_found_by_check_and_at_construction(name, text, line, says,
                                                                        fr_applicant):
    pack = _pack(text, name)
    found = [d for call in pack.calls.values() for d in limit_diagnostics(call)]
    assert found and all(d.code == "engine-limit" and d.file == name for d in found)
    assert says in found[0].message
    if line is not None:
        assert found[0].line == line
    with pytest.raises(PackError) as info:  # the Engine refuses it: nothing reaches evaluate
        Engine([pack])
    assert info.value.diagnostics[0].message == found[0].message
    assert Engine([pack], backend="python").evaluate(fr_applicant, FR).outcome


def test_the_built_in_packs_are_within_every_durable_limit():
    for pack_id in DURABLE.pack_ids:
        for call in DURABLE.pack(pack_id).calls.values():
            assert limit_diagnostics(call) == [], (pack_id, call.call)


# --- reproducer 3: no in-band marker for unknown ---------------------------------------

def test_a_threshold_where_the_old_marker_sat_is_compared_as_any_other(fr_applicant):
    text = FR_TEXT.replace("low_resources_ceiling: 15000 EUR",
                           "low_resources_ceiling: 10000000000000 EUR")  # 10**15 cents
    pack = _pack(text)
    engines = (Engine([pack]), Engine([pack], backend="python"))
    unknown = {k: v for k, v in fr_applicant.items() if k != "income"}
    d = _both(unknown, FR, engines)  # income unknown: <= 10**15 cents is unknown, not met
    assert d.outcome == "incomplete" and d.missing == ("income",)
    rich = dict(fr_applicant, income=[{"period": "2019", "basis": "gross", "amount": {
        "value": "100000000000.00", "currency": "EUR"}}] * 100)  # exactly 10**15 cents
    assert _both(rich, FR, engines).award.amount == 900  # type: ignore[union-attr]


def test_a_symbol_like_the_old_marker_is_a_real_value(fr_applicant):
    text = FR_TEXT.replace("when: status == intermittent",
                           "when: status == intermittent and residence_country != 'FR'")
    pack = _pack(text)
    engines = (Engine([pack]), Engine([pack], backend="python"))
    absent = {k: v for k, v in fr_applicant.items() if k != "residence_country"}
    assert {r.rule: r.status for r in _both(absent, FR, engines).reasons}["FR-C1"] == "unknown"


# --- reproducer 4: the loader refuses what would fail later ----------------------------

@pytest.mark.parametrize(("old", "new", "says"), [
    ("min_activity_units: 12", "min_activity_units: 0x0C", "written in base 16"),
    ("when: activity_units >= min_activity_units",
     "when: activity_units >= 9999999999999999999", "beyond the numbers a pack may"),
    ("      amount: 900", "      amount: -900", "greater than or equal to 0"),
    ("      amount: 900", "      amount: 900.005", "no more than 2 decimal places"),
])
def test_numbers_that_would_fail_later_are_refused_where_written(old, new, says):
    assert old in FR_TEXT
    line = _line(FR_TEXT, old)
    with pytest.raises(PackError) as info:
        _pack(FR_TEXT.replace(old, new, 1), "bad.yaml")
    (d,) = info.value.diagnostics
    assert (d.file, d.line, d.code) == ("bad.yaml", line, "invalid-value") and says in d.message


def test_a_month_shift_past_a_century_is_refused_where_written():
    text = (PACKS / "uk-film-tv-charity.yaml").read_text()
    old = "months_before(submitted_date, lookback_months)"
    assert old in text
    with pytest.raises(PackError) as info:
        _pack(text.replace(old, "months_before(submitted_date, 99999999999)"), "uk.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "invalid-value" and d.line and "more than a century" in d.message


# --- reproducer 5: the same error whatever the number of processes ---------------------

@pytest.mark.parametrize("bad", ["not a mapping", {"id": 3}, ["a", "list"]])
def test_evaluate_many_raises_the_same_error_on_two_processes(bad, fr_applicant):
    for jobs in (1, 2):
        with pytest.raises(ApplicantError):
            list(DURABLE.evaluate_many([fr_applicant, bad], FR, jobs=jobs))


# --- the interval arithmetic of measures -----------------------------------------------

_MEASURES = FR_TEXT.replace("measures:\n", """measures:
  days_in:
    over: engagements
    sum: days
    within: [2020-01-01, 2020-01-10]
  cachets_in:
    over: engagements
    sum: cachets
    within: [2020-01-01, 2020-01-10]
  overlapping:
    over: engagements
    sum: days
    within: [2020-01-01, 2020-01-10]
    reads: contract_overlap
""", 1).replace("eligible: intermittent", "eligible: days_in >= 0 and cachets_in >= 0 and "
                "overlapping >= 0 and intermittent")


def _measures(*engagements: dict[str, Any]) -> dict[str, Value]:
    call = _pack(_MEASURES).calls["main"]
    applicant = parse_applicant({"id": "m", "submitted_at": "2020-04-20T10:00:00+02:00",
                                 "engagements": list(engagements)})
    values = InputReader(call).read(applicant)
    return {k.measure: v for k, v in values.items() if isinstance(k, MeasureInput)}


def _span(start: str, end: str, **more: Any) -> dict[str, Any]:
    return {"start": start, "end": end, **more}


@pytest.mark.parametrize(("engagement", "days", "cachets", "overlap"), [
    # wholly inside: exact
    (_span("2020-01-02", "2020-01-05", days=4, cachets=9), (4, 4), (9, 9), (4, 4)),
    # 6 days inside, 4 outside: days at least 10 - 4, at most 6; cachets 0..all
    (_span("2019-12-28", "2020-01-06", days=10, cachets=7), (6, 6), (0, 7), (10, 10)),
    (_span("2019-12-28", "2020-01-06", days=5, cachets=7), (1, 5), (0, 7), (5, 5)),
    # outside: nothing counts, whatever is missing
    (_span("2020-02-01", "2020-02-03"), (0, 0), (0, 0), (0, 0)),
    # days absent: at most the calendar inside; cachets absent: no upper bound
    (_span("2020-01-09", "2020-01-12"), (0, 2), (0, None), (0, 4)),
    # work_dates decide what is inside
    (_span("2019-12-30", "2020-01-03", days=2, cachets=3,
           work_dates=["2020-01-02", "2020-01-03"]), (2, 2), (3, 3), (2, 2)),
])
def test_measure_intervals(engagement, days, cachets, overlap):
    found = _measures(engagement)
    assert (found["days_in"].lo, found["days_in"].hi) == days
    assert (found["cachets_in"].lo, found["cachets_in"].hi) == cachets
    assert (found["overlapping"].lo, found["overlapping"].hi) == overlap


def test_contract_overlap_counts_a_start_inside_and_is_unknown_without_dates():
    start_inside = _measures({"start": "2020-01-10", "days": 3})["overlapping"]
    assert (start_inside.lo, start_inside.hi) == (3, 3)
    before = _measures({"end": "2020-03-01", "days": 3})["overlapping"]  # start unknown
    assert (before.lo, before.hi, before.missing) == (0, 3, ("engagements[0].start",))
    ended = _measures({"end": "2019-12-31", "days": 3})["overlapping"]
    assert (ended.lo, ended.hi) == (0, 0)


def test_missing_list_is_unknown_and_empty_list_is_zero():
    call = _pack(_MEASURES).calls["main"]
    base = {"id": "m", "submitted_at": "2020-04-20T10:00:00+02:00"}
    absent = InputReader(call).read(parse_applicant(base))
    empty = InputReader(call).read(parse_applicant({**base, "engagements": []}))
    key = next(k for k in absent if isinstance(k, MeasureInput) and k.measure == "days_in")
    assert (absent[key].lo, absent[key].hi, absent[key].missing) == (0, None, ("engagements",))
    assert (empty[key].lo, empty[key].hi, empty[key].missing) == (0, 0, ())


# --- the tables, and what the backends generate from them ------------------------------

_X = FieldInput("long_term_illness_months", "number")


@pytest.mark.parametrize(("op", "lo", "hi", "status"), [
    ("ge", 12, 12, "met"), ("ge", 11, 11, "unmet"), ("ge", 11, 12, "unknown"),
    ("ge", 12, None, "met"), ("ge", None, 11, "unmet"), ("ge", None, None, "unknown"),
    ("gt", 12, 13, "unknown"), ("gt", 13, None, "met"), ("gt", None, 12, "unmet"),
    ("le", 12, 12, "met"), ("le", 13, None, "unmet"), ("le", 11, 13, "unknown"),
    ("lt", None, 11, "met"), ("lt", 12, 14, "unmet"), ("lt", 11, 12, "unknown"),
    ("eq", 12, 12, "met"), ("eq", 13, 14, "unmet"), ("eq", 10, 11, "unmet"),
    ("eq", 12, 13, "unknown"), ("ne", 12, 12, "unmet"), ("ne", None, 11, "met"),
    ("ne", 11, 13, "unknown"),
])
def test_numeric_comparisons_over_intervals(op, lo, hi, status):
    assert leaf_status(CLeaf(_X, op, 12, True), Value(lo=lo, hi=hi)) == status


def test_symbolic_comparisons_and_unknown_symbols():
    status = FieldInput("status", "symbol")
    in_list = CLeaf(status, "in", ("employee", "intermittent"), False)
    assert leaf_status(in_list, Value(sym="intermittent")) == "met"
    assert leaf_status(in_list, Value(sym="freelancer")) == "unmet"
    assert leaf_status(in_list, Value()) == "unknown"
    assert leaf_status(CLeaf(status, "nin", ("employee",), False), Value(sym="?")) == "met"
    assert set(COMPARISONS[True]) == {"lt", "le", "gt", "ge", "eq", "ne"}


def test_durable_patterns_are_the_table_written_for_durable_rules():
    call = _pack(FR_TEXT).calls["main"]
    form = durable_form(call)
    units = next(k for k in form.props if k.key == "activity_units")
    lo, hi = form.props[units]
    c3 = form.definition["FR-C3#met"]["all"][0]["m"]["$and"]
    assert c3[-1] == {"$gte": {lo: 12}}  # met: the lowest count reaches 12
    c3 = form.definition["FR-C3#unmet"]["all"][0]["m"]["$and"]
    assert c3[-1] == {"$lt": {hi: 12}}  # unmet: even the highest stays below
    # unknown is "neither fired": no pattern of its own, found once the stratum's rounds end
    assert not any(name.endswith("#unknown") for name in form.definition)
    c3_stratum = next(s for s in form.settles if "FR-C3" in s)
    assert form.settles.index(c3_stratum) == form.definition["FR-C3#met"]["all"][0]["m"][
        "$and"][1]["r"]


def test_exclusions_report_the_criterion_not_excluded(fr_applicant):
    text = FR_TEXT.replace("exclude_netflix_workers: false", "exclude_netflix_workers: true")
    pack = _pack(text)
    engines = (Engine([pack]), Engine([pack], backend="python"))
    netflix = copy.deepcopy(fr_applicant)
    netflix["engagements"][0]["netflix"] = True
    netflix["engagements"][0]["start"] = "2020-01-10"
    netflix["engagements"][0]["end"] = "2020-02-20"
    excluded = _both(netflix, FR, engines)
    assert excluded.outcome == "ineligible"
    assert {r.rule: r.status for r in excluded.reasons}["FR-C5"] == "unmet"
    clear = dict(fr_applicant)
    clear["engagements"] = [dict(e, netflix=False) for e in fr_applicant["engagements"]]
    assert {r.rule: r.status for r in _both(clear, FR, engines).reasons}["FR-C5"] == "met"


def test_trace_lists_decided_rules_then_unknown_ones_per_stratum(fr_applicant):
    unknown = {k: v for k, v in fr_applicant.items() if k not in ("covid_hardship", "income")}
    d = _both(unknown)
    call = DURABLE.pack(FR).calls["main"]
    strata = [call.rule(r).stratum for r in d.trace]
    assert strata == sorted(strata)
    zero = [r for r in d.trace if call.rule(r).stratum == 0]
    statuses = {r.rule: r.status for r in d.reasons}
    decided = [r for r in zero if statuses.get(r) != "unknown"]
    assert zero == decided + [r for r in zero if statuses.get(r) == "unknown"]
    assert zero.index("FR-C4") > zero.index("FR-NR")  # FR-C4 unknown: after every decided one


def test_dates_in_the_fund_zone_decide_the_submission_day(fr_applicant):
    late = dict(fr_applicant, submitted_at=dt.datetime(
        2020, 4, 14, 22, 30, tzinfo=dt.UTC).isoformat())  # 15 April 00:30 Paris
    assert {r.rule: r.status for r in _both(late).reasons}["window"] == "met"
    early = dict(fr_applicant, submitted_at="2020-04-14T23:30:00+02:00")
    assert {r.rule: r.status for r in _both(early).reasons}["window"] == "unmet"



def test_the_compiler_links_facts_to_rules_and_records_strata():
    call = _pack(FR_TEXT).calls["main"]
    c2 = call.rule("FR-C2")
    assert c2.deps == ("FR-C2a", "FR-C2b") and c2.fact == "out_of_benefits"
    assert (call.rule("FR-C2a").stratum, c2.stratum, call.rule("eligible").stratum) == (0, 1, 2)
    assert [r.stratum for r in call.rules] == sorted(r.stratum for r in call.rules)
    assert call.written[:3] == ("window", "FR-C1", "FR-C2a")  # reasons keep this order
    assert {r.id for r in call.rules if r.kind == "exclusion"} <= set(call.rule("eligible").deps)
    assert call.rule("FR-C3").spot is not None and call.rule("FR-C3").spot.path == \
        "rules[4].when"


def _tree_leaf(name: str) -> CLeaf:
    return CLeaf(FieldInput(name, "number"), "ge", 1, True)


@pytest.mark.parametrize(("statuses", "expected", "parts"), [
    # (a and b) or not (c and d): every operand status decides the whole and its parts
    ({"a": "met", "b": "met", "c": "met", "d": "met"}, "met", []),
    ({"a": "unmet", "b": "met", "c": "met", "d": "met"}, "unmet", []),
    ({"a": "unmet", "b": "met", "c": "unmet", "d": "unknown"}, "met", []),
    ({"a": "unknown", "b": "met", "c": "met", "d": "met"}, "unknown", ["a"]),
    ({"a": "unknown", "b": "unmet", "c": "met", "d": "unknown"}, "unknown", ["d"]),
    ({"a": "unknown", "b": "unknown", "c": "unknown", "d": "met"}, "unknown", ["a", "b", "c"]),
    ({"a": "met", "b": "met", "c": "unknown", "d": "unmet"}, "met", []),
])
def test_status_of_and_unknown_parts_follow_the_connective_table(statuses, expected, parts):
    from fundrules.policies.ir import CAnd, CNot, COr
    from fundrules.runtime.semantics import status_of, unknown_parts

    a, b, c, d = (_tree_leaf(n) for n in "abcd")
    tree = COr((CAnd((a, b)), CNot(CAnd((c, d)))))

    def leaf(cond: CLeaf) -> Any:
        return statuses[cond.input.key]

    assert status_of(tree, leaf, {}) == expected
    found = unknown_parts(tree, leaf, {})
    assert [p.input.key for p in found] == parts  # type: ignore[union-attr]
    # the composed closures (the python backend's form) give the same status
    from fundrules.runtime.semantics import compile_cond

    composed = compile_cond(tree, lambda cond: lambda values, st: statuses[cond.input.key])
    assert composed(None, {}) == expected
    for status in ("met", "unmet"):  # a decided comparison alone leaves nothing undecided
        assert unknown_parts(a, lambda cond, s=status: s, {}) == []
    assert unknown_parts(a, lambda cond: "unknown", {}) == [a]
