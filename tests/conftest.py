"""Shared fixtures: built engines are expensive to build and immutable, so share them."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from fundrules import Engine
from fundrules.testing.cases import load_cases

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "policies"

#: Set (to "1") by ``--run-slow``, or by hand: large-scale tests run, and property tests
#: run their full numbers of examples (tests/properties/_support.py reads it).
RUN_SLOW_ENV = "FUNDRULES_RUN_SLOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the large-scale tests (marked `slow`: long soaks) and "
                          "property tests at full size (the 5,000-applicant differential "
                          "test); see docs/testing.md")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--run-slow", default=False):
        os.environ[RUN_SLOW_ENV] = "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(RUN_SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason="large-scale: run with `python -m pytest --run-slow`")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


@pytest.fixture(scope="session")
def python_engine() -> Engine:
    return Engine(backend="python")


@pytest.fixture(scope="session")
def fr_cases() -> list[Any]:
    return load_cases(PACKS / "tests" / "fr-netflix-audiens.yaml")


@pytest.fixture()
def fr_applicant(fr_cases: list[Any]) -> dict[str, Any]:
    """The dossier's example 1 (eligible, EUR 900) as a plain dict."""
    return copy.deepcopy(fr_cases[0].applicant)
