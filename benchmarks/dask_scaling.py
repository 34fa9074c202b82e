"""Wall time of ``fundrules batch`` with ``--jobs 1``, ``--jobs 2`` and ``--dask`` (2 workers).

Usage: python benchmarks/dask_scaling.py [--n 20000] [--seed 1] [--rounds 3] [--workers 2]
                                        [--pack ID]... [--backend B]

Writes a synthetic population (``fundrules synth``, every country) and starts a
``distributed.LocalCluster`` of ``--workers`` worker processes with one thread each (the
scheduler runs in this process, the workers in their own, as on a real cluster). Then,
``--rounds`` times, runs the batch command in a fresh process for each mode, the modes
alternating within each round, and prints the median wall time of each mode (start-up,
reading, deciding, writing included; the cluster is already running, as a real one is).
Every output is compared byte for byte with the first ``--jobs 1`` output. Nothing is
asserted about speed: the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import distributed

PACKS = ["fr-netflix-audiens", "uk-film-tv-charity", "it-ifc-netflix", "es-academia-netflix"]


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fundrules", *args], check=False,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"fundrules {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--backend", choices=["durable", "python"], default="durable")
    args = parser.parse_args()
    packs = args.pack or PACKS
    with tempfile.TemporaryDirectory() as tmp, \
            distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                     processes=True, dashboard_address=":0",
                                     silence_logs=logging.ERROR) as cluster:
        population = Path(tmp) / "population.jsonl"
        subprocess.run([sys.executable, "-m", "fundrules", "synth", "--n", str(args.n),
                        "--seed", str(args.seed), "--out", str(population)], check=True)
        common = ["batch", str(population), "--backend", args.backend]
        for pack in packs:
            common += ["--pack", pack]
        modes = {"--jobs 1": ["--jobs", "1"], "--jobs 2": ["--jobs", "2"],
                 f"--dask ({args.workers} workers)": ["--dask", cluster.scheduler_address]}
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        reference: bytes | None = None
        same = True
        for _ in range(args.rounds):
            for mode, options in modes.items():
                out = Path(tmp) / "out.jsonl"
                times[mode].append(_run([*common, *options, "--out", str(out)]))
                data = out.read_bytes()
                reference = data if reference is None else reference
                same = same and data == reference
    decisions = args.n * len(packs)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.n} applicants x {len(packs)} packs = {decisions} decisions, backend "
          f"{args.backend}, {os.cpu_count()} cores, load average {load}, "
          f"median of {args.rounds} alternating rounds")
    base = statistics.median(times["--jobs 1"])
    for mode, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{mode:<22} {median:6.2f} s wall  ({decisions / median:,.0f} decisions/s, "
              f"{base / median:.2f}x)  rounds: {', '.join(f'{s:.2f}' for s in seconds)}")
    print(f"outputs identical: {same}")


if __name__ == "__main__":
    main()
