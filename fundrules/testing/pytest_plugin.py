"""pytest plugin (entry point ``pytest11``): collects YAML case files as tests, when asked.

Installing fundrules must not change what another project's pytest collects, so
collection is opt-in: a YAML file whose top level has ``cases:`` is collected when it
lies in a folder (or is a file) listed in the ``fundrules_cases`` ini option
(``[tool.pytest.ini_options] fundrules_cases = ["policies/tests"]``, paths relative to
the ini file), or when it is named on the command line (``pytest policies/tests/x.yaml``).
Each case becomes one test item per backend, named after the case and the backend
(``example 1[durable]``, ``example 1[python]``): both backends must give the expected
decision. Where durable_rules cannot be loaded, the ``[durable]`` items are skipped with
the reason (``-ra`` lists it); they never silently run on the python backend.

A malformed case (or a problem of the whole file) is one failing item of its own, named
``invalid[LINE:COL]`` and reported as ``file:line:col: code: message`` with its hint; the
other cases of the file are still collected and run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fundrules.diagnostics import Diagnostic
from fundrules.testing.cases import BACKENDS, BackendUnavailable, Case, read_cases, run_case

__all__ = ["pytest_addoption", "pytest_collect_file"]

INI_OPTION = "fundrules_cases"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``fundrules_cases`` ini option: where YAML case files are collected."""
    parser.addini(INI_OPTION, type="paths", default=[],
                  help="folders or files of fundrules YAML test cases to collect (relative "
                       "to the ini file); without it, only case files named on the command "
                       "line are collected")


def _asked_for(parent: pytest.Collector, path: Path) -> bool:
    """Whether the file is, or lies in, a path named on the command line or in the ini."""
    config = parent.config
    roots = [Path(r) for r in config.getini(INI_OPTION)]
    if config.args_source == pytest.Config.ArgsSource.ARGS:  # typed by the user, not defaulted
        roots += [config.invocation_params.dir / a.split("::", 1)[0] for a in config.args]
    resolved = path.resolve()
    return any(resolved == r.resolve() or r.resolve() in resolved.parents for r in roots)


def _is_case_file(path: Path) -> bool:
    if path.suffix not in (".yaml", ".yml"):
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
        cases, problems = read_cases(self.path)
        for problem in problems:
            if problem.severity == "error":
                where = f"{problem.line}:{problem.column}" if problem.line else problem.code
                yield InvalidCaseItem.from_parent(self, name=f"invalid[{where}]",
                                                  diagnostic=problem)
        for case in cases:
            for backend in BACKENDS:
                yield CaseItem.from_parent(self, name=f"{case.name}[{backend}]", case=case,
                                           backend=backend)


class CaseFailed(Exception):
    """A case's decision differs from its expectation."""


class CaseItem(pytest.Item):
    """One YAML case on one backend."""

    def __init__(self, *, case: Case, backend: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.backend = backend

    def runtest(self) -> None:
        try:
            result = run_case(self.case, self.backend)
        except BackendUnavailable as exc:
            pytest.skip(str(exc))
        if not result.passed:
            raise CaseFailed(result.report())

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"case: {self.case.name} [{self.backend}]"


class CaseInvalid(Exception):
    """A case (or the whole case file) is malformed: it cannot run."""


class InvalidCaseItem(pytest.Item):
    """A problem of a case file, located; it fails with the diagnostic."""

    def __init__(self, *, diagnostic: Diagnostic, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagnostic = diagnostic

    def runtest(self) -> None:
        raise CaseInvalid(self.diagnostic.format())

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseInvalid):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = (self.diagnostic.line or 1) - 1
        return self.path, line, f"invalid case: {self.diagnostic.code}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> CaseFile | None:
    """Collect the YAML case files asked for (``fundrules_cases``, or named on the command line)."""
    if _asked_for(parent, file_path) and _is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None
