"""fundrules performance in one command: throughput, latency, baselines, memory, cold start.

    python benchmarks/run.py                 # the table (about 2 minutes on 2 cores)
    python benchmarks/run.py --soak 1000000  # plus RSS over a million durable evaluations
    python benchmarks/run.py --quick         # 0.3 s per row, soak 20,000: a smoke run

Prints a Markdown table (docs/performance.md explains every row and the targets). The
numbers are wall-clock on whatever else the machine is doing: the ratios, measured in the
same process one row after the other, are what to compare between runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _applicants import ROOT, Sample, samples
from _harness import Result, environment, measure, median, rss_bytes

from fundrules import Engine

FR = "fr-netflix-audiens"
DURABLE_TARGET = 0.5  # durable backend / raw durable_rules ruleset
PYTHON_TARGET = 2.0  # python backend / zen fast path (more pairs: baselines.py)
SOAK_TARGET_MIB = 5.0  # over 1,000,000 evaluations
COLD_TARGET_S = 0.5
_EXAMPLE = ROOT / "examples" / "applicants" / "fr-technician-900.yaml"

__all__ = ["main"]


def _row(label: str, r: Result | None, note: str = "") -> str:
    if r is None:
        return f"| {label} | n/a | | | | {note} |"
    return (f"| {label} | {r.rate:,.0f} | {r.p50_us:,.1f} | {r.p99_us:,.1f} | "
            f"{r.cpu_us:,.1f} | {r.calls:,} calls {note}|")


def _evaluate(engine: Engine, pack: str, applicant: Any) -> object:
    return engine.evaluate(applicant, pack)


def _engine_rows(backend: str, data: dict[str, list[Sample]], seconds: float
                 ) -> dict[str, Result]:
    engine = Engine(backend=backend)  # type: ignore[arg-type]
    out: dict[str, Result] = {}
    for pack, group in data.items():
        items = [s.applicant for s in group]
        out[pack] = measure(functools.partial(_evaluate, engine, pack), items, seconds)
        print(_row(f"{backend} · {pack}", out[pack]), flush=True)
    mixed = [(s.pack, s.applicant) for group in data.values() for s in group]
    mixed = [mixed[(i * 7919) % len(mixed)] for i in range(len(mixed))]  # interleave packs
    out["all"] = measure(lambda x: engine.evaluate(x[1], x[0]), mixed, seconds)
    print(_row(f"{backend} · all packs", out["all"]), flush=True)
    return out


def _baselines(docs: list[dict[str, Any]], seconds: float) -> dict[str, Result | None]:
    import fr_baselines as fb

    found: dict[str, Result | None] = {}
    makers: list[tuple[str, Callable[[], Callable[[dict[str, Any]], object]]]] = [
        ("raw durable_rules (C core)", lambda: fb.RawCoreFR().decide),
        ("zen-engine (ZenEngine.evaluate fast path)", lambda: fb.ZenFastFR().decide),
        ("plain Python", lambda: fb.plain_fr),
    ]
    for name, make in makers:
        try:
            fn = make()
        except ImportError as exc:
            print(_row(f"baseline · {name} · {FR}", None, f"not installed: {exc.name}"))
            found[name] = None
            continue
        found[name] = measure(fn, docs, seconds)
        print(_row(f"baseline · {name} · {FR}", found[name]), flush=True)
    return found


def _agreement(data: list[Sample]) -> str:
    """How often the baselines give fundrules' outcome and award (decided cases only)."""
    import fr_baselines as fb

    engine = Engine(backend="python")
    same = decided = 0
    for s in data:
        d = engine.evaluate(s.applicant, FR)
        if d.outcome == "incomplete":
            continue
        decided += 1
        amount = int(d.award.amount) if d.award and d.award.amount is not None else None
        got = fb.plain_fr(s.document)
        same += (got["outcome"], got["award"]) == (d.outcome, amount)
    return f"{same}/{decided}"


def paired(a: Callable[[Any], object], a_items: list[Any], b: Callable[[Any], object],
           b_items: list[Any], seconds: float, rounds: int = 7) -> tuple[float, float, float,
                                                                          float, float]:
    """Rate and CPU ratios of ``a`` over ``b``, measured in alternating short rounds.

    The machine may be shared: alternating A, B, A, B ... and taking the median of the
    per-round ratios cancels the load drifting between two long rows. Returns the median
    wall ratio, its lowest and highest round, and the median CPU ratio (b's CPU time per
    call over a's) with its spread folded into the first three.
    """
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(rounds):
        ra = measure(a, a_items, seconds / rounds)
        rb = measure(b, b_items, seconds / rounds)
        walls.append(ra.rate / rb.rate)
        cpus.append(rb.cpu_us / ra.cpu_us if ra.cpu_us else 0.0)
    return median(walls), min(walls), max(walls), median(cpus), max(cpus) - min(cpus)


def soak(n: int, data: dict[str, list[Sample]], every: int = 10_000) -> list[tuple[int, int]]:
    """RSS (bytes) after every ``every`` durable evaluations, round-robin over all packs."""
    engine = Engine()
    mixed = [(s.pack, s.applicant) for group in data.values() for s in group]
    for pack, applicant in mixed:  # warm-up: every ruleset registered, every cache filled
        engine.evaluate(applicant, pack)
    points = [(0, rss_bytes())]
    for i in range(1, n + 1):
        pack, applicant = mixed[i % len(mixed)]
        engine.evaluate(applicant, pack)
        if i % every == 0 or i == n:
            points.append((i, rss_bytes()))
    return points


