"""The ``fundrules`` command line.

Every subcommand returns an :class:`ExitCode` (docs/cli.md lists them). A closed stdout
(``| head``) and an output that cannot be written (disk full) end with one line and their
exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
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
from fundrules.cli._common import ExitCode, broken_pipe
from fundrules.version import VERSION

__all__ = ["ExitCode", "main"]

#: Write failures that are the machine's, not fundrules': reported in one line.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fundrules",
        description="Decide relief-fund applications with YAML policy packs.")
    parser.add_argument("--version", action="version", version=f"fundrules {VERSION}")
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
    try:
        code = ExitCode(args.run(args))
        sys.stdout.flush()
    except BrokenPipeError:
        return broken_pipe()
    except KeyboardInterrupt:
        print(f"fundrules {args.command}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        print(f"fundrules {args.command}: cannot write the output: "
              f"{(exc.strerror or type(exc).__name__).lower()}", file=sys.stderr)
        return ExitCode.OUTPUT_FAILED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
