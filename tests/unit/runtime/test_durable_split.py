"""Rules too wide for durable_rules are split into auxiliary rules, invisibly.

An ``and`` of 70 facts (an ``or`` of 70) is one durable pattern with 70 branches under the
round's test: more alpha nodes pending at once than durable_rules' 64. The durable form
decides chunks of it as auxiliary rules (``fundrules/runtime/_durable_split.py``) in
earlier rounds; the rule reads their statuses. Kleene's ``and``/``or`` are associative, so
the statuses, the trace and the decision are the python backend's, and the auxiliary rules
are in none of them.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from fundrules import Engine
from fundrules.explain import explain, render_text
from fundrules.policies.ir import CAnd, CConst, CFact, CNot, CompiledRule, Cond, COr
from fundrules.policies.pack import load_pack_text
from fundrules.runtime import durable_form as df
from fundrules.runtime._durable_split import MARK, split_wide
from fundrules.runtime.semantics import status_of
from fundrules.runtime.walk import facts
from tests.conftest import ROOT

FR = "fr-netflix-audiens"
FR_TEXT = (ROOT / "policies" / f"{FR}.yaml").read_text()
WIDE = 70  # facts each wide rule reads: well past the 64-entry stack


def _rule(name: str, when: str) -> str:
    return (f"  - id: {name}\n    when: '{when}'\n    then: {name.lower()}\n    cite: S1\n"
            "    message: {fr: g, en: g, it: g, es: g}\n")


def _wide_pack() -> Any:
    """The French pack with WA (an ``and`` of 70 facts) and WO (an ``or`` of 70).

    The first fact reads ``covid_hardship``, the last ``unemployed`` (the first and the
    last chunk), the others are met (WA's) or unmet (WO's) for every applicant below.
    """
    rules = _rule("A0", "covid_hardship") + _rule(f"A{WIDE - 1}", "unemployed")
    rules += "".join(_rule(f"A{k}", f"activity_units >= {k % 3}") for k in range(1, WIDE - 1))
    rules += _rule("O0", "covid_hardship") + _rule(f"O{WIDE - 1}", "unemployed")
    rules += "".join(_rule(f"O{k}", f"activity_units < {k % 3}") for k in range(1, WIDE - 1))
    rules += _rule("WA", " and ".join(f"a{k}" for k in range(WIDE)))
    rules += _rule("WO", " or ".join(f"o{k}" for k in range(WIDE)))
    text = FR_TEXT.replace("rules:\n", "rules:\n" + rules, 1).replace(
        "eligible: intermittent", "eligible: wa and wo and intermittent")
    return load_pack_text(text, file="wide.yaml")


PACK = _wide_pack()


def _applicant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


#: (covid_hardship, unemployed) -> the statuses of WA and WO (None: the field is missing)
CASES = {
    "all met": ((True, True), ("met", "met")),
    "first chunk unmet": ((False, True), ("unmet", "met")),
    "last chunk unmet": ((True, False), ("unmet", "met")),
    "unknown": ((None, True), ("unknown", "met")),
    "unknown and unmet": ((None, False), ("unmet", "unknown")),
    "both unmet": ((False, False), ("unmet", "unmet")),
}


def test_the_wide_rules_are_split_and_nothing_is_left_past_a_limit() -> None:
    call = PACK.calls["main"]
    form = df.durable_form(call)
    assert set(form.hidden.values()) == {"WA", "WO"}
    assert len([a for a, owner in form.hidden.items() if owner == "WA"]) >= 2  # chunks
    assert df.limit_diagnostics(call, form) == []
    where = {r: k for k, members in enumerate(form.round_rules) for r in members}
    for aux, owner in form.hidden.items():
        assert where[aux] < where[owner]  # decided before the rule that reads it
        assert aux.startswith(owner + MARK)
    shown = {r for stratum in form.settles for r in stratum}
    assert shown == {r.id for r in call.rules}  # no auxiliary rule settles in the trace


def test_without_the_split_durable_refuses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from fundrules.runtime._durable_split import Split

    monkeypatch.setattr(df, "split_wide", lambda call, fits: Split(call, {}, {}))
    found = df.limit_diagnostics(PACK.calls["main"])
    assert found and "alpha nodes pending at once" in found[0].message


@pytest.mark.parametrize("case", list(CASES))
def test_split_rules_decide_like_the_python_backend(case: str,
                                                   fr_applicant: dict[str, Any]) -> None:
    (covid, unemployed), (and_status, or_status) = CASES[case]
    applicant = _applicant(fr_applicant, covid_hardship=covid, unemployed=unemployed)
    durable, python = _engines()
    a, b = durable.evaluation(applicant, FR), python.evaluation(applicant, FR)
    assert (a.statuses["WA"], a.statuses["WO"]) == (and_status, or_status)
    assert a.statuses == b.statuses
    assert a.trace == b.trace
    assert a.decision == b.decision
    hidden = set(df.durable_form(PACK.calls["main"]).hidden)
    assert not hidden & set(a.statuses) and not hidden & set(a.trace)
    explanation = explain(durable, applicant, FR)
    said = (a.decision.model_dump_json(), render_text(explanation),
            explanation.model_dump_json())
    assert not any(MARK in text for text in said)


_ENGINES: list[Engine] = []


def _engines() -> tuple[Engine, Engine]:
    if not _ENGINES:
        _ENGINES.extend((Engine([PACK]), Engine([PACK], backend="python")))
    return _ENGINES[0], _ENGINES[1]


# --- the split itself, on every status ----------------------------------------------

def _fits(cond: Cond) -> bool:
    """A stand-in for durable's limits: connectives of at most 3, at most 5 facts."""
    wide = any(len(n.operands) > 3 for n in _connectives(cond))
    return not wide and len(list(facts(cond))) <= 5


