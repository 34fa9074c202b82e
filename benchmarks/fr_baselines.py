"""Hand-written baselines for the French criteria, with no fundrules code on their path.

Each takes the plain applicant document (JSON types, ISO date strings) and returns
``{"outcome": "eligible" | "ineligible", "award": 900 | 500 | None}`` for FR-C1..C4, the
non-renewable rule, the call window and the 900/500 tier (shared/funds/fr-netflix-audiens.md).
They are two-valued (absent means false or zero) and explain nothing; the three-valued
floor, which does, is :mod:`fr_kleene`, and the OpenFisca one :mod:`fr_openfisca`.

- :func:`plain_fr`: one plain Python function;
- :class:`ZenFastFR`: a GoRules JSON decision graph doing everything, lists included,
  run through zen-engine's documented fast path ``ZenEngine(loader).evaluate(key, ctx)``;
- :class:`ZenTableFR`: the aggregates done in Python (:func:`flatten_fr`), zen-engine
  reading them through one decision table (same fast path);
- :class:`ZenDecisionFR`: the first graph through ``ZenDecision.evaluate``, which in
  zen-engine 2.1.3 starts two threads and an epoll per call: kept, labelled, to show it;
- :class:`RawCoreFR`: a hand-written durable_rules ruleset (chained conclusions: out of
  benefits, minimum activity, eligible, then the tier) driven through durable's C core
  (``durable_rules_engine``) the way fundrules' durable backend drives it;
- :class:`RawHostFR`: the same ruleset through durable's Python ``Host`` (its ``Closure``
  per action, JSON round trips of the state): kept, labelled, as durable's README runs it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["RawCoreFR", "RawHostFR", "ZenDecisionFR", "ZenFastFR", "ZenTableFR", "flatten_fr",
           "fr_graph", "plain_fr", "table_graph"]

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


# --- durable_rules: one hand-written ruleset, chained conclusions ---

_A = {"t": "applicant"}
#: the ruleset in durable_rules' JSON form (what ``durable.lang`` would produce), no actions
FR_RULESET: dict[str, Any] = {
    # always fires: durable_rules' delete_state crashes on a state no action touched
    "seen": {"all": [{"m": _A}], "pri": 0},
    "out_of_benefits": {"all": [{"m": {"$and": [_A, {"receiving": 0}, {"$or": [
        {"$gte": {"lost": 1}}, {"opened": 0}]}]}}], "pri": 1},
    "minimum_activity": {"all": [{"m": {"$and": [_A, {"$gte": {"units": 12}}]}}], "pri": 1},
    "eligible": {"all": [
        {"a": {"$and": [_A, {"status": "intermittent"}, {"hardship": True}, {"prior": 0},
                        {"open": True}]}},
        {"o": {"t": "out_of_benefits"}}, {"m": {"t": "minimum_activity"}}], "pri": 2},
    "tier_900": {"all": [{"e": {"t": "eligible"}}, {"a": {"$and": [
        _A, {"$gte": {"income": 0}}, {"$lte": {"income": _CEILING_CENTS}}]}}], "pri": 3},
    "tier_500": {"all": [{"e": {"t": "eligible"}}, {"a": {"$and": [_A, {"$or": [
        {"$lt": {"income": 0}}, {"$gt": {"income": _CEILING_CENTS}}]}]}}], "pri": 3},
}
_DERIVED = ("out_of_benefits", "minimum_activity", "eligible")
_AWARDS = {"tier_900": 900, "tier_500": 500}
_names = itertools.count()


class RawCoreFR:
    """The ruleset on durable_rules' C core: assert, run the agenda, delete the state.

    Each derived fact is asserted from inside the action that concludes it (as
    ``c.assert_fact`` does in durable's host), so the rules reading it match next.
    """

    def __init__(self) -> None:
        import durable_rules_engine as core

        self._core = core
        name = f"raw_fr_core_{next(_names)}"
        self._handle = core.create_ruleset(name, json.dumps(FR_RULESET))
        self._lock = threading.Lock()
        self._derived = {d: json.dumps({"t": d, "sid": "0"}) for d in _DERIVED}

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Assert the flattened applicant, let the rules chain, delete the state."""
        core, handle = self._core, self._handle
        fact = flatten_fr(doc)
        fact["t"], fact["sid"] = "applicant", "0"
        outcome, award = "ineligible", None
        with self._lock:
            try:
                state = core.assert_fact(handle, json.dumps(fact))[1]
                started = core.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    rule = message[2:message.index('"', 2)]  # '{"<rule>":{...}}'
                    if rule in self._derived:
                        if rule == "eligible":
                            outcome = "eligible"
                        core.assert_fact(handle, self._derived[rule])
                    elif rule in _AWARDS:
                        award = _AWARDS[rule]
                    message = core.complete_and_start_action(handle, state)
            finally:
                core.delete_state(handle, "0")
        return {"outcome": outcome, "award": award}


class RawHostFR:
    """The same ruleset through durable's Python host (its README's way), no timer threads."""

    def __init__(self) -> None:
        from durable import engine

        class QuietHost(engine.Host):  # type: ignore[misc]
            def _run(self) -> None:  # no timer threads
                return None

        self._host = QuietHost()
        self._result: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._n = 0
        self._name = f"raw_fr_host_{next(_names)}"
        rules = json.loads(json.dumps(FR_RULESET))
        for rule, body in rules.items():
            body["run"] = self._action(rule)
        self._host.register_rulesets({self._name: rules})

    def _action(self, rule: str) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            if rule in _DERIVED:
                if rule == "eligible":
                    self._result["outcome"] = "eligible"
                c.assert_fact({"t": rule})
            elif rule in _AWARDS:
                self._result["award"] = _AWARDS[rule]
        return act

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Assert the flattened applicant through the host, delete the state."""
        fact = flatten_fr(doc)
        with self._lock:
            self._n += 1
            sid = str(self._n % 64)
            fact["t"], fact["sid"] = "applicant", sid
            self._result = {"outcome": "ineligible", "award": None}
            try:
                self._host.assert_fact(self._name, fact)
            finally:
                self._host.delete_state(self._name, sid)
            return dict(self._result)


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


def table_graph() -> dict[str, Any]:
    """Input -> one decision table over the flat values of :func:`flatten_fr` -> output."""
    inputs = [("open", "open"), ("status", "status"), ("receiving", "receiving"),
              ("lost", "lost"), ("opened", "opened"), ("units", "units"),
              ("hardship", "hardship"), ("prior", "prior"), ("income", "income")]
    common = {"open": "true", "status": "'intermittent'", "receiving": "0", "units": ">= 12",
              "hardship": "true", "prior": "0"}
    rules = []
    for rid, benefit in (("lost", {"lost": ">= 1"}), ("opened", {"opened": "0"})):
        for tier, income, amount in (("900", "[0..1500000]", "900"), ("500", "", "500")):
            rules.append({"_id": f"{rid}-{tier}", **common, **benefit, "income": income,
                          "outcome": "'eligible'", "award": amount})
    rules.append({"_id": "no", "outcome": "'ineligible'", "award": "null"})
    table = {
        "hitPolicy": "first",
        "inputs": [{"id": k, "name": k, "field": f} for k, f in inputs],
        "outputs": [{"id": "outcome", "name": "outcome", "field": "outcome"},
                    {"id": "award", "name": "award", "field": "award"}],
        "rules": [{k: r.get(k, "") for k in ["_id", *(i for i, _ in inputs),
                                             "outcome", "award"]} for r in rules],
    }
    nodes = [_node("in", "inputNode"), _node("table", "decisionTableNode", table),
             _node("out", "outputNode")]
    edges = [{"id": "e0", "sourceId": "in", "targetId": "table", "type": "edge"},
             {"id": "e1", "sourceId": "table", "targetId": "out", "type": "edge"}]
    return {"nodes": nodes, "edges": edges}


def _answer(out: dict[str, Any]) -> dict[str, Any]:
    award = out.get("award")
    return {"outcome": out["outcome"], "award": None if award is None else int(award)}


class ZenFastFR:
    """The whole graph through ``ZenEngine(loader=...).evaluate(key, ctx)``: no thread per call."""

    KEY = "fr-netflix-audiens.json"

    def __init__(self) -> None:
        import zen

        graphs = {self.KEY: json.dumps(fr_graph())}
        self._engine = zen.ZenEngine({"loader": graphs.__getitem__})

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Evaluate the graph on the plain document."""
        return _answer(self._engine.evaluate(self.KEY, doc)["result"])


class ZenTableFR:
    """Aggregates in Python, then one zen decision table (fast path)."""

    KEY = "fr-table.json"

    def __init__(self) -> None:
        import zen

        graphs = {self.KEY: json.dumps(table_graph())}
        self._engine = zen.ZenEngine({"loader": graphs.__getitem__})

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Flatten the document, evaluate the table."""
        return _answer(self._engine.evaluate(self.KEY, flatten_fr(doc))["result"])


class ZenDecisionFR:
    """The whole graph through ``ZenDecision.evaluate``: two threads and an epoll per call."""

    def __init__(self) -> None:
        import zen

        self._decision = zen.ZenEngine().create_decision(json.dumps(fr_graph()))

    def decide(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Evaluate the graph on the plain document."""
        return _answer(self._decision.evaluate(doc)["result"])
