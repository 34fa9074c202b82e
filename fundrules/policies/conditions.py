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
import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeAlias

from fundrules.diagnostics import Diagnostic
from fundrules.policies.loader import Node

__all__ = [
    "KEYWORDS", "MAX_DEPTH", "MAX_LENGTH", "MAX_TOKENS", "And", "Arith", "Bool", "Call", "Compare",
    "ConditionSyntaxError", "DateLit", "Expr", "ListLit", "Member", "Money", "Name", "Neg",
    "Not", "Number", "Or", "String", "diagnostic_for", "names", "parse", "same_tree",
    "to_source", "walk",
]

MAX_LENGTH = 4000  #: characters in one condition
MAX_TOKENS = 500  #: tokens in one condition
MAX_DEPTH = 50  #: nesting of parentheses, lists, calls, `not` and unary `-`

KEYWORDS = frozenset(("and", "or", "not", "in", "true", "false"))
_CMP = frozenset(("<", "<=", ">", ">=", "==", "!="))
_RESERVED = frozenset((  # Python words a confused author (or an attacker) might try
    "if", "else", "elif", "for", "while", "lambda", "is", "import", "from", "def", "class",
    "return", "yield", "None", "True", "False", "AND", "OR", "NOT", "IN", "exec", "eval",
))
_TOKEN = re.compile(r"""
    (?P<date>[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9A-Za-z_]))
  | (?P<num>[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?)
  | (?P<name>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|==|!=|\*\*|&&|\|\||[<>=+\-*/()\[\],])
  | (?P<str>['"])
""", re.VERBOSE | re.ASCII)
_CURRENCY = re.compile(r"\s+([A-Z]{3})(?![A-Za-z0-9_.])", re.ASCII)
_LANGUAGE = "conditions use names, numbers, dates, 'text', [lists], comparisons, `and`, " \
            "`or` and `not`"


