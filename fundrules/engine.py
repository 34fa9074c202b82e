"""The durable_rules backend: the only module that imports durable_rules.

Each compiled call becomes one durable_rules ruleset, generated from the semantics by
:mod:`fundrules.runtime.durable_form` and registered once, when an Engine is built. An
evaluation asserts one *working fact* holding the applicant's input values (measures
and other inputs are computed in Python beforehand); every pack rule is three durable
rules (met / unmet / unknown) whose patterns encode its Kleene status. durable_rules
matches those patterns and keeps the agenda (which rule fires next, by priority); the
adapter drives its C core, records each firing (the trace) and writes the rule's status
into the working fact, which is asserted again once per stratum so that the rules
reading it can match.

Every pitfall of shared/notes/durable-rules.md is handled here; each has a
regression test in tests/unit/engine/test_durable_pitfalls.py:

1. import failure on Python 3.13: imported lazily by the Engine, which falls back
   to the python backend with a warning;
2. ``delete_state`` crash when no action fired: a ``begin`` rule always fires first;
3. 1024 live sids per ruleset: one evaluation at a time, state always deleted;
4. 32-bit FNV-1a sid hashes: sids come from a pool of slot names with distinct hashes;
5. timer threads: :class:`_QuietHost` never starts them; a lock serialises evaluations;
6. swallowed action exceptions: actions record errors; a missing ``done`` raises;
7. patterns matching the state: every pattern tests the type discriminator ``t``;
8. heap trimming on delete: ``M_TRIM_THRESHOLD`` raised at import on glibc; 13: the
   mmap threshold is fixed too, so the cost does not depend on heap history;
9. ``register_rulesets`` mutates its input and cannot re-register: deep copies and
   the pack digest in the ruleset name;
10. weak typing: values are normalised (ordinal dates, integer cents, strings);
11, 12. engine limits: found by ``limit_diagnostics`` before registering, at Engine
   construction, and reported located in the pack;
15. a failed registration is never retried: it fails the Engine's construction.
"""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import json
import platform
import re
import threading
import warnings
from collections.abc import Mapping
from typing import Any

import durable_rules_engine as _engine
from durable import engine as _durable

from fundrules.diagnostics import Diagnostic
from fundrules.errors import EngineError, PackError
from fundrules.policies.ir import CompiledPack, Input, Status
from fundrules.runtime.durable_form import (
    ROUND,
    Action,
    DurableForm,
    Part,
    durable_form,
    limit_diagnostics,
    working_fact,
)
from fundrules.runtime.semantics import Value

__all__ = ["MALLOC_TUNED", "RULESETS_WARNING", "DurableBackend", "DurableRunner", "fnv1a_32",
           "tune_malloc"]

#: Distinct rulesets one process may register before a RuntimeWarning (once): each costs
#: about 0.35-0.7 MB that durable_rules never frees (docs/limits.md, "Hot reload").
RULESETS_WARNING = 100

_POOL_SIZE = 64
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc() -> bool:
    """Pitfalls 8 and 13: no heap trim on every state delete, and a fixed mmap threshold.

    Raising ``M_TRIM_THRESHOLD`` alone freezes glibc's dynamic mmap threshold at its
    start value (128 KiB); a durable state is a ~252 KiB allocation, so depending on
    heap history every evaluation would mmap and munmap it. Setting the mmap threshold
    to 4 MiB keeps states on the heap whatever happened before. Returns whether both
    were set (False off glibc, where neither applies).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim = libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024 * 1024)
        mmap = libc.mallopt(_M_MMAP_THRESHOLD, 4 * 1024 * 1024)
        return bool(trim) and bool(mmap)
    except (OSError, AttributeError):  # pragma: no cover - not glibc after all
        return False


MALLOC_TUNED = tune_malloc()


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable_rules uses to identify a state (sid)."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def slot_names(n: int, start: int = 0) -> list[str]:
    """Pitfall 4: sid names whose hashes are pairwise distinct (checked, not assumed)."""
    names: list[str] = []
    seen: set[int] = set()
    i = start
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


class _Stop(Exception):
    """Internal: the evaluation cannot go on."""


def _check(result: Any, what: str) -> int:
    """A C call's result: (0, handle) is success; 1 = no rule matched, 2 = seen before."""
    if result[0] == 1:
        raise _Stop(f"no rule matched the {what}")
    if result[0] == 2:
        raise _Stop(f"durable_rules saw the {what} before")
    return int(result[1]) if result[0] == 0 else 0


def _never(c: Any) -> None:  # pragma: no cover - fundrules drives the actions itself
    raise AssertionError("durable_rules' own action dispatch is not used")


