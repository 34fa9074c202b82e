"""Issue 16: one `fundrules check` run reports every independent problem of a pack.

A shape error (an unknown key, a wrong type) used to hide every later check of the file.
Now each rule, measure, call, source, tier... is validated on its own: a broken element is
reported and dropped, and the later checks (conditions, names, ids) run on the rest. What
the dropped element defined is remembered, so a reference to it is not a second error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.policies.test_broken_packs import BASE, _diagnosed

Record = tuple[str, str, int, int]


def _edit(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


#: four independent defects, each in its own element of the pack
FOUR = _edit(
    BASE,
    ("    settles: A1\n", "    setles: A1\n"),  # (a) an unknown key in rule R2
    ("    when: status == intermittent\n", "    when: status == = intermittent\n"),  # (b) R1
    ("      when: income(2019, gross) <= low_income\n", "      when: incom_days >= 3\n"),  # (c)
    ("    - id: AWARD-500\n", "    - id: AWARD-900\n"),  # (d) a tier id used twice
)
FOUR_RECORDS = [
    ("condition-syntax", "error", 41, 21),
    ("unknown-key", "error", 52, 5),
    ("unknown-name", "error", 63, 13),
    ("duplicate-id", "error", 67, 11),
]


def test_four_independent_defects_are_reported_in_one_run_each_at_its_place() -> None:
    assert _diagnosed(FOUR) == FOUR_RECORDS


def test_fundrules_check_prints_each_of_them_once(tmp_path: Path) -> None:
    pack = tmp_path / "my-fund.yaml"
    pack.write_text(FOUR, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "fundrules", "check", str(pack)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1
    heads = [line.split(": ")[:2] for line in run.stdout.splitlines()
             if line.startswith(str(pack))]
    assert heads == [[f"{pack}:{line}:{col}", code] for code, _, line, col in FOUR_RECORDS]
    assert "1 pack(s), 4 error(s), 0 warning(s)" in run.stderr


_EXCLUSION = ("\nexclusions:\n  - id: R1\n    when: unemployed == true\n    cite: S1\n"
              "    message: {en: \"Not unemployed\", fr: \"Pas au chômage\"}\n")


@pytest.mark.parametrize(("edits", "extra", "expected"), [
    pytest.param(  # two rules dropped; the exclusion reusing R1's id is still a duplicate
        [("    message:\n      en: \"Be an intermittent worker\"\n",
          "    mesage:\n      en: \"Be an intermittent worker\"\n"),
         ("    settles: A1\n", "    settles: A1\n    priority: maybe\n")], _EXCLUSION,
        [("missing-key", "error", 40, 5), ("unknown-key", "error", 44, 5),
         ("wrong-type", "error", 53, 15), ("duplicate-id", "error", 74, 9)],
        id="rules-dropped-duplicate-still-found"),
    pytest.param(  # R2 dropped: `eligible` reading its fact, and `min_days`, are not errors
        [("    settles: A1\n", "    setles: A1\n")], "",
        [("unknown-key", "error", 52, 5)], id="dropped-rule-fact-and-parameter"),
    pytest.param(  # the measure dropped: R2 reading it is not `unknown-name`
        [("    within: activity_window\n", "    within: activity_window\n    counts: true\n")],
        "", [("unknown-key", "error", 38, 5)], id="dropped-measure"),
    pytest.param(  # the source dropped: the eight `cite: S1` are not `unknown-source`
        [("  S1: {title: \"Demo call text, April 2020\"}\n",
          "  S1: {title: \"Demo call text, April 2020\", page: 3}\n")],
        "", [("unknown-key", "error", 12, 45)], id="dropped-source"),
    pytest.param(  # the ambiguity dropped: `settles: A1` is not `unknown-ambiguity`
        [("  A1: \"days and cachets count together\"\n", "  A1: [days, cachets]\n")],
        "", [("wrong-type", "error", 15, 7)], id="dropped-ambiguity"),
    pytest.param(  # the call dropped: a rule naming it is not `invalid-value`
        [("      min_days: 10\n", "      min_days: 10\n    opens: 2020-10-01\n"),
         ("    then: intermittent\n", "    then: intermittent\n    calls: [spring, autumn]\n")],
        "", [("unknown-key", "error", 31, 5)], id="dropped-call"),
    pytest.param(  # the default tier dropped: the tiers are not reported as leaving a gap
        [("      message: {en: \"EUR 500\", fr: \"500 €\"}\n",
          "      message: {en: \"EUR 500\", fr: \"500 €\"}\n      amont: 3\n")],
        "", [("unknown-key", "error", 71, 7)], id="dropped-tier-no-gap"),
    pytest.param(  # a parameter dropped: a call's override of it is not `unknown-parameter`
        [("  min_days: 12\n", "  min_days: 12\n  Max_days: 3\n"),
         ("      min_days: 10\n", "      min_days: 10\n      Max_days: 4\n")],
        "", [("invalid-value", "error", 20, 13)], id="dropped-parameter"),
    pytest.param(  # a required text replaced by a placeholder; the condition still checked
        [("administrator: Demo administrator\n", ""),
         ("    when: activity_days >= min_days\n", "    when: activity_dys >= min_days\n")],
        "", [("missing-key", "error", 2, 1), ("unknown-name", "error", 48, 11)],
        id="placeholder-and-condition"),
    pytest.param(  # `rules:` unusable as a whole: only the shape errors, no cascade
        [("rules:\n  - id: R1\n", "rules: 3\nrulez:\n  - id: R1\n")],
        "", [("wrong-type", "error", 39, 8), ("unknown-key", "error", 40, 1)],
        id="vital-section-stops"),
])
def test_no_follow_on_error_from_a_dropped_element(
        edits: list[tuple[str, str]], extra: str, expected: list[Record]) -> None:
    assert _diagnosed(_edit(BASE, *edits) + extra) == expected
