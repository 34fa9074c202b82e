"""One evaluation, as every reader sees it: values, statuses, trace and the Decision.

:class:`PreparedCall` holds what a call needs at run time, built once when an Engine
is constructed: the input reader, the backend's runner and the decision builder.
:class:`Evaluation` is what one applicant's evaluation found; the Engine returns its
``decision``, explanations and the verifier read its ``statuses`` and ``values``
(they never evaluate a condition themselves).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

from fundrules.policies.ir import CFact, CLeaf, CompiledPack, Cond, Input, Status
from fundrules.runtime.decide import Decider
from fundrules.runtime.facts import InputReader
from fundrules.runtime.semantics import Value, reading, status_of, unknown_parts
from fundrules.schema import Applicant, Decision

__all__ = ["Backend", "Evaluation", "PreparedCall", "Runner"]


class Runner(Protocol):
    """A call prepared for one backend."""

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], list[str]]: ...


class Backend(Protocol):
    """An inference engine: prepares calls (failing there, never later) and runs them."""

    name: str

    def prepare(self, call: CompiledPack) -> Runner: ...


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """What evaluating one applicant against one call found."""

    call: CompiledPack
    applicant: Applicant
    values: Mapping[Input, Value]
    statuses: Mapping[str, Status]  # by rule id: the status of each rule's condition
    trace: tuple[str, ...]
    decision: Decision

    def part_status(self, cond: Cond) -> Status:
        """The status of a part of a rule's condition, from this evaluation's findings."""
        return status_of(cond, reading(self.values), self.statuses)  # type: ignore[arg-type]

    def undecided_parts(self, cond: Cond) -> list[CLeaf | CFact]:
        """The comparisons and facts that leave ``cond`` unknown in this evaluation."""
        return unknown_parts(cond, reading(self.values), self.statuses)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class PreparedCall:
    """A compiled call ready to evaluate on one backend."""

    call: CompiledPack
    reader: InputReader
    runner: Runner
    decider: Decider

    @classmethod
    def prepare(cls, call: CompiledPack, backend: Backend, all_windows: str) -> PreparedCall:
        """Prepare a call for a backend; a backend that cannot run it raises here."""
        return cls(call, InputReader(call), backend.prepare(call), Decider(call, all_windows))

    def evaluate(self, applicant: Applicant, *, lang: str | None = None,
                 fits_no_call: bool = False) -> Evaluation:
        """Evaluate one validated applicant."""
        values = self.reader.read(applicant)
        statuses, trace = self.runner.run(values)
        decision = self.decider.decide(applicant, values, statuses, trace, lang=lang,
                                       fits_no_call=fits_no_call)
        return Evaluation(self.call, applicant, values, statuses, tuple(trace), decision)
