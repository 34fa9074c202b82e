"""Reading applicant documents (JSON or YAML files) into validated Applicants.

Files go through the same safe, limited YAML loader as packs (JSON is read by it
too), so a hostile document can neither run code nor exhaust memory.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fundrules.errors import ApplicantError
from fundrules.policies.loader import Limits, load_file
from fundrules.schema import Applicant, parse_applicant

__all__ = ["APPLICANT_LIMITS", "read_applicant", "strict_json"]

#: Safety limits for applicant files (a full applicant holds a few thousand values).
APPLICANT_LIMITS = Limits(max_nodes=50_000)


def read_applicant(path: str | os.PathLike[str]) -> Applicant:
    """Load and validate one applicant file; raise :class:`ApplicantError` naming file and field."""
    loaded = load_file(path, limits=APPLICANT_LIMITS)
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    if errors or loaded.root is None:
        raise ApplicantError(errors or loaded.diagnostics)
    return parse_applicant(loaded.root.to_plain(), file=str(path))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key `{key[:60]}` appears twice in one object")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


def strict_json(text: str | bytes) -> Any:
    """JSON as an applicant document must be: no repeated key, no NaN or Infinity.

    Raises :class:`json.JSONDecodeError` for bad syntax and :class:`ValueError` (or
    :class:`RecursionError`) for the rest; callers turn both into located diagnostics.
    """
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
