"""``fundrules diff OLD_PACK NEW_PACK --population FILE [--plot FILE.png]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from fundrules.batch import OUTCOMES, Impact, impact
from fundrules.cli._allocate import parse_amount
from fundrules.cli._batch import add_jobs_option, progress_bar
from fundrules.cli._common import ExitCode, broken_pipe, print_diagnostics
from fundrules.errors import FundrulesError
from fundrules.io import Input, InputSource
from fundrules.policies.pack import load_pack

__all__ = ["add_parser", "impact_text"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "diff", help="what a pack change does to a population, before making it",
        description="Decide every applicant of the population under OLD_PACK and NEW_PACK "
        "(two versions of one pack: the same id) and report the outcome flips by direction, "
        "the change in money committed, and a sample of flipped applicants with the "
        "criteria whose status changed. Exit 0, 1 when some inputs were invalid, 2 when it "
        "could not run.")
    p.add_argument("old", metavar="OLD_PACK", help="the pack file as it is")
    p.add_argument("new", metavar="NEW_PACK", help="the pack file as it would be")
    p.add_argument("--population", required=True, metavar="FILE",
                   help="applicants: JSON Lines (e.g. from `fundrules synth`) or a folder")
    p.add_argument("--sample", type=int, default=10, metavar="N",
                   help="flipped applicants to show (default: 10, the first in input order)")
    p.add_argument("--budget", type=parse_amount, metavar="AMOUNT",
                   help="budget for both packs (default: each pack's own)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--plot", metavar="FILE.png",
                   help="draw the outcomes before and after (needs the `plot` extra)")
    p.add_argument("--lang", choices=["fr", "en", "it", "es"], default=None,
                   help="language of the criteria's messages")
    p.add_argument("--backend", choices=["durable", "python"], default="durable",
                   help="inference engine (default: durable)")
    add_jobs_option(p)
    p.set_defaults(run=run)


def _money(value: Decimal, currency: str, sign: bool = False) -> str:
    return f"{value:+,.2f} {currency}" if sign else f"{value:,.2f} {currency}"


def impact_text(r: Impact) -> str:
    """The report people read."""
    invalid = f" ({r.invalid:,} invalid)" if r.invalid else ""
    lines = [f"{r.pack}: {r.old_version} (sha256 {r.old_digest[:12]}) -> {r.new_version} "
             f"(sha256 {r.new_digest[:12]}) on {r.inputs:,} applicants{invalid}",
             f"  {'outcome':<12}{'before':>10}{'after':>10}{'change':>10}"]
    for o in OUTCOMES:
        lines.append(f"  {o:<12}{r.before[o]:>10,}{r.after[o]:>10,}"
                     f"{r.after[o] - r.before[o]:>+10,}")
    lines.append(f"  flips: {r.flipped:,} applicants changed outcome")
    lines += [f"    {direction:<28}{n:>8,}" for direction, n in r.flips.items()]
    lines.append(f"  awards changed among applicants eligible under both: {r.award_changes:,}")
    old, new = r.old_allocation, r.new_allocation
    cur = new.currency
    if old.committed_min == old.committed_max and new.committed_min == new.committed_max:
        low, high = r.committed_change
        lines.append(f"  committed: {_money(old.committed_max, cur)} -> "
                     f"{_money(new.committed_max, cur)} ({_money(high, cur, True)}); funded "
                     f"{old.funded:,} -> {new.funded:,} ({new.mode.replace('_', ' ')})")
    else:
        low, high = r.committed_change
        lines.append(f"  committed (range awards, min to max): {old.committed_min:,.2f}-"
                     f"{_money(old.committed_max, cur)} -> {new.committed_min:,.2f}-"
                     f"{_money(new.committed_max, cur)} ({low:+,.2f} to "
                     f"{_money(high, cur, True)}); funded {old.funded:,} -> {new.funded:,}")
    if new.budget is not None:
        lines.append(f"  budget: {_money(new.budget, cur)}")
    if r.sample:
        lines.append(f"  sample of flipped applicants (the first {len(r.sample)} in input "
                     "order) and the criteria whose status changed:")
    for flip in r.sample:
        lines.append(f"    {flip.applicant} ({flip.where}): {flip.before} -> {flip.after}")
        lines += [f"        {c.rule}: {c.before or 'absent'} -> {c.after or 'absent'}  "
                  f"{c.message}" for c in flip.criteria]
        if not flip.criteria:
            lines.append("        no criterion changed status: the `eligible` expression or "
                         "the award tiers changed")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Compare; exit 0, 1 (some inputs invalid) or 2 (could not run)."""
    try:
        if args.plot:
            from fundrules.batch.plots import require_matplotlib

            require_matplotlib()
        old, new = load_pack(args.old), load_pack(args.new)
        source = InputSource(args.population)
        with progress_bar(source) as progress:
            population = source if progress is None else _counted(source, progress)
            result = impact(old, new, population, backend=args.backend, lang=args.lang,
                            jobs=args.jobs, sample=max(args.sample, 0), budget=args.budget,
                            timeout=args.timeout)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    except ImportError as exc:
        print(f"fundrules diff: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    try:
        print(result.model_dump_json(indent=2) if args.format == "json" else impact_text(result))
        sys.stdout.flush()
    except BrokenPipeError:
        return broken_pipe()
    if args.plot:
        from fundrules.batch.plots import plot_impact

        plot_impact(result, args.plot)
        print(f"fundrules diff: chart written to {args.plot}", file=sys.stderr)
    return ExitCode.PROBLEMS if result.invalid else ExitCode.OK


def _counted(source: InputSource, progress: Callable[[int], None]) -> Iterator[Input]:
    """The inputs, reporting progress as they are read (a little ahead of the results)."""
    for done, item in enumerate(source, 1):
        progress(done)
        yield item
