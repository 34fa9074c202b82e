"""Wall time of ``fundrules batch`` with ``--jobs 1`` and ``--jobs 2`` on one population.

Usage: python benchmarks/batch_jobs.py [--n 20000] [--seed 1] [--pack ID]... [--backend B]

Writes a synthetic population (``fundrules synth``, every country), runs the batch
command in a fresh process for each job count (so start-up, reading, writing and the
worker processes are all in the measure) and prints both wall times and their ratio.
The outputs of both runs are compared byte for byte. Nothing is asserted about speed:
the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKS = ["fr-netflix-audiens", "uk-film-tv-charity", "it-ifc-netflix", "es-academia-netflix"]


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fundrules", *args], check=False,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--backend", choices=["durable", "python"], default="durable")
    args = parser.parse_args()
    packs = args.pack or PACKS
    with tempfile.TemporaryDirectory() as tmp:
        population = Path(tmp) / "population.jsonl"
        subprocess.run([sys.executable, "-m", "fundrules", "synth", "--n", str(args.n),
                        "--seed", str(args.seed), "--out", str(population)], check=True)
        common = ["batch", str(population), "--backend", args.backend]
        for pack in packs:
            common += ["--pack", pack]
        times = {}
        for jobs in (1, 2):
            out = Path(tmp) / f"jobs{jobs}.jsonl"
            times[jobs] = _run([*common, "--jobs", str(jobs), "--out", str(out)])
        same = (Path(tmp) / "jobs1.jsonl").read_bytes() == (Path(tmp) / "jobs2.jsonl").read_bytes()
    decisions = args.n * len(packs)
    print(f"{args.n} applicants x {len(packs)} packs = {decisions} decisions, backend "
          f"{args.backend}, {os.cpu_count()} cores")
    for jobs, seconds in times.items():
        print(f"--jobs {jobs}: {seconds:6.2f} s wall  ({decisions / seconds:,.0f} decisions/s)")
    print(f"ratio jobs1/jobs2: {times[1] / times[2]:.2f}x  (outputs identical: {same})")


if __name__ == "__main__":
    main()
