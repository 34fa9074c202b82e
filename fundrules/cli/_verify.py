"""``fundrules verify PACK [--budget N]``: search a pack for rules that never fire.

``fundrules verify PACK... --differential N [--jobs J] [--seed S]`` instead decides N
generated applicants per pack on both backends and reports every difference (exit 1 on
any disagreement or engine error).

PACK is a pack id (built-in or installed) or a pack file. Exit 0 when nothing is
wrong (warnings allowed), 1 when a finding is an error, 2 when the pack cannot be
loaded or hypothesis is not installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fundrules.cli._common import ExitCode, print_diagnostics
from fundrules.errors import FundrulesError
from fundrules.policies.pack import Pack, load_pack

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "verify", help="search a pack for rules that never fire and contradictions",
        description="Search a pack (an id or a file) with generated applicants for rules or "
        "award tiers that can never apply, criteria no one can meet together, and exclusions "
        "that contradict eligibility. Each finding shows a witness applicant as a YAML test "
        "case, or says none was found within the budget. Exit 1 when a finding is an error.")
    p.add_argument("pack", metavar="PACK", nargs="+")
    p.add_argument("--budget", type=int, default=200, metavar="N",
                   help="generated applicants per question asked of the pack (default 200)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--differential", type=int, metavar="N", default=None,
                   help="compare the two backends on N generated applicants per pack")
    p.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="processes for --differential (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of --differential (default 0)")
    p.set_defaults(run=run)


def _differential(args: argparse.Namespace) -> int:
    from fundrules.testing.differential import differential

    worst = 0
    for name in args.pack:
        try:
            pack = _load(name)
        except FundrulesError as exc:
            print_diagnostics(exc.diagnostics)
            return ExitCode.BAD_INPUT
        report = differential(pack, args.differential, seed=args.seed, jobs=args.jobs)
        print(report.format(), flush=True)
        worst = max(worst, 1 if report.disagreements or report.engine_errors else 0)
    return worst


def _load(name: str) -> Pack:
    if Path(name).is_file():
        return load_pack(name)
    from fundrules.api import Engine

    return Engine(backend="python").pack(name)


def run(args: argparse.Namespace) -> int:
    """Verify one pack; print the findings; exit 1 on errors."""
    if args.budget < 1 or (args.differential is not None and args.differential < 1) \
            or args.jobs < 1:
        print("fundrules verify: --budget, --differential and --jobs must be at least 1",
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    try:
        from fundrules.authoring import verify_pack
    except ImportError as exc:  # hypothesis is a test extra
        print(f"fundrules verify needs hypothesis ({exc}): pip install 'fundrules[verify]'",
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    if args.differential is not None:
        return _differential(args)
    if len(args.pack) != 1:
        print("fundrules verify: name one pack (several only with --differential)",
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    try:
        pack = _load(args.pack[0])
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    findings, tried = verify_pack(pack, budget=args.budget)
    errors = sum(1 for f in findings if f.severity == "error")
    if args.format == "json":
        print(json.dumps([{"code": f.code, "severity": f.severity, "call": f.call,
                           "subject": f.subject, "message": f.message,
                           "witness": f.witness.model_dump(mode="json", exclude_none=True)
                           if f.witness else None} for f in findings],
                         indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            print(finding.format())
        print(f"{pack.id}: {len(pack.calls)} call(s), {tried} applicants tried, "
              f"{errors} error(s), {len(findings) - errors} warning(s)")
    return ExitCode.PROBLEMS if errors else ExitCode.OK
