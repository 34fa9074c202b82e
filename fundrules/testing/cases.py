"""YAML test cases for packs: an applicant, and the decision a policy author expects.

A case file names its pack, optional ``defaults`` merged under every applicant, and
``cases``, each with ``name``, ``applicant`` and ``expect`` (``outcome``, and
optionally ``call``, ``award`` fields, ``reasons`` statuses by rule id, ``missing``,
``trace``). See docs/test-cases.md.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fundrules.api import Engine
from fundrules.diagnostics import Diagnostic, sorted_diagnostics
from fundrules.errors import (
    ApplicantError,
    DuplicatePackError,
    FundrulesError,
    PackError,
    UnknownPackError,
)
from fundrules.explain import award_text
from fundrules.policies.loader import Mark, Node, load_file
from fundrules.policies.model import suggest
from fundrules.policies.pack import Pack, display_path, load_pack
from fundrules.policies.registry import PackRegistry
from fundrules.schema import Decision, parse_applicant

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "Case",
    "CaseResult",
    "load_cases",
    "project_root",
    "read_cases",
    "run_case",
    "run_case_file",
]

#: The backends every case runs on (the pytest plugin, ``fundrules test``).
BACKENDS: tuple[str, ...] = ("durable", "python")

_EXPECT_KEYS = {"outcome", "call", "award", "reasons", "missing", "trace"}


@dataclasses.dataclass(frozen=True)
class Case:
    """One test case, with where it is written and the pack file it runs on."""

    name: str
    pack: str
    applicant: dict[str, Any]
    expect: dict[str, Any]
    file: str
    line: int
    column: int | None = None
    #: the pack file the case runs on, resolved when the file was read (None: by ``pack``)
    pack_file: str | None = None


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """The outcome of running one case on one backend: ``problems`` is empty when it passed."""

    case: Case
    decision: Decision | None
    problems: tuple[str, ...]
    backend: str = "durable"

    @property
    def passed(self) -> bool:
        """True when the decision matched every expectation."""
        return not self.problems

    def report(self) -> str:
        """Readable failure text: the case, expected vs actual, where it is written."""
        head = f"{self.case.file}:{self.case.line}: case {self.case.name!r} [{self.backend}]"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


_HINT = "see docs/test-cases.md"
_TOP_KEYS = ("pack", "defaults", "cases")
_CASE_KEYS = ("name", "applicant", "expect")
_OUTCOMES = ("eligible", "ineligible", "incomplete")
_STATUSES = ("met", "unmet", "unknown")
_AWARD_KEYS = ("kind", "amount", "min", "max", "months", "currency")
_PACK_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _at(file: str, node: Node | None, message: str, hint: str | None = _HINT, *,
        code: str = "test-invalid", mark: Mark | None = None) -> Diagnostic:
    """A diagnostic located at a node of the case file (or at ``mark``, e.g. a key's)."""
    where = mark or (node.mark if node is not None else None)
    return Diagnostic(code, message, hint=hint, file=file,
                      line=where.line if where else None,
                      column=where.column if where else None,
                      path=node.path if node is not None else None)


def _shown(node: Node) -> str:
    if node.is_mapping():
        return "a mapping"
    if node.is_sequence():
        return "a list"
    if isinstance(node.value, bool):
        return f"`{str(node.value).lower()}`"
    return "nothing" if node.value is None else f"`{node.value}`"


def _key_mark(parent: Node, key: str) -> Mark:
    return parent.key_marks.get(key, parent.mark)


def _unknown_keys(file: str, node: Node, allowed: tuple[str, ...], where: str
                  ) -> list[Diagnostic]:
    assert isinstance(node.value, dict)
    out = []
    for key in node.value:
        if key not in allowed:
            out.append(_at(file, node.value[key], f"unknown key `{key}` in {where}",
                           suggest(key, allowed) or f"use {', '.join(f'`{k}`' for k in allowed)}",
                           mark=_key_mark(node, key)))
    return out


# -- the pack a case file names ------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _PackRef:
    pack: Pack | None  # None: the file's cases cannot run (the diagnostics say why)
    file: str | None
    diagnostics: tuple[Diagnostic, ...]


def project_root(case_file: Path) -> Path:
    """The folder a case file's ``pack:`` path may lead to, besides the case file's own.

    The nearest folder above the case file that holds ``pyproject.toml``, ``setup.cfg``,
    ``setup.py`` or ``.git``; without one, the folder holding the case file's ``tests``
    folder (the pack's folder), else the case file's folder itself.
    """
    folder = case_file.resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in _PROJECT_MARKERS):
            return candidate
    return folder.parent if folder.name == "tests" else folder


