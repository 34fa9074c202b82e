"""Packs of 200 and 500 rules run on durable_rules, split into parts, like the python backend.

The packs are the French pack's text with generated rules added in the pack format
(docs/pack-format.md): conditions over several inputs (met, unmet or unknown depending on
the applicant), rules that read rules written far before them (so that statuses cross from
one part to the next) and an eligibility that reads the last of them. A single ruleset of
500 rules would need a working fact of more than the 254 properties durable_rules accepts;
split into parts it runs, and ``check`` reports nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fundrules import Engine
from fundrules.policies.pack import load_pack_text
from fundrules.runtime.durable_form import PART_PROPERTIES, durable_form, limit_diagnostics
from tests.conftest import ROOT

FR = "fr-netflix-audiens"
FR_TEXT = (ROOT / "policies" / f"{FR}.yaml").read_text()
_OWN_RULES = 12  # rules the French pack writes itself
_CONDITIONS = ("activity_units >= {k}", "status == intermittent", "covid_hardship",
               "annex_benefits_received == 0", "role == artist or activity_units < {k}",
               "not unemployed")


def _rules(n: int) -> str:
    out = ""
    for k in range(n):
        when = _CONDITIONS[k % len(_CONDITIONS)].format(k=k % 40)
        if k >= 60 and k % 3 == 0:  # reads a rule written far before (an earlier part)
            when = f"g{k - 60} and ({when})" if k % 2 else f"g{k - 60} or ({when})"
        out += (f"  - id: G{k}\n    when: {when}\n    then: g{k}\n    cite: S1\n"
                "    message: {fr: g, en: g, it: g, es: g}\n")
    return out


def _pack_text(total: int) -> str:
    n = total - _OWN_RULES
    last = max(k for k in range(n) if k >= 60 and k % 3 == 0)
    return FR_TEXT.replace("rules:\n", "rules:\n" + _rules(n), 1).replace(
        "eligible: intermittent", f"eligible: (g{last} or g{n - 1}) and intermittent")


def _variants(applicant: dict[str, Any]) -> list[dict[str, Any]]:
    out = [applicant]
    for drop in ("status", "covid_hardship", "engagements", "benefits"):
        other = copy.deepcopy(applicant)
        other.pop(drop, None)
        out.append(other)
    artist = copy.deepcopy(applicant)
    artist.update(role="artist", unemployed=True, covid_hardship=False)
    out.append(artist)
    return out


@pytest.mark.parametrize("total", [200, 500])
def test_large_packs_are_decided_alike_by_both_backends(total: int,
                                                        fr_applicant: dict[str, Any]) -> None:
    pack = load_pack_text(_pack_text(total), file=f"generated-{total}.yaml")
    call = pack.calls["main"]
    assert sum(r.id.startswith("G") for r in call.rules) == total - _OWN_RULES  # written: total
    form = durable_form(call)
    if total == 500:
        assert len(form.parts) > 1  # one ruleset would not fit: split
    assert limit_diagnostics(call, form) == []
    durable, python = Engine([pack]), Engine([pack], backend="python")
    seen: set[str] = set()
    for applicant in _variants(fr_applicant):
        a, b = durable.evaluation(applicant, FR), python.evaluation(applicant, FR)
        assert a.statuses == b.statuses
        assert a.trace == b.trace
        assert a.decision == b.decision
        seen |= set(a.statuses.values())
    assert seen == {"met", "unmet", "unknown"}


def test_every_part_fits_the_property_bound() -> None:
    form = durable_form(load_pack_text(_pack_text(500), file="p.yaml").calls["main"])
    widths = [len(names) for names in form.props.values()]
    owned: set[str] = set()
    for part in form.parts:
        own = {name.split("#")[0] for name in part.names[1:]}
        assert not own & owned  # every durable rule is in one part
        owned |= own
        assert sum(widths[i] for i in part.inputs) + len(own) + len(part.reads) \
            <= PART_PROPERTIES
        assert set(part.reads) <= {r for r in owned if r not in own}  # read from earlier
    assert owned == {name.split("#")[0] for name in form.definition if name != "$begin"}


def test_parts_leave_no_state_behind(fr_applicant: dict[str, Any]) -> None:
    """More evaluations than sid slots, and no part's ruleset keeps a state afterwards."""
    import durable_rules_engine

    pack = load_pack_text(_pack_text(500), file="states.yaml")
    durable, python = Engine([pack]), Engine([pack], backend="python")
    applicants = _variants(fr_applicant)
    expected = [python.evaluate(a, FR) for a in applicants]
    for i in range(150):
        k = (i * 7) % len(applicants)
        assert durable.evaluate(applicants[k], FR) == expected[k]
    runner = durable._prepared[FR].calls["main"].runner
    backend = runner._backend  # type: ignore[attr-defined]
    assert len(runner._handles) == len(runner.form.parts) > 1  # type: ignore[attr-defined]
    for handle in runner._handles:  # type: ignore[attr-defined]
        for sid in backend._slots:
            with pytest.raises(Exception, match="error code: 309"):  # no such state
                durable_rules_engine.get_state(handle, sid)
