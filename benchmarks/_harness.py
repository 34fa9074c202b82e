"""Timing and memory helpers shared by the benchmark scripts (no timing is asserted anywhere)."""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Result", "environment", "measure", "median", "peak_rss_bytes", "provenance",
           "rss_bytes"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """Resident set size now, from /proc/self/statm (Linux); 0 elsewhere."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except OSError:
        return 0


@dataclasses.dataclass(frozen=True)
class Result:
    """Decisions per second (wall clock), CPU time per call, latency percentiles (µs).

    ``cpu_seconds`` is the process CPU time (all threads) over the run: for an engine
    that hands work to other threads or waits on them, wall rate and CPU cost differ.
    """

    calls: int
    seconds: float
    p50_us: float
    p99_us: float
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Calls per second over the whole run."""
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        """Process CPU time per call, in microseconds."""
        return self.cpu_seconds / self.calls * 1e6 if self.calls else 0.0


def measure(fn: Callable[[Any], object], items: Sequence[Any], seconds: float,
            min_calls: int = 0) -> Result:
    """Call ``fn`` on ``items`` round-robin for about ``seconds`` (after one warm-up pass)."""
    for item in items:  # warm-up: caches, compiled rulesets, lazy imports
        fn(item)
    clock = time.perf_counter_ns
    lat: list[int] = []
    n = len(items)
    cpu = time.process_time()
    start = clock()
    deadline = start + int(seconds * 1e9)
    i = 0
    while True:
        t0 = clock()
        fn(items[i % n])
        t1 = clock()
        lat.append(t1 - t0)
        i += 1
        if t1 >= deadline and i >= max(min_calls, n):
            break
    elapsed = (clock() - start) / 1e9
    cpu = time.process_time() - cpu
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return Result(i, elapsed, lat[len(lat) // 2] / 1e3, p99 / 1e3, cpu)


def environment() -> str:
    """One line naming what the numbers were measured on (the machine may be shared)."""
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    versions = []
    for dist in ("durable_rules", "zen-engine", "pydantic"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            versions.append(f"{dist} absent")
    return (f"Python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load}; " + ", ".join(versions)
            + f"; {sys.executable}")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return head + (" (with uncommitted changes)" if dirty else "")


def provenance() -> str:
    """Machine, load, commit and command: what docs/performance.md states beside each number."""
    import shlex
    import time as _time

    argv = " ".join(shlex.quote(a) for a in sys.argv)
    when = _time.strftime("%Y-%m-%d %H:%M UTC", _time.gmtime())
    return (f"machine: {_cpu_model()}, {os.cpu_count()} CPUs; commit {_commit()}; "
            f"command: `python {argv}`; started {when}"
            f"\n\n{environment()}")


def peak_rss_bytes() -> int:
    """Peak resident set size (``VmHWM``, Linux); 0 elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return statistics.median(values)
