"""``fundrules synth --n N --seed S [--country CC] [--out FILE]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fundrules.batch import COUNTRIES, synthesize_lines
from fundrules.cli._common import ExitCode, broken_pipe

__all__ = ["add_parser"]


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "synth", help="write a synthetic population of applicants (JSON Lines)",
        description="Write N synthetic applicants as JSON Lines: a modelled mix of roles, "
        "statuses, work histories, incomes, benefits and submission times over each fund's "
        "2020 windows (docs/batch.md lists the assumptions). The same seed gives the same "
        "bytes.")
    p.add_argument("--n", type=_count, required=True, metavar="N", help="number of applicants")
    p.add_argument("--seed", type=int, required=True, metavar="S", help="random seed")
    p.add_argument("--country", type=str.upper, choices=[*COUNTRIES, "ALL"], default="ALL",
                   metavar="CC", help=f"one of {', '.join(COUNTRIES)} or all (default: all)")
    p.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the population; exit 2 when the output cannot be written."""
    country = None if args.country == "ALL" else args.country
    try:
        out = (open(args.out, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
               if args.out else sys.stdout)
    except OSError as exc:
        print(f"fundrules synth: cannot write `{args.out}`: {exc.strerror}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    try:
        out.writelines(synthesize_lines(args.n, args.seed, country))
        out.flush()
    except BrokenPipeError:
        return broken_pipe()
    finally:
        if out is not sys.stdout:
            out.close()
    return ExitCode.OK
