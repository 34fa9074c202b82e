"""From an applicant to the values a compiled call reads: exact, intervals, or unknown.

This is where DESIGN section 5's rules for missing facts live: an absent field is
unknown (never false or zero), a measure over a list with uncertain items is an
interval, and an engagement that straddles a window without ``work_dates`` contributes
only what its calendar allows. What an engagement's figure contributes inside a window:

- ``days`` (at most one a day): between ``max(0, days - days outside)`` and
  ``min(days, days inside)``;
- any other figure (``cachets``: an artist may be paid several a day; amounts): all of
  it when no day lies outside, between 0 and all of it when some day does.

A measure that ``reads: contract_overlap`` counts an engagement whose contract period
overlaps the window by a day, with all of its value (DESIGN 9).
"""

from __future__ import annotations

import datetime as dt
import operator
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, assert_never

from fundrules.diagnostics import Diagnostic
from fundrules.errors import EngineError
from fundrules.policies.ir import (
    FALSE,
    TRUE,
    CLeaf,
    CompiledPack,
    Cond,
    ContainsInput,
    DateBound,
    FieldInput,
    IncomeInput,
    Input,
    ItemAdd,
    ItemConst,
    ItemExpr,
    ItemField,
    ItemGreatest,
    ItemLeast,
    MeasureInput,
    MeasureSpec,
    PluginInput,
    Status,
    SubmittedDay,
    SubmittedInstant,
)
from fundrules.policies.plugins import predicates
from fundrules.runtime.semantics import CondFn, Value, compile_cond, unknown_parts, value_status
from fundrules.schema import Applicant, Money

__all__ = ["InputReader", "InputValues", "submitted_date", "window_day"]

_Bound = int | float | None
_Interval = tuple[_Bound, _Bound]  # (lo, hi); None = unknown
#: figures of an engagement of which at most one falls on a day
_DAILY = frozenset({"days"})
_TRUE, _FALSE = Value(sym=TRUE), Value(sym=FALSE)
#: values remembered per comparison of a measure's filter, and windows per measure
_MEMO = 256
_ZERO = Value(lo=0, hi=0)  # a measure over an empty list


_EXACT: dict[int, Value] = {}


def _exact(number: int) -> Value:
    """The exact value ``number`` (Values are immutable: the common ones are shared)."""
    found = _EXACT.get(number)
    if found is None:
        found = Value(lo=number, hi=number)
        if len(_EXACT) < 4 * _MEMO:
            _EXACT[number] = found
    return found


_SYMBOLS: dict[str, Value] = {}


def _symbol(text: str) -> Value:
    """The symbol ``text`` as a value (shared, for the few texts enumerations allow)."""
    found = _SYMBOLS.get(text)
    if found is None:
        found = Value(sym=text)
        if len(_SYMBOLS) < 4 * _MEMO:
            _SYMBOLS[text] = found
    return found


def submitted_date(applicant: Applicant, tz: zoneinfo.ZoneInfo | str) -> dt.date:
    """The calendar day of the application in the fund's time zone."""
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    return applicant.submitted_at.astimezone(zone).date()


def window_day(day: dt.date, bound: DateBound) -> int:
    """The ordinal day a window bound stands for, given the submission day."""
    if bound.ordinal is not None:
        return bound.ordinal
    month = day.month - 1 + bound.months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last)).toordinal() + bound.days


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
        return _exact(value), None  # type: ignore[arg-type]
    if kind is dt.date:
        return _exact(value.toordinal()), None  # type: ignore[attr-defined]
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
    return Value(sym=str(value)), None


def _get(obj: Any, dotted: str) -> object:
    if "." not in dotted:
        return getattr(obj, dotted)
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


# --- per-item values ------------------------------------------------------------------

def _clip(field: str, lo: _Bound, hi: _Bound, share: tuple[int, int]) -> _Interval:
    """The part of one figure of an engagement that falls inside the window."""
    inside, outside = share
    if field in _DAILY:
        return (max(0, lo - outside) if lo is not None else None,
                min(hi, inside) if hi is not None else inside)
    if outside == 0:
        return lo, hi
    return (0 if lo is not None else None), hi


