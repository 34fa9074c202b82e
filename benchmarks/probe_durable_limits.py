"""Measure durable_rules 2.0.28's hard engine limits, and check fundrules' predictor.

For each limit: build rulesets just below and just above it, register each with a fresh
timer-less Host, assert one fact, and print the threshold, the error at threshold+1,
whether it fails at register or first assert, and whether
``fundrules.runtime.durable_limits`` predicts the same. Probes that can hang or crash the C
core run in a subprocess with a timeout. Deterministic; about a minute.

    python benchmarks/probe_durable_limits.py [--perf]
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from typing import Any

T = {"t": "x"}
FACT = {"t": "x", "sid": "s"}
_counter = [0]


def _host() -> Any:
    from durable import engine

    class Quiet(engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            return None

    return Quiet()


def attempt(rules: dict[str, Any], fact: dict[str, Any] | None = None) -> tuple[str, int | None]:
    """('ok'|'register'|'assert', error code) for registering ``rules`` and asserting."""
    import durable_rules_engine as core

    _counter[0] += 1
    name = f"probe{os.getpid()}_{_counter[0]}"
    host = _host()
    try:
        host.register_rulesets({name: {r: {**b, "run": lambda c: None} for r, b in rules.items()}})
    except Exception as exc:  # durable raises bare Exceptions
        return "register", int(str(exc).rsplit(" ", 1)[1])
    handle = host.get_ruleset(name)._handle
    try:
        res = core.assert_fact(handle, json.dumps(fact or FACT, ensure_ascii=False))
    except Exception as exc:
        return "assert", int(str(exc).rsplit(" ", 1)[1])
    if res[0] == 0:
        started = core.start_action_for_state(handle, res[1])
        while started:  # run the agenda empty, then free the state (pitfall 2)
            started = core.complete_and_start_action(handle, res[1])
        host.delete_state(name, (fact or FACT).get("sid", "0"))
    return "ok", None


def _child(conn: Any, builder: str, n: int, fact: dict[str, Any] | None) -> None:
    rules = BUILDERS[builder](n)
    conn.send(attempt(rules, fact))


def isolated(builder: str, n: int, fact: dict[str, Any] | None = None,
             timeout: float = 10.0) -> tuple[str, int | None]:
    """``attempt`` in a subprocess: ('hang', None) or ('crash', signal) if it must."""
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_child, args=(child, builder, n, fact))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return "hang", None
    if parent.poll():
        result: tuple[str, int | None] = parent.recv()
        return result
    return "crash", proc.exitcode


def nested_and(k: int) -> dict[str, Any]:
    expr: dict[str, Any] = {"t": "x"}
    for _ in range(k):
        expr = {"$and": [expr]}
    return {"r": {"all": [{"m": expr}]}}


def or_chain(k: int) -> dict[str, Any]:
    """The new fundrules "unknown" shape: (lo < c or lo absent), k times, under $and."""
    ors = [{"$or": [{"$lt": {"lo": j}}, {"$nex": {"lo": 1}}]} for j in range(k)]
    return {"r": {"all": [{"m": {"$and": [T, *ors]}}]}}


def nex_gates(k: int) -> dict[str, Any]:
    return {f"r{i}": {"all": [{"m": {"$and": [T, {"$nex": {f"c{i}": 1}}]}}]} for i in range(k)}


def fundrules_like(k: int) -> dict[str, Any]:
    """Pack rules (k of them, three durable rules each) as fundrules compiles them."""
    rules: dict[str, Any] = {}
    for i in range(k):
        gate = [T, {"$nex": {f"c{i}": 1}}]
        lo = f"n{i % 5}l"
        for status, expr in (("met", {"$gte": {lo: i}}), ("unmet", {"$lt": {lo: i}}),
                             ("unknown", {"$nex": {lo: 1}})):
            rules[f"r{i}#{status}"] = {"all": [{"m": {"$and": [*gate, expr]}}], "pri": i + 1}
    return rules


def same_pattern(k: int) -> dict[str, Any]:
    return {f"r{i}": {"all": [{"m": T}]} for i in range(k)}


def distinct_children(k: int) -> dict[str, Any]:
    return {f"r{i}": {"all": [{"m": {"a": i}}]} for i in range(k)}


def many_rules(k: int) -> dict[str, Any]:
    return {f"r{i}": {"all": [{"m": {"$and": [{"a": i // 64}, {"b": i % 64}]}}]}
            for i in range(k)}


BUILDERS: dict[str, Callable[[int], dict[str, Any]]] = {
    "nested_and": nested_and, "or_chain": or_chain, "nex_gates": nex_gates,
    "fundrules_like": fundrules_like, "same_pattern": same_pattern,
    "distinct_children": distinct_children, "many_rules": many_rules,
}


def threshold(builder: str, lo: int, hi: int, fact: dict[str, Any] | None = None,
              isolate: bool = False) -> tuple[int, tuple[str, int | None]]:
    """The largest n in [lo, hi) that works (binary search), and what n+1 gives."""
    def run(n: int) -> tuple[str, int | None]:
        return isolated(builder, n, fact) if isolate else attempt(BUILDERS[builder](n), fact)

    assert run(lo)[0] == "ok", (builder, lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if run(mid)[0] == "ok":
            lo = mid
        else:
            hi = mid
    return lo, run(lo + 1)


def predicted(builder: str, n: int, fact: dict[str, Any] | None = None) -> int | str | None:
    """The predictor's verdict: an error code, "unsafe" (accepted, then misbehaves), None."""
    from fundrules.runtime.durable_limits import ruleset_limit_violations

    found = ruleset_limit_violations(BUILDERS[builder](n), fact or FACT)
    refused = [v for v in found if v.code]
    if refused:
        return refused[0].code
    return "unsafe" if found else None


