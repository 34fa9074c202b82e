"""One Engine shared by threads gives exactly the single-threaded decisions, without crashing.

    python benchmarks/threads.py                        # 8 threads x 10,000, durable backend
    python benchmarks/threads.py --backend python --threads 4 --per-thread 2000

Every thread walks the same applicants (YAML cases and generated ones, all packs) from its
own offset and compares each Decision with the one computed single-threaded beforehand.
Prints the counts; exits 1 on any crash or difference. durable_rules evaluations are
serialised by a lock inside the backend (shared/notes/durable-rules.md, pitfall 5), so
threads bring safety, not speed: the rate is printed only to show what the lock costs.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _applicants import samples

from fundrules import Engine

__all__ = ["ThreadReport", "hammer", "main"]


class ThreadReport:
    """What the threads did: evaluations, exceptions and decisions unlike the reference."""

    def __init__(self) -> None:
        self.evaluations = 0
        self.crashes: list[BaseException] = []
        self.mismatches: list[str] = []
        self.stuck = 0
        self.seconds = 0.0


def hammer(engine: Engine, items: list[tuple[str, object]], threads: int, per_thread: int
           ) -> ThreadReport:
    """Run ``per_thread`` evaluations in each of ``threads`` threads on one engine."""
    expected = [engine.evaluate(a, p) for p, a in items]  # type: ignore[arg-type]
    report = ThreadReport()
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work(offset: int) -> None:
        done = 0
        bad: list[str] = []
        try:
            start.wait()
            for i in range(per_thread):
                k = (offset + i) % len(items)
                pack, applicant = items[k]
                if engine.evaluate(applicant, pack) != expected[k]:  # type: ignore[arg-type]
                    bad.append(f"{pack}:{k}")
                done += 1
        except BaseException as exc:  # a thread's exception is otherwise lost
            with lock:
                report.crashes.append(exc)
        with lock:
            report.evaluations += done
            report.mismatches += bad

    pool = [threading.Thread(target=work, args=(t * 997,), daemon=True) for t in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=3600)
    report.seconds = time.perf_counter() - t0
    report.stuck = sum(t.is_alive() for t in pool)
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the counts; exit 1 unless every evaluation matched and nothing crashed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--per-thread", type=int, default=10_000)
    ap.add_argument("--backend", choices=["durable", "python"], default="durable")
    ap.add_argument("--generated", type=int, default=50)
    args = ap.parse_args(argv)
    engine = Engine(backend=args.backend)
    data = samples(list(engine.pack_ids), args.generated)
    items: list[tuple[str, object]] = [(s.pack, s.applicant) for g in data.values() for s in g]
    r = hammer(engine, items, args.threads, args.per_thread)
    total = args.threads * args.per_thread
    print(f"backend {args.backend}: {args.threads} threads x {args.per_thread:,} evaluations "
          f"over {len(items)} applicants ({len(data)} packs)")
    print(f"evaluations completed: {r.evaluations:,} of {total:,}")
    print(f"crashes (exceptions): {len(r.crashes)}")
    print(f"decisions unlike the single-threaded run: {len(r.mismatches)}")
    print(f"threads still running after the timeout: {r.stuck}")
    print(f"wall time {r.seconds:.1f} s, {r.evaluations / r.seconds:,.0f} decisions/s")
    for exc in r.crashes[:5]:
        print(f"  crash: {type(exc).__name__}: {exc}")
    if r.mismatches:
        print("  differ: " + ", ".join(r.mismatches[:10]))
    ok = not r.crashes and not r.mismatches and not r.stuck and r.evaluations == total
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
