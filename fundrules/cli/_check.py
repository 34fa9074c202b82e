"""``fundrules check [PACK_FILE...]``: every problem of each pack at once."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from fundrules.policies.pack import check_pack
from fundrules.policies.registry import builtin_pack_dir, pack_files

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("check", help="report every problem of pack files",
                       description="Check packs (default: the built-in ones). Prints "
                       "file:line:col: code: message. Exit 1 when any pack has an error.")
    p.add_argument("files", nargs="*", metavar="PACK_FILE")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check each pack; exit 1 on errors, 0 when there are none (warnings allowed)."""
    files = list(pack_files(args.files or [builtin_pack_dir()]))
    found = {str(f): check_pack(f) for f in files}
    errors = sum(1 for ds in found.values() for d in ds if d.severity == "error")
    if args.format == "json":
        print(json.dumps([d.as_dict() for ds in found.values() for d in ds], indent=2,
                         ensure_ascii=False))
    else:
        for file, diagnostics in found.items():
            for d in diagnostics:
                print(d.format())
            if not diagnostics:
                print(f"{file}: ok")
        warnings = sum(len(ds) for ds in found.values()) - errors
        print(f"{len(files)} pack(s), {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0
