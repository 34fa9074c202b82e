"""A compiled call as a durable_rules ruleset: plain JSON, generated from the semantics.

Every rule becomes durable rules for its three statuses:

- *met* and *unmet*: the outcomes of :data:`~fundrules.runtime.semantics.COMPARISONS`
  combined by :data:`~fundrules.runtime.semantics.CONNECTIVES`, written as durable
  patterns. An unknown bound or symbol is an *absent property* of the working fact, and
  a durable comparison on an absent property never matches, exactly as a test on an
  unknown side never holds: the patterns are positive, with no negation at all. No
  value real data can take stands for unknown.
- *unknown*: neither of them matched. The working fact is asserted in rounds (its
  ``r`` property counts them), one or more per stratum, in which its rules that are met
  or unmet fire; once a stratum's rounds are over, a rule of it whose status is still
  absent is unknown (negation as failure, stratified): the adapter writes that status
  into the fact, without a round of its own, before the next stratum's rounds. A round
  holds at most :data:`ROUND_SIZE` rules, which keeps every call within durable_rules'
  limits.

Hence the trace: per stratum, the rules decided met or unmet in compiled order, then
those left unknown, in compiled order (the python backend follows the same order).

This module builds data only; :mod:`fundrules.engine` registers it with durable_rules
(the only module importing it), and ``fundrules check`` reads :func:`limit_diagnostics`
to report what durable_rules would refuse, located in the pack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from fundrules.diagnostics import Diagnostic
from fundrules.policies.ir import (
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    CompiledPack,
    CompiledRule,
    Cond,
    COr,
    Input,
    Status,
)
from fundrules.runtime.durable_limits import (
    MAX_PROPERTIES_PER_FACT,
    LimitViolation,
    constant_violations,
    fact_property_violations,
    ruleset_limit_violations,
)
from fundrules.runtime.facts import InputValues
from fundrules.runtime.semantics import CONNECTIVES, Quantifier, Test, comparison
from fundrules.runtime.walk import leaves

__all__ = ["PART_PROPERTIES", "TYPE", "Action", "DurableForm", "Part", "durable_form",
           "limit_diagnostics", "working_fact"]

TYPE = "fundrules"  # the type discriminator every pattern tests (pitfall 7)
ALWAYS: dict[str, Any] = {"t": TYPE}
NEVER: dict[str, Any] = {"t": "-never-"}
_RESERVED_PROPERTIES = 4  # t, sid, b (the $begin marker), r (the round)

_RELATION = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "ne": "$neq"}

Pattern = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Action:
    """What one durable rule's firing means: rule ``rule`` has status ``status``."""

    rule: str | None  # None for the $begin bookkeeping rule
    prop: str
    status: Status


@dataclasses.dataclass(frozen=True)
class Part:
    """One durable_rules ruleset of a call: consecutive rounds and what their fact holds.

    A call whose working fact would hold more properties than durable_rules accepts is
    split into parts, each registered as its own ruleset: its fact carries only the
    inputs its rules read, their statuses, and the statuses of earlier parts' rules they
    read (copied in as values). Most calls are one part.
    """

    first: int  # its first round
    stop: int  # one past its last round
    names: tuple[str, ...]  # its durable rules, `$begin` first
    inputs: tuple[int, ...]  # positions (in the call's inputs) of the inputs its rules read
    reads: tuple[str, ...]  # ids of earlier parts' rules whose statuses its rules read


@dataclasses.dataclass(frozen=True)
class DurableForm:
    """The ruleset of one call and how to read its firings."""

    definition: Mapping[str, Any]  # rule name -> durable rule body (JSON)
    actions: Mapping[str, Action]
    props: Mapping[Input, tuple[str, ...]]  # (lo, hi) for numbers, (sym,) for symbols
    facts: Mapping[str, str]  # rule id -> the property holding its status
    rounds: int  # how many times the working fact is asserted
    inputs: tuple[Input, ...] = ()  # the call's inputs, in the order of ``props``
    #: per round: after a stratum's last round, its rules in compiled order (its unknown
    #: ones then join the trace); () after the other rounds
    settles: tuple[tuple[str, ...], ...] = ()
    #: per round: the rules it decides (after it, those without a status are unknown)
    round_rules: tuple[tuple[str, ...], ...] = ()
    parts: tuple[Part, ...] = ()  # the rulesets it is registered as, in order

    def part_definition(self, part: Part) -> dict[str, Any]:
        """The ruleset of one part (rule name -> durable rule body)."""
        return {name: self.definition[name] for name in part.names}


