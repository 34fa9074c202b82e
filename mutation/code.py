"""Mutation run over fundrules' semantic modules (issue 12), with no tool to install.

Each mutant changes one small thing in one module (a comparison, a connective, a
number, a status literal, ``not``, an arithmetic operator, ``break``/``continue``); the
module's fast test command (``mutation/config.toml``) runs against it; a mutant the tests
do not notice *survives*. Mutants are written into a throw-away copy of the checkout
(the working copy is never touched) and each runs in a child forked from one warm
process (``_forkrun.py``), at most one at a time, so a mutant costs seconds.

    python mutation/code.py                       # every module of config.toml
    python mutation/code.py --module fundrules/runtime/decide.py
    python mutation/code.py --list                # the mutants, not run
    python mutation/code.py --only 'semantics.py:value_status:*'   # fnmatch on the ids

A mutant's id is ``file:function:operator:n`` (``n`` counts that operator in that
function), stable while other functions change. Equivalent mutants are listed, each with
why, in ``mutation/equivalent.toml``; they are run and reported, and excluded from the
kill rate only if they survive. The closing table counts each module's mutants, those
run (a mutant with no result is named as *not run*), killed, equivalent and survived.
``--resume`` keeps an earlier result only while its mutant is the same (a digest of the
mutated module): after the module changes, an id may name another mutant. Run it under
``nice -n 19`` on a shared machine.
"""

from __future__ import annotations

import argparse
import ast
import copy
import fnmatch
import hashlib
import json
import signal
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _forkrun import REPO, run_forked, target_copy, warm_up
from _forkrun import equivalent as load_equivalent

CONFIG = Path(__file__).resolve().parent / "config.toml"

_CMP_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}
_BIN_SWAPS: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.FloorDiv,),
    ast.Div: (ast.Mult,), ast.FloorDiv: (ast.Mult,), ast.Mod: (ast.FloorDiv,)}
#: string literals that carry meaning here, each replaced by the others of its group
_WORD_GROUPS = (("met", "unmet", "unknown"), ("all", "any"), ("lo", "hi"),
                ("lt", "le", "gt", "ge"), ("eq", "ne"), ("in", "nin"),
                ("eligible", "ineligible", "incomplete"))
_WORDS = {w: g for g in _WORD_GROUPS for w in g}


