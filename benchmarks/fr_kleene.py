"""The three-valued floor: the French decision hand-specialised, absent = unknown (Kleene).

What fundrules' Decision says, written by hand for one pack and nothing else: the outcome
(eligible, ineligible or incomplete), the award, every criterion's status (met, unmet or
unknown) and the applicant field paths whose absence leaves the outcome open. It reads a
validated :class:`fundrules.Applicant` (its pydantic model is the input format, as for
the python backend) and uses no other fundrules code. Measures over lists are intervals:
an item whose filter is unknown may or may not count; an engagement that straddles the
activity window without ``work_dates`` contributes what its calendar allows (at most one
day a day; cachets between none and all).

``benchmarks/baselines.py`` checks it equal to fundrules' Decision on every applicant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

__all__ = ["FloorDecision", "kleene_fr"]

MET, UNMET, UNKNOWN = "met", "unmet", "unknown"
_OPENS = int(dt.datetime(2020, 4, 14, 22, 0, tzinfo=dt.UTC).timestamp())
_FIRST, _LAST = dt.date(2019, 9, 1).toordinal(), dt.date(2020, 2, 29).toordinal()
_LOST_SINCE = dt.date(2020, 1, 1)
_OPENED_FROM, _OPENED_TO = dt.date(2019, 1, 1), dt.date(2019, 12, 31)
_SECTORS = frozenset(("audiovisual_production", "film_production", "animation_production"))
_CONTRACTS = frozenset(("cdd", "cddu"))
_ANNEX = frozenset(("fr-annexe-8", "fr-annexe-10"))
_PACK = "fr-netflix-audiens"
_CEILING = 1_500_000  # cents
_AWARD = {True: 900, False: 500}

_Bound = int | None


class FloorDecision(NamedTuple):
    """Outcome, award (whole euros or None), (rule, status) per criterion, missing paths."""

    outcome: str
    award: int | None
    reasons: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


def _ge(lo: _Bound, hi: _Bound, c: int) -> str:
    if lo is not None and lo >= c:
        return MET
    return UNMET if hi is not None and hi < c else UNKNOWN


def _eq0(lo: _Bound, hi: _Bound) -> str:
    if lo == 0 and hi == 0:
        return MET
    return UNMET if (lo is not None and lo > 0) or (hi is not None and hi < 0) else UNKNOWN


def _and(*statuses: str) -> str:
    if UNMET in statuses:
        return UNMET
    return UNKNOWN if UNKNOWN in statuses else MET


def _benefits(items: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """[lo, hi, missing] of: benefits received, rights lost in 2020, rights opened in 2019."""
    if items is None:
        return ([0, None, ["benefits"]], [0, None, ["benefits"]], [0, None, ["benefits"]])
    received: list[Any] = [0, 0, []]
    lost: list[Any] = [0, 0, []]
    opened: list[Any] = [0, 0, []]
    for i, b in enumerate(items):
        if b.scheme not in _ANNEX:
            continue
        for acc, value, field in ((received, b.receiving, "receiving"),
                                  (lost, b.rights_ended, "rights_ended"),
                                  (opened, b.rights_opened, "rights_opened")):
            if value is None:  # may or may not count
                acc[1] += 1
                acc[2].append(f"benefits[{i}].{field}")
                continue
            if acc is received:
                hit = value is True
            elif acc is lost:
                hit = value >= _LOST_SINCE
            else:
                hit = _OPENED_FROM <= value <= _OPENED_TO
            if hit:
                acc[0] += 1
                acc[1] += 1
    return received, lost, opened


def _units(items: Any) -> tuple[_Bound, _Bound, list[str]]:
    """Days or cachets in the activity window: (lo, hi, missing)."""
    if items is None:
        return 0, None, ["engagements"]
    lo: _Bound = 0
    hi: _Bound = 0
    missing: list[str] = []
    for i, e in enumerate(items):
        path = f"engagements[{i}]"
        sector, contract = e.sector, e.contract
        if (sector is not None and sector not in _SECTORS) or (
                contract is not None and contract not in _CONTRACTS):
            continue
        unknown = sector is None or contract is None
        gaps = [f"{path}.{n}" for n, v in (("sector", sector), ("contract", contract))
                if v is None]
        dates, start, end = e.work_dates, e.start, e.end
        share: tuple[int, int] | None
        if dates:
            inside = sum(1 for d in dates if _FIRST <= d.toordinal() <= _LAST)
            if not inside:
                continue
            share = (inside, len(dates) - inside)
        elif start is None or end is None:
            share, unknown = None, True
            gaps += [f"{path}.{n}" for n, v in (("start", start), ("end", end)) if v is None]
        else:
            s, t = start.toordinal(), end.toordinal()
            inside = max(0, min(t, _LAST) - max(s, _FIRST) + 1)
            if not inside:
                continue
            share = (inside, t - s + 1 - inside)
        missing += gaps
        days, cachets = e.days, e.cachets
        given = [v for v in (days, cachets) if v is not None]
        v_lo: _Bound
        v_hi: _Bound
        if given:
            v_lo = v_hi = max(given)
        else:
            v_lo, v_hi = 0, None
            missing += [f"{path}.days", f"{path}.cachets"]
        if share is not None and share[1]:
            inside, outside = share
            if given:
                los = [v for v in (max(0, days - outside) if days is not None else None,
                                   0 if cachets is not None else None) if v is not None]
                his = [v for v in (min(days, inside) if days is not None else None,
                                   cachets) if v is not None]
                v_lo, v_hi = max(los), max(his)
            if v_lo != v_hi:  # straddles the window: which part lies inside?
                missing.append(f"{path}.cachets" if dates else f"{path}.work_dates")
        if unknown:  # it may not count at all
            v_lo = min(0, v_lo) if v_lo is not None else None
            v_hi = max(0, v_hi) if v_hi is not None else None
        lo = None if lo is None or v_lo is None else lo + v_lo
        hi = None if hi is None or v_hi is None else hi + v_hi
    return lo, hi, missing


def _income(items: Any) -> tuple[_Bound, list[str]]:
    """2019 gross income in cents, or None with what is missing."""
    if items is None:
        return None, ["income"]
    total, found = 0, False
    for i, entry in enumerate(items):
        if entry.period != "2019" or entry.basis != "gross":
            continue
        found = True
        if entry.amount.currency != "EUR":
            return None, [f"income[{i}].amount"]
        total += int(entry.amount.value * 100)
    if not found and items:
        return None, ["income"]
    return total, []


def _dedup(paths: list[str]) -> list[str]:
    return list(dict.fromkeys(paths))


def kleene_fr(a: Any) -> FloorDecision:
    """The decision for one validated applicant."""
    window = MET if int(a.submitted_at.timestamp()) >= _OPENS else UNMET
    c1 = UNKNOWN if a.status is None else MET if a.status == "intermittent" else UNMET
    received, lost, opened = _benefits(a.benefits)
    c2a = _ge(lost[0], lost[1], 1)
    c2b = _eq0(opened[0], opened[1])
    c2_received = _eq0(received[0], received[1])
    either = MET if MET in (c2a, c2b) else UNMET if c2a == c2b == UNMET else UNKNOWN
    c2 = _and(c2_received, either)
    u_lo, u_hi, u_missing = _units(a.engagements)
    c3 = _ge(u_lo, u_hi, 12)
    hardship = a.covid_hardship
    c4 = UNKNOWN if hardship is None else MET if hardship else UNMET
    if a.prior_awards is None:
        nr, nr_missing = UNKNOWN, ["prior_awards"]
    else:
        nr = MET if all(p.fund != _PACK for p in a.prior_awards) else UNMET
        nr_missing = []
    income, income_missing = _income(a.income)
    tier = UNKNOWN if income is None else MET if income <= _CEILING else UNMET
    reasons = (("window", window), ("FR-C1", c1), ("FR-C2a", c2a), ("FR-C2b", c2b),
               ("FR-C2", c2), ("FR-C3", c3), ("FR-C4", c4), ("FR-NR", nr),
               ("FR-AWARD-900", tier))
    eligible = _and(window, c1, c2, c3, c4, nr)
    if eligible == UNMET:
        return FloorDecision("ineligible", None, reasons, ())
    if eligible == MET:
        if tier == UNKNOWN:
            return FloorDecision("incomplete", None, reasons, tuple(_dedup(income_missing)))
        return FloorDecision("eligible", _AWARD[tier == MET], reasons, ())
    missing: list[str] = []
    if c1 == UNKNOWN:
        missing.append("status")
    if c2 == UNKNOWN:
        if c2_received == UNKNOWN:
            missing += _dedup(received[2])
        if either == UNKNOWN:
            if c2a == UNKNOWN:
                missing += _dedup(lost[2])
            if c2b == UNKNOWN:
                missing += _dedup(opened[2])
    if c3 == UNKNOWN:
        missing += _dedup(u_missing)
    if c4 == UNKNOWN:
        missing.append("covid_hardship")
    if nr == UNKNOWN:
        missing += nr_missing
    return FloorDecision("incomplete", None, reasons, tuple(_dedup(missing)))
