"""The durable_rules backend: the only module that imports durable_rules.

Each compiled call becomes one durable_rules ruleset. An evaluation asserts one
*working fact* holding the applicant's input values; every pack rule is three
durable rules (met / unmet / unknown) whose patterns encode the Kleene status of the
rule's condition directly in durable_rules operators. When one fires, its action
adds the rule's conclusion to the working fact (retract + assert), which lets the
rules that read it fire next: durable_rules does the forward chaining, and the trace
is the order in which its actions ran.

Every pitfall of shared/notes/durable-rules.md is handled here; each has a
regression test in tests/engine/test_durable_pitfalls.py:

1. import failure on Python 3.13: imported lazily by the Engine, which falls back
   to the python backend with a warning;
2. ``delete_state`` crash when no action fired: a ``begin`` rule always fires first;
3. 1024 live sids per ruleset: one evaluation at a time, state always deleted;
4. 32-bit FNV-1a sid hashes: sids come from a pool of slot names with distinct hashes;
5. timer threads: :class:`_QuietHost` never starts them; a lock serialises evaluations;
6. swallowed action exceptions: actions record errors; a missing ``done`` raises;
7. patterns matching the state: every pattern tests the type discriminator ``t``;
8. heap trimming on delete: ``M_TRIM_THRESHOLD`` raised at import on glibc;
9. ``register_rulesets`` mutates its input and cannot re-register: deep copies and
   the pack digest in the ruleset name;
10. weak typing: values are normalised (ordinal dates, integer cents, strings);
11. 255 properties per fact: checked when a pack is prepared.
"""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import json
import platform
import re
import threading
from collections.abc import Mapping
from typing import Any

import durable_rules_engine as _engine
from durable import engine as _durable

from fundrules.diagnostics import Diagnostic, EngineError, PackError
from fundrules.policies.checks import levels
from fundrules.policies.ir import (
    UNKNOWN_SYM,
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    CompiledPack,
    Cond,
    COr,
    Status,
    Value,
)

__all__ = ["TRIM_THRESHOLD_RAISED", "DurableBackend", "fnv1a_32", "raise_trim_threshold"]

_TYPE = "fundrules"
_LO_UNKNOWN = -(10**15)
_HI_UNKNOWN = 10**15
_MAX_PROPERTIES = 255
_POOL_SIZE = 64
_ALWAYS: dict[str, Any] = {"t": _TYPE}
_NEVER: dict[str, Any] = {"t": "-never-"}


def raise_trim_threshold() -> bool:
    """Pitfall 8: stop glibc from trimming the heap on every state delete.

    Returns whether the threshold was set (False off glibc, where it does not apply).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-1, 128 * 1024 * 1024))  # M_TRIM_THRESHOLD = -1
    except (OSError, AttributeError):  # pragma: no cover - not glibc after all
        return False


TRIM_THRESHOLD_RAISED = raise_trim_threshold()


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable_rules uses to identify a state (sid)."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def _slot_names(n: int) -> list[str]:
    """Pitfall 4: sid names whose hashes are pairwise distinct (checked, not assumed)."""
    names: list[str] = []
    seen: set[int] = set()
    i = 0
    while len(names) < n:
        name = f"slot-{i}"
        h = fnv1a_32(name)
        if h not in seen:
            seen.add(h)
            names.append(name)
        i += 1
    return names


class _QuietHost(_durable.Host):  # type: ignore[misc]
    """Pitfall 5: a host that starts no timer threads (fundrules needs no timers)."""

    def _run(self) -> None:
        return None


@dataclasses.dataclass
class _Run:
    """What the actions of one evaluation record."""

    statuses: dict[str, Status] = dataclasses.field(default_factory=dict)
    trace: list[str] = dataclasses.field(default_factory=list)
    done: bool = False
    fired: int = 0
    error: BaseException | None = None


class _Translator:
    """Kleene conditions -> durable_rules expressions (M, U, not-M, not-U)."""

    def __init__(self, props: Mapping[str, tuple[str, ...]], facts: Mapping[str, str]) -> None:
        self.props = props
        self.facts = facts

    def four(self, cond: Cond) -> tuple[Any, Any, Any, Any]:
        """(met, unmet, not met, not unmet) as durable expressions."""
        if isinstance(cond, CLeaf):
            return self._leaf(cond)
        if isinstance(cond, CFact):
            p = self.facts[cond.fact]
            return ({p: "met"}, {p: "unmet"}, {"$neq": {p: "met"}}, {"$neq": {p: "unmet"}})
        if isinstance(cond, CConst):
            if cond.status == "met":
                return _ALWAYS, _NEVER, _NEVER, _ALWAYS
            if cond.status == "unmet":
                return _NEVER, _ALWAYS, _ALWAYS, _NEVER
            return _NEVER, _NEVER, _ALWAYS, _ALWAYS
        if isinstance(cond, CNot):
            m, u, nm, nu = self.four(cond.operand)
            return u, m, nu, nm
        parts = [self.four(op) for op in cond.operands]
        ms, us, nms, nus = ([p[i] for p in parts] for i in range(4))
        if isinstance(cond, CAnd):
            return _and(ms), _or(us), _or(nms), _and(nus)
        assert isinstance(cond, COr)
        return _or(ms), _and(us), _and(nms), _or(nus)

    def _leaf(self, leaf: CLeaf) -> tuple[Any, Any, Any, Any]:
        c = leaf.value
        if leaf.numeric:
            lo, hi = self.props[leaf.input]
            table = {
                "ge": ({"$gte": {lo: c}}, {"$lt": {hi: c}}, {"$lt": {lo: c}}, {"$gte": {hi: c}}),
                "gt": ({"$gt": {lo: c}}, {"$lte": {hi: c}}, {"$lte": {lo: c}}, {"$gt": {hi: c}}),
                "le": ({"$lte": {hi: c}}, {"$gt": {lo: c}}, {"$gt": {hi: c}}, {"$lte": {lo: c}}),
                "lt": ({"$lt": {hi: c}}, {"$gte": {lo: c}}, {"$gte": {hi: c}}, {"$lt": {lo: c}}),
            }
            if leaf.op in table:
                return table[leaf.op]
            eq = (_and([{lo: c}, {hi: c}]), _or([{"$gt": {lo: c}}, {"$lt": {hi: c}}]),
                  _or([{"$neq": {lo: c}}, {"$neq": {hi: c}}]),
                  _and([{"$lte": {lo: c}}, {"$gte": {hi: c}}]))
            return eq if leaf.op == "eq" else (eq[1], eq[0], eq[3], eq[2])
        (s,) = self.props[leaf.input]
        values = c if isinstance(c, tuple) else (c,)
        met = _or([{s: v} for v in values])
        not_met = _and([{"$neq": {s: v}} for v in values])
        unmet = _and([not_met, {"$neq": {s: UNKNOWN_SYM}}])
        not_unmet = _or([met, {s: UNKNOWN_SYM}])
        if leaf.op in ("eq", "in"):
            return met, unmet, not_met, not_unmet
        return unmet, met, not_unmet, not_met


def _and(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else {"$and": items}


def _or(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else {"$or": items}


@dataclasses.dataclass(frozen=True)
class _Action:
    """What one durable rule's firing means: a rule concluded ``then`` with ``status``."""

    rule: str | None  # None for the $begin bookkeeping rule
    prop: str
    status: Status
    then: str = ""


