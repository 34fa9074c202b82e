"""``fundrules check [PACK_FILE...]``: every problem of each pack at once."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fundrules.cli._common import ExitCode, print_diagnostics
from fundrules.diagnostics import Diagnostic
from fundrules.errors import FundrulesError
from fundrules.policies.pack import PACK_LIMITS, inspect_pack
from fundrules.policies.registry import PackRegistry
from fundrules.runtime.durable_form import limit_diagnostics

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("check", help="report every problem of pack files",
                       description="Check packs (default: the built-in ones). Prints "
                       "file:line:col: code: message, the line with a caret under the "
                       "column, and a hint. Exit 1 when any pack has an error.")
    p.add_argument("files", nargs="*", metavar="PACK_FILE")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=run)


def _source_lines(file: str) -> list[str]:
    """The file's lines as the loader counted them (none when unreadable or too large)."""
    try:
        path = Path(file)
        if path.stat().st_size > PACK_LIMITS.max_bytes:  # the loader refused it unread
            return []
        return path.read_bytes().decode("utf-8-sig", "replace").splitlines()
    except OSError:
        return []


_WIDTH = 100


def _excerpt(d: Diagnostic, lines: list[str]) -> list[str]:
    """The offending line and a caret under the column, as compilers show them."""
    if d.line is None or not 0 < d.line <= len(lines):
        return []
    text = lines[d.line - 1]
    column = d.column or 1
    start = max(0, column - 1 - _WIDTH // 2) if len(text) > _WIDTH else 0
    shown = text[start:start + _WIDTH]  # a long line is clipped around the column
    number = f"{d.line:>5} | "
    out = [number + ("…" if start else "") + shown + ("…" if start + _WIDTH < len(text) else "")]
    if d.column is not None:
        pad = "".join(c if c == "\t" else " " for c in shown[:column - 1 - start])
        out.append(" " * (len(number) - 2) + "| " + (" " if start else "") + pad + "^")
    return out


def _text(d: Diagnostic, lines: list[str]) -> str:
    """``file:line:col: code: message``, the excerpt, then the hint."""
    head = d.format().split("\n")[0] + (" (warning)" if d.severity == "warning" else "")
    tail = [f"    hint: {d.hint}"] if d.hint else []
    return "\n".join([head, *_excerpt(d, lines), *tail])


def _check(path: Path) -> list[Diagnostic]:
    """The pack's own problems, then what durable_rules (the default engine) cannot run."""
    pack, found = inspect_pack(path)
    for call in pack.calls.values() if pack is not None else ():
        found += [d for d in limit_diagnostics(call) if d not in found]
    return found


def run(args: argparse.Namespace) -> int:
    """Check each pack; exit 1 on errors, 0 when there are none (warnings allowed)."""
    try:
        registry = PackRegistry.discover()
        files = registry.resolve(args.files)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    print_diagnostics(registry.problems)
    found = {str(f): _check(f) for f in files}
    errors = sum(1 for ds in found.values() for d in ds if d.severity == "error")
    if args.format == "json":
        print(json.dumps([d.as_dict() for ds in found.values() for d in ds], indent=2,
                         ensure_ascii=False))
    else:
        for file, diagnostics in found.items():
            lines = _source_lines(file) if diagnostics else []
            for d in diagnostics:
                print(_text(d, lines))
            if not diagnostics:
                print(f"{file}: ok")
        warnings = sum(len(ds) for ds in found.values()) - errors
        print(f"{len(files)} pack(s), {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return ExitCode.PROBLEMS if errors else ExitCode.OK
