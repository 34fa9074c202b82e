"""What a Decision says, as its reader checks it (issue 12).

Written from the mutants of ``fundrules/runtime/decide.py`` that the other tests let
through (``python mutation/code.py --module fundrules/runtime/decide.py``); each test
was seen failing with its mutant applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fundrules import Engine
from fundrules.runtime.decide import message_for
from fundrules.schema import parse_applicant
from fundrules.testing.cases import load_cases

ROOT = Path(__file__).resolve().parents[3]
ENGINE = Engine(backend="python")
CASES = [c for f in sorted((ROOT / "policies" / "tests").glob("*.yaml")) for c in load_cases(f)]


@pytest.mark.parametrize("lang", ["en", "fr", "it", "es"])
def test_every_reason_carries_its_own_rules_message(lang: str) -> None:
    """An unmet criterion says what that criterion asks, in the language asked.

    Never the window's text, which only an application outside every window gets.
    """
    unmet = 0
    for case in CASES:
        decision = ENGINE.evaluate(parse_applicant(case.applicant), case.pack, lang=lang)
        call = ENGINE.pack(case.pack).calls[decision.call]
        for reason in decision.reasons:
            rule = call.rule(reason.rule)
            if rule.kind == "window":
                continue
            assert reason.message == rule.message[lang], (case.name, reason.rule)
            unmet += reason.status == "unmet"
    assert unmet >= 20  # the cases do make criteria fail, in every pack


def test_a_message_falls_back_to_english_then_the_packs_first_language() -> None:
    both = {"fr": "Être intermittent", "en": "Be an intermittent worker"}
    assert message_for(both, "fr", ["fr", "en"]) == "Être intermittent"
    assert message_for(both, "it", ["fr", "en"]) == "Be an intermittent worker"
    assert message_for({"fr": "Être intermittent"}, "it", ["fr"]) == "Être intermittent"
    assert message_for({"es": "Trabajar"}, None, ["fr", "es"]) == "Trabajar"
    assert message_for({}, "fr", ["fr"]) == ""
