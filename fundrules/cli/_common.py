"""Helpers shared by the subcommands: exit codes, building the engine, printing diagnostics."""

from __future__ import annotations

import argparse
import contextlib
import enum
import os
import sys
from collections.abc import Callable, Iterable

from fundrules.api import Engine
from fundrules.backends import BACKEND_NAMES
from fundrules.diagnostics import Diagnostic

__all__ = ["ExitCode", "add_engine_options", "broken_pipe", "engine_from", "print_diagnostics",
           "whole_number"]


class ExitCode(enum.IntEnum):
    """What every subcommand returns (docs/cli.md lists them)."""

    OK = 0  #: the job ran, whatever the decisions
    PROBLEMS = 1  #: the job ran and found problems (a pack with errors, a failing case)
    BAD_INPUT = 2  #: invalid input: an applicant or pack, an unknown id, a bad option
    OUTPUT_FAILED = 3  #: the output could not be written (disk full, I/O error)
    INTERRUPTED = 130  #: stopped by Ctrl-C (as a shell reports SIGINT)
    BROKEN_PIPE = 141  #: the reader of stdout went away (``| head``), as a shell reports


def broken_pipe() -> ExitCode:
    """Stdout was closed early (``| head``): silence it and exit 141, as a shell would."""
    with contextlib.suppress(OSError, ValueError):  # stdout may have no file descriptor
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return ExitCode.BROKEN_PIPE


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--packs PATH`` (extra pack files/folders) and ``--backend``."""
    parser.add_argument("--packs", action="append", default=[], metavar="PATH",
                        help="also load the packs in this file or folder (repeatable)")
    parser.add_argument("--backend", choices=BACKEND_NAMES, default="durable",
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


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number of at least ``minimum`` (clear messages)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse
