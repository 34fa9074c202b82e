"""The tokenizer of the condition language: text cut into words, numbers, dates and symbols.

A character that cannot start a token becomes a final ``error`` token carrying its message
and hint, so the parser reports an earlier syntax error first.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from decimal import Decimal
from typing import Any

__all__ = ["KEYWORDS", "LANGUAGE", "MAX_TOKENS", "RESERVED", "Tok", "tokenize"]

MAX_TOKENS = 500  #: tokens in one condition

KEYWORDS = frozenset(("and", "or", "not", "in", "true", "false"))
RESERVED = frozenset((  # Python words a confused author (or an attacker) might try
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
LANGUAGE = "conditions use names, numbers, dates, 'text', [lists], comparisons, `and`, " \
            "`or` and `not`"


@dataclasses.dataclass(frozen=True, slots=True)
class Tok:
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
    return f"the character {_show(c)} cannot be used in a condition", hints.get(c, LANGUAGE)


def tokenize(text: str) -> list[Tok]:
    """Cut the text into tokens; a lexical error becomes a final ``error`` token.

    The parser raises it only when it reaches it, so an earlier syntax error wins.
    """
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if len(toks) >= MAX_TOKENS:
            msg = (f"the condition has more than {MAX_TOKENS} words and symbols",
                   "split it into rules whose conclusions are facts, and combine those")
            return [*toks, Tok("error", text[i], i, i + 1, msg)]
        m = _TOKEN.match(text, i)
        if m is None:
            return [*toks, Tok("error", text[i], i, i + 1, _char_error(text, i))]
        kind, word, end = m.lastgroup or "", m.group(), m.end()
        tok: Tok | None = None
        err: tuple[str, str] | None = None
        if kind == "date":
            try:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", word):
                    raise ValueError
                tok = Tok("date", word, i, end, datetime.date.fromisoformat(word))
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
            if cur and cur.group(1) not in RESERVED:
                tok = Tok("money", text[i:cur.end()], i, cur.end(),
                           (Decimal(word.replace("_", "")), cur.group(1)))
            else:
                tok = Tok("num", word, i, end, Decimal(word.replace("_", "")))
        elif kind == "name":
            if text[end:end + 1] == ".":
                i = end + 1 if text[end + 1:end + 2] == "_" else end
                err = _char_error(text, i)
            else:
                tok = Tok("kw" if word in KEYWORDS else "name", word, i, end, word == "true")
        elif kind == "op":
            tok = Tok("op", word, i, end)
        else:
            tok = _string(text, i)
            if tok.kind == "error":
                return [*toks, tok]
        if err is not None:
            return [*toks, Tok("error", text[i:i + 1], i, i + 1, err)]
        assert tok is not None
        toks.append(tok)
        i = tok.end
    eof = len(text.rstrip())
    return [*toks, Tok("eof", "", eof, eof)]


def _string(text: str, i: int) -> Tok:
    """Scan a quoted text starting at ``i`` (escapes: backslash, quote, double quote)."""
    quote, j, out = text[i], i + 1, []
    while j < len(text):
        c = text[j]
        if c == "\\":
            nxt = text[j + 1:j + 2]
            if nxt not in ("\\", "'", '"'):
                return Tok("error", c, j, j + 1, (f"unknown escape `\\{nxt}` in a quoted text",
                            "only `\\\\`, `\\'` and `\\\"` may follow a backslash"))
            out.append(nxt)
            j += 2
        elif c == quote:
            return Tok("str", text[i:j + 1], i, j + 1, "".join(out))
        else:
            out.append(c)
            j += 1
    return Tok("error", quote, i, i + 1, ("this quoted text is never closed",
                                           f"add the closing `{quote}`"))

