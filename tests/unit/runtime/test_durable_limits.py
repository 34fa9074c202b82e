"""The pure limits predictor agrees with durable_rules at and just past every limit.

Each test registers rulesets in a fresh timer-less host and asserts a fact, then
checks that ``ruleset_limit_violations`` refuses exactly what the C core refuses: an
off-by-one threshold in the predictor fails a test. Inputs that crash or hang the core
(full lists and hash sets) are only predicted here; benchmarks/probe_durable_limits.py
runs them in subprocesses.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

pytest.importorskip("durable_rules_engine")

import durable_rules_engine as core
from durable import engine

from fundrules.runtime.durable_limits import (
    MAX_PROPERTIES_PER_FACT,
    LimitViolation,
    constant_violations,
    fact_property_violations,
    ruleset_limit_violations,
)

T = {"t": "x"}
FACT = {"t": "x", "sid": "s"}
_names = iter(range(10**9))


class _Quiet(engine.Host):  # type: ignore[misc]
    def _run(self) -> None:
        return None


def durable(rules: dict[str, Any], fact: dict[str, Any] = FACT) -> int | None:
    """durable_rules' error code for registering ``rules`` and asserting ``fact``."""
    name = f"limits{next(_names)}"
    host = _Quiet()
    try:
        host.register_rulesets({name: {r: {**b, "run": lambda c: None} for r, b in rules.items()}})
    except Exception as exc:  # durable raises bare Exceptions
        return int(str(exc).rsplit(" ", 1)[1])
    handle = host.get_ruleset(name)._handle
    try:
        result = core.assert_fact(handle, json.dumps(fact, ensure_ascii=False))
    except Exception as exc:
        return int(str(exc).rsplit(" ", 1)[1])
    if result[0] == 0:
        started = core.start_action_for_state(handle, result[1])
        assert started, "a rule must fire so that delete_state is safe (pitfall 2)"
        while started:
            started = core.complete_and_start_action(handle, result[1])
        host.delete_state(name, fact.get("sid", "0"))
    return None


def predicted(rules: dict[str, Any], fact: dict[str, Any] = FACT) -> int | None:
    refused = [v for v in ruleset_limit_violations(rules, fact) if v.code]
    return refused[0].code if refused else None


def agree(rules: dict[str, Any], fact: dict[str, Any] = FACT) -> int | None:
    code = durable(rules, fact)
    assert predicted(rules, fact) == code
    return code


def nested_and(k: int) -> dict[str, Any]:
    expr: dict[str, Any] = dict(T)
    for _ in range(k):
        expr = {"$and": [expr]}
    return {"r": {"all": [{"m": expr}]}}


def or_chain(k: int) -> dict[str, Any]:
    ors = [{"$or": [{"$lt": {"lo": j}}, {"$nex": {"lo": 1}}]} for j in range(k)]
    return {"r": {"all": [{"m": {"$and": [T, *ors]}}]}}


def nex_gates(k: int) -> dict[str, Any]:
    return {f"r{i}": {"all": [{"m": {"$and": [T, {"$nex": {f"c{i}": 1}}]}}]} for i in range(k)}


def fundrules_like(k: int) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for i in range(k):
        gate = [T, {"$nex": {f"c{i}": 1}}]
        lo = f"n{i % 5}l"
        for status, expr in (("met", {"$gte": {lo: i}}),
                             ("unmet", {"$or": [{"$lt": {lo: i}}, {"$nex": {lo: 1}}]}),
                             ("unknown", {"$nex": {lo: 1}})):
            rules[f"r{i}#{status}"] = {"all": [{"m": {"$and": [*gate, expr]}}], "pri": i + 1}
    return rules


def test_expressions_per_pattern_nested_and() -> None:
    assert agree(nested_and(15)) is None
    assert agree(nested_and(16)) == 113


def test_expressions_per_pattern_or_of_absent() -> None:
    assert agree(or_chain(14), {**FACT, "lo": -1}) is None
    assert agree(or_chain(15), {**FACT, "lo": -1}) == 113


def test_alpha_stack_counts_pending_nex_gates() -> None:
    assert agree(nex_gates(64)) is None
    assert agree(nex_gates(65)) == 303
    # gates already concluded are not pushed: the same ruleset passes for this fact
    assert agree(nex_gates(65), {**FACT, "c64": 1}) is None


@pytest.mark.parametrize("fact", [FACT, {**FACT, "n0l": 3, "n1l": 70}])
def test_alpha_stack_fundrules_shape(fact: dict[str, Any]) -> None:
    assert agree(fundrules_like(64), fact) is None
    assert agree(fundrules_like(65), fact) == 303


