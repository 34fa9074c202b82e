"""Constant sides of conditions evaluated at compile time, and located reporting.

A condition compares one fact or measure with a constant: a literal, a parameter, an
enumeration value written bare, or arithmetic over them. :class:`Constants` evaluates
those (money in the pack's currency, in cents); ``Resolver`` inherits it, together with
the reporting that the evaluation needs.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from fundrules.diagnostics import Diagnostic
from fundrules.policies import conditions as c
from fundrules.policies.fields import FieldInfo, Kind
from fundrules.policies.ir import FALSE, TRUE
from fundrules.policies.loader import Node
from fundrules.policies.model import suggest
from fundrules.policies.params import Param

__all__ = ["Const", "Constants", "Fail", "num", "values_hint"]


#: what a name whose definition was dropped would wrongly be reported as
_FOLLOW_ON = frozenset(("unknown-name", "unproduced-fact"))


class Fail(Exception):
    """Internal: abandon one condition after its diagnostic is recorded."""


@dataclasses.dataclass(frozen=True)
class Const:
    kind: Kind
    value: int | float | str
    text: str


class Constants:
    """Reporting and constant evaluation; the state is set by ``Resolver.__init__``."""

    file: str
    currency: str
    params: dict[str, Param]
    broken: frozenset[str]  # declared parameters whose value is invalid (already reported)
    dropped: frozenset[str]  # names defined by pack elements dropped for their own errors
    diagnostics: list[Diagnostic]
    _node: Node | None

    # -- reporting -------------------------------------------------------------------
    def report(self, code: str, message: str, hint: str | None, node: Node | None,
               offset: int | None = None) -> None:
        """Record a diagnostic at a node (and a character offset inside its text)."""
        mark = node.mark if node is not None else None
        if node is not None and offset is not None and node.is_scalar():
            mark = node.position_of(offset)
        self.diagnostics.append(Diagnostic(
            code, message, hint=hint, file=self.file,
            line=mark.line if mark else None, column=mark.column if mark else None,
            path=node.path if node is not None else None))

    def _fail(self, code: str, message: str, hint: str | None, expr: c.Expr) -> Fail:
        if code in _FOLLOW_ON and isinstance(expr, c.Name) and expr.name in self.dropped:
            return Fail()  # its definition was dropped for its own, reported, error
        self.report(code, message, hint, self._node, expr.span[0])
        return Fail()

    # -- constants -------------------------------------------------------------------
    def _text_arg(self, e: c.Expr) -> str:
        if isinstance(e, c.String):
            return e.value
        if isinstance(e, c.Number):
            return str(e.value)
        if isinstance(e, c.Name):
            param = self.params.get(e.name)
            if param is not None:
                return param.render()
            return e.name
        raise self._fail("invalid-value", f"`{c.to_source(e)}` is not a plain value", None, e)

    def _const(self, e: c.Expr, want: FieldInfo) -> Const:
        """Evaluate a constant side; enumeration values may be written bare."""
        if isinstance(e, c.Name) and e.name in self.broken:
            raise Fail  # its own diagnostic says what is wrong; no second one here
        if isinstance(e, c.Name):
            param = self.params.get(e.name)
            if param is not None:
                return self._param_const(e, param)
            if want.kind in ("symbol", "text") and (e.name in want.values or not want.values):
                return Const("symbol", e.name, e.name)
            hint = suggest(e.name, list(want.values) + list(self.params))
            raise self._fail("unknown-name", f"`{e.name}` is not a parameter nor a value of "
                             f"`{want.name}`", hint or values_hint(want), e)
        if isinstance(e, c.String):
            return Const("symbol", e.value, repr(e.value))
        if isinstance(e, c.Bool):
            return Const("bool", TRUE if e.value else FALSE, str(e.value).lower())
        if isinstance(e, c.Number):
            return Const("number", num(e.value), str(e.value))
        if isinstance(e, c.Money):
            return self._money(e, e.value, e.currency)
        if isinstance(e, c.DateLit):
            return Const("date", e.value.toordinal(), str(e.value))
        if isinstance(e, c.Neg):
            inner = self._const(e.operand, want)
            if inner.kind not in ("number", "money") or isinstance(inner.value, str):
                raise self._fail("type-mismatch", "only numbers can be negated", None, e)
            return Const(inner.kind, -inner.value, "-" + inner.text)
        if isinstance(e, c.Arith):
            left, right = self._const(e.left, want), self._const(e.right, want)
            return self._arith(e, left, right)
        raise self._fail("type-mismatch", f"`{c.to_source(e)}` is not a constant",
                         "compare one fact or measure with a constant", e)

    def _param_const(self, e: c.Expr, p: Param) -> Const:
        name = c.to_source(e)  # messages name the parameter, the same in every call
        if p.kind == "number":
            assert p.number is not None
            return Const("number", num(p.number), name)
        if p.kind == "money":
            assert p.number is not None and p.currency is not None
            return self._money(e, p.number, p.currency, name)
        if p.kind == "date":
            assert p.date is not None
            return Const("date", p.date.toordinal(), name)
        if p.kind == "bool":
            return Const("bool", TRUE if p.flag else FALSE, name)
        if p.kind == "text":
            return Const("symbol", p.text or "", name)
        if p.kind == "list":
            raise self._fail("type-mismatch", f"parameter `{c.to_source(e)}` is a list",
                             f"test membership: `x in {c.to_source(e)}`", e)
        raise self._fail("type-mismatch", f"parameter `{c.to_source(e)}` is a window",
                         "use a window in a measure's `within:`", e)

    def _money(self, e: c.Expr, value: Decimal, currency: str, param: str | None = None
               ) -> Const:
        if currency != self.currency:
            what = f"parameter `{param}` ({value} {currency})" if param else \
                f"`{value} {currency}`"
            raise self._fail("currency-mismatch", f"{what} is not in the pack's "
                             f"currency {self.currency}",
                             f"write the amount in {self.currency}: money is never converted", e)
        cents = value * 100
        if cents != cents.to_integral_value():
            raise self._fail("invalid-value", "an amount has at most two decimals", None, e)
        return Const("money", int(cents), param or f"{value} {currency}")

    def _arith(self, e: c.Arith, left: Const, right: Const) -> Const:
        if isinstance(left.value, str) or isinstance(right.value, str):
            raise self._fail("type-mismatch", "arithmetic needs numbers", None, e)
        kinds = {left.kind, right.kind}
        if (e.op in "+-" and kinds == {"money"}) or kinds == {"number"}:
            kind: Kind = left.kind
        elif e.op in "*/" and kinds == {"money", "number"}:
            kind = "money"
        else:
            raise self._fail("type-mismatch", f"cannot combine {left.kind} and {right.kind} "
                             f"with `{e.op}`", None, e)
        a, b = left.value, right.value
        result = a + b if e.op == "+" else a - b if e.op == "-" else a * b if e.op == "*" else (
            a / b if b else 0)
        if e.op == "/" and not b:
            raise self._fail("invalid-value", "division by zero", None, e)
        return Const(kind, num(Decimal(str(result))), c.to_source(e))


def num(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def values_hint(info: FieldInfo) -> str | None:
    if not info.values:
        return None
    return "use one of " + ", ".join(info.values)

