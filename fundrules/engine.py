"""The durable_rules backend: the only module that imports durable_rules.

Each compiled call becomes one durable_rules ruleset (or a few, for a very large pack),
generated from the semantics by :mod:`fundrules.runtime.durable_form` and registered
once, when an Engine is built. An evaluation writes one *working fact* holding the
applicant's input values (measures and other inputs are computed in Python beforehand);
every pack rule is two durable rules (met / unmet) whose patterns encode its Kleene
status, and unknown is neither having fired. durable_rules matches those patterns and
keeps the agenda (which rule fires next, by priority); the adapter drives its C core and
records each firing (the statuses, the trace). Rules reading rules of the same round
read their conditions, substituted into their patterns, so the usual call is decided in
one assertion; a later round's fact carries the statuses of the rounds before it.

Every pitfall of shared/notes/durable-rules.md is handled here; each has a
regression test in tests/unit/engine/test_durable_pitfalls.py:

1. import failure on Python 3.13: imported lazily by the Engine, which falls back
   to the python backend with a warning;
2. ``delete_state`` crash when no action fired: every state is primed (its ``$begin``
   rule fired on a priming fact) before anything else;
3. 1024 live sids per ruleset: a single-ruleset call keeps one state for ever (each
   working fact replaces the one before); a split call deletes its states after each
   evaluation; one evaluation at a time;
4. 32-bit FNV-1a sid hashes: one sid per kept state; a split call's sids come from a
   pool of slot names with distinct hashes;
5. timer threads: :class:`_QuietHost` never starts them; a lock serialises evaluations;
6. swallowed action exceptions: the adapter runs no action inside durable_rules; a
   firing it cannot read, or a rule left undecided, raises; an interrupted evaluation
   replaces the kept state (a started action would lock it);
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
    BEGIN_FACT_ID,
    ROUND,
    TYPE,
    DurableForm,
    FactText,
    Part,
    durable_form,
    limit_diagnostics,
    ordered_values,
)
from fundrules.runtime.semantics import Value

__all__ = ["MALLOC_TUNED", "RULESETS_WARNING", "DurableBackend", "DurableRunner", "fnv1a_32",
           "tune_malloc"]

#: Distinct rulesets one process may register before a RuntimeWarning (once): each costs
#: about 0.7 MB that durable_rules never frees, the call's kept state included (the
#: French pack measured 0.67 MB per version; docs/limits.md, "Hot reload").
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


def _never(c: Any) -> None:  # pragma: no cover - fundrules drives the actions itself
    raise AssertionError("durable_rules' own action dispatch is not used")


#: the sid of the one state a single-ruleset call keeps (evaluations are serialised, and
#: one sid per ruleset cannot collide: pitfall 4)
KEPT_SID = "k"


class _Plan:
    """One part of a call as the adapter drives it: its ruleset and fixed JSON fragments."""

    def __init__(self, form: DurableForm, part: Part | None, handle: int, sid: str) -> None:
        self.handle = handle
        self.part = part
        self.text = FactText(form, part, sid)
        first, stop = (0, form.rounds) if part is None else (part.first, part.stop)
        self.rounds = range(first, min(stop, form.rounds))
        # a round's fact ends with its round and an id of its own
        self.tails = {k: f',"{ROUND}":{k},"id":"{k}"}}' for k in self.rounds}
        self.prime = json.dumps({"sid": sid, "t": TYPE, "b": 1, "id": BEGIN_FACT_ID})
        self.unprime = json.dumps({"sid": sid, "id": BEGIN_FACT_ID})
        self.reads = part.reads if part is not None else ()


class DurableRunner:
    """One call registered with durable_rules, ready to evaluate.

    A call registered as one ruleset keeps one state, primed once (its ``$begin`` rule
    fired, pitfall 2): each round's working fact is written as the state's own fact
    (``update_state``), which retracts the one before it in the same call, so
    durable_rules allocates a state's tables (about 10 KB per durable rule) only once;
    between evaluations the state holds the last one's working fact (input values,
    nothing that names the applicant). A call split over several rulesets (a very
    large pack) takes a slot sid per evaluation and deletes its states afterwards, so
    that their larger tables are not held for the life of the process.
    """

    def __init__(self, backend: DurableBackend, call: CompiledPack, form: DurableForm,
                 names: list[str], handles: list[int]) -> None:
        self._backend = backend
        self.call = call
        self.form = form
        self.names = names  # one ruleset per part of the form
        self.name = names[0]
        self._handles = handles
        self._handle = handles[0]
        self.keeps_state = len(form.parts) <= 1
        #: the auxiliary rules of a split wide rule: decided, then dropped (never reported)
        self._hidden = frozenset(form.hidden)
        self._count = len(call.rules) + len(self._hidden)
        #: durable rule name -> (rule, status, what its firing writes into the later
        #: rounds' facts); `$begin` is not there: it never fires on a working fact
        self._conclude: dict[str, tuple[str, Status, str]] = {
            name: (a.rule, a.status, f',"{a.prop}":"{a.status}"')
            for name, a in form.actions.items()}
        self._written = {(rule, status): fragment
                         for rule, status, fragment in self._conclude.values()}
        self._written.update({(rule, "unknown"): f',"{prop}":"unknown"'
                              for rule, prop in form.facts.items()})
        # per round: the strata it settles (each with its members), and each settled
        # rule's stratum among them (the trace orders a round's firings by it)
        self._groups = tuple(tuple((g, frozenset(g)) for g in round_groups)
                             for round_groups in form.groups)
        self._rank = tuple({r: i for i, g in enumerate(round_groups) for r in g}
                           for round_groups in form.groups)
        if self.keeps_state:
            part = form.parts[0] if form.parts else None
            self._kept = _Plan(form, part, handles[0], KEPT_SID)
            with backend.lock:
                self._prime(self._kept)

    def _plans(self, sid: str) -> list[_Plan]:
        return [_Plan(self.form, part, handle, sid)
                for part, handle in zip(self.form.parts, self._handles, strict=True)]

    @staticmethod
    def _prime(plan: _Plan) -> None:
        """Fire the ``$begin`` rule once on the plan's state, leaving it empty."""
        result = _engine.assert_fact(plan.handle, plan.prime)
        if result[0] != 0:
            raise _Stop(f"the priming fact matched no rule ({result[0]})")
        started = _engine.start_action_for_state(plan.handle, result[1])
        message = started[1] if started else None
        if not message:
            raise _Stop("the priming fact fired no action")
        while message:
            message = _engine.complete_and_start_action(plan.handle, result[1])
        _engine.retract_fact(plan.handle, plan.unprime)

    def _drive(self, plan: _Plan, ordered: list[Any], statuses: dict[str, Status],
               trace: list[str], pending: tuple[list[str], list[str]]) -> None:
        """Assert the part's working fact once per round and run every action it enables.

        A round's rules that are met or unmet fire; after the round, those left without a
        status are unknown, which the adapter writes into the facts of the later rounds
        (negation as failure needs no assertion of its own). durable_rules' agenda
        decides what fires and in which order (by priority: compiled order); a stratum's
        decided rules join the trace in that order, then its unknown ones. ``pending``:
        the decided and the unknown rules of strata not settled yet.
        """
        handle, conclude, written, hidden = plan.handle, self._conclude, self._written, self._hidden
        fired, unknown = pending
        added = [plan.text.head(ordered)]
        added += [written[r, statuses[r]] for r in plan.reads]
        update, start = _engine.update_state, _engine.start_action_for_state
        complete = _engine.complete_and_start_action
        last = plan.rounds[-1] if plan.rounds else 0
        for round_ in plan.rounds:
            carry = round_ != last  # later rounds read what this one concludes
            before = len(statuses)
            # the round's fact becomes the state's fact: the one before it (the last
            # round's, or the last evaluation's) is retracted in the same call
            state = update(handle, "".join(added) + plan.tails[round_])
            started = start(handle, state)
            message = started[1] if started else None
            while message:
                # the message is '{"<rule name>":{...}}': only the name is needed
                rule, status, fragment = conclude[message[2:message.index('"', 2)]]
                if rule not in statuses:
                    statuses[rule] = status
                    fired.append(rule)
                    if carry:
                        added.append(fragment)
                elif statuses[rule] != status:  # exclusive patterns broke
                    raise _Stop(f"rule `{rule}` matched as both "
                                f"{statuses[rule]} and {status}")
                # else: a fact matching several branches of an `$or` activates its rule
                # once per branch; the first activation concluded, the others are
                # refracted
                message = complete(handle, state)
            members_of = self.form.round_rules[round_]
            if len(statuses) - before < len(members_of):  # its round is over: what did
                for rule_id in members_of:  # not match is unknown
                    if rule_id not in statuses:
                        statuses[rule_id] = "unknown"
                        unknown.append(rule_id)
                        if carry:
                            added.append(written[rule_id, "unknown"])
            groups = self._groups[round_]
            if not groups:
                continue
            if unknown:  # each stratum settled: its decided rules, then its unknown ones
                for group, members in groups:
                    trace += [r for r in fired if r in members]
                    trace += [r for r in group if statuses[r] == "unknown"]
            else:  # nothing unknown: the firings, stratum by stratum
                shown = [r for r in fired if r not in hidden] if hidden else fired
                trace += sorted(shown, key=self._rank[round_].__getitem__)
            fired.clear()
            unknown.clear()

    def run(self, values: Mapping[Input, Value]) -> tuple[dict[str, Status], list[str]]:
        """Every rule's status (by rule id), and the rule ids in firing order."""
        backend = self._backend
        statuses: dict[str, Status] = {}
        trace: list[str] = []
        pending: tuple[list[str], list[str]] = ([], [])
        error: BaseException | None = None
        ordered = ordered_values(self.form, values)
        with backend.lock:
            if self.keeps_state:
                plan = self._kept
                try:
                    self._drive(plan, ordered, statuses, trace, pending)
                except BaseException as exc:  # durable_rules raises bare Exceptions
                    # an action started and never completed leaves the state locked (no
                    # action of it would start for 30 s): a new state, whatever stopped it
                    self._reset(plan)
                    if not isinstance(exc, Exception):
                        raise
                    error = exc
            else:
                sid = backend.take_slot()
                primed: list[int] = []
                unprimed = False  # a state exists where no action fired: never delete it
                try:
                    for plan in self._plans(sid):
                        unprimed = True
                        self._prime(plan)
                        unprimed = False
                        primed.append(plan.handle)
                        self._drive(plan, ordered, statuses, trace, pending)
                except Exception as exc:  # durable_rules raises bare Exceptions
                    error = exc
                finally:
                    backend.release_slot(sid, primed, retire=unprimed)
        if error is not None or len(statuses) != self._count:
            call = self.call
            raise EngineError([Diagnostic(
                "engine-failure", f"durable_rules did not finish pack `{call.pack}` call "
                f"`{call.call}`: {error}" if error else
                f"durable_rules stopped before deciding every rule of `{call.pack}`",
                hint="this is a fundrules bug: please report it with the applicant")])
        for rule_id in self._hidden:
            del statuses[rule_id]
        return statuses, trace

    def _reset(self, plan: _Plan) -> None:
        """After a failed evaluation: a new, primed, empty state (the old one is deleted)."""
        _engine.delete_state(plan.handle, KEPT_SID)
        self._prime(plan)


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
                "about 0.7 MB each: reload packs in a fresh worker process instead "
                "(docs/limits.md, Hot reload)", RuntimeWarning, stacklevel=2)
        return DurableRunner(self, call, form, names, handles)

    def take_slot(self) -> str:
        """A sid for one evaluation (pitfalls 3, 4); the caller holds the lock."""
        sid = self._slots[self._next_slot % len(self._slots)]
        self._next_slot += 1
        return sid

    def release_slot(self, sid: str, handles: list[int], *, retire: bool = False) -> None:
        """Delete the evaluation's states: each was primed, so deleting is safe (pitfall 2).

        ``retire``: a state of this sid could not be primed; it can never be deleted
        safely, so the sid is never used again.
        """
        for handle in handles:
            _engine.delete_state(handle, sid)
        if not retire:
            return
        self._slots.remove(sid)
        self._retired += 1
        if not self._slots:
            self._slots = slot_names(_POOL_SIZE, start=10_000 * self._retired)
