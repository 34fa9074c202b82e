"""Allocation: the budget and max_awards are never exceeded, and each mode is fair."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from fundrules import Applicant, Decision, Engine, PackError, parse_applicant
from fundrules.batch import Allocation, allocate, monthly_need, synthesize
from fundrules.cli import main
from fundrules.policies.pack import Pack, load_pack_text
from fundrules.testing.cases import load_cases
from tests.conftest import PACKS


def _decided(engine: Engine, path: Path, pack: str) -> list[tuple[Decision, Applicant]]:
    people = [parse_applicant(json.loads(line)) for line in path.read_text().splitlines()
              if line.strip()]
    return list(zip(engine.evaluate_many(people, pack), people, strict=True))


@pytest.fixture(scope="module")
def italy(engine: Engine, it_population: Path) -> list[tuple[Decision, Applicant]]:
    return _decided(engine, it_population, "it-ifc-netflix")


@pytest.fixture(scope="module")
def spain(engine: Engine, es_population: Path) -> list[tuple[Decision, Applicant]]:
    return _decided(engine, es_population, "es-academia-netflix")


def test_italy_funds_at_most_1250_people_and_never_exceeds_one_million(
        engine: Engine, italy: list[tuple[Decision, Applicant]]) -> None:
    result = allocate(italy, engine.pack("it-ifc-netflix"))
    eligible = [a for d, a in italy if d.outcome == "eligible"]
    assert len(eligible) > 1250  # the cap is really tested: more people qualify than it allows
    assert result.mode == "first_come_first_served"
    assert result.funded <= 1250
    assert result.committed_max == result.committed_min <= Decimal("1000000")
    funded = [g for g in result.grants if g.funded]
    assert sum(g.amount or 0 for g in funded) == result.committed_max
    assert {g.amount for g in funded} == {Decimal("800.00")}
    assert result.funded + result.unfunded == len(eligible)
    assert result.total == len(italy)


def test_first_come_first_served_funds_the_earliest(
        engine: Engine, italy: list[tuple[Decision, Applicant]]) -> None:
    result = allocate(italy, engine.pack("it-ifc-netflix"), budget=200_000)
    assert result.funded == 250 and result.committed_max == Decimal("200000.00")
    last_funded = max((g.submitted_at, g.applicant) for g in result.grants if g.funded)
    first_unfunded = min((g.submitted_at, g.applicant) for g in result.grants if not g.funded)
    assert last_funded < first_unfunded
    assert {g.note for g in result.grants if not g.funded} == {"budget spent"}


def test_the_fund_closes_at_the_first_award_that_does_not_fit(engine: Engine) -> None:
    """900 and 500 EUR awards: once one does not fit, no later (smaller) one jumps the queue."""
    pack = engine.pack("fr-netflix-audiens")
    people = [parse_applicant(a) for a in synthesize(600, 21, "FR")]
    pairs = list(zip(engine.evaluate_many(people, pack.id), people, strict=True))
    result = allocate(pairs, pack, budget="10000")
    ranks = [g.funded for g in result.grants]
    assert True in ranks and False in ranks
    assert ranks == sorted(ranks, reverse=True)  # funded ones first, then none
    assert result.committed_max <= Decimal(10000)
    assert result.remaining == Decimal(10000) - result.committed_max


def test_spanish_shares_sum_to_at_most_the_budget_and_differ_by_at_most_a_cent(
        engine: Engine, spain: list[tuple[Decision, Applicant]]) -> None:
    result = allocate(spain, engine.pack("es-academia-netflix"))
    shares = [g.amount for g in result.grants if g.funded]
    assert result.mode == "budget_share" and len(shares) > 100
    assert all(s is not None for s in shares)
    amounts = [s for s in shares if s is not None]
    assert sum(amounts) == result.committed_max <= Decimal("1000000")
    assert max(amounts) - min(amounts) <= Decimal("0.01")
    assert result.share == min(amounts)
    assert result.remainder == Decimal("1000000") - sum(amounts)
    assert Decimal(0) <= result.remainder < Decimal("0.01") * len(amounts)
    assert result.unfunded == 0


def test_counts_and_unmet_criteria(engine: Engine,
                                   spain: list[tuple[Decision, Applicant]]) -> None:
    result = allocate(spain, engine.pack("es-academia-netflix"), invalid=3)
    outcomes = [d.outcome for d, _ in spain]
    assert (result.funded, result.ineligible, result.incomplete) == (
        outcomes.count("eligible"), outcomes.count("ineligible"), outcomes.count("incomplete"))
    assert result.total == len(spain) + 3
    counts = [c.count for c in result.unmet]
    assert counts == sorted(counts, reverse=True) and len(counts) <= 5
    top = result.unmet[0]
    assert top.count == sum(1 for d, _ in spain if d.outcome == "ineligible" and any(
        r.rule == top.rule and r.status == "unmet" for r in d.reasons))


def _uk(engine: Engine, n: int) -> list[tuple[Decision, Applicant]]:
    people = [parse_applicant(a) for a in synthesize(n, 31, "GB")]
    return list(zip(engine.evaluate_many(people, "uk-film-tv-charity"), people, strict=True))


def test_needs_assessed_ranks_by_declared_need_and_holds_the_maximum(engine: Engine) -> None:
    pairs = _uk(engine, 800)
    result = allocate(pairs, engine.pack("uk-film-tv-charity"), budget=Decimal("100000"))
    assert result.mode == "needs_assessed"
    needs = [g.need for g in result.grants]
    declared = [n for n in needs if n is not None]
    assert declared == sorted(declared, reverse=True)
    assert needs[: len(declared)] == declared  # undeclared need comes after every declared one
    assert result.committed_min < result.committed_max <= Decimal("100000")
    for grant in result.grants:
        if grant.call == "recovery-2020":  # GBP 750 a month for 6 months
            assert grant.amount == Decimal("4500.00")
        else:
            assert (grant.min, grant.max) == (Decimal("500.00"), Decimal("2500.00"))


def test_monthly_need_is_costs_less_a_sixth_of_expected_income() -> None:
    base = {"id": "n", "submitted_at": "2020-04-10T10:00:00+01:00"}
    money = lambda v, c="GBP": {"value": v, "currency": c}  # noqa: E731
    person = parse_applicant({**base, "needs": {"monthly_essential_costs": money("1500"),
                                                "expected_income_6m": money("3001")}})
    assert monthly_need(person, "GBP") == Decimal("999.83")
    assert monthly_need(person, "EUR") is None  # never converted
    partial = parse_applicant({**base, "needs": {"monthly_essential_costs": money("1500")}})
    assert monthly_need(partial, "GBP") is None  # unknown income is not zero


def test_budget_share_needs_a_budget(engine: Engine) -> None:
    text = (PACKS / "es-academia-netflix.yaml").read_text(encoding="utf-8")
    pack = load_pack_text(text.replace("budget: 1000000\n", ""), file="es-no-budget.yaml")
    with pytest.raises(PackError) as caught:
        allocate([], pack)
    assert caught.value.diagnostics[0].code == "missing-key"
    assert allocate([], pack, budget=100).funded == 0


def test_decisions_of_another_pack_are_refused(engine: Engine,
                                               spain: list[tuple[Decision, Applicant]]) -> None:
    with pytest.raises(ValueError, match="es-academia-netflix"):
        allocate(spain[:3], engine.pack("it-ifc-netflix"))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["allocate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_text_json_and_csv_agree(it_population: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = _run(capsys, str(it_population), "--pack", "it-ifc-netflix", "--jobs", "2")
    assert code == 0
    assert "1,250 funded" in text and "of 1,000,000.00 EUR" in text
    code, out, _ = _run(capsys, str(it_population), "--pack", "it-ifc-netflix",
                        "--format", "json", "--jobs", "1")
    data = Allocation.model_validate_json(out)
    assert code == 0 and data.funded == 1250 and data.total == 2000
    code, out, _ = _run(capsys, str(it_population), "--pack", "it-ifc-netflix",
                        "--format", "csv", "--budget", "8000", "--jobs", "1")
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0][:5] == ["rank", "applicant", "call", "submitted_at", "funded"]
    assert [r[4] for r in rows[1:]].count("true") == 10
    assert len(rows) - 1 == data.funded + data.unfunded


def test_cli_counts_invalid_inputs_and_exits_1(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pop.jsonl"
    lines: Iterator[str] = (json.dumps(a) for a in synthesize(50, 2, "ES"))
    path.write_text("\n".join([*lines, "{not json", '{"id": "x"}']) + "\n")
    code, text, err = _run(capsys, str(path), "--pack", "es-academia-netflix", "--jobs", "1")
    assert code == 1
    assert "52 applicants" in text and "2 invalid" in text
    assert "2 invalid inputs were not allocated" in err


def test_cli_rejects_a_bad_budget(it_population: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(it_population), "--pack", "it-ifc-netflix",
                        "--budget", "1e6")
    assert code == 2 and "expects an amount" in err


# --- data that separates rounding, ordering by instant, cap vs budget, and ties ----------


def _eligible_like(engine: Engine, pack_id: str, stamps: list[tuple[str, str]],
                   pack: Pack | None = None) -> list[tuple[Decision, Applicant]]:
    """Copies of the pack's first (eligible) YAML case, one per (id, submitted_at)."""
    base = load_cases(PACKS / "tests" / f"{pack_id}.yaml")[0].applicant
    people = [parse_applicant({**base, "id": ident, "submitted_at": at}) for ident, at in stamps]
    decider = engine if pack is None else Engine([pack], backend="python")
    pairs = list(zip(decider.evaluate_many(people, pack_id), people, strict=True))
    assert [d.outcome for d, _ in pairs] == ["eligible"] * len(pairs)
    return pairs


