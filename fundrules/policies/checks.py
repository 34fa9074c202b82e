"""Whole-pack checks: duplicate ids, the graph of facts between rules, unused facts.

These look at the pack as a whole rather than one condition at a time, so they run
after every condition has been resolved.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Literal, Protocol

from fundrules.policies import conditions as c
from fundrules.policies._partial import Dropped
from fundrules.policies.fields import APPLICANT_FIELDS, ITEM_FIELDS
from fundrules.policies.ir import CompiledRule, Input
from fundrules.policies.loader import Node
from fundrules.policies.model import AwardModel, PackModel, TierModel, suggest
from fundrules.policies.resolve import Resolver, Scope

__all__ = ["levels", "monotonic_declarations", "order_rules", "pack_checks"]


class Report(Protocol):
    def __call__(self, code: str, message: str, hint: str | None, node: Node,
                 severity: Literal["error", "warning"] = "error") -> None: ...


NodeAt = Callable[..., Node]


def pack_checks(report: Report, node_at: NodeAt, pack: PackModel,
                dropped: Dropped | None = None) -> None:
    """Ids must be unique; a fact is concluded by one rule; rules name real calls.

    ``dropped``: what the shape validation dropped for its own errors; a reference to it
    (a rule naming a dropped call) is not a second error.
    """
    dropped = dropped or Dropped()
    seen: dict[str, str] = {}
    call_ids = [c.id for c in pack.calls]
    for section, rules in (("rules", pack.rules), ("exclusions", pack.exclusions)):
        for i, rule in enumerate(rules):
            at = node_at(section, i, "id").mark
            where = f"line {at.line}"
            earlier = [m for ident, m in dropped.ids if ident == rule.id
                       and (m.line, m.column) < (at.line, at.column)]
            if rule.id not in seen and earlier:  # the first one was dropped for its own error
                seen[rule.id] = f"line {min(m.line for m in earlier)}"
            if rule.id in seen:
                report("duplicate-id", f"rule id `{rule.id}` is used twice (also at "
                       f"{seen[rule.id]})", "give each rule its own id", node_at(section, i, "id"))
            seen.setdefault(rule.id, where)
            for call_id in rule.calls or ():
                if call_id not in call_ids and call_id not in dropped.calls:
                    report("invalid-value", f"rule `{rule.id}` names call `{call_id}`, which "
                           "the pack does not have", suggest(call_id, call_ids),
                           node_at(section, i, "calls"))
    tiers = pack.award.tiers if pack.award and pack.award.tiers else ()
    for i, tier in enumerate(tiers):
        if tier.id and tier.id in seen:
            report("duplicate-id", f"award tier id `{tier.id}` is also used at {seen[tier.id]}",
                   "give each tier its own id", node_at("award", "tiers", i, "id"))
        if tier.id:
            seen.setdefault(tier.id, f"line {node_at('award', 'tiers', i, 'id').mark.line}")
    for i, call in enumerate(pack.calls):
        if call.id in call_ids[:i]:
            report("duplicate-id", f"call id `{call.id}` is used twice", "rename one call",
                   node_at("calls", i, "id"))
    concluded: dict[str, str] = {}
    for i, rule in enumerate(pack.rules):
        if rule.then is None:
            continue
        other = concluded.get(rule.then)
        if other is not None and _shared_calls(pack, other, rule.id):
            report("duplicate-id", f"fact `{rule.then}` is concluded by `{other}` and "
                   f"`{rule.id}`", "combine the conditions into one rule with `or`",
                   node_at("rules", i, "then"))
        concluded.setdefault(rule.then, rule.id)
    _not_encoded_ids(report, node_at, pack, seen)
    missing_cites(report, node_at, pack)
    unused_parameters(report, node_at, pack, dropped.words)
    shadowed_names(report, node_at, pack)


def _not_encoded_ids(report: Report, node_at: NodeAt, pack: PackModel,
                     encoded: dict[str, str]) -> None:
    """A criterion is either encoded (a rule id) or accounted for once in `not_encoded:`."""
    listed: dict[str, int] = {}
    for i, item in enumerate(pack.not_encoded):
        node = node_at("not_encoded", i, "id")
        if item.id in encoded:
            report("duplicate-id", f"`{item.id}` is listed under `not_encoded:` but a rule "
                   f"has that id (at {encoded[item.id]})", "remove the `not_encoded` entry, "
                   "or name the part of the criterion the rule does not decide, e.g. "
                   f"`{item.id}.residence`", node)
        elif item.id in listed:
            report("duplicate-id", f"`{item.id}` is listed twice under `not_encoded:` (also "
                   f"at line {node_at('not_encoded', listed[item.id], 'id').mark.line})",
                   "keep one entry and join the reasons", node)
        listed.setdefault(item.id, i)


def _awards(pack: PackModel) -> Iterator[tuple[AwardModel, tuple[str | int, ...]]]:
    if pack.award is not None:
        yield pack.award, ("award",)
    for i, call in enumerate(pack.calls):
        if call.award is not None:
            yield call.award, ("calls", i, "award")


_CITE_HINT = "add `cite:` with the id of the source under `sources:` that states it"


def missing_cites(report: Report, node_at: NodeAt, pack: PackModel) -> None:
    """Every rule, exclusion, award tier and call window cites a source (a warning).

    A decision gives each criterion's sources; one without `cite:` gives `source: null`,
    which an auditor cannot check. The pack still decides the same, hence a warning.
    """
    for section, rules in (("rules", pack.rules), ("exclusions", pack.exclusions)):
        kind = "rule" if section == "rules" else "exclusion"
        for i, rule in enumerate(rules):
            if not rule.cite:
                report("missing-cite", f"{kind} `{rule.id}` cites no source", _CITE_HINT,
                       node_at(section, i, "id"), severity="warning")
    for award, base in _awards(pack):
        if award.tiers is None:
            if not award.cite:
                report("missing-cite", "the award cites no source", _CITE_HINT,
                       node_at(*base, "kind"), severity="warning")
            continue
        for i, tier in enumerate(award.tiers):
            if not tier.cite:
                name = f"award tier `{tier.id}`" if tier.id else f"award tier {i + 1}"
                report("missing-cite", f"{name} cites no source", _CITE_HINT,
                       node_at(*base, "tiers", i, "id" if tier.id else "amount"),
                       severity="warning")
    for i, call in enumerate(pack.calls):
        if not call.cite:
            report("missing-cite", f"the window of call `{call.id}` cites no source",
                   _CITE_HINT + " (the call's `cite:` is the window's)",
                   node_at("calls", i, "window"), severity="warning")


_WORD = re.compile(r"[a-z][a-z0-9_]*")


def _names_in(text: str) -> set[str]:
    """Names a condition or bound reads; every word when it does not parse (reported elsewhere)."""
    try:
        return c.names(c.parse(text))
    except c.ConditionSyntaxError:
        return set(_WORD.findall(text))


def _used_names(pack: PackModel) -> set[str]:
    """Every name read by a condition, window, switch, monotonic input or message."""
    texts: list[str] = [pack.eligible]
    messages: list[str] = []
    for rule in (*pack.rules, *pack.exclusions):
        texts.append(rule.when)
        messages += (rule.message or {}).values()
    used: set[str] = {r.enabled for r in (*pack.rules, *pack.exclusions)
                      if isinstance(r.enabled, str)}
    for award, _ in _awards(pack):
        tiers: tuple[TierModel | AwardModel, ...] = (*(award.tiers or ()), award)
        for tier in tiers:
            when = getattr(tier, "when", None)
            texts += [when] if when else []
            messages += (tier.message or {}).values()
    for call in pack.calls:
        texts += [call.eligible] if call.eligible else []
    for measure in pack.measures.values():
        texts += [t for t in (measure.where, measure.sum) if t]
        if isinstance(measure.within, str):
            used.add(measure.within)
        elif measure.within is not None:
            texts += list(measure.within)
    for decl in pack.monotonic:
        texts += [t for t in (decl.more, decl.less) if t]
    for text in texts:
        used |= _names_in(text)
    for text in messages:
        used |= set(re.findall(r"\{([a-z][a-z0-9_]*)\}", text))
    return used


def _key_node(node_at: NodeAt, *path: str) -> Node:
    """The node of a mapping's key itself (a parameter's or a measure's name), to point at."""
    parent, value = node_at(*path[:-1]), node_at(*path)
    mark = parent.key_marks.get(path[-1], value.mark)
    return dataclasses.replace(value, mark=mark)


