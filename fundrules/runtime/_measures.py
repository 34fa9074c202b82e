"""Measures over an applicant's lists, each composed once per call into closures.

What a figure contributes inside a window is said in :mod:`fundrules.runtime.facts`;
this module holds the machinery, split out so that each module stays short. A measure's
filter, figure and window are composed when a call is prepared; reading one applicant
then walks each list once per measure and builds a field path only for an item whose
figure or filter is left open.
"""

from __future__ import annotations

import calendar
import datetime as dt
import operator
from collections.abc import Callable, Sequence
from typing import Any, assert_never

from fundrules.policies.ir import (
    CLeaf,
    DateBound,
    ItemAdd,
    ItemConst,
    ItemExpr,
    ItemField,
    ItemGreatest,
    ItemLeast,
    MeasureSpec,
    Status,
)
from fundrules.runtime._values import exact, get_path, getter, scalar
from fundrules.runtime.semantics import CondFn, Value, compile_cond, unknown_parts, value_status
from fundrules.runtime.walk import leaves
from fundrules.schema import Applicant

__all__ = ["Measure", "window_day"]

Bound = int | float | None
Interval = tuple[Bound, Bound]  # (lo, hi); None = unknown
#: figures of an engagement of which at most one falls on a day
DAILY = frozenset({"days"})
#: values remembered per comparison of a measure's filter, and windows per measure
MEMO = 256
ZERO = Value(lo=0, hi=0)  # a measure over an empty list


def window_day(day: dt.date, bound: DateBound) -> int:
    """The ordinal day a window bound stands for, given the submission day."""
    if bound.ordinal is not None:
        return bound.ordinal
    month = day.month - 1 + bound.months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]  # the same day, or the month's last
    return dt.date(year, month, min(day.day, last)).toordinal() + bound.days


# --- per-item figures -----------------------------------------------------------------

#: ``fn(item, share, span)``: a figure's interval inside the window (``share``: days
#: inside and outside it, None for the whole item; ``span``: the days it may cover)
Figure = Callable[[Any, "tuple[int, int] | None", "int | None"], Interval]


def _clip(daily: bool, lo: Bound, hi: Bound, share: tuple[int, int]) -> Interval:
    """The part of one figure of an engagement that straddles the window inside it."""
    inside, outside = share
    if daily:
        return (max(0, lo - outside) if lo is not None else None,
                min(hi, inside) if hi is not None else inside)
    return (0 if lo is not None else None), hi


def _bounds(raw: object, currency: str) -> Interval | None:
    """A given figure's bounds; None for an amount in another currency (never converted)."""
    value, _ = scalar(raw, currency)
    if value is None:
        return None
    return value.lo, value.hi


def _field_figure(name: str, currency: str) -> Figure:
    get, daily = getter(name), name in DAILY

    def field(item: Any, share: tuple[int, int] | None, span: int | None) -> Interval:
        raw = get(item)
        lo: Bound
        hi: Bound
        if type(raw) is int:
            lo = hi = raw
        elif raw is None:  # not given: anything from none to what the calendar allows
            lo, hi = 0, (span if daily else None)
        else:
            found = _bounds(raw, currency)
            if found is None:
                return None, None
            lo, hi = found
        return (lo, hi) if share is None else _clip(daily, lo, hi, share)
    return field


def _add_figure(parts: tuple[Figure, ...]) -> Figure:
    def add(item: Any, share: tuple[int, int] | None, span: int | None) -> Interval:
        lo: Bound = 0
        hi: Bound = 0
        for part in parts:
            p_lo, p_hi = part(item, share, span)
            lo = None if lo is None or p_lo is None else lo + p_lo
            hi = None if hi is None or p_hi is None else hi + p_hi
        return lo, hi
    return add


