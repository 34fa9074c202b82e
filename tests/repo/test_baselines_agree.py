"""The baselines of benchmarks/baselines.py decide like fundrules (no timing is asserted).

zen-engine is in the `test` extra, so the zen baselines are checked in CI too.

A baseline that disagreed would make its ratio meaningless; this keeps them honest when
the French pack or fundrules' semantics change.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import fr_baselines as fb
from _applicants import samples
from fr_kleene import kleene_fr

from fundrules import Decision, Engine

FR = "fr-netflix-audiens"


@pytest.fixture(scope="module")
def decided() -> list[tuple[Any, Decision]]:
    engine = Engine(backend="python")
    return [(s, engine.evaluate(s.applicant, FR)) for s in samples([FR], 30)[FR]]


def _award(d: Decision) -> int | None:
    return int(d.award.amount) if d.award is not None and d.award.amount is not None else None


def test_three_valued_floor_gives_the_whole_decision(decided: list[tuple[Any, Decision]]
                                                     ) -> None:
    for s, d in decided:
        want = (d.outcome, _award(d), tuple((r.rule, r.status) for r in d.reasons),
                tuple(d.missing))
        assert tuple(kleene_fr(s.applicant)) == want, s.document["id"]


@pytest.mark.parametrize("name", ["plain", "core", "host", "zen", "zen_table"])
def test_two_valued_baselines_agree_on_decided_applicants(
        name: str, decided: list[tuple[Any, Decision]]) -> None:
    decide = {"plain": lambda: fb.plain_fr, "core": lambda: fb.RawCoreFR().decide,
              "host": lambda: fb.RawHostFR().decide, "zen": lambda: fb.ZenFastFR().decide,
              "zen_table": lambda: fb.ZenTableFR().decide}[name]()
    for s, d in decided:
        if d.outcome != "incomplete":
            assert decide(s.document) == {"outcome": d.outcome, "award": _award(d)}
