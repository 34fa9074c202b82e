"""An applicant's field values as engine values, shared where they repeat.

Split out of :mod:`fundrules.runtime.facts` so that the measures
(:mod:`fundrules.runtime._measures`) and the applicant's own fields read values alike.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

from fundrules.policies.ir import FALSE, TRUE
from fundrules.runtime.semantics import Value
from fundrules.schema import Money

__all__ = ["FALSE_VALUE", "TRUE_VALUE", "exact", "get_path", "getter", "new_exact", "scalar",
           "symbol"]

TRUE_VALUE, FALSE_VALUE = Value(sym=TRUE), Value(sym=FALSE)
_SHARED = 1024  # exact values and symbols kept for sharing
_EXACT: dict[int, Value] = {}
_SYMBOLS: dict[str, Value] = {}
_new = object.__new__
_slot = vars(Value)  # the slots' descriptors: setting them skips the frozen __setattr__
_set_lo, _set_hi, _set_sym = _slot["lo"].__set__, _slot["hi"].__set__, _slot["sym"].__set__
_set_missing, _set_notes = _slot["missing"].__set__, _slot["notes"].__set__


def new_exact(number: int) -> Value:
    """A new exact value, set slot by slot: a third of the dataclass's cost.

    For values seldom repeated (instants, income totals); ``lo == hi``, so the check
    that an interval is not empty has nothing to refuse.
    """
    value: Value = _new(Value)
    _set_lo(value, number)
    _set_hi(value, number)
    _set_sym(value, None)
    _set_missing(value, ())
    _set_notes(value, ())
    return value


def exact(number: int) -> Value:
    """The exact value ``number`` (Values are immutable: the common ones are shared)."""
    found = _EXACT.get(number)
    if found is None:
        found = new_exact(number)
        if len(_EXACT) < _SHARED:
            _EXACT[number] = found
    return found


def symbol(text: str) -> Value:
    """The symbol ``text`` as a value (shared, for the few texts enumerations allow)."""
    found = _SYMBOLS.get(text)
    if found is None:
        found = Value(sym=text)
        if len(_SYMBOLS) < _SHARED:
            _SYMBOLS[text] = found
    return found


def scalar(value: object, currency: str) -> tuple[Value | None, str | None]:
    """A field's value as an engine value; (None, note) when it cannot be compared."""
    kind = type(value)
    if value is None:
        return None, None
    if kind is str:
        text: str = value  # type: ignore[assignment]
        found = _SYMBOLS.get(text)  # the usual case, without a call to symbol()
        return (symbol(text) if found is None else found), None
    if kind is bool:
        return (TRUE_VALUE if value else FALSE_VALUE), None
    if kind is int:
        return exact(value), None  # type: ignore[arg-type]
    if kind is dt.date:
        return exact(value.toordinal()), None  # type: ignore[attr-defined]
    if isinstance(value, Money):
        if value.currency != currency:
            return None, (f"the amount is in {value.currency} and the pack's thresholds are in "
                          f"{currency}: amounts are never converted")
        return new_exact(value.minor_units()), None
    if isinstance(value, dt.datetime):
        return new_exact(int(value.timestamp())), None
    if isinstance(value, dt.date):
        return exact(value.toordinal()), None
    if isinstance(value, int):
        return exact(int(value)), None
    return Value(sym=str(value)), None


def get_path(obj: Any, dotted: str) -> object:
    """A field of ``obj``; a dotted path stops at the first absent part (None)."""
    if "." not in dotted:
        return getattr(obj, dotted)
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def getter(field: str) -> Callable[[Any], object]:
    """``get_path`` for one field, composed once (a plain field is read in C)."""
    if "." in field:
        return lambda obj: get_path(obj, field)
    return operator.attrgetter(field)
