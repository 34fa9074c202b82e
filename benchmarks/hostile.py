"""Time and memory of every hostile case of tests/integration/hostile/, one child process per case.

    python benchmarks/hostile.py

For each catalogue entry (hostile applicant files, hostile packs) prints what fundrules
answered, the wall time of the load (``read_applicant`` / ``load_pack``) and of the CLI
(``fundrules evaluate`` / ``fundrules check``), and how much the child's peak RSS grew
over what importing fundrules already cost. The budget for packs is 1 s and 100 MB.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.hostile import test_hostile_applicants as applicants  # noqa: E402
from tests.integration.hostile import test_hostile_packs as packs  # noqa: E402
from tests.integration.hostile._isolated import run_isolated  # noqa: E402

__all__ = ["main"]

_RULE = ("  - id: R{i}\n    when: covid_hardship\n    then: f{i}\n    cite: S1\n"
         "    message: {{fr: a, en: a, it: a, es: a}}\n")
#: legal packs that are merely large: not refused, but what do they cost to load?
_LARGE = {f"FR pack plus {n:,} rules (accepted)": n for n in (1000, 2000, 4000)}


def _write_large(tmp: Path, name: str) -> Path:
    base = (ROOT / "policies" / "fr-netflix-audiens.yaml").read_text(encoding="utf-8")
    rules = "".join(_RULE.format(i=i) for i in range(_LARGE[name]))
    path = tmp / "pack.yaml"
    path.write_text(base.replace("rules:\n", "rules:\n" + rules, 1), encoding="utf-8")
    return path


def _table(kind: str, names: list[str], write: object) -> list[tuple[str, float, float]]:
    mode = kind.split()[-1]
    print(f"\n### {kind}s\n")
    print("| case | answer | load ms | load peak RSS growth MiB | CLI ms | CLI peak RSS growth "
          "MiB | CLI output chars |\n|---|---|---:|---:|---:|---:|---:|")
    worst: list[tuple[str, float, float]] = []
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            path = write(Path(tmp), name)  # type: ignore[operator]
            got = run_isolated(mode, path)
        answer = (f"{got['error']} {', '.join(dict.fromkeys(got['codes']))} (exit {got['exit']})"
                  if got["error"] else f"accepted (exit {got['exit']})")
        if got["unexpected"]:
            answer = f"**{got['unexpected']}**"
        print(f"| {name} | {answer} | {got['seconds'] * 1000:,.1f} | "
              f"{got['peak_growth_mib']:,.1f} | {got['cli_seconds'] * 1000:,.1f} | "
              f"{got['cli_peak_growth_mib']:,.1f} | {got['output_chars']:,} |", flush=True)
        worst.append((name, max(got["seconds"], got["cli_seconds"]),
                       max(got["peak_growth_mib"], got["cli_peak_growth_mib"])))
    return worst


def main() -> int:
    """Print both tables and the worst cases."""
    rows = _table("applicant", list(applicants.CATALOGUE), applicants.write_case)
    rows += _table("pack", list(packs.CATALOGUE), packs.write_case)
    rows += _table("large pack", list(_LARGE), _write_large)
    slow = max(rows, key=lambda r: r[1])
    big = max(rows, key=lambda r: r[2])
    print(f"\nslowest: {slow[0]} ({slow[1]:.2f} s, load or CLI); "
          f"largest: {big[0]} ({big[2]:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
