"""Helpers shared by the subcommands: building the engine, printing diagnostics."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from fundrules.api import Engine
from fundrules.diagnostics import Diagnostic

__all__ = ["add_engine_options", "engine_from", "print_diagnostics"]


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--packs PATH`` (extra pack files/folders) and ``--backend``."""
    parser.add_argument("--packs", action="append", default=[], metavar="PATH",
                        help="also load the packs in this file or folder (repeatable)")
    parser.add_argument("--backend", choices=["durable", "python"], default="durable",
                        help="inference engine (default: durable)")


def engine_from(args: argparse.Namespace) -> Engine:
    """The engine the options ask for (built-in packs plus ``--packs``)."""
    if args.packs:
        return Engine.from_paths(*args.packs, backend=args.backend, include_builtin=True)
    return Engine(backend=args.backend)


def print_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    """One ``file:line:col: code: message`` line (and hint) per problem, on stderr."""
    for d in diagnostics:
        print(d.format(), file=sys.stderr)
