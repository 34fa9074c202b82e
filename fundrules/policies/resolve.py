"""Name resolution and type checking of conditions, producing the compiled (IR) form.

Every name in a condition is looked up once, here: an applicant field, a measure,
a parameter, a fact concluded by a rule, an enumeration constant or a built-in
function. Problems become located diagnostics (code, file:line:col, hint); nothing
is raised to the author.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from fundrules.diagnostics import Diagnostic
from fundrules.policies import conditions as c
from fundrules.policies._resolve_consts import Const, Constants, Fail, num, values_hint
from fundrules.policies.fields import APPLICANT_FIELDS, ITEM_FIELDS, FieldInfo, Kind
from fundrules.policies.ir import (
    TRUE,
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    Cond,
    ContainsInput,
    COr,
    DateBound,
    FieldInput,
    IncomeInput,
    Input,
    InputType,
    ItemAdd,
    ItemConst,
    ItemExpr,
    ItemField,
    ItemGreatest,
    ItemLeast,
    LeafInput,
    MeasureInput,
    Op,
    PluginInput,
    SubmittedDay,
)
from fundrules.policies.loader import Node
from fundrules.policies.model import suggest
from fundrules.policies.params import Param
from fundrules.policies.plugins import predicates

__all__ = ["Resolver", "Scope"]

#: Functions of the condition language itself (a plugin cannot take these names).
_BUILTIN_FUNCTIONS = frozenset({"income", "greatest", "least", "months_before", "months_after",
                                "days_before", "days_after"})

_FLIP: dict[str, Op] = {"<": "gt", "<=": "ge", ">": "lt", ">=": "le", "==": "eq", "!=": "ne"}
_OPS: dict[str, Op] = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
_NUMERIC: frozenset[Kind] = frozenset({"number", "money", "date"})
_KIND_WORDS: dict[Kind, str] = {
    "number": "a number", "money": "an amount", "date": "a date", "instant": "a date and time",
    "symbol": "a value", "bool": "a yes/no value", "text": "text", "list": "a list"}
#: the largest shifts a window may take (a century): beyond them dates overflow
_MAX_MONTHS, _MAX_DAYS = 1200, 36_600
#: the largest magnitude of a numeric constant: amounts in cents, counts, ordinal days and
#: epoch seconds all stay far below it, and every engine compares it exactly
MAX_CONSTANT = 10**15
_DATE_SHIFTS = {"months_before": (-1, "m"), "months_after": (1, "m"),
                "days_before": (-1, "d"), "days_after": (1, "d")}


@dataclasses.dataclass(frozen=True)
class Scope:
    """What names mean where a condition is written."""

    over: str | None = None  # the list a measure's `where` runs over; None for rules
    facts: frozenset[str] = frozenset()
    measures: dict[str, Kind] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class _Quantity:
    input: LeafInput  # an ItemField is read per item, inside a measure: not an engine input
    info: FieldInfo


class Resolver(Constants):
    """Resolves the conditions of one pack (for one call's parameters).

    Reporting (:meth:`report`) and the evaluation of constants come from
    :class:`~fundrules.policies._resolve_consts.Constants`.
    """

    def __init__(self, file: str, currency: str, params: dict[str, Param],
                 broken: frozenset[str] = frozenset(), *,
                 dropped: frozenset[str] = frozenset()) -> None:
        self.file = file
        self.currency = currency
        self.params = params
        self.broken = broken  # declared parameters whose value is invalid (already reported)
        #: facts, measures and parameters whose definition was dropped for its own error:
        #: a condition naming one is not reported as naming an unknown name
        self.dropped = dropped
        self.diagnostics: list[Diagnostic] = []
        self.inputs: dict[Input, Input] = {}  # one object per input, in reading order
        self._node: Node | None = None
        self._deps: set[str] = set()

    # -- entry points ----------------------------------------------------------------
    def parse(self, node: Node) -> c.Expr | None:
        """Parse the condition text held by ``node``; None (and a diagnostic) on error."""
        if not isinstance(node.value, str):
            self.report("wrong-type", f"`{node.path}`: a condition must be text",
                        "write it as text, e.g. `days >= 12`", node)
            return None
        try:
            return c.parse(node.value)
        except c.ConditionSyntaxError as err:
            self.diagnostics.append(c.diagnostic_for(err, node, self.file))
            return None

    def condition(self, node: Node, scope: Scope) -> tuple[Cond, frozenset[str]] | None:
        """The Kleene tree of a condition and the facts it reads; None when invalid."""
        expr = self.parse(node)
        if expr is None:
            return None
        self._node, self._deps = node, set()
        try:
            return self._bool(expr, scope), frozenset(self._deps)
        except Fail:
            return None

    def quantity(self, node: Node, scope: Scope) -> tuple[Input | None, bool]:
        """The input of a measure or ``income(...)`` written at ``node``.

        Returns ``(key, False)``, or ``(None, reported)``: ``reported`` says whether a
        diagnostic was already recorded (a syntax error, a bad argument).
        """
        expr = self.parse(node)
        if expr is None:
            return None, True
        self._node = node
        try:
            found = self._lookup(expr, scope)
        except Fail:
            return None, True
        if found is None or not isinstance(found.input, MeasureInput | IncomeInput):
            return None, False
        return self.inputs.setdefault(found.input, found.input), False

    def item_value(self, node: Node, over: str) -> tuple[ItemExpr, Kind] | None:
        """The per-item value a measure sums (a number or an amount)."""
        expr = self.parse(node)
        if expr is None:
            return None
        self._node = node
        try:
            return self._item_expr(expr, over)
        except Fail:
            return None

    def date_bound(self, node: Node) -> DateBound | None:
        """A window bound: a date, a date parameter, or relative to `submitted_date`."""
        expr = self.parse(node)
        if expr is None:
            return None
        self._node = node
        try:
            return self._bound(expr)
        except Fail:
            return None

    # -- booleans --------------------------------------------------------------------
    def _bool(self, e: c.Expr, scope: Scope) -> Cond:
        if isinstance(e, c.And):
            return CAnd(tuple(self._bool(x, scope) for x in e.operands))
        if isinstance(e, c.Or):
            return COr(tuple(self._bool(x, scope) for x in e.operands))
        if isinstance(e, c.Not):
            return CNot(self._bool(e.operand, scope))
        if isinstance(e, c.Bool):
            return CConst("met" if e.value else "unmet")
        if isinstance(e, c.Compare):
            return self._compare(e, scope)
        if isinstance(e, c.Member):
            cond = self._member(e, scope)
            return CNot(cond) if e.negated else cond
        if isinstance(e, c.Name):
            return self._bool_name(e, scope)
        if isinstance(e, c.Call) and e.func not in _BUILTIN_FUNCTIONS:
            return self._plugin(e, scope)
        raise self._fail("type-mismatch", f"`{c.to_source(e)}` is not a condition",
                         "compare it, e.g. `days >= 12`", e)

    def _plugin(self, e: c.Call, scope: Scope) -> Cond:
        """A predicate an installed package registers (see fundrules.policies.plugins)."""
        registered = predicates()
        if e.func not in registered:
            hint = suggest(e.func, registered) or (
                "install the package that registers it under the `fundrules.predicates` entry "
                "points" + (f" (installed: {', '.join(sorted(registered))})" if registered
                            else " (none is installed)"))
            raise self._fail("unknown-plugin", f"`{e.func}()` is not a predicate any "
                             "installed package registers", hint, e)
        if e.args or scope.over is not None:
            raise self._fail("invalid-value", f"`{e.func}()` takes no arguments and reads the "
                             "whole applicant, in a rule's condition", None, e)
        plugin = PluginInput(e.func)
        return self._leaf(_Quantity(plugin, FieldInfo(plugin.key, "bool")), "eq", TRUE)

    def _bool_name(self, e: c.Name, scope: Scope) -> Cond:
        if e.name in self.broken:
            raise Fail
        param = self.params.get(e.name)
        if param is not None:
            if param.kind != "bool":
                raise self._fail("type-mismatch", f"parameter `{e.name}` is a {param.kind}, "
                                 "not a switch", "compare it with a value", e)
            return CConst("met" if param.flag else "unmet")
        if scope.over is None and e.name in scope.facts:
            self._deps.add(e.name)
            return CFact(e.name)
        q = self._lookup(e, scope)
        if q is None:
            known = sorted(scope.facts) + self._names(scope)
            code = "unproduced-fact" if scope.over is None else "unknown-name"
            hint = suggest(e.name, known) or (
                f"add a rule with `then: {e.name}`" if scope.over is None else None)
            raise self._fail(code, f"`{e.name}` is not a fact any rule concludes, nor a field",
                             hint, e)
        if q.info.kind != "bool":
            raise self._fail("type-mismatch", f"`{e.name}` is a {q.info.kind}, not a yes/no fact",
                             f"compare it, e.g. `{e.name} >= 1`", e)
        return self._leaf(q, "eq", TRUE)

    # -- quantities and constants ----------------------------------------------------
    def _names(self, scope: Scope) -> list[str]:
        fields = ITEM_FIELDS[scope.over] if scope.over else APPLICANT_FIELDS
        return list(fields) + list(scope.measures) + list(self.params)

    def _lookup(self, e: c.Expr, scope: Scope) -> _Quantity | None:
        if isinstance(e, c.Call) and e.func == "income" and scope.over is None:
            return self._income(e)
        if not isinstance(e, c.Name):
            return None
        if scope.over is not None and e.name in ITEM_FIELDS[scope.over]:
            info = ITEM_FIELDS[scope.over][e.name]
            return _Quantity(ItemField(e.name, _input_type(info.kind)), info)
        if e.name in scope.measures:
            info = FieldInfo(e.name, scope.measures[e.name])
            return _Quantity(MeasureInput(e.name, _input_type(info.kind)), info)
        if e.name in APPLICANT_FIELDS and (scope.over is None or e.name == "submitted_date"):
            info = APPLICANT_FIELDS[e.name]
            if info.kind == "list":
                return None
            if e.name == "submitted_date":
                return _Quantity(SubmittedDay(), info)
            return _Quantity(FieldInput(e.name, _input_type(info.kind)), info)
        return None

    def _income(self, e: c.Call) -> _Quantity:
        if len(e.args) != 2:
            raise self._fail("invalid-value", "`income` takes two arguments: a period and a basis",
                             "write e.g. `income(2019, gross)`", e)
        period = self._text_arg(e.args[0])
        basis = self._text_arg(e.args[1])
        allowed = ITEM_FIELDS["income"]["basis"].values
        if basis not in allowed:
            raise self._fail("invalid-value", f"`{basis}` is not an income basis",
                             suggest(basis, allowed) or f"use one of {', '.join(allowed)}",
                             e.args[1])
        income = IncomeInput(period, basis)
        return _Quantity(income, FieldInfo(income.key, "money"))

    # -- comparisons -----------------------------------------------------------------
    def _compare(self, e: c.Compare, scope: Scope) -> Cond:
        left, right = self._lookup(e.left, scope), self._lookup(e.right, scope)
        if left is not None and right is not None:
            raise self._fail("type-mismatch", "a condition compares one fact or measure with a "
                             "constant", "define a measure that combines them", e)
        if left is None and right is None:
            names = [x for x in (e.left, e.right) if isinstance(x, c.Name)
                     and x.name not in self.params]
            if names:
                n = names[0]
                assert isinstance(n, c.Name)
                raise self._fail("unknown-name", f"`{n.name}` is not a field, measure or "
                                 "parameter", suggest(n.name, self._names(scope)), n)
            raise self._fail("type-mismatch", "a condition must read at least one fact",
                             None, e)
        if left is not None:
            assert right is None
            return self._typed_leaf(left, _OPS[e.op], e.right, e)
        assert right is not None
        return self._typed_leaf(right, _FLIP[e.op], e.left, e)

    def _typed_leaf(self, q: _Quantity, op: Op, const_expr: c.Expr, e: c.Expr) -> Cond:
        k = self._const(const_expr, q.info)
        if isinstance(k.value, int | float) and not isinstance(k.value, bool) and (
                k.value != k.value or abs(k.value) > MAX_CONSTANT):
            raise self._fail("invalid-value", f"`{k.text}` is beyond the numbers a pack may "
                             f"compare (at most {MAX_CONSTANT:.0e} in magnitude, in cents for "
                             "amounts)", "check the number: no threshold needs it", const_expr)
        want = q.info.kind
        if want in ("symbol", "text"):
            if k.kind != "symbol":
                raise self._mismatch(q, k, const_expr)
            if q.info.values and k.value not in q.info.values:
                raise self._fail("invalid-value", f"`{k.value}` is not a value of `{q.info.name}`",
                                 suggest(str(k.value), q.info.values) or values_hint(q.info),
                                 const_expr)
            if op not in ("eq", "ne"):
                raise self._fail("type-mismatch", f"`{q.info.name}` can only be compared with "
                                 "`==` or `!=`", None, e)
            return self._leaf(q, op, k.value)
        if want == "bool":
            if k.kind != "bool" or op not in ("eq", "ne"):
                raise self._mismatch(q, k, const_expr)
            return self._leaf(q, op, k.value)
        if k.kind != want:
            raise self._mismatch(q, k, const_expr)
        return self._leaf(q, op, k.value)

    def _mismatch(self, q: _Quantity, k: Const, e: c.Expr) -> Fail:
        return self._fail("type-mismatch", f"`{q.info.name}` is {_KIND_WORDS[q.info.kind]} but "
                          f"`{k.text}` is {_KIND_WORDS[k.kind]}", _kind_hint(q.info), e)

    def _member(self, e: c.Member, scope: Scope) -> Cond:
        container = e.container
        if isinstance(container, c.Name) and container.name in APPLICANT_FIELDS \
                and APPLICANT_FIELDS[container.name].kind == "list" and scope.over is None:
            info = APPLICANT_FIELDS[container.name]
            k = self._const(e.item, FieldInfo(info.name, "symbol", info.values))
            if info.values and k.value not in info.values:
                raise self._fail("invalid-value", f"`{k.value}` is not a valid `{info.name}` "
                                 "value", suggest(str(k.value), info.values), e.item)
            contains = ContainsInput(info.name, str(k.value))
            return self._leaf(_Quantity(contains, FieldInfo(contains.key, "bool")), "eq", TRUE)
        if isinstance(container, c.Name) and container.name in self.params \
                and self.params[container.name].kind == "list":
            items = tuple(c.String(v, container.span)
                          for v in self.params[container.name].items)
            container = c.ListLit(items, container.span)
        if not isinstance(container, c.ListLit):
            raise self._fail("type-mismatch", "`in` needs a list, e.g. `[cdd, cddu]` or a list "
                             "parameter", None, container)
        q = self._lookup(e.item, scope)
        if q is None:
            raise self._fail("unknown-name", f"`{c.to_source(e.item)}` is not a field or "
                             "measure", None, e.item)
        if not container.items:
            return CConst("unmet")
        leaves = [self._typed_leaf(q, "eq", item, item) for item in container.items]
        if q.info.kind in ("symbol", "text", "bool"):
            values = tuple(sorted({str(lf.value) for lf in leaves if isinstance(lf, CLeaf)}))
            return CLeaf(self._intern(q.input), "in", values, numeric=False)
        return COr(tuple(leaves))

    def _intern(self, found: LeafInput) -> LeafInput:
        """The one object for an engine input (item fields are read per item instead)."""
        if isinstance(found, ItemField):
            return found
        return self.inputs.setdefault(found, found)

    def _leaf(self, q: _Quantity, op: Op, value: int | float | str) -> CLeaf:
        numeric = q.info.kind in _NUMERIC or q.info.kind == "instant"
        return CLeaf(self._intern(q.input), op, value, numeric=numeric)

    # -- measure values and window bounds --------------------------------------------
    def _item_expr(self, e: c.Expr, over: str) -> tuple[ItemExpr, Kind]:
        fields = ITEM_FIELDS[over]
        if isinstance(e, c.Name):
            info = fields.get(e.name)
            if info is None or info.kind not in ("number", "money"):
                known = [n for n, f in fields.items() if f.kind in ("number", "money")]
                raise self._fail("unknown-name", f"`{e.name}` is not a number or amount of "
                                 f"one of the `{over}`", suggest(e.name, known)
                                 or f"use one of {', '.join(known)}", e)
            return ItemField(e.name, _input_type(info.kind)), info.kind
        if isinstance(e, c.Number):
            return ItemConst(num(e.value)), "number"
        if isinstance(e, c.Call) and e.func in ("greatest", "least") and e.args:
            parts = [self._item_expr(a, over) for a in e.args]
            args, kind = self._same_kind(e, parts)
            return (ItemGreatest(args) if e.func == "greatest" else ItemLeast(args)), kind
        if isinstance(e, c.Arith) and e.op == "+":
            parts = [self._item_expr(e.left, over), self._item_expr(e.right, over)]
            args, kind = self._same_kind(e, parts)
            return ItemAdd(args), kind
        raise self._fail("invalid-value", f"`{c.to_source(e)}` cannot be summed",
                         "sum a field, `greatest(a, b)`, `least(a, b)` or `a + b`", e)

    def _same_kind(self, e: c.Expr, parts: list[tuple[ItemExpr, Kind]]
                   ) -> tuple[tuple[ItemExpr, ...], Kind]:
        kinds = {k for _, k in parts}
        if len(kinds) != 1:
            raise self._fail("type-mismatch", "cannot mix numbers and amounts", None, e)
        return tuple(p for p, _ in parts), parts[0][1]

    def _bound(self, e: c.Expr) -> DateBound:
        if isinstance(e, c.DateLit):
            return DateBound(ordinal=e.value.toordinal())
        if isinstance(e, c.Name):
            if e.name == "submitted_date":
                return DateBound()
            p = self.params.get(e.name)
            if p is not None and p.kind == "date" and p.date is not None:
                return DateBound(ordinal=p.date.toordinal())
            raise self._fail("unknown-name", f"`{e.name}` is not a date parameter",
                             suggest(e.name, [n for n, v in self.params.items()
                                              if v.kind == "date"]), e)
        if isinstance(e, c.Call) and e.func in _DATE_SHIFTS and len(e.args) == 2:
            base = self._bound(e.args[0])
            amount = e.args[1]
            number = amount.value if isinstance(amount, c.Number) else None
            if isinstance(amount, c.Name) and amount.name in self.params:
                number = self.params[amount.name].number
            if base.ordinal is not None or number is None or number != int(number):
                raise self._fail("invalid-value", f"`{e.func}` takes `submitted_date` and a "
                                 "whole number (or a number parameter)",
                                 "e.g. `months_before(submitted_date, 18)`", e)
            sign, unit = _DATE_SHIFTS[e.func]
            n = sign * int(number)
            if abs(n) > (_MAX_MONTHS if unit == "m" else _MAX_DAYS):
                raise self._fail("invalid-value", f"`{e.func}` shifts by {abs(n)} "
                                 f"{'months' if unit == 'm' else 'days'}: more than a century",
                                 f"use at most {_MAX_MONTHS} months or {_MAX_DAYS} days", e)
            return DateBound(months=n) if unit == "m" else DateBound(days=n)
        raise self._fail("invalid-value", f"`{c.to_source(e)}` is not a date",
                         "use a date, a date parameter or `months_before(submitted_date, N)`", e)


def _input_type(kind: Kind) -> InputType:
    if kind == "number" or kind == "money" or kind == "date" or kind == "instant":
        return kind
    return "symbol"


def _kind_hint(info: FieldInfo) -> str | None:
    if info.kind == "money":
        return "write an amount with its currency, e.g. `15000 EUR`"
    if info.kind == "date":
        return "write a date as YYYY-MM-DD"
    return values_hint(info)


def names_in(exprs: Iterable[c.Expr]) -> set[str]:
    """Every name used in some expressions (for unused-fact checks)."""
    out: set[str] = set()
    for e in exprs:
        out |= c.names(e)
    return out
