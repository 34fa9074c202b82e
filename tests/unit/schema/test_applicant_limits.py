"""Issue 16: the schema's limits bound what deciding any accepted applicant costs.

The worst applicant the limits allow is built here (every list at its bound, the work
dates of all engagements at their total bound and inside the packs' windows, filters
left unknown so every item is explored for the fields it lacks, the longest texts) and
decided by every pack on both backends. The bound asserted is CPU time of this process
(``time.process_time``), the least of three runs each after a garbage collection: other
processes on a shared machine take wall time, not this process's CPU time (they still
share its caches and cores, hence the least run), and the work done is fixed by the
limits, so only the speed of one core matters. Measured: 23 to 38 ms to validate and 22
to 40 ms to decide on a shared 2-core machine under load average 4 to 7 (docs/limits.md);
the assertion allows 100 ms for each, the issue's bound, two and a half to four times that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fundrules import ApplicantError, Engine, parse_applicant
from fundrules._schema.types import MAX_TOTAL_WORK_DATES

_RECORDS = 1000
_PER_LIST = 3660  # work dates of one engagement
_SUBMITTED = "2020-04-20T10:00:00+02:00"


def _money(value: str) -> dict[str, str]:
    return {"value": value, "currency": "EUR"}


def _engagement(i: int, days: int) -> dict[str, Any]:
    """An engagement whose filter fields are absent (unknown): the costliest to read."""
    first = dt.date(2019, 9, 1)
    out: dict[str, Any] = {
        "production": f"production {i} " + "x" * 480, "production_listed": True,
        "registered": True, "paid": True, "netflix": True, "outcome": "interrupted",
        "stop": {"date": "2020-03-15", "cause": "covid"}, "days_remaining": 100_000,
        "cachets": 100_000, "start": first.isoformat()}
    if days:
        dates = [first + dt.timedelta(days=k) for k in range(days)]
        out.update(end=dates[-1].isoformat(), work_dates=[d.isoformat() for d in dates],
                   days=days)
    else:
        out["end"] = "2020-12-31"  # straddles every window
    return out


def worst_applicant() -> dict[str, Any]:
    """The largest applicant the limits accept, shaped to cost the most to decide."""
    per = min(_PER_LIST, 2 * MAX_TOTAL_WORK_DATES // _RECORDS)  # every other engagement
    return {
        "id": "w" * 200, "submitted_at": _SUBMITTED, "status": "intermittent",
        "residence_country": "FR", "nationalities": ["FR", "IT", "ES", "GB", "DE"] * 4,
        "engagements": [_engagement(i, per if i % 2 else 0) for i in range(_RECORDS)],
        "income": [{"period": "2019", "basis": "gross", "amount": _money("999999999.99")}
                   for _ in range(_RECORDS)],
        "benefits": [{"scheme": "fr-annexe-10", "rights_opened": "2019-06-01",
                      "rights_ended": "2020-01-15", "monthly": _money("1.00")}
                     for _ in range(_RECORDS)],
        "prior_awards": [{"fund": f"fund-{i}", "amount": _money("10.00"),
                          "date": "2020-01-01"} for i in range(_RECORDS)],
        "needs": {name: _money("1.00") for name in (
            "savings", "monthly_essential_costs", "home_equity", "expected_income_6m")},
    }


def _dated(counts: list[int]) -> dict[str, Any]:
    day = "2019-10-01"
    return {"id": "d", "submitted_at": _SUBMITTED, "engagements": [
        {"start": "2010-01-01", "end": "2020-01-01", "work_dates": [day] * n} for n in counts]}


def test_work_dates_of_all_engagements_are_bounded() -> None:
    full = [_PER_LIST] * (MAX_TOTAL_WORK_DATES // _PER_LIST) + [
        MAX_TOTAL_WORK_DATES % _PER_LIST + 1]
    with pytest.raises(ApplicantError) as refused:
        parse_applicant(_dated(full))
    (diag,) = refused.value.diagnostics
    assert diag.path == "engagements"
    assert diag.message == (f"`engagements`: hold {MAX_TOTAL_WORK_DATES + 1} work dates in "
                            f"all, more than the {MAX_TOTAL_WORK_DATES} allowed")
    assert "straddle" in (diag.hint or "")
    # exactly at the bound the total is accepted (the repeated day is then each list's error)
    with pytest.raises(ApplicantError) as at_bound:
        parse_applicant(_dated([*full[:-1], full[-1] - 1]))
    assert all(d.path != "engagements" for d in at_bound.value.diagnostics)


def test_one_long_list_keeps_its_own_error() -> None:
    with pytest.raises(ApplicantError) as refused:
        parse_applicant(_dated([_PER_LIST + 1]))
    (diag,) = refused.value.diagnostics
    assert diag.path == "engagements[0].work_dates"
    assert "more than the 3660 allowed" in diag.message


def test_a_huge_applicant_is_refused_before_its_dates_are_read() -> None:
    dates = ["2019-10-01"] * _PER_LIST  # one list shared: 3.66 million dates, 29 kB
    doc = {"id": "h", "submitted_at": _SUBMITTED,
           "engagements": [{"work_dates": dates} for _ in range(_RECORDS)]}
    start = time.process_time()
    with pytest.raises(ApplicantError):
        parse_applicant(doc)
    assert time.process_time() - start < 0.05  # measured: well under 1 ms


def _cpu(run: Callable[[], object], budget: float, times: int = 3) -> float:
    """The least CPU time of up to ``times`` runs, stopping at the first within ``budget``.

    The least run is the one the other processes of a shared machine disturbed least (they
    share its caches and cores). Call it inside ``_frozen_heap()``.
    """
    best = float("inf")
    for _ in range(times):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
        if best < budget:
            break
    return best


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """The test session's objects out of the collector's sight while the runs are timed.

    A collection that walks whatever the session built before is not the applicant's
    cost: one collection, then ``gc.freeze()`` (collections still run, on new objects).
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_the_worst_accepted_applicant_is_decided_in_well_under_100_ms() -> None:
    document = worst_applicant()
    with _frozen_heap():
        _worst_is_fast(document)


