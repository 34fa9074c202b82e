"""What the mutation run of durable_form.py found untested, each as a user would see it.

Every test compares the durable backend with the python backend (statuses, trace and
decision) on data that tells the wrong behaviours apart, or checks the ruleset and the
working fact that durable_rules is given.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from fundrules import Engine
from fundrules.policies.ir import CompiledPack
from fundrules.policies.pack import load_pack_text
from fundrules.runtime import durable_form as df
from fundrules.runtime.facts import InputReader
from fundrules.runtime.semantics import Value
from fundrules.schema import parse_applicant
from tests.conftest import ROOT

FR = "fr-netflix-audiens"
FR_TEXT = (ROOT / "policies" / f"{FR}.yaml").read_text()


def _rule(name: str, when: str) -> str:
    return (f"  - id: {name}\n    when: {when}\n    then: {name.lower()}\n    cite: S1\n"
            "    message: {fr: g, en: g, it: g, es: g}\n")


def _pack(rules: str, uses: str | None = None, file: str = "m.yaml") -> Any:
    text = FR_TEXT.replace("rules:\n", "rules:\n" + rules, 1)
    if uses:
        text = text.replace("eligible: intermittent", f"eligible: {uses} and intermittent")
    return load_pack_text(text, file=file)


def _variants(applicant: dict[str, Any]) -> list[dict[str, Any]]:
    out = [applicant]
    for drop in ("status", "covid_hardship", "engagements", "benefits", "income"):
        other = copy.deepcopy(applicant)
        other.pop(drop, None)
        out.append(other)
    artist = copy.deepcopy(applicant)
    artist.update(role="artist", unemployed=True, covid_hardship=False, status="employee")
    out.append(artist)
    return out


def _alike(pack: Any, applicants: list[dict[str, Any]]) -> set[str]:
    durable, python = Engine([pack]), Engine([pack], backend="python")
    seen: set[str] = set()
    for applicant in applicants:
        a, b = durable.evaluation(applicant, FR), python.evaluation(applicant, FR)
        assert (a.statuses, a.trace, a.decision) == (b.statuses, b.trace, b.decision)
        seen |= set(a.statuses.values())
    return seen


def test_the_fact_text_is_the_working_fact(fr_applicant: dict[str, Any]) -> None:
    call: CompiledPack = _pack("").compiled("main")
    form = df.durable_form(call)
    values = InputReader(call).read(parse_applicant(fr_applicant))
    for part in (None, *form.parts):
        text = df.FactText(form, part, "s-1").head(df.ordered_values(form, values)) + "}"
        assert json.loads(text) == df.working_fact(form, values, "s-1")
    # floats, unknown bounds, symbols that need escaping, in input order
    odd = {spec: (Value(lo=1.5, hi=None) if spec.type != "symbol" else Value(sym='a"é\\'))
           for spec in call.inputs}
    text = df.FactText(form, None, "s").head(df.ordered_values(form, odd)) + "}"
    assert text.index('"t"') < text.index('"n0l"') < text.index('"s3"')
    assert json.loads(text) == df.working_fact(form, odd, "s")
    assert '"n0h"' not in text  # an unknown bound is absent
    assert '"sid":"s","t":"fundrules"' in text  # no spaces: shorter messages


def test_strata_share_a_round_and_unknown_ones_keep_their_place(fr_applicant: dict[str, Any]
                                                                 ) -> None:
    # three strata, each reading the one before; the first has rules left unknown
    rules = (_rule("A1", "status == intermittent") + _rule("A2", "covid_hardship")
             + _rule("B1", "a1 or a2") + _rule("B2", "not a1") + _rule("C1", "b1 and b2"))
    pack = _pack(rules, "c1 or b1")
    form = df.durable_form(pack.compiled("main"))
    assert form.rounds == 1 and len(form.groups[0]) == 4  # one assertion, four strata
    seen = _alike(pack, _variants(fr_applicant))
    assert seen == {"met", "unmet", "unknown"}


def test_a_pattern_too_large_to_substitute_starts_a_round(fr_applicant: dict[str, Any]) -> None:
    # each level reads the one before twice: substituted, patterns would double per level
    rules = _rule("L0", "status == intermittent or activity_units >= 3")
    for k in range(1, 7):
        rules += _rule(f"L{k}", f"(l{k - 1} and covid_hardship) or (not l{k - 1} and "
                       f"activity_units < {k})")
    pack = _pack(rules, "l6")
    form = df.durable_form(pack.compiled("main"))
    assert 1 < form.rounds < 8  # merged where small, split where large
    assert df.limit_diagnostics(pack.compiled("main"), form) == []
    _alike(pack, _variants(fr_applicant))


@pytest.mark.parametrize("count", [33, 50])
def test_a_stratum_larger_than_a_round_is_decided_in_several(count: int,
                                                             fr_applicant: dict[str, Any]
                                                             ) -> None:
    rules = "".join(_rule(f"W{k}", f"activity_units >= {k} or status == employee")
                    for k in range(count))
    pack = _pack(rules, f"w{count - 1}")
    form = df.durable_form(pack.compiled("main"))
    assert form.rounds > 1 and len(form.parts) == 1
    assert all(len(r) <= df.ROUND_SIZE for r in form.round_rules)
    assert df.limit_diagnostics(pack.compiled("main"), form) == []
    _alike(pack, _variants(fr_applicant))
