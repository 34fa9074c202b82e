"""pytest plugin (entry point ``pytest11``): collects YAML case files as tests.

A YAML file inside a folder named ``tests`` whose top level has ``cases:`` is a case
file; each case becomes one test item named after the case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fundrules.testing.cases import Case, load_cases, run_case

__all__ = ["pytest_collect_file"]


def _is_case_file(path: Path) -> bool:
    if path.suffix not in (".yaml", ".yml") or path.parent.name != "tests":
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(65536)
    except (OSError, UnicodeDecodeError):
        return False
    return "\ncases:" in head or head.startswith("cases:")


class CaseFile(pytest.File):
    """A YAML case file."""

    def collect(self) -> Iterator[pytest.Item]:
        for case in load_cases(self.path):
            yield CaseItem.from_parent(self, name=case.name, case=case)


class CaseFailed(Exception):
    """A case's decision differs from its expectation."""


class CaseItem(pytest.Item):
    """One YAML case."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        result = run_case(self.case)
        if not result.passed:
            raise CaseFailed(result.report())

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"case: {self.case.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> CaseFile | None:
    """Collect YAML case files."""
    if _is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None
