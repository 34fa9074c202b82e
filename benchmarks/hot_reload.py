"""What a hot reload costs: resident memory per pack version registered in one process.

    python benchmarks/hot_reload.py                 # 40 versions of each built-in pack
    python benchmarks/hot_reload.py --versions 100 --pack fr-netflix-audiens

Each version is the pack's text with another ``version:`` (so another digest: a new
durable_rules ruleset for each of its calls, which durable_rules never frees). One Engine
is built over each version and decides one applicant, then is dropped. The resident set
size (``VmRSS``) is read after a warm-up version and after the last one; the difference
over the number of versions is the cost per version. Runs in a fresh subprocess per pack,
so the measures do not add up. The python backend is measured the same way as a control
(its engines are freed).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

__all__ = ["main", "measure"]

ROOT = Path(__file__).resolve().parent.parent


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def measure(pack_id: str, versions: int, backend: str) -> dict[str, object]:
    """In this process: RSS growth over ``versions`` Engines, one per pack version."""
    from fundrules import Engine
    from fundrules.policies.pack import load_pack_text

    text = (ROOT / "policies" / f"{pack_id}.yaml").read_text(encoding="utf-8")
    applicant = {"id": "m", "submitted_at": "2020-04-20T10:00:00+02:00"}

    def one(i: int) -> int:
        changed, n = re.subn(r'(?m)^version: "([^"]+)"', f'version: "\\1.{i}"', text, count=1)
        assert n == 1, "the pack has no `version:` line"
        engine = Engine([load_pack_text(changed, file=f"{pack_id}-{i}.yaml")], backend=backend)
        engine.evaluate(applicant, pack_id)
        calls = len(engine.pack(pack_id).calls)
        del engine
        return calls

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the warning past the count
        calls = one(0)
        gc.collect()
        before = _rss_kib()
        for i in range(1, versions + 1):
            one(i)
        gc.collect()
        after = _rss_kib()
    return {"pack": pack_id, "backend": backend, "calls": calls, "versions": versions,
            "rss_before_mib": round(before / 1024, 1), "rss_after_mib": round(after / 1024, 1),
            "mib_per_version": round((after - before) / 1024 / versions, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=40)
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--backend", action="append", default=[],
                        choices=["durable", "python"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    packs = args.pack or sorted(p.stem for p in (ROOT / "policies").glob("*.yaml"))
    backends = args.backend or ["durable", "python"]
    if args.child:
        print(json.dumps(measure(packs[0], args.versions, backends[0])))
        return 0
    print(f"{'pack':22} {'backend':8} {'calls':>5} {'versions':>8} {'RSS before':>11} "
          f"{'after':>8} {'MiB/version':>12}")
    for pack in packs:
        for backend in backends:
            out = subprocess.run([sys.executable, __file__, "--child", "--pack", pack,
                                  "--backend", backend, "--versions", str(args.versions)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"{r['pack']:22} {r['backend']:8} {r['calls']:>5} {r['versions']:>8} "
                  f"{r['rss_before_mib']:>9} M {r['rss_after_mib']:>6} M "
                  f"{r['mib_per_version']:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