def test_alpha_stack_worst_fact_without_a_fact() -> None:
    assert not [v for v in ruleset_limit_violations(nex_gates(64)) if v.code]
    (v,) = [v for v in ruleset_limit_violations(nex_gates(65)) if v.code]
    assert (v.limit, v.measured, v.allowed, v.code) == ("alpha-stack", 65, 64, 303)


def test_nex_children_per_alpha_node() -> None:
    fact = {**FACT, **{f"c{i}": 1 for i in range(1, 130)}}
    assert agree(nex_gates(127), fact) is None
    assert agree(nex_gates(129), fact) == 107
    # 128 fills the list with no terminator: accepted, then asserting crashes
    (v,) = ruleset_limit_violations(nex_gates(128), fact)
    assert (v.limit, v.measured, v.allowed, v.code) == ("nex-children-per-alpha-node", 128, 127, 0)


def test_betas_per_alpha_node() -> None:
    same = {f"r{i}": {"all": [{"m": T}]} for i in range(257)}
    assert agree(dict(list(same.items())[:255])) is None
    # past 255 durable_rules' own answer depends on the memory after its beta list (the
    # 257th is refused with 108 only when that slot happens to be non-zero; otherwise it
    # is accepted and asserting may crash): it is never run here, only predicted
    assert predicted(same) == 108
    (v,) = ruleset_limit_violations(dict(list(same.items())[:256]))
    assert (v.limit, v.measured, v.allowed, v.code) == ("betas-per-alpha-node", 256, 255, 0)


def test_rules_per_ruleset() -> None:
    def rules(k: int) -> dict[str, Any]:
        return {f"r{i}": {"all": [{"m": {"$and": [{"a": i // 64}, {"b": i % 64}]}}]}
                for i in range(k)}
    assert agree(rules(4096), {"a": 0, "b": 0, "sid": "s"}) is None
    assert agree(rules(4097), {"a": 0, "b": 0, "sid": "s"}) == 106


def test_tested_children_per_alpha_node() -> None:
    def rules(k: int) -> dict[str, Any]:
        return {f"r{i}": {"all": [{"m": {"a": i}}]} for i in range(k)}
    assert agree(rules(511), {"a": 0, "sid": "s"}) is None
    # 512 fills the hash set: every assert then loops forever; 513 hangs registration
    full = ruleset_limit_violations(rules(512))
    assert [(v.limit, v.measured, v.code) for v in full] == [("children-per-alpha-node", 512, 0)]
    over = ruleset_limit_violations(rules(513))
    assert [(v.limit, v.measured) for v in over][-1] == ("children-per-alpha-node", 513)


@pytest.mark.parametrize(("extra", "added"), [({}, 2), ({"sid": "s"}, 1),
                                              ({"sid": "s", "id": "i"}, 0)])
def test_properties_per_fact(extra: dict[str, Any], added: int) -> None:
    rules = {"r": {"all": [{"m": T}]}}

    def fact(stored: int) -> dict[str, Any]:
        given = stored - added
        return {"t": "x", **extra, **{f"p{i}": i for i in range(given - 1 - len(extra))}}

    assert agree(rules, fact(MAX_PROPERTIES_PER_FACT)) is None
    assert agree(rules, fact(MAX_PROPERTIES_PER_FACT + 1)) == 302
    assert fact_property_violations(254) == []
    assert [v.code for v in fact_property_violations(255)] == [302]


def test_nested_properties_count() -> None:
    rules = {"r": {"all": [{"m": T}]}}
    ok = {"t": "x", "sid": "s", "id": "i", "o": {f"q{i}": i for i in range(250)}}
    assert agree(rules, ok) is None  # 3 + "o" + 250 = 254
    assert agree(rules, {**ok, "o": {f"q{i}": i for i in range(251)}}) == 302


@pytest.mark.parametrize("value", [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 1e16, 1.5e16,
                                   1e-05, 1.5e-05, 1e308, 0.1, -3, math.inf, -math.inf,
                                   math.nan, 'a"b', "é"])
def test_constants(value: Any) -> None:
    rules = {"r": {"all": [{"m": {"$and": [T, {"v": value}]}}]}}
    code = durable(rules, {**FACT, "v": 0})
    found: list[LimitViolation] = constant_violations(value)
    assert (found[0].code if found and found[0].code else None) == code
    assert predicted(rules, {**FACT, "v": 0}) == code


def test_int64_saturation_is_reported_because_it_matches_wrongly() -> None:
    rules = {"r": {"all": [{"m": {"$and": [T, {"v": 2**63}]}}]}}
    assert durable(rules, {**FACT, "v": 2**63 + 5}) is None  # fired: 2**63 == 2**63 + 5
    assert [v.limit for v in constant_violations(2**63)] == ["constant-int64"]
