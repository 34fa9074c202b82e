"""fundrules against hand-written baselines of the French criteria, with agreement checks.

    python benchmarks/baselines.py             # about 2 minutes on 2 cores
    python benchmarks/baselines.py --quick     # a smoke run (seconds)

Every baseline is first checked to give fundrules' outcome and award on every decided
French applicant (the three-valued floor: the whole Decision on every applicant), then
timed; the ratios come from alternating rounds in one run (median, lowest, highest
round), in wall time and in process CPU time. It prints Markdown; nothing is asserted
about speed. docs/performance.md says what each row is and which targets it checks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fr_baselines as fb
from _applicants import Sample, samples
from _harness import Result, measure, median, provenance
from fr_kleene import kleene_fr

from fundrules import Decision, Engine

__all__ = ["main"]

FR = "fr-netflix-audiens"
Fn = Callable[[Any], object]


def _award(d: Decision) -> int | None:
    return int(d.award.amount) if d.award is not None and d.award.amount is not None else None


@dataclasses.dataclass
class Contestant:
    """One row: a function and the inputs it takes (validated Applicants or plain dicts)."""

    label: str
    fn: Fn
    items: Sequence[Any]
    note: str = ""
    short: str = ""


def _agree(decide: Callable[[dict[str, Any]], dict[str, Any]], data: list[Sample],
           reference: list[Decision]) -> tuple[int, int]:
    same = decided = 0
    for s, d in zip(data, reference, strict=True):
        if d.outcome == "incomplete":
            continue
        decided += 1
        got = decide(s.document)
        same += (got["outcome"], got["award"]) == (d.outcome, _award(d))
    return same, decided


def _floor_agree(data: list[Sample], reference: list[Decision]) -> tuple[int, int]:
    same = 0
    for s, d in zip(data, reference, strict=True):
        want = (d.outcome, _award(d), tuple((r.rule, r.status) for r in d.reasons),
                tuple(d.missing))
        same += tuple(kleene_fr(s.applicant)) == want
    return same, len(data)


def _openfisca_agree(data: list[Sample], reference: list[Decision]) -> tuple[int, int]:
    import fr_openfisca as fo

    flat = [fb.flatten_fr(s.document) for s in data]
    eligible, award, _, _ = fo.decisions(fo.system(), flat)
    same = decided = 0
    for d, e, a in zip(reference, eligible, award, strict=True):
        if d.outcome == "incomplete":
            continue
        decided += 1
        same += (("eligible", int(a)) if e else ("ineligible", None)) == (d.outcome, _award(d))
    return same, decided


def _threads(make: Callable[[], Callable[[dict[str, Any]], object]], docs: list[Any],
             n: int) -> tuple[int, int, int]:
    """Threads of this process before, right after building, and after ``n`` evaluations."""
    before = len(os.listdir("/proc/self/task"))
    fn = make()
    built = len(os.listdir("/proc/self/task"))
    for i in range(n):
        fn(docs[i % len(docs)])
    return before, built, len(os.listdir("/proc/self/task"))


def _strace(variant: str, n: int) -> str:
    """``strace -f -c -e clone3,epoll_create1`` over a child doing ``n`` zen evaluations."""
    if shutil.which("strace") is None:
        return "strace is not installed"
    cmd = ["strace", "-f", "-c", "-e", "trace=clone,clone3,epoll_create1", sys.executable,
           __file__, "--zen-probe", variant, "--probe-n", str(n)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    counts = {}
    for line in out.stderr.splitlines():
        parts = line.split()
        if parts and parts[-1] in ("clone", "clone3", "epoll_create1"):
            counts[parts[-1]] = int(parts[3])  # % time, seconds, usecs/call, calls
    if out.returncode != 0 and not counts:
        return f"strace failed: {out.stderr.strip().splitlines()[-1:]}"
    shown = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "no such call"
    return f"{shown} over {n:,} evaluations (plus the warm-up pass)"


def _zen_probe(variant: str, n: int) -> None:
    docs = [s.document for s in samples([FR], 100)[FR]]
    fn = (fb.ZenFastFR if variant == "fast" else fb.ZenDecisionFR)().decide
    for i in range(n):
        fn(docs[i % len(docs)])


def paired(a: Contestant, b: Contestant, seconds: float, rounds: int
           ) -> tuple[list[float], list[float]]:
    """Per round: a's rate over b's (wall), b's CPU per call over a's; alternating a, b."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(rounds):
        ra = measure(a.fn, a.items, seconds / rounds / 2)
        rb = measure(b.fn, b.items, seconds / rounds / 2)
        walls.append(ra.rate / rb.rate)
        cpus.append(rb.cpu_us / ra.cpu_us if ra.cpu_us else 0.0)
    return walls, cpus


