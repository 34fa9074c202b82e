"""Where packs come from: built-in packs, installed plugins, and paths.

Built-in packs ship inside the wheel (``fundrules/_packs``, from the repository's
``policies/`` folder). Third-party packages add packs through the
``fundrules.packs`` entry-point group: each entry point loads to a path (or a
callable returning paths) of pack files or folders of them.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["builtin_pack_dir", "entry_point_paths", "pack_files"]

ENTRY_POINT_GROUP = "fundrules.packs"


def builtin_pack_dir() -> Path:
    """The folder of built-in packs (installed wheel, or the source checkout)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_packs"
    if installed.is_dir():
        return installed
    return package.parent / "policies"


def entry_point_paths() -> list[Path]:
    """Pack paths registered by installed packages."""
    paths: list[Path] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        target = ep.load()
        found = target() if callable(target) else target
        if isinstance(found, str | os.PathLike):
            paths.append(Path(found))
        else:
            paths.extend(Path(p) for p in found)
    return paths


def pack_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Pack files among ``paths``: files as given; folders' ``*.yaml`` (not tests)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        else:
            yield path
