"""Realising an applicant for one call of a pack, from the targets chosen for its inputs.

Engagements are placed around measure windows (inside, straddling with or without
``work_dates``, outside), instants around call windows and daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from fundrules.policies.fields import APPLICANT_FIELDS, ITEM_FIELDS, FieldInfo
from fundrules.policies.ir import (
    CLeaf,
    CompiledPack,
    ContainsInput,
    DateBound,
    FieldInput,
    IncomeInput,
    ItemAdd,
    ItemExpr,
    ItemField,
    ItemGreatest,
    ItemLeast,
    LeafInput,
    MeasureInput,
    MeasureSpec,
    SubmittedInstant,
)
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant
from fundrules.testing._targets import (
    Aim,
    Ref,
    free_leaves,
    group_by_input,
    item_info,
    pick_number,
    pick_symbol,
    raw_value,
    read_fields,
    solve,
)
from fundrules.testing._values import (
    BOOL,
    COUNTRIES,
    CURRENCIES,
    LISTS,
    PERIODS,
    REQUIRED,
    T0,
    T1,
    TOP_SKIP,
    Draw,
    Raw,
    dst_changes,
    generic_item,
    instant_text,
    ints,
    maybe,
    pick_from,
    place,
    put,
    scalar,
    validate,
)

__all__: list[str] = []

# --- realising an applicant for one call ---------------------------------------------------

def _bound(day: int, bound: DateBound) -> int:
    if bound.ordinal is not None:
        return bound.ordinal
    d = dt.date.fromordinal(day)
    month = d.month - 1 + bound.months
    year, month = d.year + month // 12, month % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(d.day, last_day)).toordinal() + bound.days
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _window_of(m: MeasureSpec, today: int) -> tuple[int, int] | None:
    return (_bound(today, m.within[0]), _bound(today, m.within[1])) if m.within else None


def _item_for(draw: Draw, m: MeasureSpec, pack: CompiledPack, counts: bool,
              window: tuple[int, int] | None, value: int | None, exact: bool,
              avoid: Sequence[MeasureSpec] = ()) -> Raw:
    """One list item that counts for a measure (or deliberately does not).

    ``avoid``: measures over the same list that should stay at zero; the item is kept
    out of their filters where that does not undo its own.
    """
    item = generic_item(draw, m.over, absent=0 if exact else 4, only=read_fields(pack, m.over))
    leaves: list[CLeaf] = []
    where_counts = counts or (window is not None and draw(BOOL))
    if m.where is not None:
        solve(draw, m.where, "met" if where_counts else "unmet", pack, leaves)
    own = {leaf.input for leaf in leaves}
    for other in avoid:
        for _ in range(4 if other is not m and other.where is not None else 0):
            extra: list[CLeaf] = []
            solve(draw, other.where, "unmet", pack, extra)  # type: ignore[arg-type]
            if extra and all(leaf.input not in own for leaf in extra):
                leaves += extra
                break
    for key, group in group_by_input(leaves).items():
        if not isinstance(key, ItemField):
            continue
        info = item_info(m.over, key.field)
        pick = pick_number(draw, group, None) if group[0].numeric else \
            pick_symbol(draw, group, info.values)
        put(item, info.name, raw_value(info, pick, pack.currency))
    if m.over == "benefits" and item.get("rights_opened", "") > item.get("rights_ended", "~"):
        solved = {g.input.field for g in leaves if isinstance(g.input, ItemField)}
        put(item, "rights_ended" if "rights_ended" not in solved else "rights_opened", None)
    optional = sorted({g.input.field for g in leaves if isinstance(g.input, ItemField)}
                      - REQUIRED)
    if not exact and optional and draw(ints(0, 3)) == 0:  # a filter field left unknown
        put(item, draw(pick_from(optional)), None)
    if m.aggregate == "sum" and m.value is not None and value is not None:
        _set_value(draw, item, m.value, value, pack.currency, m.value_type)
    if m.over == "engagements" and window is None and "start" in item and any(
            isinstance(g.input, ItemField) and g.input.field in ("start", "end")
            for g in leaves):  # the filter fixed the dates
        _keep_dates(draw, item, value or 0)
    elif m.over == "engagements":
        days = item.get("days")
        mode = "outside" if not counts and where_counts else "inside"
        if counts and window is not None and draw(ints(0, 2)) == 0 \
                and not (exact and days is None):
            mode = "straddle" if exact or draw(BOOL) else "blur"
        item.pop("work_dates", None)
        place(draw, item, window, days, mode, value or 0)
    return item


def _keep_dates(draw: Draw, item: Raw, room: int) -> None:
    """Make an engagement whose start a filter chose consistent (end, days, work_dates)."""
    item.pop("work_dates", None)
    start = dt.date.fromisoformat(item["start"]).toordinal()
    if "end" in item:
        start = min(start, dt.date.fromisoformat(item["end"]).toordinal())
        item["start"] = dt.date.fromordinal(start).isoformat()
    need = max(item.get("days") or 0, room, 1)
    end = max(start + need - 1, dt.date.fromisoformat(str(item.get("end", item["start"])))
              .toordinal())
    item["end"] = dt.date.fromordinal(end + draw(ints(0, 10))).isoformat()


def _set_value(draw: Draw, item: Raw, expr: ItemExpr, value: int, currency: str,
               kind: str) -> None:
    if isinstance(expr, ItemField):
        info = ITEM_FIELDS.get("engagements", {}).get(expr.field) or FieldInfo(expr.field, "number")
        if kind == "money":
            info = FieldInfo(expr.field, "money")
        put(item, expr.field, raw_value(info, value, currency))
    elif isinstance(expr, ItemGreatest | ItemLeast) and expr.args:
        chosen = draw(ints(0, len(expr.args) - 1))
        for i, arg in enumerate(expr.args):
            if not isinstance(arg, ItemField):
                continue
            other = draw(ints(0, value)) if isinstance(expr, ItemGreatest) else \
                value + draw(ints(0, 5))
            _set_value(draw, item, arg, value if i == chosen else other, currency, kind)
            if i != chosen and draw(BOOL):
                put(item, arg.field, None)
    elif isinstance(expr, ItemAdd) and expr.args:
        _set_value(draw, item, expr.args[0], value, currency, kind)


def _measure_items(draw: Draw, m: MeasureSpec, pack: CompiledPack, target: int | None,
                   today: int, exact: bool, avoid: Sequence[MeasureSpec]) -> list[Raw]:
    window = _window_of(m, today)
    items: list[Raw] = []
    if target is None:  # the measure should come out uncertain
        for _ in range(draw(ints(1, 2))):
            items.append(_item_for(draw, m, pack, True, window, draw(ints(0, 20)), False))
        return items
    target = max(0, target)
    if m.aggregate == "count":
        items += [_item_for(draw, m, pack, True, window, None, exact, avoid)
                  for _ in range(min(target, 4))]
    else:
        cap = (window[1] - window[0] + 1) if window and m.over == "engagements" else target or 1
        left = target
        while left > 0 and len(items) < 6:
            part = min(left, cap, draw(pick_from((left, max(1, left // 2)))))
            items.append(_item_for(draw, m, pack, True, window, part, exact, avoid))
            left -= part
    if draw(BOOL):
        items.append(_item_for(draw, m, pack, False, window, draw(ints(0, 20)), exact,
                               avoid))
    return items


def income_entries(draw: Draw, period: str, basis: str, target: int | None, currency: str
                    ) -> list[Raw]:
    def entry(p: str, b: str, cents: int, cur: str = currency) -> Raw:
        return {"period": p, "basis": b,
                "amount": {"value": str(Decimal(cents).scaleb(-2)), "currency": cur}}
    if target is None:
        other = draw(pick_from([c for c in CURRENCIES if c != currency]))
        chosen: list[Raw] = draw(pick_from((
            [entry(period, basis, 1_000_000, other)],
            [entry(draw(pick_from([p for p in PERIODS if p != period])), basis, 500_000)],
        )))
        return chosen
    if draw(BOOL):
        part = draw(ints(0, max(0, target)))
        return [entry(period, basis, part), entry(period, basis, target - part)]
    return [entry(period, basis, target)]


@st.composite
def for_call(draw: Draw, ref: Ref, call: str | None, aim: Aim | None) -> Applicant:
    pack = ref.pack
    chosen = call or draw(pick_from(sorted(pack.calls)))
    compiled = pack.calls[chosen]
    exact = aim is not None
    if aim is None:  # half of the time, head for eligibility (perhaps failing one rule)
        mode = draw(ints(0, 5))
        aim = {"eligible": "met"} if mode < 3 else None
        exact = mode < 2
        if mode == 1:
            rules = [r.id for r in compiled.rules if r.kind in ("rule", "exclusion", "window")]
            aim = {"eligible": "met", draw(pick_from(rules)): "unmet"} if rules else aim
    leaves: list[CLeaf] = []
    if aim is not None and aim.get("eligible") == "met":  # decide the award tiers too
        aim = {**{r.id: draw(pick_from(("met", "unmet"))) for r in compiled.rules
                  if r.kind == "tier"}, **aim}
    for rule_id, want in (aim or {}).items():
        rule = next((r for r in compiled.rules if r.id == rule_id or r.fact == rule_id), None)
        if rule is not None:
            solve(draw, rule.cond, want, compiled, leaves, aim)
    wanted = group_by_input(leaves)
    targets: dict[LeafInput, Any] = {}
    for spec in compiled.inputs:
        submitted = isinstance(spec, SubmittedInstant)
        group = wanted.get(spec) or (None if exact else free_leaves(draw, spec, compiled))
        missing = not exact and not submitted and draw(ints(0, 5)) == 0
        if missing or not group:
            targets[spec] = None if missing or not submitted else "free"
            continue
        if spec.type in ("symbol",):
            universe = APPLICANT_FIELDS[spec.field].values if isinstance(spec, FieldInput) \
                and spec.field in APPLICANT_FIELDS else ("true", "false")
            targets[spec] = pick_symbol(draw, group, universe)
        else:
            floor = 0 if isinstance(spec, MeasureInput) or spec.type == "number" else None
            targets[spec] = pick_number(draw, group, floor)
    stamp = targets.get(SubmittedInstant())
    if not isinstance(stamp, int):
        stamp = _free_instant(draw, pack, compiled)
    raw: Raw = {"id": f"gen-{draw(ints(0, 9999))}",
                 "submitted_at": instant_text(draw, stamp, compiled.window.tz)}
    if draw(ints(0, 2)) == 0 or (call is not None and draw(BOOL)):
        raw["call"] = chosen
    today = dt.datetime.fromtimestamp(stamp, zoneinfo.ZoneInfo(compiled.window.tz)).date()
    lists: dict[str, list[Raw] | None] = {}
    measures = {m.name: m for m in compiled.measures}
    by_measure = {s.measure: targets.get(s) for s in compiled.inputs
                  if isinstance(s, MeasureInput)}
    for spec in compiled.inputs:
        target = targets.get(spec)
        if isinstance(spec, FieldInput):
            info = APPLICANT_FIELDS[spec.field]
            put(raw, spec.field, None if target is None else raw_value(info, target,
                                                                          compiled.currency))
        elif isinstance(spec, ContainsInput):
            current = raw.get(spec.field)
            if target is None:
                raw[spec.field] = None
            elif current is not None or spec.field not in raw:
                others = [c for c in COUNTRIES if c != spec.item][: draw(ints(0, 2))]
                raw[spec.field] = sorted({*(current or []), *others,
                                          *([spec.item] if target == "true" else [])})
        elif isinstance(spec, IncomeInput):
            entries = income_entries(draw, spec.period, spec.basis, target,
                                      compiled.currency)
            _extend(lists, "income", None if target is None and not draw(BOOL)
                    else entries)
        elif isinstance(spec, MeasureInput):
            m = measures[spec.measure]
            if target is None and (exact or draw(BOOL)):
                _extend(lists, m.over, [] if exact else None)
                continue
            avoid = [o for o in compiled.measures
                     if o.over == m.over and by_measure.get(o.name) == 0]
            _extend(lists, m.over, _measure_items(draw, m, compiled, target,
                                                  today.toordinal(), exact, avoid))
    for over in LISTS:
        if over in lists:
            items = lists[over]
            raw[over] = None if items is None else draw(st.permutations(items))
        elif not exact:
            count = maybe(draw, ints(0, 2), 3)
            raw[over] = None if count is None else [
                generic_item(draw, over, only=frozenset()) for _ in range(count)]
    for name, info in APPLICANT_FIELDS.items():
        if name not in TOP_SKIP and name not in raw and not exact and not name.startswith("needs"):
            put(raw, name, maybe(draw, scalar(info), 3))
    return validate(raw)


def _extend(lists: dict[str, list[Raw] | None], over: str, items: list[Raw] | None) -> None:
    if over not in lists:
        lists[over] = items
    elif items is not None:
        lists[over] = [*(lists[over] or []), *items]


def _free_instant(draw: Draw, pack: Pack, compiled: CompiledPack) -> int:
    """An instant near a window bound (or a daylight-saving change), or anywhere around."""
    bounds = [b for c in pack.calls.values() for b in (c.window.opens, c.window.closes)
              if b is not None]
    lo, hi = (min(bounds) - 30 * 86400, max(bounds) + 60 * 86400) if bounds else (T0, T1)
    changes = dst_changes(compiled.window.tz, lo, hi)
    kind = draw(ints(0, 3))
    if kind == 0 or not bounds:
        return int(draw(ints(lo, hi)))
    base = draw(pick_from(bounds + list(changes)))
    return int(base + draw(pick_from((-86400, -3600, -1, 0, 1, 3599, 86400))))