def _connectives(cond: Cond) -> list[CAnd | COr]:
    match cond:
        case CNot(operand=operand):
            return _connectives(operand)
        case CAnd(operands=ops) | COr(operands=ops):
            return [cond, *(n for op in ops for n in _connectives(op))]
    return []


def test_chunks_of_chunks_keep_every_kleene_status() -> None:
    """A 12-wide ``and`` holding a 7-wide ``or`` and a ``not``: split in levels."""
    names = [f"F{k}" for k in range(16)]
    f = [CFact(n.lower(), n) for n in names]
    cond = CAnd((*f[:5], CNot(COr(tuple(f[5:12]))), *f[12:], CConst("met")))
    base = PACK.calls["main"]
    rules = [CompiledRule(n, "rule", n.lower(), CConst("unknown"), (), {}) for n in names]
    wide = CompiledRule("W", "rule", "w", cond, tuple(names), {}, stratum=1)
    call = dataclasses.replace(base, rules=(*rules, wide))
    split = split_wide(call, _fits)
    assert set(split.owners.values()) == {"W"} and max(split.levels.values()) >= 1
    by_id = split.call.by_id
    assert all(_fits(by_id[r].cond) for r in [*split.owners, "W"])
    order = sorted(split.owners, key=split.levels.__getitem__)
    for aux in order:  # an auxiliary rule reads only facts and auxiliary rules before it
        assert all(d in names or split.levels[d] < split.levels[aux] for d in by_id[aux].deps)
    rng = random.Random(7)
    statuses = ("met", "unmet", "unknown")
    drawn = [dict(zip(names, rng.choices(statuses, k=len(names)), strict=True))
             for _ in range(3000)]
    drawn += [dict.fromkeys(names, s) for s in statuses]
    met = {n: "unmet" if 5 <= k < 12 else "met" for k, n in enumerate(names)}  # W is met
    drawn += [met, *({**met, n: s} for n, s in itertools.product(names, statuses))]
    seen = set()
    for given in drawn:
        known: dict[str, Any] = dict(given)
        for aux in order:
            known[aux] = status_of(by_id[aux].cond, _no_leaf, known)
        expected = status_of(cond, _no_leaf, given)
        assert status_of(by_id["W"].cond, _no_leaf, known) == expected, given
        seen.add(expected)
    assert seen == set(statuses)


def _no_leaf(leaf: Any) -> Any:  # pragma: no cover - these conditions read facts only
    raise AssertionError(leaf)


# --- the scaling benchmark's 500-rule pack ------------------------------------------

