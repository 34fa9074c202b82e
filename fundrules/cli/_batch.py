"""``fundrules batch INPUT --pack ID... [--out FILE] [--jobs N] [--lang L]``.

Also the helpers that ``allocate`` and ``diff`` share with it: reading INPUT, the
``--jobs`` option, and the progress bar (on stderr, only when stderr is a terminal).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from fundrules.api import BackendName, Engine
from fundrules.batch import InputSource, default_jobs, run_batch
from fundrules.cli._common import add_engine_options, engine_from, print_diagnostics
from fundrules.diagnostics import FundrulesError

__all__ = ["add_jobs_option", "add_parser", "backend_of", "broken_pipe", "progress_bar"]


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    """``--jobs N``: worker processes (default: every core)."""
    parser.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help=f"worker processes (default: every core, here {default_jobs()})")


def broken_pipe() -> int:
    """Stdout was closed early (``| head``): silence it and exit 141, as a shell would."""
    with contextlib.suppress(OSError, ValueError):  # stdout may have no file descriptor
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141


def backend_of(engine: Engine) -> BackendName:
    """The backend the engine really uses (durable_rules may have fallen back to python)."""
    return "python" if engine.backend == "python" else "durable"


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "batch", help="decide many applicants (JSON Lines or a folder) into JSON Lines",
        description="Decide every applicant of INPUT (JSON Lines, one applicant per line, or "
        "a folder of JSON/YAML applicant files) against each --pack. Writes one JSON record "
        "per input and pack, in input order; an invalid input gets an error record and the "
        "batch goes on. A summary goes to stderr. Exit 0 when every input was decided, 1 "
        "when some were invalid, 2 when the batch could not run.")
    p.add_argument("input", metavar="INPUT", help="JSON Lines file or folder of applicants")
    p.add_argument("--pack", action="append", required=True, metavar="ID",
                   help="pack id (repeatable)")
    p.add_argument("--out", metavar="FILE", help="write the records here (default: stdout)")
    p.add_argument("--lang", choices=["fr", "en", "it", "es"], default=None,
                   help="language of the messages (default: English where available)")
    add_jobs_option(p)
    add_engine_options(p)
    p.set_defaults(run=run)


@contextlib.contextmanager
def progress_bar(source: InputSource, stream: TextIO | None = None
                 ) -> Iterator[Callable[[int], None] | None]:
    """A progress callback drawing on stderr, or ``None`` when stderr is not a terminal."""
    out = stream or sys.stderr
    if not out.isatty():
        yield None
        return
    started = last = time.monotonic()

    def draw(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < 0.2:
            return
        last = now
        share = source.done / source.size if source.size else 1.0
        bar = "#" * int(share * 30)
        rate = done / max(now - started, 1e-9)
        out.write(f"\r[{bar:<30}] {share:4.0%}  {done} inputs  {rate:,.0f}/s ")
        out.flush()

    try:
        yield draw
    finally:
        out.write("\r" + " " * 72 + "\r")
        out.flush()


def run(args: argparse.Namespace) -> int:
    """Run the batch; exit 0, 1 (some inputs invalid) or 2 (could not run)."""
    try:
        engine = engine_from(args)
        packs = [engine.pack(p) for p in dict.fromkeys(args.pack)]
        source = InputSource(args.input)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return 2
    started = time.monotonic()
    try:
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    except OSError as exc:
        print(f"fundrules batch: cannot write `{args.out}`: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        with progress_bar(source) as progress:
            summary = run_batch(source, packs, out, backend=backend_of(engine),
                                lang=args.lang, jobs=args.jobs, progress=progress)
    except KeyboardInterrupt:
        print("fundrules batch: interrupted; the output is incomplete", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return broken_pipe()
    finally:
        if out is not sys.stdout:
            out.close()
    seconds = time.monotonic() - started
    print(f"{summary.text()}\n{seconds:.1f} s, {summary.inputs / max(seconds, 1e-9):,.0f} "
          "inputs/s", file=sys.stderr)
    return 1 if summary.errors() else 0
