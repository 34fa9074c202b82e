"""The ``fundrules`` command line.

Exit codes (docs/cli.md): 0 success; 1 the job ran and found problems (a pack with
errors, a failing test case); 2 bad input (an invalid applicant or pack, an unknown
pack id, a bad option).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fundrules.cli import (
    _allocate,
    _batch,
    _check,
    _diff,
    _evaluate,
    _explain,
    _schema,
    _serve,
    _synth,
    _test,
    _verify,
)

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fundrules",
        description="Decide relief-fund applications with YAML policy packs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _evaluate.add_parser(sub)
    _check.add_parser(sub)
    _test.add_parser(sub)
    _batch.add_parser(sub)
    _allocate.add_parser(sub)
    _synth.add_parser(sub)
    _diff.add_parser(sub)
    _explain.add_parser(sub)
    _schema.add_parser(sub)
    _verify.add_parser(sub)
    _serve.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad options, 0 on --help
        return int(exc.code or 0)
    code: int = args.run(args)
    sys.stdout.flush()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
