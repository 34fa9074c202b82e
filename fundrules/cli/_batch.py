"""``fundrules batch INPUT --pack ID... [--out FILE] [--jobs N | --dask ADDRESS] [--lang L]``.

The records (one JSON line per input and pack) and the summary are this command's
output format; :mod:`fundrules.batch` does the reading and the processes. Also the
helpers ``allocate`` and ``diff`` share with it: ``--jobs``, the progress bar (on
stderr, only when stderr is a terminal), and a quiet exit when stdout is closed early.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from fundrules.api import Engine
from fundrules.backends import BackendName
from fundrules.cli._common import (
    ExitCode,
    add_engine_options,
    broken_pipe,
    engine_from,
    print_diagnostics,
)
from fundrules.errors import FundrulesError
from fundrules.io import InputSource
from fundrules.parallel import BatchResult, Failure, default_jobs, evaluate_inputs
from fundrules.policies.pack import Pack

__all__ = [
    "BatchSummary",
    "add_jobs_option",
    "add_parser",
    "backend_of",
    "broken_pipe",
    "progress_bar",
    "record_lines",
    "run_batch",
]


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
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="decide on the workers of this Dask scheduler (e.g. "
                   "tcp://10.0.0.5:8786) instead of local processes; needs the dask extra")
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


def record_lines(result: BatchResult, pack_ids: Sequence[str]) -> list[str]:
    """The JSON Lines records of one input: one per pack, ``decision`` or ``error``."""
    where = json.dumps(result.at, ensure_ascii=False)
    lines = []
    for pack_id, outcome in zip(pack_ids, result.results, strict=True):
        head = f'{{"{result.where}":{where},"pack":{json.dumps(pack_id)},'
        if isinstance(outcome, Failure):
            body = json.dumps({"diagnostics": [d.as_dict() for d in outcome.diagnostics]},
                              ensure_ascii=False, separators=(",", ":"))
            lines.append(f'{head}"error":{body}}}')
        else:
            lines.append(f'{head}"decision":{outcome.model_dump_json()}}}')
    return lines


_COLUMNS = ("eligible", "ineligible", "incomplete", "error")


@dataclasses.dataclass
class BatchSummary:
    """Counts of a batch: per pack, inputs eligible, ineligible, incomplete or an error.

    Each pack's counts add up to ``inputs``.
    """

    packs: tuple[str, ...]
    inputs: int = 0
    blank_lines: int = 0
    counts: dict[str, collections.Counter[str]] = dataclasses.field(default_factory=dict)

    def add(self, result: BatchResult) -> None:
        """Count one input."""
        self.inputs += 1
        for pack_id, outcome in zip(self.packs, result.results, strict=True):
            key = "error" if isinstance(outcome, Failure) else outcome.outcome
            self.counts.setdefault(pack_id, collections.Counter())[key] += 1

    def errors(self) -> int:
        """The number of error records (an invalid input counts once per pack)."""
        return sum(c["error"] for c in self.counts.values())

    def text(self) -> str:
        """A small table for stderr."""
        plural = "s" if self.blank_lines != 1 else ""
        blank = f"; {self.blank_lines} blank line{plural} skipped" if self.blank_lines else ""
        width = max([len("pack"), *map(len, self.packs)])
        lines = [f"{self.inputs} inputs{blank}",
                 f"  {'pack':<{width}}  " + "  ".join(f"{c:>10}" for c in (*_COLUMNS, "total"))]
        for pack_id in self.packs:
            counts = self.counts.get(pack_id, collections.Counter())
            cells = [counts[c] for c in _COLUMNS] + [sum(counts[c] for c in _COLUMNS)]
            lines.append(f"  {pack_id:<{width}}  " + "  ".join(f"{n:>10}" for n in cells))
        return "\n".join(lines)


def run_batch(source: InputSource, packs: Sequence[Pack], out: TextIO, *,
              backend: BackendName = "durable", lang: str | None = None,
              jobs: int | None = None,
              progress: Callable[[int], None] | None = None,
              dask: str | None = None) -> BatchSummary:
    """Decide every input of ``source`` against ``packs``, writing JSON Lines to ``out``.

    ``progress`` is called with the number of inputs done after each one. With ``dask``
    (a scheduler address) the workers of that Dask cluster decide, and ``jobs`` is ignored.
    """
    summary = BatchSummary(tuple(p.id for p in packs))
    work = (evaluate_inputs(source, packs, backend=backend, lang=lang, dask=dask)
            if dask is not None else
            evaluate_inputs(source, packs, backend=backend, lang=lang, jobs=jobs))
    for result in work:
        out.write("\n".join(record_lines(result, summary.packs)) + "\n")
        summary.add(result)
        if progress is not None:
            progress(summary.inputs)
    summary.blank_lines = source.blank_lines
    return summary


def run(args: argparse.Namespace) -> int:
    """Run the batch; exit 0, 1 (some inputs invalid) or 2 (could not run)."""
    try:
        engine = engine_from(args)
        packs = [engine.pack(p) for p in dict.fromkeys(args.pack)]
        source = InputSource(args.input)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    if args.dask is not None and args.jobs is not None:
        print("fundrules batch: --jobs and --dask cannot be combined (the Dask workers do "
              "the work)", file=sys.stderr)
        return ExitCode.BAD_INPUT
    started = time.monotonic()
    try:
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    except OSError as exc:
        print(f"fundrules batch: cannot write `{args.out}`: {exc.strerror}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    try:
        with progress_bar(source) as progress:
            summary = run_batch(source, packs, out, backend=backend_of(engine),
                                lang=args.lang, jobs=args.jobs, progress=progress,
                                dask=args.dask)
    except FundrulesError as exc:  # e.g. the Dask cluster cannot be reached
        print_diagnostics(exc.diagnostics)
        print("fundrules batch: the batch could not run; the output is incomplete",
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print("fundrules batch: interrupted; the output is incomplete", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return broken_pipe()
    finally:
        if out is not sys.stdout:
            out.close()
    seconds = time.monotonic() - started
    print(f"{summary.text()}\n{seconds:.1f} s, {summary.inputs / max(seconds, 1e-9):,.0f} "
          "inputs/s", file=sys.stderr)
    return ExitCode.PROBLEMS if summary.errors() else ExitCode.OK
