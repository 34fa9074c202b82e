"""YAML text to a located tree, safely: packs may come from careless or hostile people.

No Python object is ever built from a tag. One iterative pass over the SafeLoader's event
stream (libyaml when installed, 20x faster; PyYAML's recursive composer is never used, so
deep nesting cannot overflow the stack) checks every limit as it goes and builds
:class:`Node` objects that remember where each value was written. Scalars follow the YAML
1.2 core schema: ``NO`` stays the string ``"NO"`` (Norway) and dates stay strings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import yaml
from yaml.reader import ReaderError

from fundrules.diagnostics import Diagnostic

__all__ = ["Limits", "LoadResult", "Mark", "Node", "load_bytes", "load_file", "load_text"]

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same events and marks
_BREAKS = "\n\r\x85\u2028\u2029"
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
_DEPTH = ("the YAML is nested more than {} levels deep",
          "flatten the structure: a pack never needs this depth")
_TEXTS: dict[str, tuple[str, str]] = {  # message and hint of every problem found in a pass
    "depth": _DEPTH,
    "nodes": ("the YAML holds more than {} values (aliases counted expanded)",
              "split the file, or write fewer `*` aliases"),
    "aliases": ("the YAML uses more than {} aliases",
                "write the values out instead of repeating them with `*` aliases"),
    "paths": ("the YAML's keys are too long or nested too deep", "use short keys"),
    "scalar": ("a value is longer than {} characters", "shorten it or keep it out of the pack"),
    "digits": ("the number `{}...` has too many digits", "shorten it"),
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
_CODES = dict.fromkeys(("depth", "nodes", "paths", "aliases", "scalar", "digits"), "yaml-limit")
_CODES |= {"tag": "yaml-tag", "duplicate": "yaml-duplicate-key", "misfit": "wrong-type",
           "complex": "wrong-type", "merge": "wrong-type"}  # the rest: yaml-syntax


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


@dataclasses.dataclass(frozen=True)
class Limits:
    """Safety limits; each one is reported as ``yaml-limit`` when exceeded."""

    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 200_000  # counted after alias expansion
    max_aliases: int = 100
    max_scalar_chars: int = 100_000


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """The tree (None when errors prevented building one) and every problem found.

    ``root`` may come with non-fatal errors (a duplicate key keeps its first value, a
    refused tag keeps the raw text, a complex key is dropped): check :attr:`ok` before
    trusting it. ``digest`` is '' when the bytes were not read.
    """

    root: Node | None
    diagnostics: tuple[Diagnostic, ...]
    text: str
    digest: str

    @property
    def ok(self) -> bool:
        """Tell whether there is a tree and no error."""
        return self.root is not None and all(d.severity != "error" for d in self.diagnostics)


class _Stop(Exception):
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


class _Builder:
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
            raise _Stop

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
                    self.report("docs", _mark(ev.start_mark), None)
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
                line, col = (line + 1, 1) if text[i] in _BREAKS else (line, col + 1)
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
            self.report("tag", _offset_mark(self.text, at), path, shown)
            return None
        if (std in ("map", "seq") or kind != "scalar") and std != kind:
            self.report("misfit", _offset_mark(self.text, at), path, std)
        elif kind == "scalar" and std in ("int", "float", "bool", "null"):
            value = _resolve(ev.value)
            fits = {"int": type(value) is int, "float": type(value) in (int, float),
                    "bool": type(value) is bool, "null": value is None}[std]
            if not fits:
                self.report("misfit", _offset_mark(self.text, at), path, std)
                return None
        return std

    def start(self, ev: Any, is_map: bool) -> None:
        m = _mark(ev.start_mark)
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
            elif std == "float":
                value = float(value)  # type: ignore[arg-type]
        if ev.anchor:
            self.building.add(ev.anchor)
        self.attach(Node(value, m, path, _NO_KEYS, style, (start, ev.end_mark.index), self.text),
                    1, 0, ev.anchor)

    def alias(self, ev: Any) -> None:
        m, name = _mark(ev.start_mark), ev.anchor
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


def _mark(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def _offset_mark(text: str, at: int) -> Mark:
    return Mark(text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))


def _join(path: str, key: str | None) -> str:
    """Join ``rules`` and ``when`` as ``rules.when``; quote odd keys: ``x["a.b"]``."""
    key = key or ""
    if _SIMPLE_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


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
        if q > p and (q >= end or text[q] not in _BREAKS):  # inner spaces: one char each
            n = min(q - p, offset - v)
            p, col, v = p + n, col + n, v + n
        elif text[p] in _BREAKS or q > p:  # a fold: trailing spaces, breaks, indentation
            breaks = 0
            while p < end and text[p] in " \t" + _BREAKS:
                if text[p] in _BREAKS:
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


_SYNTAX = (  # (regex over what PyYAML or libyaml says, our message, our hint)
    ("mapping values are not allowed", "a `:` is not allowed here",
     "check this line's indentation, or put the value in quotes if it contains `: `"),
    ("cannot start any token.*TAB", "a tab cannot indent YAML", "indent with spaces only"),
    ("cannot start any token", "a value cannot start with `{char}`", "put the value in quotes"),
    ("unknown escape", "unknown escape in a double-quoted text",
     "write `\\\\` for a backslash, or use single quotes"),
    ("end of stream.*quoted", "the quoted text starting{where} is never closed",
     "add the closing quote"),
    ("',' or ']'", "expected `,` or `]` in the list opened{where}",
     "separate items with `,` and close the list with `]`"),
    ("',' or '}'", "expected `,` or `}}` in the mapping opened{where}",
     "separate entries with `,` and close the mapping with `}`"),
    ("could not find expected ':'", "a key is missing its `:`",
     "write `key: value`, or put the whole text in quotes"),
    ("block end|expected key|'-' indicator", "this line does not line up with the lines above it",
     "items of one list or mapping must start in the same column"),
)


def _syntax(err: yaml.YAMLError, text: str) -> tuple[str, str, Mark | None]:
    """Rewrite PyYAML's or libyaml's complaint for a policy author."""
    if isinstance(err, ReaderError):
        code = err.character if isinstance(err.character, int) else 0
        at = text.find(chr(code)) if code else -1
        return (f"the file contains the invisible control character U+{code:04X}",
                "delete it (retype the line if you cannot see it)",
                _offset_mark(text, at) if at >= 0 else None)
    pm = getattr(err, "problem_mark", None)
    if not isinstance(err, yaml.MarkedYAMLError) or pm is None:
        return "the YAML is not valid", "check indentation, colons and quotes", None
    problem, ctx = (err.problem or "").strip().rstrip("."), err.context_mark
    where = f" at line {ctx.line + 1}, column {ctx.column + 1}" if ctx else ""
    char = text[pm.index] if pm.index < len(text) else ""
    said = f"{problem}\t{err.context or ''}" + ("\tTAB" if char == "\t" else "")
    for needle, msg, hint in _SYNTAX:
        if re.search(needle, said, re.DOTALL):
            return msg.format(char=char, where=where), hint, _mark(pm)
    clean = re.sub(r"[<>\"]", "", problem).replace("'", "`")
    return (f"the YAML is not valid: {clean}",
            "check indentation, colons and quotes" + (f" ({err.context}{where})"
                                                      if err.context else ""), _mark(pm))


def _fail(code: str, msg: str, hint: str, file: str, mark: Mark | None = None,
          digest: str = "") -> LoadResult:
    line, col = (mark.line, mark.column) if mark else (None, None)
    diag = Diagnostic(code, msg, hint=hint, file=file, line=line, column=col)
    return LoadResult(None, (diag,), "", digest)


def _too_big(file: str, size: int, limits: Limits) -> LoadResult:
    return _fail("yaml-limit", f"the file has {size} bytes, more than the limit of "
                 f"{limits.max_bytes}", "split it into smaller files", file, Mark(1, 1))


def load_text(text: str, *, file: str, limits: Limits = Limits()) -> LoadResult:
    """Parse one YAML document held in a string."""
    if len(text) > limits.max_bytes:  # cheap check first: never encode a huge string
        return _too_big(file, len(text), limits)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        return _fail("file-unreadable", "the text contains an invalid character (a lone "
                     "surrogate)", "save the file as UTF-8", file, _offset_mark(text, e.start))
    if len(data) > limits.max_bytes:
        return _too_big(file, len(data), limits)
    return _load(text.removeprefix("\ufeff"), data, file, limits)


def load_bytes(data: bytes, *, file: str, limits: Limits = Limits()) -> LoadResult:
    """Parse UTF-8 bytes (a BOM is allowed)."""
    if len(data) > limits.max_bytes:
        return _too_big(file, len(data), limits)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        nl = data.rfind(b"\n", 0, e.start)
        mark = Mark(data.count(b"\n", 0, e.start) + 1,
                    len(data[nl + 1:e.start].decode("utf-8", "replace")) + 1)
        return _fail("file-unreadable", f"the file is not UTF-8 text (byte "
                     f"0x{data[e.start]:02x} cannot be read)", "save the file with UTF-8 "
                     "encoding", file, mark, hashlib.sha256(data).hexdigest())
    return _load(text, data, file, limits)


def load_file(path: str | os.PathLike[str], *, limits: Limits = Limits()) -> LoadResult:
    """Read and parse a file; its size is checked before it is read."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device could block or never end
            return _fail("file-unreadable", f"`{name}` is not a regular file",
                         "give the path of a YAML file", name)
        if st.st_size > limits.max_bytes:
            return _too_big(name, st.st_size, limits)
        with open(name, "rb") as fh:
            data = fh.read(limits.max_bytes + 1)  # bounded even if the file grew
    except FileNotFoundError:
        return _fail("file-unreadable", f"cannot read `{name}`: no such file",
                     "check the path and its spelling", name)
    except IsADirectoryError:
        return _fail("file-unreadable", f"`{name}` is a directory, not a file",
                     "give the path of a YAML file inside it", name)
    except PermissionError:
        return _fail("file-unreadable", f"cannot read `{name}`: permission denied",
                     "check the file's permissions", name)
    except OSError as e:
        return _fail("file-unreadable", f"cannot read `{name}`: "
                     f"{(e.strerror or type(e).__name__).lower()}", "check the path", name)
    return load_bytes(data, file=name, limits=limits)


def _load(text: str, data: bytes, file: str, limits: Limits) -> LoadResult:
    digest = hashlib.sha256(data).hexdigest()
    builder = _Builder(text, file, limits)
    try:
        builder.run(yaml.parse(text, Loader=_LOADER))
    except _Stop:
        return LoadResult(None, tuple(builder.diags), text, digest)
    except yaml.YAMLError as err:
        msg, hint, mark = _syntax(err, text)
        code = "yaml-syntax"
        if "nesting depth" in str(getattr(err, "problem", "")):  # libyaml stops at 1000
            depth = min(limits.max_depth, 1000)
            code, msg, hint = "yaml-limit", _DEPTH[0].format(depth), _DEPTH[1]
        line, col = (mark.line, mark.column) if mark else (None, None)
        diag = Diagnostic(code, msg, hint=hint, file=file, line=line, column=col)
        return LoadResult(None, (*builder.diags, diag), text, digest)
    return LoadResult(builder.root, tuple(builder.diags), text, digest)