def _item_value(expr: ItemExpr, item: Any, currency: str, share: tuple[int, int] | None,
                span: int | None) -> _Interval:
    """Interval of a per-item figure inside the window (``share``: days inside, outside)."""
    match expr:
        case ItemConst(value=c):
            return c, c
        case ItemField(field=name):
            raw = _get(item, name)
            value, _ = _scalar(raw, currency)
            if value is None:
                if isinstance(raw, Money):  # another currency: unknown, never converted
                    return None, None
                lo: _Bound = 0
                hi: _Bound = span if name in _DAILY else None
            else:
                lo, hi = value.lo, value.hi
            return _clip(name, lo, hi, share) if share is not None else (lo, hi)
        case ItemAdd(args=args):
            parts = [_item_value(a, item, currency, share, span) for a in args]
            los, his = [p[0] for p in parts], [p[1] for p in parts]
            return (None if None in los else sum(x for x in los if x is not None),
                    None if None in his else sum(x for x in his if x is not None))
        case ItemGreatest(args=args) | ItemLeast(args=args):
            # the figures an applicant reports; absent ones are skipped (A6)
            kept = [a for a in args if not isinstance(a, ItemField)
                    or _get(item, a.field) is not None]
            greatest = isinstance(expr, ItemGreatest)
            if not kept:  # nothing reported: unknown
                return 0, None
            parts = [_item_value(a, item, currency, share, span) for a in kept]
            los, his = [p[0] for p in parts], [p[1] for p in parts]
            known_lo = [x for x in los if x is not None]
            known_hi = [x for x in his if x is not None]
            if greatest:
                return (max(known_lo) if known_lo else None,
                        max(known_hi) if len(known_hi) == len(his) else None)
            return (min(known_lo) if len(known_lo) == len(los) else None,
                    min(known_hi) if known_hi else None)
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


def _leaf_fields(cond: Cond | None) -> tuple[str, ...]:
    from fundrules.runtime.walk import leaves

    return tuple(dict.fromkeys(leaf.input.field for leaf in leaves(cond)
                               if isinstance(leaf.input, ItemField)))


# --- windows --------------------------------------------------------------------------

def _calendar_days(item: Any) -> int | None:
    """The days of an engagement's contract period (``days`` never exceeds them)."""
    start, end = getattr(item, "start", None), getattr(item, "end", None)
    return end.toordinal() - start.toordinal() + 1 if start and end else None


def _worked_share(item: Any, window: tuple[int, int], path: str
                  ) -> tuple[tuple[int, int] | None, Status, list[str]]:
    """(days inside, days outside) of an engagement, whether it has any inside, missing."""
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


def _overlap(item: Any, window: tuple[int, int], path: str) -> tuple[Status, list[str]]:
    """Whether a contract period overlaps the window by a day (a start inside counts)."""
    first, last = window
    start, end = getattr(item, "start", None), getattr(item, "end", None)
    s = start.toordinal() if start is not None else None
    e = end.toordinal() if end is not None else None
    if (s is not None and first <= s <= last) or (e is not None and first <= e <= last) or (
            s is not None and e is not None and s <= last and e >= first):
        return "met", []
    if (s is not None and s > last) or (e is not None and e < first):
        return "unmet", []
    return "unknown", [f"{path}.{n}" for n, v in (("start", s), ("end", e)) if v is None]


# --- measures -------------------------------------------------------------------------