def main() -> None:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))
    rows: list[tuple[str, str, str, str, str]] = []

    def row(name: str, source: str, builder: str, lo: int, hi: int, what: str,
            fact: dict[str, Any] | None = None, isolate: bool = False) -> None:
        n, (where, code) = threshold(builder, lo, hi, fact, isolate)
        above = predicted(builder, n + 1, fact)
        ok = predicted(builder, n, fact) is None and (
            above == code or (above == "unsafe" and where in ("crash", "hang")))
        rows.append((name, source, f"{n} {what}", f"{code} at {where}",
                     "yes" if ok else "NO"))

    row("expressions per pattern", "rete.h:41 MAX_SEQUENCE_EXPRESSIONS 32", "nested_and", 1, 40,
        "nested $and (31 entries)")
    row("  same, fundrules $or shape", "rete.c:44-60", "or_chain", 1, 40,
        "$or under one $and")
    row("$nex children per alpha node", "rules.h:48 NEXT_LIST_LENGTH 128", "nex_gates", 1, 200,
        "rules with distinct $nex gates", fact={"t": "x", "sid": "s",
                                                 **{f"c{i}": 1 for i in range(1, 200)}},
        isolate=True)
    row("alpha stack per assert", "events.c:18 MAX_STACK_SIZE 64", "nex_gates", 1, 128,
        "$nex gates absent from the fact")
    row("  same, fundrules rules", "events.c:1716-1780", "fundrules_like", 1, 128,
        "pack rules (3 durable rules each)")
    row("betas per alpha node", "rules.h:49 BETA_LIST_LENGTH 256", "same_pattern", 1, 400,
        "rules with an identical pattern", isolate=True)
    row("rules per ruleset", "rete.c:41 MAX_ACTIONS 4096", "many_rules", 4000, 4200, "rules")

    # 512-slot hash set: C has no exit from its probe loop when it is full
    for n in (511, 512, 513):
        where, code = isolated("distinct_children", n, timeout=5.0)
        pred = predicted("distinct_children", n)
        agree = (pred is None) == (where == "ok") and (pred is None or where == "hang")
        rows.append((f"tested children per alpha node, n={n}",
                     "rules.h:47 NEXT_BUCKET_LENGTH 512", f"{n} children",
                     f"{where} {code or ''}".strip(), "yes" if agree else "NO"))
    # a full 128-slot $nex list has no terminator: does assert still behave?
    fact = {"t": "x", "sid": "s", **{f"c{i}": 1 for i in range(1, 128)}}
    where, code = isolated("nex_gates", 128, fact=fact)
    pred = predicted("nex_gates", 128, fact)
    rows.append(("$nex list exactly full (128)", "rete.c:808-819", "128 gates, 1 absent",
                 f"{where} {code or ''}".strip(),
                 "yes" if pred == "unsafe" and where in ("crash", "hang") else "NO"))

    # facts: 255-slot property table, sid and id added when missing
    from fundrules.runtime.durable_limits import MAX_PROPERTIES_PER_FACT, constant_violations

    def props(n: int, extra: dict[str, Any]) -> dict[str, Any]:
        return {"t": "x", **extra, **{f"p{i}": i for i in range(n - 1 - len(extra))}}
    for extra, label in (({}, "neither"), ({"sid": "s"}, "sid"), ({"sid": "s", "id": "i"},
                                                                     "sid+id")):
        added = 2 - len(extra)
        last_ok = max(n for n in range(240, 260)
                      if attempt(same_pattern(1), props(n, extra))[0] == "ok")
        where, code = attempt(same_pattern(1), props(last_ok + 1, extra))
        rows.append((f"properties per fact (fact has {label})",
                     "state.h:20 MAX_OBJECT_PROPERTIES 255", f"{last_ok} given + {added} added",
                     f"{code} at {where}",
                     "yes" if last_ok + added == MAX_PROPERTIES_PER_FACT else "NO"))

    for value in (2**63 - 1, 2**63, -(2**63) - 1, 1e16, 1.5e16, 1e-05, 1.5e-05, 1e308,
                  float("inf"), float("-inf"), float("nan")):
        where, code = attempt({"r": {"all": [{"m": {"$and": [T, {"v": value}]}}]}},
                              {"t": "x", "sid": "s", "v": 0})
        pred = constant_violations(value)
        agree = (pred[0].code if pred and pred[0].code else None) == code
        rows.append((f"constant {json.dumps(value)}", "json.c:150-365 / rete.c:300",
                     (pred[0].limit if pred else "representable"), f"{code} at {where}"
                     if code else "accepted", "yes" if agree else "NO"))
    saturated = attempt({"r": {"all": [{"m": {"$and": [T, {"v": 2**63}]}}]}},
                        {"t": "x", "sid": "s", "v": 2**63 + 5})
    rows.append(("2**63 == 2**63+5 ?", "rete.c:300 atol", "int64 saturation",
                 "matches (wrong)" if saturated[0] == "ok" else "no match", ""))

    width = [max(len(r[i]) for r in rows) for i in range(5)]
    head = ("limit", "C source", "threshold (largest accepted)", "error at threshold+1",
            "predicted")
    print("  ".join(h.ljust(w) for h, w in zip(head, width, strict=True)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)))
    if "--perf" in sys.argv:
        perf()


