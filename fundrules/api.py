"""The public entry point: :class:`Engine` evaluates applicants against packs.

An Engine is immutable once built and safe to share between threads. Building it
loads and compiles every pack (errors are raised then, all at once); evaluating
never touches the file system.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

from fundrules.diagnostics import Diagnostic, PackError, UnknownPackError
from fundrules.policies.pack import Pack, load_pack
from fundrules.policies.registry import builtin_pack_dir, entry_point_paths, pack_files
from fundrules.runtime.evaluation import Backend, Evaluation, PreparedCall
from fundrules.runtime.python_backend import PythonBackend
from fundrules.schema import Applicant, Decision, parse_applicant

__all__ = ["BackendName", "Engine"]

BackendName = Literal["durable", "python"]


def _make_backend(name: BackendName) -> Backend:
    if name == "python":
        return PythonBackend()
    if name != "durable":
        raise ValueError(f"backend must be 'durable' or 'python', not {name!r}")
    try:
        from fundrules.engine import DurableBackend
    except ImportError as exc:  # pitfall 1: durable_rules does not load on Python 3.13
        warnings.warn(
            f"durable_rules cannot be loaded ({exc}); using the python backend, which gives "
            "the same decisions. To decide with durable_rules, rebuild it (a C compiler is "
            'needed): CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject" pip install '
            "--no-cache-dir --force-reinstall durable-rules==2.0.28 (see "
            "docs/engines.md#installing-durable_rules)", RuntimeWarning, stacklevel=3)
        return PythonBackend()
    return DurableBackend.shared()


class Engine:
    """Evaluates applicants against policy packs.

    ``Engine()`` loads the built-in packs and those installed packages register;
    ``Engine.from_paths(...)`` loads pack files or folders. ``backend`` chooses the
    inference engine: ``"durable"`` (durable_rules, the default) or ``"python"``.
    """

    def __init__(self, packs: Iterable[Pack] | None = None, *,
                 backend: BackendName = "durable") -> None:
        if packs is None:
            packs = [load_pack(p) for p in pack_files([builtin_pack_dir(),
                                                       *entry_point_paths()])]
        self._packs: dict[str, Pack] = {}
        for pack in packs:
            if pack.id in self._packs:
                raise UnknownPackError([Diagnostic(
                    "duplicate-id", f"two packs have the id `{pack.id}`: {pack.file} and "
                    f"{self._packs[pack.id].file}", hint="load only one of them", file=pack.file)])
            self._packs[pack.id] = pack
        self._backend = _make_backend(backend)
        self._prepared: dict[str, dict[str, PreparedCall]] = {}
        problems: list[Diagnostic] = []
        for pack in self._packs.values():
            calls: dict[str, PreparedCall] = {}
            for call_id, call in pack.calls.items():
                try:
                    calls[call_id] = PreparedCall.prepare(call, self._backend,
                                                          pack.windows_text())
                except PackError as err:  # every call of every pack is tried: all at once
                    problems += [d if d.file != pack.id else dataclasses.replace(d, file=pack.file)
                                 for d in err.diagnostics]
            self._prepared[pack.id] = calls
        if problems:
            raise PackError(problems)

    @classmethod
    def from_paths(cls, *paths: str | os.PathLike[str], backend: BackendName = "durable",
                   include_builtin: bool = False) -> Engine:
        """An engine over the packs in these files or folders (and the built-ins if asked).

        With ``include_builtin``, a pack given here replaces the built-in pack of the same
        id: an author evaluates their edited copy, not the shipped one.
        """
        packs: dict[str, Pack] = {}
        if include_builtin:
            packs = {p.id: p for p in (load_pack(f) for f in pack_files([builtin_pack_dir()]))}
        given: dict[str, Pack] = {}
        for pack in (load_pack(f) for f in pack_files(paths)):
            if pack.id in given:  # two of the user's own files claim one id
                raise UnknownPackError([Diagnostic(
                    "duplicate-id", f"two packs have the id `{pack.id}`: {pack.file} and "
                    f"{given[pack.id].file}", hint="load only one of them", file=pack.file)])
            given[pack.id] = pack
        packs.update(given)  # a pack given by path replaces the built-in pack of that id
        return cls(packs.values(), backend=backend)

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
        person = applicant if isinstance(applicant, Applicant) else parse_applicant(applicant)
        if pack is None:
            if len(self._packs) != 1:
                raise UnknownPackError([Diagnostic(
                    "unknown-pack", "several packs are loaded: say which one with `pack=`",
                    hint="use one of " + ", ".join(self._packs), path="pack")])
            pack = next(iter(self._packs))
        return self._evaluate(self.pack(pack), person, lang, strict_call=True).decision

    def evaluation(self, applicant: Applicant | Mapping[str, object], pack: str, *,
                   lang: str | None = None) -> Evaluation:
        """Evaluate one applicant and keep everything found: values, statuses, trace.

        What :meth:`evaluate` returns is this Evaluation's ``decision``; explanations and
        the verifier read the rest.
        """
        person = applicant if isinstance(applicant, Applicant) else parse_applicant(applicant)
        return self._evaluate(self.pack(pack), person, lang, strict_call=True)

    def evaluate_all(self, applicant: Applicant | Mapping[str, object], *,
                     lang: str | None = None) -> list[Decision]:
        """Decide one applicant against every loaded pack, in load order.

        An applicant's ``call`` that a pack does not have is ignored for that pack
        (its call is then chosen by ``submitted_at``).
        """
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
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs must be 1 or more, not {jobs}")
        if jobs == 1:
            for applicant in applicants:
                yield self.evaluate(applicant, pack, lang=lang)
            return
        from fundrules.batch import decide_in_parallel  # the batch layer sits above this one

        yield from decide_in_parallel(self.pack(pack), applicants, lang=lang, jobs=jobs,
                                      backend="python" if self.backend == "python" else "durable")

    def _evaluate(self, pack: Pack, person: Applicant, lang: str | None, *,
                  strict_call: bool) -> Evaluation:
        call = person.call
        if call is not None and call not in pack.calls and not strict_call:
            call = None
        compiled, inside = pack.select_call(person.submitted_at, call)
        fits_no_call = not inside and person.call is None and len(pack.calls) > 1
        prepared = self._prepared[pack.id][compiled.call]
        return prepared.evaluate(person, lang=lang, fits_no_call=fits_no_call)
