"""A compiled call as a durable_rules ruleset: plain JSON, generated from the semantics.

Every rule becomes durable rules for two of its statuses:

- *met* and *unmet*: the outcomes of :data:`~fundrules.runtime.semantics.COMPARISONS`
  combined by :data:`~fundrules.runtime.semantics.CONNECTIVES`, written as durable
  patterns. An unknown bound or symbol is an *absent property* of the working fact, and
  a durable comparison on an absent property never matches, exactly as a test on an
  unknown side never holds: the patterns are positive, with no negation at all. No
  value real data can take stands for unknown.
- *unknown*: neither of them matched. The working fact is asserted in rounds (its
  ``r`` property counts them); in a round, its rules that are met or unmet fire; once
  the round is over, a rule of it whose status is still absent is unknown (negation as
  failure, stratified): the adapter writes that status into the fact of the later
  rounds, which need no assertion of their own for it.

A round holds whole strata, as many consecutive ones as fit (at most
:data:`ROUND_SIZE` rules, small patterns): a rule reading a rule of its own round reads
that rule's condition, substituted into its patterns (a status *is* its condition's
status), so one assertion decides a chain of strata; a rule reading a rule of an
earlier round reads the status property the adapter wrote. A stratum larger than a round
takes several rounds. The usual call is one round: one assertion.

A rule too wide for durable_rules even alone in a round (a long ``and``/``or``) is first
split by :mod:`fundrules.runtime._durable_split` into auxiliary rules, each deciding a
chunk of it in an earlier round; they are in no stratum of the trace, and the adapter
drops their statuses.

Hence the trace: per stratum, the rules decided met or unmet in compiled order (their
priorities), then those left unknown, in compiled order (the python backend follows the
same order).

This module builds data only; :mod:`fundrules.engine` registers it with durable_rules
(the only module importing it), and ``fundrules check`` reads :func:`limit_diagnostics`
to report what durable_rules would refuse, located in the pack.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring as _string
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
from fundrules.runtime._durable_split import Split, ruleset_fits, split_wide
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

__all__ = ["PART_PROPERTIES", "ROUND", "ROUND_SIZE", "TYPE", "Action", "DurableForm", "FactText",
           "Part", "durable_form", "limit_diagnostics", "ordered_values", "working_fact"]

TYPE = "fundrules"  # the type discriminator every pattern tests (pitfall 7)
ALWAYS: dict[str, Any] = {"t": TYPE}
NEVER: dict[str, Any] = {"t": "-never-"}
_RESERVED_PROPERTIES = 3  # t, sid and r (the round) of a working fact

_RELATION = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "ne": "$neq"}

Pattern = dict[str, Any]

#: the rule that fires once on a state's priming fact, never on a working fact:
#: durable_rules' ``delete_state`` crashes on a state where no action ever fired (pitfall 2)
BEGIN = "$begin"
BEGIN_FACT_ID = "$begin"


@dataclasses.dataclass(frozen=True)
class Action:
    """What one durable rule's firing means: rule ``rule`` has status ``status``."""

    rule: str
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
    #: per round: the rules whose status is settled once it is over (its unknown ones
    #: then join the trace), in compiled order; () after a round that ends no stratum
    settles: tuple[tuple[str, ...], ...] = ()
    #: per round: the rules it decides (after it, those without a status are unknown)
    round_rules: tuple[tuple[str, ...], ...] = ()
    parts: tuple[Part, ...] = ()  # the rulesets it is registered as, in order
    #: per round: the strata it settles, each its rules in compiled order (``settles``
    #: is their concatenation): the trace lists each stratum's decided rules, then its
    #: unknown ones
    groups: tuple[tuple[tuple[str, ...], ...], ...] = ()
    #: auxiliary rules (``<rule>~<k>``, :mod:`fundrules.runtime._durable_split`) -> the
    #: pack rule each was split from: decided like rules, never part of an Evaluation
    hidden: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def part_definition(self, part: Part) -> dict[str, Any]:
        """The ruleset of one part (rule name -> durable rule body)."""
        return {name: self.definition[name] for name in part.names}