@dataclasses.dataclass
class _Run:
    """What the firings of one evaluation concluded."""

    statuses: dict[str, Status] = dataclasses.field(default_factory=dict)
    trace: list[str] = dataclasses.field(default_factory=list)
    fired: int = 0
    #: the later parts' rulesets in which an action fired: each holds a state to delete
    touched: list[str] = dataclasses.field(default_factory=list)


class DurableRunner:
    """One call registered with durable_rules, ready to evaluate."""

    def __init__(self, backend: DurableBackend, call: CompiledPack, form: DurableForm,
                 names: list[str], handles: list[int]) -> None:
        self._backend = backend
        self.call = call
        self.form = form
        self.names = names  # one ruleset per part of the form
        self.name = names[0]
        self._handles = handles
        self._handle = handles[0]

    def _part_fact(self, part: Part, fact: dict[str, Any], run: _Run) -> dict[str, Any]:
        """The working fact of a later part: its inputs, and the statuses it reads."""
        out: dict[str, Any] = {"sid": fact["sid"], "t": fact["t"]}
        names = list(self.form.props.values())
        for i in part.inputs:
            for prop in names[i]:
                if prop in fact:
                    out[prop] = fact[prop]
        for rule_id in part.reads:
            out[self.form.facts[rule_id]] = run.statuses[rule_id]
        return out

    def _drive_parts(self, fact: dict[str, Any], run: _Run) -> None:
        """Drive every part of the form in order (one ruleset each), sharing the statuses."""
        parts = self.form.parts
        if len(parts) <= 1:
            self._drive(fact, run)
            return
        for k, (part, handle) in enumerate(zip(parts, self._handles, strict=True)):
            before = run.fired
            try:
                self._drive(self._part_fact(part, fact, run), run, handle, part.first, part.stop)
            finally:
                if k and run.fired > before:  # its state exists: delete it (pitfall 2)
                    run.touched.append(self.names[k])

    def _drive(self, fact: dict[str, Any], run: _Run, handle: int | None = None,
               first: int = 0, stop: int | None = None) -> None:
        """Assert the working fact once per round and run every action it enables.

        A stratum's rounds let its rules that are met or unmet fire; after its last round
        the rules left without a status are unknown, which the adapter writes into the
        fact (negation as failure needs no assertion of its own). Rules read statuses of
        lower strata, which the fact carries by then. Gates keep every rule from firing
        twice, so durable_rules' agenda decides what fires and in which order (by
        priority).
        """
        handle = self._handle if handle is None else handle
        actions, facts = self.form.actions, self.form.facts
        last = self.form.rounds if stop is None else min(stop, self.form.rounds)
        # the applicant's part of the fact is serialised once; what the firings add (a
        # status, the begin marker) and the round are fixed JSON fragments appended to it
        fact.pop(ROUND, None)
        head = json.dumps(fact, ensure_ascii=False)[:-1]
        added: list[str] = [head]
        for round_ in range(first, last):
            settles = self.form.settles[round_]
            fact[ROUND] = round_
            added.append(f',"{ROUND}":{round_}}}')
            text = "".join(added)
            added.pop()
            result = _engine.assert_fact(handle, text)
            if result[0] != 1:  # 1: no rule matches in this round, nothing to fire
                self._fire(handle, _check(result, "applicant"), actions, fact, added, run)
            for rule_id in self.form.round_rules[round_]:  # its round is over: what did
                if rule_id not in run.statuses:  # not match is unknown
                    run.statuses[rule_id] = "unknown"
                    fact[facts[rule_id]] = "unknown"
                    added.append(f',"{facts[rule_id]}":"unknown"')
            # the stratum is over: its unknown rules follow its decided ones in the trace
            run.trace += [r for r in settles if run.statuses.get(r) == "unknown"]

    @staticmethod
    def _fire(handle: int, state: int, actions: Mapping[str, Action], fact: dict[str, Any],
              added: list[str], run: _Run) -> None:
        """Run every action one assertion enabled, in durable_rules' agenda order."""
        started = _engine.start_action_for_state(handle, state)
        message = started[1] if started else None
        while message:
            run.fired += 1
            # the message is '{"<rule name>":{...}}': only the name is needed
            action = actions[message[2:message.index('"', 2)]]
            if action.rule is None:
                fact[action.prop] = 1
                added.append(f',"{action.prop}":1')
            elif action.rule not in run.statuses:
                run.trace.append(action.rule)
                run.statuses[action.rule] = action.status
                fact[action.prop] = action.status
                added.append(f',"{action.prop}":"{action.status}"')
            elif run.statuses[action.rule] != action.status:  # exclusive patterns broke
                raise _Stop(f"rule `{action.rule}` matched as both "
                            f"{run.statuses[action.rule]} and {action.status}")
            # else: a fact matching several branches of an `$or` activates its rule
            # once per branch; the first activation concluded, the others are refracted
            message = _engine.complete_and_start_action(handle, state)

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], list[str]]:
        """Every rule's status (by rule id), and the rule ids in firing order."""
        backend = self._backend
        run = _Run()
        error: BaseException | None = None
        with backend.lock:
            sid = backend.take_slot()
            fact = working_fact(self.form, values, sid)
            try:
                self._drive_parts(fact, run)
            except Exception as exc:  # durable_rules raises bare Exceptions
                error = exc
            finally:
                backend.release_slot(self.name, sid, touched=run.fired > 0, also=run.touched)
        if error is not None or len(run.statuses) != len(self.call.rules):
            call = self.call
            raise EngineError([Diagnostic(
                "engine-failure", f"durable_rules did not finish pack `{call.pack}` call "
                f"`{call.call}`: {error}" if error else
                f"durable_rules stopped before deciding every rule of `{call.pack}`",
                hint="this is a fundrules bug: please report it with the applicant")])
        return run.statuses, run.trace