def _extreme_figure(args: tuple[ItemExpr, ...], greatest: bool, currency: str) -> Figure:
    """The greatest (or least) of the figures an applicant reports (absent ones: A6).

    A bound is known when it is known for every reported figure, except the greatest's
    low bound and the least's high bound, which any known figure gives.
    """
    parts = tuple((getter(a.field) if isinstance(a, ItemField) else None,
                   compile_figure(a, currency)) for a in args)
    pick = max if greatest else min

    def extreme(item: Any, share: tuple[int, int] | None, span: int | None) -> Interval:
        lo: Bound = None
        hi: Bound = None
        lo_all = hi_all = True  # every reported figure's bound is known
        reported = False
        for get, part in parts:
            if get is not None and get(item) is None:
                continue
            p_lo, p_hi = part(item, share, span)
            if reported:
                lo = p_lo if lo is None else lo if p_lo is None else pick(lo, p_lo)
                hi = p_hi if hi is None else hi if p_hi is None else pick(hi, p_hi)
            else:
                lo, hi, reported = p_lo, p_hi, True
            lo_all = lo_all and p_lo is not None
            hi_all = hi_all and p_hi is not None
        if not reported:  # nothing reported: unknown
            return 0, None
        if greatest:
            return lo, (hi if hi_all else None)
        return (lo if lo_all else None), hi
    return extreme


def compile_figure(expr: ItemExpr, currency: str) -> Figure:
    """A per-item figure composed once into a closure."""
    match expr:
        case ItemConst(value=c):
            return lambda item, share, span: (c, c)
        case ItemField(field=name):
            return _field_figure(name, currency)
        case ItemAdd(args=args):
            return _add_figure(tuple(compile_figure(a, currency) for a in args))
        case ItemGreatest(args=args) | ItemLeast(args=args):
            return _extreme_figure(args, isinstance(expr, ItemGreatest), currency)
    assert_never(expr)


def _expr_fields(expr: ItemExpr) -> list[str]:
    match expr:
        case ItemField(field=name):
            return [name]
        case ItemConst():
            return []
        case ItemAdd(args=args) | ItemGreatest(args=args) | ItemLeast(args=args):
            return [f for a in args for f in _expr_fields(a)]
    assert_never(expr)


# --- windows --------------------------------------------------------------------------

def _calendar_days(item: Any) -> int | None:
    """The days of an engagement's contract period (``days`` never exceeds them)."""
    start, end = getattr(item, "start", None), getattr(item, "end", None)
    return end.toordinal() - start.toordinal() + 1 if start and end else None


_OUTSIDE: tuple[None, Status, tuple[str, ...]] = (None, "unmet", ())


def _worked_share(item: Any, window: tuple[int, int]
                  ) -> tuple[tuple[int, int] | None, Status, tuple[str, ...]]:
    """(days inside, days outside) of an engagement, whether any is inside, what is missing."""
    first, last = window
    dates = getattr(item, "work_dates", None)
    if dates:
        inside = sum(1 for d in dates if first <= d.toordinal() <= last)
        return ((inside, len(dates) - inside), "met", ()) if inside else _OUTSIDE
    start, end = getattr(item, "start", None), getattr(item, "end", None)
    if start is None or end is None:
        return None, "unknown", tuple(n for n, v in (("start", start), ("end", end)) if v is None)
    s, e = start.toordinal(), end.toordinal()
    inside = (e if e < last else last) - (s if s > first else first) + 1
    return ((inside, (e - s + 1) - inside), "met", ()) if inside > 0 else _OUTSIDE


def _overlap(item: Any, window: tuple[int, int]) -> tuple[Status, tuple[str, ...]]:
    """Whether a contract period overlaps the window by a day (a start inside counts)."""
    first, last = window
    start, end = getattr(item, "start", None), getattr(item, "end", None)
    if start is not None and end is not None:
        met = start.toordinal() <= last and end.toordinal() >= first
        return ("met" if met else "unmet"), ()
    if start is not None:  # the end may be anywhere after the start
        s = start.toordinal()
        if first <= s <= last:
            return "met", ()
        return ("unmet", ()) if s > last else ("unknown", ("end",))
    if end is not None:  # the start anywhere before the end
        e = end.toordinal()
        if first <= e <= last:
            return "met", ()
        return ("unmet", ()) if e < first else ("unknown", ("start",))
    return "unknown", ("start", "end")


# --- measures -------------------------------------------------------------------------