def _row(c: Contestant, r: Result) -> str:
    return (f"| {c.label} | {r.seconds / r.calls * 1e6:,.1f} | {r.cpu_us:,.1f} | "
            f"{r.rate:,.0f} | {1e6 / r.cpu_us if r.cpu_us else 0:,.0f} | {r.p50_us:,.1f} | "
            f"{r.calls:,} | {c.note} |")


def _openfisca_rows(docs: list[dict[str, Any]], n: int) -> list[str]:
    import fr_openfisca as fo

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fr.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps(docs[i % len(docs)]) + "\n")
        fo.run_file(path)  # warm-up: imports, the system's first build
        r = fo.run_file(path)
    us = 1e6 / r["n"]
    return [
        f"| OpenFisca-core, end to end (read JSON Lines, reduce lists, build, calculate), "
        f"{r['n']:,} applicants | {r['wall'] * us:,.2f} | {r['cpu'] * us:,.2f} | "
        f"{r['n'] / r['wall']:,.0f} | {r['n'] / r['cpu']:,.0f} | | 1 run | two-valued |",
        f"| OpenFisca-core, formulas only (`calculate`), {r['n']:,} applicants | "
        f"{r['formula_wall'] * us:,.3f} | {r['formula_cpu'] * us:,.3f} | "
        f"{r['n'] / r['formula_wall']:,.0f} | {r['n'] / r['formula_cpu']:,.0f} | | 1 run | |",
    ]


