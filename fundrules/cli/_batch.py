"""``fundrules batch INPUT --pack ID... [--out FILE [--resume]] [--jobs N | --dask ADDR]``.

The records (one JSON line per input and pack) and the summary are this command's
output format; :mod:`fundrules.batch` does the reading and the processes. ``--out`` is
written safely (:mod:`fundrules.cli._output`), ``--resume`` continues an interrupted
batch (:mod:`fundrules.cli._resume`). Also the helpers ``allocate`` and ``diff`` share
with it: ``--jobs``, ``--timeout``, the progress bar (on stderr, only when stderr is a
terminal), and a quiet exit when stdout is closed early.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from fundrules.api import Engine
from fundrules.backends import BackendName
from fundrules.batch import evaluate_inputs, record_lines, render_inputs, render_records
from fundrules.cli._common import (
    ExitCode,
    add_engine_options,
    broken_pipe,
    engine_from,
    print_diagnostics,
    whole_number,
)
from fundrules.cli._output import (
    OUTPUT_ERRNOS,
    OutputFile,
    output_error,
    same_as_an_input,
    warn,
)
from fundrules.cli._resume import Done, ResumeError, read_done, skip_done
from fundrules.errors import FundrulesError
from fundrules.i18n import printable
from fundrules.io import Input, InputSource
from fundrules.parallel import BatchResult, Failure, default_jobs, start_server_early
from fundrules.policies.pack import Pack

__all__ = [
    "DEFAULT_TIMEOUT",
    "BatchSummary",
    "add_jobs_option",
    "add_parser",
    "backend_of",
    "broken_pipe",
    "progress_bar",
    "record_lines",
    "run_batch",
]




#: Seconds one input may take before it is stopped (``--timeout``): milliseconds are usual.
DEFAULT_TIMEOUT = 60.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number of seconds, not {text!r}") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"must be above 0 (and below 1e6), not {text}")
    return value


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    """``--jobs N``: worker processes (default: every core); ``--timeout SECONDS``."""
    parser.add_argument("--jobs", type=whole_number(1), default=None, metavar="N",
                        help=f"worker processes (default: every core, here {default_jobs()})")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="time limit per input: one that takes longer gets a "
                        "`decision-timeout` error record and the batch goes on (default: "
                        f"{DEFAULT_TIMEOUT:g})")


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
    p.add_argument("input", metavar="INPUT", help="JSON Lines file (.jsonl, .jsonl.gz), `-` "
                   "for standard input, or a folder of applicant files")
    p.add_argument("--pack", action="append", required=True, metavar="ID",
                   help="pack id (repeatable)")
    p.add_argument("--out", metavar="FILE", help="write the records here (default: stdout); "
                   "written as FILE.partial, renamed to FILE when the batch is done")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted batch from the records already in "
                   "FILE.partial (or FILE): same INPUT and --pack options")
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
        self.add_outcomes(tuple("error" if isinstance(o, Failure) else o.outcome
                                for o in result.results))

    def add_outcomes(self, outcomes: Sequence[str], times: int = 1) -> None:
        """Count ``times`` inputs by their outcome per pack (``error`` for an error record)."""
        self.inputs += times
        for pack_id, key in zip(self.packs, outcomes, strict=True):
            self.counts.setdefault(pack_id, collections.Counter())[key] += times

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
        return printable("\n".join(lines))

    def add_done(self, done: Done) -> None:
        """Count one input whose records were already written (``--resume``)."""
        self.add_outcomes(done.outcomes)


def run_batch(source: InputSource, packs: Sequence[Pack], out: TextIO, *,
              backend: BackendName = "durable", lang: str | None = None,
              jobs: int | None = None,
              progress: Callable[[int], None] | None = None,
              timeout: float | None = None,
              inputs: Iterator[Input] | None = None,
              summary: BatchSummary | None = None,
              dask: str | None = None) -> BatchSummary:
    """Decide every input of ``source`` against ``packs``, writing JSON Lines to ``out``.

    ``progress`` is called with the number of inputs done after each one. ``inputs`` (an
    iterator over ``source`` whose first inputs were taken already) and ``summary`` (their
    counts) continue a resumed batch. With ``dask`` (a scheduler address) the workers of
    that Dask cluster decide, ``jobs`` is ignored, and the records are rendered here by
    the same function the local workers use (so the bytes are the same).
    """
    summary = summary or BatchSummary(tuple(p.id for p in packs))
    todo = iter(source) if inputs is None else inputs
    render = functools.partial(render_records, summary.packs)  # in the workers
    work = (map(render, evaluate_inputs(todo, packs, backend=backend, lang=lang, dask=dask))
            if dask is not None else
            render_inputs(todo, packs, render, backend=backend, lang=lang, jobs=jobs,
                          timeout=timeout))
    texts: list[str] = []
    seen: collections.Counter[tuple[str, ...]] = collections.Counter()
    try:
        for text, outcomes in work:
            texts.append(text)
            seen[outcomes] += 1
            if len(texts) == _WRITE_EVERY:
                _write(out, texts, summary, seen, progress)
    finally:  # interrupted or not, what was decided is written
        _write(out, texts, summary, seen, progress)
    summary.blank_lines = source.blank_lines
    return summary


#: Inputs whose records are written at once: one write and one count per group keep the
#: process that writes (with --jobs, the one all records go through) from being the limit.
_WRITE_EVERY = 64


def _write(out: TextIO, texts: list[str], summary: BatchSummary,
           seen: collections.Counter[tuple[str, ...]],
           progress: Callable[[int], None] | None) -> None:
    """Write the records held, count their inputs, report progress; empties both."""
    if not texts:
        return
    text = "".join(texts)
    texts.clear()  # a failed write is not tried again by the caller's `finally`
    out.write(text)
    for outcomes, times in seen.items():
        summary.add_outcomes(outcomes, times)
    seen.clear()
    if progress is not None:
        progress(summary.inputs)


def _prepare_out(args: argparse.Namespace, packs: Sequence[Pack], inputs: Iterator[Input],
                 summary: BatchSummary) -> OutputFile | None:
    """The ``--out`` file, opened (continued with ``--resume``); ``None`` for stdout.

    Raises :class:`ResumeError` or :class:`OSError`, with nothing written.
    """
    if not args.out:
        if args.resume:
            raise ResumeError("--resume needs --out FILE: the records of the interrupted "
                              "batch are read from FILE.partial (or FILE)")
        return None
    overwritten = same_as_an_input(args.out, [args.input, *args.packs])
    if overwritten is not None:
        raise ResumeError(f"--out `{args.out}` is an input of this command (`{overwritten}`): "
                          "writing it would destroy it; write the records somewhere else")
    out = OutputFile(args.out)
    if out.direct:
        if args.resume:
            raise ResumeError(f"--resume needs a regular file, and `{args.out}` is not one")
        out.open()
        return out
    partial_exists = os.path.exists(out.partial)
    if not args.resume:
        if partial_exists:
            raise ResumeError(f"`{out.partial}` holds the records of an interrupted batch: run "
                              "the same command with --resume to continue it, or delete it to "
                              "start again")
        out.open()
        return out
    read_from = out.partial if partial_exists else args.out
    if not os.path.exists(read_from):
        warn("batch", f"--resume: neither `{out.partial}` nor `{args.out}` exists; starting "
                      "from the first input")
        out.open()
        return out
    with open(read_from, "rb") as fh:
        done, size = read_done(fh, read_from, packs)
    skip_done(inputs, done, read_from)
    for record in done:
        summary.add_done(record)
    if not partial_exists:  # continue a copy: FILE stays as it is until the end
        with open(args.out, "rb") as src, open(out.partial, "wb") as dst:
            left = size
            while left > 0 and (piece := src.read(min(left, 1 << 20))):
                dst.write(piece)
                left -= len(piece)
    out.open(append_at=size)
    warn("batch", f"--resume: {len(done)} inputs already decided in `{read_from}`; going on "
                  "from the next")
    return out


def run(args: argparse.Namespace) -> int:
    """Run the batch; exit 0, 1 (some inputs invalid), 2 (could not run), 3 (cannot write)."""
    if args.dask is None and (default_jobs() if args.jobs is None else args.jobs) > 1:
        start_server_early()  # its imports overlap loading the packs and opening INPUT
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
    summary = BatchSummary(tuple(p.id for p in packs))
    inputs = iter(source)
    try:
        out = _prepare_out(args, packs, inputs, summary)
    except ResumeError as exc:
        warn("batch", printable(str(exc)))
        return ExitCode.BAD_INPUT
    except FundrulesError as exc:  # INPUT could not be read while skipping what was done
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    except OSError as exc:
        warn("batch", f"cannot write `{args.out}`: {output_error(exc)}")
        return ExitCode.OUTPUT_FAILED if exc.errno in OUTPUT_ERRNOS else ExitCode.BAD_INPUT
    stream = sys.stdout if out is None else out.stream
    assert stream is not None
    try:
        with progress_bar(source) as progress:
            summary = run_batch(source, packs, stream, backend=backend_of(engine),
                                lang=args.lang, jobs=args.jobs, progress=progress,
                                timeout=args.timeout, inputs=inputs, summary=summary,
                                dask=args.dask)
        if out is not None:
            out.commit()
    except KeyboardInterrupt:
        if out is not None:
            out.close()
            warn("batch", f"interrupted; {out.where()}; run the same command with --resume "
                          "to continue")
        else:
            warn("batch", "interrupted; the output is incomplete")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return broken_pipe()
    except FundrulesError as exc:  # INPUT became unreadable (a corrupt .gz, an I/O error),
        if out is not None:       # the Dask cluster cannot be reached, workers keep dying
            out.close()
        print_diagnostics(exc.diagnostics)
        if out is not None:
            warn("batch", f"stopped; {out.where()}; fix the problem above and run the same "
                          "command with --resume to continue")
        else:
            warn("batch", "stopped; the output is incomplete")
        return ExitCode.BAD_INPUT
    except OSError as exc:
        if out is None or exc.errno not in OUTPUT_ERRNOS:
            raise  # stdout: fundrules.cli.main reports it
        out.close()
        warn("batch", f"cannot write `{out.partial}`: {output_error(exc)}; {out.where()}")
        return ExitCode.OUTPUT_FAILED
    seconds = time.monotonic() - started
    print(f"{summary.text()}\n{seconds:.1f} s, {summary.inputs / max(seconds, 1e-9):,.0f} "
          "inputs/s", file=sys.stderr)
    return ExitCode.PROBLEMS if summary.errors() else ExitCode.OK
