"""The ``fundrules`` command line.

Every subcommand returns an :class:`ExitCode` (docs/cli.md lists them). A closed stdout
(``| head``) and an output that cannot be written (disk full) end with one line and their
exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from collections.abc import Sequence

from fundrules.cli._common import ExitCode, broken_pipe
from fundrules.version import VERSION

__all__ = ["ExitCode", "main"]

#: Write failures that are the machine's, not fundrules': reported in one line.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EFBIG})


#: Each subcommand and the module that defines it, in the order `--help` lists them.
COMMANDS = {"evaluate": "_evaluate", "check": "_check", "test": "_test", "batch": "_batch",
            "allocate": "_allocate", "synth": "_synth", "diff": "_diff", "explain": "_explain",
            "schema": "_schema", "verify": "_verify", "serve": "_serve"}


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser; only the named subcommand's module is imported when argv names one.

    A command pays for what it uses: `fundrules check` never imports hypothesis, Dask or
    the HTTP server. Without a known subcommand (``--help``, a typo) every one is loaded,
    so the help and the error list them all.
    """
    named = next((a for a in argv if not a.startswith("-")), None)
    if named in COMMANDS:
        wanted = [named]
    else:  # `--version` alone needs no subcommand
        wanted = [] if named is None and "--version" in argv else list(COMMANDS)
    parser = argparse.ArgumentParser(
        prog="fundrules",
        description="Decide relief-fund applications with YAML policy packs.")
    parser.add_argument("--version", action="version", version=f"fundrules {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in wanted:
        importlib.import_module(f"fundrules.cli.{COMMANDS[name]}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(argv)
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
