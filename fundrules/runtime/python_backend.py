"""The plain-Python backend: compiled conditions become composed closures.

No pack text is ever executed: each Kleene tree of the compiled form is composed into
nested functions once, when a call is prepared, from the tables of
:mod:`fundrules.runtime.semantics`. Rules run stratum by stratum in the compiled order,
which is the order durable_rules fires them in (rule priorities follow it), so both
backends give the same trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fundrules.policies.ir import (
    CompiledPack,
    ContainsInput,
    FieldInput,
    Input,
    LeafInput,
    MeasureInput,
    Status,
    SubmittedDay,
)
from fundrules.runtime.decide import Concluded
from fundrules.runtime.facts import InputValues
from fundrules.runtime.semantics import Value, input_cond, trace_order, value_status
from fundrules.runtime.walk import leaves

__all__ = ["PythonBackend", "PythonRunner"]

_PATTERNS = 1024  # conclusions remembered per call, by the statuses of its comparisons
_STORED = 65_536  # and at most this many rule statuses in them all
_MEMO = 256  # statuses remembered per comparison, by the shared value compared
#: inputs whose values are mostly shared ones (the counts, symbols and flags of facts)
_SHARED = (MeasureInput, FieldInput, ContainsInput, SubmittedDay)

#: a comparison of shared values as the runner reads it: the input's position, the status
#: of a value, and the statuses remembered per value (by identity)
_Leaf = tuple[int, Callable[[Value], Status], dict[int, tuple[Value, Status]]]


class PythonRunner:
    """One prepared call: its rules as closures, in firing order.

    Every rule's status and the trace are a function of the statuses of the call's
    comparisons (a rule reads only comparisons and other rules' statuses), so a run works
    out those first and looks its conclusion up by them: at most :data:`_PATTERNS`
    patterns and :data:`_STORED` rule statuses are kept per call, the rest is worked out
    each time. The memos are dicts read and filled under the GIL: two threads may work
    out the same pattern and store equal conclusions; none is ever changed once stored.
    """

    def __init__(self, call: CompiledPack) -> None:
        self._call = call
        self._inputs = call.inputs
        position: dict[LeafInput, int] = {spec: i for i, spec in enumerate(call.inputs)}
        # comparisons read the values by the input's position: no hashing at run time; a
        # comparison's status is remembered per shared value (one an input reads from a cache)
        found = dict.fromkeys(leaf for r in call.rules for leaf in leaves(r.cond))
        # a pattern lists the comparisons of other inputs first, then those of shared values
        self._plain = tuple((position[leaf.input], value_status(leaf)) for leaf in found
                            if not isinstance(leaf.input, _SHARED))
        self._leaves: tuple[_Leaf, ...] = tuple(
            (position[leaf.input], value_status(leaf), {}) for leaf in found
            if isinstance(leaf.input, _SHARED))
        self._rules = tuple((r.id, input_cond(r.cond, position)) for r in call.rules)
        self._patterns: dict[tuple[Status, ...], tuple[Concluded, tuple[str, ...]]] = {}
        self._stored = 0

    def _ordered(self, values: Mapping[Input, Value]) -> list[Value]:
        if isinstance(values, InputValues) and values.inputs is self._inputs:
            return values.by_position
        return [values[s] for s in self._inputs]

    def pattern(self, values: Mapping[Input, Value]) -> tuple[Status, ...]:
        """The statuses of the call's comparisons (every conclusion is a function of them)."""
        ordered = (values.by_position if type(values) is InputValues
                   and values.inputs is self._inputs else self._ordered(values))
        found = [status_of(ordered[index]) for index, status_of in self._plain]
        add = found.append
        for index, status_of, memo in self._leaves:
            value = ordered[index]
            # by identity: the memo holds the value, so no other object can take its id
            hit = memo.get(id(value))
            if hit is not None and hit[0] is value:
                add(hit[1])
                continue
            status = status_of(value)
            add(status)
            if len(memo) < _MEMO:
                memo[id(value)] = (value, status)
        return tuple(found)

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], tuple[str, ...]]:
        """Every rule's status (by rule id, in compiled order), and the trace.

        Remembered by the statuses of the comparisons: the same read-only statuses (and
        trace) are given to every evaluation with those. Only remembered statuses are
        :class:`Concluded` (which the Decider may remember a Decision by): those of a
        pattern there is no room for are a plain dict, so no memo holds them.
        """
        pattern = self.pattern(values)
        found = self._patterns.get(pattern)
        if found is not None:
            return found
        ordered = self._ordered(values)
        statuses: dict[str, Status] = {}
        for rule_id, fn in self._rules:
            statuses[rule_id] = fn(ordered, statuses)
        trace = tuple(trace_order(self._call, statuses))
        if len(self._patterns) >= _PATTERNS or self._stored + len(statuses) > _STORED:
            return statuses, trace  # not remembered: plain statuses, that nothing keeps
        self._stored += len(statuses)
        found = self._patterns[pattern] = (Concluded(statuses, pattern), trace)
        return found


class PythonBackend:
    """Runs compiled calls as Python closures: fast, and available everywhere."""

    name = "python"

    def prepare(self, call: CompiledPack) -> PythonRunner:
        """Compose the call's rules once; nothing about a call can fail here."""
        return PythonRunner(call)