def unused_parameters(report: Report, node_at: NodeAt, pack: PackModel,
                      also_used: frozenset[str] = frozenset()) -> None:
    """A parameter nothing reads is a warning: a call overriding it would change nothing.

    ``also_used``: names written in elements dropped for their own errors (they may read it).
    """
    used = _used_names(pack) | also_used
    for name in pack.parameters:
        if name not in used:
            report("unused-parameter", f"parameter `{name}` is not used by any condition, "
                   "window, `enabled:` switch or message", "use it, or remove it (and the "
                   "calls' overrides of it)", _key_node(node_at, "parameters", name),
                   severity="warning")


#: Values written bare in conditions (`status == intermittent`), with the field they belong to.
_ENUM_VALUES: dict[str, str] = {
    value: field.name
    for fields in (APPLICANT_FIELDS, *ITEM_FIELDS.values())
    for field in fields.values() if field.kind == "symbol" for value in field.values}
_ITEM_FIELDS: dict[str, str] = {name: over for over, fields in ITEM_FIELDS.items()
                                for name in fields}
#: Facts the compiler concludes itself in every call.
_RESERVED_FACTS = {"window": "the call's window criterion", "eligible": "the eligibility outcome"}


def shadowed_names(report: Report, node_at: NodeAt, pack: PackModel) -> None:
    """A parameter, fact or measure must not take a name that another name already has.

    Conditions look names up in one order (parameter, fact, measure, applicant field, item
    field; a bare word compared with a field is that field's value unless a parameter has
    the name), so a clash silently reads the wrong thing: a fact renamed to a parameter's
    name makes every condition read the parameter instead. A fact may share a name with an
    enumeration value (`then: intermittent` beside `status == intermittent`): facts are
    never read where a value is expected, so nothing is hidden.
    """
    params = set(pack.parameters)

    def clash(code_node: Node, what: str, name: str, other: str, fix: str) -> None:
        report("name-shadowed", f"{what} `{name}` has the name of {other}, so conditions "
               "cannot tell them apart", fix, code_node)

    for name in pack.parameters:
        node = _key_node(node_at, "parameters", name)
        if name in APPLICANT_FIELDS:
            clash(node, "parameter", name, f"the applicant field `{name}`", "rename the parameter")
        elif name in _ITEM_FIELDS:
            clash(node, "parameter", name, f"the field `{name}` of `{_ITEM_FIELDS[name]}`",
                  "rename the parameter")
        elif name in _ENUM_VALUES:
            clash(node, "parameter", name, f"a value of `{_ENUM_VALUES[name]}`",
                  "rename the parameter")
    for name in pack.measures:
        node = _key_node(node_at, "measures", name)
        if name in params:
            clash(node, "measure", name, "a parameter", "rename the measure or the parameter")
        elif name in APPLICANT_FIELDS:
            clash(node, "measure", name, f"the applicant field `{name}`", "rename the measure")
        elif name in _ENUM_VALUES:
            clash(node, "measure", name, f"a value of `{_ENUM_VALUES[name]}`",
                  "rename the measure")
    for i, rule in enumerate(pack.rules):
        fact = rule.then
        if fact is None:
            continue
        node = node_at("rules", i, "then")
        if fact in params:
            clash(node, "fact", fact, "a parameter (conditions read the parameter)",
                  "rename the fact (and where `eligible:` and other rules read it)")
        elif fact in pack.measures:
            clash(node, "fact", fact, "a measure", "rename the fact or the measure")
        elif fact in APPLICANT_FIELDS:
            clash(node, "fact", fact, f"the applicant field `{fact}`", "rename the fact")
        elif fact in _RESERVED_FACTS:
            clash(node, "fact", fact, _RESERVED_FACTS[fact], "rename the fact")


