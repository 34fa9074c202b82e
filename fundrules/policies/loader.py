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
import os
import re
import stat
from typing import Any

import yaml
from yaml.reader import ReaderError

from fundrules.diagnostics import Diagnostic
from fundrules.policies._yaml_build import DEPTH, Builder, Stop
from fundrules.policies._yaml_node import Limits, Mark, Node, mark_of, offset_mark

__all__ = ["Limits", "LoadResult", "Mark", "Node", "load_bytes", "load_file", "load_text"]

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same events and marks


#: The limits used when none are given (generous for any real pack or applicant).
DEFAULT_LIMITS = Limits()


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
        pos = err.position  # U+0000 included: a NUL byte is located like any other
        at = pos if 0 <= pos < len(text) and ord(text[pos]) == code else text.find(chr(code))
        return (f"the file contains the invisible control character U+{code:04X}",
                "delete it (retype the line if you cannot see it)",
                offset_mark(text, at) if at >= 0 else None)
    pm = getattr(err, "problem_mark", None)
    if not isinstance(err, yaml.MarkedYAMLError) or pm is None:
        return "the YAML is not valid", "check indentation, colons and quotes", None
    problem, ctx = (err.problem or "").strip().rstrip("."), err.context_mark
    where = f" at line {ctx.line + 1}, column {ctx.column + 1}" if ctx else ""
    char = text[pm.index] if pm.index < len(text) else ""
    said = f"{problem}\t{err.context or ''}" + ("\tTAB" if char == "\t" else "")
    for needle, msg, hint in _SYNTAX:
        if re.search(needle, said, re.DOTALL):
            return msg.format(char=char, where=where), hint, mark_of(pm)
    clean = re.sub(r"[<>\"]", "", problem).replace("'", "`")
    return (f"the YAML is not valid: {clean}",
            "check indentation, colons and quotes" + (f" ({err.context}{where})"
                                                      if err.context else ""), mark_of(pm))


def _fail(code: str, msg: str, hint: str, file: str, mark: Mark | None = None,
          digest: str = "") -> LoadResult:
    line, col = (mark.line, mark.column) if mark else (None, None)
    diag = Diagnostic(code, msg, hint=hint, file=file, line=line, column=col)
    return LoadResult(None, (diag,), "", digest)


def _too_big(file: str, size: int, limits: Limits) -> LoadResult:
    return _fail("yaml-limit", f"the file has {size} bytes, more than the limit of "
                 f"{limits.max_bytes}", "split it into smaller files", file, Mark(1, 1))


def load_text(text: str, *, file: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Parse one YAML document held in a string."""
    if len(text) > limits.max_bytes:  # cheap check first: never encode a huge string
        return _too_big(file, len(text), limits)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        return _fail("file-unreadable", "the text contains an invalid character (a lone "
                     "surrogate)", "save the file as UTF-8", file, offset_mark(text, e.start))
    if len(data) > limits.max_bytes:
        return _too_big(file, len(data), limits)
    return _load(text.removeprefix("\ufeff"), data, file, limits)


def load_bytes(data: bytes, *, file: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
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


def load_file(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
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
    builder = Builder(text, file, limits)
    try:
        builder.run(yaml.parse(text, Loader=_LOADER))
    except Stop:
        return LoadResult(None, tuple(builder.diags), text, digest)
    except yaml.YAMLError as err:
        msg, hint, mark = _syntax(err, text)
        code = "yaml-syntax"
        if "nesting depth" in str(getattr(err, "problem", "")):  # libyaml stops at 1000
            depth = min(limits.max_depth, 1000)
            code, msg, hint = "yaml-limit", DEPTH[0].format(depth), DEPTH[1]
        line, col = (mark.line, mark.column) if mark else (None, None)
        diag = Diagnostic(code, msg, hint=hint, file=file, line=line, column=col)
        return LoadResult(None, (*builder.diags, diag), text, digest)
    return LoadResult(builder.root, tuple(builder.diags), text, digest)
