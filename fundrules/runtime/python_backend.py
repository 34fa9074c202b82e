"""The plain-Python backend: compiled conditions become composed closures.

No pack text is ever executed: each Kleene tree of the compiled form is composed into
nested functions once, when a call is prepared, from the tables of
:mod:`fundrules.runtime.semantics`. Rules run stratum by stratum in the compiled order,
which is the order durable_rules fires them in (rule priorities follow it), so both
backends give the same trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fundrules.policies.ir import CLeaf, CompiledPack, Input, LeafInput, Status
from fundrules.runtime.facts import InputValues
from fundrules.runtime.semantics import CondFn, Value, input_cond, trace_order, value_status

__all__ = ["PythonBackend", "PythonRunner"]

_TRACES = 1024  # traces remembered per call, by the statuses that give them


class PythonRunner:
    """One prepared call: its rules as closures, in firing order."""

    def __init__(self, call: CompiledPack) -> None:
        self._call = call
        self._inputs = call.inputs
        position: dict[LeafInput, int] = {spec: i for i, spec in enumerate(call.inputs)}
        # comparisons read the values by the input's position: no hashing at run time; a
        # rule that is one comparison is called on its value directly (one call, not two)
        self._rules: tuple[tuple[str, Callable[[Value], Status] | None, int, CondFn], ...] = tuple(
            (r.id, value_status(r.cond) if isinstance(r.cond, CLeaf) else None,
             position[r.cond.input] if isinstance(r.cond, CLeaf) else -1,
             input_cond(r.cond, position)) for r in call.rules)
        self._traces: dict[tuple[Status, ...], tuple[str, ...]] = {}

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], tuple[str, ...]]:
        """Every rule's status (by rule id), and the rule ids in firing order."""
        ordered = (values.by_position if isinstance(values, InputValues)
                   and values.inputs is self._inputs else [values[s] for s in self._inputs])
        statuses: dict[str, Status] = {}
        for rule_id, leaf, index, fn in self._rules:
            statuses[rule_id] = fn(ordered, statuses) if leaf is None else leaf(ordered[index])
        # the trace is a function of the statuses alone (inserted in compiled order here)
        key = tuple(statuses.values())
        trace = self._traces.get(key)
        if trace is None:
            trace = tuple(trace_order(self._call, statuses))
            if len(self._traces) < _TRACES:
                self._traces[key] = trace
        return statuses, trace


class PythonBackend:
    """Runs compiled calls as Python closures: fast, and available everywhere."""

    name = "python"

    def prepare(self, call: CompiledPack) -> PythonRunner:
        """Compose the call's rules once; nothing about a call can fail here."""
        return PythonRunner(call)
