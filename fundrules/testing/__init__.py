"""Testing helpers: YAML test cases for packs (and their pytest plugin)."""

from fundrules.testing.cases import CaseResult, load_cases, run_case_file

__all__ = ["CaseResult", "load_cases", "run_case_file"]
