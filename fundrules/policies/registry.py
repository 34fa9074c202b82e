"""Where packs come from, and the one way to find a pack by id.

Packs come from three places: the built-in packs (inside the wheel as ``fundrules/_packs``,
or the checkout's ``policies/``), installed packages (the ``fundrules.packs`` entry-point
group: each entry point loads to a path, a list of paths, or a callable returning them),
and paths a user gives. :class:`PackRegistry` gathers them; the Engine, every command and
the testing tools use it, so a pack found by one is found by all.

Rules: a pack given by path replaces a built-in or installed pack of the same id (an author
evaluates their edited copy); two packs of one origin kind claiming one id, or an installed
package claiming the id of a built-in pack or of another package's pack, is a
:class:`~fundrules.errors.DuplicatePackError` naming both. An installed package whose entry
point cannot be loaded is reported in one line (``plugin-broken``, a warning) and leaves
every other pack usable.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from fundrules.diagnostics import Diagnostic
from fundrules.errors import DuplicatePackError, PackError, UnknownPackError
from fundrules.policies.loader import Limits, load_file
from fundrules.policies.model import suggest
from fundrules.policies.pack import Pack, load_pack

__all__ = ["ENTRY_POINT_GROUP", "PackRegistry", "PackSource", "builtin_pack_dir", "pack_files"]

ENTRY_POINT_GROUP = "fundrules.packs"
_ID_LIMITS = Limits(max_nodes=20_000)


def builtin_pack_dir() -> Path:
    """The folder of built-in packs (installed wheel, or the source checkout)."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "_packs"
    if installed.is_dir():
        return installed
    return package.parent / "policies"


def pack_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Pack files among ``paths``: files as given; folders' ``*.yaml`` (not tests)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        else:
            yield path


@dataclasses.dataclass(frozen=True, slots=True)
class PackSource:
    """One pack file and where it came from: ``built-in``, ``path``, or the package name."""

    path: Path
    origin: str

    @property
    def kind(self) -> str:
        """``built-in``, ``path`` or ``plugin``."""
        return self.origin if self.origin in ("built-in", "path") else "plugin"


def _plugin_sources() -> tuple[list[PackSource], list[Diagnostic]]:
    sources: list[PackSource] = []
    problems: list[Diagnostic] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        package = ep.dist.name if ep.dist is not None else ep.value
        try:
            target = ep.load()
            found = target() if callable(target) else target
            paths = [found] if isinstance(found, str | os.PathLike) else list(found)
            sources += [PackSource(p, f"package `{package}`")
                        for p in pack_files(Path(x) for x in paths)]
        except Exception as exc:  # a broken plugin must not break the built-in packs
            problems.append(Diagnostic(
                "plugin-broken", f"the installed package `{package}` registers packs "
                f"(`{ep.name} = {ep.value}`) that cannot be loaded: {exc!r}"[:300],
                severity="warning", hint=f"fix or uninstall `{package}`; the other packs "
                "are loaded as usual"))
    return sources, problems


def pack_id_of(path: Path) -> str | None:
    """The id (``pack:``) a pack file declares, read without compiling it (None if unreadable).

    Remembered per file version (path, size, modification time): discovering the packs
    again, as each command and case file does, does not read every pack file again.
    """
    try:
        stat = path.stat()
    except OSError:
        return None
    return _pack_id_of(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _pack_id_of(path: str, size: int, mtime_ns: int) -> str | None:
    loaded = load_file(path, limits=_ID_LIMITS)
    node = loaded.root.get("pack") if loaded.root is not None else None
    value = node.to_plain() if node is not None else None
    return value if isinstance(value, str) else None


class PackRegistry:
    """The packs of a process by id, from built-in packs, installed packages and paths."""

    def __init__(self, sources: Iterable[PackSource], problems: Iterable[Diagnostic] = ()):
        self.problems: tuple[Diagnostic, ...] = tuple(problems)
        self._sources: dict[str, PackSource] = {}
        self._unnamed: list[PackSource] = []
        for source in sources:
            pack_id = pack_id_of(source.path)
            if pack_id is None:
                self._unnamed.append(source)  # loading it reports why
                continue
            earlier = self._sources.get(pack_id)
            if earlier is not None and not (source.kind == "path" and earlier.kind != "path"):
                raise DuplicatePackError([Diagnostic(
                    "duplicate-id", f"two packs have the id `{pack_id}`: {earlier.path} "
                    f"({earlier.origin}) and {source.path} ({source.origin})",
                    hint="load only one of them (or give the pack another id)",
                    file=str(source.path))])
            self._sources[pack_id] = source
        self._loaded: dict[str, Pack] = {}

    @classmethod
    def discover(cls, paths: Iterable[str | os.PathLike[str]] = (), *, builtin: bool = True,
                 plugins: bool = True) -> PackRegistry:
        """Built-in packs, installed packages' packs, then ``paths`` (which replace by id)."""
        sources = [PackSource(p, "built-in") for p in pack_files([builtin_pack_dir()])] \
            if builtin else []
        problems: list[Diagnostic] = []
        if plugins:
            found, problems = _plugin_sources()
            sources += found
        sources += [PackSource(p, "path") for p in pack_files(paths)]
        return cls(sources, problems)

    @property
    def ids(self) -> tuple[str, ...]:
        """The pack ids, in discovery order."""
        return tuple(self._sources)

    def sources(self) -> list[PackSource]:
        """Every pack file, those whose id could not be read included (in order)."""
        return [*self._sources.values(), *self._unnamed]

    def source(self, pack_id: str) -> PackSource:
        """Where the pack with that id comes from; :class:`UnknownPackError` if none."""
        try:
            return self._sources[pack_id]
        except KeyError:
            hint = suggest(pack_id, self._sources) or (
                "use one of " + ", ".join(self._sources) if self._sources else
                "no pack is installed")
            raise UnknownPackError([Diagnostic("unknown-pack", f"no pack has the id "
                                               f"`{pack_id}`", hint=hint, path="pack")]) from None

    def resolve(self, names: Iterable[str]) -> list[Path]:
        """Pack files for command-line arguments: files, folders, or pack ids.

        No argument means every pack of the registry. An argument that is neither an
        existing path nor a known id raises :class:`UnknownPackError` with a suggestion.
        """
        names = list(names)
        if not names:
            return [s.path for s in self.sources()]
        out: list[Path] = []
        for name in names:
            if Path(name).exists() or (name not in self._sources and (
                    "/" in name or name.endswith((".yaml", ".yml")))):
                out += pack_files([name])
            else:
                out.append(self.source(name).path)
        return out

    def get(self, pack_id: str) -> Pack:
        """The loaded pack with that id (loaded once; :class:`PackError` if broken)."""
        if pack_id not in self._loaded:
            self._loaded[pack_id] = load_pack(self.source(pack_id).path)
        return self._loaded[pack_id]

    def packs(self) -> list[Pack]:
        """Every pack, loaded; every broken one reported at once in one PackError."""
        out: list[Pack] = []
        problems: list[Diagnostic] = []
        for pack_id in self._sources:
            try:
                out.append(self.get(pack_id))
            except PackError as err:
                problems += err.diagnostics
        for source in self._unnamed:
            try:
                out.append(load_pack(source.path))
            except PackError as err:
                problems += err.diagnostics
        if problems:
            raise PackError(problems)
        return out
