"""``fundrules allocate INPUT --pack ID [--budget AMOUNT] [--format text|json|csv] [--plot F]``."""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from fundrules.batch import Allocation, allocate
from fundrules.cli._batch import add_jobs_option, backend_of, progress_bar
from fundrules.cli._common import (
    ExitCode,
    add_engine_options,
    broken_pipe,
    engine_from,
    print_diagnostics,
)
from fundrules.errors import FundrulesError
from fundrules.io import InputSource
from fundrules.parallel import Failure, evaluate_inputs
from fundrules.schema import Applicant, Decision

__all__ = ["add_parser", "allocation_text", "parse_amount"]

_AMOUNT = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")


def parse_amount(text: str) -> Decimal:
    if not _AMOUNT.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expects an amount such as 1000000 or 250000.50, not {text!r}")
    return Decimal(text)


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "allocate", help="share a pack's budget among a batch of applicants",
        description="Decide every applicant of INPUT (JSON Lines or a folder) against the "
        "pack, then apply its allocation mode (first come first served, budget share or "
        "needs assessed) to its budget and max_awards. Exit 0, 1 when some inputs were "
        "invalid (counted, not allocated), 2 when it could not run.")
    p.add_argument("input", metavar="INPUT", help="JSON Lines file or folder of applicants")
    p.add_argument("--pack", required=True, metavar="ID", help="pack id")
    p.add_argument("--budget", type=parse_amount, metavar="AMOUNT",
                   help="budget in the pack's currency (default: the pack's `budget`)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text",
                   help="text summary, the whole allocation as JSON, or one CSV row per "
                   "eligible applicant")
    p.add_argument("--plot", metavar="FILE.png",
                   help="draw the budget consumed over submission time (needs the `plot` extra)")
    p.add_argument("--lang", choices=["fr", "en", "it", "es"], default=None,
                   help="language of the criteria's messages")
    add_jobs_option(p)
    add_engine_options(p)
    p.set_defaults(run=run)


def _money(value: Decimal | None, currency: str) -> str:
    return "none" if value is None else f"{value:,.2f} {currency}"


def allocation_text(a: Allocation) -> str:
    """The summary people read: counts, money against budget, unmet criteria."""
    cur = a.currency
    limits = [f"budget {_money(a.budget, cur)}" if a.budget is not None else "no budget"]
    if a.max_awards is not None:
        limits.append(f"at most {a.max_awards:,} awards")
    lines = [f"{a.pack} {a.pack_version} · {a.mode.replace('_', ' ')} · {', '.join(limits)}",
             f"  {a.total:,} applicants: {a.funded:,} funded, {a.unfunded:,} eligible but "
             f"unfunded, {a.ineligible:,} ineligible, {a.incomplete:,} incomplete, "
             f"{a.invalid:,} invalid"]
    if a.committed_min == a.committed_max:
        committed = _money(a.committed_max, cur)
    else:
        committed = f"{a.committed_min:,.2f} to {_money(a.committed_max, cur)} (range awards)"
    if a.budget is not None and a.budget > 0:
        share = a.committed_max / a.budget
        committed += f" of {_money(a.budget, cur)} ({share:.1%}); left {_money(a.remaining, cur)}"
    lines.append(f"  committed: {committed}")
    if a.share is not None:
        lines.append(f"  share: {_money(a.share, cur)} each to {a.funded:,}; remainder "
                     f"{_money(a.remainder, cur)}")
    first = next((g for g in a.grants if not g.funded), None)
    if first is not None:
        lines.append(f"  first unfunded: {first.applicant} (rank {first.rank}, submitted "
                     f"{first.submitted_at.isoformat()}): {first.note}")
    if a.unmet:
        lines.append(f"  most frequent unmet criteria (of {a.ineligible:,} ineligible):")
        lines += [f"    {c.count:>7,}  {c.rule}: {c.message}" for c in a.unmet]
    return "\n".join(lines)


def _write_csv(a: Allocation) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["rank", "applicant", "call", "submitted_at", "funded", "amount", "min",
                     "max", "need", "currency", "note"])
    for g in a.grants:
        writer.writerow([g.rank, g.applicant, g.call or "", g.submitted_at.isoformat(),
                         "true" if g.funded else "false",
                         *("" if v is None else str(v) for v in (g.amount, g.min, g.max, g.need)),
                         a.currency, g.note])


def run(args: argparse.Namespace) -> int:
    """Decide, allocate, print; exit 0, 1 (some inputs invalid) or 2 (could not run)."""
    try:
        if args.plot:
            from fundrules.batch.plots import require_matplotlib

            require_matplotlib()
        engine = engine_from(args)
        pack = engine.pack(args.pack)
        source = InputSource(args.input)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    except ImportError as exc:
        print(f"fundrules allocate: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    invalid = 0

    def pairs(progress: Any) -> Iterator[tuple[Decision, Applicant]]:
        nonlocal invalid
        results = evaluate_inputs(source, [pack], backend=backend_of(engine), lang=args.lang,
                                  jobs=args.jobs, keep_applicants=True,
                                  timeout=args.timeout)
        for done, result in enumerate(results, 1):
            (outcome,) = result.results
            if progress is not None:
                progress(done)
            if isinstance(outcome, Failure) or result.applicant is None:
                invalid += 1
                continue
            yield outcome, result.applicant

    try:
        with progress_bar(source) as progress:
            found = allocate(pairs(progress), pack, args.budget)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    found = found.model_copy(update={"invalid": invalid})
    try:
        if args.format == "json":
            print(found.model_dump_json(indent=2))
        elif args.format == "csv":
            _write_csv(found)
        else:
            print(allocation_text(found))
        sys.stdout.flush()
    except BrokenPipeError:
        return broken_pipe()
    if args.plot:
        from fundrules.batch.plots import plot_allocation

        plot_allocation(found, args.plot)
        print(f"fundrules allocate: chart written to {args.plot}", file=sys.stderr)
    if invalid:
        print(f"fundrules allocate: {invalid} invalid inputs were not allocated "
              "(`fundrules batch` lists their errors)", file=sys.stderr)
    return ExitCode.PROBLEMS if invalid else ExitCode.OK
