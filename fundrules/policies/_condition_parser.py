"""The recursive-descent parser of the condition language, whose grammar heads conditions.py.

One method per grammar level; anything outside the grammar fails at its first offending
character with a message and a hint, and ``depth`` bounds the recursion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fundrules.policies._condition_lexer import KEYWORDS, LANGUAGE, RESERVED, Tok, tokenize
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

__all__ = ["MAX_DEPTH", "ConditionSyntaxError", "Parser"]

MAX_DEPTH = 50  #: nesting of parentheses, lists, calls, `not` and unary `-`

_CMP = frozenset(("<", "<=", ">", ">=", "==", "!="))


class ConditionSyntaxError(Exception):
    """A condition cannot be parsed; ``offset`` is the offending character's index."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message, offset, hint)
        self.message, self.offset, self.hint = message, offset, hint

    def __str__(self) -> str:
        return f"{self.message} (at character {self.offset})"


_LITERALS: dict[str, Callable[[Any, tuple[int, int]], Expr]] = {
    "num": Number, "str": String, "date": DateLit, "kw": Bool}  # kw: only true and false


# -- the parser -----------------------------------------------------------------------

class Parser:
    """Recursive descent, one method per grammar level; ``depth`` bounds the recursion."""

    def __init__(self, text: str) -> None:
        self.toks, self.i, self.depth = tokenize(text), 0, 0

    def peek(self, ahead: int = 0) -> Tok:
        tok = self.toks[min(self.i + ahead, len(self.toks) - 1)]
        if tok.kind == "error":
            msg, hint = tok.value
            raise ConditionSyntaxError(msg, tok.start, hint)
        return tok

    def next(self) -> Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind == kind and (not texts or tok.text in texts)

    def fail(self, tok: Tok, message: str, hint: str) -> ConditionSyntaxError:
        """Build the error for ``tok``, with a better text for words we recognise."""
        if tok.kind == "name" and tok.text in RESERVED:
            message = f"`{tok.text}` is not part of the condition language"
            lower = tok.text.lower()
            hint = (f"write `{lower}` in lower case" if lower in KEYWORDS else
                    "a missing fact makes the criterion unknown by itself" if lower == "none"
                    else LANGUAGE)
        elif tok.text in ("=", "&&", "||", "**"):
            message = f"`{tok.text}` is not an operator here"
            hint = {"=": "use `==` to compare", "&&": "use `and`", "||": "use `or`"}.get(
                tok.text, "powers are not supported: multiply with `*`")
        return ConditionSyntaxError(message, tok.start, hint)

    def nest(self, tok: Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionSyntaxError(f"the condition is nested more than {MAX_DEPTH} "
                                       "levels deep", tok.start, "split it into rules whose "
                                       "conclusions are facts, and combine those")

    def top(self) -> Expr:
        if self.peek().kind == "eof":
            raise ConditionSyntaxError("the condition is empty", 0,
                                       "write a condition such as `qualifying_days >= 12`")
        e = self.expr()
        tok = self.peek()
        if tok.kind != "eof":
            prev = self.toks[self.i - 1]
            if tok.text == ")":
                raise ConditionSyntaxError("this `)` closes no `(`", tok.start,
                                           "remove it or add the matching `(`")
            raise self.fail(tok, f"unexpected {_describe(tok)} after {_describe(prev)}",
                            "join conditions with `and` or `or`")
        return e

    def expr(self) -> Expr:
        return self.chain("or", Or, self.and_)

    def and_(self) -> Expr:
        return self.chain("and", And, self.not_)

    def chain(self, word: str, cls: type[And | Or], part: Callable[[], Expr]) -> Expr:
        items: list[Expr] = [part()]
        while self.at("kw", word):
            self.next()
            items.append(part())
        if len(items) == 1:
            return items[0]
        return cls(tuple(items), (items[0].span[0], items[-1].span[1]))

    def not_(self) -> Expr:
        if self.at("kw", "not"):
            tok = self.next()
            self.nest(tok)
            operand = self.not_()
            self.depth -= 1
            return Not(operand, (tok.start, operand.span[1]))
        return self.comparison()

    def _comparison_op(self) -> str | None:
        tok = self.peek()
        if tok.kind == "op" and (tok.text in _CMP or tok.text == "="):
            return tok.text
        if tok.kind == "kw" and tok.text == "in":
            return "in"
        after = self.peek(1) if tok.kind == "kw" and tok.text == "not" else None
        return "not in" if after is not None and after.text == "in" else None

    def comparison(self) -> Expr:
        left = self.sum_()
        op = self._comparison_op()
        if op is None:
            return left
        tok = self.next()
        if op == "=":
            raise self.fail(tok, "", "")
        if op == "not in":
            self.next()
        right = self.sum_()
        span = (left.span[0], right.span[1])
        e: Expr = (Compare(op, left, right, span) if op in _CMP
                   else Member(op == "not in", left, right, span))
        if self._comparison_op() is not None:
            raise ConditionSyntaxError("comparisons cannot be chained", self.peek().start,
                                       "join two comparisons with `and`, e.g. "
                                       "`a < b and b < c`")
        return e

    def sum_(self) -> Expr:
        return self.binary(("+", "-"), self.product)

    def product(self) -> Expr:
        return self.binary(("*", "/"), self.unary)

    def binary(self, ops: tuple[str, str], part: Callable[[], Expr]) -> Expr:
        left = part()
        while self.at("op", *ops):
            op = self.next().text
            right = part()
            left = Arith(op, left, right, (left.span[0], right.span[1]))
        return left

    def unary(self) -> Expr:
        if self.at("op", "-"):
            tok = self.next()
            self.nest(tok)
            operand = self.unary()
            self.depth -= 1
            return Neg(operand, (tok.start, operand.span[1]))
        return self.primary()

    def primary(self) -> Expr:
        tok = self.peek()
        span, literal = (tok.start, tok.end), _LITERALS.get(tok.kind)
        if literal is not None and (tok.kind != "kw" or tok.text in ("true", "false")):
            self.next()
            return literal(tok.value, span)
        if tok.kind == "money":
            self.next()
            return Money(tok.value[0], tok.value[1], span)
        if tok.kind == "name" and tok.text not in RESERVED:
            self.next()
            if not self.at("op", "("):
                return Name(tok.text, span)
            args, end = self.items(self.next(), ")")
            return Call(tok.text, args, (tok.start, end))
        if tok.kind == "op" and tok.text == "(":
            self.next()
            self.nest(tok)
            inner = self.expr()
            self.depth -= 1
            close = self.peek()
            if close.text != ")":
                raise self.unclosed(tok, close, "`)`")
            self.next()
            return dataclasses.replace(inner, span=(tok.start, close.end))
        if tok.kind == "op" and tok.text == "[":
            items, end = self.items(self.next(), "]")
            return ListLit(items, (tok.start, end))
        prev = self.toks[self.i - 1] if self.i else None
        if tok.kind == "eof":
            raise ConditionSyntaxError(f"the condition ends too early after {_describe(prev)}"
                                       if prev else "the condition is empty", tok.start,
                                       "a value is missing at the end")
        after = f" after {_describe(prev)}" if prev else ""
        raise self.fail(tok, f"expected a value{after}, found {_describe(tok)}",
                        "write a name, a number, a date, 'text' or a [list] here")

    def items(self, opener: Tok, closer: str) -> tuple[tuple[Expr, ...], int]:
        """Parse ``a, b, c`` up to ``closer`` (the opener is already consumed)."""
        self.nest(opener)
        out: list[Expr] = []
        while not self.at("op", closer):
            if out:
                sep = self.peek()
                if sep.text != ",":
                    raise self.unclosed(opener, sep, f"`,` or `{closer}`")
                self.next()
            out.append(self.expr())
        self.depth -= 1
        return tuple(out), self.next().end

    def unclosed(self, opener: Tok, found: Tok, wanted: str) -> ConditionSyntaxError:
        if found.kind == "eof":
            return ConditionSyntaxError(f"this `{opener.text}` is never closed", opener.start,
                                        f"add the matching `{')' if opener.text != '[' else ']'}`")
        return self.fail(found, f"expected {wanted}, found {_describe(found)}",
                         "separate items with `,`; join conditions with `and` or `or`")


def _describe(tok: Tok | None) -> str:
    if tok is None or tok.kind == "eof":
        return "the end"
    return f"`{tok.text[:30]}`"

