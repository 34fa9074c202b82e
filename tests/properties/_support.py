"""Shared by the property tests: the hypothesis profile, the packs, and comparisons."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import Verbosity, note, settings
from hypothesis.control import current_build_context

from fundrules import Applicant, Decision, Engine
from fundrules.testing import case_yaml

__all__ = ["CI_MAX_EXAMPLES", "ENGINE", "MIN_EXAMPLES", "PACK_IDS", "RANK", "as_case", "examples",
           "normalised", "outcome_view", "profiled"]

_PROFILE = os.environ.get("FUNDRULES_HYPOTHESIS_PROFILE", "ci")
_SCALE = 10 if _PROFILE == "thorough" else 1
#: The default run (``python -m pytest``) caps a property test at this many examples, so
#: the suite stays fast; ``--run-slow`` (``FUNDRULES_RUN_SLOW=1``) and the thorough profile
#: run each test's own number (those asking for more: the differential test, 1,000; some
#: of test_decisions, 150 and 120). No test may ask for fewer than 100 (docs/testing.md).
CI_MAX_EXAMPLES = 100
_FULL = os.environ.get("FUNDRULES_RUN_SLOW") == "1" or _PROFILE == "thorough"

#: One python-backend engine over the built-in packs: whatever packs exist when the tests run.
ENGINE = Engine(backend="python")
PACK_IDS = ENGINE.pack_ids
RANK = {"ineligible": 0, "incomplete": 1, "eligible": 2}

_F = TypeVar("_F", bound=Callable[..., Any])


def examples(n: int) -> int:
    """``n`` examples: at most ``CI_MAX_EXAMPLES`` by default, ``n`` with ``--run-slow``.

    The thorough profile runs ten times ``n``.
    """
    return n * _SCALE if _FULL else min(n, CI_MAX_EXAMPLES)


#: The fewest examples a property test may run in the default run without a written reason.
MIN_EXAMPLES = 100


def profiled(n: int, *, fewer_because: str | None = None) -> Callable[[_F], _F]:
    """``@settings`` of the selected profile, with ``n`` examples (scaled).

    ``n`` below ``MIN_EXAMPLES`` is refused unless ``fewer_because`` says why.
    """
    if n < MIN_EXAMPLES and not (fewer_because or "").strip():
        raise ValueError(f"a property test runs at least {MIN_EXAMPLES} examples; "
                         f"give `fewer_because=` to run {n}")
    parent = settings.get_profile(f"fundrules-{_PROFILE}")
    return settings(parent, max_examples=examples(n))


_INDEX = re.compile(r"\[\d+\]")


def normalised(paths: tuple[str, ...]) -> list[str]:
    """Missing paths with list indices blanked: reordering a list may renumber them."""
    return sorted(_INDEX.sub("[]", p) for p in paths)


def outcome_view(d: Decision) -> tuple[Any, ...]:
    """What must not change when list items are reordered."""
    return (d.outcome, d.award, d.call, tuple((r.rule, r.status) for r in d.reasons),
            normalised(d.missing), d.trace)


def as_case(applicant: Applicant, decision: Decision | None = None, name: str = "generated"
            ) -> None:
    """Record the applicant as a pasteable YAML case, shown when the test fails.

    The YAML is written only for the example hypothesis reports (the final, shrunk
    one, or every one at verbose): writing it for each example cost a fifth of the
    property tests' time.
    """
    assert settings.default is not None
    if current_build_context().is_final or settings.default.verbosity >= Verbosity.verbose:
        note("as a YAML test case (paste under `cases:`):\n"
             + case_yaml(applicant, decision, name=name))
