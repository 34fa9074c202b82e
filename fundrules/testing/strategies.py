"""Hypothesis strategies that generate applicants, for property tests of packs.

``applicants()`` covers the whole applicant schema, absent (unknown) fields included.
``applicants_for(pack)`` reads a pack's compiled form and concentrates where decisions
change: values just below, at and above every threshold, instants around every call
window (in several UTC offsets, across daylight-saving changes), engagements that
straddle measure windows with and without ``work_dates``, and missing facts. With
``aim=`` it steers generation towards meeting (or failing) chosen rules, which is how
``fundrules verify`` looks for witnesses. ``absent_paths`` and ``filled`` support
Kleene properties (supplying a missing fact never changes a decided status).
See docs/testing.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import assume
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from fundrules.policies.fields import APPLICANT_FIELDS, ITEM_FIELDS, FieldInfo
from fundrules.policies.ir import (
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    CompiledPack,
    Cond,
    COr,
    DateBound,
    MeasureSpec,
    Status,
)
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision, Money, Needs

__all__ = ["absent_paths", "applicants", "applicants_for", "case_yaml", "filled"]

_Draw = Callable[[st.SearchStrategy[Any]], Any]
_Raw = dict[str, Any]
_Aim = Mapping[str, Status]
_NOT: dict[Status, Status] = {"met": "unmet", "unmet": "met", "unknown": "unknown"}
_LISTS = ("engagements", "benefits", "income", "prior_awards")
_COUNTRIES = ("FR", "GB", "IT", "ES", "DE", "PT", "US")
_CURRENCIES = ("EUR", "GBP", "USD")
_PERIODS = ("2019", "2020", "2018", "2019-20", "2020-21")
_OFFSETS = tuple(dt.timezone(dt.timedelta(minutes=m)) for m in (0, 60, 120, -300, 330, 840, -720))
_ZONES = ("Europe/Paris", "Europe/London", "Europe/Madrid", "America/New_York")
_DAY0 = dt.date(2018, 6, 1).toordinal()
_DAY1 = dt.date(2021, 6, 30).toordinal()
_T0 = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp())
_T1 = int(dt.datetime(2021, 3, 1, tzinfo=dt.UTC).timestamp())
_REQUIRED = frozenset({"scheme", "period", "amount", "basis", "fund"})
_TOP_SKIP = frozenset({"id", "submitted_at", "call", "submitted_date", *_LISTS})


# --- cached strategies: building a strategy per draw would cost more than the draw -------

@functools.lru_cache(maxsize=4096)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def _pick(options: Iterable[Any]) -> st.SearchStrategy[Any]:
    items = tuple(options)
    try:
        return _picks(items)
    except TypeError:  # unhashable options (lists of items): not cached
        return st.sampled_from(items)


@functools.lru_cache(maxsize=4096)
def _picks(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


_BOOL = st.booleans()


# --- generic values, one per field kind ------------------------------------------------------

def _money(cents: st.SearchStrategy[int], currency: st.SearchStrategy[str]
           ) -> st.SearchStrategy[_Raw]:
    return st.builds(lambda c, cur: {"value": str(Decimal(c).scaleb(-2)), "currency": cur},
                     cents, currency)


_ANY_MONEY = _money(_ints(0, 5_000_000), _pick(_CURRENCIES))
_ANY_DATE = _ints(_DAY0, _DAY1).map(lambda o: dt.date.fromordinal(o).isoformat())


def _scalar(info: FieldInfo) -> st.SearchStrategy[Any]:
    """A valid raw (JSON-like) value for one field, never None."""
    if info.kind == "symbol":
        return _pick(info.values)
    if info.kind == "bool":
        return _BOOL
    if info.kind == "number":
        return _ints(0, 400)
    if info.kind == "date":
        return _ANY_DATE
    if info.kind == "money":
        return _ANY_MONEY
    if info.kind == "list":
        return st.lists(_pick(_COUNTRIES), max_size=3, unique=True)
    if info.name in ("residence_country",):
        return _pick(_COUNTRIES)
    return _pick(("Série A", "Film B", "Docu C", "fr-netflix-audiens",
                            "it-ifc-netflix", "es-academia-netflix", "uk-film-tv-charity"))


def _maybe(draw: _Draw, value: st.SearchStrategy[Any], absent: int = 4) -> Any:
    """The value, or None about once in ``absent`` draws (never when ``absent`` is 0)."""
    if absent and draw(_ints(0, absent - 1)) == 0:
        return None
    return draw(value)


def _put(raw: _Raw, dotted: str, value: Any) -> None:
    head, _, rest = dotted.partition(".")
    if rest:
        inner = raw.get(head)
        if value is None and inner is None:
            return
        raw[head] = inner = dict(inner or {})
        _put(inner, rest, value)
    elif value is not None:
        raw[head] = value
    else:
        raw.pop(head, None)


def _generic_item(draw: _Draw, over: str, absent: int = 3,
                  only: frozenset[str] | None = None) -> _Raw:
    """A random item of a list; ``only`` limits optional fields to those a pack reads."""
    item: _Raw = {}
    for name, info in ITEM_FIELDS[over].items():
        if name in ("work_dates", "start", "end", "days") or (only is not None and name not in only
                                                               and name not in _REQUIRED):
            continue
        required = over != "engagements" and name in ("scheme", "period", "amount", "basis", "fund")
        if over == "prior_awards" and name == "amount":
            required = False
        value = draw(_scalar(info)) if required else _maybe(draw, _scalar(info), absent)
        _put(item, name, value)
    if over == "engagements":
        _place(draw, item, None, _maybe(draw, _ints(0, 40), absent),
               draw(_pick(("random", "straddle"))))
        if absent and draw(_ints(0, absent)) == 0:  # a date left unknown
            item.pop(draw(_pick(("start", "end"))))
    if over == "benefits" and item.get("rights_opened") and item.get("rights_ended") \
            and item["rights_opened"] > item["rights_ended"]:
        item["rights_opened"], item["rights_ended"] = item["rights_ended"], item["rights_opened"]
    if over == "income":
        item["period"] = draw(_pick(_PERIODS))
    return item


def _place(draw: _Draw, item: _Raw, window: tuple[int, int] | None, days: int | None,
           mode: str, room: int = 0) -> None:
    """Give an engagement dates (and ``work_dates``) relative to a day window.

    ``mode``: ``inside`` (exact), ``straddle`` (across a bound, with ``work_dates``: exact),
    ``blur`` (across a bound without them: an interval), ``outside``, or ``random``.
    """
    need = max(days or 0, room, 1)
    first, last = window or (draw(_ints(_DAY0, _DAY1 - 200)), 0)
    if window is None:
        last = first + need - 1 + draw(_ints(0, 120))
    width = last - first + 1
    if mode == "inside" or (mode in ("straddle", "blur") and width < 1):
        need = min(need, width)
        length = need + draw(_ints(0, max(0, min(40, width - need))))
        edge = draw(_pick(("first", "last", "any")))
        start = first if edge == "first" else last - length + 1 if edge == "last" else \
            draw(_ints(first, last - length + 1))
        end, inside, outside = start + length - 1, min(days or 0, length), 0
    elif mode in ("straddle", "blur"):
        outside_cap = draw(_ints(1, 30))
        least = min(width, need)
        inside_cap = draw(_ints(least, max(least, min(width, 40))))
        if draw(_BOOL):  # across the first day of the window
            start, end = first - outside_cap, first + inside_cap - 1
        else:
            start, end = last - inside_cap + 1, last + outside_cap
        inside = min(days or 0, inside_cap)
        outside = min((days or 0) - inside, outside_cap)
        days = None if days is None else inside + outside
    else:
        span = need + draw(_ints(0, 20))
        gap = draw(_ints(1, 30))
        start = first - gap - span + 1 if mode == "outside" and draw(_BOOL) else (
            last + gap if mode == "outside" else first)
        end, inside, outside = start + span - 1, 0, 0
    item["start"] = dt.date.fromordinal(start).isoformat()
    item["end"] = dt.date.fromordinal(end).isoformat()
    if days is not None:
        item["days"] = min(days, end - start + 1)
    if mode == "straddle" and days:
        lo, hi = (max(first, start), min(last, end)) if window else (start, end)
        ins = [o for o in range(lo, hi + 1)][:inside]
        outs = [o for o in range(start, end + 1) if not lo <= o <= hi][:outside]
        item["work_dates"] = [dt.date.fromordinal(o).isoformat() for o in sorted(ins + outs)]
        item["days"] = len(item["work_dates"])


# --- instants ---------------------------------------------------------------------------------

def _instant(draw: _Draw, stamp: int, tz: str | None) -> str:
    zones: list[dt.tzinfo] = [*_OFFSETS, *(zoneinfo.ZoneInfo(z) for z in _ZONES)]
    if tz:
        zones.insert(0, zoneinfo.ZoneInfo(tz))
    moment = dt.datetime.fromtimestamp(stamp, draw(_pick(zones)))
    return moment.isoformat()


@functools.lru_cache(maxsize=32)
def _dst_changes(tz: str, first: int, last: int) -> tuple[int, ...]:
    """Epoch seconds at which the zone's UTC offset changes between two instants."""
    zone = zoneinfo.ZoneInfo(tz)
    out: list[int] = []
    t = first
    prev = dt.datetime.fromtimestamp(t, zone).utcoffset()
    while t < last:
        step = t + 3600
        now = dt.datetime.fromtimestamp(step, zone).utcoffset()
        if now != prev:
            out.append(step)
        prev, t = now, step
    return tuple(out)


