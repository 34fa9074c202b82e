"""Shared fixtures: built engines are expensive to build and immutable, so share them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fundrules import Engine
from fundrules.testing.cases import load_cases

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "policies"


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
