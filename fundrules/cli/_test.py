"""``fundrules test [PACK_OR_DIR...]``: run YAML test cases."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from fundrules.cli._common import ExitCode, print_diagnostics
from fundrules.diagnostics import Diagnostic
from fundrules.policies.registry import PackRegistry
from fundrules.testing.cases import BACKENDS, BackendUnavailable, read_cases, run_case

__all__ = ["add_parser"]

_CASE = re.compile(r"cases\[\d+\]")


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("test", help="run YAML test cases",
                       description="Run the cases of case files, of folders of them, or of the "
                       "`tests/` folder beside a pack (default: the built-in packs' cases), on "
                       "both backends unless `--backend` names one. Exit 1 when a case fails, "
                       "2 when a file or a case is malformed (the other cases still run), "
                       "none is found, or a backend asked for cannot run here.")
    p.add_argument("paths", nargs="*", metavar="PACK_OR_DIR")
    p.add_argument("--backend", choices=[*BACKENDS, "both"], default="both",
                   help="the backend to decide with (default: both, each case on each)")
    p.set_defaults(run=run)


def _case_files(names: list[str]) -> list[Path]:
    """Case files for the arguments: case files, folders, packs (files or ids: their cases).

    No argument means the cases of every pack the registry finds (built-in and installed):
    the ``tests/<pack file name>`` beside each pack.
    """
    registry = PackRegistry.discover()
    print_diagnostics(registry.problems)
    if not names:
        packs = [s.path for s in registry.sources()]
        return [p.parent / "tests" / p.name for p in packs
                if (p.parent / "tests" / p.name).is_file()]
    out: list[Path] = []
    for raw in names:
        path = Path(raw)
        if not path.exists() and raw in registry.ids:
            path = registry.source(raw).path  # a pack id: that pack's cases
        if path.is_dir():
            folder = path / "tests" if (path / "tests").is_dir() else path
            out += sorted(folder.glob("*.yaml"))
        elif path.parent.name != "tests" and (path.parent / "tests" / path.name).is_file():
            out.append(path.parent / "tests" / path.name)  # a pack: its cases
        else:
            out.append(path)
    return out


def _invalid(errors: list[Diagnostic]) -> int:
    """How many cases (and file-level problems) the errors of one file leave out."""
    places = {m.group(0) if (m := _CASE.match(d.path or "")) else (d.path, d.line, d.column)
              for d in errors}
    return len(places)


def run(args: argparse.Namespace) -> int:
    """Run every valid case on each backend; print problems, failures and a summary line.

    A malformed case is reported (file:line:col) and counted as invalid; the other cases
    of its file still run.
    """
    files = _case_files(args.paths)
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    passed = failed = invalid = 0
    broken = False
    for file in files:
        cases, problems = read_cases(file)
        errors = [d for d in problems if d.severity == "error"]
        print_diagnostics(problems)
        broken = broken or bool(errors)
        invalid += _invalid(errors)
        for backend in backends:
            for case in cases:
                try:
                    result = run_case(case, backend)
                except BackendUnavailable as exc:
                    print(f"fundrules test: {exc}; `--backend python` runs the cases on the "
                          "python backend only", file=sys.stderr)
                    return ExitCode.BAD_INPUT
                if result.passed:
                    passed += 1
                else:
                    failed += 1
                    print(result.report())
    counts = f"{passed} passed, {failed} failed" + (f", {invalid} invalid" if invalid else "")
    print(f"{counts} ({' and '.join(backends)})")
    if broken or passed + failed == 0:
        return ExitCode.BAD_INPUT
    return ExitCode.PROBLEMS if failed else ExitCode.OK
