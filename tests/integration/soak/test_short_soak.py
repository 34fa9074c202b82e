"""Short versions of benchmarks/threads.py and the soak row of benchmarks/run.py, for CI.

No timing is asserted: only that threads neither crash nor change a decision, and that
memory stays flat over many durable evaluations (states are always deleted). Each test
also has a long version, marked ``slow`` (``python -m pytest --run-slow``): ten times the
evaluations per thread, and 500,000 durable evaluations under the same memory bound.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path
from typing import Any

import pytest

from fundrules import Applicant, Engine, FundrulesError, parse_applicant
from fundrules.testing.cases import load_cases
from tests.conftest import PACKS

THREADS = 8
PER_THREAD = int(os.environ.get("FUNDRULES_SOAK_PER_THREAD", "500"))
SOAK = int(os.environ.get("FUNDRULES_SOAK_EVALUATIONS", "20000"))
LONG_PER_THREAD = 10 * PER_THREAD
LONG_SOAK = 500_000
# Generous: the full benchmark's target is 5 MiB per million; a leak of one 1 KiB state per
# evaluation would still add ~20 MiB here.
RSS_BOUND_MIB = 8.0


def _rss() -> int:
    """Current RSS in bytes (statm); the peak (getrusage) where /proc is absent."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(scope="module")
def every_pack_case() -> list[tuple[str, Applicant]]:
    """Every valid applicant of every pack's YAML cases, with its pack."""
    items: list[tuple[str, Applicant]] = []
    for case_file in sorted(Path(PACKS, "tests").glob("*.yaml")):
        for case in load_cases(case_file):
            try:
                items.append((case.pack, parse_applicant(case.applicant)))
            except FundrulesError:
                continue  # a case about invalid input
    assert len({pack for pack, _ in items}) >= 2
    return items


def _hammer(engine: Engine, items: list[tuple[str, Any]], per_thread: int
            ) -> tuple[int, list[str], list[str]]:
    expected = [engine.evaluate(a, p) for p, a in items]
    done = [0] * THREADS
    crashes: list[str] = []
    mismatches: list[str] = []
    barrier = threading.Barrier(THREADS)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                k = (t * 97 + i) % len(items)
                pack, applicant = items[k]
                if engine.evaluate(applicant, pack) != expected[k]:
                    mismatches.append(f"{pack} {applicant.id}")
                done[t] += 1
        except BaseException as exc:  # a thread's exception is otherwise lost
            crashes.append(repr(exc))

    pool = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(THREADS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in pool), "a thread hung"
    return sum(done), crashes, mismatches


@pytest.mark.parametrize("per_thread", [PER_THREAD, pytest.param(LONG_PER_THREAD,
                                                                   marks=pytest.mark.slow)])
@pytest.mark.parametrize("backend", ["durable", "python"])
def test_threads_share_one_engine_without_crash_or_difference(
        backend: str, per_thread: int, every_pack_case: list[tuple[str, Applicant]]) -> None:
    engine = Engine(backend=backend)  # type: ignore[arg-type]
    done, crashes, mismatches = _hammer(engine, every_pack_case, per_thread)
    assert crashes == []
    assert mismatches == []
    assert done == THREADS * per_thread


@pytest.mark.parametrize("evaluations", [SOAK, pytest.param(LONG_SOAK, marks=pytest.mark.slow)])
def test_memory_stays_flat_over_many_durable_evaluations(
        evaluations: int, every_pack_case: list[tuple[str, Applicant]]) -> None:
    engine = Engine()
    n = len(every_pack_case)
    for pack, applicant in every_pack_case * 2:  # warm-up: rulesets registered, caches full
        engine.evaluate(applicant, pack)
    start = _rss()
    samples = []
    outcomes: set[str] = set()
    for i in range(evaluations):
        pack, applicant = every_pack_case[i % n]
        outcomes.add(engine.evaluate(applicant, pack).outcome)
        if (i + 1) % 5000 == 0:
            samples.append(_rss())
    growth_mib = (samples[-1] - start) / 2**20
    assert outcomes == {"eligible", "ineligible", "incomplete"}
    assert growth_mib < RSS_BOUND_MIB, [f"{(s - start) / 2**20:+.2f} MiB" for s in samples]
