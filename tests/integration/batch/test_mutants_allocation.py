"""What an allocation reports, as its reader checks it (issue 12).

Written from the mutants of ``fundrules/batch/_allocation.py`` that the batch tests let
through (``python mutation/code.py --module fundrules/batch/_allocation.py``); each test
was seen failing with its mutant applied. The hand-made batches below each hold the data
that tells one wrong behaviour apart: a budget a cent short, a budget of 0, a share
smaller than a cent, needs of 0.50, 0.00 and -0.50, a cap that leaves one out, a call
or a pack without an award, a monthly award without `months:`.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest

from fundrules import Applicant, Decision, Engine, InvalidArgument, PackError, parse_applicant
from fundrules.batch import allocate, monthly_need
from fundrules.policies.pack import Pack, load_pack_text
from fundrules.testing.cases import load_cases

ROOT = Path(__file__).resolve().parents[3]
ENGINE = Engine(backend="python")


def _decided(pack: str) -> list[tuple[Decision, Applicant]]:
    people = [parse_applicant(c.applicant)
              for c in load_cases(ROOT / "policies" / "tests" / f"{pack}.yaml")]
    return [(ENGINE.evaluate(a, pack), a) for a in people]


def test_the_five_criteria_failed_most_are_listed_with_their_counts() -> None:
    """A priority rule (ES-P1) ranks applicants and is never a failed criterion."""
    decided = _decided("es-academia-netflix")
    call = ENGINE.pack("es-academia-netflix").calls["main"]
    failed = Counter(r.rule for d, _ in decided if d.outcome == "ineligible"
                     for r in d.reasons
                     if r.status == "unmet" and call.rule(r.rule).kind != "priority")
    assert len(failed) > 5  # so that the cut at five shows
    want = sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    result = allocate(decided, ENGINE.pack("es-academia-netflix"))
    assert [(c.rule, c.count) for c in result.unmet] == want


def test_no_invalid_input_is_reported_unless_the_caller_says_so() -> None:
    decided = _decided("it-ifc-netflix")
    result = allocate(decided, ENGINE.pack("it-ifc-netflix"))
    assert result.invalid == 0 and result.total == len(decided)


def test_an_allocation_cannot_be_altered_after_the_fact() -> None:
    result = allocate(_decided("it-ifc-netflix"), ENGINE.pack("it-ifc-netflix"))
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        result.funded = 10**6  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        result.grants[0].funded = not result.grants[0].funded  # type: ignore[misc]


def test_the_tally_of_an_exclusion_counts_the_applicants_it_excludes() -> None:
    decided = _decided("it-ifc-netflix")
    excluded = sum(1 for d, _ in decided if d.outcome == "ineligible" and any(
        r.rule == "IT-C6" and r.status == "unmet" for r in d.reasons))
    assert excluded >= 1
    result = allocate(decided, ENGINE.pack("it-ifc-netflix"))
    assert {c.rule: c.count for c in result.unmet}.get("IT-C6", 0) == excluded


# --- hand-made batches: each one's data tells one wrong behaviour from the right one -----

PACKS = ROOT / "policies"


def _pack_text(pack_id: str, old: str, new: str) -> Pack:
    """The built-in pack with one piece of its text replaced (which must be there once)."""
    text = (PACKS / f"{pack_id}.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return load_pack_text(text.replace(old, new), file=f"{pack_id}-variant.yaml")


def _like(pack_id: str, people: list[dict[str, Any]], pack: Pack | None = None, *,
          case: str | None = None) -> list[tuple[Decision, Applicant]]:
    """Eligible copies of one YAML case of the pack, each with its own fields laid over.

    The case is the file's first, or the one with id ``case``; ``pack`` decides them (the
    built-in pack by default).
    """
    cases = load_cases(PACKS / "tests" / f"{pack_id}.yaml")
    base = next(c.applicant for c in cases if case is None or c.applicant["id"] == case)
    applicants = [parse_applicant({**base, **person}) for person in people]
    engine = ENGINE if pack is None else Engine([pack], backend="python")
    pairs = [(engine.evaluate(a, pack_id), a) for a in applicants]
    assert [d.outcome for d, _ in pairs] == ["eligible"] * len(pairs)
    return pairs


def _at(ident: str, at: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "submitted_at": at, **more}


def _money(value: str, currency: str = "GBP") -> dict[str, str]:
    return {"value": value, "currency": currency}


def _needs(costs: str, income: str, income_currency: str = "GBP") -> dict[str, Any]:
    return {"needs": {"monthly_essential_costs": _money(costs),
                      "expected_income_6m": _money(income, income_currency)}}


def test_a_budget_a_cent_short_of_two_awards_funds_one() -> None:
    """EUR 1,599.99 holds one EUR 800 award, not two (and 1,600.00 holds exactly two)."""
    stamps = [_at("it-first", "2020-05-29T10:00:00+02:00"),
              _at("it-second", "2020-05-29T11:00:00+02:00")]
    pairs = _like("it-ifc-netflix", stamps)
    short = allocate(pairs, ENGINE.pack("it-ifc-netflix"), budget="1599.99")
    assert [(g.applicant, g.funded, g.note) for g in short.grants] == [
        ("it-first", True, "funded"), ("it-second", False, "budget spent")]
    assert (short.funded, short.unfunded) == (1, 1)
    assert short.committed_max == Decimal("800.00")
    assert short.remaining == Decimal("799.99")
    exact = allocate(pairs, ENGINE.pack("it-ifc-netflix"), budget="1600.00")
    assert [g.funded for g in exact.grants] == [True, True]
    assert exact.remaining == Decimal("0.00")


def test_a_budget_of_zero_funds_nobody_and_a_negative_or_endless_one_is_refused() -> None:
    """0 and 0.50 are budgets (too small for an award); -0.01, NaN and Infinity are not."""
    pairs = _like("it-ifc-netflix", [_at("it-only", "2020-05-29T10:00:00+02:00")])
    pack = ENGINE.pack("it-ifc-netflix")
    for budget in ("0", "0.50"):
        result = allocate(pairs, pack, budget=budget)
        assert result.budget == Decimal(budget)
        assert (result.funded, result.unfunded) == (0, 1)
        assert result.grants[0].note == "budget spent"
        assert result.committed_max == Decimal(0) and result.remaining == Decimal(budget)
    for bad in ("-0.01", "-1", "NaN", "Infinity"):
        with pytest.raises(InvalidArgument) as caught:
            allocate(pairs, pack, budget=bad)
        assert caught.value.diagnostics[0].path == "budget"


def test_first_come_first_served_reports_no_share_and_no_remainder() -> None:
    """A remainder is the cents left by equal shares: a queue has none, only `remaining`."""
    pairs = _like("it-ifc-netflix", [_at("it-only", "2020-05-29T10:00:00+02:00")])
    result = allocate(pairs, ENGINE.pack("it-ifc-netflix"), budget="1000")
    assert result.share is None and result.remainder is None
    assert result.remaining == Decimal("200.00")


def test_budget_share_notes_say_who_the_cap_left_out() -> None:
    """max_awards 2 of 3: the two earliest are `funded`, the third `max_awards (2) reached`."""
    pack = _pack_text("es-academia-netflix", "budget: 1000000\n",
                      "budget: 1000000\nmax_awards: 2\n")
    stamps = [_at("es-1", "2020-05-20T10:00:00+02:00"), _at("es-2", "2020-05-20T11:00:00+02:00"),
              _at("es-3", "2020-05-20T12:00:00+02:00")]
    result = allocate(_like("es-academia-netflix", stamps, pack), pack)
    assert [(g.applicant, g.rank, g.funded, g.note) for g in result.grants] == [
        ("es-1", 1, True, "funded"), ("es-2", 2, True, "funded"),
        ("es-3", 3, False, "max_awards (2) reached")]
    assert (result.funded, result.unfunded) == (2, 1)


def test_a_budget_smaller_than_a_cent_each_gives_shares_of_nothing() -> None:
    """EUR 0.02 among three: 0.00 each (rounded down), nothing committed, 0.02 left over."""
    stamps = [_at(f"es-{i}", f"2020-05-20T1{i}:00:00+02:00") for i in range(3)]
    result = allocate(_like("es-academia-netflix", stamps), ENGINE.pack("es-academia-netflix"),
                      budget="0.02")
    assert result.share == Decimal("0.00")
    assert [g.amount for g in result.grants] == [Decimal("0.00")] * 3
    assert result.committed_min == result.committed_max == Decimal("0.00")
    assert result.remaining == result.remainder == Decimal("0.02")


def test_needs_assessed_ranks_by_declared_need_and_holds_each_maximum() -> None:
    """GBP 3,000 and awards of 500 to 2,500, ranked by need (not by time).

    Needs 0.50, 0.00 and -0.50 (a need of zero is a need, between the two); a need stated
    with income in EUR is unknown (never converted), ranked with the undeclared one, by
    time. Once the top need's 2,500 maximum is held, the next maximum does not fit (its
    500 minimum would), and no one else is funded.
    """
    people = [_at("uk-none", "2020-04-08T09:00:00+01:00"),
              _at("uk-neg", "2020-04-08T10:00:00+01:00", **_needs("100.00", "603.00")),
              _at("uk-zero", "2020-04-08T11:00:00+01:00", **_needs("100.00", "600.00")),
              _at("uk-half", "2020-04-08T12:00:00+01:00", **_needs("100.50", "600.00")),
              _at("uk-eur", "2020-04-08T13:00:00+01:00", **_needs("5000.00", "0.00", "EUR"))]
    result = allocate(_like("uk-film-tv-charity", people), ENGINE.pack("uk-film-tv-charity"),
                      budget="3000")
    assert result.mode == "needs_assessed"
    assert [(g.applicant, g.need) for g in result.grants] == [
        ("uk-half", Decimal("0.50")), ("uk-zero", Decimal("0.00")),
        ("uk-neg", Decimal("-0.50")), ("uk-none", None), ("uk-eur", None)]
    assert [g.funded for g in result.grants] == [True, False, False, False, False]
    assert {g.note for g in result.grants[1:]} == {"does not fit in the budget left"}
    assert (result.committed_min, result.committed_max) == (Decimal("500"), Decimal("2500"))
    assert result.remaining == Decimal("500")


def test_a_need_with_costs_and_income_in_two_currencies_is_unknown() -> None:
    person = parse_applicant(_at("n", "2020-04-10T10:00:00+01:00",
                                 **_needs("1500.00", "600.00", "EUR")))
    assert monthly_need(person, "GBP") is None
    assert monthly_need(person, "EUR") is None


def test_a_call_without_an_award_commits_nothing_for_its_places() -> None:
    """The UK pack without its ERF award: ERF places commit nothing, the recovery award its 4,500.

    The ERF applicant (the higher need) comes first; GBP 4,499.99 then holds no recovery
    award and 4,500.00 holds it exactly: a place without an award changes neither.
    """
    text = (PACKS / "uk-film-tv-charity.yaml").read_text(encoding="utf-8")
    block = text[text.index("\naward:\n"):text.index("\n# Declared monotonicity")]
    pack = _pack_text("uk-film-tv-charity", block, "")
    pairs = [*_like("uk-film-tv-charity", [_at("uk-erf", "2020-04-08T09:00:00+01:00",
                                               **_needs("2000.00", "0.00"))], pack),
             *_like("uk-film-tv-charity", [_at("uk-rec", "2020-10-05T14:00:00+01:00",
                                               **_needs("1000.00", "0.00"))], pack,
                    case="uk-ex-10")]
    assert [d.call for d, _ in pairs] == ["erf-2020", "recovery-2020"]
    assert pairs[0][0].award is None
    for budget, funded in (("4499.99", [True, False]), ("4500.00", [True, True])):
        result = allocate(pairs, pack, budget=budget)
        assert [(g.applicant, g.funded) for g in result.grants] == list(
            zip(["uk-erf", "uk-rec"], funded, strict=True))
        erf = result.grants[0]
        assert (erf.amount, erf.min, erf.max) == (Decimal(0), None, None)
        committed = Decimal("4500.00") if funded[1] else Decimal(0)
        assert result.committed_min == result.committed_max == committed
        assert result.remaining == Decimal(budget) - committed


def test_places_without_an_award_are_capped_only_by_max_awards() -> None:
    """The IT pack with no award and max_awards 2: two places of 0.00 even with a budget of 0."""
    text = (PACKS / "it-ifc-netflix.yaml").read_text(encoding="utf-8")
    block = text[text.index("\naward:\n"):]
    block = block[:block.index("\n\n", 1)]
    assert text.count(block) == 1 and "max_awards: 1250\n" in text
    pack = load_pack_text(text.replace(block, "").replace("max_awards: 1250\n", "max_awards: 2\n"),
                          file="it-no-award.yaml")
    stamps = [_at(f"it-{i}", f"2020-05-29T1{i}:00:00+02:00") for i in range(3)]
    result = allocate(_like("it-ifc-netflix", stamps, pack), pack, budget="0")
    assert [(g.funded, g.amount, g.note) for g in result.grants] == [
        (True, Decimal(0), "funded"), (True, Decimal(0), "funded"),
        (False, Decimal(0), "max_awards (2) reached")]
    assert result.committed_min == result.committed_max == Decimal(0)
    assert result.remaining == Decimal(0)


def test_a_monthly_award_without_months_commits_one_month() -> None:
    """The recovery award without `months:` commits its GBP 750 once, not twice or never."""
    pack = _pack_text("uk-film-tv-charity", "      months: 6\n", "")
    pairs = _like("uk-film-tv-charity", [_at("uk-rec", "2020-10-05T14:00:00+01:00")], pack,
                  case="uk-ex-10")
    assert pairs[0][0].award is not None and pairs[0][0].award.months is None
    result = allocate(pairs, pack, budget="1000")
    assert [(g.funded, g.amount) for g in result.grants] == [(True, Decimal("750.00"))]
    assert result.committed_max == Decimal("750.00") and result.remaining == Decimal("250.00")


def test_a_range_award_without_its_maximum_is_refused_not_a_crash() -> None:
    """A decision (made by hand: the compiler never writes one) whose range award lacks `max`."""
    decision, applicant = _like("uk-film-tv-charity", [_at("uk-1", "2020-04-08T09:00:00+01:00")])[0]
    assert decision.award is not None
    broken = decision.model_copy(update={"award": decision.award.model_copy(update={"max": None})})
    for budget in ("3000", None):
        with pytest.raises(PackError) as caught:
            allocate([(broken, applicant)], ENGINE.pack("uk-film-tv-charity"), budget=budget)
        diagnostic = caught.value.diagnostics[0]
        assert diagnostic.code == "invalid-value"
        assert "`uk-1`" in diagnostic.message and "a range without `min` or `max`" \
            in diagnostic.message
    fixed = decision.model_copy(update={"award": decision.award.model_copy(
        update={"kind": "fixed", "amount": None, "min": None, "max": None})})
    with pytest.raises(PackError) as caught:
        allocate([(fixed, applicant)], ENGINE.pack("uk-film-tv-charity"), budget="3000")
    assert "a fixed award without an amount" in caught.value.diagnostics[0].message


def test_budget_share_commits_the_shares_even_of_a_range_award() -> None:
    """The UK pack (awards of GBP 500 to 2,500) switched to budget_share: GBP 3,000 among 3.

    Each is paid a share of 1,000.00, and 3,000.00 is committed: the range's 500 and 2,500
    are not what is paid (they once made the report 4,500 over budget).
    """
    pack = _pack_text("uk-film-tv-charity", "allocation: needs_assessed\n",
                      "allocation: budget_share\n")
    people = [_at(f"uk-{i}", f"2020-04-08T1{i}:00:00+01:00") for i in range(3)]
    result = allocate(_like("uk-film-tv-charity", people, pack), pack, budget="3000")
    assert result.share == Decimal("1000.00")
    assert [(g.funded, g.amount, g.min, g.max) for g in result.grants] == [
        (True, Decimal("1000.00"), None, None)] * 3
    assert result.committed_min == result.committed_max == Decimal("3000.00")
    assert result.remaining == result.remainder == Decimal("0.00")
