"""Generic raw applicant values: one strategy per field kind, list items, instants.

Shared by the generic strategy, the pack-aimed one and the Kleene helpers; the values
are JSON-like (what an applicant file holds) and become an Applicant by ``_validate``.
Strategies are cached because building one per draw would cost more than the draw.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from fundrules.policies.fields import ITEM_FIELDS, FieldInfo
from fundrules.schema import Applicant

__all__: list[str] = []

_Draw = Callable[[st.SearchStrategy[Any]], Any]
_Raw = dict[str, Any]
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



def _validate(raw: _Raw) -> Applicant:
    clean = {k: v for k, v in raw.items() if v is not None}
    try:
        return Applicant.model_validate(clean)
    except ValidationError:
        assume(False)  # a combination the generator could not keep consistent: try another
        raise  # pragma: no cover - assume(False) always raises