@dataclass(frozen=True)
class Mutant:
    id: str
    line: int
    what: str
    source: str  # the whole mutated module

    @property
    def digest(self) -> str:
        """What the mutant is (its whole mutated module): a kept kill must be of this mutant."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]


def _name(op: object) -> str:
    return type(op).__name__


class _Finder(ast.NodeVisitor):
    """Every mutation point: (path to the node, operator id, description, apply)."""

    def __init__(self) -> None:
        self.points: list[tuple[str, int, str, object, ast.AST]] = []
        self.scope: list[str] = []
        self._skip: set[int] = set()

    # scopes and what is never mutated --------------------------------------------------
    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for deco in node.decorator_list:   # lru_cache sizes, dataclass options: speed/form
            self._skip.update(id(n) for n in ast.walk(deco))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs,
                      node.args.vararg, node.args.kwarg]:
                if a is not None and a.annotation is not None:
                    self._skip.update(id(n) for n in ast.walk(a.annotation))
            if node.returns is not None:
                self._skip.update(id(n) for n in ast.walk(node.returns))
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self._skip.add(id(body[0].value))  # docstring
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Module(self, node: ast.Module) -> None:
        if node.body and isinstance(node.body[0], ast.Expr):
            self._skip.add(id(node.body[0].value))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._skip.update(id(n) for n in ast.walk(node.annotation))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # the text of an error or a diagnostic is not behaviour these runs look at
        f = node.func
        fname = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if fname in {"TypeVar", "cast"}:
            return
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # messages

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in {"Literal", "Mapping", "dict",
                                                                   "tuple", "Callable"}:
            return  # a type, never evaluated for behaviour
        self.generic_visit(node)

    def _add(self, node: ast.AST, op: str, what: str, apply: object) -> None:
        if id(node) in self._skip:
            return
        self.points.append((".".join(self.scope) or "<module>", getattr(node, "lineno", 0),
                            f"{op}|{what}", apply, node))

    # the operators -----------------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            for new in _CMP_SWAPS.get(type(op), ()):
                def apply(n: ast.Compare, i: int = i, new: type = new) -> None:
                    n.ops[i] = new()
                self._add(node, f"cmp-{_name(op)}-{new.__name__}",
                          f"{_name(op)} -> {new.__name__}", apply)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        new = ast.Or if isinstance(node.op, ast.And) else ast.And

        def apply(n: ast.BoolOp, new: type = new) -> None:
            n.op = new()
        self._add(node, f"bool-{_name(node.op)}", f"{_name(node.op)} -> {new.__name__}", apply)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._add(node, "drop-not", "not x -> x", "drop-not")
        elif isinstance(node.op, ast.USub):
            self._add(node, "drop-minus", "-x -> x", "drop-not")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        for new in _BIN_SWAPS.get(type(node.op), ()):
            def apply(n: ast.BinOp, new: type = new) -> None:
                n.op = new()
            self._add(node, f"bin-{_name(node.op)}", f"{_name(node.op)} -> {new.__name__}", apply)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        for new in _BIN_SWAPS.get(type(node.op), ()):
            def apply(n: ast.AugAssign, new: type = new) -> None:
                n.op = new()
            self._add(node, f"aug-{_name(node.op)}", f"{_name(node.op)}= -> {new.__name__}=",
                      apply)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        v = node.value
        if isinstance(v, bool):
            def flip(n: ast.Constant) -> None:
                n.value = not n.value
            self._add(node, f"const-{v}", f"{v} -> {not v}", flip)
        elif isinstance(v, int):
            for d in (1, -1):
                def shift(n: ast.Constant, d: int = d) -> None:
                    n.value = n.value + d
                self._add(node, f"int{d:+d}", f"{v} -> {v + d}", shift)
        elif isinstance(v, str) and v in _WORDS:
            for w in _WORDS[v]:
                if w != v:
                    def word(n: ast.Constant, w: str = w) -> None:
                        n.value = w
                    self._add(node, f"str-{v}-{w}", f"{v!r} -> {w!r}", word)

    def visit_Break(self, node: ast.Break) -> None:
        self._add(node, "break-continue", "break -> continue", "swap-loop")

    def visit_Continue(self, node: ast.Continue) -> None:
        self._add(node, "continue-break", "continue -> break", "swap-loop")


class _Apply(ast.NodeTransformer):
    """Apply one mutation point to the node it names (found by identity)."""

    def __init__(self, target: ast.AST, action: object) -> None:
        self.target, self.action = target, action

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            if self.action == "drop-not":
                assert isinstance(node, ast.UnaryOp)
                return self.generic_visit(node.operand)
            if self.action == "swap-loop":
                return ast.Continue() if isinstance(node, ast.Break) else ast.Break()
            assert callable(self.action)
            self.action(node)
        return self.generic_visit(node)


def mutants(path: Path) -> Iterator[Mutant]:
    """Every mutant of one module, in source order."""
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(REPO).as_posix()
    base = ast.parse(text)
    finder = _Finder()
    finder.visit(base)
    order = list(ast.walk(base))
    position = {id(n): i for i, n in enumerate(order)}
    seen: Counter[tuple[str, str]] = Counter()
    for scope, line, opwhat, action, node in finder.points:
        op, what = opwhat.split("|", 1)
        seen[(scope, op)] += 1
        mid = f"{rel}:{scope}:{op}:{seen[(scope, op)]}"
        tree = copy.deepcopy(base)  # the same walk order: the node by its position
        target = list(ast.walk(tree))[position[id(node)]]
        mutated = _Apply(target, action).visit(tree)
        ast.fix_missing_locations(mutated)
        yield Mutant(mid, line, what, ast.unparse(mutated) + "\n")


def _steps_body(steps: list[list[str]]) -> Callable[[], int]:
    """Run each step in turn, stopping at the first that fails.

    ``["fundrules", ...]`` is the CLI in process, ``["pytest", ...]`` pytest with ``-x``.
    """
    def body() -> int:
        for step in steps:
            if step[0] == "fundrules":
                from fundrules.cli import main as cli
                code = int(cli(step[1:]))
            elif step[0] == "pytest":
                import pytest
                code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                                        *step[1:]]))
            else:
                raise SystemExit(f"unknown step {step!r} (fundrules or pytest)")
            if code:
                return 1 if code == 1 else code
        return 0
    return body




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append",
                        help="a module of config.toml (all by default)")
    parser.add_argument("--only", action="append", help="fnmatch pattern(s) on mutant ids")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--out", default="mutation-out", help="folder for results and logs")
    parser.add_argument("--resume", action="store_true",
                        help="keep the results so far (of mutants unchanged since); run again "
                             "only survivors and the rest")
    ns = parser.parse_args(argv)
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["code"]
    modules = ns.module or list(config)
    equivalent = load_equivalent("code")
    out = REPO / ns.out
    out.mkdir(exist_ok=True)
    results_path = out / "code-results.jsonl"
    every: dict[str, list[Mutant]] = {}
    todo: list[tuple[str, Mutant]] = []
    for module in modules:
        if module not in config:
            parser.error(f"{module}: not in {CONFIG.name} (one of {', '.join(config)})")
        every[module] = list(mutants(REPO / module))
        for m in every[module]:
            if ns.only and not any(fnmatch.fnmatch(m.id, p) for p in ns.only):
                continue
            todo.append((module, m))
    # an earlier row counts only while it is of the same mutant: once the module changes,
    # an id may name another mutant (or none), and its old result says nothing of it
    current = {m.id: m.digest for ms in every.values() for m in ms}
    done: dict[str, dict[str, object]] = {}
    previous: dict[str, dict[str, object]] = {}
    stale = 0
    if ns.resume and results_path.exists():
        for line in results_path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["module"] in every and current.get(r["id"]) != r.get("digest"):
                stale += 1
                continue
            previous[r["id"]] = r
            if r["killed"]:
                done[r["id"]] = r
    if stale:
        print(f"{stale} earlier result(s) dropped: of mutants that changed or are gone",
              flush=True)
    if ns.list:
        for _, m in todo:
            print(f"{m.id}  line {m.line}: {m.what}")
        print(f"{len(todo)} mutant(s)")
        return 0
    with target_copy() as repo:
        warm_up(repo, "import pytest, hypothesis, fundrules, fundrules.testing, fundrules.engine, "
                      "fundrules.batch, fundrules.cli")
        if ns.resume:  # keep every earlier row but those of the survivors run again
            again = {m.id for _, m in todo if m.id not in done}
            kept = [r for i, r in previous.items() if i not in again]
            results_path.write_text("".join(json.dumps(r) + "\n" for r in kept),
                                    encoding="utf-8")
            done.update({str(r["id"]): r for r in kept})
        with results_path.open("a" if ns.resume else "w", encoding="utf-8") as results:
            for module in modules:
                args = config[module]["steps"]
                target = repo / module
                original = target.read_text(encoding="utf-8")
                # the baseline: the unmutated module, unparsed as the mutants are
                target.write_text(ast.unparse(ast.parse(original)) + "\n", encoding="utf-8")
                state, took = run_forked(repo, _steps_body(args), timeout=1800,
                                         log=out / "baseline.log")
                if state != "passed":
                    target.write_text(original, encoding="utf-8")
                    print(f"{module}: the tests fail without a mutant ({state}); see "
                          f"{out / 'baseline.log'}", file=sys.stderr)
                    return 2
                timeout = max(60.0, 5 * took)
                print(f"{module}: baseline {took:.1f}s, timeout {timeout:.0f}s", flush=True)
                for mod, m in todo:
                    if mod != module or m.id in done:
                        continue
                    target.write_text(m.source, encoding="utf-8")
                    log = out / "last.log"
                    state, took = run_forked(repo, _steps_body(args), timeout=timeout, log=log)
                    killed = state != "passed"
                    row = {"id": m.id, "module": module, "line": m.line, "what": m.what,
                           "digest": m.digest, "state": state, "killed": killed,
                           "seconds": round(took, 2), "equivalent": equivalent.get(m.id)}
                    if not killed:
                        (out / "survivors").mkdir(exist_ok=True)
                        safe = m.id.replace("/", "_").replace(":", "__")
                        (out / "survivors" / f"{safe}.py").write_text(m.source, encoding="utf-8")
                    results.write(json.dumps(row) + "\n")
                    results.flush()
                    done[m.id] = row
                    mark = "killed" if killed else "SURVIVED"
                    print(f"{mark:8} {state:8} {took:5.1f}s {m.id} (line {m.line}: {m.what})",
                          flush=True)
                target.write_text(original, encoding="utf-8")
    report(list(done.values()), {k: [m.id for m in v] for k, v in every.items()}, equivalent)
    return 0


def report(rows: list[dict[str, object]], every: dict[str, list[str]],
           equivalent: dict[str, str]) -> None:
    """Kill rate per module: killed / (mutants run - surviving equivalents).

    ``every`` holds each module's mutant ids now: a mutant with no result is *not run*,
    counted and named, so that a partial run never reads as a whole one.
    """
    print("\n| module | mutants | run | killed | equivalent | survived | kill rate |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for module, ids in every.items():
        known = set(ids)
        mine = [r for r in rows if r["module"] == module and r["id"] in known]
        killed = sum(1 for r in mine if r["killed"])
        equiv = sum(1 for r in mine if not r["killed"] and r["id"] in equivalent)
        survived = len(mine) - killed - equiv
        counted = len(mine) - equiv
        rate = f"{100.0 * killed / counted:.1f}%" if counted else "-"
        missing = [i for i in ids if i not in {r["id"] for r in mine}]
        if missing:
            rate += f" of those run ({len(missing)} not run)"
        print(f"| `{module}` | {len(ids)} | {len(mine)} | {killed} | {equiv} | {survived} "
              f"| {rate} |")
        for r in mine:
            if not r["killed"] and r["id"] not in equivalent:
                print(f"    survived: {r['id']} (line {r['line']}: {r['what']})")
        for i in missing[:20]:
            print(f"    not run: {i}")
        if len(missing) > 20:
            print(f"    not run: ... and {len(missing) - 20} more (--list shows them)")


if __name__ == "__main__":
    # stopped (kill PID): leave through the context managers, which remove the copy
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:.0f}s)")
    raise SystemExit(code)
