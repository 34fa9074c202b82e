"""One pass over the YAML event stream that checks every limit and builds located Nodes.

Iterative (an explicit stack, never PyYAML's recursive composer), so deep nesting cannot
overflow the stack; aliases are counted expanded, so a billion-laughs file stops early.
Scalars follow the YAML 1.2 core schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from fundrules.diagnostics import Diagnostic
from fundrules.policies._yaml_node import BREAKS, Limits, Mark, Node, mark_of, offset_mark

__all__ = ["DEPTH", "Builder", "Stop"]

_STD = "tag:yaml.org,2002:"
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL = {f"{s}.{w}": float(f"{s}{w}") for s in ("", "+", "-") for w in ("inf", "Inf", "INF")}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_PATH_CHARS = 32_000_000  # all paths together: long keys times many nodes must not eat memory
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_STARTS = frozenset("0123456789+-.~nNtTfF") | {""}  # first characters of non-strings
_NO_KEYS: Mapping[str, Any] = MappingProxyType({})
DEPTH = ("the YAML is nested more than {} levels deep",
          "flatten the structure: a pack never needs this depth")
_TEXTS: dict[str, tuple[str, str]] = {  # message and hint of every problem found in a pass
    "depth": DEPTH,
    "nodes": ("the YAML holds more than {} values (aliases counted expanded)",
              "split the file, or write fewer `*` aliases"),
    "aliases": ("the YAML uses more than {} aliases",
                "write the values out instead of repeating them with `*` aliases"),
    "paths": ("the YAML's keys are too long or nested too deep", "use short keys"),
    "scalar": ("a value is longer than {} characters", "shorten it or keep it out of the pack"),
    "digits": ("the number `{}...` has too many digits", "shorten it"),
    "radix": ("`{0}` is a number written in base {1}", "write it in decimal (`{2}`), or quote "
              "it if it is text"),
    "docs": ("the file holds more than one YAML document",
             "remove this `---` line and what follows: one file holds one document"),
    "empty": ("the file is empty", "write the YAML content of the file"),
    "undefined": ("the alias `*{0}` names no anchor before it",
                  "define `&{0}` earlier in the file, or remove the `*`"),
    "recursive": ("the alias `*{}` is inside its own anchor", "an anchor cannot contain itself"),
    "tag": ("the tag `{}` is not allowed", "remove the tag: a pack holds plain data only (text, "
            "numbers, true/false, lists and mappings), never code or custom types"),
    "misfit": ("the tag `!!{}` does not fit this value", "remove the tag or fix the value"),
    "complex": ("a key must be plain text, not a list or a mapping",
                "write the key as a word or as quoted text"),
    "merge": ("merge keys `<<` are not supported",
              "write the keys out in full instead of merging them with `<<`"),
    "duplicate": ("the key `{0}` appears twice in this mapping",
                  "keep one `{0}` (the first is at line {1}, column {2})"),
}
_FATAL = frozenset(("depth", "nodes", "paths", "aliases", "scalar", "docs", "empty", "undefined",
                    "recursive"))
# the rest: yaml-syntax
_CODES = dict.fromkeys(("depth", "nodes", "paths", "aliases", "scalar", "digits"), "yaml-limit")
_CODES |= {"radix": "invalid-value", "tag": "yaml-tag", "duplicate": "yaml-duplicate-key",
           "misfit": "wrong-type", "complex": "wrong-type", "merge": "wrong-type"}


class Stop(Exception):
    """Ends the pass at the first fatal problem."""


class _Frame:
    """A collection being built; for a mapping, ``key_mark`` None means a key comes next."""

    __slots__ = ("anchor", "height", "items", "key", "key_mark", "keys", "mark", "path", "size")

    def __init__(self, items: dict[str, Node] | list[Node], path: str, mark: Mark,
                 anchor: str | None) -> None:
        self.items, self.path, self.mark, self.anchor = items, path, mark, anchor
        self.keys: dict[str, Mark] = {}
        self.key: str | None = None  # None while key_mark is set: drop the value
        self.key_mark: Mark | None = None
        self.size, self.height = 1, 1


class Builder:
    """One pass: events in, limits checked as they come, located Nodes out."""

    def __init__(self, text: str, file: str, limits: Limits) -> None:
        self.text, self.file, self.limits = text, file, limits
        self.diags: list[Diagnostic] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Node, int, int]] = {}  # node, size, height
        self.building: set[str] = set()
        self.nodes = self.aliases = self.docs = self.path_chars = 0
        self.root: Node | None = None

    def report(self, what: str, mark: Mark, path: str | None, *args: object) -> None:
        msg, hint = _TEXTS[what]
        self.diags.append(Diagnostic(_CODES.get(what, "yaml-syntax"), msg.format(*args),
                                     hint=hint.format(*args), file=self.file, line=mark.line,
                                     column=mark.column, path=path))
        if what in _FATAL:
            raise Stop

    def run(self, events: Iterable[Any]) -> None:
        for ev in events:
            kind = type(ev).__name__
            if kind == "ScalarEvent":
                self.scalar(ev)
            elif kind in ("MappingStartEvent", "SequenceStartEvent"):
                self.start(ev, kind == "MappingStartEvent")
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                f = self.stack.pop()
                node = Node(f.items, f.mark, f.path, f.keys if isinstance(f.items, dict)
                            else _NO_KEYS, None, None, self.text)
                self.attach(node, f.size, f.height, f.anchor)
            elif kind == "AliasEvent":
                self.alias(ev)
            elif kind == "DocumentStartEvent":
                self.docs += 1
                if self.docs > 1:
                    self.report("docs", mark_of(ev.start_mark), None)
        if self.docs == 0:
            self.report("empty", Mark(1, 1), None)

    def count(self, n: int, m: Mark, depth: int) -> str:
        self.nodes += n
        if self.nodes > self.limits.max_nodes:
            self.report("nodes", m, None, self.limits.max_nodes)
        if depth > self.limits.max_depth:
            self.report("depth", m, None, self.limits.max_depth)
        if not self.stack:
            return ""
        top = self.stack[-1]
        if isinstance(top.items, list):
            path = f"{top.path}[{len(top.items)}]"
        else:
            path = _join(top.path, top.key) if top.key_mark is not None else top.path
        self.path_chars += len(path)
        if self.path_chars > _PATH_CHARS:
            self.report("paths", m, None)
        return path

    def content_start(self, ev: Any) -> tuple[int, Mark]:
        """Skip a node's anchor and tag: where its content starts."""
        i, line, col = ev.start_mark.index, ev.start_mark.line + 1, ev.start_mark.column + 1
        text, end = self.text, ev.end_mark.index
        while i < end and text[i] in "&!":
            while i < end and not text[i].isspace():
                i, col = i + 1, col + 1
            while i < end and text[i].isspace():
                line, col = (line + 1, 1) if text[i] in BREAKS else (line, col + 1)
                i += 1
        return i, Mark(line, col)

    def check_tag(self, ev: Any, kind: str, path: str) -> str | None:
        """Return the standard type a tag asks for; report every other tag."""
        tag: str = ev.tag
        if tag == "!":
            return None
        std = tag[len(_STD):] if tag.startswith(_STD) else ""
        at = self.text.find("!", ev.start_mark.index, ev.end_mark.index)
        at = ev.start_mark.index if at < 0 else at
        if std not in ("str", "int", "float", "bool", "null", "map", "seq"):
            shown = re.split(r"\s", self.text[at:at + 80], maxsplit=1)[0]
            self.report("tag", offset_mark(self.text, at), path, shown)
            return None
        if (std in ("map", "seq") or kind != "scalar") and std != kind:
            self.report("misfit", offset_mark(self.text, at), path, std)
        elif kind == "scalar" and std in ("int", "float", "bool", "null"):
            value = _resolve(ev.value)
            fits = {"int": type(value) is int, "float": type(value) in (int, float),
                    "bool": type(value) is bool, "null": value is None}[std]
            if not fits:
                self.report("misfit", offset_mark(self.text, at), path, std)
                return None
        return std

    def start(self, ev: Any, is_map: bool) -> None:
        m = mark_of(ev.start_mark)
        path = self.count(1, m, len(self.stack) + 1)
        if ev.tag is not None:
            self.check_tag(ev, "map" if is_map else "seq", path)
        if ev.anchor:
            self.building.add(ev.anchor)
        self.stack.append(_Frame({} if is_map else [], path, m, ev.anchor))

    def scalar(self, ev: Any) -> None:
        sm, raw, style = ev.start_mark, ev.value, ev.style or None  # libyaml: '' for plain
        if ev.tag is None and ev.anchor is None:
            start, m = sm.index, Mark(sm.line + 1, sm.column + 1)
        else:
            start, m = self.content_start(ev)
        path = self.count(1, m, len(self.stack))
        if len(raw) > self.limits.max_scalar_chars:
            self.report("scalar", m, path, self.limits.max_scalar_chars)
        value: object = raw
        std = None if ev.tag is None else self.check_tag(ev, "scalar", path)
        if (style is None and ev.tag is None) or std in ("int", "float", "bool", "null"):
            value = _resolve(raw)
            if isinstance(value, _TooLong):
                self.report("digits", m, path, raw[:12])
                value = raw
            elif type(value) is int and raw[:2] in ("0x", "0o"):  # YAML 1.2, rare in policy
                self.report("radix", m, path, raw, 16 if raw[:2] == "0x" else 8, value)
            elif std == "float":
                value = float(value)  # type: ignore[arg-type]
        if ev.anchor:
            self.building.add(ev.anchor)
        self.attach(Node(value, m, path, _NO_KEYS, style, (start, ev.end_mark.index), self.text),
                    1, 0, ev.anchor)

    def alias(self, ev: Any) -> None:
        m, name = mark_of(ev.start_mark), ev.anchor
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            self.report("aliases", m, None, self.limits.max_aliases)
        if name not in self.anchors:
            self.report("recursive" if name in self.building else "undefined", m, None, name)
        node, size, height = self.anchors[name]
        path = self.count(size, m, len(self.stack) + height)
        self.attach(self.repath(node, path, m), size, height, None)

    def repath(self, node: Node, path: str, m: Mark) -> Node:
        """Copy an anchored subtree under an alias's path (marks stay at the anchor)."""
        self.path_chars += len(path)
        if self.path_chars > _PATH_CHARS:
            self.report("paths", m, None)
        value = node.value
        if isinstance(value, dict):
            value = {k: self.repath(v, _join(path, k), m) for k, v in value.items()}
        elif isinstance(value, list):
            value = [self.repath(v, f"{path}[{i}]", m) for i, v in enumerate(value)]
        return Node(value, node.mark, path, node.key_marks, node.style, node.source_span,
                    node.source)

    def attach(self, node: Node, size: int, height: int, anchor: str | None) -> None:
        if anchor:
            self.anchors[anchor] = (node, size, height)
            self.building.discard(anchor)
        if not self.stack:
            self.root = node
            return
        top = self.stack[-1]
        top.size += size
        top.height = max(top.height, height + 1)
        if isinstance(top.items, list):
            top.items.append(node)
        elif top.key_mark is None:  # this node is a key
            top.key, top.key_mark = self.key_of(node, top), node.mark
        else:
            if top.key is not None:
                top.items[top.key], top.keys[top.key] = node, top.key_mark
            top.key, top.key_mark = None, None

    def key_of(self, node: Node, top: _Frame) -> str | None:
        """Return the key's text, or None (its value is then dropped) after saying why."""
        if not node.is_scalar():
            self.report("complex", node.mark, top.path)
            return None
        s, e = node.source_span or (0, 0)
        key = node.value if isinstance(node.value, str) else self.text[s:e]
        if key == "<<" and node.style is None:
            self.report("merge", node.mark, top.path)
            return None
        if key in top.keys:
            first = top.keys[key]
            self.report("duplicate", node.mark, _join(top.path, key), key, first.line,
                        first.column)
            return None
        return key


class _TooLong:
    """A number with more digits than ``int()`` accepts."""


def _resolve(raw: str) -> object:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
    if raw[:1] not in _STARTS:
        return raw
    if raw in _NULLS:
        return None
    if raw in _BOOLS:
        return _BOOLS[raw]
    try:
        if _INT.fullmatch(raw):
            base = {"0o": 8, "0x": 16}.get(raw[:2], 10)
            return int(raw[2:] if base != 10 else raw, base)
        if _FLOAT.fullmatch(raw):
            return float(raw)
    except ValueError:
        return _TooLong()
    if raw in _SPECIAL:
        return _SPECIAL[raw]
    return float("nan") if raw in (".nan", ".NaN", ".NAN") else raw


def _join(path: str, key: str | None) -> str:
    """Join ``rules`` and ``when`` as ``rules.when``; quote odd keys: ``x["a.b"]``."""
    key = key or ""
    if _SIMPLE_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"

