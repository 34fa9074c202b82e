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
    ("fundrules.policies", 2), ("fundrules.facts", 3), ("fundrules.engine", 3),
    ("fundrules.backends", 3), ("fundrules.decide", 3),
]


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
