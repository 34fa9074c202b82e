"""What an allocation reports, as its reader checks it (issue 12).

Written from the mutants of ``fundrules/batch/_allocation.py`` that tests/batch let
through (``python mutation/code.py --module fundrules/batch/_allocation.py``); each test
was seen failing with its mutant applied.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pydantic
import pytest

from fundrules import Applicant, Decision, Engine, parse_applicant
from fundrules.batch import allocate
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
