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
    CLeaf,
    CompiledPack,
    ContainsInput,
    FieldInput,
    Input,
    LeafInput,
    MeasureInput,
    Status,
    SubmittedDay,
)
from fundrules.runtime.facts import InputValues
from fundrules.runtime.semantics import CondFn, Value, input_cond, trace_order, value_status
from fundrules.runtime.walk import leaves

__all__ = ["PythonBackend", "PythonRunner"]

_CONCLUDED = 1024  # traces (and the last rules' statuses) remembered per call
_MEMO = 256  # statuses remembered per comparison, by the shared value compared
#: inputs whose values are mostly shared ones (the counts, symbols and flags of facts)
_SHARED = (MeasureInput, FieldInput, ContainsInput, SubmittedDay)


class PythonRunner:
    """One prepared call: its rules as closures, in firing order."""

    def __init__(self, call: CompiledPack) -> None:
        self._call = call
        self._inputs = call.inputs
        position: dict[LeafInput, int] = {spec: i for i, spec in enumerate(call.inputs)}
        # the rules after the last one that compares an input read only other rules'
        # statuses: they, and the trace, are a function of the statuses before them
        reads = [i for i, r in enumerate(call.rules) if next(leaves(r.cond), None) is not None]
        split = reads[-1] + 1 if reads else 0
        # comparisons read the values by the input's position: no hashing at run time; a
        # rule that is one comparison is called on its value directly (one call, not two),
        # and its status remembered per shared value (one an input reads from a cache)
        self._rules: tuple[tuple[str, Callable[[Value], Status] | None, int, CondFn,
                                 dict[int, tuple[Value, Status]] | None], ...] = tuple(
            (r.id, value_status(r.cond) if isinstance(r.cond, CLeaf) else None,
             position[r.cond.input] if isinstance(r.cond, CLeaf) else -1,
             input_cond(r.cond, position),
             {} if isinstance(r.cond, CLeaf) and isinstance(r.cond.input, _SHARED) else None)
            for r in call.rules[:split])
        self._then = tuple((r.id, input_cond(r.cond, position)) for r in call.rules[split:])
        self._concluded: dict[tuple[Status, ...], tuple[dict[str, Status], tuple[str, ...]]] = {}

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], tuple[str, ...]]:
        """Every rule's status (by rule id, in compiled order), and the trace."""
        ordered = (values.by_position if isinstance(values, InputValues)
                   and values.inputs is self._inputs else [values[s] for s in self._inputs])
        statuses: dict[str, Status] = {}
        for rule_id, leaf, index, fn, memo in self._rules:
            if leaf is None:
                statuses[rule_id] = fn(ordered, statuses)
                continue
            value = ordered[index]
            if memo is None:
                statuses[rule_id] = leaf(value)
                continue
            # by identity: the memo holds the value, so no other object can take its id
            hit = memo.get(id(value))
            if hit is not None and hit[0] is value:
                statuses[rule_id] = hit[1]
                continue
            status = statuses[rule_id] = leaf(value)
            if len(memo) < _MEMO:
                memo[id(value)] = (value, status)
        key = tuple(statuses.values())
        found = self._concluded.get(key)
        if found is None:
            for rule_id, then in self._then:
                statuses[rule_id] = then(ordered, statuses)
            found = ({r: statuses[r] for r, _ in self._then},
                     tuple(trace_order(self._call, statuses)))
            if len(self._concluded) < _CONCLUDED:
                self._concluded[key] = found
            return statuses, found[1]
        statuses.update(found[0])
        return statuses, found[1]


class PythonBackend:
    """Runs compiled calls as Python closures: fast, and available everywhere."""

    name = "python"

    def prepare(self, call: CompiledPack) -> PythonRunner:
        """Compose the call's rules once; nothing about a call can fail here."""
        return PythonRunner(call)