# --- the generic strategy -----------------------------------------------------------------

@st.composite
def _applicant(draw: _Draw) -> Applicant:
    raw: _Raw = {"id": f"gen-{draw(_ints(0, 9999))}",
                 "submitted_at": _instant(draw, draw(_ints(_T0, _T1)), None)}
    for name, info in APPLICANT_FIELDS.items():
        if name not in _TOP_SKIP:
            _put(raw, name, _maybe(draw, _scalar(info), 3))
    for over in _LISTS:
        count = _maybe(draw, _ints(0, 3), 3)
        raw[over] = None if count is None else [_generic_item(draw, over) for _ in range(count)]
    if draw(_BOOL):
        raw["needs"] = {k: _maybe(draw, _ANY_MONEY) for k in Needs.model_fields}
    return _validate(raw)


def _validate(raw: _Raw) -> Applicant:
    clean = {k: v for k, v in raw.items() if v is not None}
    try:
        return Applicant.model_validate(clean)
    except ValidationError:
        assume(False)  # a combination the generator could not keep consistent: try another
        raise  # pragma: no cover - assume(False) always raises


def applicants() -> st.SearchStrategy[Applicant]:
    """Valid applicants over the whole schema; any optional field may be absent (unknown)."""
    return _applicant()


# --- what a pack reads: thresholds, enumerations, windows --------------------------------