def _worst_is_fast(document: dict[str, Any]) -> None:
    validating = _cpu(lambda: parse_applicant(document), 0.1)
    assert validating < 0.1, f"validation: {validating * 1e3:.1f} ms"
    applicant = parse_applicant(document)
    assert applicant.engagements is not None
    assert sum(len(e.work_dates or ()) for e in applicant.engagements) \
        == min(MAX_TOTAL_WORK_DATES, _PER_LIST * _RECORDS // 2)
    slowest = 0.0
    for backend in ("python", "durable"):
        engine = Engine(backend=backend)
        for pack in engine.pack_ids:
            decision = engine.evaluate(applicant, pack)
            spent = _cpu(lambda: engine.evaluate(applicant, pack), 0.1)  # noqa: B023 - called now
            assert decision.outcome in ("eligible", "ineligible", "incomplete")
            assert spent < 0.1, f"{backend} {pack}: {spent * 1e3:.1f} ms"
            slowest = max(slowest, spent)
    print(f"worst case: validation {validating * 1e3:.1f} ms, slowest decision "
          f"{slowest * 1e3:.1f} ms CPU")


def test_a_day_read_before_is_the_same_day_and_a_wrong_one_stays_wrong() -> None:
    doc = _dated([])
    doc["engagements"] = [{"start": "2019-10-01", "end": "2019-10-03"}] * 2
    first = parse_applicant(doc)
    again = parse_applicant(doc)
    assert first.engagements is not None and again.engagements is not None
    assert again.engagements[1].start == dt.date(2019, 10, 1)
    for wrong in ("2019-02-30", "1899-12-31", "2019-1-01"):
        for _ in range(2):
            with pytest.raises(ApplicantError):
                parse_applicant({**doc, "engagements": [{"start": wrong}]})