class ConditionSyntaxError(Exception):
    """A condition cannot be parsed; ``offset`` is the offending character's index."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message, offset, hint)
        self.message, self.offset, self.hint = message, offset, hint

    def __str__(self) -> str:
        return f"{self.message} (at character {self.offset})"


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
_LITERALS: dict[str, Callable[[Any, tuple[int, int]], Expr]] = {
    "num": Number, "str": String, "date": DateLit, "kw": Bool}  # kw: only true and false


# -- tokens ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num money str date name kw op eof error
    text: str
    start: int
    end: int
    value: Any = None


def _show(c: str) -> str:
    if c == "`":
        return "`` ` ``"
    return f"`{c}`" if c.isprintable() else f"U+{ord(c):04X}"


def _char_error(text: str, i: int) -> tuple[str, str]:
    """Say why the character at ``i`` cannot start a token."""
    c = text[i]
    if c == "_":
        return "names cannot start with `_`", "use a name the pack defines (starting with a letter)"
    if c == ".":
        return "a `.` must sit between two parts of a name or inside a number", \
            "write decimals as `12.50` and dotted names as `stop.cause`"
    hints = {";": "a condition is one expression: join its parts with `and` or `or`",
             "`": "write names without backticks", "!": "use `not`, or `!=` for not equal",
             "&": "use `and`", "|": "use `or`"}
    return f"the character {_show(c)} cannot be used in a condition", hints.get(c, _LANGUAGE)


def _tokenize(text: str) -> list[_Tok]:
    """Cut the text into tokens; a lexical error becomes a final ``error`` token.

    The parser raises it only when it reaches it, so an earlier syntax error wins.
    """
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if len(toks) >= MAX_TOKENS:
            msg = (f"the condition has more than {MAX_TOKENS} words and symbols",
                   "split it into rules whose conclusions are facts, and combine those")
            return [*toks, _Tok("error", text[i], i, i + 1, msg)]
        m = _TOKEN.match(text, i)
        if m is None:
            return [*toks, _Tok("error", text[i], i, i + 1, _char_error(text, i))]
        kind, word, end = m.lastgroup or "", m.group(), m.end()
        tok: _Tok | None = None
        err: tuple[str, str] | None = None
        if kind == "date":
            try:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", word):
                    raise ValueError
                tok = _Tok("date", word, i, end, datetime.date.fromisoformat(word))
            except ValueError:
                err = (f"`{word}` is not a real date", "write dates as YYYY-MM-DD, e.g. "
                       "`2020-02-29`, and check the day and the month")
        elif kind == "num":
            nxt = text[end:end + 1]
            if nxt and (nxt.isalpha() or nxt in "_."):
                i, err = end, (f"a number cannot be followed directly by {_show(nxt)}",
                               "put a space or an operator after the number; amounts are "
                               "written `15000 EUR`")
            cur = _CURRENCY.match(text, end)
            if cur and cur.group(1) not in _RESERVED:
                tok = _Tok("money", text[i:cur.end()], i, cur.end(),
                           (Decimal(word.replace("_", "")), cur.group(1)))
            else:
                tok = _Tok("num", word, i, end, Decimal(word.replace("_", "")))
        elif kind == "name":
            if text[end:end + 1] == ".":
                i = end + 1 if text[end + 1:end + 2] == "_" else end
                err = _char_error(text, i)
            else:
                tok = _Tok("kw" if word in KEYWORDS else "name", word, i, end, word == "true")
        elif kind == "op":
            tok = _Tok("op", word, i, end)
        else:
            tok = _string(text, i)
            if tok.kind == "error":
                return [*toks, tok]
        if err is not None:
            return [*toks, _Tok("error", text[i:i + 1], i, i + 1, err)]
        assert tok is not None
        toks.append(tok)
        i = tok.end
    eof = len(text.rstrip())
    return [*toks, _Tok("eof", "", eof, eof)]


def _string(text: str, i: int) -> _Tok:
    """Scan a quoted text starting at ``i`` (escapes: backslash, quote, double quote)."""
    quote, j, out = text[i], i + 1, []
    while j < len(text):
        c = text[j]
        if c == "\\":
            nxt = text[j + 1:j + 2]
            if nxt not in ("\\", "'", '"'):
                return _Tok("error", c, j, j + 1, (f"unknown escape `\\{nxt}` in a quoted text",
                            "only `\\\\`, `\\'` and `\\\"` may follow a backslash"))
            out.append(nxt)
            j += 2
        elif c == quote:
            return _Tok("str", text[i:j + 1], i, j + 1, "".join(out))
        else:
            out.append(c)
            j += 1
    return _Tok("error", quote, i, i + 1, ("this quoted text is never closed",
                                           f"add the closing `{quote}`"))


# -- the parser -----------------------------------------------------------------------

class _Parser:
    """Recursive descent, one method per grammar level; ``depth`` bounds the recursion."""

    def __init__(self, text: str) -> None:
        self.toks, self.i, self.depth = _tokenize(text), 0, 0

    def peek(self, ahead: int = 0) -> _Tok:
        tok = self.toks[min(self.i + ahead, len(self.toks) - 1)]
        if tok.kind == "error":
            msg, hint = tok.value
            raise ConditionSyntaxError(msg, tok.start, hint)
        return tok

    def next(self) -> _Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind == kind and (not texts or tok.text in texts)

    def fail(self, tok: _Tok, message: str, hint: str) -> ConditionSyntaxError:
        """Build the error for ``tok``, with a better text for words we recognise."""
        if tok.kind == "name" and tok.text in _RESERVED:
            message = f"`{tok.text}` is not part of the condition language"
            lower = tok.text.lower()
            hint = (f"write `{lower}` in lower case" if lower in KEYWORDS else
                    "a missing fact makes the criterion unknown by itself" if lower == "none"
                    else _LANGUAGE)
        elif tok.text in ("=", "&&", "||", "**"):
            message = f"`{tok.text}` is not an operator here"
            hint = {"=": "use `==` to compare", "&&": "use `and`", "||": "use `or`"}.get(
                tok.text, "powers are not supported: multiply with `*`")
        return ConditionSyntaxError(message, tok.start, hint)

    def nest(self, tok: _Tok) -> None:
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
        if tok.kind == "name" and tok.text not in _RESERVED:
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

    def items(self, opener: _Tok, closer: str) -> tuple[tuple[Expr, ...], int]:
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

    def unclosed(self, opener: _Tok, found: _Tok, wanted: str) -> ConditionSyntaxError:
        if found.kind == "eof":
            return ConditionSyntaxError(f"this `{opener.text}` is never closed", opener.start,
                                        f"add the matching `{')' if opener.text != '[' else ']'}`")
        return self.fail(found, f"expected {wanted}, found {_describe(found)}",
                         "separate items with `,`; join conditions with `and` or `or`")


def _describe(tok: _Tok | None) -> str:
    if tok is None or tok.kind == "eof":
        return "the end"
    return f"`{tok.text[:30]}`"


def parse(text: str) -> Expr:
    """Parse one condition; raise :class:`ConditionSyntaxError` at the offending character."""
    if len(text) > MAX_LENGTH:
        raise ConditionSyntaxError(f"the condition is longer than {MAX_LENGTH} characters",
                                   MAX_LENGTH, "split it into rules whose conclusions are "
                                   "facts, and combine those")
    try:
        return _Parser(text).top()
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
