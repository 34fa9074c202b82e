"""Pack-threshold mutants (issue 12): does a YAML case notice a moved threshold.

For every built-in pack (``policies/*.yaml``), each mutant changes one thing the pack's
decisions turn on, in a throw-away copy of the checkout:

- a comparison operator in a condition (``when:``, ``where:``...): ``>=`` -> ``>``,
  ``<=`` -> ``<``, ``>`` -> ``>=``, ``<`` -> ``<=``, ``==`` <-> ``!=``;
- a number, in a condition or a value (parameters, amounts, thresholds such as
  ``15000 EUR``, an income period ``"2019"``): N -> N+1 and N-1;
- a date (a parameter, a window of a measure, a bound in a condition): +1 and -1 day;
  a date-time (a call's window): +1 and -1 day, and +1 and -1 minute.

Then it runs ``fundrules test --backend both`` (every case of ``policies/tests/`` on
both backends) there, then ``fundrules test --backend both tests/cases`` (the bound
cases written from earlier survivors); the mutant survives if every case passes. Text
(titles, messages, sources, citations) is never touched, nor the allocation settings (``budget``,
``max_awards``: the batch tests cover them, ``tests/integration/batch/test_allocate.py``) nor the
``monotonic:`` declarations (the property tests read them).

    python mutation/packs.py                     # every pack
    python mutation/packs.py --pack it-ifc-netflix --list

Each child is forked from one warm process (``_forkrun.py``); at most one runs at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _forkrun import REPO, run_forked, target_copy, warm_up
from _forkrun import equivalent as load_equivalent

#: keys whose scalars are conditions: operators and numbers in them are mutated
CONDITION_KEYS = {"when", "where", "unless", "eligible", "applies", "condition"}
#: keys whose values are never mutated: text, identifiers, allocation, declarations
TEXT_KEYS = {"title", "message", "quote", "description", "url", "cite", "settles",
             "confidence", "note", "says", "reason", "not_encoded", "sources", "ambiguities",
             "version", "pack", "languages", "currency", "country", "administrator", "funder",
             "allocation", "budget", "max_awards", "monotonic", "id", "then", "tz", "kind",
             "over", "reads", "$schema"}

_DATETIME = re.compile(
    r"(?<![\w.])(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?(?![\w.])")
_NUMBER = re.compile(r"(?<![\w.\-])(\d+)(?:\.(\d+))?(?![\w.\-])")
_OPERATOR = re.compile(r">=|<=|==|!=|>|<")
_OP_SWAPS = {">=": (">",), "<=": ("<",), ">": (">=",), "<": ("<=",), "==": ("!=",),
             "!=": ("==",)}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass(frozen=True)
class PackMutant:
    pack: str
    id: str
    line: int
    what: str
    text: str  # the whole mutated pack


def _scalars(node: yaml.Node, path: tuple[str, ...]
             ) -> Iterator[tuple[tuple[str, ...], yaml.ScalarNode]]:
    if isinstance(node, yaml.ScalarNode):
        yield path, node
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _scalars(item, (*path, str(i)))
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)))


def _keyed(path: tuple[str, ...]) -> list[str]:
    return [p for p in path if not p.isdigit()]


def _shift(token: re.Match[str], days: int = 0, minutes: int = 0) -> str:
    y, mo, d, h, mi, s = token.groups()
    if h is None:
        return (dt.date(int(y), int(mo), int(d)) + dt.timedelta(days=days)).isoformat()
    moved = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0)) + \
        dt.timedelta(days=days, minutes=minutes)
    return moved.strftime("%Y-%m-%dT%H:%M" + (":%S" if s else ""))


def mutants(path: Path) -> Iterator[PackMutant]:
    """Every mutant of one pack file, in file order."""
    text = path.read_text(encoding="utf-8")
    pack = path.stem
    root = yaml.compose(text)
    for keypath, node in _scalars(root, ()):
        keys = _keyed(keypath)
        if not keys or any(k in TEXT_KEYS for k in keys) or node.value in (None, ""):
            continue
        start, end = node.start_mark.index, node.end_mark.index
        raw = text[start:end]
        is_condition = keys[-1] in CONDITION_KEYS
        # spans of quoted literals inside a condition are identifiers, never numbers
        masked = _QUOTED.sub(lambda m: "_" * len(m.group()), raw) if is_condition else raw
        if node.style in (">", "|"):  # the block header (`>-`) is no operator
            header = masked.find("\n") if "\n" in masked else len(masked)
            masked = "_" * header + masked[header:]
        taken: list[tuple[int, int]] = []
        edits: list[tuple[int, int, str, str]] = []  # (from, to, replacement, what)
        for m in _DATETIME.finditer(masked):
            taken.append(m.span())
            real = _DATETIME.match(raw, m.start())
            assert real is not None
            steps = [(1, 0), (-1, 0)] + ([(0, 1), (0, -1)] if m.group(4) else [])
            for days, minutes in steps:
                new = _shift(real, days, minutes)
                unit = f"{days:+d} day" if days else f"{minutes:+d} minute"
                edits.append((m.start(), m.end(), new, f"{m.group()} -> {new} ({unit})"))
        for m in _NUMBER.finditer(masked):
            if any(a <= m.start() < b for a, b in taken):
                continue
            whole = m.group(1)
            for d in (1, -1):
                moved = int(whole) + d
                if moved < 0:
                    continue
                new = str(moved).zfill(len(whole)) + (f".{m.group(2)}" if m.group(2) else "")
                edits.append((m.start(1), m.end(), new, f"{m.group()} -> {new}"))
        if is_condition:
            for m in _OPERATOR.finditer(masked):
                for new in _OP_SWAPS[m.group()]:
                    edits.append((m.start(), m.end(), new, f"`{m.group()}` -> `{new}`"))
        edits.sort(key=lambda e: e[0])
        for k, (a, b, new, what) in enumerate(edits, 1):
            line = node.start_mark.line + 1 + raw[:a].count("\n")
            mutated = text[:start] + raw[:a] + new + raw[b:] + text[end:]
            where = ".".join(keypath)
            # the id: the scalar's path and the edit's rank in it (stable while it stays)
            yield PackMutant(pack, f"{pack}:{where}:{k}", line, f"{where}: {what}", mutated)


#: what decides a pack mutant: the built-in packs' cases, then the bound cases written
#: from earlier survivors (tests/cases/, also run by tests/unit/runtime/test_mutants_packs.py)
COMMANDS = (["test", "--backend", "both"], ["test", "--backend", "both", "tests/cases"])


def _cli(commands: tuple[list[str], ...]) -> Callable[[], int]:
    def body() -> int:
        from fundrules.cli import main as cli
        for args in commands:
            code = int(cli(args))
            if code:
                return code
        return 0
    return body




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", action="append", help="a built-in pack id (all by default)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--out", default="mutation-out", help="folder for results and logs")
    parser.add_argument("--only", action="append", help="fnmatch pattern(s) on mutant ids")
    parser.add_argument("--resume", action="store_true",
                        help="keep the kills of the last run; run the survivors and the rest")
    ns = parser.parse_args(argv)
    files = sorted((REPO / "policies").glob("*.yaml"))
    if ns.pack:
        files = [f for f in files if f.stem in ns.pack]
    todo = [m for f in files for m in mutants(f)
            if not ns.only or any(fnmatch.fnmatch(m.id, p) for p in ns.only)]
    out = REPO / ns.out
    results_path = out / "packs-results.jsonl"
    kept: list[dict[str, object]] = []
    if ns.resume and results_path.exists():
        kept = [r for r in map(json.loads, results_path.read_text(encoding="utf-8").splitlines())
                if r["killed"]]
        todo = [m for m in todo if m.id not in {r["id"] for r in kept}]
    if ns.list:
        for m in todo:
            print(f"{m.id}  line {m.line}: {m.what}")
        print(f"{len(todo)} mutant(s)")
        return 0
    out.mkdir(exist_ok=True)
    command = COMMANDS
    rows: list[dict[str, object]] = list(kept)
    with target_copy() as repo:
        warm_up(repo, "import fundrules, fundrules.cli, fundrules.engine, fundrules.testing.cases")
        state, took = run_forked(repo, _cli(command), timeout=1800, log=out / "packs-baseline.log")
        if state != "passed":
            print(f"the cases fail without a mutant ({state}): {out / 'packs-baseline.log'}",
                  file=sys.stderr)
            return 2
        timeout = max(60.0, 5 * took)
        print(f"baseline {took:.1f}s, timeout {timeout:.0f}s", flush=True)
        with results_path.open("w", encoding="utf-8") as results:
            for row in kept:
                results.write(json.dumps(row) + "\n")
            for m in todo:
                target = repo / "policies" / f"{m.pack}.yaml"
                original = target.read_text(encoding="utf-8")
                target.write_text(m.text, encoding="utf-8")
                try:
                    state, took = run_forked(repo, _cli(command), timeout=timeout,
                                             log=out / "packs-last.log")
                finally:
                    target.write_text(original, encoding="utf-8")
                killed = state != "passed"
                row = {"id": m.id, "pack": m.pack, "line": m.line, "what": m.what,
                       "state": state, "killed": killed, "seconds": round(took, 2)}
                rows.append(row)
                results.write(json.dumps(row) + "\n")
                results.flush()
                mark = "killed" if killed else "SURVIVED"
                print(f"{mark:8} {state:8} {took:5.1f}s {m.id} (line {m.line}: {m.what})",
                      flush=True)
    equivalent = load_equivalent("packs")
    print("\npack | mutants | killed | equivalent (survived) | kill rate")
    for f in files:
        mine = [r for r in rows if r["pack"] == f.stem]
        killed = sum(1 for r in mine if r["killed"])
        equiv = sum(1 for r in mine if not r["killed"] and r["id"] in equivalent)
        counted = len(mine) - equiv
        print(f"{f.stem} | {len(mine)} | {killed} | {equiv} | "
              f"{100.0 * killed / counted if counted else 100.0:.1f}%")
        for r in mine:
            if not r["killed"] and r["id"] not in equivalent:
                print(f"    survived: {r['id']} (line {r['line']}: {r['what']})")
    return 0


if __name__ == "__main__":
    # stopped (kill PID): leave through the context managers, which remove the copy
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:.0f}s)")
    raise SystemExit(code)