class _Translator:
    """Conditions -> (met, unmet) durable patterns: positive, from the semantics tables.

    A fact read from a rule in ``inline`` is that rule's condition (its patterns,
    already translated, in ``done``); any other fact is the status property the adapter
    writes once the rule's round is over.
    """

    def __init__(self, props: Mapping[Input, tuple[str, ...]], facts: Mapping[str, str]) -> None:
        self.props = props
        self.facts = facts
        self.inline: set[str] = set()
        self.done: dict[str, tuple[Pattern, Pattern]] = {}

    def two(self, cond: Cond) -> tuple[Pattern, Pattern]:
        match cond:
            case CLeaf():
                (mq, mtests), (uq, utests) = comparison(cond)
                return _join(mq, self._tests(cond, mtests)), _join(uq, self._tests(cond, utests))
            case CFact(rule=rule) if rule in self.inline:
                return self.done[rule]
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
    # a branch that can never match adds nothing to an $or, a test that always holds
    # nothing to an $and (every rule's pattern starts with that test: the type)
    drop = NEVER if kind == "$or" else ALWAYS
    flat = [p for p in flat if p != drop] or [drop]
    return flat[0] if len(flat) == 1 else {kind: flat}


def _groups(pattern: Pattern) -> int:
    """The ``$and``/``$or`` groups of a pattern."""
    return sum(1 + sum(_groups(item) for item in value)
               for key, value in pattern.items() if key in ("$and", "$or"))


ROUND = "r"  # how many times the working fact was asserted before this time
#: rules one assertion may decide (at most)
ROUND_SIZE = 32
#: alpha nodes a round's patterns may hang under its round test: durable_rules keeps every
#: alpha node an assertion enables on a 64-entry stack, and an assertion may enable all
#: of them at once (see :func:`_heads`)
ROUND_HEADS = 48
#: the most ``$and``/``$or`` groups a rule's pattern gets when rules of its round are
#: substituted into it: durable_rules refuses 32 expression-sequence entries (two per
#: group) in one pattern. A stratum whose patterns would have more starts a round (the
#: heads bound keeps their comparisons few)
INLINE_GROUPS = 10


def _heads(pattern: Pattern) -> int:
    """Alpha nodes a rule's pattern hangs under its round's test.

    Its first test, or the first tests of each branch when it starts with an ``$or``.
    """
    if set(pattern) == {"$or"}:
        return sum(_heads(p) for p in pattern["$or"])
    if set(pattern) == {"$and"}:
        return _heads(pattern["$and"][0])
    return 0 if pattern == NEVER else 1


def _strata(call: CompiledPack, levels: Mapping[str, int] | None = None
            ) -> list[tuple[str, ...]]:
    """The rules by stratum; a stratum's auxiliary rules before it, by level."""
    last = len(levels or ())  # above every level
    by_stratum: dict[tuple[int, int], list[str]] = {}
    for rule in call.rules:
        key = (rule.stratum, (levels or {}).get(rule.id, last))
        by_stratum.setdefault(key, []).append(rule.id)
    return [tuple(by_stratum[s]) for s in sorted(by_stratum)]