class _Translator:
    """Conditions -> (met, unmet) durable patterns: positive, from the semantics tables."""

    def __init__(self, props: Mapping[Input, tuple[str, ...]], facts: Mapping[str, str]) -> None:
        self.props = props
        self.facts = facts

    def two(self, cond: Cond) -> tuple[Pattern, Pattern]:
        match cond:
            case CLeaf():
                (mq, mtests), (uq, utests) = comparison(cond)
                return _join(mq, self._tests(cond, mtests)), _join(uq, self._tests(cond, utests))
            case CFact(rule=rule):
                p = self.facts[rule]
                return {p: "met"}, {p: "unmet"}
            case CConst(status="met"):
                return ALWAYS, NEVER
            case CConst(status="unmet"):
                return NEVER, ALWAYS
            case CConst():
                return NEVER, NEVER
            case CNot(operand=operand):
                m, u = self.two(operand)
                return u, m
            case CAnd(operands=ops) | COr(operands=ops):
                met_q, unmet_q = CONNECTIVES["and" if isinstance(cond, CAnd) else "or"]
                parts = [self.two(op) for op in ops]
                return (_join(met_q, [m for m, _ in parts]),
                        _join(unmet_q, [u for _, u in parts]))
        raise AssertionError(cond)  # pragma: no cover - Cond is closed

    def _tests(self, leaf: CLeaf, tests: tuple[tuple[Test, Any], ...]) -> list[Pattern]:
        names = self.props[leaf.input]  # type: ignore[index]
        out = []
        for test, constant in tests:
            prop = names[0] if test.side in ("lo", "sym") else names[1]
            out.append({prop: constant} if test.rel == "eq"
                       else {_RELATION[test.rel]: {prop: constant}})
        return out


def _flat(kind: str, items: list[Pattern]) -> list[Pattern]:
    """``$and`` inside ``$and`` (``$or`` inside ``$or``) is one group: fewer for the core."""
    out: list[Pattern] = []
    for item in items:
        out += _flat(kind, item[kind]) if set(item) == {kind} else [item]
    return out


def _join(quantifier: Quantifier, items: list[Pattern]) -> Pattern:
    kind = "$and" if quantifier == "all" else "$or"
    flat = _flat(kind, items)
    if (kind == "$and" and NEVER in flat) or (kind == "$or" and ALWAYS in flat):
        return NEVER if kind == "$and" else ALWAYS
    if kind == "$or":  # a branch that can never match adds nothing
        flat = [p for p in flat if p != NEVER] or [NEVER]
    # (ALWAYS stays in an $and: it is the type discriminator every pattern needs)
    return flat[0] if len(flat) == 1 else {kind: flat}


ROUND = "r"  # how many times the working fact was asserted before this time
#: rules of one stratum that one assertion lets fire: durable_rules keeps every pending
#: gate of an assertion on a 64-entry stack (and 127 `$nex` tests under one node)
ROUND_SIZE = 32


def _schedule(call: CompiledPack) -> tuple[dict[str, int], list[tuple[str, ...]]]:
    """Each rule's round (when it may be decided met or unmet), and what each round settles.

    A stratum's rules are decided in rounds of at most :data:`ROUND_SIZE`, in compiled
    order; after its last round, those left without a status are unknown, in compiled
    order: the trace is the same as with one round (decided rules in order, then unknown).
    """
    by_stratum: dict[int, list[str]] = {}
    for rule in call.rules:
        by_stratum.setdefault(rule.stratum, []).append(rule.id)
    out: dict[str, int] = {}
    settles: list[tuple[str, ...]] = []
    for stratum in sorted(by_stratum):
        ids = by_stratum[stratum]
        chunks = (len(ids) + ROUND_SIZE - 1) // ROUND_SIZE
        for i, rule_id in enumerate(ids):
            out[rule_id] = len(settles) + i // ROUND_SIZE
        settles += [()] * (chunks - 1) + [tuple(ids)]
    return out, settles