def test_a_budget_share_is_rounded_down_to_the_cent_never_to_nearest(engine: Engine) -> None:
    """EUR 1,000,000 among 6 is 166,666.66 each, rounded down: never over the budget.

    Rounded to nearest it would be 166,666.67 each, 1,000,000.02 in all.
    """
    stamps = [(f"es-share-{i}", f"2020-05-2{i}T10:00:00+02:00") for i in range(6)]
    result = allocate(_eligible_like(engine, "es-academia-netflix", stamps),
                      engine.pack("es-academia-netflix"))
    assert result.budget == Decimal("1000000")
    assert result.share == Decimal("166666.66")
    assert [g.amount for g in result.grants] == [Decimal("166666.66")] * 6
    assert result.committed_max == Decimal("999999.96") <= result.budget
    assert result.remainder == Decimal("0.04")


def test_first_come_first_served_orders_by_the_instant_not_the_wall_clock(
        engine: Engine) -> None:
    """Three applicants of call 1 in three offsets; two awards fit.

    By wall clock B (12:30) < A (18:00) < C (20:00); by instant C (14:30Z) < A (16:00Z) <
    B (17:30Z).
    """
    stamps = [("it-a", "2020-05-28T18:00:00+02:00"),   # 16:00 UTC
              ("it-b", "2020-05-28T12:30:00-05:00"),   # 17:30 UTC
              ("it-c", "2020-05-28T20:00:00+05:30")]   # 14:30 UTC
    pairs = _eligible_like(engine, "it-ifc-netflix", stamps)
    result = allocate(pairs, engine.pack("it-ifc-netflix"), budget=1600)
    assert [(g.applicant, g.rank, g.funded) for g in result.grants] == [
        ("it-c", 1, True), ("it-a", 2, True), ("it-b", 3, False)]
    assert result.grants[2].note == "budget spent"