def _pack_by_id(case_file: Path, pack_id: str) -> Path | None:
    """``../<id>.yaml`` beside the case file's folder, else a built-in or installed pack."""
    local = case_file.resolve().parent.parent / f"{pack_id}.yaml"
    if local.is_file():
        return local
    try:
        return PackRegistry.discover().source(pack_id).path
    except (UnknownPackError, DuplicatePackError):
        return None


def _known_ids(case_file: Path) -> list[str]:
    local = sorted(p.stem for p in case_file.resolve().parent.parent.glob("*.yaml"))
    return [*local, *(i for i in PackRegistry.discover().ids if i not in local)]


_PACKS: dict[tuple[str, int, int], Pack | PackError] = {}


def _load_pack_cached(path: Path) -> Pack:
    """One load per pack file version (a case file reads its pack once per run)."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _PACKS:
        try:
            _PACKS[key] = load_pack(path)
        except PackError as exc:
            _PACKS[key] = exc
    found = _PACKS[key]
    if isinstance(found, PackError):
        raise found
    return found


def _resolve_pack(file: str, node: Node) -> _PackRef:
    """The pack a case file names: by id, or by a path inside its folder or project."""
    case_file = Path(file)
    ref = node.value
    if not isinstance(ref, str) or not ref.strip():
        return _PackRef(None, None, (_at(file, node, f"`pack` must be the id of a pack or the "
                                         f"path of a pack file, not {_shown(node)}"),))
    if _PACK_ID.fullmatch(ref):
        path = _pack_by_id(case_file, ref)
        if path is None:
            return _PackRef(None, None, (_at(
                file, node, f"no pack has the id `{ref}`", suggest(ref, _known_ids(case_file))
                or "use the id of a built-in pack, or the path of a pack file (e.g. "
                "`../my-fund.yaml`)", code="unknown-pack"),))
    elif ref.endswith((".yaml", ".yml")):
        folder = case_file.resolve().parent
        path = (folder / ref).resolve()
        root = project_root(case_file)
        if not (path.is_relative_to(folder) or path.is_relative_to(root)):
            return _PackRef(None, None, (_at(
                file, node, f"`pack: {ref}` leads outside the case file's folder and its "
                f"project folder `{display_path(root).rstrip('/')}/`", "name the pack by its "
                "id, or give a path inside the project, e.g. `../my-fund.yaml`",
                code="pack-path-outside"),))
        if not path.is_file():
            return _PackRef(None, None, (_at(
                file, node, f"`pack: {ref}`: no such file ({display_path(path)})",
                "give the path relative to the case file's folder"),))
    else:
        return _PackRef(None, None, (_at(
            file, node, f"`pack: {ref}` is neither a pack id nor the path of a `.yaml` file",
            "write a pack id such as `fr-netflix-audiens`, or a path such as "
            "`../my-fund.yaml`"),))
    try:
        pack = _load_pack_cached(path)
    except PackError as exc:
        shown = display_path(path)
        return _PackRef(None, str(path), (_at(
            file, node, f"the pack `{ref}` ({shown}) has {len(exc.errors)} error(s), so no "
            "case of this file can run", f"run `fundrules check {shown}`"), *exc.errors))
    return _PackRef(pack, str(path), ())


# -- one case ------------------------------------------------------------------------
def _pack_ids(pack: Pack) -> tuple[list[str], list[str]]:
    """The criteria ids a decision of the pack can carry, and its call ids."""
    ids: dict[str, None] = {}
    for compiled in pack.calls.values():
        for rule in compiled.rules:
            ids.setdefault(rule.id, None)
    return list(ids), list(pack.calls)


def _check_expect(file: str, node: Node, pack: Pack | None) -> list[Diagnostic]:
    """Every problem of one ``expect:`` mapping, each at its YAML node."""
    assert isinstance(node.value, dict)
    out = _unknown_keys(file, node, tuple(sorted(_EXPECT_KEYS)), "`expect`")
    ids, calls = _pack_ids(pack) if pack is not None else ([], [])
    value = node.value
    if "outcome" in value and value["outcome"].value not in _OUTCOMES:
        out.append(_at(file, value["outcome"], f"`outcome`: {_shown(value['outcome'])} is not "
                       "one of " + ", ".join(f"`{o}`" for o in _OUTCOMES),
                       suggest(str(value["outcome"].value), _OUTCOMES)))
    if "call" in value:
        call = value["call"]
        if not isinstance(call.value, str):
            out.append(_at(file, call, f"`call` must be a call id, not {_shown(call)}"))
        elif pack is not None and call.value not in calls:
            out.append(_at(file, call, f"pack `{pack.id}` has no call `{call.value}`",
                           suggest(call.value, calls) or "use one of "
                           + ", ".join(f"`{c}`" for c in calls)))
    if "award" in value:
        award = value["award"]
        if award.is_mapping():
            out += _unknown_keys(file, award, _AWARD_KEYS, "`award`")
        elif award.value is not None:
            out.append(_at(file, award, f"`award` must be a mapping of award fields or "
                           f"`null`, not {_shown(award)}", "write e.g. `award: {kind: fixed, "
                           "amount: \"900.00\", currency: EUR}`"))
    if "reasons" in value:
        out += _check_reasons(file, value["reasons"], ids, pack)
    for key in ("missing", "trace"):
        if key in value:
            items = value[key]
            if not items.is_sequence() or not all(isinstance(i.value, str)
                                                   for i in items.value):
                out.append(_at(file, items, f"`{key}` must be a list of "
                               + ("field paths" if key == "missing" else "rule ids")))
            elif key == "trace" and pack is not None:
                assert isinstance(items.value, list)
                out += [_at(file, item, f"`{item.value}` is not a rule of pack `{pack.id}`",
                            suggest(str(item.value), ids)) for item in items.value
                        if item.value not in ids]
    return out


def _check_reasons(file: str, node: Node, ids: list[str], pack: Pack | None
                   ) -> list[Diagnostic]:
    if not node.is_mapping():
        return [_at(file, node, f"`reasons` must be a mapping of rule ids to statuses, not "
                    f"{_shown(node)}", "write e.g. `reasons: {FR-C3: met, FR-C4: unknown}`")]
    assert isinstance(node.value, dict)
    out = []
    for rule, status in node.value.items():
        if pack is not None and rule not in ids:
            out.append(_at(file, status, f"`{rule}` is not a criterion of pack `{pack.id}`",
                           suggest(rule, ids) or "use a rule, exclusion or award tier id of the "
                           "pack, `window` or `eligible`", mark=_key_mark(node, rule)))
        if status.value not in _STATUSES:
            hint = suggest(str(status.value), _STATUSES) or "write `met`, `unmet` or `unknown`"
            if isinstance(status.value, bool):
                hint = ("write `met` or `unmet`: a criterion's status is `met`, `unmet` or "
                        "`unknown`, not true/false")
            out.append(_at(file, status, f"`reasons.{rule}`: {_shown(status)} is not a "
                           "status (`met`, `unmet` or `unknown`)", hint))
    return out


def _applicant_node(path: str | None, case: Node, defaults: Node | None) -> tuple[Node, Mark]:
    """Where an applicant field (``engagements[0].start``) is written: the case or defaults."""
    applicant = case.get("applicant") or case
    steps = [m.group(1) if m.group(1) is not None else int(m.group(2))
             for m in _STEP.finditer(path or "")]
    node = applicant
    if steps and isinstance(steps[0], str) and applicant.get(steps[0]) is None \
            and defaults is not None and defaults.get(steps[0]) is not None:
        node = defaults
    mark = node.mark
    for step in steps:
        child = None
        if isinstance(step, str) and node.is_mapping():
            child = node.get(step)
            mark = node.key_marks.get(step, mark) if child is None else child.mark
        elif isinstance(step, int) and isinstance(node.value, list) and step < len(node.value):
            child = node.value[step]
            mark = child.mark
        if child is None:
            break
        node = child
    return node, mark


def _check_applicant(file: str, case: Node, defaults: Node | None, data: dict[str, Any]
                     ) -> list[Diagnostic]:
    """The merged applicant's schema problems, each at the field's node (case or defaults)."""
    try:
        parse_applicant(data, file=file)
    except ApplicantError as exc:
        out = []
        for d in exc.diagnostics:
            node, mark = _applicant_node(d.path, case, defaults)
            out.append(dataclasses.replace(d, line=mark.line, column=mark.column,
                                           path=node.path or d.path))
        return out
    return []


def _case(file: str, node: Node, base: dict[str, Any], defaults: Node | None, pack: Pack | None,
          pack_file: str | None) -> tuple[Case | None, list[Diagnostic]]:
    """One case and its problems; the case is None when it has any error."""
    if not node.is_mapping():
        return None, [_at(file, node, f"a case must be a mapping with `name`, `applicant` and "
                          f"`expect`, not {_shown(node)}")]
    assert isinstance(node.value, dict)
    out = _unknown_keys(file, node, _CASE_KEYS, "a case")
    missing = [k for k in _CASE_KEYS if k not in node.value]
    if missing:
        out.append(_at(file, node, "the case is missing " + " and ".join(
            f"`{k}`" for k in missing), "each case needs `name`, `applicant` and `expect`"))
    name, applicant, expect = (node.value.get(k) for k in _CASE_KEYS)
    if name is not None and (not isinstance(name.value, str | int | float)
                             or isinstance(name.value, bool) or not str(name.value).strip()):
        out.append(_at(file, name, f"`name` must be a text, not {_shown(name)}"))
    if applicant is not None and not applicant.is_mapping():
        out.append(_at(file, applicant, f"`applicant` must be a mapping of applicant fields, "
                       f"not {_shown(applicant)}"))
        applicant = None
    if expect is not None and not expect.is_mapping():
        out.append(_at(file, expect, f"`expect` must be a mapping, not {_shown(expect)}",
                       "write e.g. `expect: {outcome: eligible}`"))
        expect = None
    if expect is not None:
        out += _check_expect(file, expect, pack)
    data: dict[str, Any] = {}
    if applicant is not None:
        plain = applicant.to_plain()
        assert isinstance(plain, dict)
        data = {**base, **plain}
        out += _check_applicant(file, node, defaults, data)
    if out or name is None or applicant is None or expect is None:
        return None, out
    plain_expect = expect.to_plain()
    assert isinstance(plain_expect, dict)
    pack_id = pack.id if pack is not None else str(name.value)
    return Case(str(name.value), pack_id, data, plain_expect, file, node.mark.line,
                node.mark.column, pack_file), []


def read_cases(path: str | os.PathLike[str]) -> tuple[list[Case], list[Diagnostic]]:
    """Every valid case of a file, and every problem of the others, each located.

    Never raises. A malformed case is reported (``test-invalid`` at its YAML node, an
    invalid applicant as ``applicant-invalid`` at the field) and left out; the other cases
    are returned. When the pack cannot be found or loaded, or the file has no usable
    ``pack:`` and ``cases:``, no case is returned.
    """
    file = str(path)
    loaded = load_file(path)
    if loaded.root is None or any(d.severity == "error" for d in loaded.diagnostics):
        return [], list(loaded.diagnostics)
    root = loaded.root
    if not root.is_mapping():
        return [], [_at(file, root, "a case file is a mapping with `pack:` and `cases:`")]
    out = _unknown_keys(file, root, _TOP_KEYS, "the case file")
    pack_node, cases = root.get("pack"), root.get("cases")
    if pack_node is None or cases is None:
        absent = " and ".join(f"`{k}:`" for k, v in (("pack", pack_node), ("cases", cases))
                              if v is None)
        return [], [*out, _at(file, root, f"a case file needs `pack: <id>` and a list "
                              f"`cases:`; {absent} is missing")]
    if not cases.is_sequence():
        out.append(_at(file, cases, f"`cases` must be a list of cases, not {_shown(cases)}"))
    defaults = root.get("defaults")
    base = defaults.to_plain() if defaults is not None else {}
    if not isinstance(base, dict):
        out.append(_at(file, defaults, "`defaults` must be a mapping of applicant fields, "
                       f"not {_shown(defaults)}" if defaults is not None else ""))
    ref = _resolve_pack(file, pack_node)
    out += ref.diagnostics
    if out:  # the cases cannot be read safely (or have nothing to run on)
        return [], sorted_diagnostics(out)
    assert isinstance(cases.value, list) and isinstance(base, dict)
    found: list[Case] = []
    for node in cases.value:
        case, problems = _case(file, node, base, defaults, ref.pack, ref.file)
        out += problems
        if case is not None:
            found.append(case)
    return found, sorted_diagnostics(out)


def load_cases(path: str | os.PathLike[str]) -> list[Case]:
    """Read a case file; raise FundrulesError (code ``test-invalid``...) if malformed.

    :func:`read_cases` returns the valid cases and the problems instead.
    """
    cases, problems = read_cases(path)
    if any(d.severity == "error" for d in problems):
        raise FundrulesError(problems)
    return cases

def _compare(expect: Mapping[str, Any], decision: Decision, where: Mapping[str, str]
             ) -> list[str]:
    """Every difference, then (on failure) what a reader needs to find the cause."""
    def at(rule: str) -> str:
        found = where.get(rule) or where.get(f"{rule}@{decision.call}")
        return f" ({found})" if found else ""

    problems = []
    if "outcome" in expect and expect["outcome"] != decision.outcome:
        problems.append(f"outcome: expected {expect['outcome']}, got {decision.outcome}")
    if "call" in expect and expect["call"] != decision.call:
        problems.append(f"call: expected {expect['call']}, got {decision.call}")
    if "award" in expect:
        got = decision.award.model_dump(mode="json") if decision.award else None
        want = expect["award"]
        if want is None or got is None:
            if want != got:
                problems.append(f"award: expected {_expected_award(expect)}, "
                                f"got {award_text(decision.award)}")
        else:
            for key, value in want.items():
                if str(got.get(key)) != str(value) and not _same_number(got.get(key), value):
                    problems.append(f"award.{key}: expected {value}, got {got.get(key)}")
    statuses = {r.rule: r.status for r in decision.reasons}
    for rule, status in (expect.get("reasons") or {}).items():
        if statuses.get(rule) != status:
            problems.append(f"criterion {rule}: expected {status}, got {statuses.get(rule)}"
                            + at(rule))
    if "missing" in expect and sorted(expect["missing"]) != sorted(decision.missing):
        problems.append(f"missing: expected {sorted(expect['missing'])}, "
                        f"got {sorted(decision.missing)}")
    if "trace" in expect and list(expect["trace"]) != list(decision.trace):
        problems.append(f"trace: expected {expect['trace']}, got {list(decision.trace)}")
    if not problems:
        return []
    not_met = [f"{r}={s}{at(r)}" for r, s in statuses.items() if s != "met"]
    return [f"expected: outcome {expect.get('outcome', '(not checked)')}, "
            f"award {_expected_award(expect)}",
            f"actual:   outcome {decision.outcome}, award {award_text(decision.award)}",
            *problems,
            *(["not met: " + ", ".join(not_met)] if not_met else []),
            "criteria: " + ", ".join(f"{r}={s}" for r, s in statuses.items())]


def _expected_award(expect: Mapping[str, Any]) -> str:
    if "award" not in expect:
        return "(not checked)"
    want = expect["award"]
    if not isinstance(want, dict):
        return "none" if want is None else str(want)
    if "amount" in want and set(want) <= {"kind", "amount", "currency"}:
        return f"{want['amount']} {want.get('currency', '')}".strip()
    return ", ".join(f"{k} {v}" for k, v in want.items())


@functools.lru_cache(maxsize=32)
def _criterion_lines(pack_file: str) -> dict[str, str]:
    """``file:line`` of each criterion's ``id:`` in the pack (``window@call``: the window)."""
    loaded = load_file(pack_file)
    root = loaded.root
    if root is None:
        return {}
    shown = display_path(Path(pack_file))
    out: dict[str, str] = {}

    def items(node: Node | None) -> list[Node]:
        return node.value if node is not None and isinstance(node.value, list) else []

    awards = [root.get("award"), *(c.get("award") for c in items(root.get("calls")))]
    tiers = [t for a in awards if a is not None for t in items(a.get("tiers"))]
    for item in [*items(root.get("rules")), *items(root.get("exclusions")), *tiers]:
        ident = item.get("id")
        if ident is not None and isinstance(ident.value, str):
            out.setdefault(ident.value, f"{shown}:{ident.mark.line}")
    for call in items(root.get("calls")):
        ident, window = call.get("id"), call.get("window")
        if ident is not None and window is not None:
            out[f"window@{ident.value}"] = f"{shown}:{window.mark.line}"
    return out