def _schedule(split: Split, tr: _Translator, merge: bool
              ) -> tuple[dict[str, int], list[tuple[tuple[str, ...], ...]]]:
    """Each rule's round, and per round the strata it settles; translates every rule.

    A stratum joins the round of the stratum before it while it fits (``merge``): at
    most :data:`ROUND_SIZE` rules and :data:`ROUND_HEADS` heads in the round, and each
    rule's patterns, with the rules of its round substituted, within
    :data:`INLINE_GROUPS` groups. Otherwise it starts a round, and one
    more whenever a round is full, in compiled order; it is settled after its last one.
    The translations are left in ``tr.done``. Auxiliary rules (``split.owners``) are
    scheduled as strata of their own, before their readers, and are never inlined: a
    stratum reading one of them starts a round; they settle no stratum of the trace.
    """
    call, hidden = split.call, split.owners
    rounds: dict[str, int] = {}
    groups: list[list[tuple[str, ...]]] = []
    size = heads = 0  # of the last round

    def cost(pair: tuple[Pattern, Pattern]) -> int:
        return _heads(pair[0]) + _heads(pair[1])

    for ids in _strata(call, split.levels):
        shown = ids[0] not in hidden  # a stratum of the trace, not of auxiliary rules
        last = {r for r, k in rounds.items() if k == len(groups) - 1}
        if merge and groups and not any(d in hidden and d in last
                                        for r in ids for d in call.by_id[r].deps):
            tr.inline = last - hidden.keys()
            tried = {r: tr.two(call.by_id[r].cond) for r in ids}
            more = sum(cost(pair) for pair in tried.values())
            if size + len(ids) <= ROUND_SIZE and heads + more <= ROUND_HEADS and all(
                    _groups(m) <= INLINE_GROUPS and _groups(u) <= INLINE_GROUPS
                    for m, u in tried.values()):
                tr.done.update(tried)
                rounds.update(dict.fromkeys(ids, len(groups) - 1))
                if shown:
                    groups[-1].append(ids)
                size, heads = size + len(ids), heads + more
                continue
        tr.inline = set()
        groups.append([])
        size = heads = 0
        for rule_id in ids:
            pair = tr.done[rule_id] = tr.two(call.by_id[rule_id].cond)
            if size and (size == ROUND_SIZE or heads + cost(pair) > ROUND_HEADS):
                groups.append([])  # the round is full: the stratum goes on in the next
                size = heads = 0
            rounds[rule_id] = len(groups) - 1
            size, heads = size + 1, heads + cost(pair)
        if shown:
            groups[-1].append(ids)
    return rounds, [tuple(g) for g in groups]


def _begin_rule() -> dict[str, Any]:
    return {"all": [{"m": {"$and": [ALWAYS, {"b": 1}]}}]}


def _pattern(cond: Pattern, round_: int) -> Pattern:
    """A durable rule's pattern: the type, then the round, then the status's tests.

    The round comes first: an assertion then walks only its own round's rules, so
    durable_rules' per-node and per-assert limits bound a round, not the whole call.
    """
    tests = [] if cond == ALWAYS else cond["$and"] if set(cond) == {"$and"} else [cond]
    return {"$and": [ALWAYS, {ROUND: round_}, *tests]}


def _props(call: CompiledPack) -> dict[Input, tuple[str, ...]]:
    props: dict[Input, tuple[str, ...]] = {}
    for i, spec in enumerate(call.inputs):
        numeric = spec.type != "symbol"
        props[spec] = (f"n{i}l", f"n{i}h") if numeric else (f"s{i}",)
    return props


class _Names(dict[str, str]):
    """Status properties for rule ids, made up for rules the call does not hold yet."""

    def __missing__(self, key: str) -> str:
        name = self[key] = f"c{len(self)}"
        return name


def _fitter(call: CompiledPack) -> Callable[[Cond], bool]:
    """Whether a condition's durable rules, alone in a round, are within durable's limits."""
    tr = _Translator(_props(call), _Names({r.id: f"c{j}" for j, r in enumerate(call.rules)}))

    def fits(cond: Cond) -> bool:
        ruleset = {BEGIN: _begin_rule()}
        for status, pattern in zip(("met", "unmet"), tr.two(cond), strict=True):
            if pattern != NEVER:
                ruleset[f"x#{status}"] = {"all": [{"m": _pattern(pattern, 0)}]}
        return ruleset_fits(ruleset)

    return fits


