"""An applicant that hangs while it is read, as a stuck plugin predicate would.

In its own module so that worker processes can unpickle it (they import it by name).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any


class Sleepy(Mapping[str, Any]):
    """A mapping of applicant fields whose ``id`` takes ``seconds`` to read."""

    def __init__(self, fields: dict[str, Any], seconds: float) -> None:
        self.fields = fields
        self.seconds = seconds

    def __getitem__(self, key: str) -> Any:
        if key == "id":
            time.sleep(self.seconds)
        return self.fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


def outcome_of(result: Any) -> tuple[str, Any, str]:
    """A render function for ``render_inputs``: (where, at, outcome or error code)."""
    (outcome,) = result.results
    code = outcome.diagnostics[0].code if hasattr(outcome, "diagnostics") else outcome.outcome
    return result.where, result.at, code
