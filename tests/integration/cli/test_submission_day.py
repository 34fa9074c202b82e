"""The submission date is taken in the fund's time zone: tests/cases/submission-day.yaml.

Each case of that file is run on both backends, and through ``fundrules test``.
"""

from __future__ import annotations

import pytest

from fundrules.cli import main
from fundrules.testing.cases import BACKENDS, Case, load_cases, run_case
from tests.conftest import ROOT

CASES_FILE = ROOT / "tests" / "cases" / "submission-day.yaml"
CASES = load_cases(CASES_FILE)


def test_the_file_has_cases_on_both_sides_of_the_threshold() -> None:
    outcomes = [c.expect["outcome"] for c in CASES]
    assert len(CASES) >= 5 and {"eligible", "ineligible"} <= set(outcomes)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_submission_day_case(case: Case, backend: str) -> None:
    result = run_case(case, backend)
    assert result.passed, result.report()


def test_the_command_runs_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(CASES_FILE)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{2 * len(CASES)} passed, 0 failed (durable and python)")
