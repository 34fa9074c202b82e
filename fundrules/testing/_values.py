"""Generic raw applicant values: one strategy per field kind, list items, instants.

Shared by the generic strategy, the pack-aimed one and the Kleene helpers; the values
are JSON-like (what an applicant file holds) and become an Applicant by ``validate``.
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

Draw = Callable[[st.SearchStrategy[Any]], Any]
Raw = dict[str, Any]
LISTS = ("engagements", "benefits", "income", "prior_awards")
COUNTRIES = ("FR", "GB", "IT", "ES", "DE", "PT", "US")
CURRENCIES = ("EUR", "GBP", "USD")
PERIODS = ("2019", "2020", "2018", "2019-20", "2020-21")
_OFFSETS = tuple(dt.timezone(dt.timedelta(minutes=m)) for m in (0, 60, 120, -300, 330, 840, -720))
_ZONES = ("Europe/Paris", "Europe/London", "Europe/Madrid", "America/New_York")
DAY0 = dt.date(2018, 6, 1).toordinal()
DAY1 = dt.date(2021, 6, 30).toordinal()
T0 = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp())
T1 = int(dt.datetime(2021, 3, 1, tzinfo=dt.UTC).timestamp())
REQUIRED = frozenset({"scheme", "period", "amount", "basis", "fund"})
TOP_SKIP = frozenset({"id", "submitted_at", "call", "submitted_date", *LISTS})


# --- cached strategies: building a strategy per draw would cost more than the draw -------

@functools.lru_cache(maxsize=4096)
def ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def pick_from(options: Iterable[Any]) -> st.SearchStrategy[Any]:
    items = tuple(options)
    try:
        return _picks(items)
    except TypeError:  # unhashable options (lists of items): not cached
        return st.sampled_from(items)


@functools.lru_cache(maxsize=4096)
def _picks(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


BOOL = st.booleans()


# --- generic values, one per field kind ------------------------------------------------------

def money_strategy(cents: st.SearchStrategy[int], currency: st.SearchStrategy[str]
           ) -> st.SearchStrategy[Raw]:
    return st.builds(lambda c, cur: {"value": str(Decimal(c).scaleb(-2)), "currency": cur},
                     cents, currency)


ANY_MONEY = money_strategy(ints(0, 5_000_000), pick_from(CURRENCIES))
_ANY_DATE = ints(DAY0, DAY1).map(lambda o: dt.date.fromordinal(o).isoformat())


def scalar(info: FieldInfo) -> st.SearchStrategy[Any]:
    """A valid raw (JSON-like) value for one field, never None."""
    if info.kind == "symbol":
        return pick_from(info.values)
    if info.kind == "bool":
        return BOOL
    if info.kind == "number":
        return ints(0, 400)
    if info.kind == "date":
        return _ANY_DATE
    if info.kind == "money":
        return ANY_MONEY
    if info.kind == "list":
        return st.lists(pick_from(COUNTRIES), max_size=3, unique=True)
    if info.name in ("residence_country",):
        return pick_from(COUNTRIES)
    return pick_from(("Série A", "Film B", "Docu C", "fr-netflix-audiens",
                            "it-ifc-netflix", "es-academia-netflix", "uk-film-tv-charity"))


def maybe(draw: Draw, value: st.SearchStrategy[Any], absent: int = 4) -> Any:
    """The value, or None about once in ``absent`` draws (never when ``absent`` is 0)."""
    if absent and draw(ints(0, absent - 1)) == 0:
        return None
    return draw(value)


def put(raw: Raw, dotted: str, value: Any) -> None:
    head, _, rest = dotted.partition(".")
    if rest:
        inner = raw.get(head)
        if value is None and inner is None:
            return
        raw[head] = inner = dict(inner or {})
        put(inner, rest, value)
    elif value is not None:
        raw[head] = value
    else:
        raw.pop(head, None)


def generic_item(draw: Draw, over: str, absent: int = 3,
                  only: frozenset[str] | None = None) -> Raw:
    """A random item of a list; ``only`` limits optional fields to those a pack reads."""
    item: Raw = {}
    for name, info in ITEM_FIELDS[over].items():
        if name in ("work_dates", "start", "end", "days") or (only is not None and name not in only
                                                               and name not in REQUIRED):
            continue
        required = over != "engagements" and name in ("scheme", "period", "amount", "basis", "fund")
        if over == "prior_awards" and name == "amount":
            required = False
        value = draw(scalar(info)) if required else maybe(draw, scalar(info), absent)
        put(item, name, value)
    if over == "engagements":
        place(draw, item, None, maybe(draw, ints(0, 40), absent),
               draw(pick_from(("random", "straddle"))))
        if absent and draw(ints(0, absent)) == 0:  # a date left unknown
            item.pop(draw(pick_from(("start", "end"))))
    if over == "benefits" and item.get("rights_opened") and item.get("rights_ended") \
            and item["rights_opened"] > item["rights_ended"]:
        item["rights_opened"], item["rights_ended"] = item["rights_ended"], item["rights_opened"]
    if over == "income":
        item["period"] = draw(pick_from(PERIODS))
    return item


def place(draw: Draw, item: Raw, window: tuple[int, int] | None, days: int | None,
           mode: str, room: int = 0) -> None:
    """Give an engagement dates (and ``work_dates``) relative to a day window.

    ``mode``: ``inside`` (exact), ``straddle`` (across a bound, with ``work_dates``: exact),
    ``blur`` (across a bound without them: an interval), ``outside``, or ``random``.
    """
    need = max(days or 0, room, 1)
    first, last = window or (draw(ints(DAY0, DAY1 - 200)), 0)
    if window is None:
        last = first + need - 1 + draw(ints(0, 120))
    width = last - first + 1
    if mode == "inside" or (mode in ("straddle", "blur") and width < 1):
        need = min(need, width)
        length = need + draw(ints(0, max(0, min(40, width - need))))
        edge = draw(pick_from(("first", "last", "any")))
        start = first if edge == "first" else last - length + 1 if edge == "last" else \
            draw(ints(first, last - length + 1))
        end, inside, outside = start + length - 1, min(days or 0, length), 0
    elif mode in ("straddle", "blur"):
        outside_cap = draw(ints(1, 30))
        least = min(width, need)
        inside_cap = draw(ints(least, max(least, min(width, 40))))
        if draw(BOOL):  # across the first day of the window
            start, end = first - outside_cap, first + inside_cap - 1
        else:
            start, end = last - inside_cap + 1, last + outside_cap
        inside = min(days or 0, inside_cap)
        outside = min((days or 0) - inside, outside_cap)
        days = None if days is None else inside + outside
    else:
        span = need + draw(ints(0, 20))
        gap = draw(ints(1, 30))
        start = first - gap - span + 1 if mode == "outside" and draw(BOOL) else (
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

def instant_text(draw: Draw, stamp: int, tz: str | None) -> str:
    zones: list[dt.tzinfo] = [*_OFFSETS, *(zoneinfo.ZoneInfo(z) for z in _ZONES)]
    if tz:
        zones.insert(0, zoneinfo.ZoneInfo(tz))
    moment = dt.datetime.fromtimestamp(stamp, draw(pick_from(zones)))
    return moment.isoformat()


@functools.lru_cache(maxsize=32)
def dst_changes(tz: str, first: int, last: int) -> tuple[int, ...]:
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



def validate(raw: Raw) -> Applicant:
    clean = {k: v for k, v in raw.items() if v is not None}
    try:
        return Applicant.model_validate(clean)
    except ValidationError:
        assume(False)  # a combination the generator could not keep consistent: try another
        raise  # pragma: no cover - assume(False) always raises
