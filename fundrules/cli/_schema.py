"""``fundrules schema applicant|decision|pack``: JSON Schemas for forms, callers, editors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fundrules.jsonschema import schema_text

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("schema", help="print the JSON Schema of applicants, decisions or packs",
                       description="Print the JSON Schema (draft 2020-12) of an applicant "
                       "document, of a decision or of a policy pack. The same files ship in "
                       "docs/schema/.")
    p.add_argument("which", choices=["applicant", "decision", "pack"])
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema on stdout."""
    sys.stdout.write(schema_text(args.which))
    return 0