def main(argv: list[str] | None = None) -> int:
    """Check every baseline's agreement, time every row, print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.5, help="time per row (default 1.5)")
    ap.add_argument("--pair-seconds", type=float, default=4.0,
                    help="time per ratio, both sides together (default 4)")
    ap.add_argument("--rounds", type=int, default=9, help="alternating rounds (default 9)")
    ap.add_argument("--generated", type=int, default=100,
                    help="generated French applicants besides the YAML cases (default 100)")
    ap.add_argument("--population", type=int, default=200_000,
                    help="applicants in the OpenFisca rows (default 200,000)")
    ap.add_argument("--quick", action="store_true",
                    help="short rows, 7 rounds, 20,000 applicants for OpenFisca")
    ap.add_argument("--zen-probe", choices=["fast", "decision"], help=argparse.SUPPRESS)
    ap.add_argument("--probe-n", type=int, default=2000, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.zen_probe:
        _zen_probe(args.zen_probe, args.probe_n)
        return 0
    if args.quick:
        args.seconds, args.pair_seconds, args.rounds = 0.2, 1.4, 7
        args.population = min(args.population, 20_000)
    print(f"# fundrules against baselines ({FR})\n\n{provenance()}\n", flush=True)
    data = samples([FR], args.generated)[FR]
    applicants = [s.applicant for s in data]
    docs = [s.document for s in data]
    python, durable = Engine(backend="python"), Engine(backend="durable")
    reference = [python.evaluate(a, FR) for a in applicants]
    outcomes = {o: sum(d.outcome == o for d in reference)
                for o in ("eligible", "ineligible", "incomplete")}
    print(f"{len(data)} applicants (YAML cases + {args.generated} generated): "
          + ", ".join(f"{k} {v}" for k, v in outcomes.items()) + "\n")

    core, host = fb.RawCoreFR(), fb.RawHostFR()
    zen_fast, zen_table, zen_decision = fb.ZenFastFR(), fb.ZenTableFR(), fb.ZenDecisionFR()
    print("## Agreement\n")
    print("| baseline | agrees with fundrules on |\n|---|---|")
    for label, decide in [("plain Python (two-valued)", fb.plain_fr),
                          ("zen-engine fast path, whole graph", zen_fast.decide),
                          ("zen-engine fast path, one table over Python aggregates",
                           zen_table.decide),
                          ("zen-engine `ZenDecision.evaluate` (thread per call)",
                           zen_decision.decide),
                          ("raw durable_rules, C core", core.decide),
                          ("raw durable_rules, through durable's Python host", host.decide)]:
        same, decided = _agree(decide, data, reference)
        print(f"| {label} | outcome and award: agree {same}/{decided} decided |")
    same, total = _floor_agree(data, reference)
    print(f"| three-valued floor | outcome, award, reason statuses, missing: "
          f"agree {same}/{total} applicants |")
    try:
        same, decided = _openfisca_agree(data, reference)
        print(f"| OpenFisca-core | outcome and award: agree {same}/{decided} decided |")
        have_openfisca = True
    except ImportError as exc:
        print(f"| OpenFisca-core | not installed ({exc.name}) |")
        have_openfisca = False

    print("\n## Threads of zen-engine\n")
    for variant, make in (("fast", lambda: fb.ZenFastFR().decide),
                          ("decision", lambda: fb.ZenDecisionFR().decide)):
        before, built, after = _threads(make, docs, 1000)
        label = ("`ZenEngine(loader).evaluate(key, ctx)`" if variant == "fast"
                 else "`ZenDecision.evaluate(ctx)`")
        print(f"- {label}: {_strace(variant, 2000)} (strace -f -c); threads of this "
              f"process (/proc/self/task) {before} before, {built} after building, {after} "
              f"after 1,000 evaluations")

    contestants = {
        "python": Contestant("fundrules python backend, validated `Applicant` in",
                             lambda a: python.evaluate(a, FR), applicants,
                   short="python backend (validated)"),
        "python dicts": Contestant("fundrules python backend, plain dicts in (validation "
                                   "included)", lambda d: python.evaluate(d, FR), docs,
                   short="python backend (from dicts, validation included)"),
        "durable": Contestant("fundrules durable backend, validated `Applicant` in",
                              lambda a: durable.evaluate(a, FR), applicants,
                   short="durable backend (validated)"),
        "durable dicts": Contestant("fundrules durable backend, plain dicts in",
                                    lambda d: durable.evaluate(d, FR), docs),
        "floor": Contestant("three-valued floor (hand-specialised), validated `Applicant` in",
                            kleene_fr, applicants, "full Decision content",
                   short="three-valued floor"),
        "plain": Contestant("plain Python function, dicts in", fb.plain_fr, docs, "two-valued"),
        "zen": Contestant("zen-engine fast path, whole graph, dicts in", zen_fast.decide, docs,
                          "two-valued",
                   short="zen fast path"),
        "zen table": Contestant("zen-engine fast path, Python aggregates + one table, dicts in",
                                zen_table.decide, docs, "two-valued",
                   short="zen fast path, one table"),
        "zen decision": Contestant("zen-engine `ZenDecision.evaluate` (a thread per call), "
                                   "dicts in", zen_decision.decide, docs, "two-valued"),
        "core": Contestant("raw durable_rules, C core, dicts in", core.decide, docs,
                           "two-valued",
                   short="raw C core"),
        "host": Contestant("raw durable_rules through its Python host, dicts in", host.decide,
                           docs, "two-valued",
                   short="raw durable via its Python host"),
    }
    print("\n## Rows\n")
    print("| row | wall µs/decision | CPU µs/decision | decisions/s (wall) | decisions/s (CPU) "
          "| p50 µs | calls | notes |\n|---|---:|---:|---:|---:|---:|---:|---|")
    for c in contestants.values():
        print(_row(c, measure(c.fn, c.items, args.seconds)), flush=True)
    if have_openfisca:
        print("\n".join(_openfisca_rows(docs, args.population)), flush=True)

    print(f"\n## Ratios (alternating rounds in this run: median of {args.rounds}, "
          "lowest and highest round)\n")
    print("| ratio (speed of the first over the second) | wall | CPU | target | verdict |\n"
          "|---|---:|---:|---:|---|")
    pairs = [("python", "zen", 2.0), ("python dicts", "zen", 1.0), ("durable", "core", 0.5),
             ("python", "floor", 0.5), ("python", "zen table", None),
             ("durable", "host", None)]
    for first, second, target in pairs:
        walls, cpus = paired(contestants[first], contestants[second], args.pair_seconds,
                             args.rounds)
        wall, cpu = median(walls), median(cpus)
        verdict = "" if target is None else ("met" if min(wall, cpu) >= target else
                                             "met in CPU time only" if cpu >= target else
                                             "met in wall time only" if wall >= target else
                                             "**missed**")
        a, b = contestants[first], contestants[second]
        print(f"| {a.short or a.label} / {b.short or b.label} | {wall:.2f}x "
              f"({min(walls):.2f}-{max(walls):.2f}) | {cpu:.2f}x ({min(cpus):.2f}-"
              f"{max(cpus):.2f}) | {'' if target is None else f'>= {target}x'} | {verdict} |",
              flush=True)
    print(f"\nfinished; load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
