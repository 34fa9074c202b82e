"""From an applicant to the values a compiled pack reads: exact, intervals, or unknown.

This is where DESIGN section 5's rules for missing facts live: an absent field is
unknown (never false or zero), a measure over a list with uncertain items is an
interval, and an engagement that straddles a window boundary without ``work_dates``
contributes only what its calendar allows (``max(0, days - days outside)`` to
``min(days, days inside)``). Engines then compare these values with constants.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from fundrules.diagnostics import Diagnostic, EngineError
from fundrules.policies.ir import (
    FALSE,
    TRUE,
    CAnd,
    CLeaf,
    CNot,
    CompiledPack,
    Cond,
    COr,
    DateBound,
    InputSpec,
    ItemExpr,
    MeasureSpec,
    Status,
    Value,
    compile_cond,
    leaf_status,
    unknown_parts,
)
from fundrules.policies.plugins import predicates
from fundrules.schema import Applicant, Money

__all__ = ["compute_inputs", "submitted_date", "window_day"]

_Interval = tuple[int | float | None, int | float | None]  # (lo, hi); None = unknown / unbounded


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def submitted_date(applicant: Applicant, tz: str) -> dt.date:
    """The calendar day of the application in the fund's time zone."""
    return applicant.submitted_at.astimezone(_zone(tz)).date()


def window_day(day: dt.date, bound: DateBound) -> int:
    """The ordinal day a window bound stands for, given the submission day."""
    if bound.ordinal is not None:
        return bound.ordinal
    month = day.month - 1 + bound.months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last)).toordinal() + bound.days


_TRUE, _FALSE = Value(sym=TRUE), Value(sym=FALSE)
_SYMBOLS: dict[str, Value] = {}  # Values are immutable: share one per enumeration value


def _symbol(text: str) -> Value:
    found = _SYMBOLS.get(text)
    if found is None:
        found = Value(sym=text)
        if len(_SYMBOLS) < 4096:  # bounded: free text from applicants must not grow it
            _SYMBOLS[text] = found
    return found


def _scalar(value: object, currency: str) -> tuple[Value | None, str | None]:
    """A field's value as an engine value; (None, note) when it cannot be compared."""
    kind = type(value)
    if value is None:
        return None, None
    if kind is str:
        return _symbol(value), None  # type: ignore[arg-type]
    if kind is bool:
        return (_TRUE if value else _FALSE), None
    if kind is int:
        return Value(lo=value, hi=value), None  # type: ignore[arg-type]
    if kind is dt.date:
        day = value.toordinal()  # type: ignore[attr-defined]
        return Value(lo=day, hi=day), None
    if isinstance(value, Money):
        if value.currency != currency:
            return None, (f"the amount is in {value.currency} and the pack's thresholds are in "
                          f"{currency}: amounts are never converted")
        cents = value.minor_units()
        return Value(lo=cents, hi=cents), None
    if isinstance(value, dt.datetime):
        stamp = int(value.timestamp())
        return Value(lo=stamp, hi=stamp), None
    if isinstance(value, dt.date):
        return Value(lo=value.toordinal(), hi=value.toordinal()), None
    if isinstance(value, int):
        return Value(lo=int(value), hi=int(value)), None
    return _symbol(str(value)), None


def _get(obj: Any, dotted: str) -> object:
    if "." not in dotted:
        return getattr(obj, dotted)
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def _field(applicant: Applicant, spec: InputSpec, pack: CompiledPack) -> Value:
    assert spec.field is not None
    if spec.field == "submitted_date":
        day = submitted_date(applicant, pack.window.tz).toordinal()
        return Value(lo=day, hi=day)
    value, note = _scalar(_get(applicant, spec.field), pack.currency)
    if value is None:
        return Value(missing=(spec.field,), notes=(note,) if note else ())
    return value


def _contains(applicant: Applicant, spec: InputSpec) -> Value:
    assert spec.field is not None
    items = _get(applicant, spec.field)
    if items is None:
        return Value(missing=(spec.field,))
    assert isinstance(items, Sequence)
    return Value(sym=TRUE if spec.arg in items else FALSE)


def _income(applicant: Applicant, spec: InputSpec, currency: str) -> Value:
    if applicant.income is None:
        return Value(missing=("income",), notes=(f"no income given for {spec.arg}",))
    total = 0
    found = False
    for i, entry in enumerate(applicant.income):
        if entry.period != spec.arg or entry.basis != spec.arg2:
            continue
        found = True
        value, note = _scalar(entry.amount, currency)
        if value is None or value.lo is None:
            return Value(missing=(f"income[{i}].amount",), notes=(note,) if note else ())
        total += int(value.lo)
    if not found and applicant.income:
        return Value(missing=("income",),
                     notes=(f"no {spec.arg2} income is given for period {spec.arg}",))
    return Value(lo=total, hi=total)  # an empty list declares no income at all