def _shared_calls(pack: PackModel, a: str, b: str) -> bool:
    """Whether two rules are active in some common call (then one fact has two sources)."""
    calls = {r.id: set(r.calls) if r.calls is not None else {c.id for c in pack.calls}
             for r in pack.rules}
    return bool(calls.get(a, set()) & calls.get(b, set()))


def order_rules(report: Report, node_at: NodeAt, rules: list[CompiledRule], *,
                complete: bool = True) -> list[CompiledRule] | None:
    """Rules in an order where each follows the rules it reads (declaration order otherwise).

    Reports cycles (``rule-cycle``) and facts that nothing reads (``unused-fact``,
    a warning; only when ``complete``: a condition that failed to resolve reads
    nothing, and its facts would be reported as unused by mistake). Returns None
    when there is a cycle.
    """
    producer = {r.id: r for r in rules}
    places = _rule_places(node_at)
    read = {dep for r in rules for dep in r.deps}
    for r in rules:
        if complete and r.kind == "rule" and r.id not in read:
            report("unused-fact", f"rule `{r.id}` concludes `{r.fact}`, which nothing reads",
                   "use it in `eligible:` or another rule, or remove the rule",
                   _rule_node(node_at, places, r, "then"), severity="warning")
    ordered: list[CompiledRule] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(rule: CompiledRule, chain: list[str]) -> bool:
        mark = state.get(rule.id)
        if mark == 2:
            return True
        if mark == 1:
            cycle = " -> ".join([*chain[chain.index(rule.id):], rule.id])
            report("rule-cycle", f"rules depend on each other in a cycle: {cycle}",
                   "break the cycle: a rule cannot (even indirectly) read its own conclusion",
                   _rule_node(node_at, places, rule, "when"))
            return False
        state[rule.id] = 1
        ok = True
        for dep in rule.deps:
            if dep in producer:
                ok = visit(producer[dep], [*chain, rule.id]) and ok
        state[rule.id] = 2
        ordered.append(rule)
        return ok

    ok = all([visit(r, []) for r in rules])
    if not ok:
        return None
    strata = levels(ordered)
    staged = [dataclasses.replace(r, stratum=strata[r.id]) for r in ordered]
    return sorted(staged, key=lambda r: r.stratum)  # stable: keeps the written order


