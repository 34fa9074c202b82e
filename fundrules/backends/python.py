"""The plain-Python backend: compiled conditions become composed closures.

No pack text is ever executed: each Kleene tree of the compiled form is turned into
nested Python functions once, when the pack is prepared. Rules then run in the
compiled order, which is the order durable_rules fires them in (rule priorities
follow it), so both backends give the same trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fundrules.policies.ir import (
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    COr,
    CompiledPack,
    Cond,
    Status,
    Value,
    leaf_status,
)

__all__ = ["PythonBackend"]

_Fn = Callable[[Mapping[str, Value], Mapping[str, Status]], Status]
_NOT: dict[Status, Status] = {"met": "unmet", "unmet": "met", "unknown": "unknown"}


def _compile(cond: Cond) -> _Fn:
    if isinstance(cond, CLeaf):
        key = cond.input

        def leaf(values: Mapping[str, Value], facts: Mapping[str, Status]) -> Status:
            return leaf_status(cond, values[key])
        return leaf
    if isinstance(cond, CFact):
        name = cond.fact
        return lambda values, facts: facts[name]
    if isinstance(cond, CConst):
        status = cond.status
        return lambda values, facts: status
    if isinstance(cond, CNot):
        inner = _compile(cond.operand)
        return lambda values, facts: _NOT[inner(values, facts)]
    parts = tuple(_compile(op) for op in cond.operands)
    stop: Status = "unmet" if isinstance(cond, CAnd) else "met"
    default: Status = "met" if isinstance(cond, CAnd) else "unmet"
    assert isinstance(cond, CAnd | COr)

    def combine(values: Mapping[str, Value], facts: Mapping[str, Status]) -> Status:
        result = default
        for part in parts:
            s = part(values, facts)
            if s == stop:
                return stop
            if s == "unknown":
                result = "unknown"
        return result
    return combine


class PythonBackend:
    """Runs compiled packs as Python closures: fast, and available everywhere."""

    name = "python"

    def __init__(self) -> None:
        self._prepared: dict[tuple[str, str, str], list[tuple[str, str, _Fn]]] = {}

    def _prepare(self, pack: CompiledPack) -> list[tuple[str, str, _Fn]]:
        key = (pack.pack, pack.digest, pack.call)
        found = self._prepared.get(key)
        if found is None:
            found = [(r.id, r.then, _compile(r.cond)) for r in pack.rules]
            self._prepared[key] = found  # a benign race: both threads build the same list
        return found

    def run(self, pack: CompiledPack, values: Mapping[str, Value]
            ) -> tuple[dict[str, Status], list[str]]:
        """Statuses of every rule's conclusion, and the rule ids in evaluation order."""
        statuses: dict[str, Status] = {}
        trace: list[str] = []
        for rule_id, then, fn in self._prepare(pack):
            statuses[then] = fn(values, statuses)
            trace.append(rule_id)
        return statuses, trace
