"""Kleene helpers: which facts an applicant leaves unknown, and filling one of them in.

A Kleene property says that supplying a missing fact never changes a decided status;
``absent_paths`` lists the candidates and ``filled`` supplies one. See docs/testing.md.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import BaseModel

from fundrules.policies.fields import APPLICANT_FIELDS, ITEM_FIELDS, FieldInfo
from fundrules.policies.ir import ContainsInput, FieldInput, IncomeInput, MeasureInput
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Money, Needs
from fundrules.testing._realise import income_entries
from fundrules.testing._targets import Ref, measure_fields, resolve_pack
from fundrules.testing._values import (
    DAY0,
    DAY1,
    LISTS,
    Draw,
    Raw,
    generic_item,
    ints,
    money_strategy,
    pick_from,
    scalar,
    validate,
)

__all__ = ["absent_paths", "filled"]


def absent_paths(applicant: Applicant, pack: Pack | str | None = None) -> list[str]:
    """Field paths the applicant leaves absent (unknown), e.g. ``engagements[0].sector``.

    With a pack, only the fields that pack reads. ``call`` is never listed: an absent
    call is chosen by ``submitted_at``, not unknown.
    """
    out: list[str] = []
    reads = _pack_reads(resolve_pack(pack)) if pack is not None else None

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
            if isinstance(spec, FieldInput | ContainsInput):
                names.add(spec.field)
            elif isinstance(spec, IncomeInput):
                names.update(("income", "income.amount"))
            elif isinstance(spec, MeasureInput):
                m = next(x for x in compiled.measures if x.name == spec.measure)
                names.add(m.over)
                names.update(f"{m.over}.{f}" for f in measure_fields(m))
                if m.within is not None:
                    names.update(f"{m.over}.{f}" for f in ("start", "end", "work_dates", "days"))
    return frozenset(names)


_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def _locate(raw: Raw, path: str) -> tuple[Any, str, str | None]:
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
def _filled(draw: Draw, applicant: Applicant, path: str, ref: Ref | None) -> Applicant:
    pack = ref.pack if ref is not None else None
    raw = applicant.model_dump(mode="json", exclude_none=True)
    container, name, over = _locate(raw, path)
    m = _STEP.fullmatch(name)
    assert m is not None, path
    name = m[1]
    currency = next(iter(pack.calls.values())).currency if pack else "EUR"
    current = container.get(name)
    if over is None and name in LISTS:
        if name == "income" and current and pack is not None:
            specs = [s for c in pack.calls.values() for s in c.inputs
                     if isinstance(s, IncomeInput)]
            spec = draw(pick_from(specs)) if specs else None
            if spec is not None:
                container[name] = [*current, *income_entries(
                    draw, spec.period, spec.basis, draw(ints(0, 3_000_000)),
                    currency)]
                return validate(raw)
        items = draw(st.lists(st.just(0), max_size=3))
        container[name] = [generic_item(draw, name) for _ in items]
    elif name == "amount" and over == "income" and current is not None:
        container[name] = {"value": current["value"], "currency": currency}
    elif over == "engagements" and name in ("start", "end", "work_dates", "days"):
        _fill_dates(draw, container, name)
    elif over is None and name == "needs":
        container[name] = {k: draw(money_strategy(ints(0, 900_000), st.just(currency)))
                           for k in Needs.model_fields}
    else:
        info = (ITEM_FIELDS[over] if over else APPLICANT_FIELDS).get(_dotted(path)) \
            or _guess(path)
        if info.kind == "money":
            value = draw(money_strategy(ints(0, 5_000_000), st.just(currency)))
        elif info.name == "stop":
            value = {"cause": draw(pick_from(("covid", "other")))}
        else:
            value = draw(scalar(info))
        container[name] = value
    return validate(raw)


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


def _fill_dates(draw: Draw, item: Raw, name: str) -> None:
    start = dt.date.fromisoformat(item["start"]).toordinal() if "start" in item else None
    end = dt.date.fromisoformat(item["end"]).toordinal() if "end" in item else None
    dates = [dt.date.fromisoformat(d).toordinal() for d in item.get("work_dates", ())]
    days = item.get("days")
    need = max(days or 0, len(dates), 1)
    if name == "start":
        limit = DAY1 if end is None else end - need + 1
        limit = min([limit, *dates])
        item["start"] = dt.date.fromordinal(limit - draw(ints(0, 60))).isoformat()
    elif name == "end":
        bottom = start + need - 1 if start is not None else DAY0
        bottom = max([bottom, *dates])
        item["end"] = dt.date.fromordinal(bottom + draw(ints(0, 60))).isoformat()
    elif name == "days":
        calendar = end - start + 1 if start is not None and end is not None else 400
        item["days"] = len(dates) if dates else draw(ints(0, min(calendar, 400)))
    else:
        lo = start if start is not None else (end or DAY0 + 300) - 60
        hi = end if end is not None else lo + 60
        k = days if days is not None else draw(ints(0, min(10, hi - lo + 1)))
        assume(k <= hi - lo + 1)
        picked = draw(st.lists(ints(lo, hi), min_size=k, max_size=k, unique=True))
        item["work_dates"] = [dt.date.fromordinal(o).isoformat() for o in sorted(picked)]


def filled(applicant: Applicant, path: str, pack: Pack | str | None = None
           ) -> st.SearchStrategy[Applicant]:
    """Applicants equal to ``applicant`` except that ``path`` gets a value.

    ``path`` is an absent field (see :func:`absent_paths`) or a path a Decision lists
    in ``missing``: ``income`` with a list that lacks the period a pack reads gets an
    entry for it; an amount in another currency gets one in the pack's currency.
    """
    return _filled(applicant, path, Ref(resolve_pack(pack)) if pack is not None else None)
