"""Whole-pack checks: duplicate ids, the graph of facts between rules, unused facts.

These look at the pack as a whole rather than one condition at a time, so they run
after every condition has been resolved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal, Protocol

from fundrules.policies.ir import CompiledRule, Input
from fundrules.policies.loader import Node
from fundrules.policies.model import PackModel, suggest
from fundrules.policies.resolve import Resolver, Scope

__all__ = ["levels", "monotonic_declarations", "order_rules", "pack_checks"]


class Report(Protocol):
    def __call__(self, code: str, message: str, hint: str | None, node: Node,
                 severity: Literal["error", "warning"] = "error") -> None: ...


NodeAt = Callable[..., Node]


def pack_checks(report: Report, node_at: NodeAt, pack: PackModel) -> None:
    """Ids must be unique; a fact is concluded by one rule; rules name real calls."""
    seen: dict[str, str] = {}
    call_ids = [c.id for c in pack.calls]
    for section, rules in (("rules", pack.rules), ("exclusions", pack.exclusions)):
        for i, rule in enumerate(rules):
            where = f"line {node_at(section, i, 'id').mark.line}"
            if rule.id in seen:
                report("duplicate-id", f"rule id `{rule.id}` is used twice (also at "
                       f"{seen[rule.id]})", "give each rule its own id", node_at(section, i, "id"))
            seen.setdefault(rule.id, where)
            for call_id in rule.calls or ():
                if call_id not in call_ids:
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
        elif not reported:
            written = str(node.value)
            report("unknown-name", f"`{written}` is neither a measure nor "
                   "`income(period, basis)`", suggest(written, measures) or "name a measure "
                   "under `measures:` or write e.g. `income(2019, gross)`", node)
    return tuple(out)
