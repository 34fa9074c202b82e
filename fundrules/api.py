"""The public entry point: :class:`Engine` evaluates applicants against packs.

An Engine is immutable once built and safe to share between threads. Building it
loads and compiles every pack (errors are raised then, all at once); evaluating
never touches the file system.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping

from fundrules.backends import BackendName, backend_named
from fundrules.diagnostics import Diagnostic
from fundrules.errors import DuplicatePackError, InvalidArgument, PackError, UnknownPackError
from fundrules.i18n import check_lang
from fundrules.policies.pack import Pack
from fundrules.policies.registry import PackRegistry
from fundrules.runtime.evaluation import Evaluation, PreparedPack
from fundrules.schema import Applicant, Decision, parse_applicant

__all__ = ["Engine"]

def _discovered(registry: PackRegistry) -> list[Pack]:
    """The registry's packs; a broken installed package is one warning, not a failure."""
    for problem in registry.problems:
        warnings.warn(problem.message, RuntimeWarning, stacklevel=3)
    return registry.packs()


class Engine:
    """Evaluates applicants against policy packs.

    ``Engine()`` loads the built-in packs and those installed packages register;
    ``Engine.from_paths(...)`` loads pack files or folders. ``backend`` chooses the
    inference engine: ``"durable"`` (durable_rules, the default) or ``"python"``.
    """

    def __init__(self, packs: Iterable[Pack] | None = None, *,
                 backend: BackendName = "durable") -> None:
        if packs is None:
            packs = _discovered(PackRegistry.discover())
        self._packs: dict[str, Pack] = {}
        for pack in packs:
            if pack.id in self._packs:
                raise DuplicatePackError([Diagnostic(
                    "duplicate-id", f"two packs have the id `{pack.id}`: {pack.file} and "
                    f"{self._packs[pack.id].file}", hint="load only one of them", file=pack.file)])
            self._packs[pack.id] = pack
        self._backend = backend_named(backend)
        self._prepared: dict[str, PreparedPack] = {}
        problems: list[Diagnostic] = []
        for pack in self._packs.values():
            try:
                self._prepared[pack.id] = PreparedPack(pack, self._backend)
            except PackError as err:  # every call of every pack is tried: all at once
                problems += err.diagnostics
        if problems:
            raise PackError(problems)

    @classmethod
    def from_paths(cls, *paths: str | os.PathLike[str], backend: BackendName = "durable",
                   include_builtin: bool = False) -> Engine:
        """An engine over the packs in these files or folders (and the others if asked).

        With ``include_builtin``, the built-in packs and those installed packages register
        are loaded too, and a pack given here replaces the one of the same id: an author
        evaluates their edited copy, not the shipped one.
        """
        registry = PackRegistry.discover(paths, builtin=include_builtin,
                                         plugins=include_builtin)
        return cls(_discovered(registry), backend=backend)

    @property
    def backend(self) -> str:
        """The name of the backend in use (``durable`` or ``python``)."""
        return self._backend.name

    @property
    def pack_ids(self) -> tuple[str, ...]:
        """Ids of the loaded packs, in load order."""
        return tuple(self._packs)

    def pack(self, pack_id: str) -> Pack:
        """The loaded pack with that id."""
        try:
            return self._packs[pack_id]
        except KeyError:
            from fundrules.policies.model import suggest

            hint = suggest(pack_id, self._packs) or "use one of " + ", ".join(self._packs)
            raise UnknownPackError([Diagnostic("unknown-pack", f"no pack has the id `{pack_id}`",
                                               hint=hint, path="pack")]) from None

    def evaluate(self, applicant: Applicant | Mapping[str, object], pack: str | None = None,
                 *, lang: str | None = None) -> Decision:
        """Decide one applicant against one pack (the only pack, if just one is loaded)."""
        if lang is not None:
            check_lang(lang)
        person = applicant if isinstance(applicant, Applicant) else parse_applicant(applicant)
        if pack is None:
            if len(self._packs) != 1:
                raise UnknownPackError([Diagnostic(
                    "unknown-pack", "several packs are loaded: say which one with `pack=`",
                    hint="use one of " + ", ".join(self._packs), path="pack")])
            pack = next(iter(self._packs))
        prepared = self._prepared.get(pack)
        if prepared is None:  # not a loaded pack's id: self.pack says so
            prepared = self._prepared[self.pack(pack).id]
        return prepared.decide(person, lang=lang, strict_call=True)

    def evaluation(self, applicant: Applicant | Mapping[str, object], pack: str, *,
                   lang: str | None = None) -> Evaluation:
        """Evaluate one applicant and keep everything found: values, statuses, trace.

        What :meth:`evaluate` returns is this Evaluation's ``decision``; explanations and
        the verifier read the rest.
        """
        check_lang(lang)
        person = applicant if isinstance(applicant, Applicant) else parse_applicant(applicant)
        return self._evaluate(self.pack(pack), person, lang, strict_call=True)

    def evaluate_all(self, applicant: Applicant | Mapping[str, object], *,
                     lang: str | None = None) -> list[Decision]:
        """Decide one applicant against every loaded pack, in load order.

        An applicant's ``call`` that a pack does not have is ignored for that pack
        (its call is then chosen by ``submitted_at``).
        """
        check_lang(lang)
        person = applicant if isinstance(applicant, Applicant) else parse_applicant(applicant)
        return [self._evaluate(p, person, lang, strict_call=False).decision
                for p in self._packs.values()]

    def evaluate_many(self, applicants: Iterable[Applicant | Mapping[str, object]],
                      pack: str, *, lang: str | None = None, jobs: int | None = 1
                      ) -> Iterator[Decision]:
        """Decide applicants in input order (an iterator: memory stays bounded).

        ``jobs`` > 1 spreads the work over that many processes (``None``: every core),
        each building its own engine once; the decisions and their order are the same.
        A script that uses processes must guard its entry point with
        ``if __name__ == "__main__":``. An invalid applicant raises its error at its place.
        """
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
            raise InvalidArgument([Diagnostic(
                "invalid-argument", f"jobs must be a whole number of 1 or more, not {jobs!r}",
                hint="pass jobs=1 (one process), jobs=N, or jobs=None (every core)",
                path="jobs")])
        check_lang(lang)
        if jobs == 1:
            for applicant in applicants:
                yield self.evaluate(applicant, pack, lang=lang)
            return
        from fundrules.parallel import decide_in_parallel  # the batch layer sits above this one

        yield from decide_in_parallel(self.pack(pack), applicants, lang=lang, jobs=jobs,
                                      backend="python" if self.backend == "python" else "durable")

    def _evaluate(self, pack: Pack, person: Applicant, lang: str | None, *,
                  strict_call: bool) -> Evaluation:
        return self._prepared[pack.id].evaluate(person, lang=lang, strict_call=strict_call)
