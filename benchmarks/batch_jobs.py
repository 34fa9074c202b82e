"""Wall time of ``fundrules batch`` with ``--jobs 1`` and ``--jobs 2`` on one population.

Usage: python benchmarks/batch_jobs.py [--n 20000] [--seed 1] [--pack ID]...
                                       [--backend durable|python|both] [--rounds 3]

Writes a synthetic population (``fundrules synth``, every country), runs the batch
command in a fresh process for each job count (so start-up, reading, writing and the
worker processes are all in the measure), alternating ``--jobs 1`` and ``--jobs 2`` in
each round so that a change in the machine's load affects both alike, and prints the
median wall times and their ratio, with the load average before and after. The outputs
of the runs are compared byte for byte. Nothing is asserted about speed: the numbers
depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKS = ["fr-netflix-audiens", "uk-film-tv-charity", "it-ifc-netflix", "es-academia-netflix"]


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fundrules", *args], check=True,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not available
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--backend", choices=["durable", "python", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    packs = args.pack or PACKS
    backends = ["durable", "python"] if args.backend == "both" else [args.backend]
    decisions = args.n * len(packs)
    with tempfile.TemporaryDirectory() as tmp:
        population = Path(tmp) / "population.jsonl"
        subprocess.run([sys.executable, "-m", "fundrules", "synth", "--n", str(args.n),
                        "--seed", str(args.seed), "--out", str(population)], check=True)
        print(f"{args.n} applicants x {len(packs)} packs = {decisions} decisions, "
              f"{os.cpu_count()} cores, {args.rounds} alternating rounds; "
              f"load average before: {_load()}", flush=True)
        for backend in backends:
            common = ["batch", str(population), "--backend", backend]
            for pack in packs:
                common += ["--pack", pack]
            times: dict[int, list[float]] = {1: [], 2: []}
            outputs: set[bytes] = set()
            for _ in range(args.rounds):
                for jobs in (1, 2):
                    out = Path(tmp) / f"jobs{jobs}.jsonl"
                    times[jobs].append(_run([*common, "--jobs", str(jobs), "--out", str(out)]))
                    outputs.add(out.read_bytes())
                    out.unlink()
            medians = {jobs: statistics.median(t) for jobs, t in times.items()}
            for jobs, seconds in medians.items():
                runs = ", ".join(f"{t:.2f}" for t in times[jobs])
                print(f"{backend:>7} --jobs {jobs}: median {seconds:6.2f} s wall "
                      f"({decisions / seconds:,.0f} decisions/s; runs {runs})")
            print(f"{backend:>7} ratio jobs1/jobs2: {medians[1] / medians[2]:.2f}x  "
                  f"(outputs identical: {len(outputs) == 1}); load average: {_load()}",
                  flush=True)


if __name__ == "__main__":
    main()