def perf() -> None:
    """Registration and per-assert time against ruleset size; leak on failed register."""
    import durable_rules_engine as core

    for k in (3, 17, 33):  # 9, 51, 99 durable rules (3 per pack rule)
        rules = fundrules_like(k)
        host = _host()
        _counter[0] += 1
        name = f"perf{_counter[0]}"
        t0 = time.perf_counter()
        host.register_rulesets({name: {r: {**b, "run": lambda c: None}
                                       for r, b in rules.items()}})
        reg = time.perf_counter() - t0
        handle = host.get_ruleset(name)._handle
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            fact = {"t": "x", "sid": "s", "n0l": i % 100}
            res = core.assert_fact(handle, json.dumps(fact))
            started = core.start_action_for_state(handle, res[1])
            while started:
                started = core.complete_and_start_action(handle, res[1])
            host.delete_state(name, "s")
        per = (time.perf_counter() - t0) / n
        print(f"{len(rules):4d} durable rules: register {reg * 1e3:7.2f} ms, "
              f"assert+delete {per * 1e6:7.1f} us")
    def rss() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    for label, bad in (("113, refused while building", nested_and(16)),
                       ("202, refused while parsing", {"r": {"all": [{"m": {"v": math.inf}}]}})):
        before = rss()
        host = _host()
        for _ in range(200):
            _counter[0] += 1
            with contextlib.suppress(Exception):  # durable raises bare Exceptions
                host.register_rulesets({f"leak{_counter[0]}": {
                    r: {**b, "run": lambda c: None} for r, b in bad.items()}})
        print(f"200 failed registrations ({label}): RSS +{rss() - before:.1f} MiB")


if __name__ == "__main__":
    main()