def durable_form(call: CompiledPack) -> DurableForm:
    """The ruleset of a call: durable rules per status, gated by round and deps."""
    props: dict[Input, tuple[str, ...]] = {}
    for i, spec in enumerate(call.inputs):
        numeric = spec.type != "symbol"
        props[spec] = (f"n{i}l", f"n{i}h") if numeric else (f"s{i}",)
    facts = {r.id: f"c{j}" for j, r in enumerate(call.rules)}
    tr = _Translator(props, facts)
    rules: dict[str, Any] = {"$begin": {
        "all": [{"m": {"$and": [ALWAYS, {"$nex": {"b": 1}}]}}], "pri": 0}}
    actions = {"$begin": Action(None, "b", "met")}
    rounds, settles = _schedule(call)
    for j, rule in enumerate(call.rules):
        # the round comes first: an assertion then walks only its own round's rules, so
        # durable_rules' per-node and per-assert limits bound a round, not the whole call
        prop = facts[rule.id]
        gate: list[Pattern] = [{"$nex": {prop: 1}}, *({"$ex": {facts[d]: 1}} for d in rule.deps)]
        met, unmet = tr.two(rule.cond)
        decided = [ALWAYS, {ROUND: rounds[rule.id]}, *gate]
        variants: tuple[tuple[Status, list[Pattern]], ...] = (
            ("met", [*decided, met]), ("unmet", [*decided, unmet]))
        for status, parts in variants:
            pattern = _join("all", parts)
            if pattern == NEVER:
                continue
            name = f"{rule.id}#{status}"
            rules[name] = {"all": [{"m": pattern}], "pri": j + 1}
            actions[name] = Action(rule.id, prop, status)
    if not settles:  # a call without rules still asserts once (the begin rule fires)
        settles = [()]
    split = _parts(call, props, rounds, len(settles), rules)
    round_rules: list[list[str]] = [[] for _ in settles]
    for rule in call.rules:
        round_rules[rounds[rule.id]].append(rule.id)
    return DurableForm(rules, actions, props, facts, len(settles), call.inputs,
                       tuple(settles), tuple(tuple(r) for r in round_rules), split)


#: properties a part's rules may need: durable's bound, less t, sid, b, r and "id"
PART_PROPERTIES = MAX_PROPERTIES_PER_FACT - _RESERVED_PROPERTIES - 1


def _parts(call: CompiledPack, props: Mapping[Input, tuple[str, ...]], rounds: Mapping[str, int],
           count: int, rules: Mapping[str, Any]) -> tuple[Part, ...]:
    """Consecutive rounds grouped so that each group's fact fits durable's property bound.

    A round that alone needs more properties is a part of its own, which
    :func:`limit_diagnostics` then reports.
    """
    position = {spec: i for i, spec in enumerate(call.inputs)}
    by_round: list[list[CompiledRule]] = [[] for _ in range(count)]
    for rule in call.rules:
        by_round[rounds[rule.id]].append(rule)
    needs = []
    for members in by_round:
        read = {position[leaf.input] for r in members for leaf in leaves(r.cond)
                if leaf.input in position}
        needs.append(({r.id for r in members}, read, {d for r in members for d in r.deps}))
    widths = [len(names) for names in props.values()]

    def size(own: set[str], inputs: set[int], deps: set[str]) -> int:
        return len(own) + sum(widths[i] for i in inputs) + len(deps - own)

    groups: list[tuple[int, int, set[str], set[int], set[str]]] = []
    first = 0
    own: set[str] = set()
    inputs: set[int] = set()
    deps: set[str] = set()
    for k, (r_own, r_inputs, r_deps) in enumerate(needs):
        if k > first and size(own | r_own, inputs | r_inputs, deps | r_deps) > PART_PROPERTIES:
            groups.append((first, k, own, inputs, deps))
            first, own, inputs, deps = k, set(), set(), set()
        own, inputs, deps = own | r_own, inputs | r_inputs, deps | r_deps
    groups.append((first, count, own, inputs, deps))
    if len(groups) == 1:  # one ruleset: its fact holds every input, as working_fact builds
        inputs = set(range(len(call.inputs)))
        groups = [(0, count, own, inputs, set())]
    order = {r.id: j for j, r in enumerate(call.rules)}
    out = []
    for first, stop, own, inputs, deps in groups:
        names = ["$begin", *(name for name in rules if name != "$begin"
                             and name.split("#")[0] in own)]
        out.append(Part(first, stop, tuple(names), tuple(sorted(inputs)),
                        tuple(sorted(deps - own, key=order.__getitem__))))
    return tuple(out)


