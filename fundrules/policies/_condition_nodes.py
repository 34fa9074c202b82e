"""The nodes of a parsed condition: frozen dataclasses, one per construct of the grammar.

Kept apart from the parser so that code which only reads trees (resolution, rendering)
does not depend on how text becomes a tree.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import TypeAlias

__all__ = [
    "And", "Arith", "Bool", "Call", "Compare", "DateLit", "Expr", "ListLit", "Member", "Money",
    "Name", "Neg", "Not", "Number", "Or", "String",
]

# -- the tree -------------------------------------------------------------------------
# Every node is frozen; `span` is (start, end) in the condition text, last so that code
# building trees by hand may omit it. `same_tree` compares trees ignoring spans.

@dataclasses.dataclass(frozen=True, slots=True)
class Name:  # a fact, measure, field, parameter or symbol: `qualifying_days`, `stop.cause`
    name: str
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Number:  # `12`, `15_000.50` (never a float: money and thresholds stay exact)
    value: Decimal
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Money:  # `15000 EUR`
    value: Decimal
    currency: str
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class String:  # `'gross'` or `"gross"`
    value: str
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class DateLit:  # `2020-02-29`, validated as a real date
    value: datetime.date
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Bool:  # `true` or `false`
    value: bool
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class ListLit:  # `[cdd, cddu]`
    items: tuple[Expr, ...]
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Call:  # `income(2019, gross)`: which functions exist is decided by later layers
    func: str
    args: tuple[Expr, ...]
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Neg:  # `-x`
    operand: Expr
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Arith:  # `a + b`; `op` is one of `+ - * /`
    op: str
    left: Expr
    right: Expr
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Compare:  # `a >= b`; `op` is one of `< <= > >= == !=`
    op: str
    left: Expr
    right: Expr
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Member:  # `item in container` or, when `negated`, `item not in container`
    negated: bool
    item: Expr
    container: Expr
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Not:  # `not x`
    operand: Expr
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class And:  # `a and b and c` (two operands or more, flattened)
    operands: tuple[Expr, ...]
    span: tuple[int, int] = (0, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Or:  # `a or b or c` (two operands or more, flattened)
    operands: tuple[Expr, ...]
    span: tuple[int, int] = (0, 0)


Expr: TypeAlias = (Name | Number | Money | String | DateLit | Bool | ListLit | Call | Neg
                   | Arith | Compare | Member | Not | And | Or)