def _build(split: Split, merge: bool) -> DurableForm:
    call = split.call
    props = _props(call)
    facts = {r.id: f"c{j}" for j, r in enumerate(call.rules)}
    tr = _Translator(props, facts)
    rules: dict[str, Any] = {BEGIN: _begin_rule()}
    actions: dict[str, Action] = {}  # the $begin rule concludes nothing
    rounds, groups = _schedule(split, tr, merge)
    for j, rule in enumerate(call.rules):
        met, unmet = tr.done[rule.id]
        variants: tuple[tuple[Status, Pattern], ...] = (("met", met), ("unmet", unmet))
        for status, cond in variants:
            if cond == NEVER:
                continue
            name = f"{rule.id}#{status}"
            rules[name] = {"all": [{"m": _pattern(cond, rounds[rule.id])}], "pri": j + 1}
            actions[name] = Action(rule.id, facts[rule.id], status)
    if not groups:  # a call without rules still asserts once
        groups = [()]
    parts = _parts(call, props, rounds, len(groups), rules)
    round_rules: list[list[str]] = [[] for _ in groups]
    for rule in call.rules:
        round_rules[rounds[rule.id]].append(rule.id)
    settles = tuple(tuple(r for stratum in g for r in stratum) for g in groups)
    return DurableForm(rules, actions, props, facts, len(groups), call.inputs, settles,
                       tuple(tuple(r) for r in round_rules), parts, tuple(groups),
                       dict(split.owners))


def durable_form(call: CompiledPack) -> DurableForm:
    """The ruleset of a call: durable rules per decided status, gated by round.

    A rule too wide for durable_rules alone is split first (auxiliary rules decide chunks
    of its widest connective, :mod:`fundrules.runtime._durable_split`). Strata share
    rounds where they fit; should that form hit a limit of durable_rules that one round
    per stratum avoids, the call gets one round per stratum instead.
    """
    split = split_wide(call, _fitter(call))
    merged = _build(split, merge=True)
    if merged.rounds == len(_strata(split.call, split.levels)) or not _diagnostics(call, merged):
        return merged
    plain = _build(split, merge=False)
    return merged if _diagnostics(call, plain) else plain


#: properties a part's rules may need: durable's bound, less t, sid, r and "id"
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
        names = [BEGIN, *(name for name in rules if name != BEGIN
                          and name.split("#")[0] in own)]
        out.append(Part(first, stop, tuple(names), tuple(sorted(inputs)),
                        tuple(sorted(deps - own, key=order.__getitem__))))
    return tuple(out)


def ordered_values(form: DurableForm, values: Mapping[Input, Any]) -> list[Any]:
    """The applicant's values in the order of the call's inputs (``form.props``)."""
    if isinstance(values, InputValues) and values.inputs is form.inputs:
        return values.by_position
    return [values[spec] for spec in form.props]


def working_fact(form: DurableForm, values: Mapping[Input, Any], sid: str) -> dict[str, Any]:
    """The fact asserted for one applicant: known bounds and symbols only."""
    fact: dict[str, Any] = {"sid": sid, "t": TYPE}
    for v, names in zip(ordered_values(form, values), form.props.values(), strict=True):
        if len(names) == 2:
            if v.lo is not None:
                fact[names[0]] = v.lo
            if v.hi is not None:
                fact[names[1]] = v.hi
        elif v.sym is not None:
            fact[names[0]] = v.sym
    return fact


