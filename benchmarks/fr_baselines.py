"""Three hand-written baselines for the French criteria, with no fundrules code on their path.

Each takes the plain applicant document (JSON types, ISO date strings) and returns
``{"outcome": "eligible" | "ineligible", "award": 900 | 500 | None}`` for FR-C1..C4, the
non-renewable rule, the call window and the 900/500 tier (shared/funds/fr-netflix-audiens.md):

- :class:`RawDurableFR`: the aggregates a rules engine cannot compute (sums over lists) are
  done in Python, then one fact is asserted into a durable_rules ruleset written by hand (3
  derived facts, forward chaining), on a host without timer threads, state deleted each time;
- :class:`ZenFR`: one GoRules JSON decision graph (zen-engine) doing everything, lists included;
- :func:`plain_fr`: a plain Python function.

They are two-valued (absent means false or zero) and build no explanation: the work they
skip (Kleene intervals, reasons, messages, a pydantic Decision) is part of what the ratios
in docs/performance.md measure.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from typing import Any

__all__ = ["RawDurableFR", "ZenFR", "flatten_fr", "plain_fr"]

_FROM, _TO = dt.date(2019, 9, 1), dt.date(2020, 2, 29)
_SECTORS = frozenset(("audiovisual_production", "film_production", "animation_production"))
_CONTRACTS = frozenset(("cdd", "cddu"))
_ANNEX = frozenset(("fr-annexe-8", "fr-annexe-10"))
_OPENS = dt.datetime(2020, 4, 14, 22, 0, tzinfo=dt.UTC)  # 2020-04-15T00:00 Europe/Paris
_PACK = "fr-netflix-audiens"
_CEILING_CENTS = 1_500_000


def _units(e: dict[str, Any]) -> int:
    """Days or cachets inside the window (the lower bound when an engagement straddles it)."""
    work_dates = e.get("work_dates")
    if work_dates is not None:
        return sum(1 for d in work_dates if _FROM <= dt.date.fromisoformat(d) <= _TO)
    if e.get("start") is None or e.get("end") is None:
        return 0
    start, end = dt.date.fromisoformat(e["start"]), dt.date.fromisoformat(e["end"])
    outside = max(0, (_FROM - start).days) + max(0, (end - _TO).days)
    return max(0, max(e.get("days") or 0, e.get("cachets") or 0) - outside)


def _cents(value: str | int) -> int:
    whole, _, frac = str(value).partition(".")
    sign = -1 if whole.startswith("-") else 1
    return int(whole) * 100 + sign * int((frac + "00")[:2])


def flatten_fr(doc: dict[str, Any]) -> dict[str, Any]:
    """The applicant as the flat values the rules test (what an integrator writes by hand)."""
    benefits = [b for b in doc.get("benefits") or () if b.get("scheme") in _ANNEX]
    income = [_cents(i["amount"]["value"]) for i in doc.get("income") or ()
              if i.get("period") == "2019" and i.get("basis") == "gross"
              and i["amount"].get("currency") == "EUR"]
    submitted = dt.datetime.fromisoformat(doc["submitted_at"])
    return {
        "status": doc.get("status") or "",
        "hardship": doc.get("covid_hardship") is True,
        "receiving": sum(1 for b in benefits if b.get("receiving") is True),
        "lost": sum(1 for b in benefits if (b.get("rights_ended") or "") >= "2020-01-01"),
        "opened": sum(1 for b in benefits
                      if "2019-01-01" <= (b.get("rights_opened") or "") <= "2019-12-31"),
        "units": sum(_units(e) for e in doc.get("engagements") or ()
                     if e.get("sector") in _SECTORS and e.get("contract") in _CONTRACTS),
        "prior": sum(1 for p in doc.get("prior_awards") or () if p.get("fund") == _PACK),
        "income": sum(income) if income else -1,
        "open": submitted >= _OPENS,
    }


def plain_fr(doc: dict[str, Any]) -> dict[str, Any]:
    """The whole decision as one Python function."""
    f = flatten_fr(doc)
    eligible = (f["open"] and f["status"] == "intermittent" and f["receiving"] == 0
                and (f["lost"] >= 1 or f["opened"] == 0) and f["units"] >= 12
                and f["hardship"] and f["prior"] == 0)
    if not eligible:
        return {"outcome": "ineligible", "award": None}
    return {"outcome": "eligible", "award": 900 if 0 <= f["income"] <= _CEILING_CENTS else 500}


# --- durable_rules, written the way its README does it (dict form, Python actions) ---

def _quiet_host() -> Any:
    from durable import engine

    class QuietHost(engine.Host):  # type: ignore[misc]
        """No timer threads (shared/notes/durable-rules.md, pitfall 5)."""

        def _run(self) -> None:
            return None

    return QuietHost()


class RawDurableFR:
    """A hand-written durable_rules ruleset: 3 derived facts, forward chaining, one state each."""

    def __init__(self) -> None:
        self._host = _quiet_host()
        self._result: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._n = 0
        a = {"t": "applicant"}
        rules: dict[str, Any] = {
            # always fires: pitfall 2 (delete_state crashes when no action ran)
            "seen": {"all": [{"m": a}], "pri": 0, "run": self._seen},
            "out_of_benefits": {"all": [{"m": {"$and": [a, {"receiving": 0}, {"$or": [
                {"$gte": {"lost": 1}}, {"opened": 0}]}]}}], "pri": 1,
                "run": self._derive("out_of_benefits")},
            "minimum_activity": {"all": [{"m": {"$and": [a, {"$gte": {"units": 12}}]}}],
                                 "pri": 1, "run": self._derive("minimum_activity")},
            "eligible": {"all": [
                {"a": {"$and": [a, {"status": "intermittent"}, {"hardship": True},
                                {"prior": 0}, {"open": True}]}},
                {"o": {"t": "out_of_benefits"}}, {"m": {"t": "minimum_activity"}}],
                "pri": 2, "run": self._derive("eligible")},
            "tier_900": {"all": [{"e": {"t": "eligible"}}, {"a": {"$and": [
                a, {"$gte": {"income": 0}}, {"$lte": {"income": _CEILING_CENTS}}]}}],
                "pri": 3, "run": self._award(900)},
            "tier_500": {"all": [{"e": {"t": "eligible"}}, {"a": {"$and": [a, {"$or": [
                {"$lt": {"income": 0}}, {"$gt": {"income": _CEILING_CENTS}}]}]}}],
                "pri": 3, "run": self._award(500)},
        }
        self._host.register_rulesets({"raw_fr": rules})

    def _seen(self, c: Any) -> None:
        self._result["seen"] = True

    def _derive(self, name: str) -> Any:
        def act(c: Any) -> None:
            if name == "eligible":
                self._result["outcome"] = "eligible"
            c.assert_fact({"t": name})
        return act

    def _award(self, amount: int) -> Any:
        def act(c: Any) -> None:
            self._result["award"] = amount
        return act

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Assert the flattened applicant, let the rules chain, delete the state."""
        fact = flatten_fr(doc)
        with self._lock:
            self._n += 1
            sid = str(self._n % 64)  # never two live states on one sid
            fact["t"], fact["sid"] = "applicant", sid
            self._result = {"outcome": "ineligible", "award": None}
            try:
                self._host.assert_fact("raw_fr", fact)
            finally:
                self._host.delete_state("raw_fr", sid)
            return {"outcome": self._result["outcome"], "award": self._result["award"]}