class DurableBackend:
    """Runs compiled calls on durable_rules. Thread-safe; one evaluation at a time.

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
        self.lock = threading.RLock()
        self._host = _QuietHost()
        self._prepared: dict[tuple[str, str, str], DurableRunner] = {}
        self._slots = slot_names(_POOL_SIZE)
        self._next_slot = 0
        self._retired = 0
        self._warned = False  # RULESETS_WARNING passed and said

    def prepare(self, call: CompiledPack) -> DurableRunner:
        """Register the call's ruleset once (by pack, digest and call); fail here, located."""
        key = (call.pack, call.digest, call.call)
        with self.lock:
            found = self._prepared.get(key)
            if found is None:
                found = self._register(call)
                self._prepared[key] = found
            return found

    def _register(self, call: CompiledPack) -> DurableRunner:
        form = durable_form(call)
        problems = limit_diagnostics(call, form)
        if problems:
            raise PackError(problems)
        safe = re.sub(r"[^A-Za-z0-9_]", "_", f"{call.pack}_{call.call}_{call.digest[:16]}")
        base = f"fundrules_{safe}_{len(self._prepared)}"
        names: list[str] = []
        handles: list[int] = []
        parts = form.parts or (None,)
        for k, part in enumerate(parts):
            name = base if k == 0 else f"{base}_part{k}"
            body = form.definition if part is None else form.part_definition(part)
            # pitfall 9: durable_rules mutates what it is given; hand it a copy
            definition = {rule: {**copy.deepcopy(b), "run": _never} for rule, b in body.items()}
            try:
                self._host.register_rulesets({name: definition})
            except Exception as exc:  # durable_rules raises bare Exceptions with a code
                raise PackError([Diagnostic(
                    "engine-limit", f"durable_rules refused pack `{call.pack}` call "
                    f"`{call.call}`: {exc}", hint="use `backend=\"python\"` and report the "
                    "pack: fundrules' checks should have found this", file=call.pack)]) from exc
            names.append(name)
            handles.append(self._host.get_ruleset(name)._handle)
        if len(self._prepared) >= RULESETS_WARNING and not self._warned:  # past it: once
            self._warned = True
            warnings.warn(
                f"{len(self._prepared) + 1} durable_rules rulesets are registered in this "
                "process (one per pack version and call); durable_rules never frees them, "
                "about 0.5 MB each: reload packs in a fresh worker process instead "
                "(docs/limits.md, Hot reload)", RuntimeWarning, stacklevel=2)
        return DurableRunner(self, call, form, names, handles)

    def take_slot(self) -> str:
        """A sid for one evaluation (pitfalls 3, 4); the caller holds the lock."""
        sid = self._slots[self._next_slot % len(self._slots)]
        self._next_slot += 1
        return sid

    def release_slot(self, ruleset: str, sid: str, *, touched: bool,
                     also: list[str] | None = None) -> None:
        """Delete the evaluation's state; never one no action touched (pitfall 2).

        ``also``: the later parts' rulesets the evaluation went through (each fired its
        begin rule there, so each has a state to delete).
        """
        if touched:
            self._host.delete_state(ruleset, sid)
            for other in also or ():
                self._host.delete_state(other, sid)
            return
        self._slots.remove(sid)  # retire it: its state can never be deleted safely
        self._retired += 1
        if not self._slots:
            self._slots = slot_names(_POOL_SIZE, start=10_000 * self._retired)
