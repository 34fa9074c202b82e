"""durable_rules 2.0.28's hard engine limits, predicted without durable_rules.

The C core (src/rules/*.c of jruizgit/rules at version 2.0.28) refuses rulesets and
facts past fixed table sizes, each with only a numeric error code and no location.
This module rebuilds the core's alpha network the way ``rete.c`` does (same node
sharing, same flat ``nextPool`` layout, same hash probing) so fundrules can report
each limit with the pack rule that hits it, before registering anything. It must not
import durable_rules: it also runs where durable_rules cannot be installed.

Every number here was measured by ``benchmarks/probe_durable_limits.py``. The module is
longer than most on purpose: the network model, its limits and their explanations are
one unit that follows ``rete.c`` step by step, and splitting it would hide that mapping.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "BETA_LIST_LENGTH",
    "MAX_ACTIONS",
    "MAX_PROPERTIES_PER_FACT",
    "MAX_SEQUENCE_ENTRIES",
    "MAX_STACK_SIZE",
    "NEXT_BUCKET_LENGTH",
    "NEXT_LIST_LENGTH",
    "LimitViolation",
    "alpha_stack_peak",
    "constant_violations",
    "fact_property_violations",
    "ruleset_limit_violations",
]

# rete.h:41 MAX_SEQUENCE_EXPRESSIONS 32; rete.c:44-60 refuses when the count *reaches* 32.
MAX_SEQUENCE_ENTRIES = 31
# rete.c:41 MAX_ACTIONS 4096: durable rules (actions) per ruleset.
MAX_ACTIONS = 4096
# rules.h:47-50: per alpha node, a 512-slot hash set, a 128-slot $nex list, 256 betas.
NEXT_BUCKET_LENGTH = 512
NEXT_LIST_LENGTH = 128
BETA_LIST_LENGTH = 256
_HASH_MASK = 0x1F
# events.c:18 MAX_STACK_SIZE 64: alpha nodes pending in one assert's walk.
MAX_STACK_SIZE = 64
# state.h:20 MAX_OBJECT_PROPERTIES 255; state.c:1391 refuses when the count reaches 255,
# and durable adds "sid" and "id" to a fact that lacks them.
MAX_PROPERTIES_PER_FACT = 254
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

ERR_RULE_LIMIT_EXCEEDED = 106
ERR_RULE_EXISTS_LIMIT_EXCEEDED = 107
ERR_RULE_BETA_LIMIT_EXCEEDED = 108
ERR_EXPRESSION_LIMIT_EXCEEDED = 113
ERR_PARSE_STRING = 202
ERR_PARSE_OBJECT = 204
ERR_EVENT_MAX_PROPERTIES = 302
ERR_MAX_STACK_SIZE = 303

_OPS = {"$lt", "$lte", "$gt", "$gte", "$eq", "$neq", "$ex", "$nex", "$mt", "$imt",
        "$iall", "$iany"}
_ARITH = {"$add", "$sub", "$mul", "$div"}
_FORWARD = "$forward"
_SID, _ID = "sid", "id"


@dataclasses.dataclass(frozen=True)
class LimitViolation:
    """One limit of the C core that a ruleset or fact exceeds.

    ``code`` is durable's error code when the core refuses (at register or first
    assert), or 0 when it silently accepts something it then mishandles.
    """

    limit: str
    rule: str | None
    measured: int
    allowed: int
    explanation: str
    code: int = 0


class _Refused(Exception):
    def __init__(self, violation: LimitViolation) -> None:
        super().__init__(violation.explanation)
        self.violation = violation


def _hash(name: str) -> int:
    """FNV-1a over the name's JSON text, with C's signed ``char`` (json.c:400-430)."""
    h = 0x811C9DC5
    for byte in json.dumps(name, ensure_ascii=False)[1:-1].encode():
        h ^= byte if byte < 0x80 else (byte - 256) & 0xFFFFFFFF
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


_EXP_WITHOUT_POINT = re.compile(r"^-?\d+[eE]")


def constant_violations(value: Any) -> list[LimitViolation]:
    """Why durable cannot hold ``value`` as a constant (or fact value), if it cannot.

    durable serializes with ``json.dumps`` and parses with its own reader (json.c):
    ``Infinity`` is refused (202); ``-Infinity`` and any float whose text has an
    exponent but no decimal point (``1e+16``, ``1e-05``) are refused (204); ``NaN``
    is read as null; ints are read with ``atol`` and saturate outside int64.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    if isinstance(value, float):
        if math.isnan(value):
            return [LimitViolation("constant-nan", None, 0, 0,
                                   "NaN is read by durable_rules as null", 0)]
        if value == math.inf:
            return [LimitViolation("constant-infinity", None, 0, 0,
                                   "Infinity is refused by durable_rules' JSON reader",
                                   ERR_PARSE_STRING)]
        if value == -math.inf:
            return [LimitViolation("constant-infinity", None, 0, 0,
                                   "-Infinity is refused by durable_rules' JSON reader",
                                   ERR_PARSE_OBJECT)]
        text = json.dumps(value)
        if _EXP_WITHOUT_POINT.match(text):
            return [LimitViolation(
                "constant-exponent", None, 0, 0,
                f"{text} has an exponent without a decimal point, which durable_rules' "
                "JSON reader refuses; write it as an int or scale it", ERR_PARSE_OBJECT)]
        return []
    if value < INT64_MIN or value > INT64_MAX:
        return [LimitViolation(
            "constant-int64", None, value.bit_length(), 63,
            f"{value} is outside int64: durable_rules saturates it to "
            f"{INT64_MAX if value > 0 else INT64_MIN}, so comparisons go wrong", 0)]
    return []