def levels(rules: list[CompiledRule]) -> dict[str, int]:
    """Each rule's stratum: 0 when it reads no rule, else 1 + the deepest rule it reads.

    Engines evaluate stratum by stratum; ordering rules by stratum (then as written)
    gives the one firing order both backends follow.
    """
    producer = {r.id: r for r in rules}
    out: dict[str, int] = {}

    def level(rule: CompiledRule) -> int:
        if rule.id not in out:
            out[rule.id] = 1 + max((level(producer[d]) for d in rule.deps if d in producer),
                                   default=-1)
        return out[rule.id]

    for rule in rules:
        level(rule)
    return out


def _rule_places(node_at: NodeAt) -> dict[str, tuple[str, int]]:
    """Where each rule id is written (section, index), found in one pass over the pack."""
    root = node_at()
    places: dict[str, tuple[str, int]] = {}
    for section in ("rules", "exclusions"):
        items = root.get(section)
        if items is not None and items.is_sequence():
            assert isinstance(items.value, list)
            for i, item in enumerate(items.value):
                ident = item.get("id") if item.is_mapping() else None
                if ident is not None and isinstance(ident.value, str):
                    places.setdefault(ident.value, (section, i))
    return places


def _rule_node(node_at: NodeAt, places: dict[str, tuple[str, int]], rule: CompiledRule,
               key: str) -> Node:
    """Where a rule's ``key`` (``then``, ``when``) is written, to point at it."""
    place = places.get(rule.id)
    return node_at(place[0], place[1], key) if place else node_at()


def monotonic_declarations(report: Report, node_at: NodeAt, pack: PackModel, res: Resolver,
                           measures: dict[str, str]) -> tuple[tuple[str, Input, str], ...]:
    """Declared monotonicity as (more|less, input key, never), for one call's inputs.

    The engines never read it; the property tests do, so each name must resolve here.
    """
    out: list[tuple[str, Input, str]] = []
    for i, decl in enumerate(pack.monotonic):
        if (decl.more is None) == (decl.less is None):
            report("invalid-value", "a `monotonic` declaration needs exactly one of `more:` or "
                   "`less:`", "keep one, e.g. `less: income(2019, gross)`",
                   node_at("monotonic", i))
            continue
        direction = "more" if decl.more is not None else "less"
        node = node_at("monotonic", i, direction)
        key, reported = res.quantity(node, Scope(measures=measures))  # type: ignore[arg-type]
        if key is not None:
            out.append((direction, key, decl.never))
        elif not reported and str(node.value) not in res.dropped:
            written = str(node.value)
            report("unknown-name", f"`{written}` is neither a measure nor "
                   "`income(period, basis)`", suggest(written, measures) or "name a measure "
                   "under `measures:` or write e.g. `income(2019, gross)`", node)
    return tuple(out)
