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
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import assert_never

from fundrules.diagnostics import Diagnostic
from fundrules.errors import EngineError
from fundrules.policies.ir import (
    CompiledPack,
    ContainsInput,
    FieldInput,
    IncomeInput,
    Input,
    MeasureInput,
    PluginInput,
    SubmittedDay,
    SubmittedInstant,
)
from fundrules.policies.plugins import predicates
from fundrules.runtime._measures import Measure, window_day
from fundrules.runtime._values import FALSE_VALUE, TRUE_VALUE, exact, getter, new_exact, scalar
from fundrules.runtime.semantics import Value
from fundrules.schema import Applicant

__all__ = ["InputReader", "InputValues", "submitted_date", "window_day"]


def submitted_date(applicant: Applicant, tz: zoneinfo.ZoneInfo | str) -> dt.date:
    """The calendar day of the application in the fund's time zone."""
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    return applicant.submitted_at.astimezone(zone).date()


# --- the applicant's inputs -----------------------------------------------------------

def _income(spec: IncomeInput, currency: str) -> Reader:
    """The income of one period and basis, in cents; its unknown values built once."""
    no_list = Value(missing=("income",), notes=(f"no income given for {spec.period}",))
    none_such = Value(missing=("income",), notes=(
        f"no {spec.basis} income is given for period {spec.period}",))
    period, basis = spec.period, spec.basis

    def income(applicant: Applicant, today: Value, instant: int) -> Value:
        entries = applicant.income
        if entries is None:
            return no_list
        total = 0
        found = False
        for i, entry in enumerate(entries):
            if entry.period != period or entry.basis != basis:
                continue
            found = True
            if entry.amount.currency != currency:  # amounts are never converted
                _, note = scalar(entry.amount, currency)
                assert note is not None
                return Value(missing=(f"income[{i}].amount",), notes=(note,))
            total += entry.amount.minor_units()
        if not found and entries:
            return none_such
        return new_exact(total)  # an empty list declares no income at all
    return income


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
    return TRUE_VALUE if answer else FALSE_VALUE


_NO_DAY = Value()  # given to readers when no input of the call reads the day

#: ``read(applicant, today, instant)``: the submission's day and instant are worked out
#: once per applicant, for every input that reads them
Reader = Callable[[Applicant, Value, int], Value]


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


def _field(name: str, currency: str) -> Reader:
    get = getter(name)
    absent = Value(missing=(name,))  # the usual unknown, built once

    def field(applicant: Applicant, today: Value, instant: int) -> Value:
        value, note = scalar(get(applicant), currency)
        if value is None:
            return Value(missing=(name,), notes=(note,)) if note else absent
        return value
    return field


def _contains(name: str, wanted: str) -> Reader:
    get = getter(name)
    absent = Value(missing=(name,))

    def contains(applicant: Applicant, today: Value, instant: int) -> Value:
        items = get(applicant)
        if items is None:
            return absent
        assert isinstance(items, Sequence)
        return TRUE_VALUE if wanted in items else FALSE_VALUE
    return contains


class InputReader:
    """Reads every input of one compiled call from an applicant (prepared once per call)."""

    def __init__(self, pack: CompiledPack) -> None:
        self.pack = pack
        self.zone = zoneinfo.ZoneInfo(pack.window.tz)
        measures = {m.name: Measure(m, pack.currency) for m in pack.measures}
        self._readers: tuple[tuple[Input, Reader], ...] = tuple(
            (spec, self._reader(spec, measures)) for spec in pack.inputs)
        self._index = {spec: i for i, spec in enumerate(pack.inputs)}
        self._fns = tuple(read for _, read in self._readers)
        used = {spec.measure for spec in pack.inputs if isinstance(spec, MeasureInput)}
        #: whether an input reads the submission day (else it is not worked out)
        self._reads_day = any(isinstance(spec, SubmittedDay) for spec in pack.inputs) or any(
            measures[name].reads_day for name in used)

    def _reader(self, spec: Input, measures: Mapping[str, Measure]) -> Reader:
        currency = self.pack.currency
        match spec:
            case FieldInput(field=name):
                return _field(name, currency)
            case SubmittedDay():
                return lambda applicant, today, instant: today
            case SubmittedInstant():
                return lambda applicant, today, instant: new_exact(instant)
            case ContainsInput(field=name, item=wanted):
                return _contains(name, wanted)
            case MeasureInput(measure=name):
                return measures[name].value
            case IncomeInput():
                return _income(spec, currency)
            case PluginInput():
                plugin = spec
                return lambda applicant, today, instant: _plugin(applicant, plugin)
        assert_never(spec)

    def today(self, applicant: Applicant) -> Value:
        """``submitted_date`` as a value: the application's day in the call's time zone."""
        return exact(applicant.submitted_at.astimezone(self.zone).date().toordinal())

    def read(self, applicant: Applicant) -> InputValues:
        """Every input of the call for one applicant."""
        at = applicant.submitted_at
        instant = int(at.timestamp())
        today = (exact(at.astimezone(self.zone).date().toordinal()) if self._reads_day
                 else _NO_DAY)
        return InputValues(self.pack.inputs, self._index,
                           [read(applicant, today, instant) for read in self._fns])
