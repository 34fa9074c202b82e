"""How fundrules' cost grows: per engagement, per rule, per applicant, with peak memory.

    python benchmarks/scaling.py              # about 10 minutes on 2 cores
    python benchmarks/scaling.py --quick      # smaller cells (about 1-2 minutes)
    python benchmarks/scaling.py --million    # adds the 1,000,000-applicant cells (long)
    python benchmarks/scaling.py --only population --population 1000000 --jobs 1

Three curves, both backends, every cell in a fresh process (so peak RSS, ``VmHWM`` of
that process, does not mix between cells):

- **engagements per applicant** (1, 10, 100, 1,000): one French applicant with that many
  engagements (seeded, ``benchmarks/_applicants.py``); validation (``parse_applicant``)
  and evaluation (validated ``Applicant`` in) timed apart;
- **rules per pack** (10, 50, 200, 500): synthetic packs written to a temporary folder
  from the French pack (its sources, call, measures and award; the rules replaced by
  generated ones, some chained on earlier ones), evaluated on the French benchmark
  applicants; a pack the durable backend refuses at Engine construction prints
  ``refused: <diagnostic>``;
- **population** (10,000, 100,000; 1,000,000 with ``--million``): a French population from
  ``fundrules synth``, decided end to end by ``fundrules batch`` (reading, validation,
  decision, writing JSON Lines), beside the OpenFisca-core system of ``fr_openfisca.py``
  and a plain loop (``json.loads`` + ``fr_baselines.plain_fr``) on the same file.

Prints Markdown. Nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import peak_rss_bytes, provenance

__all__ = ["main", "synthetic_pack"]

FR = "fr-netflix-audiens"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BACKENDS = ("python", "durable")


# --- inputs ---------------------------------------------------------------------------

def applicant_with(engagements: int, seed: int = 5) -> dict[str, Any]:
    """A French applicant document with ``engagements`` seeded engagements."""
    from _applicants import _engagement

    rng = random.Random(seed)
    return {
        "id": f"scale-{engagements}", "submitted_at": "2020-04-20T10:00:00+02:00",
        "status": "intermittent", "covid_hardship": True,
        "engagements": [_engagement(rng) for _ in range(engagements)],
        "income": [{"period": "2019", "amount": {"value": "12000.00", "currency": "EUR"},
                    "basis": "gross"}],
        "benefits": [{"scheme": "fr-annexe-8", "receiving": False,
                      "rights_opened": "2018-11-02", "rights_ended": "2020-01-15"}],
        "prior_awards": [],
    }


_CONDITIONS = (
    "activity_units >= {a}",
    "annex_rights_lost_2020 >= {b}",
    "earlier_awards <= {c}",
    "covid_hardship or annex_benefits_received <= {c}",
    "status in [intermittent, employee] and activity_units >= {a}",
)


def synthetic_pack(rules: int, folder: Path) -> Path:
    """The French pack with its rules replaced by ``rules`` generated ones; the file path.

    Rule ``i`` tests one of five condition shapes with its own constants; every fifth
    rule also reads the four facts before it (chained conclusions). ``eligible`` is the
    conjunction of the facts no other rule reads (a fifth of them).
    """
    import yaml

    pack = yaml.safe_load((ROOT / "policies" / f"{FR}.yaml").read_text(encoding="utf-8"))
    pack["pack"] = f"synthetic-{rules}"
    for key in ("exclusions", "monotonic", "ambiguities"):
        pack.pop(key, None)
    for unused in ("min_activity_units", "exclude_netflix_workers"):
        pack["parameters"].pop(unused, None)
    for call in pack["calls"]:
        call.pop("settles", None)
    for tier in pack["award"]["tiers"]:
        tier.pop("settles", None)
    out, read = [], set()
    for i in range(rules):
        when = _CONDITIONS[i % len(_CONDITIONS)].format(a=i % 97, b=i % 3, c=i % 11 + 1)
        if i % 5 == 4:  # chained: reads the four facts before it
            when = f"({when}) and " + " and ".join(f"f{j}" for j in range(i - 4, i))
            read |= set(range(i - 4, i))
        text = f"generated criterion {i}"
        out.append({"id": f"R{i}", "when": when, "then": f"f{i}", "cite": "S1",
                    "message": dict.fromkeys(pack["languages"], text)})
    pack["rules"] = out
    pack["eligible"] = " and ".join(f"f{i}" for i in range(rules) if i not in read)
    path = folder / f"synthetic-{rules}.yaml"
    path.write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- cells (each run in a fresh process) ----------------------------------------------

def _timed(fn: Any, items: list[Any], seconds: float) -> tuple[float, float, int]:
    """Wall and CPU µs per call over at least ``seconds`` (after one warm-up pass)."""
    for item in items:
        fn(item)
    n = 0
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + seconds
    while True:
        for item in items:
            fn(item)
        n += len(items)
        if time.perf_counter() >= deadline:
            break
    return ((time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6, n)


def cell_engagements(backend: str, engagements: int, seconds: float) -> dict[str, Any]:
    from fundrules import Engine, parse_applicant

    doc = applicant_with(engagements)
    engine = Engine(backend=backend)  # type: ignore[arg-type]
    v_wall, v_cpu, _ = _timed(parse_applicant, [doc], seconds / 2)
    applicant = parse_applicant(doc)
    e_wall, e_cpu, n = _timed(lambda a: engine.evaluate(a, FR), [applicant], seconds / 2)
    outcome = engine.evaluate(applicant, FR).outcome
    return {"validate_wall_us": v_wall, "validate_cpu_us": v_cpu, "wall_us": e_wall,
            "cpu_us": e_cpu, "calls": n, "outcome": outcome}


def cell_rules(backend: str, rules: int, seconds: float, folder: str) -> dict[str, Any]:
    from _applicants import samples

    from fundrules import Engine, FundrulesError

    path = synthetic_pack(rules, Path(folder))
    started = time.perf_counter()
    try:
        engine = Engine.from_paths(path, backend=backend)  # type: ignore[arg-type]
    except FundrulesError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else None
        text = f"{first.code}: {first.message}" if first else str(exc)
        return {"refused": text[:160], "build_s": time.perf_counter() - started}
    build = time.perf_counter() - started
    applicants = [s.applicant for s in samples([FR], 100)[FR]]
    pack = f"synthetic-{rules}"
    wall, cpu, n = _timed(lambda a: engine.evaluate(a, pack), applicants, seconds)
    return {"wall_us": wall, "cpu_us": cpu, "calls": n, "build_s": build}


def _reap_forkserver() -> None:
    """Wait for multiprocessing's forkserver (private API; skipped if absent).

    The workers are its children: once it is reaped, their CPU time and peak RSS reach
    this process's RUSAGE_CHILDREN.
    """
    try:
        from multiprocessing import forkserver

        forkserver._forkserver._stop()  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        pass


def cell_population(kind: str, population: str, jobs: int) -> dict[str, Any]:
    path = Path(population)
    wall, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, Any] = {}
    if kind in BACKENDS:
        from fundrules.cli import main as cli

        with tempfile.TemporaryDirectory() as tmp:
            code = cli(["batch", str(path), "--pack", FR, "--backend", kind, "--jobs",
                        str(jobs), "--out", str(Path(tmp) / "decisions.jsonl")])
        extra["exit"] = code
        _reap_forkserver()
    elif kind == "openfisca":
        import fr_openfisca as fo

        r = fo.run_file(path)
        extra = {"formula_wall_s": r["formula_wall"], "formula_cpu_s": r["formula_cpu"]}
    else:  # the plain loop
        from fr_baselines import plain_fr

        with path.open(encoding="utf-8") as fh, tempfile.TemporaryFile("w") as out:
            for line in fh:
                if line.strip():
                    out.write(json.dumps(plain_fr(json.loads(line))) + "\n")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu + children.ru_utime + children.ru_stime,
            "children_peak_kib": children.ru_maxrss, **extra}


def _cell(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec.pop("curve")
    cells: dict[str, Callable[..., dict[str, Any]]] = {
        "engagements": cell_engagements, "rules": cell_rules, "population": cell_population}
    result = cells[kind](**spec)
    result["peak_rss_mib"] = peak_rss_bytes() / 2**20
    return result


def run_cell(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one cell in a fresh interpreter; its JSON answer (or the error it printed)."""
    out = subprocess.run([sys.executable, __file__, "--cell", json.dumps(spec)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": tail[0][:160]}
    answer: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return answer


# --- curves ---------------------------------------------------------------------------

def _mib(r: dict[str, Any]) -> str:
    return f"{r['peak_rss_mib']:,.1f}" if "peak_rss_mib" in r else ""


def curve_engagements(sizes: list[int], seconds: float) -> None:
    print("## Cost per decision vs engagements per applicant\n")
    print("| engagements | backend | validate µs (wall / CPU) | evaluate µs (wall / CPU) | "
          "evaluate µs per engagement (CPU) | outcome | peak RSS MiB |\n"
          "|---:|---|---:|---:|---:|---|---:|")
    for n in sizes:
        for backend in BACKENDS:
            r = run_cell({"curve": "engagements", "backend": backend, "engagements": n,
                          "seconds": seconds})
            if "error" in r:
                print(f"| {n:,} | {backend} | error: {r['error']} | | | | |", flush=True)
                continue
            print(f"| {n:,} | {backend} | {r['validate_wall_us']:,.1f} / "
                  f"{r['validate_cpu_us']:,.1f} | {r['wall_us']:,.1f} / {r['cpu_us']:,.1f} | "
                  f"{r['cpu_us'] / n:,.2f} | {r['outcome']} | {_mib(r)} |", flush=True)
    print()


def curve_rules(sizes: list[int], seconds: float) -> None:
    print("## Cost per decision vs rules per pack\n")
    print("| rules | backend | Engine build s | wall µs/decision | CPU µs/decision | "
          "CPU µs per rule | peak RSS MiB |\n|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            for backend in BACKENDS:
                r = run_cell({"curve": "rules", "backend": backend, "rules": n,
                              "seconds": seconds, "folder": folder})
                if "error" in r:
                    print(f"| {n:,} | {backend} | error: {r['error']} | | | | |", flush=True)
                elif "refused" in r:
                    print(f"| {n:,} | {backend} | refused: {r['refused']} | | | | "
                          f"{_mib(r)} |", flush=True)
                else:
                    print(f"| {n:,} | {backend} | {r['build_s']:.2f} | {r['wall_us']:,.1f} | "
                          f"{r['cpu_us']:,.1f} | {r['cpu_us'] / n:,.2f} | {_mib(r)} |",
                          flush=True)
    print()


def curve_population(sizes: list[int], jobs: list[int]) -> None:
    print("## Cost per decision vs population (French applicants, end to end)\n")
    print("| applicants | what | wall s | CPU s (with workers) | wall µs/decision | "
          "peak RSS MiB (this process / largest worker) | notes |\n"
          "|---:|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"fr-{n}.jsonl"
            subprocess.run([sys.executable, "-m", "fundrules", "synth", "--n", str(n),
                            "--seed", "1", "--country", "FR", "--out", str(path)],
                           check=True, capture_output=True)
            cells: list[tuple[str, str, int]] = []
            for backend in BACKENDS:
                cells += [(f"`fundrules batch --backend {backend} --jobs {j}`", backend, j)
                          for j in jobs]
            cells += [("OpenFisca-core (read, reduce lists, build, calculate)", "openfisca", 1),
                      ("plain loop (`json.loads` + `plain_fr`, JSON Lines out)", "plain", 1)]
            for label, kind, j in cells:
                r = run_cell({"curve": "population", "kind": kind, "population": str(path),
                              "jobs": j})
                if "error" in r:
                    print(f"| {n:,} | {label} | error: {r['error']} | | | | |", flush=True)
                    continue
                note = ""
                if kind == "openfisca":
                    note = (f"formulas alone {r['formula_wall_s'] * 1e3:.1f} ms wall, "
                            f"{r['formula_cpu_s'] * 1e3:.1f} ms CPU")
                elif kind in BACKENDS and r.get("exit"):
                    note = f"exit {r['exit']}"
                worker = r["children_peak_kib"] / 1024
                print(f"| {n:,} | {label} | {r['wall_s']:,.2f} | {r['cpu_s']:,.2f} | "
                      f"{r['wall_s'] / n * 1e6:,.1f} | {_mib(r)} / "
                      f"{worker:,.1f} | {note} |", flush=True)
    print()


def main(argv: list[str] | None = None) -> int:
    """Run the curves the options ask for and print them."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="0.3 s cells, population 2,000 and 10,000")
    ap.add_argument("--million", action="store_true", help="add 1,000,000 to the population")
    ap.add_argument("--seconds", type=float, default=2.0, help="time per cell (default 2)")
    ap.add_argument("--only", choices=["engagements", "rules", "population"], action="append")
    ap.add_argument("--population", type=int, action="append",
                    help="population sizes instead of the defaults (repeatable)")
    ap.add_argument("--jobs", type=int, action="append",
                    help="--jobs values for the batch cells (default 1 and 2)")
    ap.add_argument("--cell", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cell:
        print(json.dumps(_cell(json.loads(args.cell))))
        return 0
    populations = [10_000, 100_000]
    if args.quick:
        args.seconds, populations = 0.3, [2_000, 10_000]
    if args.million:
        populations.append(1_000_000)
    if args.population:
        populations = args.population
    curves = args.only or ["engagements", "rules", "population"]
    print(f"# fundrules scaling\n\n{provenance()}\n", flush=True)
    if "engagements" in curves:
        curve_engagements([1, 10, 100, 1000], args.seconds)
    if "rules" in curves:
        curve_rules([10, 50, 200, 500], args.seconds)
    if "population" in curves:
        curve_population(populations, args.jobs or [1, 2])
    print(f"finished; load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
