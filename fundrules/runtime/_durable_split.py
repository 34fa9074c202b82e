"""Wide rules split for durable_rules: internal conclusions for chunks of a wide connective.

durable_rules' C core keeps every alpha node one assertion enables on a 64-entry stack
and refuses a pattern of more than 15 ``$and``/``$or`` groups. A rule's *unmet* side of a
wide ``and`` (its *met* side of a wide ``or``) is an ``$or`` with a branch per operand,
all hanging under the round's test: an ``eligible`` reading a hundred facts cannot be
asserted. Kleene's ``and`` and ``or`` are associative (for every status, unknown
included), so::

    a1 and ... and a100  ==  (a1 and ... and a50) and (a51 and ... and a100)

has the same status for every applicant. This module rewrites such a rule for the
durable form only: each chunk of the widest connective becomes an *auxiliary* rule
(id ``<rule>~<k>``) whose status the rewritten rule reads, as it reads any fact. An
auxiliary rule is decided in a round before its reader (its *level* orders the auxiliary
rules of one stratum: a chunk that is itself too wide is split again, and a reader of too
many chunks reads chunks of chunks). Auxiliary rules are never part of an Evaluation:
the adapter drops their statuses, and they are in no stratum of the trace.

Whether a rule fits is the caller's question (``fits``): the durable form answers it with
:func:`ruleset_fits`, durable_rules' limit model (:mod:`fundrules.runtime.durable_limits`)
for the rule's durable rules alone in a round. A rule that does not fit and has no
connective to split (a single wide ``in``, say) is left as it is: the limit check then
reports it, located at the rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from fundrules.policies.ir import CAnd, CFact, CNot, CompiledPack, CompiledRule, Cond, COr
from fundrules.runtime.durable_limits import (
    MAX_SEQUENCE_ENTRIES,
    MAX_STACK_SIZE,
    ruleset_limit_violations,
)
from fundrules.runtime.walk import facts

__all__ = ["MARK", "SPLITTABLE", "Split", "ruleset_fits", "split_wide"]

#: between a rule's id and its auxiliary rules' number (pack ids never hold it)
MARK = "~"
#: splits one rule may take: far more than any pack needs (each halves a connective at
#: least), a guard against a ``fits`` that never holds
_MAX_STEPS = 10_000

Path = tuple[int, ...]
#: limits that splitting a rule into smaller ones can avoid
SPLITTABLE = frozenset({"alpha-stack", "expressions-per-pattern"})


def ruleset_fits(ruleset: Mapping[str, Any]) -> bool:
    """Whether a ruleset (one rule's, alone in a round) is within the :data:`SPLITTABLE` limits.

    The limit model (``ruleset_limit_violations``) decides, except for small patterns: the
    alpha stack never holds more entries than the network has links (a walk from the
    root never meets a node twice, and each node on it has pushed at most its children),
    and a pattern of few groups cannot fill its expression sequence (two entries per
    ``$and``/``$or``: fundrules' patterns compare with constants only).
    """
    patterns = [body["all"][0]["m"] for body in ruleset.values()]
    if (1 + sum(_links(p) for p in patterns) <= MAX_STACK_SIZE
            and all(2 * _groups(p) <= MAX_SEQUENCE_ENTRIES for p in patterns)):
        return True
    return not any(v.limit in SPLITTABLE for v in ruleset_limit_violations(ruleset))


def _links(pattern: Mapping[str, Any]) -> int:
    """Links a pattern adds to the alpha network, at most: a test each, a branch each."""
    total = 0
    for key, value in pattern.items():
        if key == "$and":
            total += sum(_links(p) for p in value)
        elif key == "$or":
            total += sum(_links(p) + 1 for p in value)
        else:
            total += 1
    return total


def _groups(pattern: Mapping[str, Any]) -> int:
    return sum(1 + sum(_groups(p) for p in value)
               for key, value in pattern.items() if key in ("$and", "$or"))


@dataclasses.dataclass(frozen=True)
class Split:
    """A call as the durable form runs it: wide rules rewritten, auxiliary rules added."""

    call: CompiledPack  # the call itself when nothing needed splitting
    owners: Mapping[str, str]  # auxiliary rule id -> the pack rule it was split from
    levels: Mapping[str, int]  # auxiliary rule id -> its order among its stratum's ones


def _widest(cond: Cond, path: Path = ()) -> tuple[int, Path] | None:
    """The ``and``/``or`` with the most operands (the first, outermost, of equals)."""
    best: tuple[int, Path] | None = None
    match cond:
        case CNot(operand=operand):
            return _widest(operand, (*path, 0))
        case CAnd(operands=ops) | COr(operands=ops):
            if len(ops) >= 2:
                best = (len(ops), path)
            for i, op in enumerate(ops):
                found = _widest(op, (*path, i))
                if found is not None and (best is None or found[0] > best[0]):
                    best = found
    return best


def _at(cond: Cond, path: Path) -> Cond:
    for i in path:
        cond = cond.operand if isinstance(cond, CNot) else cond.operands[i]  # type: ignore[union-attr]
    return cond


def _replaced(cond: Cond, path: Path, new: Cond) -> Cond:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(cond, CNot):
        return CNot(_replaced(cond.operand, rest, new))
    assert isinstance(cond, CAnd | COr)
    ops = list(cond.operands)
    ops[head] = _replaced(ops[head], rest, new)
    return type(cond)(tuple(ops))


def _chunks(node: CAnd | COr, fits: Callable[[Cond], bool]) -> list[tuple[Cond, ...]]:
    """The node's operands in consecutive chunks, each as long as still fits."""
    out: list[tuple[Cond, ...]] = []
    chunk: tuple[Cond, ...] = ()
    for op in node.operands:
        if chunk and not fits(type(node)((*chunk, op))):
            out.append(chunk)
            chunk = ()
        chunk = (*chunk, op)
    out.append(chunk)
    return out


def _reads(cond: Cond) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.rule for f in facts(cond)))


