"""The one-way flow of docs/architecture.md, enforced: who may import whom, and what is private.

Every module of the package has a rank (the first matching prefix of ``RANKS``, longest
first); a module may import only modules of a lower or the same rank, and the import graph
(lazy imports inside functions included) has no cycle. docs/architecture.md lists the same
folders in the same order (a test below keeps the two in step).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import fundrules

PACKAGE = Path(fundrules.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
ARCHITECTURE_DOC = PACKAGE.parent / "docs" / "architecture.md"

#: Bottom to top. A module may import modules of its own rank or below, never above.
RANKS: tuple[tuple[str, ...], ...] = (
    ("fundrules.diagnostics", "fundrules.version"),
    ("fundrules.errors",),
    ("fundrules.i18n",),
    ("fundrules._schema", "fundrules.schema"),
    ("fundrules.policies",),
    ("fundrules.io",),
    ("fundrules.runtime",),
    ("fundrules.engine",),
    ("fundrules.backends",),
    ("fundrules.parallel",),
    ("fundrules.api",),
    ("fundrules.explain", "fundrules.testing", "fundrules.batch"),
    ("fundrules.authoring",),
    ("fundrules.serve",),
    ("fundrules.cli",),
    ("fundrules", "fundrules.__main__"),
)
SEMANTICS = "fundrules.runtime.semantics"
BACKENDS = {"fundrules.engine", "fundrules.runtime.python_backend",
            "fundrules.runtime.durable_form", "fundrules.backends"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


NAMES = {_name(p) for p in MODULES}


def _imports(path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """Every import of a module, lazy ones included: (module, names, line)."""
    found = []
    module = _name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, (), node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, tuple(a.name for a in node.names), node.lineno))
    return found


def _targets(path: Path) -> set[str]:
    """The package modules a module imports (``from pkg import submodule`` counts as both)."""
    out = set()
    for module, names, _ in _imports(path):
        if module in NAMES:
            out.add(module)
        out |= {f"{module}.{n}" for n in names if f"{module}.{n}" in NAMES}
    return out


def rank(module: str) -> int:
    best, found = -1, None
    for level, prefixes in enumerate(RANKS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), level
    assert found is not None, f"{module} has no rank: add it to RANKS and docs/architecture.md"
    return found


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_module_has_a_rank_and_imports_only_downward(path: Path):
    module = _name(path)
    upward = sorted(t for t in _targets(path) if rank(t) > rank(module))
    assert not upward, f"{module} (rank {rank(module)}) imports higher modules: {upward}"


def test_the_import_graph_has_no_cycle():
    graph = {_name(p): _targets(p) - {_name(p)} for p in MODULES}
    # a package's __init__ importing its own submodules is how it exports them: the
    # submodules importing the package back would be the cycle, and is caught below
    for node, targets in graph.items():
        graph[node] = {t for t in targets if not t.startswith(node + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def _private_root(module: str) -> tuple[str, str] | None:
    """A private module's owner package and private root, else None.

    ``a.b._c.d`` -> (``a.b``, ``a.b._c``).
    """
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i]), ".".join(parts[: i + 1])
    return None


def _private_owner(module: str) -> str | None:
    found = _private_root(module)
    return found[0] if found else None


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_private_module_is_imported_from_another_package(path: Path):
    """``pkg._mod`` is pkg's own: only pkg's own modules (and ``pkg._mod``'s) may import it."""
    module = _name(path)
    here = module if path.name == "__init__.py" else module.rpartition(".")[0]
    leaks = []
    for target in sorted(_targets(path)):
        found = _private_root(target)
        if found is None:
            continue
        owner, root = found
        if here != owner and module != root and not module.startswith(root + "."):
            leaks.append(target)
    assert not leaks, f"{module} imports private modules of other packages: {leaks}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_private_name_is_imported_from_another_module(path: Path):
    """A leading underscore means "this module only": no other module takes such a name."""
    leaks = [f"line {line}: {module}.{n}" for module, names, line in _imports(path)
             if module.startswith("fundrules") for n in names
             if n.startswith("_") and not n.startswith("__") and f"{module}.{n}" not in NAMES]
    assert not leaks, f"{_name(path)} imports private names: {leaks}"


@pytest.mark.parametrize("path", [p for p in MODULES if _private_owner(_name(p)) is None],
                         ids=_name)
def test_public_modules_export_only_public_names_that_exist(path: Path):
    if path.name == "__main__.py":
        return
    module = importlib.import_module(_name(path))
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    for name in names:
        assert not name.startswith("_"), f"{module.__name__}.__all__ exports private {name}"
        assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"
        defined_as = getattr(getattr(module, name), "__name__", name)
        assert not str(defined_as).startswith("_"), \
            f"{module.__name__}.{name} is a public alias of the private {defined_as}"


def test_the_root_api_is_small_and_every_name_is_documented():
    api_doc = (PACKAGE.parent / "docs" / "api.md").read_text(encoding="utf-8")
    assert len(fundrules.__all__) <= 25
    missing = [n for n in fundrules.__all__ if not re.search(rf"\b{n}\b", api_doc)]
    assert not missing, f"docs/api.md does not document {missing}"


def test_the_architecture_doc_lists_the_ranks_in_order():
    text = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", text, re.M)
    documented = [tuple(re.findall(r"`([\w.]+)/?`", cell)) for _, cell in rows]
    expected = [tuple(p for p in prefixes) for prefixes in RANKS]
    assert documented == expected


def test_only_the_engine_adapter_imports_durable_rules():
    importers = {_name(p) for p in MODULES
                 if any(m == "durable" or m.startswith(("durable.", "durable_rules"))
                        for m, _, _ in _imports(p))}
    assert importers == {"fundrules.engine"}


def _tables(path: Path) -> list[str]:
    """Dict literals that map statuses, or comparison operators to operators: truth tables."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        values = {v.value for v in node.values if isinstance(v, ast.Constant)}
        if {"met", "unmet"} <= keys and values & {"met", "unmet", "unknown"}:
            found.append(f"line {node.lineno}: a table over statuses")
        elif {"lt", "ge"} <= keys and (values & {"lt", "le", "gt", "ge"}
                                       or not all(isinstance(v, ast.Constant)
                                                  for v in node.values)):
            found.append(f"line {node.lineno}: a table over comparison operators")
    return found


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_only_the_semantics_module_writes_truth_tables(path: Path):
    """The three-valued semantics exists once: every other module derives from it."""
    if _name(path) == SEMANTICS:
        assert _tables(path), "the semantics module lost its tables"
        return
    assert not _tables(path), f"{_name(path)} writes its own semantics: {_tables(path)}"


@pytest.mark.parametrize("package", ["fundrules.explain", "fundrules.authoring"])
def test_explain_and_verify_read_the_evaluation_not_the_backends(package: str):
    paths = [p for p in MODULES if _name(p) == package or _name(p).startswith(package + ".")]
    imports = set().union(*(_targets(p) for p in paths))
    assert not imports & BACKENDS, f"{package} imports a backend: {imports & BACKENDS}"
    text = "".join(p.read_text(encoding="utf-8") for p in paths)
    assert "evaluation(" in text or "Evaluation" in text


def test_nothing_evaluates_text():
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"eval", "exec", "compile", "__import__"}, path


def test_package_ships_py_typed():
    assert (PACKAGE / "py.typed").is_file()
