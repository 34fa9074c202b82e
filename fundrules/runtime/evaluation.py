"""One evaluation, as every reader sees it: values, statuses, trace and the Decision.

:class:`PreparedCall` holds what a call needs at run time, built once when an Engine
is constructed: the input reader, the backend's runner and the decision builder.
:class:`Evaluation` is what one applicant's evaluation found; the Engine returns its
``decision``, explanations and the verifier read its ``statuses`` and ``values``
(they never evaluate a condition themselves). :class:`PreparedPack` is every call of one
pack prepared on one backend, and the choice of call for an applicant: what an Engine
holds per pack, and what a batch worker process builds once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Protocol

from fundrules.errors import PackError
from fundrules.policies.ir import CFact, CLeaf, CompiledPack, Cond, Input, Status
from fundrules.policies.pack import Pack
from fundrules.runtime.decide import Decider
from fundrules.runtime.facts import InputReader
from fundrules.runtime.semantics import Value, reading, status_of, unknown_parts
from fundrules.schema import Applicant, Decision

__all__ = ["Backend", "Evaluation", "PreparedCall", "PreparedPack", "Runner"]


class Runner(Protocol):
    """A call prepared for one backend."""

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], Sequence[str]]: ...


class Backend(Protocol):
    """An inference engine: prepares calls (failing there, never later) and runs them."""

    name: str

    def prepare(self, call: CompiledPack) -> Runner: ...


@dataclasses.dataclass(frozen=True, slots=True)
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

    def decide(self, applicant: Applicant, *, lang: str | None = None,
               fits_no_call: bool = False) -> Decision:
        """Only the Decision of :meth:`evaluate`, without keeping the rest."""
        values = self.reader.read(applicant)
        statuses, trace = self.runner.run(values)
        return self.decider.decide(applicant, values, statuses, trace, lang=lang,
                                   fits_no_call=fits_no_call)


class PreparedPack:
    """Every call of one pack prepared on one backend (all refusals raised at once)."""

    def __init__(self, pack: Pack, backend: Backend) -> None:
        self.pack = pack
        self.calls: dict[str, PreparedCall] = {}
        problems = []
        for call_id, call in pack.calls.items():
            try:
                self.calls[call_id] = PreparedCall.prepare(call, backend, pack.windows_text())
            except PackError as err:  # every call is tried: all problems at once
                problems += [d if d.file != pack.id else dataclasses.replace(d, file=pack.file)
                             for d in err.diagnostics]
        if problems:
            raise PackError(problems)
        self._only = next(iter(self.calls.values())) if len(self.calls) == 1 else None

    def _select(self, person: Applicant, strict_call: bool) -> tuple[PreparedCall, bool]:
        """The applicant's call, and whether it fits no call's window.

        As ``Pack.select_call``; whether the application is inside the window matters
        only when the call is chosen by date among several, so only then is it worked out.
        """
        call = person.call
        if call is not None and call not in self.calls and not strict_call:
            call = None
        if call is not None:
            return self.calls[self.pack.compiled(call).call], False
        if self._only is not None:
            return self._only, False
        compiled, inside = self.pack.select_call(person.submitted_at, None)
        return self.calls[compiled.call], not inside and person.call is None

    def evaluate(self, person: Applicant, *, lang: str | None = None,
                 strict_call: bool = True) -> Evaluation:
        """Evaluate a validated applicant against the call it applies to.

        With ``strict_call`` false, an applicant's ``call`` this pack does not have is
        ignored (the call is then chosen by ``submitted_at``), as when one applicant is
        decided against every pack.
        """
        prepared, fits_no_call = self._select(person, strict_call)
        return prepared.evaluate(person, lang=lang, fits_no_call=fits_no_call)

    def decide(self, person: Applicant, *, lang: str | None = None,
               strict_call: bool = True) -> Decision:
        """Only the Decision of :meth:`evaluate`."""
        prepared = self._only
        if prepared is not None and person.call is None:  # the usual case, said at once
            values = prepared.reader.read(person)  # PreparedCall.decide, one call fewer
            statuses, trace = prepared.runner.run(values)
            return prepared.decider.decide(person, values, statuses, trace, lang=lang)
        prepared, fits_no_call = self._select(person, strict_call)
        return prepared.decide(person, lang=lang, fits_no_call=fits_no_call)
