"""A prototype of the durable backend change recommended in docs/performance.md (measured only).

Same compiled ruleset shape as ``fundrules.engine`` (three durable rules per pack rule,
Kleene status in durable patterns, conclusions added to the one working fact so that
durable_rules does the forward chaining), with two changes:

1. the action loop talks to durable_rules' C extension directly (``start_action_for_state``,
   ``complete_and_start_action``) instead of going through ``durable.engine``'s Python layer,
   which per action builds a ``Closure`` (two ``datetime.now()``), JSON-dumps the state for
   ``update_state``, JSON-loads the whole matched fact and runs a ``Promise``;
2. no ``$begin`` / ``$done`` rules: every pack rule has three exhaustive status patterns, so
   a first action always fires (pitfall 2 still holds), and completeness is checked in Python
   (every conclusion recorded) instead of by a last durable action.

It lives in benchmarks/ because fundrules/ is not ours to edit: ``run.py`` measures it beside
the real backend and checks that it gives identical decisions.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any

import durable_rules_engine as _dre

from fundrules.diagnostics import Diagnostic, EngineError
from fundrules.engine import _ALWAYS, DurableBackend, _and, _Translator
from fundrules.policies.ir import UNKNOWN_SYM, CompiledPack, Status, Value

__all__ = ["FastDurableBackend"]


class _Plan:
    """One registered ruleset: its handle and, per durable rule name, what its action does."""

    def __init__(self, handle: int, props: dict[str, tuple[str, ...]],
                 actions: dict[str, tuple[str, str, str, Status]]) -> None:
        self.handle, self.props, self.actions = handle, props, actions


class FastDurableBackend(DurableBackend):
    """``DurableBackend`` with the recommended action loop (see the module docstring)."""

    name = "durable"

    def __init__(self) -> None:
        super().__init__()
        self._plans: dict[tuple[str, str, str], _Plan] = {}
        self._plan_lock = threading.Lock()
        self._counter = 0

    def _plan(self, pack: CompiledPack) -> _Plan:
        key = (pack.pack, pack.digest, pack.call)
        with self._plan_lock:
            found = self._plans.get(key)
            if found is None:
                found = self._plans[key] = self._build(pack)
            return found

    def _build(self, pack: CompiledPack) -> _Plan:
        props: dict[str, tuple[str, ...]] = {}
        for i, spec in enumerate(pack.inputs):
            numeric = spec.type in ("number", "money", "date", "instant")
            props[spec.key] = (f"n{i}l", f"n{i}h") if numeric else (f"s{i}",)
        facts = {r.then: f"c{j}" for j, r in enumerate(pack.rules)}
        tr = _Translator(props, facts)
        rules: dict[str, Any] = {}
        actions: dict[str, tuple[str, str, str, Status]] = {}
        for j, rule in enumerate(pack.rules):
            prop = facts[rule.then]
            gate = [_ALWAYS, {"$ex": {"b": 1}}, {"$nex": {prop: 1}},
                    *[{"$ex": {facts[d]: 1}} for d in rule.deps]]
            m, u, nm, nu = tr.four(rule.cond)
            for status, expr in (("met", m), ("unmet", u), ("unknown", _and([nm, nu]))):
                name = f"{rule.id}#{status}"
                rules[name] = {"all": [{"m": {"$and": [*gate, expr]}}], "pri": j + 1}
                actions[name] = (rule.id, rule.then, prop, status)  # type: ignore[assignment]
        self._counter += 1
        safe = re.sub(r"[^A-Za-z0-9_]", "_", f"{pack.pack}_{pack.call}_{pack.digest[:16]}")
        handle = _dre.create_ruleset(f"fast_{safe}_{self._counter}", json.dumps(rules))
        return _Plan(handle, props, actions)

    def run(self, pack: CompiledPack, values: Mapping[str, Value]
            ) -> tuple[dict[str, Status], list[str]]:
        """Statuses of every rule's conclusion, and the rule ids in firing order."""
        plan = self._plan(pack)
        fact: dict[str, Any] = {"t": "fundrules", "b": 1}
        for key, names in plan.props.items():
            v = values[key]
            if len(names) == 2:
                fact[names[0]] = v.lo if v.lo is not None else -(10**15)
                fact[names[1]] = v.hi if v.hi is not None else 10**15
            else:
                fact[names[0]] = v.sym if v.sym is not None else UNKNOWN_SYM
        statuses: dict[str, Status] = {}
        trace: list[str] = []
        h = plan.handle
        with self._lock:
            sid = self._slots[self._next_slot % len(self._slots)]
            self._next_slot += 1
            fact["sid"] = sid
            fired = False
            try:
                state = _dre.assert_fact(h, json.dumps(fact))[1]
                started = _dre.start_action_for_state(h, state)
                message = started[1] if started else None
                state_json = started[0] if started else ""

                while message:
                    fired = True
                    name = message[2:message.index('"', 2)]  # '{"<rule name>": {...}}'
                    rule_id, then, prop, status = plan.actions[name]
                    trace.append(rule_id)
                    statuses[then] = status
                    _dre.retract_fact(h, json.dumps(fact))
                    fact[prop] = status
                    _dre.assert_fact(h, json.dumps(fact))
                    _dre.update_state(h, state_json)
                    message = _dre.complete_and_start_action(h, state)
            finally:
                if fired:
                    _dre.delete_state(h, sid)
                else:  # pitfall 2: never delete a state no action touched
                    self._slots.remove(sid)
        if len(statuses) != len(pack.rules):
            raise EngineError([Diagnostic(
                "engine-failure", f"durable_rules stopped before deciding every rule of "
                f"`{pack.pack}`", hint="this is a fundrules bug: please report it")])
        return statuses, trace
