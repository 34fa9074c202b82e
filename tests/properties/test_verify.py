"""``fundrules verify`` finds what is injected into a copy of the FR pack, and no more.

Each injected inconsistency is reported with an applicant that demonstrates it; the
built-in packs have none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fundrules import Engine, load_pack
from fundrules.authoring import Finding, verify_pack
from fundrules.cli import main
from tests.conftest import ROOT
from tests.properties._support import ENGINE, PACK_IDS

FR = ROOT / "policies" / "fr-netflix-audiens.yaml"
_BUDGET = 150

_TIER_500 = "    - id: FR-AWARD-500\n      amount: 500"
# Shadowed by FR-AWARD-900 (<= 15000): the `and covid_hardship` hides it from `check`'s
# one-comparison overlap test, and every eligible applicant has covid_hardship anyway.
_TIER_700 = """    - id: FR-AWARD-700
      when: income(income_year, gross) <= 10000 EUR and covid_hardship
      amount: 700
      cite: S5
      message: {fr: "700 €", en: "EUR 700", it: "700 EUR", es: "700 EUR"}
"""
_LOW_RULE = """  - id: FR-LOW
    when: activity_units < 5
    then: little_activity
    cite: S1
    message: {fr: "peu", en: "little activity", it: "poca attività", es: "poca actividad"}

exclusions:
"""
_BUSY_EXCLUSION = """exclusions:
  - id: FR-BUSY
    when: activity_units >= 10
    cite: S1
    message: {fr: "trop occupé", en: "too busy", it: "troppo occupato", es: "demasiado ocupado"}
"""
_ELIGIBLE = ("eligible: intermittent and out_of_benefits and minimum_activity and precarity "
             "and first_award")


def _variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = FR.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _only(findings: list[Finding], code: str) -> Finding:
    chosen = [f for f in findings if f.code == code]
    assert len(chosen) == 1, [f.format() for f in findings]
    return chosen[0]


def _decide(path: Path, finding: Finding) -> dict[str, str]:
    """Re-decide the witness with the faulty pack; the reason statuses by rule id."""
    assert finding.witness is not None and finding.witness_yaml is not None
    case = yaml.safe_load(finding.witness_yaml)[0]  # the YAML is a pasteable case
    decision = Engine.from_paths(path, backend="python").evaluate(case["applicant"])
    assert case["expect"]["outcome"] == decision.outcome
    statuses = {r.rule: r.status for r in decision.reasons}
    statuses["@outcome"] = decision.outcome
    statuses["@award"] = str(decision.award.amount) if decision.award else "none"
    return statuses


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_the_built_in_packs_have_no_inconsistency(pack_id: str) -> None:
    findings, tried = verify_pack(ENGINE.pack(pack_id), budget=_BUDGET)
    assert tried > 0
    assert [f.format() for f in findings if f.severity == "error"] == []


def test_an_award_tier_that_can_never_apply_is_found_with_a_witness(tmp_path: Path) -> None:
    path = _variant(tmp_path, "tier", (_TIER_500, _TIER_700 + _TIER_500))
    findings, _ = verify_pack(load_pack(path), budget=_BUDGET)
    finding = _only(findings, "tier-never-applies")
    assert finding.severity == "error" and finding.subject == "FR-AWARD-700"
    seen = _decide(path, finding)  # meets the 700 tier, yet gets the 900 one
    assert seen["FR-AWARD-700"] == "met" and seen["@award"] == "900.00"
    # the witness shown is shrunk: one engagement, and no work dates it does not need
    assert finding.witness is not None and len(finding.witness.engagements) == 1
    assert finding.witness.engagements[0].work_dates is None


def test_two_required_criteria_that_contradict_each_other_are_found(tmp_path: Path) -> None:
    path = _variant(tmp_path, "conflict", ("exclusions:\n", _LOW_RULE),
                    (_ELIGIBLE, _ELIGIBLE + " and little_activity"))
    findings, _ = verify_pack(load_pack(path), budget=_BUDGET)
    assert _only(findings, "never-eligible").severity == "error"
    finding = _only(findings, "conflicting-criteria")
    assert finding.subject == "FR-C3, FR-LOW"
    seen = _decide(path, finding)  # at least 12 units, so not fewer than 5
    assert seen["FR-C3"] == "met" and seen["FR-LOW"] == "unmet"


def test_an_exclusion_that_catches_every_eligible_applicant_is_found(tmp_path: Path) -> None:
    path = _variant(tmp_path, "exclusion", ("exclusions:\n", _BUSY_EXCLUSION))
    findings, _ = verify_pack(load_pack(path), budget=_BUDGET)
    finding = _only(findings, "exclusion-contradicts-eligibility")
    assert finding.subject == "FR-BUSY"
    seen = _decide(path, finding)  # every criterion met, excluded all the same
    criteria = {k: v for k, v in seen.items() if k.startswith("FR-C") or k == "FR-NR"}
    assert set(criteria.values()) == {"met"} and seen["window"] == "met"
    assert seen["FR-BUSY"] == "unmet" and seen["@outcome"] == "ineligible"  # excluded


def test_the_command_exits_1_on_an_error_and_prints_the_witness(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _variant(tmp_path, "tier", (_TIER_500, _TIER_700 + _TIER_500))
    assert main(["verify", str(path), "--budget", "80"]) == 1
    out = capsys.readouterr().out
    assert "error: tier-never-applies: call `main`: award tier `FR-AWARD-700`" in out
    assert "witness (paste under `cases:`):" in out
    assert "1 error(s)" in out.splitlines()[-1]


def test_the_command_exits_0_on_a_consistent_pack_and_2_on_an_unknown_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "it-ifc-netflix", "--budget", "50"]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    assert main(["verify", "no-such-pack"]) == 2
    assert "unknown-pack" in capsys.readouterr().err


def test_an_overlap_the_static_checks_see_stops_before_the_search(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`income <= 15000` then `income <= 10000` is caught when the pack loads."""
    tier = _TIER_700.replace(" and covid_hardship", "")
    path = _variant(tmp_path, "overlap", (_TIER_500, tier + _TIER_500))
    assert main(["verify", str(path)]) == 2
    assert "award-overlap" in capsys.readouterr().err