class _Measure:
    """A measure prepared once per compiled call: its filter composed, its fields listed."""

    def __init__(self, spec: MeasureSpec, currency: str) -> None:
        self.spec = spec
        self.currency = currency
        self._absent = Value(lo=0, missing=(spec.over,))  # the list is not given
        self._key_of: Callable[[Any], object] | None = None  # set for a plain-field filter
        self._missing_memo: dict[object, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._leaf_fns: dict[CLeaf, CondFn] = {}
        self._windows: dict[int, tuple[int, int]] = {}
        self.where_fields = _leaf_fields(spec.where)
        self.where: CondFn | None = (self._remembered(compile_cond(spec.where, self._item_leaf))
                                     if spec.where is not None else None)
        self.value_fields = tuple(_expr_fields(spec.value)) if spec.value is not None else ()

    def _remembered(self, where: CondFn) -> CondFn:
        """The filter, remembered per item by the values of the fields it reads.

        Only for a filter that reads nothing but plain fields of the item (its status is
        then a function of them alone); at most :data:`_MEMO` combinations are kept.
        """
        from fundrules.runtime.walk import leaves

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
                keep = len(memo) < _MEMO
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
        remembered per value (at most :data:`_MEMO` values per comparison, then computed
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
        field, currency = leaf.input.field, self.currency
        memo: dict[object, Status] = {}
        dotted = "." in field

        def read(item: Any, today: Any) -> Status:
            raw = _get(item, field) if dotted else getattr(item, field)
            try:
                return memo[raw]
            except KeyError:
                keep = len(memo) < _MEMO
            except TypeError:  # not hashable: never remembered
                keep = False
            value, _ = _scalar(raw, currency)
            result: Status = "unknown" if value is None else status(value)
            if keep:
                memo[raw] = result
            return result
        self._leaf_fns[leaf] = read
        return read

    def _filter_missing(self, item: Any, path: str, today: Value) -> tuple[list[str], list[str]]:
        """The fields that leave an item's filter unknown (worked out only when it is)."""
        assert self.spec.where is not None
        key_of = self._key_of
        if key_of is not None:  # a function of the fields' values: remembered per values
            try:
                key = key_of(item)
                found = self._missing_memo.get(key)
            except TypeError:  # a value that cannot be hashed
                key = found = None
            if found is None:
                found = self._missing_fields(item, today)
                if key is not None and len(self._missing_memo) < _MEMO:
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
            value, note = _scalar(_get(item, name), self.currency)
            if value is None and note:
                notes.append(note)

        def leaf(cond: CLeaf) -> Status:
            return self._item_leaf(cond)(item, today)
        missing = [part.input.field for part in unknown_parts(self.spec.where, leaf, {})
                   if isinstance(part, CLeaf) and isinstance(part.input, ItemField)]
        return tuple(dict.fromkeys(missing)), tuple(notes)

    def value(self, applicant: Applicant, today: Value) -> Value:
        m = self.spec
        items: Sequence[Any] | None = getattr(applicant, m.over)
        if items is None:
            return self._absent
        if not items:
            return _ZERO
        window = None
        if m.within is not None:
            window = self._window(int(today.lo or 0))
        lo: _Bound = 0
        hi: _Bound = 0
        missing: list[str] = []
        notes: list[str] = []
        where = self.where
        for i, item in enumerate(items):
            status: Status = "met" if where is None else where(item, today)
            if status == "unmet":
                continue
            path = f"{m.over}[{i}]"
            item_missing, item_notes = (self._filter_missing(item, path, today)
                                        if status == "unknown" else ([], []))
            share: tuple[int, int] | None = None
            gaps: list[str] = []
            overlap: Status = "met"
            if window is not None and m.reads == "contract_overlap":
                overlap, gaps = _overlap(item, window, path)
            elif window is not None:
                share, overlap, gaps = _worked_share(item, window, path)
            if overlap == "unmet":  # outside the window: its unknown fields cannot matter
                continue
            if overlap == "unknown":
                status = "unknown"
            missing += item_missing + gaps
            notes += item_notes
            v_lo, v_hi = self._item(item, path, share, missing)
            if status == "unknown":  # it may not count at all
                v_lo = min(0, v_lo) if v_lo is not None else None
                v_hi = max(0, v_hi) if v_hi is not None else None
            lo = None if lo is None or v_lo is None else lo + v_lo
            hi = None if hi is None or v_hi is None else hi + v_hi
        if type(lo) is int and lo == hi and not missing and not notes:
            return _exact(lo)
        return Value(lo=lo, hi=hi, missing=tuple(dict.fromkeys(missing)),
                     notes=tuple(dict.fromkeys(notes)))

    def _window(self, today: int) -> tuple[int, int]:
        """The measure's window for a submission day (remembered for :data:`_MEMO` days)."""
        found = self._windows.get(today)
        if found is None:
            assert self.spec.within is not None
            day = dt.date.fromordinal(today)
            found = (window_day(day, self.spec.within[0]), window_day(day, self.spec.within[1]))
            if len(self._windows) < _MEMO:
                self._windows[today] = found
        return found

    def _item(self, item: Any, path: str, share: tuple[int, int] | None, missing: list[str]
              ) -> _Interval:
        """One counted item's contribution (1 for a count), noting what would decide it."""
        if self.spec.aggregate == "count":
            return 1, 1
        assert self.spec.value is not None
        span = share[0] + share[1] if share is not None else _calendar_days(item)
        whole = _item_value(self.spec.value, item, self.currency, None, span)
        if whole[0] != whole[1] or whole[0] is None:  # a figure the applicant did not give
            missing += [f"{path}.{f}" for f in self.value_fields if _get(item, f) is None]
        if share is None or share[1] == 0:
            return whole
        v_lo, v_hi = _item_value(self.spec.value, item, self.currency, share, span)
        if share[0] > 0 and v_lo != v_hi:  # straddles the window: which part is inside?
            if getattr(item, "work_dates", None):  # several cachets a day: dates cannot say
                missing += [f"{path}.{f}" for f in self.value_fields if f not in _DAILY]
            else:
                missing.append(f"{path}.work_dates")
        return v_lo, v_hi


# --- the applicant's inputs -----------------------------------------------------------

def _income(applicant: Applicant, spec: IncomeInput, currency: str) -> Value:
    if applicant.income is None:
        return Value(missing=("income",), notes=(f"no income given for {spec.period}",))
    total = 0
    found = False
    for i, entry in enumerate(applicant.income):
        if entry.period != spec.period or entry.basis != spec.basis:
            continue
        found = True
        value, note = _scalar(entry.amount, currency)
        if value is None or value.lo is None:
            return Value(missing=(f"income[{i}].amount",), notes=(note,) if note else ())
        total += int(value.lo)
    if not found and applicant.income:
        return Value(missing=("income",),
                     notes=(f"no {spec.basis} income is given for period {spec.period}",))
    return Value(lo=total, hi=total)  # an empty list declares no income at all


def _plugin(applicant: Applicant, spec: PluginInput) -> Value:
    """A registered predicate's answer: True, False, or None (unknown)."""
    function = predicates()[spec.name]
    try:
        answer = function(applicant)
    except Exception as exc:  # a plugin's bug must not pass for a decision
        raise EngineError([Diagnostic(
            "engine-failure", f"plugin predicate `{spec.name}` failed: {exc!r}",
            hint="report it to the package that registers the predicate")]) from exc
    if answer is None:
        reads = tuple(getattr(function, "reads", ()))
        return Value(missing=reads, notes=(f"`{spec.name}()` could not decide",))
    if not isinstance(answer, bool):
        raise EngineError([Diagnostic(
            "engine-failure", f"plugin predicate `{spec.name}` returned {answer!r}, not "
            "True, False or None", hint="report it to the package that registers it")])
    return _TRUE if answer else _FALSE


Reader = Callable[[Applicant, Value], Value]


class InputValues(Mapping[Input, Value]):
    """An applicant's input values, held by position in the call's ``inputs``.

    Readable by input like a dict (explanations, the verifier); backends read the list
    (``by_position``) by index, which spares hashing an input per comparison.
    """

    __slots__ = ("_index", "by_position", "inputs")

    def __init__(self, inputs: tuple[Input, ...], index: Mapping[Input, int],
                 by_position: list[Value]) -> None:
        self.inputs = inputs
        self._index = index
        self.by_position = by_position

    def __getitem__(self, key: Input) -> Value:
        return self.by_position[self._index[key]]

    def __iter__(self) -> Iterator[Input]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"InputValues({dict(self)!r})"


class InputReader:
    """Reads every input of one compiled call from an applicant (prepared once per call)."""

    def __init__(self, pack: CompiledPack) -> None:
        self.pack = pack
        self.zone = zoneinfo.ZoneInfo(pack.window.tz)
        measures = {m.name: _Measure(m, pack.currency) for m in pack.measures}
        self._readers: tuple[tuple[Input, Reader], ...] = tuple(
            (spec, self._reader(spec, measures)) for spec in pack.inputs)
        self._index = {spec: i for i, spec in enumerate(pack.inputs)}
        self._fns = tuple(read for _, read in self._readers)

    def _reader(self, spec: Input, measures: Mapping[str, _Measure]) -> Reader:
        currency = self.pack.currency
        match spec:
            case FieldInput(field=name):
                def field(applicant: Applicant, today: Value) -> Value:
                    value, note = _scalar(_get(applicant, name), currency)
                    if value is None:
                        return Value(missing=(name,), notes=(note,) if note else ())
                    return value
                return field
            case SubmittedDay():
                return lambda applicant, today: today
            case SubmittedInstant():
                def instant(applicant: Applicant, today: Value) -> Value:
                    stamp = int(applicant.submitted_at.timestamp())
                    return Value(lo=stamp, hi=stamp)
                return instant
            case ContainsInput(field=name, item=wanted):
                def contains(applicant: Applicant, today: Value) -> Value:
                    items = _get(applicant, name)
                    if items is None:
                        return Value(missing=(name,))
                    assert isinstance(items, Sequence)
                    return _TRUE if wanted in items else _FALSE
                return contains
            case MeasureInput(measure=name):
                return measures[name].value
            case IncomeInput():
                income = spec
                return lambda applicant, today: _income(applicant, income, currency)
            case PluginInput():
                plugin = spec
                return lambda applicant, today: _plugin(applicant, plugin)
        assert_never(spec)

    def today(self, applicant: Applicant) -> Value:
        """``submitted_date`` as a value: the application's day in the call's time zone."""
        day = applicant.submitted_at.astimezone(self.zone).date().toordinal()
        return Value(lo=day, hi=day)

    def read(self, applicant: Applicant) -> InputValues:
        """Every input of the call for one applicant."""
        today = self.today(applicant)
        return InputValues(self.pack.inputs, self._index,
                           [read(applicant, today) for read in self._fns])
