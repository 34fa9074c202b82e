"""Reading applicant documents (JSON or YAML files) into validated Applicants.

Files go through the same safe, limited YAML loader as packs (JSON is read by it
too), so a hostile document can neither run code nor exhaust memory. A problem found
by the schema is put back on the located tree: its diagnostic gets the line and column of
the field it names (only once validation has failed: valid documents are never walked).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from fundrules.diagnostics import Diagnostic
from fundrules.errors import ApplicantError
from fundrules.policies.loader import Limits, Mark, Node, load_file, load_text
from fundrules.schema import Applicant, parse_applicant

__all__ = ["APPLICANT_LIMITS", "LOCATED_CODES", "locate", "locate_in_file", "locate_in_text",
           "read_applicant", "strict_json"]

#: Safety limits for applicant files (a full applicant holds a few thousand values).
APPLICANT_LIMITS = Limits(max_nodes=50_000)


def read_applicant(path: str | os.PathLike[str]) -> Applicant:
    """Load and validate one applicant file; raise :class:`ApplicantError` naming file and field."""
    loaded = load_file(path, limits=APPLICANT_LIMITS)
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    if errors or loaded.root is None:
        raise ApplicantError(errors or loaded.diagnostics)
    try:
        return parse_applicant(loaded.root.to_plain(), file=str(path))
    except ApplicantError as exc:  # the error path only: the success path never walks
        raise ApplicantError(locate(exc.diagnostics, loaded.root)) from None


#: The codes whose ``path`` is a path in the applicant document (located by :func:`locate`).
LOCATED_CODES = frozenset({"applicant-invalid", "unknown-call"})

_STEP = re.compile(r"\[(\d+)\]")


def _node_at(root: Node, path: str) -> Mark:
    """Where ``path`` (``engagements[0].start``) was written, or its nearest written parent.

    A missing key is at the mapping that lacks it; an entry whose value starts on a later
    line (a block list or mapping) is at its key, so the line named is the one to edit.
    """
    node, mark, rest = root, root.mark, path
    while rest:
        if isinstance(node.value, list):
            step = _STEP.match(rest)
            if step is None or int(step.group(1)) >= len(node.value):
                break
            node = node.value[int(step.group(1))]
            mark, rest = node.mark, rest[step.end():].removeprefix(".")
        elif isinstance(node.value, dict):
            keys = [k for k in node.value
                    if rest == k or rest.startswith((f"{k}.", f"{k}["))]
            if not keys:
                break
            key = max(keys, key=len)
            child, key_mark = node.value[key], node.key_marks.get(key)
            mark = child.mark
            if key_mark is not None and child.mark.line > key_mark.line:
                mark = key_mark
            node, rest = child, rest[len(key):].removeprefix(".")
        else:
            break
    return mark


def locate(diagnostics: Iterable[Diagnostic], root: Node, *, line: int | None = None
           ) -> list[Diagnostic]:
    """Give each applicant diagnostic without a position the line and column of its path.

    ``root`` is the located tree of the document. With ``line`` (a JSON Lines line, read
    on its own), that line number is kept and only the column is taken from the tree.
    """
    found = []
    for d in diagnostics:
        if d.code in LOCATED_CODES and d.line is None:
            mark = _node_at(root, d.path or "")
            d = dataclasses.replace(d, line=line or mark.line, column=mark.column)
        found.append(d)
    return found


def locate_in_text(diagnostics: Iterable[Diagnostic], text: str, *, file: str | None,
                   line: int) -> list[Diagnostic]:
    """:func:`locate` for one JSON Lines line: re-read it with the located loader.

    Only called once a line has failed, so the fast JSON reading of good lines is kept.
    A line the located loader cannot read keeps its line number alone.
    """
    diagnostics = list(diagnostics)
    loaded = load_text(text, file=file or "<input>", limits=APPLICANT_LIMITS)
    if loaded.root is None or loaded.root.mark.line != 1:
        return diagnostics
    return locate(diagnostics, loaded.root, line=line)


def json_problem_column(text: str) -> int | None:
    """The column of what makes a parsed JSON line unreadable, None when not found.

    A repeated key (its second occurrence) or a ``NaN``/``Infinity``, as the located
    loader sees them. Called on the error path only.
    """
    loaded = load_text(text, file="<input>", limits=APPLICANT_LIMITS)
    for d in loaded.diagnostics:
        if d.code == "yaml-duplicate-key" and d.line == 1 and d.column is not None:
            return d.column
    stack = [loaded.root] if loaded.root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node.value, dict | list):
            items = node.value.values() if isinstance(node.value, dict) else node.value
            stack.extend(reversed(list(items)))
        elif node.style is None and node.value in _CONSTANTS and node.mark.line == 1:
            return node.mark.column
    return None


_CONSTANTS = frozenset({"NaN", "Infinity", "-Infinity"})


def locate_in_file(diagnostics: Iterable[Diagnostic], path: str | os.PathLike[str]
                   ) -> list[Diagnostic]:
    """Name the applicant file ``path`` in diagnostics about it, with line and column.

    For a problem found after reading (an unknown ``call``): a diagnostic of
    :data:`LOCATED_CODES` that names no file gets ``path`` and, when its field is in the
    file, the field's position. Other diagnostics are returned as they are.
    """
    name = os.fspath(path)
    diagnostics = list(diagnostics)
    own = [d for d in diagnostics if d.code in LOCATED_CODES and d.file is None]
    if not own:
        return diagnostics
    loaded = load_file(name, limits=APPLICANT_LIMITS)
    named = [dataclasses.replace(d, file=name)
             if d.code in LOCATED_CODES and d.file is None else d for d in diagnostics]
    return named if loaded.root is None else locate(named, loaded.root)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key `{key[:60]}` appears twice in one object")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


def strict_json(text: str | bytes) -> Any:
    """JSON as an applicant document must be: no repeated key, no NaN or Infinity.

    Raises :class:`json.JSONDecodeError` for bad syntax and :class:`ValueError` (or
    :class:`RecursionError`) for the rest; callers turn both into located diagnostics.
    """
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
