"""Applicants for the benchmarks: the packs' YAML test cases plus seeded generated ones.

Both kinds are kept twice: as the plain document (what a service receives: JSON types,
dates as ISO strings) and as a pre-validated :class:`fundrules.Applicant`, so that the
fundrules rows measure evaluation, not parsing, while the baselines get plain dicts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from fundrules import Applicant, FundrulesError, parse_applicant
from fundrules.testing.cases import load_cases

__all__ = ["ROOT", "Sample", "generated_documents", "samples"]

ROOT = Path(__file__).resolve().parent.parent
_CASES = ROOT / "policies" / "tests"

_SECTORS = ["audiovisual_production", "film_production", "animation_production",
            "post_production", "tv_broadcast", "live_performance", "festival", "other"]
_CONTRACTS = ["cdd", "cddu", "fixed_term", "permanent", "freelance", "self_employed"]
_SCHEMES = ["fr-annexe-8", "fr-annexe-10", "es-unemployment", "uk-seiss", "uk-jrs", "other"]
_STATUSES = ["intermittent", "employee", "freelancer", "self_employed", "company_director"]
_COUNTRY = {"fr": ("FR", "EUR", "+02:00"), "uk": ("GB", "GBP", "+01:00"),
            "it": ("IT", "EUR", "+02:00"), "es": ("ES", "EUR", "+02:00")}


@dataclasses.dataclass(frozen=True)
class Sample:
    """One applicant for one pack: the plain document and the validated model."""

    pack: str
    document: dict[str, Any]
    applicant: Applicant
    origin: str  # "case" or "generated"


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    """YAML cases may hold dates as objects or numbers as ints: give what JSON would."""
    result: dict[str, Any] = json.loads(json.dumps(doc, default=str))
    return result


def _maybe(rng: random.Random, value: Any, p_absent: float = 0.1) -> Any:
    return None if rng.random() < p_absent else value


def _engagement(rng: random.Random) -> dict[str, Any]:
    start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 500))
    length = rng.randrange(1, 90)
    end = start + dt.timedelta(days=length - 1)
    eng: dict[str, Any] = {
        "production": f"prod-{rng.randrange(1000)}",
        "sector": _maybe(rng, rng.choice(_SECTORS)),
        "contract": _maybe(rng, rng.choice(_CONTRACTS)),
        "start": start.isoformat(), "end": end.isoformat(),
        "production_listed": _maybe(rng, rng.random() < 0.5),
        "registered": _maybe(rng, rng.random() < 0.8),
        "paid": _maybe(rng, rng.random() < 0.8),
        "netflix": _maybe(rng, rng.random() < 0.1),
    }
    if rng.random() < 0.2:
        days = sorted(rng.sample(range(length), min(length, rng.randrange(1, 20))))
        eng["work_dates"] = [(start + dt.timedelta(days=d)).isoformat() for d in days]
        eng["days"] = len(days)
    else:
        eng["days"] = _maybe(rng, rng.randrange(0, length + 1))
        eng["cachets"] = _maybe(rng, rng.randrange(0, 15), 0.6)
    if rng.random() < 0.3:
        stop = start + dt.timedelta(days=rng.randrange(length))
        eng["outcome"] = rng.choice(["interrupted", "postponed", "cancelled"])
        eng["stop"] = {"date": stop.isoformat(), "cause": rng.choice(["covid", "other"])}
        eng["days_remaining"] = rng.randrange(0, 60)
    return {k: v for k, v in eng.items() if v is not None}


def _document(rng: random.Random, pack: str, i: int) -> dict[str, Any]:
    country, currency, offset = _COUNTRY.get(pack[:2], ("FR", "EUR", "+02:00"))
    when = dt.datetime(2020, 3, 20) + dt.timedelta(hours=rng.randrange(0, 24 * 200))
    opened = dt.date(2018, 6, 1) + dt.timedelta(days=rng.randrange(0, 600))
    doc: dict[str, Any] = {
        "id": f"gen-{pack}-{i}",
        "submitted_at": when.isoformat() + offset,
        "residence_country": _maybe(rng, country),
        "nationalities": _maybe(rng, [country]),
        "role": _maybe(rng, rng.choice(["artist", "technician", "both"])),
        "status": _maybe(rng, rng.choice(_STATUSES)),
        "unemployed": _maybe(rng, rng.random() < 0.5),
        "covid_hardship": _maybe(rng, rng.random() < 0.8),
        "engagements": [_engagement(rng) for _ in range(rng.randrange(0, 6))],
        "income": [{"period": rng.choice(["2019", "2018", "2019-20"]),
                    "amount": {"value": f"{rng.randrange(0, 60000)}.{rng.randrange(100):02d}",
                               "currency": currency},
                    "basis": rng.choice(["gross", "net", "profit"])}
                   for _ in range(rng.randrange(0, 3))],
        "benefits": [{"scheme": rng.choice(_SCHEMES), "receiving": rng.random() < 0.4,
                      "rights_opened": opened.isoformat(),
                      "rights_ended": (opened + dt.timedelta(days=rng.randrange(0, 400))
                                       ).isoformat()}
                     for _ in range(rng.randrange(0, 3))],
        "prior_awards": [{"fund": rng.choice([pack, "other-fund"])}
                         for _ in range(rng.randrange(0, 2))],
    }
    if pack.startswith("uk"):
        doc["shortfall_reason"] = _maybe(rng, rng.choice(["maternity", "illness", "other"]), 0.7)
    if pack.startswith("es"):
        doc["social_security"] = _maybe(rng, rng.choice(
            ["es-general", "es-general-artists", "es-self-employed", "other"]))
        doc["long_term_illness_months"] = _maybe(rng, rng.randrange(0, 12), 0.7)
    return {k: v for k, v in doc.items() if v is not None}


def generated_documents(pack: str, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` valid plain applicant documents aimed at ``pack`` (same seed, same list)."""
    rng = random.Random(f"{seed}-{pack}")
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < n:
        doc = _document(rng, pack, i)
        i += 1
        try:
            parse_applicant(doc)
        except FundrulesError:
            continue
        out.append(doc)
    return out


def samples(packs: list[str], generated: int = 100) -> dict[str, list[Sample]]:
    """Per pack: the valid applicants of its YAML cases, then ``generated`` generated ones."""
    result: dict[str, list[Sample]] = {}
    for pack in packs:
        found: list[Sample] = []
        case_file = _CASES / f"{pack}.yaml"
        if case_file.is_file():
            for case in load_cases(case_file):
                try:
                    found.append(Sample(pack, _jsonable(case.applicant),
                                        parse_applicant(case.applicant), "case"))
                except FundrulesError:
                    continue  # a case about invalid input: nothing to evaluate
        for doc in generated_documents(pack, generated):
            found.append(Sample(pack, doc, parse_applicant(doc), "generated"))
        result[pack] = found
    return result
