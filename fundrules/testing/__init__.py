"""Testing helpers: YAML test cases, their pytest plugin, and hypothesis strategies.

The strategies generate applicants for property tests (docs/testing.md).

The strategies are imported on first use, so that running YAML cases (``fundrules
test``, the pytest plugin) does not need hypothesis installed.
"""

from typing import Any

from fundrules.testing.cases import CaseResult, load_cases, run_case_file

__all__ = [
    "CaseResult",
    "absent_paths",
    "applicants",
    "applicants_for",
    "case_yaml",
    "filled",
    "load_cases",
    "run_case_file",
]

_STRATEGIES = frozenset({"absent_paths", "applicants", "applicants_for", "case_yaml", "filled"})


def __getattr__(name: str) -> Any:
    if name in _STRATEGIES:
        from fundrules.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