def working_fact(form: DurableForm, values: Mapping[Input, Any], sid: str) -> dict[str, Any]:
    """The fact asserted for one applicant: known bounds and symbols only."""
    fact: dict[str, Any] = {"sid": sid, "t": TYPE}
    names_of = form.props.values()
    # the props follow the call's inputs: read the values by position when they are held so
    ordered = (values.by_position if isinstance(values, InputValues)
               and values.inputs is form.inputs and len(names_of) == len(form.inputs) else
               [values[spec] for spec in form.props])
    for v, names in zip(ordered, names_of, strict=True):
        if len(names) == 2:
            if v.lo is not None:
                fact[names[0]] = v.lo
            if v.hi is not None:
                fact[names[1]] = v.hi
        elif v.sym is not None:
            fact[names[0]] = v.sym
    return fact


def _located(call: CompiledPack, rule: CompiledRule | None, message: str, hint: str
             ) -> Diagnostic:
    spot = rule.spot if rule is not None else None
    if spot is None:
        window = call.by_id.get("window")
        spot = window.spot if window is not None else None
    return Diagnostic("engine-limit", message, hint=hint, file=spot.file if spot else call.pack,
                      line=spot.line if spot else None, column=spot.column if spot else None,
                      path=spot.path if spot else None)


_HINT = ("simplify or split the rule (fewer `and`/`or` groups, fewer rules reading one "
         "stratum), or run the pack with `backend=\"python\"`")


def _rounds(form: DurableForm) -> dict[int, dict[str, Any]]:
    """The ruleset split by the round its rules wait for ($begin belongs to every round)."""
    out: dict[int, dict[str, Any]] = {}
    for name, body in form.definition.items():
        parts = body["all"][0]["m"].get("$and", [])
        rounds = [p[ROUND] for p in parts if isinstance(p, dict) and set(p) == {ROUND}]
        for r in rounds or range(form.rounds):
            out.setdefault(r, {"$begin": form.definition["$begin"]})[name] = body
    return out


def limit_diagnostics(call: CompiledPack, form: DurableForm | None = None) -> list[Diagnostic]:
    """What durable_rules would refuse (or mishandle) in this call, located in the pack.

    Every limit of ``fundrules.runtime.durable_limits`` is checked: the ruleset as a whole, each
    round's part of it for the assert-time stack (an assertion walks only its round), the
    working fact's properties and every numeric constant.
    """
    form = form or durable_form(call)
    seen: set[tuple[str, str | None]] = set()
    out: list[Diagnostic] = []

    def add(violation: LimitViolation) -> None:
        rule_id = violation.rule.split("#")[0] if violation.rule else None
        if (violation.limit, rule_id) in seen:
            return
        seen.add((violation.limit, rule_id))
        rule = call.by_id.get(rule_id) if rule_id else None
        what = f"rule `{rule_id}`" if rule is not None else f"call `{call.call}`"
        out.append(_located(call, rule, f"durable_rules cannot run {what} of pack "
                            f"`{call.pack}`: {violation.explanation}", _HINT))

    widths = [len(names) for names in form.props.values()]
    for part in form.parts or ():
        for violation in ruleset_limit_violations(form.part_definition(part), {}):
            if violation.limit != "alpha-stack":
                add(violation)
        own = {name.split("#")[0] for name in part.names[1:]}
        count = (sum(widths[i] for i in part.inputs) + len(own) + len(part.reads)
                 + _RESERVED_PROPERTIES)
        for violation in fact_property_violations(count + 1):  # + "id", which durable adds
            add(violation)
    for round_part in _rounds(form).values():
        for violation in ruleset_limit_violations(round_part):
            if violation.limit == "alpha-stack":
                add(violation)
    for rule in call.rules:
        for leaf in leaves(rule.cond):
            for v in leaf.value if isinstance(leaf.value, tuple) else (leaf.value,):
                for violation in constant_violations(v):
                    add(dataclasses.replace(violation, rule=rule.id))
    return out