@dataclasses.dataclass
class _Prepared:
    name: str
    pack: CompiledPack
    props: dict[str, tuple[str, ...]]
    facts: dict[str, str]
    definition: dict[str, Any]  # the JSON ruleset as registered
    actions: dict[str, _Action]
    handle: int  # the C ruleset handle
    strata: int  # how many times the working fact is asserted (see _drive)


def _never(c: Any) -> None:  # pragma: no cover - fundrules drives the actions itself
    raise AssertionError("durable_rules' own action dispatch is not used")


def _check(result: Any, what: str) -> int:
    """A C call's result: (0, handle) is success; 1 = no rule matched, 2 = seen before."""
    if result[0] == 1:
        raise _Stop(f"no rule matched the {what}")
    if result[0] == 2:
        raise _Stop(f"durable_rules saw the {what} before")
    return int(result[1]) if result[0] == 0 else 0


class _Stop(Exception):
    """Internal: the evaluation cannot go on."""


class DurableBackend:
    """Runs compiled packs on durable_rules. Thread-safe; one evaluation at a time.

    durable_rules matches patterns and keeps the agenda (which rule fires next); this
    adapter drives the action loop itself through the C core, as durable_rules' own
    Python host does, without its per-action closures, timers and state round trips.
    """

    name = "durable"
    _shared: DurableBackend | None = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> DurableBackend:
        """The process-wide backend, shared by every Engine.

        durable_rules' host can never free a registered ruleset, so each pack version is
        registered once per process, however many Engines are built.
        """
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._host = _QuietHost()
        self._prepared: dict[tuple[str, str, str], _Prepared] = {}
        self._slots = _slot_names(_POOL_SIZE)
        self._next_slot = 0

    def prepare(self, pack: CompiledPack) -> _Prepared:
        """Register the pack's ruleset once (cached by pack, digest and call)."""
        key = (pack.pack, pack.digest, pack.call)
        with self._lock:
            found = self._prepared.get(key)
            if found is None:
                found = self._register(pack)
                self._prepared[key] = found
            return found

    def _register(self, pack: CompiledPack) -> _Prepared:
        props: dict[str, tuple[str, ...]] = {}
        for i, spec in enumerate(pack.inputs):
            numeric = spec.type in ("number", "money", "date", "instant")
            props[spec.key] = (f"n{i}l", f"n{i}h") if numeric else (f"s{i}",)
        facts = {r.then: f"c{j}" for j, r in enumerate(pack.rules)}
        count = sum(len(p) for p in props.values()) + len(facts) + 3  # t, sid, begun
        if count > _MAX_PROPERTIES:
            raise PackError([Diagnostic(
                "engine-limit", f"pack `{pack.pack}` call `{pack.call}` needs {count} properties "
                f"per fact; durable_rules allows {_MAX_PROPERTIES}",
                hint="split the pack or use fewer inputs", file=pack.pack)])
        tr = _Translator(props, facts)
        rules: dict[str, Any] = {"$begin": {
            "all": [{"m": {"$and": [_ALWAYS, {"$nex": {"b": 1}}]}}], "pri": 0}}
        actions = {"$begin": _Action(None, "b", "met")}
        for j, rule in enumerate(pack.rules):
            prop = facts[rule.then]
            gate = [_ALWAYS, {"$nex": {prop: 1}}]
            gate += [{"$ex": {facts[d]: 1}} for d in rule.deps]
            m, u, nm, nu = tr.four(rule.cond)
            variants: tuple[tuple[Status, Any], ...] = (
                ("met", m), ("unmet", u), ("unknown", _and([nm, nu])))
            for status, expr in variants:
                name = f"{rule.id}#{status}"
                rules[name] = {"all": [{"m": {"$and": [*gate, expr]}}], "pri": j + 1}
                actions[name] = _Action(rule.id, prop, status, rule.then)
        safe = re.sub(r"[^A-Za-z0-9_]", "_", f"{pack.pack}_{pack.call}_{pack.digest[:16]}")
        name = f"fundrules_{safe}_{len(self._prepared)}"
        # pitfall 9: durable_rules mutates what it is given; hand it a copy
        definition = {rule: {**copy.deepcopy(body), "run": _never} for rule, body in rules.items()}
        self._host.register_rulesets({name: definition})
        handle = self._host.get_ruleset(name)._handle
        strata = 1 + max(levels(list(pack.rules)).values(), default=0)
        return _Prepared(name, pack, props, facts, rules, actions, handle, strata)

    def _fact(self, prepared: _Prepared, values: Mapping[str, Value], sid: str) -> dict[str, Any]:
        fact: dict[str, Any] = {"sid": sid, "t": _TYPE}
        for key, names in prepared.props.items():
            v = values[key]
            if len(names) == 2:
                fact[names[0]] = v.lo if v.lo is not None else _LO_UNKNOWN
                fact[names[1]] = v.hi if v.hi is not None else _HI_UNKNOWN
            else:
                fact[names[0]] = v.sym if v.sym is not None else UNKNOWN_SYM
        return fact

    def _drive(self, prepared: _Prepared, fact: dict[str, Any], run: _Run) -> None:
        """Assert the working fact once per stratum and run every action it enables.

        Stratum 0 rules read only applicant inputs; rules of stratum k read conclusions
        of lower strata, which the fact carries from the second assertion on. Gates keep
        every rule from firing twice, so durable_rules' agenda decides what fires and in
        which order (by priority), and the chain ends when the agenda is empty.
        """
        handle = prepared.handle
        for _ in range(prepared.strata):
            state = _check(_engine.assert_fact(handle, json.dumps(fact)), "applicant")
            started = _engine.start_action_for_state(handle, state)
            message = started[1] if started else None
            while message:
                run.fired += 1
                # the message is '{"<rule name>":{...}}': only the name is needed
                action = prepared.actions[message[2:message.index('"', 2)]]
                # a fact matching several branches of an `$or` activates its rule once per
                # branch: the first activation concludes, the others are refracted
                if action.rule is not None and action.then not in run.statuses:
                    run.trace.append(action.rule)
                    run.statuses[action.then] = action.status
                    fact[action.prop] = action.status
                elif action.rule is None:
                    fact[action.prop] = 1
                elif run.statuses[action.then] != action.status:  # exclusive patterns broke
                    raise _Stop(f"rule `{action.rule}` matched as both "
                                f"{run.statuses[action.then]} and {action.status}")
                message = _engine.complete_and_start_action(handle, state)
        run.done = len(run.statuses) == len(prepared.pack.rules)

    def run(self, pack: CompiledPack, values: Mapping[str, Value]
            ) -> tuple[dict[str, Status], list[str]]:
        """Statuses of every rule's conclusion, and the rule ids in firing order."""
        prepared = self.prepare(pack)
        fact = self._fact(prepared, values, "")
        run = _Run()
        with self._lock:
            sid = fact["sid"] = self._slots[self._next_slot % len(self._slots)]
            self._next_slot += 1
            try:
                self._drive(prepared, fact, run)
            except Exception as exc:  # durable_rules raises bare Exceptions
                run.error = exc
            finally:
                if run.fired:
                    self._host.delete_state(prepared.name, sid)
                else:  # pitfall 2: never delete a state no action touched; retire its slot
                    self._slots.remove(sid)
                    if not self._slots:
                        self._slots = _slot_names(_POOL_SIZE * 2)[_POOL_SIZE:]
        if run.error is not None or not run.done:
            raise EngineError([Diagnostic(
                "engine-failure", f"durable_rules did not finish pack `{pack.pack}` call "
                f"`{pack.call}`: {run.error}" if run.error else
                f"durable_rules stopped before deciding every rule of `{pack.pack}`",
                hint="this is a fundrules bug: please report it with the applicant")])
        return run.statuses, run.trace