def test_the_scaling_benchmarks_500_rule_pack_runs_on_durable(tmp_path: Path,
                                                              fr_applicant: dict[str, Any]
                                                              ) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from scaling import synthetic_pack
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = synthetic_pack(500, tmp_path)
    durable, python = Engine.from_paths(path), Engine.from_paths(path, backend="python")
    runner = durable._prepared["synthetic-500"].calls["main"].runner
    assert set(runner.form.hidden.values()) == {"eligible"}  # type: ignore[attr-defined]
    seen = set()
    for applicant in (fr_applicant, _applicant(fr_applicant, engagements=None),
                      _applicant(fr_applicant, engagements=None, benefits=None),
                      _applicant(fr_applicant, covid_hardship=False, status=None)):
        a, b = (e.evaluation(applicant, "synthetic-500") for e in (durable, python))
        assert (a.statuses, a.trace, a.decision) == (b.statuses, b.trace, b.decision)
        seen.add(a.statuses["eligible"])
    assert seen == {"unmet", "unknown"}


# --- what splitting cannot help -----------------------------------------------------

def test_what_no_split_can_help_is_reported_at_the_pack_rule() -> None:
    """A comparison with 70 values is one `$or` of 70 equalities: no connective to split.

    The rule's `and` is split (its wide comparison becomes an auxiliary rule of its own),
    and ``check`` reports the auxiliary rule's overflow at the pack rule it came from.
    """
    from fundrules import PackError
    from fundrules._schema.codes import COUNTRY_CODES

    countries = ", ".join(sorted(COUNTRY_CODES)[:70])
    text = FR_TEXT.replace("rules:\n", "rules:\n" + _rule(
        "X", f"covid_hardship and residence_country in [{countries}]"), 1)
    pack = load_pack_text(text, file="x.yaml")
    call = pack.calls["main"]
    assert set(df.durable_form(call).hidden.values()) == {"X"}
    found = df.limit_diagnostics(call)
    assert [d.code for d in found] == ["engine-limit"]
    assert found[0].message.startswith(
        "durable_rules cannot run rule `X` of pack `fr-netflix-audiens`: asserting the worst "
        "fact leaves 72 alpha nodes pending at once")
    assert (found[0].file, found[0].line) == ("x.yaml", call.by_id["X"].spot.line)  # type: ignore[union-attr]
    with pytest.raises(PackError) as info:
        Engine([pack])
    assert info.value.diagnostics[0].message == found[0].message


def test_the_built_in_packs_need_no_split() -> None:
    """Their durable forms are what they were before splitting existed: no auxiliary rule."""
    from fundrules.policies.pack import load_pack

    for path in sorted((ROOT / "policies").glob("*.yaml")):
        for call in load_pack(path).calls.values():
            assert split_wide(call, df._fitter(call)).call is call, (path.name, call.call)


@pytest.mark.parametrize("width", [1, 5, 6, 7, 8, 9, 30, 58, 59, 60, 61, 62, 63, 64, 70])
@pytest.mark.parametrize("shape", ["or", "and of ors", "nested"])
def test_the_shortcut_of_ruleset_fits_never_overrules_the_model(width: int, shape: str) -> None:
    """Where the link count says "fits" without asking the model, the model agrees."""
    from fundrules.runtime._durable_split import SPLITTABLE, ruleset_fits
    from fundrules.runtime.durable_limits import ruleset_limit_violations

    t, begin = {"t": "fundrules"}, {"all": [{"m": {"$and": [{"t": "fundrules"}, {"b": 1}]}}]}
    tests = [{f"c{k}": "unmet"} for k in range(width)]
    if shape == "or":
        body: dict[str, Any] = {"$or": tests}
    elif shape == "and of ors":
        body = {"$and": [{"$or": tests[k:k + 4]} for k in range(0, width, 4)]}
    else:
        body = {"$or": [{"$and": [{"n1l": k}, {"$or": [{"s2": "a"}, {f"c{k}": "met"}]}]}
                        for k in range(width)]}
    ruleset = {"$begin": begin, "x#unmet": {"all": [{"m": {"$and": [t, {"r": 0}, body]}}]}}
    model = not any(v.limit in SPLITTABLE for v in ruleset_limit_violations(ruleset))
    assert ruleset_fits(ruleset) == model