# --- zen-engine: one JSON decision graph (JDM) ---

_IN_WINDOW = "d(#) >= d('2019-09-01') and d(#) <= d('2020-02-29')"
_UNITS = ("#.work_dates != null ? count(#.work_dates, " + _IN_WINDOW + ") : "
          "(#.start == null or #.end == null) ? 0 : "
          "max([0, max([#.days ?? 0, #.cachets ?? 0]) "
          "- max([0, d('2019-09-01').diff(d(#.start), 'day')]) "
          "- max([0, d(#.end).diff(d('2020-02-29'), 'day')])])")
_ANNEX_Q = "#.scheme in ['fr-annexe-8', 'fr-annexe-10']"
_MEASURES = {
    "open": "d(submitted_at) >= d('2020-04-14T22:00:00Z')",
    "status": "status ?? ''",
    "hardship": "covid_hardship == true",
    "receiving": f"count(benefits ?? [], {_ANNEX_Q} and #.receiving == true)",
    "lost": f"count(benefits ?? [], {_ANNEX_Q} and #.rights_ended != null "
            "and d(#.rights_ended) >= d('2020-01-01'))",
    "opened": f"count(benefits ?? [], {_ANNEX_Q} and #.rights_opened != null "
              "and d(#.rights_opened) >= d('2019-01-01') "
              "and d(#.rights_opened) <= d('2019-12-31'))",
    "units": "sum(map(filter(engagements ?? [], #.sector in ['audiovisual_production', "
             "'film_production', 'animation_production'] and #.contract in ['cdd', 'cddu']), "
             + _UNITS + "))",
    "prior": "count(prior_awards ?? [], #.fund == 'fr-netflix-audiens')",
    "incomes": "map(filter(income ?? [], #.period == '2019' and #.basis == 'gross' "
               "and #.amount.currency == 'EUR'), number(#.amount.value))",
}
_CRITERIA = {
    "out_of_benefits": "receiving == 0 and (lost >= 1 or opened == 0)",
    "minimum_activity": "units >= 12",
    "eligible": "open and status == 'intermittent' and hardship and prior == 0",
    "income": "len(incomes) > 0 ? sum(incomes) : -1",
}


