"""``fundrules evaluate FILE... [--pack ID]... [--lang L] [--format text|json]``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fundrules.cli._common import ExitCode, add_engine_options, engine_from, print_diagnostics
from fundrules.errors import FundrulesError
from fundrules.explain import decision_text
from fundrules.i18n import printable
from fundrules.io import locate_in_file, read_applicant

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("evaluate", help="decide applicants (JSON or YAML files)",
                       description="Decide each applicant against the packs; no --pack means "
                       "every pack. Exit 0 when every input was evaluated, 2 otherwise.")
    p.add_argument("files", nargs="+", metavar="FILE", help="applicant file (JSON or YAML)")
    p.add_argument("--pack", action="append", default=[], metavar="ID",
                   help="pack id (repeatable; default: every pack)")
    p.add_argument("--lang", choices=["fr", "en", "it", "es"], default=None,
                   help="language of the messages (default: English where available)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    add_engine_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate every file; invalid files are reported on stderr and make the exit code 2."""
    try:
        engine = engine_from(args)
        packs = [engine.pack(p).id for p in args.pack]
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    failed = False
    decisions = []
    for file in args.files:
        try:
            applicant = read_applicant(file)
            if packs:
                decisions += [engine.evaluate(applicant, p, lang=args.lang) for p in packs]
            else:
                decisions += engine.evaluate_all(applicant, lang=args.lang)
        except FundrulesError as exc:  # an unknown `call:` too is the file's, at its line
            print_diagnostics(locate_in_file(exc.diagnostics, file))
            failed = True
    if args.format == "json":
        print(json.dumps([d.model_dump(mode="json") for d in decisions], indent=2,
                         ensure_ascii=False))
    else:
        print(printable("\n\n".join(decision_text(d, args.lang or "en") for d in decisions)))
    return ExitCode.BAD_INPUT if failed else ExitCode.OK
