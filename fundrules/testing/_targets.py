"""What a pack reads, and the comparisons that give its rules a wanted status.

The pack-aimed strategy asks ``solve`` for comparisons (compiled leaves) that make
chosen rules met or unmet, then picks numbers and symbols meeting them, preferring
boundaries, so values sit just below, at and above every threshold.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from fundrules.policies.fields import ITEM_FIELDS, FieldInfo
from fundrules.policies.ir import (
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    CompiledPack,
    Cond,
    COr,
    ItemExpr,
    ItemField,
    LeafInput,
    MeasureSpec,
    Status,
)
from fundrules.policies.pack import Pack
from fundrules.runtime.semantics import COMPLEMENT, NOT
from fundrules.runtime.walk import leaves as _walk_leaves
from fundrules.testing._values import BOOL, COUNTRIES, Draw, ints, pick_from

__all__: list[str] = []

Aim = Mapping[str, Status]
_NOT = NOT


# --- what a pack reads: thresholds, enumerations, windows --------------------------------

def _leaves(cond: Cond | None) -> Iterable[CLeaf]:
    return _walk_leaves(cond)


def _near(values: Iterable[Any]) -> tuple[int, ...]:
    out: set[int] = set()
    for v in values:
        for c in v if isinstance(v, tuple) else (v,):
            if isinstance(c, int | float):
                out.update((int(c) - 1, int(c), int(c) + 1))
    return tuple(sorted(out))


def resolve_pack(pack: Pack | str) -> Pack:
    if isinstance(pack, Pack):
        return pack
    from fundrules.policies.pack import load_pack

    return _load_cached(_pack_path(pack), load_pack)


@functools.lru_cache(maxsize=64)
def _pack_path(pack_id: str) -> str:
    """Where a pack id's file is: found once, as its pack is loaded once (``_load_cached``).

    A strategy is built per draw in many tests (``data.draw(applicants("fr-..."))``), and
    discovering the packs scans every installed package's entry points.
    """
    from fundrules.policies.registry import PackRegistry

    return str(PackRegistry.discover().source(pack_id).path)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, loader: Callable[[str], Pack]) -> Pack:
    return loader(path)


def item_info(over: str, field: str) -> FieldInfo:
    return ITEM_FIELDS[over][field]


def solve(draw: Draw, cond: Cond, want: Status, pack: CompiledPack, out: list[CLeaf],
           force: Aim | None = None, depth: int = 0) -> None:
    """Collect comparisons which, all true, give ``cond`` the status ``want`` (best effort).

    ``force`` fixes the status wanted of some rules wherever other rules read them.
    """
    if depth > 40 or want == "unknown":
        return
    if isinstance(cond, CLeaf):
        out.append(cond if want == "met" else _negate(cond))
    elif isinstance(cond, CFact):
        rule = pack.by_id.get(cond.rule)
        if rule is not None:
            wanted = (force or {}).get(rule.id, want)
            solve(draw, rule.cond, wanted, pack, out, force, depth + 1)
    elif isinstance(cond, CNot):
        solve(draw, cond.operand, _NOT[want], pack, out, force, depth + 1)
    elif isinstance(cond, CAnd | COr):
        every = (want == "met") == isinstance(cond, CAnd)
        ops: list[Cond] = [o for o in cond.operands if not isinstance(o, CConst)]
        ops = ops or list(cond.operands)
        if not every and force:  # a forced operand decides an and/or by itself: choose it
            hit: list[Cond] = [o for o in ops if isinstance(o, CFact)
                               and force.get(o.rule) == want]
            ops = hit or ops
        chosen = ops if every else [draw(pick_from(ops))]
        for op in chosen:
            solve(draw, op, want, pack, out, force, depth + 1)


_NEGATED = COMPLEMENT


def _negate(leaf: CLeaf) -> CLeaf:
    return CLeaf(leaf.input, _NEGATED[leaf.op], leaf.value, leaf.numeric)


def pick_number(draw: Draw, leaves: Sequence[CLeaf], floor: int | None) -> int:
    """A number meeting every comparison (boundaries preferred), else one near them."""
    lo, hi, avoid = -(10**12), 10**12, set[int]()
    for leaf in leaves:
        c = leaf.value
        assert isinstance(c, int | float)
        n = int(c)
        if leaf.op == "ge":
            lo = max(lo, n if n == c else n + 1)
        elif leaf.op == "gt":
            lo = max(lo, n + 1)
        elif leaf.op == "le":
            hi = min(hi, n)
        elif leaf.op == "lt":
            hi = min(hi, n - 1 if n == c else n)
        elif leaf.op == "eq":
            lo, hi = max(lo, n), min(hi, n)
        else:
            avoid.add(n)
    if floor is not None:
        lo = max(lo, floor)
    if lo > hi:
        return int(draw(pick_from(_near(leaf.value for leaf in leaves))))
    unbounded = 10**12
    if lo == -unbounded and hi == unbounded:
        lo_, hi_ = 0, 50
    elif lo == -unbounded:
        lo_, hi_ = hi - draw(ints(0, 50)), hi
    elif hi == unbounded:
        lo_, hi_ = lo, lo + draw(ints(0, 50))
    else:
        lo_, hi_ = lo, hi
    picks = [v for v in (lo_, hi_, lo_ + 1, hi_ - 1) if lo_ <= v <= hi_ and v not in avoid]
    value: int = draw(pick_from(picks)) if picks else draw(ints(lo_, hi_))
    return value


def pick_symbol(draw: Draw, leaves: Sequence[CLeaf], universe: Sequence[str]) -> str:
    constants = {str(c) for leaf in leaves
                 for c in (leaf.value if isinstance(leaf.value, tuple) else (leaf.value,))}
    universe = tuple(universe) or tuple(sorted(constants | set(COUNTRIES)))
    allowed = set(universe)
    for leaf in leaves:
        values = {str(v) for v in (leaf.value if isinstance(leaf.value, tuple)
                                    else (leaf.value,))}
        allowed = allowed & values if leaf.op in ("eq", "in") else allowed - values
    options = sorted(allowed) or sorted(str(v) for v in universe)
    return str(draw(pick_from(options)))


def raw_value(info: FieldInfo, engine_value: int | str, currency: str) -> Any:
    """An engine value (ordinal, cents, 'true') as raw applicant input."""
    if info.kind == "bool":
        return engine_value == "true"
    if info.kind == "date":
        return dt.date.fromordinal(max(1, int(engine_value))).isoformat()
    if info.kind == "money":
        return {"value": str(Decimal(int(engine_value)).scaleb(-2)), "currency": currency}
    if info.kind == "number":
        return max(0, int(engine_value))
    return engine_value


def group_by_input(leaves: Iterable[CLeaf]) -> dict[LeafInput, list[CLeaf]]:
    out: dict[LeafInput, list[CLeaf]] = {}
    for leaf in leaves:
        out.setdefault(leaf.input, []).append(leaf)
    return out


def free_leaves(draw: Draw, key: LeafInput, pack: CompiledPack) -> list[CLeaf]:
    """No aim for this input: one of the pack's own comparisons, met or not.

    So values sit just below, at or above its thresholds.
    """
    leaves = [leaf for r in pack.rules for leaf in _leaves(r.cond) if leaf.input == key]
    if not leaves:
        return []
    leaf = draw(pick_from(leaves))
    return [leaf if draw(BOOL) else _negate(leaf)]


def read_fields(pack: CompiledPack, over: str) -> frozenset[str]:
    """Item fields that some measure of the pack reads (filters and summed values)."""
    key = (pack.pack, pack.digest, pack.call, over)
    found = _READ.get(key)
    if found is None:
        found = _READ[key] = _fields_read(pack, over)
    return found


_READ: dict[tuple[str, str, str, str], frozenset[str]] = {}


def _fields_read(pack: CompiledPack, over: str) -> frozenset[str]:
    names: set[str] = set()
    for m in pack.measures:
        if m.over == over:
            names.update(measure_fields(m))
    return frozenset(names)


def measure_fields(m: MeasureSpec) -> set[str]:
    fields = {leaf.input.field for leaf in _leaves(m.where) if isinstance(leaf.input, ItemField)}
    return fields | set(_expr_fields(m.value))


def _expr_fields(expr: ItemExpr | None) -> list[str]:
    if expr is None:
        return []
    if isinstance(expr, ItemField):
        return [expr.field]
    return [f for a in getattr(expr, "args", ()) for f in _expr_fields(a)]


class Ref:
    """A pack held by a strategy, shown by its id (hypothesis prints strategy arguments)."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def __repr__(self) -> str:
        return repr(self.pack.id)
