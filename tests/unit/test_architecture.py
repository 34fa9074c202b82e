"""The one-way flow of DESIGN section 2, enforced: who may import whom."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import fundrules

PACKAGE = Path(fundrules.__file__).parent
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))

# lower layers may not import higher ones (a module's layer: the first prefix that matches)
LAYERS = [
    ("fundrules.diagnostics", 0), ("fundrules._codes", 0), ("fundrules.schema", 1),
    ("fundrules._schema_types", 1), ("fundrules._applicant_models", 1),
    ("fundrules._applicant_errors", 1),
    ("fundrules.policies", 2),
    ("fundrules.runtime.semantics", 3), ("fundrules.runtime.walk", 3),
    ("fundrules.runtime.durable_limits", 3),
    ("fundrules.runtime.facts", 4), ("fundrules.runtime.decide", 4),
    ("fundrules.runtime.durable_form", 4), ("fundrules.runtime.python_backend", 4),
    ("fundrules.runtime.evaluation", 5), ("fundrules.runtime", 5), ("fundrules.engine", 5),
]
SEMANTICS = "fundrules.runtime.semantics"
BACKENDS = {"fundrules.engine", "fundrules.runtime.python_backend",
            "fundrules.runtime.durable_form"}


def _name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _layer(module: str) -> int:
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return 9  # api, explain, cli, testing, ...: the top


def test_only_the_engine_adapter_imports_durable_rules():
    importers = {_name(p) for p in MODULES if any(i == "durable" or i.startswith("durable.")
                                                 for i in _imports(p))}
    assert importers == {"fundrules.engine"}


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_nothing_imports_upward(path: Path):
    module = _name(path)
    upward = {i for i in _imports(path) if i.startswith("fundrules")
              and _layer(i) > _layer(module)}
    assert not upward, f"{module} imports {upward} from a higher layer"


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


@pytest.mark.parametrize("module", ["fundrules.explain", "fundrules.verify"])
def test_explain_and_verify_read_the_evaluation_not_the_backends(module: str):
    path = PACKAGE / (module.split(".", 1)[1] + ".py")
    imports = _imports(path)
    assert not imports & BACKENDS, f"{module} imports a backend: {imports & BACKENDS}"
    assert "fundrules.runtime.facts" not in imports or module == "fundrules.explain"
    names = path.read_text(encoding="utf-8")
    assert "evaluation(" in names or "Evaluation" in names


def test_nothing_evaluates_text():
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"eval", "exec", "compile", "__import__"}, path


@pytest.mark.parametrize("path", [p for p in MODULES if not p.name.startswith("_")
                                  or p.name == "__init__.py"], ids=_name)
def test_public_modules_declare_all_and_export_what_they_declare(path: Path):
    module = importlib.import_module(_name(path))
    if path.name == "__main__.py":
        return
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    for name in names:
        assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"


def test_package_ships_py_typed():
    assert (PACKAGE / "py.typed").is_file()
