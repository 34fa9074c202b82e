"""What the mutation run of durable_form.py found untested, each as a user would see it.

Every test compares the durable backend with the python backend (statuses, trace and
decision) on data that tells the wrong behaviours apart, or checks the ruleset and the
working fact that durable_rules is given.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from fundrules import Engine
from fundrules._schema.codes import COUNTRY_CODES
from fundrules.policies.ir import CompiledPack
from fundrules.policies.pack import load_pack_text
from fundrules.runtime import durable_form as df
from fundrules.runtime._durable_split import Split
from fundrules.runtime.facts import InputReader
from fundrules.runtime.semantics import Value
from fundrules.schema import parse_applicant
from tests.conftest import ROOT

FR = "fr-netflix-audiens"
FR_TEXT = (ROOT / "policies" / f"{FR}.yaml").read_text()


def _rule(name: str, when: str) -> str:
    return (f"  - id: {name}\n    when: '{when}'\n    then: {name.lower()}\n    cite: S1\n"
            "    message: {fr: g, en: g, it: g, es: g}\n")


def _pack(rules: str, uses: str | None = None, file: str = "m.yaml", last: str = "") -> Any:
    """The French pack with ``rules`` written before its own, ``last`` after them."""
    text = FR_TEXT.replace("rules:\n", "rules:\n" + rules, 1).replace(
        "\nexclusions:\n", "\n" + last + "exclusions:\n", 1)
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
    # floats (one infinite, as JSON writes it), unknown bounds, symbols that need
    # escaping, in input order
    odd = {spec: (Value(lo=1.5, hi=None) if spec.type != "symbol" else Value(sym='a"é\\'))
           for spec in call.inputs}
    odd[call.inputs[1]] = Value(lo=-math.inf, hi=2.5)
    odd[call.inputs[4]] = Value(lo=3, hi=math.inf)
    text = df.FactText(form, None, "s").head(df.ordered_values(form, odd)) + "}"
    assert text.index('"t"') < text.index('"n0l"') < text.index('"s3"')
    assert json.loads(text) == df.working_fact(form, odd, "s")
    assert '"n0h"' not in text  # an unknown bound is absent
    assert '"sid":"s","t":"fundrules"' in text  # no spaces: shorter messages
    assert '"n1l":-Infinity,"n1h":2.5' in text and '"n4l":3,"n4h":Infinity' in text
    # a call that is one ruleset writes every input, even one no rule reads (the UK
    # calls' submission instant): its fact is working_fact's
    uk = load_pack_text((ROOT / "policies" / "uk-film-tv-charity.yaml").read_text(),
                        file="uk.yaml")
    for uk_call in uk.calls.values():
        uk_form = df.durable_form(uk_call)
        known = {spec: Value(lo=7, hi=7) if spec.type != "symbol" else Value(sym="x")
                 for spec in uk_call.inputs}
        (part,) = uk_form.parts
        text = df.FactText(uk_form, part, "u").head(df.ordered_values(uk_form, known)) + "}"
        assert json.loads(text) == df.working_fact(uk_form, known, "u")
    # values of another call (more inputs) are read by input, not by position
    other = _pack(_rule("S", "role == artist")).compiled("main")
    assert set(other.inputs) > set(call.inputs)
    theirs = InputReader(other).read(parse_applicant(fr_applicant))
    assert df.working_fact(form, theirs, "s") == df.working_fact(form, dict(theirs), "s")


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


# --- how rules are grouped into assertions --------------------------------------------
# The French pack alone: stratum 0 is 8 rules whose patterns hang 18 alpha nodes (heads)
# under the round test, FR-C2 (stratum 1) 4 more, `eligible` (stratum 2) 7. A rule that
# is constantly met hangs 1 (its unmet pattern never matches and is not registered), a
# one-sided comparison (`>=`) 2. Each case sits on one bound of the schedule: 32 rules
# (ROUND_SIZE) or 48 heads (ROUND_HEADS) in one assertion.


def _constant(n: int, prefix: str = "K") -> str:
    return "".join(_rule(f"{prefix}{i}", "true") for i in range(n))


def _above(n: int) -> str:
    return "".join(_rule(f"L{i}", f"activity_units >= {i + 1}") for i in range(n))


def _mixed(n: int) -> str:  # met pattern: a test then an `$or` (heads 1, unmet 2)
    return "".join(_rule(f"M{i}", f"activity_units >= {i + 3} and (status == employee "
                                  "or covid_hardship)") for i in range(n))


SCHEDULES = {
    # stratum 0 of 30, 31, 32, 33 rules (heads far from the bound)
    "30 rules, then FR-C2": (_constant(22), [31, 1], 0),
    "31 rules, then FR-C2 makes 32": (_constant(23), [32, 1], 0),
    "32 rules: FR-C2 waits": (_constant(24), [32, 2], 1),
    "33 rules: two rounds, FR-C2 joins the second": (_constant(25), [32, 3], 1),
    "63 rules: the second round fills with FR-C2": (_constant(55), [32, 32, 1], 1),
    # a stratum of its own starting a round: 32 rules (FR-C2 and 31 reading K0)
    "stratum 1 of 32 rules": (_constant(24) + "".join(_rule(f"S{i}", "k0 or true")
                                                      for i in range(31)), [32, 32, 1], 1),
    # heads: 18 + 2 x 13 = 44, FR-C2 makes 48
    "44 heads, then FR-C2 makes 48": (_above(13), [22, 1], 0),
    "46 heads: FR-C2 (4) waits": (_above(14), [22, 2], 1),
    "48 heads in stratum 0": (_above(15), [23, 2], 1),
    "50 heads: the 24th rule starts a round": (_above(16), [23, 3], 1),
    "49 heads: a 3-head rule crosses": (_above(14) + _rule("E0", "activity_units == 1"),
                                        [22, 3], 1),
    "44 heads with mixed patterns, FR-C2 makes 48": (_above(10) + _mixed(2), [21, 1], 0),
    "constant rules count 1 head: 44, FR-C2 makes 48": (_above(11) + _constant(4), [24, 1], 0),
    "45 heads: FR-C2 waits": (_above(11) + _constant(5), [24, 2], 1),
    # stratum 1 (FR-C2 and 22 rules reading FR-C1) joins stratum 0: 31 rules; stratum 2
    # (2 rules reading those) would make 33
    "a merged stratum counts its rules": (
        "".join(_rule(f"S{i}", "intermittent or true") for i in range(22))
        + _rule("U0", "s0 or true") + _rule("U1", "s1 or true"), [31, 3], 0),
}


@pytest.mark.parametrize("case", SCHEDULES)
def test_rounds_fill_up_to_their_bounds(case: str) -> None:
    rules, sizes, c2_round = SCHEDULES[case]
    form = df.durable_form(_pack(rules).compiled("main"))
    assert [len(r) for r in form.round_rules] == sizes
    assert next(k for k, r in enumerate(form.round_rules) if "FR-C2" in r) == c2_round


def test_a_round_after_a_full_one_counts_from_none() -> None:
    # the French rules first (18 heads), then 55 constant ones: 32 rules, then 31 (31
    # heads) that FR-C2 fills to 32; `eligible` (7 heads) would fit but for the count
    form = df.durable_form(_pack("", last=_constant(55)).compiled("main"))
    assert [len(r) for r in form.round_rules] == [32, 32, 1]


def _reader(groups: int = 0, constant: bool = False) -> str:
    """P (stratum 0), then Q reading it: its substituted patterns have ``groups`` + 1 groups."""
    when = "true and p" if constant else "p"
    when += "".join(f" and (activity_units >= {i + 2} or annex_benefits_received >= {i + 2})"
                    for i in range(groups))
    return _rule("P", "activity_units >= 1") + _rule("Q", when)


@pytest.mark.parametrize(("rules", "merged"), [
    # groups: Q's met pattern is one `$and` holding one `$or` per group (and unmet alike)
    (_reader(groups=9), True), (_reader(groups=10), False),
    # `true and` adds no group: a test that always holds is left out
    (_reader(groups=9, constant=True), True), (_reader(groups=10, constant=True), False),
])
def test_a_rule_substitutes_its_round_s_rules_while_small(rules: str, merged: bool,
                                                          fr_applicant: dict[str, Any]) -> None:
    pack = _pack(rules, "q")
    form = df.durable_form(pack.compiled("main"))
    where = {r: k for k, members in enumerate(form.round_rules) for r in members}
    assert (where["Q"] == where["P"]) is merged
    _alike(pack, _variants(fr_applicant)[:3])


def test_constant_conditions_are_met_or_unmet_whatever_the_applicant(
        fr_applicant: dict[str, Any]) -> None:
    rules = (_rule("T", "true or status == employee") + _rule("F", "false or status == employee")
             + _rule("N", "not (false and covid_hardship)") + _rule("A", "true and role == artist")
             + _rule("Z", "false and covid_hardship"))  # never met: only its unmet rule
    pack = _pack(rules, "t and n")
    seen = _alike(pack, _variants(fr_applicant))
    statuses = Engine([pack]).evaluation(fr_applicant, FR).statuses
    assert (statuses["T"], statuses["F"], statuses["N"], statuses["A"], statuses["Z"]) == (
        "met", "unmet", "met", "unmet", "unmet")
    assert {"met", "unmet"} <= seen


def test_constant_branches_are_folded_so_big_conditions_stay_small(
        fr_applicant: dict[str, Any]) -> None:
    # `false or x` is x and `true and x` is x: 16 such groups under one `and` are one
    # pattern group; kept as written they would be 17 groups, past durable_rules' 31
    # expression-sequence entries, and the pack refused
    groups = " and ".join(f"(false or activity_units >= {i})" for i in range(16))
    ones = " or ".join(f"(true and activity_units >= {i})" for i in range(16))
    pack = _pack(_rule("G", groups) + _rule("H", ones) + _rule("J", f"true or ({groups})"),
                 "g and h and j")
    assert df.limit_diagnostics(pack.compiled("main")) == []
    _alike(pack, _variants(fr_applicant))


def test_a_merged_round_past_durable_s_stack_falls_back_to_a_round_per_stratum(
        fr_applicant: dict[str, Any]) -> None:
    # Q reads P through an `or` of 30 comparisons: substituted, one assertion would leave
    # more than 64 alpha nodes pending (limit 303); a round per stratum stays below it
    when = "p and (" + " or ".join(f"activity_units >= {i + 2}" for i in range(30)) + ")"
    rules = _rule("P", "activity_units >= 1") + "".join(
        _rule(f"B{i}", f"annex_benefits_received >= {i + 1}") for i in range(8)) + _rule("Q", when)
    pack = _pack(rules, "q")
    call = pack.compiled("main")
    form = df.durable_form(call)
    assert form.rounds == len({r.stratum for r in call.rules}) == 3
    assert df.limit_diagnostics(call, form) == []
    _alike(pack, _variants(fr_applicant))


def _measured(n: int, pairs: int, more: str = "") -> Any:
    """The French pack and n rules reading a measure each, ``pairs`` reading two."""
    count = n + 2 * pairs
    extra = "".join(f"  extra_{i}:\n    over: engagements\n    count: true\n" for i in range(count))
    rules = "".join(_rule(f"X{i}", f"extra_{i} >= 1") for i in range(n))
    rules += "".join(_rule(f"Y{i}", f"extra_{n + 2 * i} >= 1 and extra_{n + 2 * i + 1} >= 1")
                     for i in range(pairs))
    text = FR_TEXT.replace("measures:\n", "measures:\n" + extra, 1).replace(
        "rules:\n", "rules:\n" + rules + more, 1)
    return load_pack_text(text, file="measured.yaml")


@pytest.mark.parametrize(("pack", "parts"), [
    # 75 rules and 75 measures more: the fact needs 250 properties, with t, sid, r and id
    # 254, durable_rules' bound: one ruleset
    (lambda: _measured(73, 1), 1),
    # one rule more (its status: 255): split in two
    (lambda: _measured(73, 1, _rule("Z", "extra_0 >= 2")), 2),
    (lambda: _measured(74, 1), 2),
])
def test_a_call_is_split_only_past_durable_s_254_properties(pack: Any, parts: int,
                                                           fr_applicant: dict[str, Any]) -> None:
    built = pack()
    call = built.compiled("main")
    form = df.durable_form(call)
    assert len(form.parts) == parts and df.limit_diagnostics(call, form) == []
    _alike(built, _variants(fr_applicant)[:2])


def test_a_rule_past_a_limit_is_named_and_located() -> None:
    # one comparison, an `$or` of 70 equalities: nothing to split, 72 alpha nodes pending
    countries = ", ".join(sorted(COUNTRY_CODES)[:70])
    pack = _pack(_rule("BIG", f"residence_country in [{countries}]"), "big")
    found = df.limit_diagnostics(pack.compiled("main"))
    assert found and all("rule `BIG`" in d.message and d.file == "m.yaml" and d.line
                         for d in found)


@pytest.mark.parametrize(("when", "count"), [
    # 125 numbers: 250 properties, its status, t, sid, r and id
    (" and ".join(f"extra_{j} >= 0" for j in range(125)), 255),
    # 124 numbers, a symbol and FR-C1's status (read from an earlier ruleset)
    ("intermittent and covid_hardship and "
     + " and ".join(f"extra_{j} >= 0" for j in range(124)), 255),
])
def test_a_fact_past_254_properties_is_reported_with_its_count(
        when: str, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # split, the rule's `and` would be decided in chunks: the count is of the rule unsplit
    monkeypatch.setattr(df, "split_wide", lambda call, fits: Split(call, {}, {}))
    extra = "".join(f"  extra_{i}:\n    over: engagements\n    count: true\n" for i in range(125))
    text = FR_TEXT.replace("measures:\n", "measures:\n" + extra, 1).replace(
        "rules:\n", "rules:\n" + _rule("W", when), 1)
    pack = load_pack_text(text, file="wide.yaml")
    found = [d.message for d in df.limit_diagnostics(pack.compiled("main"))]
    assert any(f"a fact holds {count} properties" in m for m in found), found