def cold_start(runs: int) -> tuple[float, float, list[float]]:
    """Median wall time of ``fundrules evaluate`` on one applicant, and of a bare interpreter."""
    cmd = [sys.executable, "-m", "fundrules", "evaluate", "--pack", FR, str(_EXAMPLE)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # bytecode caches written
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - t)
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    return median(times), median(bare), times


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main(argv: list[str] | None = None) -> int:
    """Run everything the options ask for and print the table; always exits 0 when it ran."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per row (default 2)")
    ap.add_argument("--generated", type=int, default=100,
                    help="generated applicants per pack, besides the YAML cases (default 100)")
    ap.add_argument("--soak", type=int, default=100_000,
                    help="durable evaluations for the RSS row (default 100,000; 0 skips)")
    ap.add_argument("--cold", type=int, default=5, help="cold-start runs (default 5; 0 skips)")
    ap.add_argument("--quick", action="store_true", help="0.3 s per row, soak 20,000")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.soak = 0.3, min(args.soak, 20_000)
    print(f"# fundrules benchmarks\n\n{environment()}\n", flush=True)
    data = samples(list(Engine(backend="python").pack_ids), args.generated)
    sizes = ", ".join(f"{p} {len(g)}" for p, g in data.items())
    print(f"applicants (YAML cases + {args.generated} generated per pack): {sizes}\n")
    print("| row | decisions/s | p50 µs | p99 µs | CPU µs/decision | notes |\n"
          "|---|---:|---:|---:|---:|---|")
    _engine_rows("durable", data, args.seconds)
    _engine_rows("python", data, args.seconds)
    engine = Engine(backend="python")
    from_dicts = measure(lambda d: engine.evaluate(d, FR), [s.document for s in data[FR]],
                         args.seconds)
    print(_row(f"python · {FR} · from plain dicts (validation included)", from_dicts))
    base = _baselines([s.document for s in data[FR]], args.seconds)
    print(f"\nbaselines give fundrules' outcome and award on {_agreement(data[FR])} "
          f"decided {FR} applicants\n")
    details: list[str] = []
    targets: list[str] = []
    raw = base.get("raw durable_rules (C core)")
    zen = base.get("zen-engine (ZenEngine.evaluate fast path)")
    fr_applicants = [s.applicant for s in data[FR]]
    fr_docs = [s.document for s in data[FR]]
    pairs = []
    if raw is not None:
        import fr_baselines as fb

        durable_engine, raw_fr = Engine(), fb.RawCoreFR()
        pairs.append(("durable backend / raw durable_rules C core", DURABLE_TARGET, paired(
            lambda a: durable_engine.evaluate(a, FR), fr_applicants, raw_fr.decide, fr_docs,
            args.seconds * 2)))
    if zen is not None:
        import fr_baselines as fb

        python_engine, zen_fr = Engine(backend="python"), fb.ZenFastFR()
        pairs.append(("python backend / zen-engine fast path", PYTHON_TARGET, paired(
            lambda a: python_engine.evaluate(a, FR), fr_applicants, zen_fr.decide, fr_docs,
            args.seconds * 2)))
    for label, target, (wall, low, high, cpu, _) in pairs:
        targets.append(f"| {label} ({FR}), decisions/s, median of 7 alternating rounds "
                       f"(lowest {low:.2f}x, highest {high:.2f}x) | {wall:.2f}x | "
                       f">= {target}x | {_verdict(wall >= target)} |")
        targets.append(f"| the same in CPU time per decision | {cpu:.2f}x | >= {target}x | "
                       f"{_verdict(cpu >= target)} |")
    if args.soak:
        points = soak(args.soak, data)
        growth = (points[-1][1] - points[1 if len(points) > 2 else 0][1]) / 2**20
        peak = (max(p[1] for p in points) - points[0][1]) / 2**20
        scaled = SOAK_TARGET_MIB * args.soak / 1_000_000
        targets.append(f"| RSS growth over {args.soak:,} durable evaluations (last sample "
                       f"minus the one at 10,000) | {growth:+.2f} MiB | < {scaled:g} MiB "
                       f"(5 MiB per million) | {_verdict(growth < scaled)} |")
        step = max(1, len(points) // 20)
        shown = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
        details.append(f"RSS samples (evaluations: MiB; min {min(b for _, b in points) / 2**20:.1f}"
                       f", max {max(b for _, b in points) / 2**20:.1f}, peak growth over the "
                       f"start {peak:+.2f} MiB): " + ", ".join(f"{i:,}: {b / 2**20:.1f}"
                                                              for i, b in shown))
    if args.cold:
        med, bare, runs = cold_start(args.cold)
        targets.append(f"| `fundrules evaluate` one applicant, cold start, median of "
                       f"{args.cold} | {med:.3f} s | < {COLD_TARGET_S} s | "
                       f"{_verdict(med < COLD_TARGET_S)} |")
        details.append(f"cold-start runs: {', '.join(f'{t:.3f}' for t in runs)} s; "
                       f"a bare `python -c pass` takes {bare:.3f} s")
    print("| what | measured | target | verdict |\n|---|---:|---:|---|")
    print("\n".join(targets))
    print("\n" + "\n\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
