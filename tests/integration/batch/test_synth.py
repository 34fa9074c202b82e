"""The synthetic population: deterministic, valid, and a realistic mix for every fund."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from fundrules import Engine, parse_applicant
from fundrules.batch import COUNTRIES, synthesize, synthesize_lines
from fundrules.cli import main

FUNDS = {"FR": "fr-netflix-audiens", "GB": "uk-film-tv-charity", "IT": "it-ifc-netflix",
         "ES": "es-academia-netflix"}
CURRENCY = {"FR": "EUR", "GB": "GBP", "IT": "EUR", "ES": "EUR"}


def test_the_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["synth", "--n", "300", "--seed", "42", "--out", str(first)]) == 0
    assert main(["synth", "--n", "300", "--seed", "42", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().count("\n") == 300
    assert "".join(synthesize_lines(300, 43)) != first.read_text()
    # a prefix of a larger population is the smaller one: each applicant has its own draws
    assert "".join(synthesize_lines(500, 42)).startswith(first.read_text())


@pytest.mark.parametrize("country", COUNTRIES)
def test_applicants_are_valid_and_in_the_country_s_currency(country: str) -> None:
    people = list(synthesize(250, 5, country))
    assert len({p["id"] for p in people}) == 250
    for data in people:
        person = parse_applicant(data)
        assert person.submitted_at.utcoffset() is not None
        amounts = [i.amount for i in person.income or ()]
        amounts += [b.monthly for b in person.benefits or () if b.monthly]
        assert {m.currency for m in amounts} <= {CURRENCY[country]}


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_fund_sees_every_outcome(python_engine: Engine, country: str) -> None:
    decisions = python_engine.evaluate_many(synthesize(400, 8, country), FUNDS[country])
    outcomes = Counter(d.outcome for d in decisions)
    assert set(outcomes) == {"eligible", "ineligible", "incomplete"}
    assert min(outcomes.values()) >= 20  # at least 5% each


@pytest.mark.parametrize("country", COUNTRIES)
def test_submissions_fall_mostly_inside_the_fund_s_windows(python_engine: Engine,
                                                           country: str) -> None:
    decisions = list(python_engine.evaluate_many(synthesize(400, 9, country), FUNDS[country]))
    window = Counter(r.status for d in decisions for r in d.reasons if r.rule == "window")
    assert 0 < window["unmet"] <= 0.05 * 400  # a few late or early, as in real life
    calls = Counter(d.call for d in decisions)
    assert len(calls) == len(python_engine.pack(FUNDS[country]).calls)


def test_submission_times_rush_in_when_a_fund_opens() -> None:
    times = sorted(parse_applicant(a).submitted_at for a in synthesize(400, 3, "ES"))
    opens = dt.datetime(2020, 5, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    first_week = sum(opens <= t < opens + dt.timedelta(days=7) for t in times)
    assert first_week > 0.6 * len(times)


def test_mixed_population_covers_all_countries() -> None:
    countries = Counter(json.loads(line)["id"].split("-")[1]
                        for line in synthesize_lines(400, 1))
    assert set(countries) == {"fr", "gb", "it", "es"}
    assert min(countries.values()) > 60


def test_cli_rejects_an_unknown_country(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--n", "3", "--seed", "1", "--country", "DE"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["synth", "--n", "2", "--seed", "1", "--country", "it"]) == 0
    assert all('"syn-it-' in line for line in capsys.readouterr().out.splitlines())