def _leaves(cond: Cond | None) -> Iterable[CLeaf]:
    if isinstance(cond, CLeaf):
        yield cond
    elif isinstance(cond, CNot):
        yield from _leaves(cond.operand)
    elif isinstance(cond, CAnd | COr):
        for op in cond.operands:
            yield from _leaves(op)


def _near(values: Iterable[Any]) -> tuple[int, ...]:
    out: set[int] = set()
    for v in values:
        for c in v if isinstance(v, tuple) else (v,):
            if isinstance(c, int | float):
                out.update((int(c) - 1, int(c), int(c) + 1))
    return tuple(sorted(out))


def _resolve_pack(pack: Pack | str) -> Pack:
    if isinstance(pack, Pack):
        return pack
    from fundrules.policies.pack import load_pack
    from fundrules.policies.registry import builtin_pack_dir, entry_point_paths, pack_files

    for path in pack_files([builtin_pack_dir(), *entry_point_paths()]):
        loaded = _load_cached(str(path), load_pack)
        if loaded.id == pack:
            return loaded
    raise ValueError(f"no built-in or installed pack has the id {pack!r}")


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, loader: Callable[[str], Pack]) -> Pack:
    return loader(path)


def _item_info(over: str, field: str) -> FieldInfo:
    return ITEM_FIELDS[over][field]


def _solve(draw: _Draw, cond: Cond, want: Status, pack: CompiledPack, out: list[CLeaf],
           force: _Aim | None = None, depth: int = 0) -> None:
    """Collect comparisons which, all true, give ``cond`` the status ``want`` (best effort).

    ``force`` fixes the status wanted of some rules wherever other rules read them.
    """
    if depth > 40 or want == "unknown":
        return
    if isinstance(cond, CLeaf):
        out.append(cond if want == "met" else _negate(cond))
    elif isinstance(cond, CFact):
        for rule in pack.rules:
            if rule.then == cond.fact:
                wanted = (force or {}).get(rule.id, want)
                _solve(draw, rule.cond, wanted, pack, out, force, depth + 1)
    elif isinstance(cond, CNot):
        _solve(draw, cond.operand, _NOT[want], pack, out, force, depth + 1)
    elif isinstance(cond, CAnd | COr):
        every = (want == "met") == isinstance(cond, CAnd)
        ops: list[Cond] = [o for o in cond.operands if not isinstance(o, CConst)]
        ops = ops or list(cond.operands)
        if not every and force:  # a forced operand decides an and/or by itself: choose it
            hit: list[Cond] = [o for o in ops if isinstance(o, CFact)
                               and _forced(o.fact, pack, force) == want]
            ops = hit or ops
        chosen = ops if every else [draw(_pick(ops))]
        for op in chosen:
            _solve(draw, op, want, pack, out, force, depth + 1)


def _forced(fact: str, pack: CompiledPack, force: _Aim) -> Status | None:
    for rule in pack.rules:
        if rule.then == fact:
            return force.get(rule.id)
    return None


_NEGATED = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne", "ne": "eq",
            "in": "nin", "nin": "in"}


def _negate(leaf: CLeaf) -> CLeaf:
    return CLeaf(leaf.input, _NEGATED[leaf.op], leaf.value, leaf.numeric)  # type: ignore[arg-type]


