"""A loaded pack: its model, one compiled form per call, and call selection.

``load_pack`` runs the whole one-way pipeline (YAML -> located tree -> model ->
checks -> compiled calls) and raises :class:`PackError` with every problem at once;
``check_pack`` returns the problems instead of raising.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from fundrules.diagnostics import Diagnostic, sorted_diagnostics
from fundrules.errors import PackError, UnknownPackError
from fundrules.policies._partial import build_pack_partial
from fundrules.policies.compiler import compile_calls
from fundrules.policies.ir import CompiledPack
from fundrules.policies.loader import Limits, LoadResult, load_file, load_text
from fundrules.policies.model import NotEncodedModel, PackModel, RuleModel, TierModel

__all__ = ["PACK_LIMITS", "Pack", "check_pack", "inspect_pack", "load_pack", "load_pack_text"]

#: Safety limits for pack files: real packs hold a few hundred values in a few dozen KiB.
PACK_LIMITS = Limits(max_bytes=512 * 1024, max_nodes=20_000)


@dataclasses.dataclass(frozen=True)
class Pack:
    """A validated, compiled pack. Immutable and safe to share between threads."""

    id: str
    version: str
    digest: str
    file: str
    model: PackModel
    calls: Mapping[str, CompiledPack]
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def not_encoded(self) -> tuple[NotEncodedModel, ...]:
        """The fund's criteria this pack does not decide (``not_encoded:``), in pack order.

        Each has ``id``, ``reason`` and ``confidence``; ``fundrules explain`` and the fund
        pages show them so that every criterion of the fund is accounted for.
        """
        return self.model.not_encoded

    def quote(self, rule_id: str) -> dict[str, str] | None:
        """The source's own words (``quote:``) of a rule, exclusion or award tier, by language."""
        model = self.model
        awards = [a for a in (model.award, *(c.award for c in model.calls)) if a is not None]
        items: list[RuleModel | TierModel] = [*model.rules, *model.exclusions]
        items += [t for a in awards for t in (a.tiers or ())]
        for item in items:
            if item.id == rule_id:
                return dict(item.quote) if item.quote else None
        return None

    def compiled(self, call: str) -> CompiledPack:
        """The compiled form of one call."""
        try:
            return self.calls[call]
        except KeyError:
            raise UnknownPackError([Diagnostic(
                "unknown-call", f"pack `{self.id}` has no call `{call}`",
                hint="use one of " + ", ".join(f"`{c}`" for c in self.calls),
                path="call")]) from None

    def select_call(self, submitted_at: dt.datetime, call: str | None = None
                    ) -> tuple[CompiledPack, bool]:
        """The call an application belongs to, and whether it was made within its window.

        An explicit ``call`` wins; else the call whose window holds ``submitted_at``;
        outside every window, the last call that opened before it (else the first).
        """
        if call is not None:
            chosen = self.compiled(call)
            return chosen, _inside(chosen, submitted_at)
        stamp = int(submitted_at.timestamp())
        opened: CompiledPack | None = None
        for compiled in self.calls.values():
            if _inside(compiled, submitted_at):
                return compiled, True
            if compiled.window.opens is None or compiled.window.opens <= stamp:
                opened = compiled
        return opened or next(iter(self.calls.values())), False

    def windows_text(self) -> str:
        """Every call's window, for a reason when an application fits none."""
        return "; ".join(f"{c.call}: {c.window.text}" for c in self.calls.values())


def _inside(compiled: CompiledPack, submitted_at: dt.datetime) -> bool:
    stamp = int(submitted_at.timestamp())
    w = compiled.window
    return (w.opens is None or stamp >= w.opens) and (w.closes is None or stamp < w.closes)


def _finish(loaded: LoadResult, file: str) -> tuple[Pack | None, list[Diagnostic]]:
    diagnostics = list(loaded.diagnostics)
    if loaded.root is None or any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    # every element is validated on its own: a broken rule is dropped (and reported), and
    # the later checks still run on the rest, so one run reports every independent problem
    model, problems, root, dropped = build_pack_partial(loaded.root, file)
    diagnostics += problems
    if model is None:
        return None, diagnostics
    calls, problems = compile_calls(root, model, file=file, digest=loaded.digest,
                                    dropped=dropped)
    diagnostics += problems
    if dropped:  # shape errors first came in pydantic's order
        diagnostics = sorted_diagnostics(diagnostics)
    if not calls or dropped:
        return None, diagnostics
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    return Pack(model.pack, model.version, loaded.digest, file, model, calls, warnings), diagnostics


def check_pack(path: str | os.PathLike[str]) -> list[Diagnostic]:
    """Every problem of a pack file (errors and warnings), never raising."""
    return inspect_pack(path)[1]


def inspect_pack(path: str | os.PathLike[str]) -> tuple[Pack | None, list[Diagnostic]]:
    """The pack (None when it has errors) and every problem found, never raising."""
    return _finish(load_file(path, limits=PACK_LIMITS), str(path))


def load_pack(path: str | os.PathLike[str]) -> Pack:
    """Load and compile a pack file; raise :class:`PackError` listing every error."""
    pack, diagnostics = _finish(load_file(path, limits=PACK_LIMITS), str(path))
    if pack is None:
        raise PackError(diagnostics)
    return pack


def load_pack_text(text: str, *, file: str = "<pack>") -> Pack:
    """Load a pack from text (for tests and tools that generate packs)."""
    pack, diagnostics = _finish(load_text(text, file=file, limits=PACK_LIMITS), file)
    if pack is None:
        raise PackError(diagnostics)
    return pack


def display_path(path: Path) -> str:
    """A short path for messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
