"""``fundrules synth --n N --seed S [--country CC] [--out FILE]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fundrules.batch import COUNTRIES, synthesize_lines
from fundrules.cli._common import ExitCode, broken_pipe, whole_number
from fundrules.cli._output import OUTPUT_ERRNOS, OutputFile, output_error, warn

__all__ = ["DEFAULT_SEED", "add_parser"]

#: The seed when ``--seed`` is not given: the populations of docs/batch.md use it.
DEFAULT_SEED = 1




def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "synth", help="write a synthetic population of applicants (JSON Lines)",
        description="Write N synthetic applicants as JSON Lines: a modelled mix of roles, "
        "statuses, work histories, incomes, benefits and submission times over each fund's "
        "2020 windows (docs/batch.md lists the assumptions). The same seed gives the same "
        f"bytes; without --seed, the seed is {DEFAULT_SEED}.")
    p.add_argument("--n", type=whole_number(0), required=True, metavar="N",
                   help="number of applicants")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                   help=f"random seed (default: {DEFAULT_SEED})")
    p.add_argument("--country", type=str.upper, choices=[*COUNTRIES, "ALL"], default="ALL",
                   metavar="CC", help=f"one of {', '.join(COUNTRIES)} or all (default: all)")
    p.add_argument("--out", metavar="FILE", help="write here (default: stdout); written as "
                   "FILE.partial, renamed to FILE when complete")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the population; exit 2 when FILE cannot be opened, 3 when it cannot be written."""
    country = None if args.country == "ALL" else args.country
    lines = synthesize_lines(args.n, args.seed, country)
    if not args.out:
        try:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        except BrokenPipeError:
            return broken_pipe()
        return ExitCode.OK
    out = OutputFile(args.out)
    try:
        stream = out.open()
    except OSError as exc:
        warn("synth", f"cannot write `{out.partial}`: {output_error(exc)}")
        return ExitCode.OUTPUT_FAILED if exc.errno in OUTPUT_ERRNOS else ExitCode.BAD_INPUT
    try:
        stream.writelines(lines)
        out.commit()
    except KeyboardInterrupt:
        out.discard()
        warn("synth", f"interrupted; `{args.out}` was not changed")
        return ExitCode.INTERRUPTED
    except OSError as exc:
        out.discard()
        if exc.errno not in OUTPUT_ERRNOS:
            raise
        unchanged = "" if out.direct else f"; `{args.out}` was not changed"
        warn("synth", f"cannot write `{out.partial}`: {output_error(exc)}{unchanged}")
        return ExitCode.OUTPUT_FAILED
    return ExitCode.OK