def _it_with_cap(cap: int) -> Pack:
    text = (PACKS / "it-ifc-netflix.yaml").read_text(encoding="utf-8")
    assert "max_awards: 1250\n" in text
    return load_pack_text(text.replace("max_awards: 1250\n", f"max_awards: {cap}\n"),
                          file="it-cap.yaml")


def test_max_awards_stops_the_awards_exactly_at_the_cap_when_the_budget_would_allow_more(
        engine: Engine) -> None:
    """A cap of 3 and a budget of 10 awards: the cap stops them, at exactly 3.

    The 3rd and 4th applicants submitted at the same instant (written in two offsets): the
    tie is broken by id, so `it-t3a` gets the last award and `it-t3b` does not.
    """
    pack = _it_with_cap(3)
    stamps = [("it-t1", "2020-05-28T12:00:00+02:00"),
              ("it-t2", "2020-05-28T13:00:00+02:00"),
              ("it-t3b", "2020-05-28T14:00:00+02:00"),
              ("it-t3a", "2020-05-28T12:00:00Z"),        # the same instant as it-t3b
              ("it-t5", "2020-05-28T15:00:00+02:00")]
    result = allocate(_eligible_like(engine, "it-ifc-netflix", stamps, pack), pack,
                      budget=8000)
    assert result.max_awards == 3
    assert [(g.applicant, g.funded) for g in result.grants] == [
        ("it-t1", True), ("it-t2", True), ("it-t3a", True), ("it-t3b", False),
        ("it-t5", False)]
    assert result.funded == 3 and result.committed_max == Decimal("2400.00")
    assert {g.note for g in result.grants if not g.funded} == {"max_awards (3) reached"}
    assert result.remaining == Decimal("5600.00")


def test_the_real_italian_cap_binds_when_the_budget_is_larger(
        engine: Engine, italy: list[tuple[Decision, Applicant]]) -> None:
    """With twice the budget, the 1,250 cap (not the money) ends the awards, at exactly 1,250."""
    result = allocate(italy, engine.pack("it-ifc-netflix"), budget=2_000_000)
    assert result.unfunded > 0
    assert result.funded == 1250 and result.committed_max == Decimal("1000000.00")
    assert {g.note for g in result.grants if not g.funded} == {"max_awards (1250) reached"}


def test_a_budget_share_with_a_cap_shares_among_the_first_by_instant(engine: Engine) -> None:
    """Budget share with max_awards 2: the two earliest *instants* share the budget."""
    text = (PACKS / "es-academia-netflix.yaml").read_text(encoding="utf-8")
    pack = load_pack_text(text.replace("budget: 1000000\n", "budget: 1000000\nmax_awards: 2\n"),
                          file="es-cap.yaml")
    stamps = [("es-late", "2020-05-20T09:00:00-05:00"),    # 14:00 UTC, wall clock earliest
              ("es-first", "2020-05-20T18:00:00+05:30"),   # 12:30 UTC
              ("es-second", "2020-05-20T15:30:00+02:00")]  # 13:30 UTC
    result = allocate(_eligible_like(engine, "es-academia-netflix", stamps, pack), pack)
    assert [(g.applicant, g.funded, g.amount) for g in result.grants] == [
        ("es-first", True, Decimal("500000.00")), ("es-second", True, Decimal("500000.00")),
        ("es-late", False, None)]
