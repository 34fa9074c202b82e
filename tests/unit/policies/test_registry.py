"""One registry finds packs for the Engine, every command and the testing tools."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

import pytest

from fundrules import DuplicatePackError, Engine, UnknownPackError
from fundrules.policies import registry
from fundrules.policies.registry import ENTRY_POINT_GROUP, PackRegistry, builtin_pack_dir

IT = "it-ifc-netflix"
BUILTIN = {"es-academia-netflix", "fr-netflix-audiens", IT, "uk-film-tv-charity"}


def _renamed_copy(folder: Path, new_id: str, name: str | None = None) -> Path:
    text = (builtin_pack_dir() / f"{IT}.yaml").read_text(encoding="utf-8")
    path = folder / (name or f"{new_id}.yaml")
    path.write_text(text.replace(f"pack: {IT}\n", f"pack: {new_id}\n", 1), encoding="utf-8")
    return path


class _Dist:
    def __init__(self, name: str) -> None:
        self.name = name


def _install(monkeypatch: pytest.MonkeyPatch, **targets: object) -> None:
    """Pretend packages `pkg-<name>` register these entry points (name -> loaded target)."""
    module = type("m", (), {})
    entries = []
    for name, target in targets.items():
        setattr(module, name, target)
        ep = importlib.metadata.EntryPoint(name=name, value=f"fake_{name}:{name}",
                                           group=ENTRY_POINT_GROUP)
        entries.append((ep, target, f"pkg-{name}"))

    class Entry:
        def __init__(self, ep: importlib.metadata.EntryPoint, target: object, dist: str):
            self.name, self.value, self.dist = ep.name, ep.value, _Dist(dist)
            self._target = target

        def load(self) -> object:
            if isinstance(self._target, Exception):
                raise self._target
            return self._target

    def entry_points(*, group: str) -> list[Entry]:
        return [Entry(*e) for e in entries] if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(registry.importlib.metadata, "entry_points", entry_points)


def test_builtin_packs_are_found_by_id_and_an_unknown_id_gets_a_suggestion():
    found = PackRegistry.discover(plugins=False)
    assert set(found.ids) == BUILTIN
    assert found.get(IT).id == IT
    with pytest.raises(UnknownPackError) as info:
        found.get("it-ifc-netflx")
    assert "it-ifc-netflix" in (info.value.diagnostics[0].hint or "")


def test_an_installed_package_adds_packs_to_the_engine_and_to_lookups(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    _renamed_copy(tmp_path, "xx-plugin-fund")
    _install(monkeypatch, packs=str(tmp_path))
    found = PackRegistry.discover()
    assert found.source("xx-plugin-fund").origin == "package `pkg-packs`"
    assert "xx-plugin-fund" in Engine(backend="python").pack_ids


def test_a_broken_plugin_is_one_warning_and_the_builtin_packs_still_load(
        monkeypatch: pytest.MonkeyPatch):
    _install(monkeypatch, broken=ImportError("No module named 'fake_broken'"))
    found = PackRegistry.discover()
    (problem,) = found.problems
    assert problem.code == "plugin-broken" and "`pkg-broken`" in problem.message
    with pytest.warns(RuntimeWarning, match="pkg-broken"):
        engine = Engine(backend="python")
    assert set(engine.pack_ids) == BUILTIN


def test_a_plugin_claiming_a_builtin_id_is_an_error_naming_both(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    shutil.copy(builtin_pack_dir() / f"{IT}.yaml", tmp_path / "copy.yaml")
    _install(monkeypatch, clash=str(tmp_path))
    with pytest.raises(DuplicatePackError) as info:
        PackRegistry.discover()
    message = info.value.diagnostics[0].message
    assert "built-in" in message and "package `pkg-clash`" in message


def test_two_plugins_claiming_one_id_name_both_packages(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _renamed_copy(tmp_path / "a", "xx-same")
    _renamed_copy(tmp_path / "b", "xx-same")
    _install(monkeypatch, first=str(tmp_path / "a"), second=str(tmp_path / "b"))
    with pytest.raises(DuplicatePackError, match=r"pkg-first.*pkg-second"):
        PackRegistry.discover()


def test_a_path_replaces_the_builtin_pack_of_its_id(tmp_path: Path):
    edited = tmp_path / "mine.yaml"
    shutil.copy(builtin_pack_dir() / f"{IT}.yaml", edited)
    found = PackRegistry.discover([edited], plugins=False)
    assert found.source(IT).path == edited and set(found.ids) == BUILTIN
    with pytest.raises(DuplicatePackError):
        PackRegistry.discover([edited, builtin_pack_dir() / f"{IT}.yaml"], builtin=False)
