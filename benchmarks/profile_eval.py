"""Where one evaluation spends its time: per stage, then a profiler's view.

    python benchmarks/profile_eval.py                       # durable, French pack, cProfile
    python benchmarks/profile_eval.py --backend python --tool pyinstrument
    python benchmarks/profile_eval.py --pack all --top 30
    python benchmarks/profile_eval.py --churn 400     # after 400 MB allocated and freed

The stages are those of ``Engine.evaluate`` (fundrules/api.py): choosing the call
(``Pack.select_call``), reading the inputs (``runtime.facts.InputReader.read``), inferring
the statuses (the prepared call's runner), building the Decision (``runtime.decide.Decider``).
Each is timed alone over the same applicants (best of 3 passes, microseconds per
evaluation). The numbers quoted in docs/performance.md come from this script.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _applicants import samples

from fundrules import Engine

__all__ = ["churn", "main", "stages"]


def _best(fn: Callable[[Any], object], items: list[Any], passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        t = time.perf_counter()
        for x in items:
            fn(x)
        best = min(best, (time.perf_counter() - t) / len(items) * 1e6)
    return best


def churn(megabytes: int) -> None:
    """Allocate and free ``megabytes`` in blocks of 64 KiB to 1 MiB first.

    As a long-running service would have: durable's cost must not depend on that heap
    history (``fundrules.engine.tune_malloc``).
    """
    sizes = [64 * 1024 * (1 + i % 16) for i in range(64)]
    kept: list[bytearray] = []
    done = 0
    while done < megabytes * 1024 * 1024:
        for size in sizes:
            kept.append(bytearray(size))
            done += size
        del kept[::2]  # free every other block: holes of every size
    kept.clear()


def stages(engine: Engine, pack_id: str, applicants: list[Any]) -> dict[str, float]:
    """Microseconds per evaluation spent in each stage, measured one stage at a time."""
    pack = engine.pack(pack_id)
    prepared = []
    for a in applicants:
        compiled, _ = pack.select_call(a.submitted_at, a.call if a.call in pack.calls else None)
        call = engine._prepared[pack_id].calls[compiled.call]  # the stages, not the public path
        values = call.reader.read(a)
        prepared.append((a, call, values, call.runner.run(values)))
    return {
        "select_call": _best(lambda x: pack.select_call(x[0].submitted_at, None), prepared),
        "read inputs": _best(lambda x: x[1].reader.read(x[0]), prepared),
        "backend run": _best(lambda x: x[1].runner.run(x[2]), prepared),
        "decide": _best(lambda x: x[1].decider.decide(x[0], x[2], *x[3]), prepared),
        "Engine.evaluate (all of it)": _best(lambda x: engine.evaluate(x[0], pack_id),
                                             prepared),
    }


def _profile(tool: str, run: Callable[[], None], top: int) -> str:
    if tool == "pyinstrument":
        try:
            from pyinstrument import Profiler
        except ImportError:
            return "pyinstrument is not installed (pip install pyinstrument); use --tool cprofile"
        profiler = Profiler(interval=0.0002)
        profiler.start()
        run()
        profiler.stop()
        text: str = profiler.output_text(unicode=True, color=False, show_all=False)
        return text
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Print the stage table, then the profile."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["durable", "python"], default="durable")
    ap.add_argument("--pack", default="fr-netflix-audiens", help="a pack id, or all")
    ap.add_argument("--tool", choices=["cprofile", "pyinstrument"], default="cprofile")
    ap.add_argument("--generated", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5, help="passes over the applicants profiled")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--churn", type=int, default=0, metavar="MB",
                    help="allocate and free this many MB first (heap history)")
    args = ap.parse_args(argv)
    if args.churn:
        churn(args.churn)
    engine = Engine(backend=args.backend)
    packs = list(engine.pack_ids) if args.pack == "all" else [args.pack]
    data = samples(packs, args.generated)
    print(f"backend {args.backend}; µs per evaluation, best of 3 passes"
          f"{f'; after {args.churn} MB allocated and freed' if args.churn else ''}\n")
    print("| pack | " + " | ".join(["select_call", "read inputs", "backend run",
                                     "decide", "Engine.evaluate"]) + " |")
    print("|---|---:|---:|---:|---:|---:|")
    for pack in packs:
        row = stages(engine, pack, [s.applicant for s in data[pack]])
        print(f"| {pack} | " + " | ".join(f"{v:,.1f}" for v in row.values()) + " |")
    items = [(s.pack, s.applicant) for p in packs for s in data[p]]

    def run() -> None:
        for _ in range(args.repeat):
            for pack, applicant in items:
                engine.evaluate(applicant, pack)

    print(f"\n{args.tool}, {args.repeat} passes over {len(items)} applicants:\n")
    print(_profile(args.tool, run, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