class FactText:
    """The JSON text of one part's working fact, written without building a dict.

    :meth:`head` is the fact without its closing brace: the sid, the type and the
    known inputs the part reads, in the order :func:`working_fact` holds them; the
    adapter appends statuses, the round and the fact's id.
    """

    def __init__(self, form: DurableForm, part: Part | None, sid: str) -> None:
        names = list(form.props.values())
        positions = part.inputs if part is not None else tuple(range(len(names)))
        self.prefix = "{" + json.dumps({"sid": sid, "t": TYPE}, ensure_ascii=False,
                                       separators=(",", ":"))[1:-1]
        #: per input read: its position, the key of its low bound (or symbol), the key of
        #: its high bound (None for a symbol)
        self.keys = tuple((i, f',"{names[i][0]}":',
                           f',"{names[i][1]}":' if len(names[i]) == 2 else None)
                          for i in positions)

    def head(self, ordered: list[Any]) -> str:
        """The fact's text up to its closing brace, for the values in input order."""
        out = [self.prefix]
        append = out.append
        for i, lo_key, hi_key in self.keys:
            v = ordered[i]
            if hi_key is None:
                if v.sym is not None:
                    append(lo_key + _string(v.sym))
                continue
            lo, hi = v.lo, v.hi
            if lo is not None:  # an int as str() writes it is its JSON; json.dumps the rest
                append(f"{lo_key}{lo}" if type(lo) is int else lo_key + json.dumps(lo))
            if hi is not None:
                append(f"{hi_key}{hi}" if type(hi) is int else hi_key + json.dumps(hi))
        return "".join(out)


def _located(call: CompiledPack, rule: CompiledRule | None, message: str, hint: str
             ) -> Diagnostic:
    spot = rule.spot if rule is not None else None
    if spot is None:
        window = call.by_id.get("window")
        spot = window.spot if window is not None else None
    return Diagnostic("engine-limit", message, hint=hint, file=spot.file if spot else call.pack,
                      line=spot.line if spot else None, column=spot.column if spot else None,
                      path=spot.path if spot else None)


_HINT = ("wide `and`/`or` are already split for durable_rules: shorten what the message "
         "names (fewer values in one `in`, a constant durable can read), or run the pack "
         "with `backend=\"python\"`")


def _rounds(form: DurableForm) -> dict[int, dict[str, Any]]:
    """The ruleset split by the round its rules wait for ($begin belongs to every round)."""
    out: dict[int, dict[str, Any]] = {}
    for name, body in form.definition.items():
        parts = body["all"][0]["m"].get("$and", [])
        rounds = [p[ROUND] for p in parts if isinstance(p, dict) and set(p) == {ROUND}]
        for r in rounds or range(form.rounds):
            out.setdefault(r, {BEGIN: form.definition[BEGIN]})[name] = body
    return out


def _widest_rule(round_part: Mapping[str, Any], violation: LimitViolation) -> LimitViolation:
    """A round's alpha-stack violation located at the rule that alone overflows, if one does.

    Without a fact the model bounds the round as a whole; a durable rule that overflows
    the stack alone in its round is the one to name (it could not be split).
    """
    if violation.rule is not None:
        return violation
    for name, body in round_part.items():
        if name == BEGIN:
            continue
        for alone in ruleset_limit_violations({BEGIN: round_part[BEGIN], name: body}):
            if alone.limit == "alpha-stack":
                return dataclasses.replace(violation, rule=name)
    return violation


def limit_diagnostics(call: CompiledPack, form: DurableForm | None = None) -> list[Diagnostic]:
    """What durable_rules would refuse (or mishandle) in this call, located in the pack.

    Every limit of ``fundrules.runtime.durable_limits`` is checked: the ruleset as a whole, each
    round's part of it for the assert-time stack (an assertion walks only its round), the
    working fact's properties and every numeric constant.
    """
    return _diagnostics(call, form or durable_form(call))


def _diagnostics(call: CompiledPack, form: DurableForm) -> list[Diagnostic]:
    seen: set[tuple[str, str | None]] = set()
    out: list[Diagnostic] = []

    def add(violation: LimitViolation) -> None:
        rule_id = violation.rule.split("#")[0] if violation.rule else None
        rule_id = form.hidden.get(rule_id, rule_id) if rule_id else None  # its pack rule
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
                add(_widest_rule(round_part, violation))
    for rule in call.rules:
        for leaf in leaves(rule.cond):
            for v in leaf.value if isinstance(leaf.value, tuple) else (leaf.value,):
                for violation in constant_violations(v):
                    add(dataclasses.replace(violation, rule=rule.id))
    return out
