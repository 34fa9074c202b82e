"""``fundrules explain FILE [--pack ID] [--lang L] [--format text|json]``.

Reads a decision back: outcome, award, and for each criterion the facts it read, its
message and sources, and what would meet it. With ``--packs``, an author explains with
their own copy of a pack (it replaces the built-in pack of the same id).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from fundrules.api import Engine
from fundrules.cli._common import ExitCode, print_diagnostics
from fundrules.diagnostics import Diagnostic
from fundrules.errors import FundrulesError, UnknownPackError
from fundrules.explain import explain, render_text
from fundrules.io import locate_in_file, read_applicant
from fundrules.policies.registry import PackRegistry

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("explain", help="explain a decision criterion by criterion",
                       description="Decide one applicant against one pack and explain it: "
                       "outcome, award, each criterion with the facts it read and what "
                       "would meet it, and the facts to provide when it is incomplete. "
                       "Exit 0 when explained, 2 on an invalid applicant or unknown pack.")
    p.add_argument("file", metavar="FILE", help="applicant file (JSON or YAML)")
    p.add_argument("--pack", metavar="ID", default=None,
                   help="pack id (may be left out when only one pack is loaded)")
    p.add_argument("--lang", choices=["en", "fr", "it", "es"], default="en")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="colour the text (auto: on a terminal, unless NO_COLOR is set)")
    p.add_argument("--packs", action="append", default=[], metavar="PATH",
                   help="take packs from this file or folder too; a pack here replaces the "
                   "built-in pack with the same id (repeatable)")
    p.add_argument("--backend", choices=["durable", "python"], default="durable")
    p.set_defaults(run=run)


def _engine(args: argparse.Namespace) -> Engine:
    """The packs to explain with: ``--packs`` alone, or every pack.

    ``--packs`` alone when they hold the pack asked for (or none is asked); else the
    built-in and installed packs, ``--packs`` replacing those of the same id.
    """
    own = PackRegistry.discover(args.packs, builtin=False, plugins=False)
    if own.ids and (args.pack is None or args.pack in own.ids):
        return Engine(own.packs(), backend=args.backend)
    return Engine.from_paths(*args.packs, backend=args.backend, include_builtin=True)


def _pack_id(engine: Engine, args: argparse.Namespace) -> str:
    if args.pack is not None:
        return str(engine.pack(args.pack).id)
    if len(engine.pack_ids) == 1:
        return engine.pack_ids[0]
    raise UnknownPackError([Diagnostic(
        "unknown-pack", "several packs are loaded: say which one with `--pack`",
        hint="use one of " + ", ".join(engine.pack_ids), path="pack")])


def _colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    """Explain one applicant; diagnostics on stderr and exit 2 when it cannot."""
    try:
        engine = _engine(args)
        pack = _pack_id(engine, args)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    try:
        explanation = explain(engine, read_applicant(args.file), pack, args.lang)
    except FundrulesError as exc:  # an unknown `call:` too is the file's, at its line
        print_diagnostics(locate_in_file(exc.diagnostics, args.file))
        return ExitCode.BAD_INPUT
    if args.format == "json":
        print(json.dumps(explanation.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render_text(explanation, color=_colour(args.color)))
    return ExitCode.OK