def split_wide(call: CompiledPack, fits: Callable[[Cond], bool]) -> Split:
    """Every rule that does not ``fit`` rewritten over auxiliary rules that do."""
    rules = list(call.rules)
    added: list[CompiledRule] = []
    owners: dict[str, str] = {}
    for j, rule in enumerate(rules):
        if fits(rule.cond):
            continue
        todo = [rule]
        done: list[CompiledRule] = []
        count = 0
        for _ in range(_MAX_STEPS):
            if not todo:
                break
            current = todo.pop()
            found = None if fits(current.cond) else _widest(current.cond)
            if found is None:  # fits, or nothing left to split: the limit check says so
                done.append(current)
                continue
            node = _at(current.cond, found[1])
            assert isinstance(node, CAnd | COr)
            chunks = _chunks(node, fits)
            aux: list[CompiledRule] = []
            read: list[Cond] = []
            for chunk in chunks:
                if len(chunk) == 1 and isinstance(chunk[0], CFact):
                    read.append(chunk[0])  # a fact alone is read as it is
                    continue
                count += 1
                piece = type(node)(chunk) if len(chunk) > 1 else chunk[0]
                aux.append(CompiledRule(f"{rule.id}{MARK}{count}", "rule", None, piece,
                                        _reads(piece), {}, stratum=rule.stratum))
                read.append(CFact(aux[-1].id, aux[-1].id))
            if not aux:  # no chunk of two fits: nothing to gain
                done.append(current)
                continue
            cond = _replaced(current.cond, found[1],
                             read[0] if len(read) == 1 else type(node)(tuple(read)))
            todo += [dataclasses.replace(current, cond=cond, deps=_reads(cond)), *aux]
        else:  # pragma: no cover - each step splits a connective or reads it whole
            raise AssertionError(f"rule `{rule.id}` would not split")
        owners.update({r.id: rule.id for r in done if r.id != rule.id})
        rules[j] = next(r for r in done if r.id == rule.id)
        added += sorted((r for r in done if r.id != rule.id),
                        key=lambda r: int(r.id.rsplit(MARK, 1)[1]))
    if not added:
        return Split(call, {}, {})
    levels: dict[str, int] = {}
    by_id = {r.id: r for r in added}

    def level(rule_id: str) -> int:
        if rule_id not in levels:
            levels[rule_id] = 1 + max((level(d) for d in by_id[rule_id].deps if d in owners),
                                      default=-1)
        return levels[rule_id]

    for r in added:
        level(r.id)
    return Split(dataclasses.replace(call, rules=(*rules, *added)), owners, levels)
