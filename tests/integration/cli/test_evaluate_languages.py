"""``fundrules evaluate --lang L`` speaks L everywhere, labels included (issue 15).

The applicants are the packs' own YAML test cases, one per award kind and outcome (so a
range, a monthly, a share, a fixed amount, no award, and a list of missing facts are all
printed); the English words looked for are taken from the i18n table itself.
"""

from __future__ import annotations

import json
import re

import pytest

from fundrules import Engine
from fundrules.cli import main
from fundrules.errors import InvalidArgument
from fundrules.explain import award_text, decision_text
from fundrules.i18n import UI
from fundrules.testing.cases import load_cases
from tests.conftest import PACKS

#: The i18n keys of the labels and words that evaluate's text output prints.
KEYS = ("outcome", "award", "missing", "call", "met", "unmet", "unknown", "none",
        "award_range", "monthly", "share", "outcome_eligible", "outcome_ineligible",
        "outcome_incomplete")


def _english_patterns() -> list[re.Pattern[str]]:
    """Each English label where it is printed; fragments of templates between values."""
    en = {k: UI[k]["en"] for k in KEYS}
    found = [re.compile(rf"^  {re.escape(en[k])}:", re.M) for k in ("outcome", "award",
                                                                   "missing")]
    found.append(re.compile(rf" · {re.escape(en['call'])} "))
    found += [re.compile(rf"^  \[{re.escape(en[k])}\]", re.M) for k in ("met", "unmet",
                                                                      "unknown")]
    found += [re.compile(rf"^  \S+ ?:\s+{re.escape(en[k])}$", re.M)
              for k in ("none", "outcome_eligible", "outcome_ineligible",
                        "outcome_incomplete")]
    for k in ("award_range", "monthly", "share"):
        for part in re.split(r"\{\w+\}", en[k]):
            if len(part.strip(" ()-,")) >= 4:
                found.append(re.compile(re.escape(part.strip(" ()-,"))))
    return found


@pytest.fixture(scope="module")
def applicants(tmp_path_factory) -> list[str]:
    """Files of applicants whose decisions show every award kind, outcome and `missing`."""
    engine, wanted, files = Engine(), {}, []
    folder = tmp_path_factory.mktemp("applicants")
    for path in sorted((PACKS / "tests").glob("*.yaml")):
        for case in load_cases(path):
            decision = engine.evaluate(case.applicant, case.pack)
            kinds = [decision.award.kind if decision.award else "no award", decision.outcome]
            kinds += ["missing"] if decision.missing else []
            new = [k for k in kinds if (case.pack, k) not in wanted]
            if new:
                wanted.update({(case.pack, k): case.name for k in new})
                files.append(folder / f"{len(files)}.json")
                files[-1].write_text(json.dumps(case.applicant))
    seen = {k for _, k in wanted}
    assert seen >= {"range", "monthly", "share", "fixed", "no award", "eligible",
                    "ineligible", "incomplete", "missing"}
    return [str(f) for f in files]


def _evaluate(files: list[str], lang: str, capsys) -> str:
    assert main(["evaluate", *files, "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert out.count("\n\n") == 4 * len(files) - 1  # one report per file and pack
    return out


@pytest.mark.parametrize("lang", ["fr", "it", "es"])
def test_evaluate_prints_no_english_label(applicants, capsys, lang):
    out = _evaluate(applicants, lang, capsys)
    english = [p.pattern for p in _english_patterns() if p.search(out)]
    assert english == []
    for key in ("outcome", "award", "met", "unmet", "unknown", "missing", "none", "call"):
        assert UI[key][lang] in out, key  # the words are there, in the language asked


def test_the_english_patterns_find_every_english_label(applicants, capsys):
    """The check above can fail: every pattern matches the English output."""
    out = _evaluate(applicants, "en", capsys)
    assert [p.pattern for p in _english_patterns() if not p.search(out)] == []


def test_english_text_keeps_its_form():
    engine = Engine()
    (case,) = [c for c in load_cases(PACKS / "tests" / "uk-film-tv-charity.yaml")
               if c.name.startswith("example 1:")]
    text = decision_text(engine.evaluate(case.applicant, "uk-film-tv-charity"))
    assert text.splitlines()[:3] == [
        "uk-ex-01 · uk-film-tv-charity 2020.1 · call erf-2020",
        "  outcome: eligible",
        "  award:   500.00-2500.00 GBP (set by assessed need)"]
    assert "\n  [met]     UK-C1: " in text and "\n  [unmet]   UK-C3: " in text


def test_an_unknown_language_is_refused():
    with pytest.raises(InvalidArgument):
        award_text(None, "de")
