"""Where one input of ``fundrules batch`` spends its time, against OpenFisca's reading.

Usage: python benchmarks/batch_stages.py [--n 5000] [--passes 5]

A French population from ``fundrules synth --seed 1 --country FR`` is put through the
stages of one batch input, each timed alone over the same lines (the stages alternate
within each of ``--passes`` passes; the best pass of each, microseconds per applicant):
the strict JSON read (``strict_json``: no repeated key, no NaN), validation
(``parse_applicant`` from the parsed mapping), the decision (``Engine.evaluate``, python
backend, French pack) and its record (``Decision.model_dump_json``). Beside them, what an
OpenFisca user pays per applicant before the vectorised formulas (``json.loads`` and
``fr_baselines.flatten_fr``), and a floor for any path that builds one pydantic object
per applicant: the same shape as the applicant schema declared with pydantic-core's own
types only (no Python validator, so fewer checks than the real schema), validated from
the JSON text. The population is written to a temporary folder and removed. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fr_baselines import flatten_fr

from fundrules import Engine
from fundrules.io._applicants import strict_json
from fundrules.schema import parse_applicant

__all__ = ["main"]

FR = "fr-netflix-audiens"


class _Shape(BaseModel):
    """Closed, frozen and strict, like the real models; no Python callback anywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_Count = Annotated[int, Field(ge=0, le=10**9)]
_Text = Annotated[str, Field(max_length=500)]


class _Money(_Shape):
    value: Decimal
    currency: str


class _Engagement(_Shape):
    production: _Text | None = None
    production_listed: bool | None = None
    sector: str | None = None
    contract: str | None = None
    registered: bool | None = None
    paid: bool | None = None
    netflix: bool | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    work_dates: tuple[dt.date, ...] | None = None
    days: _Count | None = None
    cachets: _Count | None = None
    outcome: str | None = None
    stop: dict[str, Any] | None = None
    days_remaining: _Count | None = None


class _Income(_Shape):
    period: str
    amount: _Money
    basis: str


class _Benefit(_Shape):
    scheme: str
    receiving: bool | None = None
    eligible: bool | None = None
    rights_opened: dt.date | None = None
    rights_ended: dt.date | None = None
    monthly: _Money | None = None


class _PriorAward(_Shape):
    fund: str
    year: int | None = None


class _ApplicantShape(_Shape):
    id: _Text
    submitted_at: dt.datetime
    call: str | None = None
    residence_country: str | None = None
    nationalities: tuple[str, ...] | None = None
    role: str | None = None
    status: str | None = None
    social_security: str | None = None
    unemployed: bool | None = None
    covid_hardship: bool | None = None
    shortfall_reason: str | None = None
    long_term_illness_months: _Count | None = None
    engagements: tuple[_Engagement, ...] | None = None
    income: tuple[_Income, ...] | None = None
    benefits: tuple[_Benefit, ...] | None = None
    prior_awards: tuple[_PriorAward, ...] | None = None
    needs: dict[str, Any] | None = None


def _rounds(stages: Sequence[tuple[Callable[[Any], Any], Sequence[Any]]], passes: int
            ) -> list[float]:
    """Each stage's best pass, µs per item.

    The stages alternate within every pass: a busy moment of the machine falls on all alike.
    """
    best = [float("inf")] * len(stages)
    for _ in range(passes):
        for i, (fn, items) in enumerate(stages):
            start = time.perf_counter()
            for x in items:
                fn(x)
            best[i] = min(best[i], (time.perf_counter() - start) / len(items) * 1e6)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="French applicants (default 5000)")
    ap.add_argument("--passes", type=int, default=5, help="passes per stage (best kept)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fr.jsonl"
        subprocess.run([sys.executable, "-m", "fundrules", "synth", "--n", str(args.n),
                        "--seed", "1", "--country", "FR", "--out", str(path)],
                       check=True, capture_output=True)
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    engine = Engine(backend="python")
    print(f"{len(lines):,} French applicants (`fundrules synth --seed 1 --country FR`), "
          f"µs per applicant, best of {args.passes} passes; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    mappings = [strict_json(line) for line in lines]
    applicants = [parse_applicant(m) for m in mappings]
    decisions = [engine.evaluate(a, pack=FR) for a in applicants]
    plain = [json.loads(line) for line in lines]
    read, validate, decide, record, loads, flatten, shape = _rounds([
        (strict_json, lines), (parse_applicant, mappings),
        (lambda a: engine.evaluate(a, pack=FR), applicants),
        (lambda d: d.model_dump_json(), decisions), (json.loads, lines),
        (flatten_fr, plain), (_ApplicantShape.model_validate_json, lines)], args.passes)
    rows = [
        ("fundrules: strict JSON read (`strict_json`)", read),
        ("fundrules: validation (`parse_applicant`, from the mapping)", validate),
        ("fundrules: decision (`Engine.evaluate`, python backend)", decide),
        ("fundrules: record (`Decision.model_dump_json`)", record),
        ("fundrules: the four stages", read + validate + decide + record),
        ("OpenFisca user: `json.loads`", loads),
        ("OpenFisca user: `flatten_fr` (lists reduced to figures)", flatten),
        ("OpenFisca user: both, before the vectorised formulas", loads + flatten),
        ("floor of one pydantic object per applicant: the schema's shape in "
         "pydantic-core types only, from the JSON text", shape),
    ]
    print("| stage | µs per applicant |\n|---|---:|")
    for label, micros in rows:
        print(f"| {label} | {micros:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