def _item_values(item: Any, fields: Iterable[str], currency: str, extra: Mapping[str, Value]
                 ) -> tuple[dict[str, Value], dict[str, str | None]]:
    values: dict[str, Value] = dict(extra)
    notes: dict[str, str | None] = {}
    for name in fields:
        value, note = _scalar(_get(item, name), currency)
        values["i:" + name] = value if value is not None else Value()
        if value is None:
            notes[name] = note
    return values, notes


def _item_expr(expr: ItemExpr, item: Any, currency: str, cap: int | None) -> _Interval:
    """Interval of a per-item value; absent fields are unknown (`days`: capped by the calendar)."""
    if expr.kind == "const":
        return expr.const, expr.const
    if expr.kind == "field":
        assert expr.field is not None
        value, _ = _scalar(_get(item, expr.field), currency)
        if value is None:
            if isinstance(_get(item, expr.field), Money):
                return None, None
            return 0, cap if expr.field == "days" else None
        return value.lo, value.hi
    parts = [_item_expr(a, item, currency, cap) for a in expr.args]
    los = [p[0] for p in parts]
    his = [p[1] for p in parts]
    if expr.kind == "add":
        lo_known = [x for x in los if x is not None]
        hi_known = [x for x in his if x is not None]
        return (sum(lo_known) if len(lo_known) == len(los) else None,
                sum(hi_known) if len(hi_known) == len(his) else None)
    # greatest / least: the fields an applicant reports (absent ones are skipped), see A6
    keep = [i for i, a in enumerate(expr.args)
            if a.kind != "field" or _get(item, a.field or "") is not None]
    if not keep:
        return (0, None) if expr.kind == "greatest" else (0, cap)
    known_lo = [x for x in (los[i] for i in keep) if x is not None]
    kept_hi = [his[i] for i in keep]
    known_hi = [x for x in kept_hi if x is not None]
    if expr.kind == "greatest":
        return (max(known_lo) if known_lo else None,
                max(known_hi) if len(known_hi) == len(kept_hi) else None)
    return min(known_lo) if known_lo else None, min(known_hi) if known_hi else None


def _window_share(item: Any, window: tuple[int, int] | None, path: str
                  ) -> tuple[tuple[int, int] | None, Status, list[str]]:
    """(days inside, days outside) capacities of an engagement, its overlap status, missing."""
    if window is None:
        return None, "met", []
    first, last = window
    dates = getattr(item, "work_dates", None)
    if dates:
        inside = sum(1 for d in dates if first <= d.toordinal() <= last)
        return (inside, len(dates) - inside), "met" if inside else "unmet", []
    start, end = getattr(item, "start", None), getattr(item, "end", None)
    if start is None or end is None:
        missing = [f"{path}.{n}" for n, v in (("start", start), ("end", end)) if v is None]
        return None, "unknown", missing
    s, e = start.toordinal(), end.toordinal()
    inside = max(0, min(e, last) - max(s, first) + 1)
    return (inside, (e - s + 1) - inside), "met" if inside else "unmet", []


@dataclasses.dataclass(frozen=True)
class _MeasurePlan:
    """A measure prepared once per compiled pack: its filter composed, its fields listed."""

    spec: MeasureSpec
    where: Any  # filter(item, today) -> Status, composed by compile_cond
    where_fields: tuple[str, ...]
    value_fields: tuple[str, ...]


_PLANS: dict[tuple[str, str, str], dict[str, _MeasurePlan]] = {}


def _item_leaf(currency: str) -> Any:
    """Compile a measure filter's comparisons to read one list item directly.

    The composed filter is called as ``filter(item, today)``; an absent field is unknown.
    """
    def compile_leaf(leaf: CLeaf) -> Any:
        if not leaf.input.startswith("i:"):  # `submitted_date`, the only applicant input
            return lambda item, today: leaf_status(leaf, today)
        field = leaf.input[2:]

        def status(item: Any, today: Value) -> Status:
            value, _ = _scalar(_get(item, field), currency)
            return "unknown" if value is None else leaf_status(leaf, value)
        return status
    return compile_leaf


def _plans(pack: CompiledPack) -> dict[str, _MeasurePlan]:
    key = (pack.pack, pack.digest, pack.call)
    found = _PLANS.get(key)
    if found is None:
        found = {m.name: _MeasurePlan(
            m, compile_cond(m.where, _item_leaf(pack.currency)) if m.where is not None
            else None,
            _leaf_fields(m.where) if m.where is not None else (),
            tuple(_expr_fields(m.value)) if m.value is not None else ()) for m in pack.measures}
        _PLANS[key] = found  # a benign race: two threads build equal plans
    return found