def _pick_number(draw: _Draw, leaves: Sequence[CLeaf], floor: int | None) -> int:
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
        return int(draw(_pick(_near(leaf.value for leaf in leaves))))
    unbounded = 10**12
    if lo == -unbounded and hi == unbounded:
        lo_, hi_ = 0, 50
    elif lo == -unbounded:
        lo_, hi_ = hi - draw(_ints(0, 50)), hi
    elif hi == unbounded:
        lo_, hi_ = lo, lo + draw(_ints(0, 50))
    else:
        lo_, hi_ = lo, hi
    picks = [v for v in (lo_, hi_, lo_ + 1, hi_ - 1) if lo_ <= v <= hi_ and v not in avoid]
    value: int = draw(_pick(picks)) if picks else draw(_ints(lo_, hi_))
    return value


def _pick_symbol(draw: _Draw, leaves: Sequence[CLeaf], universe: Sequence[str]) -> str:
    constants = {str(c) for leaf in leaves
                 for c in (leaf.value if isinstance(leaf.value, tuple) else (leaf.value,))}
    universe = tuple(universe) or tuple(sorted(constants | set(_COUNTRIES)))
    allowed = set(universe)
    for leaf in leaves:
        values = {str(v) for v in (leaf.value if isinstance(leaf.value, tuple)
                                    else (leaf.value,))}
        allowed = allowed & values if leaf.op in ("eq", "in") else allowed - values
    options = sorted(allowed) or sorted(str(v) for v in universe)
    return str(draw(_pick(options)))


def _raw_value(info: FieldInfo, engine_value: int | str, currency: str) -> Any:
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


def _group(leaves: Iterable[CLeaf]) -> dict[str, list[CLeaf]]:
    out: dict[str, list[CLeaf]] = {}
    for leaf in leaves:
        out.setdefault(leaf.input, []).append(leaf)
    return out


def _free(draw: _Draw, key: str, pack: CompiledPack) -> list[CLeaf]:
    """No aim for this input: one of the pack's own comparisons, met or not.

    So values sit just below, at or above its thresholds.
    """
    leaves = [leaf for r in pack.rules for leaf in _leaves(r.cond) if leaf.input == key]
    if not leaves:
        return []
    leaf = draw(_pick(leaves))
    return [leaf if draw(_BOOL) else _negate(leaf)]


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


def _item_for(draw: _Draw, m: MeasureSpec, pack: CompiledPack, counts: bool,
              window: tuple[int, int] | None, value: int | None, exact: bool,
              avoid: Sequence[MeasureSpec] = ()) -> _Raw:
    """One list item that counts for a measure (or deliberately does not).

    ``avoid``: measures over the same list that should stay at zero; the item is kept
    out of their filters where that does not undo its own.
    """
    item = _generic_item(draw, m.over, absent=0 if exact else 4, only=_read_fields(pack, m.over))
    leaves: list[CLeaf] = []
    where_counts = counts or (window is not None and draw(_BOOL))
    if m.where is not None:
        _solve(draw, m.where, "met" if where_counts else "unmet", pack, leaves)
    own = {leaf.input for leaf in leaves}
    for other in avoid:
        for _ in range(4 if other is not m and other.where is not None else 0):
            extra: list[CLeaf] = []
            _solve(draw, other.where, "unmet", pack, extra)  # type: ignore[arg-type]
            if extra and all(leaf.input not in own for leaf in extra):
                leaves += extra
                break
    for key, group in _group(leaves).items():
        if not key.startswith("i:"):
            continue
        info = _item_info(m.over, key[2:])
        pick = _pick_number(draw, group, None) if group[0].numeric else \
            _pick_symbol(draw, group, info.values)
        _put(item, info.name, _raw_value(info, pick, pack.currency))
    if m.over == "benefits" and item.get("rights_opened", "") > item.get("rights_ended", "~"):
        solved = {g.input[2:] for g in leaves}
        _put(item, "rights_ended" if "rights_ended" not in solved else "rights_opened", None)
    optional = sorted({g.input[2:] for g in leaves if g.input.startswith("i:")} - _REQUIRED)
    if not exact and optional and draw(_ints(0, 3)) == 0:  # a filter field left unknown
        _put(item, draw(_pick(optional)), None)
    if m.aggregate == "sum" and m.value is not None and value is not None:
        _set_value(draw, item, m.value, value, pack.currency, m.value_type)
    if m.over == "engagements" and window is None and "start" in item and any(
            g.input in ("i:start", "i:end") for g in leaves):  # the filter fixed the dates
        _keep_dates(draw, item, value or 0)
    elif m.over == "engagements":
        days = item.get("days")
        mode = "outside" if not counts and where_counts else "inside"
        if counts and window is not None and draw(_ints(0, 2)) == 0 \
                and not (exact and days is None):
            mode = "straddle" if exact or draw(_BOOL) else "blur"
        item.pop("work_dates", None)
        _place(draw, item, window, days, mode, value or 0)
    return item


