"""The bound cases of tests/cases/ (bounds-*.yaml), on both backends (issue 12).

Written from the pack-threshold mutants the cases of policies/tests let through
(``python mutation/packs.py``): each case decides differently when one bound of a
built-in pack moves by a day (or one unit), or one of its comparisons loses its ``=``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fundrules.testing.cases import BACKENDS, Case, load_cases, run_case

ROOT = Path(__file__).resolve().parents[3]
FILES = sorted((ROOT / "tests" / "cases").glob("bounds-*.yaml"))
CASES = [c for f in FILES for c in load_cases(f)]


def test_every_bound_case_file_names_a_built_in_pack_and_has_both_outcomes() -> None:
    assert FILES
    for f in FILES:
        cases = [c for c in CASES if c.file == str(f)]
        assert cases and f.stem == f"bounds-{cases[0].pack}", f
        assert {"eligible", "ineligible"} <= {c.expect["outcome"] for c in cases}, f


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[f"{c.pack}: {c.name}" for c in CASES])
def test_bound_case(case: Case, backend: str) -> None:
    result = run_case(case, backend)
    assert result.passed, result.report()