def _node(node_id: str, kind: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": kind, "name": node_id,
                            "position": {"x": 0, "y": 0}}
    if content is not None:
        node["content"] = content
    return node


def _expressions(exprs: dict[str, str]) -> dict[str, Any]:
    return {"expressions": [{"id": k, "key": k, "value": v} for k, v in exprs.items()]}


def fr_graph() -> dict[str, Any]:
    """The JDM graph: input -> measures -> criteria -> award table -> output."""
    table = {
        "hitPolicy": "first",
        "inputs": [{"id": "e", "name": "eligible", "field": "eligible"},
                   {"id": "o", "name": "out", "field": "out_of_benefits"},
                   {"id": "m", "name": "activity", "field": "minimum_activity"},
                   {"id": "i", "name": "income", "field": "income"}],
        "outputs": [{"id": "r", "name": "outcome", "field": "outcome"},
                    {"id": "a", "name": "award", "field": "award"}],
        "rules": [
            {"_id": "900", "e": "true", "o": "true", "m": "true", "i": "$ >= 0 and $ <= 15000",
             "r": "'eligible'", "a": "900"},
            {"_id": "500", "e": "true", "o": "true", "m": "true", "i": "",
             "r": "'eligible'", "a": "500"},
            {"_id": "no", "e": "", "o": "", "m": "", "i": "", "r": "'ineligible'", "a": "null"},
        ],
    }
    nodes = [_node("in", "inputNode"), _node("measures", "expressionNode", _expressions(_MEASURES)),
             _node("criteria", "expressionNode", _expressions(_CRITERIA)),
             _node("award", "decisionTableNode", table), _node("out", "outputNode")]
    order = ["in", "measures", "criteria", "award", "out"]
    edges = [{"id": f"e{i}", "sourceId": s, "targetId": t, "type": "edge"}
             for i, (s, t) in enumerate(itertools.pairwise(order))]
    return {"nodes": nodes, "edges": edges}


class ZenFR:
    """The French criteria as a GoRules JSON decision graph run by zen-engine."""

    def __init__(self) -> None:
        import zen

        self._decision = zen.ZenEngine().create_decision(json.dumps(fr_graph()))

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Evaluate the graph on the plain document."""
        out = self._decision.evaluate(doc)["result"]
        award = out.get("award")
        return {"outcome": out["outcome"], "award": None if award is None else int(award)}
