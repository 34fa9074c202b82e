"""The plain-Python backend: compiled conditions become composed closures.

No pack text is ever executed: each Kleene tree of the compiled form is turned into
nested Python functions once, when the pack is prepared. Rules then run in the
compiled order, which is the order durable_rules fires them in (rule priorities
follow it), so both backends give the same trace.
"""

from __future__ import annotations

from collections.abc import Mapping

from fundrules.policies.ir import CompiledPack, CondFn, Status, Value, compile_cond

__all__ = ["PythonBackend"]

class PythonBackend:
    """Runs compiled packs as Python closures: fast, and available everywhere."""

    name = "python"

    def __init__(self) -> None:
        self._prepared: dict[tuple[str, str, str], list[tuple[str, str, CondFn]]] = {}

    def _prepare(self, pack: CompiledPack) -> list[tuple[str, str, CondFn]]:
        key = (pack.pack, pack.digest, pack.call)
        found = self._prepared.get(key)
        if found is None:
            found = [(r.id, r.then, compile_cond(r.cond)) for r in pack.rules]
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
