"""The condition language: text a policy author reads, parsed into an immutable tree.

``qualifying_days >= 12 and contract in [cdd, cddu]`` is tokenized and parsed by hand
(recursive descent; never ``eval``), so anything outside the grammar, Python included,
fails at its first offending character with a message and a hint. Grammar, lowest
precedence first::

    expr       := or_expr
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | comparison
    comparison := sum (CMP sum | 'in' sum | 'not' 'in' sum)?     # never chained
    sum        := product (('+' | '-') product)*
    product    := unary (('*' | '/') unary)*
    unary      := '-' unary | primary
    primary    := NUMBER [CURRENCY] | STRING | DATE | 'true' | 'false' | NAME
                | NAME '(' [expr (',' expr)*] ')' | '(' expr ')' | '[' [expr (',' expr)*] ']'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from fundrules.diagnostics import Diagnostic
from fundrules.policies._condition_lexer import KEYWORDS, MAX_TOKENS
from fundrules.policies._condition_nodes import (
    And,
    Arith,
    Bool,
    Call,
    Compare,
    DateLit,
    Expr,
    ListLit,
    Member,
    Money,
    Name,
    Neg,
    Not,
    Number,
    Or,
    String,
)
from fundrules.policies._condition_parser import MAX_DEPTH, ConditionSyntaxError, Parser
from fundrules.policies.loader import Node

__all__ = [
    "KEYWORDS", "MAX_DEPTH", "MAX_LENGTH", "MAX_TOKENS", "And", "Arith", "Bool", "Call", "Compare",
    "ConditionSyntaxError", "DateLit", "Expr", "ListLit", "Member", "Money", "Name", "Neg",
    "Not", "Number", "Or", "String", "diagnostic_for", "names", "parse", "same_tree",
    "to_source", "walk",
]

MAX_LENGTH = 4000  #: characters in one condition


def parse(text: str) -> Expr:
    """Parse one condition; raise :class:`ConditionSyntaxError` at the offending character."""
    if len(text) > MAX_LENGTH:
        raise ConditionSyntaxError(f"the condition is longer than {MAX_LENGTH} characters",
                                   MAX_LENGTH, "split it into rules whose conclusions are "
                                   "facts, and combine those")
    try:
        return Parser(text).top()
    except RecursionError:  # cannot happen within MAX_DEPTH; kept as a last guard
        raise ConditionSyntaxError("the condition is nested too deeply", 0,
                                   "split it into rules whose conclusions are facts") from None


# -- working with trees ---------------------------------------------------------------

def _children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, ListLit):
        return e.items
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Neg | Not):
        return (e.operand,)
    if isinstance(e, Arith | Compare):
        return (e.left, e.right)
    if isinstance(e, Member):
        return (e.item, e.container)
    if isinstance(e, And | Or):
        return e.operands
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """Yield every node, parents before children, left to right (iterative)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        stack.extend(reversed(_children(e)))


def names(expr: Expr) -> set[str]:
    """Every :class:`Name` in the tree, symbols in lists included (calls' names are not)."""
    return {e.name for e in walk(expr) if isinstance(e, Name)}


def _prec(e: Expr) -> int:
    if isinstance(e, Arith):
        return 5 if e.op in "+-" else 6
    return {Or: 1, And: 2, Not: 3, Compare: 4, Member: 4, Neg: 7}.get(type(e), 8)


def _wrap(e: Expr, least: int) -> str:
    s = to_source(e)
    return f"({s})" if _prec(e) < least else s


def to_source(expr: Expr) -> str:
    """Canonical text of a tree, with only the parentheses it needs."""
    e = expr
    if isinstance(e, Name):
        return e.name
    if isinstance(e, Number | Money):
        number = format(e.value, "f")
        return f"{number} {e.currency}" if isinstance(e, Money) else number
    if isinstance(e, String):
        return "'" + e.value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(e, DateLit):
        return e.value.isoformat()
    if isinstance(e, Bool):
        return "true" if e.value else "false"
    if isinstance(e, ListLit | Call):
        inner = ", ".join(to_source(x) for x in _children(e))
        return f"{e.func}({inner})" if isinstance(e, Call) else f"[{inner}]"
    if isinstance(e, Neg):
        return "-" + _wrap(e.operand, 7)
    if isinstance(e, Not):
        return "not " + _wrap(e.operand, 3)
    if isinstance(e, Arith):
        p = _prec(e)
        return f"{_wrap(e.left, p)} {e.op} {_wrap(e.right, p + 1)}"
    if isinstance(e, Compare):
        return f"{_wrap(e.left, 5)} {e.op} {_wrap(e.right, 5)}"
    if isinstance(e, Member):
        word = "not in" if e.negated else "in"
        return f"{_wrap(e.item, 5)} {word} {_wrap(e.container, 5)}"
    word, least = (" and ", 3) if isinstance(e, And) else (" or ", 2)
    return word.join(_wrap(x, least) for x in e.operands)


def same_tree(a: object, b: object) -> bool:
    """Tell whether two trees are equal, ignoring spans (``==`` compares spans too)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b, strict=True))
    if not dataclasses.is_dataclass(a):
        return a == b
    return all(same_tree(getattr(a, f.name), getattr(b, f.name))
               for f in dataclasses.fields(a) if f.name != "span")


def diagnostic_for(err: ConditionSyntaxError, node: Node, file: str) -> Diagnostic:
    """Turn a parse error into a ``condition-syntax`` diagnostic at its file position."""
    mark = node.position_of(err.offset)
    return Diagnostic("condition-syntax", err.message, hint=err.hint, file=file,
                      line=mark.line, column=mark.column, path=node.path)