def _count_fact_properties(fact: Mapping[str, Any]) -> int:
    """Properties durable stores for a fact: nested objects flattened, sid/id added."""
    def walk(obj: Mapping[str, Any]) -> int:
        return sum(1 + (walk(v) if isinstance(v, Mapping) else 0) for v in obj.values())
    return walk(fact) + (_SID not in fact) + (_ID not in fact)


def fact_property_violations(property_count: int) -> list[LimitViolation]:
    """Whether a fact with ``property_count`` stored properties is refused (302).

    Count every property, nested ones too, plus "sid" and "id" when the fact lacks
    them (durable adds both before matching).
    """
    if property_count <= MAX_PROPERTIES_PER_FACT:
        return []
    return [LimitViolation(
        "properties-per-fact", None, property_count, MAX_PROPERTIES_PER_FACT,
        f"a fact holds {property_count} properties (sid and id included); durable_rules "
        f"refuses more than {MAX_PROPERTIES_PER_FACT} at assert", ERR_EVENT_MAX_PROPERTIES)]


@dataclasses.dataclass
class _Node:
    kind: str  # alpha | beta | action
    op: str = ""
    prop: str = ""
    hash: int = 0
    value: Any = None
    vtype: str = ""  # int | double | string | bool | nil | ref
    next_hash: int = 0
    next_list: int = 0
    beta_list: int = 0
    seq: int = 0  # beta: expression-sequence entries
    rule: str | None = None