class Measure:
    """A measure prepared once per compiled call: its filter and figure composed."""

    def __init__(self, spec: MeasureSpec, currency: str) -> None:
        self.spec = spec
        self.currency = currency
        self.over = spec.over
        self._absent = Value(lo=0, missing=(spec.over,))  # the list is not given
        self._key_of: Callable[[Any], object] | None = None  # set for a plain-field filter
        self._missing_memo: dict[object, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._leaf_fns: dict[CLeaf, CondFn] = {}
        self._windows: dict[int, tuple[int, int]] = {}
        self._contract = spec.reads == "contract_overlap"
        relative = spec.within is not None and any(b.ordinal is None for b in spec.within)
        #: whether the window needs the submission day (a filter on the day makes the
        #: compiler list `submitted_date` among the call's inputs, which the reader reads)
        self.reads_day = relative
        self._fixed = (None if spec.within is None or relative  # a window of fixed days
                       else (window_day(dt.date.min, spec.within[0]),
                             window_day(dt.date.min, spec.within[1])))
        self._counts = (spec.aggregate == "count" and spec.within is None
                        and spec.where is not None)
        self.where_fields = tuple(dict.fromkeys(
            leaf.input.field for leaf in leaves(spec.where) if isinstance(leaf.input, ItemField)))
        self.where: CondFn | None = (self._remembered(compile_cond(spec.where, self._item_leaf))
                                     if spec.where is not None else None)
        self._figure = (compile_figure(spec.value, currency)
                        if spec.aggregate == "sum" and spec.value is not None else None)
        self.value_fields = tuple(_expr_fields(spec.value)) if spec.value is not None else ()

    def _remembered(self, where: CondFn) -> CondFn:
        """The filter, remembered per item by the values of the fields it reads.

        Only for a filter that reads nothing but plain fields of the item (its status is
        then a function of them alone); at most :data:`MEMO` combinations are kept.
        """
        fields = self.where_fields
        if not fields or any("." in f for f in fields) or any(
                not isinstance(leaf.input, ItemField) for leaf in leaves(self.spec.where)):
            return where
        key_of = operator.attrgetter(*fields)
        self._key_of = key_of
        memo: dict[object, Status] = {}

        def remembered(item: Any, today: Any) -> Status:
            key = key_of(item)
            try:
                return memo[key]
            except KeyError:
                keep = len(memo) < MEMO
            except TypeError:  # a value that cannot be hashed: never remembered
                keep = False
            status = where(item, today)
            if keep:
                memo[key] = status
            return status
        return remembered

    def _item_leaf(self, leaf: CLeaf) -> CondFn:
        """A filter's comparison, called as ``fn(item, today)``; absent fields are unknown.

        The status of an item's field is a function of the field's value alone, so it is
        remembered per value (at most :data:`MEMO` values per comparison, then computed
        each time): list items mostly repeat a few sectors, contracts and flags.
        """
        found = self._leaf_fns.get(leaf)
        if found is not None:
            return found
        status = value_status(leaf)
        if not isinstance(leaf.input, ItemField):  # `submitted_date`, read from the applicant
            fn: CondFn = lambda item, today: status(today)  # noqa: E731
            self._leaf_fns[leaf] = fn
            return fn
        get, currency = getter(leaf.input.field), self.currency
        memo: dict[object, Status] = {}

        def read(item: Any, today: Any) -> Status:
            raw = get(item)
            try:
                return memo[raw]
            except KeyError:
                keep = len(memo) < MEMO
            except TypeError:  # not hashable: never remembered
                keep = False
            value, _ = scalar(raw, currency)
            result: Status = "unknown" if value is None else status(value)
            if keep:
                memo[raw] = result
            return result
        self._leaf_fns[leaf] = read
        return read

    def _filter_missing(self, item: Any, path: str, today: Value) -> tuple[list[str], list[str]]:
        """The fields that leave an item's filter unknown (worked out only when it is)."""
        key_of = self._key_of
        if key_of is not None:  # a function of the fields' values: remembered per values
            try:
                key = key_of(item)
                found = self._missing_memo.get(key)
            except TypeError:  # a value that cannot be hashed
                key = found = None
            if found is None:
                found = self._missing_fields(item, today)
                if key is not None and len(self._missing_memo) < MEMO:
                    self._missing_memo[key] = found
            names, notes = found
            return [f"{path}.{name}" for name in names], list(notes)
        names, notes = self._missing_fields(item, today)
        return [f"{path}.{name}" for name in names], list(notes)

    def _missing_fields(self, item: Any, today: Value) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The item fields that leave its filter unknown, and notes on why, once per item."""
        assert self.spec.where is not None
        notes: list[str] = []
        for name in self.where_fields:
            value, note = scalar(get_path(item, name), self.currency)
            if value is None and note:
                notes.append(note)

        def leaf(cond: CLeaf) -> Status:
            return self._item_leaf(cond)(item, today)
        missing = [part.input.field for part in unknown_parts(self.spec.where, leaf, {})
                   if isinstance(part, CLeaf) and isinstance(part.input, ItemField)]
        return tuple(dict.fromkeys(missing)), tuple(notes)

    def value(self, applicant: Applicant, today: Value, instant: int) -> Value:
        """The measure for one applicant: exact, an interval, or unknown.

        ``instant`` is unused: a measure is read like any other input (facts.Reader).
        """
        items: Sequence[Any] | None = getattr(applicant, self.over)
        if items is None:
            return self._absent
        if not items:
            return ZERO
        if self._counts:  # a count without a window: exact unless an item is undecided
            where = self.where
            assert where is not None
            n = 0
            for item in items:
                status = where(item, today)
                if status == "met":
                    n += 1
                elif status == "unknown":
                    return self._value(items, today)
            return exact(n)
        return self._value(items, today)

    def _value(self, items: Sequence[Any], today: Value) -> Value:
        window = self._fixed
        if window is None and self.spec.within is not None:
            window = self._window(today)
        where, figure, over = self.where, self._figure, self.over
        lo: Bound = 0
        hi: Bound = 0
        missing: list[str] = []
        notes: list[str] = []
        for i, item in enumerate(items):
            status: Status = "met" if where is None else where(item, today)
            if status == "unmet":
                continue
            share: tuple[int, int] | None = None
            gaps: tuple[str, ...] = ()  # the dates that leave the window's question open
            open_window = False
            if window is not None:
                if self._contract:
                    overlap, gaps = _overlap(item, window)
                else:
                    share, overlap, gaps = _worked_share(item, window)
                if overlap == "unmet":  # outside the window: its unknown fields cannot matter
                    continue
                open_window = overlap == "unknown"
            if status == "unknown" or open_window:
                path = f"{over}[{i}]"
                if status == "unknown":
                    item_missing, item_notes = self._filter_missing(item, path, today)
                    missing += item_missing
                    notes += item_notes
                missing += [f"{path}.{name}" for name in gaps]
                status = "unknown"
            v_lo, v_hi = (1, 1) if figure is None else self._item(item, i, share, missing)
            if status == "unknown":  # it may not count at all
                v_lo = min(0, v_lo) if v_lo is not None else None
                v_hi = max(0, v_hi) if v_hi is not None else None
            lo = None if lo is None or v_lo is None else lo + v_lo
            hi = None if hi is None or v_hi is None else hi + v_hi
        if type(lo) is int and lo == hi and not missing and not notes:
            return exact(lo)
        return Value(lo=lo, hi=hi, missing=tuple(dict.fromkeys(missing)),
                     notes=tuple(dict.fromkeys(notes)))

    def _window(self, today: Value) -> tuple[int, int]:
        """The measure's window for a submission day (remembered for :data:`MEMO` days)."""
        ordinal = today.lo
        assert isinstance(ordinal, int)  # the reader works the day out for this measure
        found = self._windows.get(ordinal)
        if found is None:
            assert self.spec.within is not None
            day = dt.date.fromordinal(ordinal)
            found = (window_day(day, self.spec.within[0]), window_day(day, self.spec.within[1]))
            if len(self._windows) < MEMO:
                self._windows[ordinal] = found
        return found

    def _item(self, item: Any, i: int, share: tuple[int, int] | None, missing: list[str]
              ) -> Interval:
        """One counted item's figure, noting what would decide it (a sum's only)."""
        figure = self._figure
        assert figure is not None
        span = share[0] + share[1] if share is not None else _calendar_days(item)
        whole = figure(item, None, span)
        if whole[0] != whole[1] or whole[0] is None:  # a figure the applicant did not give
            missing += [f"{self.over}[{i}].{f}" for f in self.value_fields
                        if get_path(item, f) is None]
        if share is None or share[1] == 0:
            return whole
        v_lo, v_hi = figure(item, share, span)
        if v_lo != v_hi:  # straddles the window: which part is inside?
            if getattr(item, "work_dates", None):  # several cachets a day: dates cannot say
                missing += [f"{self.over}[{i}].{f}" for f in self.value_fields
                            if f not in DAILY]
            else:
                missing.append(f"{self.over}[{i}].work_dates")
        return v_lo, v_hi
