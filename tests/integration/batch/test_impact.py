"""`fundrules diff`: flips by direction, the criterion responsible, the money."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from fundrules import UnknownPackError
from fundrules.batch import Impact, impact
from fundrules.cli import main
from fundrules.io import InputSource
from fundrules.policies.pack import Pack, load_pack, load_pack_text
from tests.conftest import PACKS

FR = PACKS / "fr-netflix-audiens.yaml"


def _fr(old: str, new: str, version: str) -> str:
    text = FR.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new).replace('version: "2020.1"', f'version: "{version}"')


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("diff") / "fr.jsonl"
    assert main(["synth", "--n", "1500", "--seed", "17", "--country", "FR",
                 "--out", str(path)]) == 0
    with open(path, "a", encoding="utf-8") as out:
        out.write('{"id": "broken"\n')
    return path


@pytest.fixture(scope="module")
def lower_threshold() -> Pack:
    return load_pack_text(_fr("min_activity_units: 12", "min_activity_units: 10", "2020.2"),
                          file="fr-10-days.yaml")


@pytest.fixture(scope="module")
def lowered(population: Path, lower_threshold: Pack) -> Impact:
    return impact(load_pack(FR), lower_threshold, InputSource(population), jobs=2, sample=25)


def test_the_same_pack_changes_nothing(population: Path) -> None:
    pack = load_pack(FR)
    result = impact(pack, pack, InputSource(population), jobs=1)
    assert result.flips == {} and result.sample == () and result.award_changes == 0
    assert result.before == result.after
    assert result.committed_change == (Decimal(0), Decimal(0))
    assert result.inputs == 1501 and result.invalid == 1


def test_a_lower_threshold_only_lets_people_in(lowered: Impact) -> None:
    assert lowered.flipped > 0
    assert set(lowered.flips) <= {"ineligible -> eligible", "ineligible -> incomplete",
                                  "incomplete -> eligible"}
    for outcomes in (lowered.before, lowered.after):
        assert sum(outcomes.values()) == lowered.inputs
    gained = lowered.after["eligible"] - lowered.before["eligible"]
    assert gained == lowered.flips.get("ineligible -> eligible", 0) + lowered.flips.get(
        "incomplete -> eligible", 0)


def test_each_sampled_flip_names_the_changed_criterion(lowered: Impact) -> None:
    assert 0 < len(lowered.sample) <= 25
    for flip in lowered.sample:
        changed = {c.rule: (c.before, c.after) for c in flip.criteria}
        assert "FR-C3" in changed
        assert changed["FR-C3"] in {("unmet", "met"), ("unmet", "unknown"), ("unknown", "met")}
        assert "At least 10 days" in next(c.message for c in flip.criteria if c.rule == "FR-C3")


def test_money_committed_follows_the_new_eligible(lowered: Impact) -> None:
    old, new = lowered.old_allocation, lowered.new_allocation
    assert new.committed_max > old.committed_max
    low, high = lowered.committed_change
    assert low == high == new.committed_max - old.committed_max
    assert new.funded == lowered.after["eligible"]  # the budget is not reached here
    assert old.invalid == new.invalid == 1


def test_a_higher_ceiling_changes_awards_not_outcomes(population: Path) -> None:
    richer = load_pack_text(_fr("low_resources_ceiling: 15000 EUR",
                                "low_resources_ceiling: 18000 EUR", "2020.3"), file="fr-18k.yaml")
    result = impact(load_pack(FR), richer, InputSource(population), jobs=1)
    assert result.award_changes > 0
    assert result.new_allocation.committed_max - result.old_allocation.committed_max == (
        Decimal(400) * result.award_changes
        + sum(Decimal(900) for _ in range(result.flips.get("incomplete -> eligible", 0))))


def test_packs_with_different_ids_are_refused(population: Path) -> None:
    with pytest.raises(UnknownPackError):
        impact(load_pack(FR), load_pack(PACKS / "es-academia-netflix.yaml"),
               InputSource(population))


def test_cli_report(population: Path, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "fr-new.yaml"
    new.write_text(_fr("min_activity_units: 12", "min_activity_units: 10", "2020.2"))
    code = main(["diff", str(FR), str(new), "--population", str(population), "--sample", "3",
                 "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1  # one invalid line in the population
    assert "2020.1" in out and "2020.2" in out and "ineligible -> eligible" in out
    assert out.count("FR-C3: ") == 3 and "committed:" in out
    code = main(["diff", str(FR), str(new), "--population", str(population), "--format", "json",
                 "--jobs", "1"])
    data = json.loads(capsys.readouterr().out)
    assert data["pack"] == "fr-netflix-audiens" and sum(data["flips"].values()) > 0


def test_cli_reports_a_broken_pack(population: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_fr("when: activity_units >= min_activity_units",
                       "when: activity_unit >= min_activity_units", "2020.9"))
    assert main(["diff", str(FR), str(bad), "--population", str(population)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "unknown-name" in err