def _keep_dates(draw: _Draw, item: _Raw, room: int) -> None:
    """Make an engagement whose start a filter chose consistent (end, days, work_dates)."""
    item.pop("work_dates", None)
    start = dt.date.fromisoformat(item["start"]).toordinal()
    if "end" in item:
        start = min(start, dt.date.fromisoformat(item["end"]).toordinal())
        item["start"] = dt.date.fromordinal(start).isoformat()
    need = max(item.get("days") or 0, room, 1)
    end = max(start + need - 1, dt.date.fromisoformat(str(item.get("end", item["start"])))
              .toordinal())
    item["end"] = dt.date.fromordinal(end + draw(_ints(0, 10))).isoformat()


def _read_fields(pack: CompiledPack, over: str) -> frozenset[str]:
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
            names.update(_measure_fields(m))
    return frozenset(names)


def _measure_fields(m: MeasureSpec) -> set[str]:
    fields = {leaf.input[2:] for leaf in _leaves(m.where) if leaf.input.startswith("i:")}
    return fields | set(_expr_fields(m.value))


def _expr_fields(expr: Any) -> list[str]:
    if expr is None:
        return []
    if expr.kind == "field":
        return [expr.field]
    return [f for a in expr.args for f in _expr_fields(a)]


def _set_value(draw: _Draw, item: _Raw, expr: Any, value: int, currency: str, kind: str) -> None:
    if expr.kind == "field":
        info = ITEM_FIELDS.get("engagements", {}).get(expr.field) or FieldInfo(expr.field, "number")
        if kind == "money":
            info = FieldInfo(expr.field, "money")
        _put(item, expr.field, _raw_value(info, value, currency))
    elif expr.kind in ("greatest", "least") and expr.args:
        chosen = draw(_ints(0, len(expr.args) - 1))
        for i, arg in enumerate(expr.args):
            if arg.kind != "field":
                continue
            other = draw(_ints(0, value)) if expr.kind == "greatest" else \
                value + draw(_ints(0, 5))
            _set_value(draw, item, arg, value if i == chosen else other, currency, kind)
            if i != chosen and draw(_BOOL):
                _put(item, arg.field, None)
    elif expr.kind == "add" and expr.args:
        _set_value(draw, item, expr.args[0], value, currency, kind)