def _same_number(a: object, b: object) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


class BackendUnavailable(RuntimeError):
    """The backend asked for cannot run here (durable_rules cannot be loaded)."""


_ENGINES: dict[tuple[str, str, str], Engine] = {}


def _engine_for(case_file: Path, pack_id: str, backend: str, pack_file: str | None = None
                ) -> Engine:
    """An engine for the case's pack.

    The pack is ``pack_file`` (resolved when the case was read), else ``../<pack>.yaml``
    next to the case file if present, else the built-in one.

    Raises :class:`BackendUnavailable` rather than run a case on another backend than the
    one asked for (``Engine(backend="durable")`` falls back to python, with a warning, where
    durable_rules cannot be loaded).
    """
    path = Path(pack_file) if pack_file else _pack_by_id(case_file, pack_id)
    if path is None:
        raise UnknownPackError([Diagnostic("unknown-pack", f"no pack has the id `{pack_id}`",
                                           hint=_HINT, file=str(case_file), path="pack")])
    pack = _load_pack_cached(path)
    key = (str(path), pack.digest, backend)
    if key not in _ENGINES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # reported as BackendUnavailable
            engine = Engine([pack], backend=backend)  # type: ignore[arg-type]
        _ENGINES[key] = engine
    engine = _ENGINES[key]
    if engine.backend != backend:
        raise BackendUnavailable(f"the {backend} backend cannot run here (durable_rules cannot "
                                 "be loaded: see docs/engines.md#installing-durable_rules)")
    return engine


def run_case(case: Case, backend: str = "durable") -> CaseResult:
    """Run one case against its pack on ``backend`` (``durable`` or ``python``).

    Raises :class:`BackendUnavailable` when that backend cannot run here.
    """
    engine = _engine_for(Path(case.file), case.pack, backend, case.pack_file)
    try:
        decision = engine.evaluate(case.applicant, case.pack)
    except FundrulesError as exc:
        return CaseResult(case, None, tuple(d.format() for d in exc.diagnostics), backend)
    where = _criterion_lines(engine.pack(case.pack).file)
    return CaseResult(case, decision, tuple(_compare(case.expect, decision, where)), backend)


def run_case_file(path: str | os.PathLike[str], backend: str = "durable") -> list[CaseResult]:
    """Run every case of a file on ``backend``."""
    return [run_case(case, backend) for case in load_cases(path)]
