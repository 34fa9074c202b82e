"""Validate a pack element by element, so one shape error hides no other problem.

pydantic reports every shape error of a pack at once, but a pack with one such error has
no model, and without a model no later check (conditions, references, ids) could run: an
author fixing three errors needed three runs. Here each error is mapped to the smallest
element that holds it (one rule, exclusion, call, measure, source, parameter, award tier,
or a top-level key), that element is dropped from the tree (a harmless placeholder stands
in for a required top-level text), and the rest is validated again and checked as usual.

What the dropped elements defined (facts, measures, parameters, sources, ambiguities,
calls) is remembered in :class:`Dropped`, so that later checks do not report a reference
to one of them as a new error: the element's own error already says what is wrong.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from pydantic import ValidationError

from fundrules.diagnostics import Diagnostic
from fundrules.policies.loader import Mark, Node
from fundrules.policies.model import PackModel, diagnostic

__all__ = ["Dropped", "build_pack_partial"]

_LISTS = frozenset(("rules", "exclusions", "calls", "not_encoded", "monotonic"))
_MAPS = frozenset(("measures", "sources", "ambiguities", "parameters"))
#: sections that other parts read by name: when the whole section is unusable, nothing
#: after it can be checked without a cascade of follow-on errors
_VITAL = frozenset(("rules", "calls", "measures", "sources", "ambiguities", "parameters",
                    "currency", "languages"))
#: required top-level values nothing else reads: a placeholder lets the checks go on
_PLACEHOLDERS: dict[str, object] = {
    "pack": "pack", "version": "0", "title": {"en": "-"}, "country": "ZZ",
    "administrator": "-", "allocation": "first_come_first_served", "eligible": "true",
}
_WORD = re.compile(r"[a-z][a-z0-9_]*")
_PASSES = 4  # pydantic reports every error in the first pass; the others are a safety net


@dataclasses.dataclass(frozen=True)
class Dropped:
    """What the elements dropped for their own errors defined or read."""

    names: frozenset[str] = frozenset()  # facts (`then:`), measures and parameters
    params: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    ambiguities: frozenset[str] = frozenset()
    calls: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()  # every name written in them (for unused-* checks)
    awards: frozenset[Mark] = frozenset()  # awards (by position) that lost a tier
    ids: frozenset[tuple[str, Mark]] = frozenset()  # rule and exclusion ids, where written
    any: bool = False

    def __bool__(self) -> bool:
        return self.any


def _loc(err: Any) -> tuple[int | str, ...]:
    return tuple(s for s in err["loc"]
                 if not (isinstance(s, str) and s.startswith("function-")))


def _target(err: Any, root: Node) -> tuple[int | str, ...] | None:
    """The path of the element to drop (or replace) for one error; None when fatal."""
    loc = _loc(err)
    if not loc:
        return None
    section = loc[0]
    if section in _LISTS and len(loc) >= 2 and isinstance(loc[1], int):
        if section == "calls" and len(loc) >= 5 and loc[2:4] == ("award", "tiers") \
                and isinstance(loc[4], int):
            return loc[:5]
        return loc[:2]
    if section in _MAPS and len(loc) >= 2 and isinstance(loc[1], str) and loc[1] != "[key]":
        return loc[:2]
    if section == "award" and len(loc) >= 3 and loc[1] == "tiers" and isinstance(loc[2], int):
        return loc[:3]
    if err["type"] == "extra_forbidden" and len(loc) == 1:
        return loc
    if section in _VITAL:
        return None
    if section in _PLACEHOLDERS:
        return (section,)
    field = PackModel.model_fields.get(str(section))
    if field is not None and not field.is_required():
        return (section,)
    return None


def _words(node: Node) -> set[str]:
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n.value, dict):
            out |= {w for k in n.value for w in _WORD.findall(k)}
            stack += n.value.values()
        elif isinstance(n.value, list):
            stack += n.value
        elif isinstance(n.value, str):
            out |= set(_WORD.findall(n.value))
    return out


def _at(root: Node, path: tuple[int | str, ...]) -> Node | None:
    node: Node | None = root
    for step in path:
        if node is None:
            return None
        if isinstance(step, int):
            items = node.value if isinstance(node.value, list) else []
            node = items[step] if 0 <= step < len(items) else None
        else:
            node = node.get(step)
    return node


def _text(node: Node | None, key: str) -> str | None:
    child = node.get(key) if node is not None else None
    return child.value if child is not None and isinstance(child.value, str) else None


def _rebuild(node: Node, prefix: tuple[int | str, ...],
             edits: dict[tuple[int | str, ...], Node | None]) -> Node:
    """A copy of ``node`` with the edits applied (None removes); marks and paths are kept."""
    def touched(path: tuple[int | str, ...]) -> bool:
        return any(t[:len(path)] == path for t in edits)

    if isinstance(node.value, dict):
        items: dict[str, Node] = {}
        for key, child in node.value.items():
            path = (*prefix, key)
            if path in edits:
                replacement = edits[path]
                if replacement is not None:
                    items[key] = replacement
            else:
                items[key] = _rebuild(child, path, edits) if touched(path) else child
        for path, replacement in edits.items():  # placeholders for absent required keys
            if path[:-1] == prefix and isinstance(path[-1], str) and replacement is not None:
                items.setdefault(path[-1], replacement)
        marks = {k: m for k, m in node.key_marks.items() if k in items}
        return dataclasses.replace(node, value=items, key_marks=marks)
    if isinstance(node.value, list):
        kept = []
        for i, child in enumerate(node.value):
            path = (*prefix, i)
            if path in edits:
                continue  # list elements are only ever removed
            kept.append(_rebuild(child, path, edits) if touched(path) else child)
        return dataclasses.replace(node, value=kept)
    return node


def _record(acc: dict[str, set[Any]], root: Node, path: tuple[int | str, ...]) -> None:
    """Remember what a dropped element defined."""
    node = _at(root, path)
    if node is not None:
        acc["words"] |= _words(node)
    section = path[0]
    if section in ("rules", "exclusions") and len(path) == 2:
        fact = _text(node, "then")
        acc["names"] |= {fact} if fact else set()
        ident = node.get("id") if node is not None else None
        if ident is not None and isinstance(ident.value, str):
            acc["ids"].add((ident.value, ident.mark))
    elif section == "calls" and len(path) == 2:
        call = _text(node, "id")
        acc["calls"] |= {call} if call else set()
    elif section in _MAPS and len(path) == 2:
        name = str(path[1])
        key = {"measures": "names", "parameters": "params", "sources": "sources",
               "ambiguities": "ambiguities"}[str(section)]
        acc[key].add(name)
        if section == "parameters":
            acc["names"].add(name)
    elif (section == "award" and len(path) == 3) or (section == "calls" and len(path) == 5):
        award = _at(root, path[:-2])
        if award is not None:
            acc["awards"].add(award.mark)


def build_pack_partial(root: Node, file: str
                       ) -> tuple[PackModel | None, list[Diagnostic], Node, Dropped]:
    """The model of what is valid, every shape error, the tree it was built from, the drops.

    The model is None only when an error leaves nothing to check safely (the pack is not a
    mapping; `rules:`, `calls:`, `sources:`... is unusable as a whole; `currency` or
    `languages` is missing). The returned tree is ``root`` without the dropped elements:
    later checks locate problems in it (its nodes keep their original positions).
    """
    if not root.is_mapping():
        return None, [Diagnostic(
            "wrong-type", "a pack must be a mapping with keys such as `pack:` and `rules:`",
            hint="start the file with `pack: <id>` (see docs/pack-format.md)", file=file,
            line=root.mark.line, column=root.mark.column)], root, Dropped()
    found: list[Diagnostic] = []
    seen: set[Diagnostic] = set()
    acc: dict[str, set[Any]] = {k: set() for k in
                                ("names", "params", "sources", "ambiguities", "calls", "words",
                                 "awards", "ids")}
    current, dropped_any = root, False
    for _ in range(_PASSES):
        try:
            model = PackModel.model_validate(current.to_plain())
        except ValidationError as exc:
            errors = exc.errors()
            for e in errors:
                d = diagnostic(e, current, file)
                if d not in seen:  # a union's members say the same thing once
                    seen.add(d)
                    found.append(d)
            edits: dict[tuple[int | str, ...], Node | None] = {}
            for e in errors:
                path = _target(e, current)
                if path is None:
                    return None, found, current, Dropped()
                if len(path) == 1 and path[0] in _PLACEHOLDERS \
                        and e["type"] != "extra_forbidden":
                    value = _PLACEHOLDERS[str(path[0])]
                    edits[path] = Node(value if not isinstance(value, dict) else {
                        k: Node(v, current.mark, f"{path[0]}.{k}", {}, None, None)
                        for k, v in value.items()}, current.mark, str(path[0]), {}, None, None)
                    continue
                edits[path] = None
                _record(acc, current, path)
            dropped_any = True
            current = _rebuild(current, (), edits)
            continue
        dropped = Dropped(**{k: frozenset(v) for k, v in acc.items()},
                          any=dropped_any) if dropped_any else Dropped()
        return model, found, current, dropped
    return None, found, current, Dropped()
