"""A located YAML value (:class:`Node`) and the walk from a character to its file position.

Later layers point diagnostics at the exact character of a condition, so a string scalar
can map an offset in its value back to a line and column of its source text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["BREAKS", "Limits", "Mark", "Node", "mark_of", "offset_mark"]

BREAKS = "\n\r\x85\u2028\u2029"


@dataclasses.dataclass(frozen=True)
class Limits:
    """Safety limits; each one is reported as ``yaml-limit`` when exceeded."""

    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 200_000  # counted after alias expansion
    max_aliases: int = 100
    max_scalar_chars: int = 100_000


@dataclasses.dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based position in the file."""

    line: int
    column: int


@dataclasses.dataclass(frozen=True, slots=True)
class Node:
    """One YAML value and where it was written, so later layers can point at it.

    ``source`` (the whole file text, shared by every node) lets :meth:`position_of`
    walk a scalar's source; it takes no part in comparisons.
    """

    value: object
    mark: Mark
    path: str
    key_marks: Mapping[str, Mark]
    style: str | None
    source_span: tuple[int, int] | None
    source: str = dataclasses.field(default="", repr=False, compare=False)

    def is_mapping(self) -> bool:
        """Tell whether ``value`` is a ``dict[str, Node]``."""
        return isinstance(self.value, dict)

    def is_sequence(self) -> bool:
        """Tell whether ``value`` is a ``list[Node]``."""
        return isinstance(self.value, list)

    def is_scalar(self) -> bool:
        """Tell whether ``value`` is None, bool, int, float or str."""
        return not isinstance(self.value, dict | list)

    def get(self, key: str) -> Node | None:
        """Return the child under ``key`` (None if absent or not a mapping)."""
        return self.value.get(key) if isinstance(self.value, dict) else None

    def to_plain(self) -> object:
        """Return plain dicts, lists and scalars, for data that needs no positions."""
        if isinstance(self.value, dict):
            return {k: v.to_plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.to_plain() for v in self.value]
        return self.value

    def position_of(self, offset: int) -> Mark:
        """Return where character ``offset`` of this string scalar's value is in the file.

        Exact for single-line plain and quoted scalars and for literal (``|``) blocks.
        Best effort for folded (``>``) blocks and multi-line flow scalars: a folded line
        break with the spaces around it counts as the one character it becomes.
        ``offset == len(value)`` is the position just after the last character.
        """
        if not isinstance(self.value, str) or self.source_span is None:
            return self.mark
        offset = max(0, min(offset, len(self.value)))
        return (_locate_block if self.style in ("|", ">") else _locate_flow)(self, offset)


def mark_of(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def offset_mark(text: str, at: int) -> Mark:
    return Mark(text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))


def _locate_flow(node: Node, offset: int) -> Mark:
    """Walk a plain or quoted scalar: escapes, doubled quotes and line folds."""
    text, style = node.source, node.style
    p, end = node.source_span or (0, 0)
    line, col, v = node.mark.line, node.mark.column, 0
    if style in ("'", '"'):
        p, col = p + 1, col + 1
    while p < end and v < offset:
        q = p
        while q < end and text[q] in " \t":
            q += 1
        if q > p and (q >= end or text[q] not in BREAKS):  # inner spaces: one char each
            n = min(q - p, offset - v)
            p, col, v = p + n, col + n, v + n
        elif text[p] in BREAKS or q > p:  # a fold: trailing spaces, breaks, indentation
            breaks = 0
            while p < end and text[p] in " \t" + BREAKS:
                if text[p] in BREAKS:
                    p += text[p:p + 2] == "\r\n"
                    breaks, line, col = breaks + 1, line + 1, 0
                p, col = p + 1, col + 1
            v += 1 if breaks == 1 else breaks - 1
        else:
            n = 1
            if style == '"' and text[p] == "\\":
                n = {"x": 4, "u": 6, "U": 10}.get(text[p + 1:p + 2], 2)
            elif style == "'" and text[p:p + 2] == "''":
                n = 2
            p, col, v = p + n, col + n, v + 1
    return Mark(line, col)


def _locate_block(node: Node, offset: int) -> Mark:
    """Walk a ``|`` or ``>`` block line by line, past its indentation."""
    start, end = node.source_span or (0, 0)
    lines = node.source[start:end].splitlines()[1:]  # line 0 is the `|` header
    first = next((ln for ln in lines if ln.strip()), "")
    first_value = next((ln for ln in str(node.value).splitlines() if ln.strip()), "")
    indent = (len(first) - len(first.lstrip(" "))) - (len(first_value) - len(first_value.lstrip()))
    v = 0
    for i, ln in enumerate(lines):
        seg = max(0, len(ln) - indent)
        if offset <= v + seg:
            return Mark(node.mark.line + 1 + i, indent + offset - v + 1)
        folded = node.style == ">" and ln.strip() and not ln[indent:indent + 1].isspace()
        v += seg + (0 if folded and i + 1 < len(lines) and not lines[i + 1].strip() else 1)
    return Mark(node.mark.line + max(1, len(lines)), indent + 1)
