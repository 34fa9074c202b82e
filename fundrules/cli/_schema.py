"""``fundrules schema applicant|decision|pack|cases [--path]``: JSON Schemas for forms; editors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fundrules.authoring import SCHEMAS, schema_path, schema_text
from fundrules.cli._common import ExitCode

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("schema", help="print the JSON Schema of applicants, decisions, packs or "
                       "test cases", description="Print the JSON Schema (draft 2020-12) of an "
                       "applicant document, of a decision, of a policy pack or of a YAML test-case "
                       "file. The same files ship in the package (and in a checkout's "
                       "docs/schema/).")
    p.add_argument("which", choices=list(SCHEMAS))
    p.add_argument("--path", action="store_true",
                   help="print the path of the shipped file instead, for an editor's "
                        "`# yaml-language-server: $schema=` line")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema (or the path of its shipped file) on stdout."""
    if args.path:
        path = schema_path(args.which)
        if path is None:
            print(f"fundrules schema: no shipped {args.which}.schema.json in this installation; "
                  f"write one with `fundrules schema {args.which} > {args.which}.schema.json`",
                  file=sys.stderr)
            return ExitCode.BAD_INPUT
        print(path)
        return ExitCode.OK
    sys.stdout.write(schema_text(args.which))
    return ExitCode.OK