def _measure(applicant: Applicant, plan: _MeasurePlan, pack: CompiledPack, today: Value
             ) -> Value:
    m = plan.spec
    items = getattr(applicant, m.over)
    if items is None:
        return Value(lo=0, missing=(m.over,))
    window = None
    if m.within is not None:
        day = dt.date.fromordinal(int(today.lo or 0))
        window = (window_day(day, m.within[0]), window_day(day, m.within[1]))
    lo: int | float | None = 0
    hi: int | float | None = 0
    missing: list[str] = []
    notes: list[str] = []
    for i, item in enumerate(items):
        path = f"{m.over}[{i}]"
        status: Status = "met"
        item_missing: list[str] = []
        item_notes: list[str] = []
        if plan.where is not None:
            status = plan.where(item, today)
            if status == "unknown":  # rare: only now work out which fields are missing
                assert m.where is not None
                fields = plan.where_fields
                values, why = _item_values(item, fields, pack.currency,
                                           {"f:submitted_date": today})
                item_missing = list(dict.fromkeys(
                    f"{path}.{part.input[2:]}" for part in unknown_parts(m.where, values, {})
                    if isinstance(part, CLeaf) and part.input.startswith("i:")))
                item_notes = [n for n in why.values() if n]
        if status == "unmet":
            continue
        share, overlap, gaps = _window_share(item, window, path)
        if overlap == "unmet":  # outside the window: its unknown fields cannot matter
            continue
        if overlap == "unknown":
            status = "unknown"
        missing += item_missing + gaps
        notes += item_notes
        if m.aggregate == "count":
            v_lo: int | float | None = 1
            v_hi: int | float | None = 1
        else:
            assert m.value is not None
            cap = share[0] + share[1] if share else None
            v_lo, v_hi = _item_expr(m.value, item, pack.currency, cap)
            if v_lo != v_hi or v_lo is None:
                missing += [f"{path}.{f}" for f in plan.value_fields if _get(item, f) is None]
            if share is not None and share[1] > 0:
                v_lo, v_hi = _clip(v_lo, v_hi, share)
                if share[0] > 0 and v_lo != v_hi:
                    missing.append(f"{path}.work_dates")
        if status == "unknown":
            v_lo = min(0, v_lo) if v_lo is not None else None
        lo = None if lo is None or v_lo is None else lo + v_lo
        hi = None if hi is None or v_hi is None else hi + v_hi
    return Value(lo=lo, hi=hi, missing=tuple(dict.fromkeys(missing)),
                 notes=tuple(dict.fromkeys(notes)))


def _clip(v_lo: int | float | None, v_hi: int | float | None, share: tuple[int, int]
          ) -> tuple[int | float | None, int | float | None]:
    """The part of an engagement's value inside the window (one unit per day at most)."""
    inside, outside = share
    lo = max(0, v_lo - outside) if v_lo is not None else None
    hi = min(v_hi, inside) if v_hi is not None else inside
    return lo, hi


def _leaf_fields(cond: Cond) -> tuple[str, ...]:
    out: list[str] = []

    def walk(c: Cond) -> None:
        if isinstance(c, CLeaf) and c.input.startswith("i:"):
            out.append(c.input[2:])
        elif isinstance(c, CNot):
            walk(c.operand)
        elif isinstance(c, CAnd | COr):
            for o in c.operands:
                walk(o)

    walk(cond)
    return tuple(dict.fromkeys(out))


def _expr_fields(expr: ItemExpr) -> list[str]:
    if expr.kind == "field" and expr.field:
        return [expr.field]
    return [f for a in expr.args for f in _expr_fields(a)]


def _plugin(applicant: Applicant, spec: InputSpec) -> Value:
    """A registered predicate's answer: True, False, or None (unknown)."""
    assert spec.arg is not None
    function = predicates()[spec.arg]
    try:
        answer = function(applicant)
    except Exception as exc:  # a plugin's bug must not pass for a decision
        raise EngineError([Diagnostic(
            "engine-failure", f"plugin predicate `{spec.arg}` failed: {exc!r}",
            hint="report it to the package that registers the predicate")]) from exc
    if answer is None:
        reads = tuple(getattr(function, "reads", ()))
        return Value(missing=reads, notes=(f"`{spec.arg}()` could not decide",))
    if not isinstance(answer, bool):
        raise EngineError([Diagnostic(
            "engine-failure", f"plugin predicate `{spec.arg}` returned {answer!r}, not "
            "True, False or None", hint="report it to the package that registers it")])
    return _TRUE if answer else _FALSE


def compute_inputs(applicant: Applicant, pack: CompiledPack) -> dict[str, Value]:
    """Every input of a compiled pack for one applicant."""
    day = submitted_date(applicant, pack.window.tz).toordinal()
    today = Value(lo=day, hi=day)
    measures = _plans(pack)
    out: dict[str, Value] = {}
    for spec in pack.inputs:
        if spec.kind == "field":
            out[spec.key] = _field(applicant, spec, pack)
        elif spec.kind == "contains":
            out[spec.key] = _contains(applicant, spec)
        elif spec.kind == "measure":
            assert spec.arg is not None
            out[spec.key] = _measure(applicant, measures[spec.arg], pack, today)
        elif spec.kind == "income":
            out[spec.key] = _income(applicant, spec, pack.currency)
        elif spec.kind == "plugin":
            out[spec.key] = _plugin(applicant, spec)
        else:
            stamp = int(applicant.submitted_at.timestamp())
            out[spec.key] = Value(lo=stamp, hi=stamp)
    return out
