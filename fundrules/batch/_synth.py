"""A deterministic synthetic population of applicants, for batch runs and impact analysis.

The mix of roles, statuses, sectors, engagements, incomes, benefits and submission times
is a modelling assumption (docs/batch.md gives every distribution), not data about real
applicants. It is made so that every pack sees eligible, ineligible and incomplete
applicants, money in the fund's currency and submissions spread over the 2020 call
windows (front-loaded, as applications rush in when a fund opens).

The windows are written here, not read from the packs: the population describes people,
so a policy change must not change it (``fundrules diff`` compares packs on one
population). Each applicant has its own random generator, seeded from the seed and its
index, so the same seed always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from fundrules.diagnostics import Diagnostic
from fundrules.errors import InvalidArgument

__all__ = ["COUNTRIES", "synthesize", "synthesize_lines"]

#: Countries with a population model (one fund each), in the order ``all`` rotates.
COUNTRIES: tuple[str, ...] = ("FR", "GB", "IT", "ES")

_Window = tuple[str, str, str, float]  # opens, closes (local), time zone, share of applicants
_WINDOWS: dict[str, tuple[_Window, ...]] = {
    "FR": (("2020-04-15T00:00", "2020-06-30T00:00", "Europe/Paris", 1.0),),
    "GB": (("2020-04-08T00:00", "2020-04-22T18:00", "Europe/London", 0.75),
           ("2020-09-21T00:00", "2020-10-13T00:00", "Europe/London", 0.25)),
    "IT": (("2020-05-28T12:00", "2020-06-12T00:00", "Europe/Rome", 0.65),
           ("2020-10-02T00:00", "2020-10-27T00:00", "Europe/Rome", 0.35)),
    "ES": (("2020-05-14T00:00", "2020-05-30T00:00", "Europe/Madrid", 1.0),),
}
_EARLY, _LATE = 0.01, 0.015  # shares submitted just before a window opens / after it closes
_UNKNOWN = 0.03  # chance that an optional answer is left out (unknown)
_FILM_TV = {"audiovisual_production": 30, "film_production": 28, "animation_production": 7,
            "post_production": 6, "tv_broadcast": 9, "live_performance": 9, "advertising": 6,
            "distribution": 2, "exhibition": 1, "other": 2}


class _Draw:
    """Small helpers over one applicant's random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weights: Mapping[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def day(self, first: str, last: str) -> dt.date:
        a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        return a + dt.timedelta(days=self.rng.randint(0, (b - a).days))

    def money(self, median: float, sigma: float, currency: str, step: int = 10
              ) -> dict[str, str]:
        """A log-normal amount rounded to ``step``: incomes and costs are skewed."""
        value = max(step, round(self.rng.lognormvariate(math.log(median), sigma) / step) * step)
        return {"value": f"{value}.00", "currency": currency}

    def known(self, record: dict[str, Any], key: str, value: object) -> None:
        """Set ``key`` unless this answer is left unknown."""
        if not self.chance(_UNKNOWN):
            record[key] = value

    def engagement(self, sectors: Mapping[str, float], contracts: Mapping[str, float],
                   first: str, last: str, length: tuple[int, int]) -> dict[str, Any]:
        start = self.day(first, last)
        span = self.rng.randint(*length)
        end = start + dt.timedelta(days=span - 1)
        job: dict[str, Any] = {"production": f"Production {self.rng.randint(1, 400)}"}
        self.known(job, "sector", self.pick(sectors))
        self.known(job, "contract", self.pick(contracts))
        job.update(start=start.isoformat(), end=end.isoformat())
        self.known(job, "days", self.rng.randint(max(1, span // 3), span))
        return job


def _submitted(d: _Draw, country: str) -> tuple[str, int]:
    """A submission time (ISO, local offset) and the index of its window."""
    windows = _WINDOWS[country]
    index = d.rng.choices(range(len(windows)), weights=[w[3] for w in windows])[0]
    opens, closes, tz, _ = windows[index]
    zone = ZoneInfo(tz)
    start = dt.datetime.fromisoformat(opens).replace(tzinfo=zone)
    end = dt.datetime.fromisoformat(closes).replace(tzinfo=zone)
    seconds = (end - start).total_seconds()
    roll = d.rng.random()
    if roll < _EARLY:
        at = start - dt.timedelta(seconds=d.rng.uniform(60, 3 * 86400))
    elif roll < _EARLY + _LATE:
        at = end + dt.timedelta(seconds=d.rng.uniform(0, 3 * 86400))
    else:
        at = start + dt.timedelta(seconds=seconds * d.rng.random() ** 1.8)
    utc = at.astimezone(dt.UTC).replace(microsecond=0)
    return utc.astimezone(zone).isoformat(), index


def _france(d: _Draw, a: dict[str, Any]) -> None:
    a["status"] = d.pick({"intermittent": 82, "employee": 6, "freelancer": 5,
                          "self_employed": 5, "company_director": 2})
    a["role"] = d.pick({"technician": 50, "artist": 38, "both": 12})
    benefits = []
    if a["status"] == "intermittent":
        scheme = {"technician": "fr-annexe-8", "artist": "fr-annexe-10"}.get(
            a["role"], d.pick({"fr-annexe-8": 1, "fr-annexe-10": 1}))
        receiving = d.chance(0.2)
        opened = d.day("2019-01-01", "2019-12-31") if d.chance(0.3) else d.day(
            "2018-01-01", "2018-12-31")
        benefit: dict[str, Any] = {"scheme": scheme, "receiving": receiving,
                                   "rights_opened": opened.isoformat()}
        if not receiving:
            ended = d.day("2020-01-01", "2020-04-10") if d.chance(0.8) else d.day(
                "2019-06-01", "2019-12-31")
            benefit["rights_ended"] = max(ended, opened).isoformat()
        benefits.append(benefit)
    d.known(a, "benefits", benefits)
    jobs = []
    for _ in range(d.rng.randint(1, 6)):
        job = d.engagement(_FILM_TV, {"cddu": 75, "cdd": 12, "freelance": 6, "permanent": 3,
                                      "none": 4}, "2019-08-15", "2020-02-20", (2, 25))
        if a["role"] != "technician" and d.chance(0.7):
            job["cachets"] = d.rng.randint(1, 8)
        jobs.append(job)
    a["engagements"] = jobs
    d.known(a, "income", [{"period": "2019", "amount": d.money(16000, 0.45, "EUR"),
                           "basis": "gross"}])
    d.known(a, "covid_hardship", d.chance(0.92))
    d.known(a, "prior_awards", [{"fund": "fr-netflix-audiens"}] if d.chance(0.02) else [])


def _britain(d: _Draw, a: dict[str, Any], window: int) -> None:
    a["status"] = d.pick({"freelancer": 55, "self_employed": 20, "employee": 14,
                          "company_director": 8, "intermittent": 3})
    a["role"] = d.pick({"technician": 68, "both": 14, "artist": 18})
    first, last = ("2019-09-15", "2020-03-20") if window == 0 else ("2019-04-01", "2020-09-01")
    jobs = []
    for _ in range(d.rng.randint(1, 7)):
        job = d.engagement(_FILM_TV, {"freelance": 60, "fixed_term": 25, "self_employed": 10,
                                      "permanent": 5}, first, last, (5, 40))
        d.known(job, "paid", d.chance(0.96))
        jobs.append(job)
    if d.chance(0.08):
        a["shortfall_reason"] = d.pick({"maternity": 3, "illness": 3, "caring": 2, "other": 2})
        start = d.day("2020-02-20", "2020-05-10")
        jobs.append({"production": "Cancelled booking", "sector": "tv_broadcast",
                     "paid": False, "start": start.isoformat(), "end": start.isoformat(),
                     "days": 0,
                     "outcome": "cancelled", "stop": {"date": "2020-03-16", "cause": "covid"}})
    a["engagements"] = jobs
    benefits: list[dict[str, Any]] = []
    if a["status"] in ("freelancer", "self_employed") and d.chance(0.4):
        benefits.append({"scheme": "uk-seiss", "eligible": d.chance(0.6),
                         "monthly": d.money(700, 0.5, "GBP")})
    elif a["status"] in ("employee", "company_director") and d.chance(0.5):
        benefits.append({"scheme": "uk-jrs", "receiving": d.chance(0.7),
                         "monthly": d.money(900, 0.5, "GBP")})
    d.known(a, "benefits", benefits)
    d.known(a, "covid_hardship", d.chance(0.9))
    d.known(a, "income", [{"period": "2019-20", "amount": d.money(26000, 0.45, "GBP"),
                           "basis": "gross"}])
    needs: dict[str, Any] = {}
    d.known(needs, "monthly_essential_costs", d.money(1600, 0.35, "GBP"))
    d.known(needs, "expected_income_6m", d.money(2500, 1.0, "GBP"))
    d.known(needs, "savings", d.money(2500, 1.1, "GBP"))
    if d.chance(0.9):
        a["needs"] = needs
    d.known(a, "prior_awards", [])  # the ERF pays one award a person: none had one yet


def _italy(d: _Draw, a: dict[str, Any], window: int) -> None:
    a["status"] = d.pick({"employee": 45, "freelancer": 35, "self_employed": 15,
                          "intermittent": 5})
    a["role"] = d.pick({"technician": 82, "both": 11, "artist": 7})
    first = "2020-02-24" if window else "2020-03-01"
    jobs = []
    for n in range(d.rng.randint(1, 3)):
        job = d.engagement({"film_production": 45, "audiovisual_production": 45,
                            "advertising": 5, "other": 5}, {"fixed_term": 85, "freelance": 15},
                           first if n == 0 else "2019-12-01", "2020-03-28", (4, 45))
        main = n == 0  # the production that brought the worker to apply
        d.known(job, "production_listed", d.chance(0.96 if main else 0.5))
        d.known(job, "registered", d.chance(0.96 if main else 0.8))
        d.known(job, "netflix", d.chance(0.1))
        outcome = d.pick({"interrupted": 72, "postponed": 25, "completed": 3} if main else
                         {"interrupted": 30, "postponed": 10, "completed": 60})
        job["outcome"] = outcome
        if outcome != "completed":
            stopped = job["start"] if outcome == "postponed" else min(max(
                d.day("2020-03-05", "2020-03-16").isoformat(), job["start"]), job["end"])
            job["stop"] = {"date": stopped, "cause": "covid" if d.chance(0.96) else "other"}
        d.known(job, "days_remaining", 0 if outcome == "completed" else d.rng.randint(1, 40))
        jobs.append(job)
    a["engagements"] = jobs
    paid = window == 1 and d.chance(0.1)
    d.known(a, "prior_awards", [{"fund": "it-ifc-netflix", "call": "call-1",
                                 "amount": {"value": "800.00", "currency": "EUR"}}]
            if paid else [])
    d.known(a, "income", [{"period": "2019", "amount": d.money(19000, 0.45, "EUR"),
                           "basis": "gross"}])
    d.known(a, "covid_hardship", d.chance(0.9))


def _spain(d: _Draw, a: dict[str, Any]) -> None:
    if d.chance(0.12):
        a["nationalities"] = [d.pick({"AR": 3, "FR": 2, "IT": 2, "MX": 2, "CO": 2, "GB": 1})]
    a["status"] = d.pick({"employee": 35, "self_employed": 30, "freelancer": 30, "intermittent": 5})
    a["role"] = d.pick({"artist": 45, "technician": 40, "both": 15})
    a["social_security"] = d.pick({"es-general": 35, "es-general-artists": 35,
                                   "es-self-employed": 25, "other": 5})
    d.known(a, "unemployed", d.chance(0.85))
    jobs = []
    for n in range(d.rng.randint(1, 6)):
        job = d.engagement(_FILM_TV, {"fixed_term": 60, "self_employed": 25, "freelance": 15},
                           "2020-01-10" if n == 0 else "2019-03-01", "2020-03-12", (5, 50))
        d.known(job, "registered", d.chance(0.9))
        if n == 0 and d.chance(0.85):
            job["outcome"] = d.pick({"interrupted": 55, "postponed": 25, "cancelled": 20})
            job["stop"] = {"date": "2020-03-14", "cause": "covid" if d.chance(0.95) else "other"}
        jobs.append(job)
    a["engagements"] = jobs
    benefits: list[dict[str, Any]] = []
    if d.chance(0.45):
        benefits.append({"scheme": "es-unemployment", "receiving": True,
                         "monthly": d.money(800, 0.3, "EUR")})
    d.known(a, "benefits", benefits)
    d.known(a, "income", [{"period": "2019", "amount": d.money(13000, 0.5, "EUR"),
                           "basis": "gross"}])
    d.known(a, "covid_hardship", d.chance(0.9))
    if d.chance(0.05):
        a["long_term_illness_months"] = d.rng.randint(3, 12)


def _applicant(seed: int, index: int, country: str | None) -> dict[str, Any]:
    d = _Draw(random.Random(f"fundrules-synth:{seed}:{index}"))
    cc = country or d.rng.choice(COUNTRIES)
    submitted, window = _submitted(d, cc)
    a: dict[str, Any] = {"id": f"syn-{cc.lower()}-{seed}-{index:07d}", "submitted_at": submitted}
    a["residence_country"] = cc if d.chance(0.95) else d.pick(
        {c: 1 for c in ("FR", "GB", "IT", "ES", "DE", "BE", "PT") if c != cc})
    a["nationalities"] = [cc if d.chance(0.9) else d.pick({"DE": 1, "BE": 1, "PT": 1, "US": 1})]
    if cc == "FR":
        _france(d, a)
    elif cc == "GB":
        _britain(d, a, window)
    elif cc == "IT":
        _italy(d, a, window)
    else:
        _spain(d, a)
    return a


def synthesize(n: int, seed: int, country: str | None = None) -> Iterator[dict[str, Any]]:
    """``n`` valid applicants (plain dicts, ready for JSON), the same for the same seed.

    ``country`` is one of :data:`COUNTRIES`, or ``None`` for a mix of all four.
    """
    if country is not None and country not in COUNTRIES:
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"country must be one of {', '.join(COUNTRIES)}, not {country!r}",
            hint="pass country=None for every country", path="country")])
    if n < 0:
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"n must be 0 or more, not {n}", hint="pass a whole number",
            path="n")])
    for index in range(n):
        yield _applicant(seed, index, country)


def synthesize_lines(n: int, seed: int, country: str | None = None) -> Iterator[str]:
    """The population as JSON Lines text (each line ends with a newline)."""
    for applicant in synthesize(n, seed, country):
        yield json.dumps(applicant, ensure_ascii=False, separators=(",", ":")) + "\n"