def _vtype(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nil"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "ref"


def _saturate(value: int) -> int:
    return max(INT64_MIN, min(INT64_MAX, value))


class _Net:
    """The alpha network createTree builds (rete.c:1725-1860), flat pools included."""

    def __init__(self) -> None:
        self.nodes: list[_Node] = [_Node("alpha", op="type")]  # node 0 is "m"
        self.pool: list[int] = []
        self.actions = 0
        self.rule: str | None = None
        self.unsafe: list[LimitViolation] = []
        self.stopped = False  # the core stops (refuses or hangs) while building

    def read(self, offset: int) -> int:
        """A nextPool slot, or -1 past the pool's end.

        C reads on into malloc's next chunk header there, which is never zero
        (measured: 257 betas on one node are refused, not written).
        """
        return self.pool[offset] if offset < len(self.pool) else -1

    def allocate(self, length: int) -> int:
        if not self.pool:
            self.pool = [0] * (length + 1)
            return 1
        offset = len(self.pool)
        self.pool.extend([0] * length)
        return offset

    def add(self, node: _Node) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def refuse(self, limit: str, measured: int, allowed: int, text: str, code: int) -> None:
        raise _Refused(LimitViolation(limit, self.rule, measured, allowed, text, code))

    def append_list(self, base: int, length: int, child: int, limit: str, code: int) -> None:
        """rete.c:786-819: no bound on the read, a bound on the index, no terminator."""
        entry = 0
        while self.read(base + entry) != 0:
            if entry == length:
                self.refuse(limit, length + 1, length,
                            f"an alpha node would get {length + 1} entries in a "
                            f"{length}-slot list; durable_rules refuses it", code)
            entry += 1
        self.pool[base + entry] = child
        if entry + 1 >= length:
            self.unsafe.append(LimitViolation(
                limit, self.rule, entry + 1, length - 1,
                f"an alpha node's {length}-slot list holds {entry + 1} entries: no zero "
                "terminator is left, so durable_rules reads (or wrote) past the list into "
                "the next one; it does not refuse this, it misbehaves", 0))

    def link(self, parent: int, child: int) -> None:
        """rete.c:774-842 linkAlpha."""
        p, c = self.nodes[parent], self.nodes[child]
        if c.kind != "alpha":
            if not p.beta_list:
                p.beta_list = self.allocate(BETA_LIST_LENGTH)
            self.append_list(p.beta_list, BETA_LIST_LENGTH, child,
                             "betas-per-alpha-node", ERR_RULE_BETA_LIMIT_EXCEEDED)
        elif c.op == "$nex":
            if not p.next_list:
                p.next_list = self.allocate(NEXT_LIST_LENGTH)
            self.append_list(p.next_list, NEXT_LIST_LENGTH, child,
                             "nex-children-per-alpha-node", ERR_RULE_EXISTS_LIMIT_EXCEEDED)
        else:
            if not p.next_hash:
                p.next_hash = self.allocate(NEXT_BUCKET_LENGTH)
            start = c.hash & _HASH_MASK
            entry = start
            while self.pool[p.next_hash + entry] != 0:
                if (entry + 1) % NEXT_BUCKET_LENGTH == start:
                    self.refuse("children-per-alpha-node", NEXT_BUCKET_LENGTH + 1,
                                NEXT_BUCKET_LENGTH, "an alpha node would get more than "
                                f"{NEXT_BUCKET_LENGTH} tested children",
                                ERR_RULE_LIMIT_EXCEEDED)
                entry = (entry + 1) % NEXT_BUCKET_LENGTH
            self.pool[p.next_hash + entry] = child
            if all(self.pool[p.next_hash:p.next_hash + NEXT_BUCKET_LENGTH]):
                self.unsafe.append(LimitViolation(
                    "children-per-alpha-node", self.rule, NEXT_BUCKET_LENGTH,
                    NEXT_BUCKET_LENGTH - 1, f"an alpha node has {NEXT_BUCKET_LENGTH} tested "
                    "children, a full hash set: durable_rules accepts it, then every assert "
                    "loops forever probing it", 0))

    def seq(self, beta: int) -> None:
        """rete.c:44-60: one expression-sequence entry, refused when it reaches 32."""
        node = self.nodes[beta]
        node.seq += 1
        if node.seq == MAX_SEQUENCE_ENTRIES + 1:
            self.refuse("expressions-per-pattern", node.seq, MAX_SEQUENCE_ENTRIES,
                        "one pattern needs more than 31 expression-sequence entries "
                        "(two per $and/$or, one per comparison with a reference)",
                        ERR_EXPRESSION_LIMIT_EXCEEDED)

    def same(self, node: _Node, op: str, value: Any, vtype: str) -> bool:
        """rete.c:372-430 compareValue: null, regexes and references are never shared."""
        if node.op != op or node.vtype != vtype or vtype in ("nil", "ref") or op in (
                "$mt", "$imt"):
            return False
        if vtype == "int":
            return bool(_saturate(node.value) == _saturate(value))
        if vtype == "string":
            return bool(json.dumps(node.value, ensure_ascii=False)
                        == json.dumps(value, ensure_ascii=False))
        return bool(node.value == value)

    def find(self, parent: int, op: str, body: Mapping[str, Any], beta: int) -> int:
        """rete.c:954-1060 findAlpha: share an identical child, else add one."""
        (prop, value), = list(body.items())[:1]
        h = _hash(prop)
        vtype = _vtype(value)
        p = self.nodes[parent]
        if p.next_hash:
            entry = h & _HASH_MASK
            for _ in range(NEXT_BUCKET_LENGTH):
                found = self.pool[p.next_hash + entry]
                if not found:
                    break
                n = self.nodes[found]
                if n.hash == h and self.same(n, op, value, vtype):
                    return found
                entry = (entry + 1) % NEXT_BUCKET_LENGTH
        if p.next_list:
            entry = 0
            while self.read(p.next_list + entry) > 0:
                found = self.read(p.next_list + entry)
                n = self.nodes[found]
                if n.kind == "alpha" and n.hash == h and self.same(n, op, value, vtype):
                    return found
                entry += 1
        if p.next_hash and all(self.pool[p.next_hash:p.next_hash + NEXT_BUCKET_LENGTH]):
            self.refuse("children-per-alpha-node", NEXT_BUCKET_LENGTH + 1, NEXT_BUCKET_LENGTH - 1,
                        f"an alpha node would get a {NEXT_BUCKET_LENGTH + 1}th tested child: "
                        "durable_rules' lookup in its full hash set never ends (register "
                        "hangs)", 0)
        child = self.add(_Node("alpha", op=op, prop=prop, hash=h, value=value, vtype=vtype))
        if vtype == "ref" and _is_frame_reference(value):
            self.seq(beta)
        self.link(parent, child)
        return child

    def alpha(self, expr: Mapping[str, Any], beta: int, nxt: int, parent: int) -> int:
        """rete.c:1137-1335 createAlpha; returns the node the pattern ends on."""
        key = next(iter(expr))
        if key == "$and":
            self.seq(beta)
            last = parent
            for item in expr[key]:
                last = self.alpha(item, beta, 0, last)
            self.seq(beta)
            result = last if expr[key] else 0
            if nxt:
                self.link(result, nxt)
            return result
        if key == "$or":
            self.seq(beta)
            forward = self.add(_Node("alpha", op="$nex", prop=_FORWARD, hash=_hash(_FORWARD)))
            for item in expr[key]:
                self.link(self.alpha(item, beta, 0, parent), forward)
            self.seq(beta)
            if nxt:
                self.link(forward, nxt)
            return forward
        if key in ("$iall", "$iany"):
            raise NotImplementedError("$iall/$iany are not modelled")
        if key in _OPS:
            op, body = key, expr[key]
        else:
            op, body = "$eq", expr
        node = self.find(parent, op, body, beta)
        if nxt:
            self.link(node, nxt)
        return node

    def beta(self, items: list[Any], action: int) -> None:
        """rete.c:1337-1455 createBeta (nested $all/$any names recurse)."""
        for item in items:
            name = next(iter(item))
            beta = self.add(_Node("beta", rule=self.rule))
            if name.endswith(("$all", "$any")) and len(name) > 4:
                self.beta(item[name], beta)
            else:
                self.alpha(item[name], beta, beta, 0)
        del action  # the betas chain to it; nothing here depends on where

    def build(self, definition: Mapping[str, Any]) -> None:
        for rule, body in definition.items():
            self.rule = rule
            if self.actions == MAX_ACTIONS:
                self.refuse("rules-per-ruleset", len(definition), MAX_ACTIONS,
                            f"a ruleset holds {len(definition)} durable rules; durable_rules "
                            f"refuses more than {MAX_ACTIONS}", ERR_RULE_LIMIT_EXCEEDED)
            self.actions += 1
            action = self.add(_Node("action", rule=rule))
            for key, value in body.items():
                if key in ("all", "any"):
                    self.beta(list(value), action)


def _is_frame_reference(value: Any) -> bool:
    """Whether a value object reads another fact of the frame (not ``m``)."""
    if not isinstance(value, Mapping) or not value:
        return False
    key: str = str(next(iter(value)))
    if key in _ARITH:
        return any(_is_frame_reference(v) or (isinstance(v, Mapping) and next(iter(v)) != "m")
                   for v in value[key].values() if isinstance(v, Mapping))
    return key != "m"


def _constants(expr: Any) -> Iterator[Any]:
    if isinstance(expr, Mapping):
        for value in expr.values():
            yield from _constants(value)
    elif isinstance(expr, list):
        for value in expr:
            yield from _constants(value)
    else:
        yield expr


def _strip(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The ruleset as durable sends it to C: ``run`` removed, JSON round-tripped."""
    rules = {r: {k: v for k, v in b.items() if k != "run"} for r, b in definition.items()}
    text = json.dumps(rules, ensure_ascii=False, allow_nan=True)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _network(definition: Mapping[str, Any]) -> tuple[_Net, list[LimitViolation]]:
    rules = _strip(definition)
    found: list[LimitViolation] = []
    for rule, body in rules.items():  # validateRuleset parses every constant first
        for value in _constants({k: v for k, v in body.items() if k in ("all", "any")}):
            for v in constant_violations(value):
                found.append(dataclasses.replace(v, rule=rule))
    net = _Net()
    if any(v.code for v in found):
        return net, found
    try:
        net.build(rules)
    except _Refused as refused:  # where the core stops comes last
        net.stopped = True
        return net, [*found, *net.unsafe, refused.violation]
    return net, found + net.unsafe


def ruleset_limit_violations(definition: Mapping[str, Any],
                             fact: Mapping[str, Any] | None = None) -> list[LimitViolation]:
    """Every hard limit of the C core that ``definition`` (one ruleset) exceeds.

    Violations with a nonzero ``code`` are what durable_rules refuses: the first one
    refused at registration is the only one of its kind reported (the core stops
    there). The assert-time stack limit (303) is checked for ``fact`` exactly when it
    is given, else for the worst fact (every test passing, every $nex absent).
    """
    net, found = _network(definition)
    if net.stopped or any(v.code for v in found) or any(
            v.limit == "children-per-alpha-node" for v in found):
        return found  # the core stops there, or hangs on every assert
    if fact is not None:
        found += fact_property_violations(_count_fact_properties(fact))
        peak, rule = _simulate(net, _flatten(fact))
        worst = False
    else:
        peak, rule = _worst(net), None
        worst = True
    if peak > MAX_STACK_SIZE:
        which = "the worst fact" if worst else "this fact"
        found.append(LimitViolation(
            "alpha-stack", rule, peak, MAX_STACK_SIZE,
            f"asserting {which} leaves {peak} alpha nodes pending at once (each `$nex` "
            f"gate or `$or` branch that passes adds one); durable_rules refuses more than "
            f"{MAX_STACK_SIZE} at assert", ERR_MAX_STACK_SIZE))
    return found


def alpha_stack_peak(definition: Mapping[str, Any], fact: Mapping[str, Any]) -> int:
    """How many alpha nodes asserting ``fact`` leaves pending at most (limit 64).

    Pushes past 64 are counted as if the stack were unbounded.
    """
    net, found = _network(definition)
    if net.stopped or any(v.code for v in found):
        raise ValueError(found[-1].explanation)
    return _simulate(net, _flatten(fact))[0]


def _flatten(fact: Mapping[str, Any]) -> list[tuple[int, str, Any]]:
    """The fact's properties in durable's order (state.c:1448-1545): hash, name, value."""
    out: list[tuple[int, str, Any]] = []

    def walk(obj: Mapping[str, Any], prefix: str) -> None:
        for name, value in json.loads(json.dumps(obj, ensure_ascii=False)).items():
            full = f"{prefix}.{name}" if prefix else name
            out.append((_hash(full), full, value))
            if isinstance(value, Mapping):
                walk(value, full)

    walk(fact, "")
    if _SID not in fact:
        out.append((_hash(_SID), _SID, "0"))
    if _ID not in fact:
        out.append((_hash(_ID), _ID, "$"))
    return out


def _strncmp(a: bytes, b: bytes, n: int) -> int:
    for i in range(n):
        x = a[i] if i < len(a) else 0
        y = b[i] if i < len(b) else 0
        if x != y:
            return x - y
        if x == 0:
            return 0
    return 0


def _compare(op: str, left: Any, right: Any, right_type: str) -> bool:
    """events.c:72-470 for a fact value against a constant (same-kind values only)."""
    ltype = _vtype(left)
    if ltype == "ref" or right_type == "ref":
        return True  # objects, arrays and references: assume a match (an upper bound)
    if ltype == "nil" or right_type == "nil":
        if ltype == "nil" and right_type == "nil":
            return op == "$eq"
        return op == "$neq" and right_type == "nil"
    if (ltype == "string") != (right_type == "string"):
        return True  # number/string mixes go through printf: not modelled, assume a match
    if ltype == "string":
        a = json.dumps(left, ensure_ascii=False)[1:-1].encode() + b'"'
        b = json.dumps(right, ensure_ascii=False)[1:-1].encode() + b"\0"
        n = max(len(a) - 1, len(b) - 1)
        c = _strncmp(a, b, n)
    else:
        lv = _saturate(left) if ltype == "int" else float(left)
        rv = _saturate(right) if right_type == "int" else float(right)
        c = (lv > rv) - (lv < rv)
    verdicts: dict[str, bool] = {"$lt": c < 0, "$lte": c <= 0, "$gt": c > 0, "$gte": c >= 0,
                                 "$eq": c == 0, "$neq": c != 0, "$mt": True, "$imt": True}
    return verdicts[op]


def _children(net: _Net, node: _Node) -> Iterator[int]:
    if node.next_list:
        entry = 0
        while net.read(node.next_list + entry) > 0:
            yield net.read(node.next_list + entry)
            entry += 1


def _simulate(net: _Net, props: list[tuple[int, str, Any]]) -> tuple[int, str | None]:
    """events.c:1707-1800 handleAlpha for one fact: the peak of its pending stack."""
    present = {h for h, _, _ in props}
    stack = [0]
    peak, worst_rule = 1, None
    steps = 0
    while stack and steps < 200_000:
        steps += 1
        node = net.nodes[stack.pop()]
        for child in _children(net, node):
            c = net.nodes[child]
            if c.kind == "alpha" and c.hash not in present:
                stack.append(child)
        if node.next_hash:
            for h, _, value in props:
                entry = h & _HASH_MASK
                for _ in range(NEXT_BUCKET_LENGTH):  # C loops forever here on a full set
                    if net.pool[node.next_hash + entry] == 0:
                        break
                    child = net.pool[node.next_hash + entry]
                    c = net.nodes[child]
                    if c.hash == h and (c.op == "$ex" or _compare(c.op, value, c.value, c.vtype)):
                        stack.append(child)
                    entry = (entry + 1) % NEXT_BUCKET_LENGTH
        if len(stack) > peak:
            peak = len(stack)
            worst_rule = _rule_below(net, stack[-1])
    return peak, worst_rule


def _rule_below(net: _Net, offset: int) -> str | None:
    """A rule whose pattern goes through node ``offset`` (to locate a report)."""
    seen: set[int] = set()
    todo = [offset]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        n = net.nodes[current]
        if n.beta_list and net.read(n.beta_list) > 0:
            return net.nodes[net.read(n.beta_list)].rule
        todo.extend(_children(net, n))
        if n.next_hash:
            todo.extend(o for o in net.pool[n.next_hash:n.next_hash + NEXT_BUCKET_LENGTH] if o)
    return None


def _worst(net: _Net) -> int:
    """An upper bound of the peak over all facts: every child pushed, worst order."""
    memo: dict[int, int] = {}

    def f(offset: int, depth: int) -> int:
        if offset in memo:
            return memo[offset]
        node = net.nodes[offset]
        kids = [c for c in _children(net, node) if net.nodes[c].kind == "alpha"]
        if node.next_hash:
            kids += [o for o in net.pool[node.next_hash:node.next_hash + NEXT_BUCKET_LENGTH]
                     if o]
        best = len(kids)
        if depth < 500:
            for kid in kids:
                best = max(best, len(kids) - 1 + f(kid, depth + 1))
        memo[offset] = best
        return best

    return max(1, f(0, 0))