def _measure_items(draw: _Draw, m: MeasureSpec, pack: CompiledPack, target: int | None,
                   today: int, exact: bool, avoid: Sequence[MeasureSpec]) -> list[_Raw]:
    window = _window_of(m, today)
    items: list[_Raw] = []
    if target is None:  # the measure should come out uncertain
        for _ in range(draw(_ints(1, 2))):
            items.append(_item_for(draw, m, pack, True, window, draw(_ints(0, 20)), False))
        return items
    target = max(0, target)
    if m.aggregate == "count":
        items += [_item_for(draw, m, pack, True, window, None, exact, avoid)
                  for _ in range(min(target, 4))]
    else:
        cap = (window[1] - window[0] + 1) if window and m.over == "engagements" else target or 1
        left = target
        while left > 0 and len(items) < 6:
            part = min(left, cap, draw(_pick((left, max(1, left // 2)))))
            items.append(_item_for(draw, m, pack, True, window, part, exact, avoid))
            left -= part
    if draw(_BOOL):
        items.append(_item_for(draw, m, pack, False, window, draw(_ints(0, 20)), exact,
                               avoid))
    return items


def _income_entries(draw: _Draw, period: str, basis: str, target: int | None, currency: str
                    ) -> list[_Raw]:
    def entry(p: str, b: str, cents: int, cur: str = currency) -> _Raw:
        return {"period": p, "basis": b,
                "amount": {"value": str(Decimal(cents).scaleb(-2)), "currency": cur}}
    if target is None:
        other = draw(_pick([c for c in _CURRENCIES if c != currency]))
        chosen: list[_Raw] = draw(_pick((
            [entry(period, basis, 1_000_000, other)],
            [entry(draw(_pick([p for p in _PERIODS if p != period])), basis, 500_000)],
        )))
        return chosen
    if draw(_BOOL):
        part = draw(_ints(0, max(0, target)))
        return [entry(period, basis, part), entry(period, basis, target - part)]
    return [entry(period, basis, target)]


class _Ref:
    """A pack held by a strategy, shown by its id (hypothesis prints strategy arguments)."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def __repr__(self) -> str:
        return repr(self.pack.id)


@st.composite
def _for_call(draw: _Draw, ref: _Ref, call: str | None, aim: _Aim | None) -> Applicant:
    pack = ref.pack
    chosen = call or draw(_pick(sorted(pack.calls)))
    compiled = pack.calls[chosen]
    exact = aim is not None
    if aim is None:  # half of the time, head for eligibility (perhaps failing one rule)
        mode = draw(_ints(0, 5))
        aim = {"eligible": "met"} if mode < 3 else None
        exact = mode < 2
        if mode == 1:
            rules = [r.id for r in compiled.rules if r.kind in ("rule", "exclusion", "window")]
            aim = {"eligible": "met", draw(_pick(rules)): "unmet"} if rules else aim
    leaves: list[CLeaf] = []
    if aim is not None and aim.get("eligible") == "met":  # decide the award tiers too
        aim = {**{r.id: draw(_pick(("met", "unmet"))) for r in compiled.rules
                  if r.kind == "tier"}, **aim}
    for rule_id, want in (aim or {}).items():
        rule = next((r for r in compiled.rules if r.id == rule_id or r.then == rule_id), None)
        if rule is not None:
            _solve(draw, rule.cond, want, compiled, leaves, aim)
    wanted = _group(leaves)
    targets: dict[str, Any] = {}
    for spec in compiled.inputs:
        group = wanted.get(spec.key) or (None if exact else _free(draw, spec.key, compiled))
        missing = not exact and spec.kind != "submitted" and draw(_ints(0, 5)) == 0
        if missing or not group:
            targets[spec.key] = None if missing or spec.kind != "submitted" else "free"
            continue
        if spec.type in ("symbol",):
            universe = APPLICANT_FIELDS[spec.field].values if spec.kind == "field" and \
                spec.field in APPLICANT_FIELDS else ("true", "false")
            targets[spec.key] = _pick_symbol(draw, group, universe)
        else:
            floor = 0 if spec.kind == "measure" or spec.type == "number" else None
            targets[spec.key] = _pick_number(draw, group, floor)
    stamp = targets.get("submitted")
    if not isinstance(stamp, int):
        stamp = _free_instant(draw, pack, compiled)
    raw: _Raw = {"id": f"gen-{draw(_ints(0, 9999))}",
                 "submitted_at": _instant(draw, stamp, compiled.window.tz)}
    if draw(_ints(0, 2)) == 0 or (call is not None and draw(_BOOL)):
        raw["call"] = chosen
    today = dt.datetime.fromtimestamp(stamp, zoneinfo.ZoneInfo(compiled.window.tz)).date()
    lists: dict[str, list[_Raw] | None] = {}
    measures = {m.name: m for m in compiled.measures}
    for spec in compiled.inputs:
        target = targets.get(spec.key)
        if spec.kind == "field" and spec.field and spec.field != "submitted_date":
            info = APPLICANT_FIELDS[spec.field]
            _put(raw, spec.field, None if target is None else _raw_value(info, target,
                                                                          compiled.currency))
        elif spec.kind == "contains" and spec.field:
            current = raw.get(spec.field)
            if target is None:
                raw[spec.field] = None
            elif current is not None or spec.field not in raw:
                others = [c for c in _COUNTRIES if c != spec.arg][: draw(_ints(0, 2))]
                raw[spec.field] = sorted({*(current or []), *others,
                                          *([spec.arg] if target == "true" else [])})
        elif spec.kind == "income":
            entries = _income_entries(draw, str(spec.arg), str(spec.arg2), target,
                                      compiled.currency)
            _extend(lists, "income", None if target is None and not draw(_BOOL)
                    else entries)
        elif spec.kind == "measure":
            m = measures[str(spec.arg)]
            if target is None and (exact or draw(_BOOL)):
                _extend(lists, m.over, [] if exact else None)
                continue
            avoid = [o for o in compiled.measures
                     if o.over == m.over and targets.get("m:" + o.name) == 0]
            _extend(lists, m.over, _measure_items(draw, m, compiled, target,
                                                  today.toordinal(), exact, avoid))
    for over in _LISTS:
        if over in lists:
            items = lists[over]
            raw[over] = None if items is None else draw(st.permutations(items))
        elif not exact:
            count = _maybe(draw, _ints(0, 2), 3)
            raw[over] = None if count is None else [
                _generic_item(draw, over, only=frozenset()) for _ in range(count)]
    for name, info in APPLICANT_FIELDS.items():
        if name not in _TOP_SKIP and name not in raw and not exact and not name.startswith("needs"):
            _put(raw, name, _maybe(draw, _scalar(info), 3))
    return _validate(raw)


def _extend(lists: dict[str, list[_Raw] | None], over: str, items: list[_Raw] | None) -> None:
    if over not in lists:
        lists[over] = items
    elif items is not None:
        lists[over] = [*(lists[over] or []), *items]


def _free_instant(draw: _Draw, pack: Pack, compiled: CompiledPack) -> int:
    """An instant near a window bound (or a daylight-saving change), or anywhere around."""
    bounds = [b for c in pack.calls.values() for b in (c.window.opens, c.window.closes)
              if b is not None]
    lo, hi = (min(bounds) - 30 * 86400, max(bounds) + 60 * 86400) if bounds else (_T0, _T1)
    changes = _dst_changes(compiled.window.tz, lo, hi)
    kind = draw(_ints(0, 3))
    if kind == 0 or not bounds:
        return int(draw(_ints(lo, hi)))
    base = draw(_pick(bounds + list(changes)))
    return int(base + draw(_pick((-86400, -3600, -1, 0, 1, 3599, 86400))))


def applicants_for(pack: Pack | str, *, call: str | None = None,
                   aim: Mapping[str, Status] | str | None = None) -> st.SearchStrategy[Applicant]:
    """Applicants concentrated on one pack's thresholds, windows and enumerations.

    ``pack`` is a loaded :class:`~fundrules.Pack` or the id of a built-in (or installed)
    pack; ``call`` fixes the call (default: any). ``aim`` steers generation: a rule id
    (or ``"eligible"``, or a tier id) to meet, or ``{rule_id: "met" | "unmet"}``. Aimed
    applicants have exact facts; unaimed ones also have missing facts and intervals.
    """
    loaded = _resolve_pack(pack)
    if call is not None and call not in loaded.calls:
        raise ValueError(f"pack {loaded.id!r} has no call {call!r}")
    wants: _Aim | None = {aim: "met"} if isinstance(aim, str) else aim
    return _for_call(_Ref(loaded), call, wants)


# --- Kleene helpers ------------------------------------------------------------------------

def absent_paths(applicant: Applicant, pack: Pack | str | None = None) -> list[str]:
    """Field paths the applicant leaves absent (unknown), e.g. ``engagements[0].sector``.

    With a pack, only the fields that pack reads. ``call`` is never listed: an absent
    call is chosen by ``submitted_at``, not unknown.
    """
    out: list[str] = []
    reads = _pack_reads(_resolve_pack(pack)) if pack is not None else None

    def walk(model: Any, prefix: str, name_prefix: str) -> None:
        for name in type(model).model_fields:
            if prefix == "" and name in ("id", "submitted_at", "call"):
                continue
            value = getattr(model, name)
            path, dotted = f"{prefix}{name}", f"{name_prefix}{name}"
            if reads is not None and not any(r == dotted or r.startswith(dotted + ".")
                                             for r in reads):
                continue
            if value is None:
                out.append(path)
            elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
                for i, item in enumerate(value):
                    walk(item, f"{path}[{i}].", f"{dotted}.")
            elif isinstance(value, BaseModel) and not isinstance(value, Money):
                walk(value, path + ".", dotted + ".")

    walk(applicant, "", "")
    return out


def _pack_reads(pack: Pack) -> frozenset[str]:
    """Dotted schema names a pack reads: ``status``, ``engagements.days``, ``income``."""
    names: set[str] = set()
    for compiled in pack.calls.values():
        for spec in compiled.inputs:
            if spec.kind in ("field", "contains") and spec.field:
                names.add(spec.field)
            elif spec.kind == "income":
                names.update(("income", "income.amount"))
            elif spec.kind == "measure":
                m = next(x for x in compiled.measures if x.name == spec.arg)
                names.add(m.over)
                names.update(f"{m.over}.{f}" for f in _measure_fields(m))
                if m.within is not None:
                    names.update(f"{m.over}.{f}" for f in ("start", "end", "work_dates", "days"))
    return frozenset(names)


_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def _locate(raw: _Raw, path: str) -> tuple[Any, str, str | None]:
    """(container mapping, field name, list name) of a dotted path with indices."""
    node: Any = raw
    parts = path.split(".")
    over = None
    for part in parts[:-1]:
        m = _STEP.fullmatch(part)
        assert m is not None, path
        node = node.setdefault(m[1], {}) if m[2] is None else node[m[1]][int(m[2])]
        over = m[1] if m[2] is not None else over
    return node, parts[-1], over


@st.composite
def _filled(draw: _Draw, applicant: Applicant, path: str, ref: _Ref | None) -> Applicant:
    pack = ref.pack if ref is not None else None
    raw = applicant.model_dump(mode="json", exclude_none=True)
    container, name, over = _locate(raw, path)
    m = _STEP.fullmatch(name)
    assert m is not None, path
    name = m[1]
    currency = next(iter(pack.calls.values())).currency if pack else "EUR"
    current = container.get(name)
    if over is None and name in _LISTS:
        if name == "income" and current and pack is not None:
            specs = [s for c in pack.calls.values() for s in c.inputs if s.kind == "income"]
            spec = draw(_pick(specs)) if specs else None
            if spec is not None:
                container[name] = [*current, *_income_entries(
                    draw, str(spec.arg), str(spec.arg2), draw(_ints(0, 3_000_000)),
                    currency)]
                return _validate(raw)
        items = draw(st.lists(st.just(0), max_size=3))
        container[name] = [_generic_item(draw, name) for _ in items]
    elif name == "amount" and over == "income" and current is not None:
        container[name] = {"value": current["value"], "currency": currency}
    elif over == "engagements" and name in ("start", "end", "work_dates", "days"):
        _fill_dates(draw, container, name)
    elif over is None and name == "needs":
        container[name] = {k: draw(_money(_ints(0, 900_000), st.just(currency)))
                           for k in Needs.model_fields}
    else:
        info = (ITEM_FIELDS[over] if over else APPLICANT_FIELDS).get(_dotted(path)) \
            or _guess(path)
        if info.kind == "money":
            value = draw(_money(_ints(0, 5_000_000), st.just(currency)))
        elif info.name == "stop":
            value = {"cause": draw(_pick(("covid", "other")))}
        else:
            value = draw(_scalar(info))
        container[name] = value
    return _validate(raw)


def _dotted(path: str) -> str:
    tail = path.rsplit("]", 1)[-1].lstrip(".")
    return tail


def _guess(path: str) -> FieldInfo:
    name = _dotted(path)
    if name == "stop":
        return FieldInfo("stop", "symbol")
    if name.startswith("needs."):
        return FieldInfo(name, "money")
    return FieldInfo(name, "text")


def _fill_dates(draw: _Draw, item: _Raw, name: str) -> None:
    start = dt.date.fromisoformat(item["start"]).toordinal() if "start" in item else None
    end = dt.date.fromisoformat(item["end"]).toordinal() if "end" in item else None
    dates = [dt.date.fromisoformat(d).toordinal() for d in item.get("work_dates", ())]
    days = item.get("days")
    need = max(days or 0, len(dates), 1)
    if name == "start":
        limit = _DAY1 if end is None else end - need + 1
        limit = min([limit, *dates])
        item["start"] = dt.date.fromordinal(limit - draw(_ints(0, 60))).isoformat()
    elif name == "end":
        bottom = start + need - 1 if start is not None else _DAY0
        bottom = max([bottom, *dates])
        item["end"] = dt.date.fromordinal(bottom + draw(_ints(0, 60))).isoformat()
    elif name == "days":
        calendar = end - start + 1 if start is not None and end is not None else 400
        item["days"] = len(dates) if dates else draw(_ints(0, min(calendar, 400)))
    else:
        lo = start if start is not None else (end or _DAY0 + 300) - 60
        hi = end if end is not None else lo + 60
        k = days if days is not None else draw(_ints(0, min(10, hi - lo + 1)))
        assume(k <= hi - lo + 1)
        picked = draw(st.lists(_ints(lo, hi), min_size=k, max_size=k, unique=True))
        item["work_dates"] = [dt.date.fromordinal(o).isoformat() for o in sorted(picked)]


def filled(applicant: Applicant, path: str, pack: Pack | str | None = None
           ) -> st.SearchStrategy[Applicant]:
    """Applicants equal to ``applicant`` except that ``path`` gets a value.

    ``path`` is an absent field (see :func:`absent_paths`) or a path a Decision lists
    in ``missing``: ``income`` with a list that lacks the period a pack reads gets an
    entry for it; an amount in another currency gets one in the pack's currency.
    """
    return _filled(applicant, path, _Ref(_resolve_pack(pack)) if pack is not None else None)


def case_yaml(applicant: Applicant, decision: Decision | None = None, *,
              name: str = "generated") -> str:
    """A YAML test case (one item of ``cases:``) holding the applicant, ready to paste.

    With a decision, ``expect`` records its outcome, award and reason statuses.
    """
    case: dict[str, Any] = {"name": name,
                            "applicant": applicant.model_dump(mode="json", exclude_none=True)}
    if decision is not None:
        expect: dict[str, Any] = {"outcome": decision.outcome}
        if decision.award is not None:
            expect["award"] = decision.award.model_dump(mode="json", exclude_none=True)
        expect["reasons"] = {r.rule: r.status for r in decision.reasons}
        if decision.missing:
            expect["missing"] = list(decision.missing)
        case["expect"] = expect
    text: str = yaml.safe_dump([case], sort_keys=False, allow_unicode=True, width=100)
    return text
