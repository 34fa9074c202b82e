"""One defect per file: each broken pack is reported at the exact line and column, alone.

Every file in ``tests/packs/broken/`` is a copy of :data:`BASE` (a small valid pack) with
ONE defect, and is named after it. The test compares whole records (code, severity, line,
column), never message substrings, so a diagnostic that drifts to another place, changes
code, or comes with a cascade of follow-on errors fails here. The ``hostile-*`` files are
what an attacker would try; they must be located errors, never a traceback or a side effect.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from fundrules.diagnostics import Diagnostic
from fundrules.policies.pack import check_pack, load_pack_text
from tests.conftest import ROOT

BROKEN = ROOT / "tests" / "packs" / "broken"

BASE = """\
# A small valid pack; each file in tests/packs/broken/ is a copy of it with ONE defect.
pack: demo-fund
version: "1"
title: {en: Demo fund, fr: Fonds de démonstration}
country: FR
administrator: Demo administrator
currency: EUR
languages: [en, fr]
allocation: first_come_first_served

sources:
  S1: {title: "Demo call text, April 2020"}

ambiguities:
  A1: "days and cachets count together"

parameters:
  activity_window: [2019-09-01, 2020-02-29]
  min_days: 12
  low_income: 15000 EUR

calls:
  - id: spring
    window: {opens: 2020-04-15T00:00, closes: 2020-05-15T00:00, tz: Europe/Paris}
    cite: S1
  - id: autumn
    window: {opens: 2020-10-01T00:00, closes: 2020-10-31T00:00, tz: Europe/Paris}
    cite: S1
    parameters:
      min_days: 10

measures:
  activity_days:
    over: engagements
    sum: greatest(days, cachets)
    where: sector in [film_production, audiovisual_production] and contract in [cdd, cddu]
    within: activity_window

rules:
  - id: R1
    when: status == intermittent
    then: intermittent
    cite: S1
    message:
      en: "Be an intermittent worker"
      fr: "Être intermittent"

  - id: R2
    when: activity_days >= min_days
    then: minimum_activity
    cite: S1
    settles: A1
    message:
      en: "At least {min_days} days or cachets in {activity_window}"
      fr: "Au moins {min_days} jours ou cachets entre le {activity_window}"

eligible: intermittent and minimum_activity

award:
  kind: fixed
  tiers:
    - id: AWARD-900
      when: income(2019, gross) <= low_income
      amount: 900
      cite: S1
      message: {en: "EUR 900: income up to {low_income}", fr: "900 € : revenus <= {low_income}"}
    - id: AWARD-500
      amount: 500
      cite: S1
      message: {en: "EUR 500", fr: "500 €"}
"""

#: file -> every diagnostic it must produce, as (code, severity, line, column).
EXPECTED: dict[str, list[tuple[str, str, int, int]]] = {
    "yaml-syntax": [("yaml-syntax", "error", 43, 4)],
    "yaml-duplicate-key": [("yaml-duplicate-key", "error", 43, 5)],
    "file-unreadable": [("file-unreadable", "error", 4, 38)],
    "unknown-key": [("unknown-key", "error", 52, 5)],
    "missing-key": [("missing-key", "error", 2, 1)],
    "wrong-type": [("wrong-type", "error", 44, 14)],
    "invalid-value": [("invalid-value", "error", 9, 13)],
    "unknown-time-zone": [("invalid-value", "error", 24, 69)],
    "condition-syntax": [("condition-syntax", "error", 36, 39)],
    "unknown-measure": [("unknown-name", "error", 49, 11)],
    "unknown-monotonic-measure": [("unknown-name", "error", 73, 11)],
    "unknown-plugin": [("unknown-plugin", "error", 49, 41)],
    "unknown-fact": [("unproduced-fact", "error", 57, 28)],
    "unproduced-fact": [("unproduced-fact", "error", 49, 41)],
    "unused-fact": [("unused-fact", "warning", 42, 11)],
    "type-mismatch-date": [("type-mismatch", "error", 49, 29)],
    "type-mismatch-money": [("type-mismatch", "error", 63, 36)],
    "currency-mismatch": [("currency-mismatch", "error", 63, 36)],
    "duplicate-id": [("duplicate-id", "error", 48, 9)],
    "rule-cycle": [("rule-cycle", "error", 41, 11)],
    "missing-message": [("missing-message", "error", 45, 7)],
    "unknown-source": [("unknown-source", "error", 51, 11)],
    "unknown-ambiguity": [("unknown-ambiguity", "error", 52, 14)],
    "award-overlap": [("award-overlap", "error", 67, 7)],
    "award-gap": [("award-gap", "error", 67, 7)],
    "window-order": [("window-order", "error", 24, 47)],
    "window-order-parameter": [("window-order", "error", 18, 20)],
    "unknown-parameter": [("unknown-parameter", "error", 30, 17)],
    "override-kind": [("type-mismatch", "error", 30, 17)],
    "missing-cite": [("missing-cite", "warning", 40, 9)],
    "unused-parameter": [("unused-parameter", "warning", 20, 3)],
    "name-shadowed": [("name-shadowed", "error", 50, 11)],
    "hostile-python-tag": [("yaml-tag", "error", 6, 16)],
    "hostile-alias-bomb": [("yaml-limit", "error", 19, 10)],
    "hostile-import": [("condition-syntax", "error", 41, 11)],
    "hostile-lambda": [("condition-syntax", "error", 41, 13)],
    "hostile-dunder": [("condition-syntax", "error", 41, 18)],
}

#: "did you mean" hints: the exact hint an author reads.
HINTS = {
    "unknown-key": "did you mean `settles`?",
    "invalid-value": "did you mean `first_come_first_served`?",
    "unknown-measure": "did you mean `activity_days`?",
    "unknown-fact": "did you mean `minimum_activity`?",
    "unproduced-fact": "add a rule with `then: first_award`",
    "unknown-parameter": "did you mean `min_days`?",
}


def _records(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int | None, int | None]]:
    return [(d.code, d.severity, d.line, d.column) for d in diagnostics]


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def test_the_base_pack_is_valid() -> None:
    pack = load_pack_text(BASE, file="base.yaml")
    assert (pack.id, sorted(pack.calls), pack.warnings) == ("demo-fund", ["autumn", "spring"], ())


def test_every_file_is_expected_and_every_expectation_has_a_file() -> None:
    assert {p.stem for p in BROKEN.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_file_is_the_base_with_one_small_change(name: str) -> None:
    """Line 1 says what is broken; the rest differs from the base in a few lines only."""
    text = _text(BROKEN / f"{name}.yaml")
    assert text.splitlines()[0].startswith("# Broken pack: ")
    diff = difflib.unified_diff(BASE.splitlines()[1:], text.splitlines()[1:], lineterm="", n=0)
    changed = [ln for ln in diff if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert 0 < len(changed) <= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_defect_is_reported_where_it_is_and_alone(name: str) -> None:
    path = BROKEN / f"{name}.yaml"
    diagnostics = check_pack(path)
    assert _records(diagnostics) == EXPECTED[name]
    assert all(d.file == str(path) and d.message and d.hint for d in diagnostics)
    if name in HINTS:
        assert diagnostics[0].hint == HINTS[name]


def test_hostile_packs_build_nothing_and_run_nothing(tmp_path: Path) -> None:
    """The tag's command would create a file; a located error is all that happens."""
    marker = tmp_path / "pwned"
    text = (BROKEN / "hostile-python-tag.yaml").read_text(encoding="utf-8")
    text = text.replace("[echo pwned]", f"['touch {marker}']")
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    assert _records(check_pack(path)) == [("yaml-tag", "error", 6, 16)]
    assert not marker.exists()


def test_check_reports_every_file_at_once_without_a_traceback() -> None:
    """`fundrules check` on the whole folder: one run, every defect, exit 1."""
    run = subprocess.run([sys.executable, "-m", "fundrules", "check", str(BROKEN)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    located = {line.split(": ")[0] for line in run.stdout.splitlines()
               if line.startswith(str(BROKEN))}
    assert located == {f"{BROKEN / name}.yaml:{line}:{col}"
                       for name, records in EXPECTED.items() for _, _, line, col in records}


def test_every_builtin_pack_is_clean_under_every_check() -> None:
    """No error and no warning: sources cited, parameters used, no name hidden."""
    packs = sorted((ROOT / "policies").glob("*.yaml"))
    assert len(packs) == 4
    assert {p.stem: _records(check_pack(p)) for p in packs} == {p.stem: [] for p in packs}


def _diagnosed(text: str) -> list[tuple[str, str, int | None, int | None]]:
    from fundrules.policies.loader import load_text
    from fundrules.policies.pack import PACK_LIMITS, _finish

    return _records(_finish(load_text(text, file="demo.yaml", limits=PACK_LIMITS),
                            "demo.yaml")[1])


def test_a_fact_renamed_to_a_switch_parameter_is_reported_not_silently_read() -> None:
    """The issue's case: `eligible` would read the switch (always false) instead of the fact."""
    text = BASE.replace("  low_income: 15000 EUR\n", "  low_income: 15000 EUR\n"
                        "  first_award: false\n")
    text = text.replace("    then: intermittent\n", "    then: first_award\n")
    text = text.replace("eligible: intermittent and", "eligible: first_award and")
    # ... and the fact it hides is read by nothing: both are said, at the rule's `then:`
    assert _diagnosed(text) == [("name-shadowed", "error", 43, 11),
                                ("unused-fact", "warning", 43, 11)]


@pytest.mark.parametrize(("old", "new", "record"), [
    ("  min_days: 12\n", "  min_days: 12\n  unemployed: true\n", ("name-shadowed", "error", 20, 3)),
    ("  min_days: 12\n", "  min_days: 12\n  cddu: true\n", ("name-shadowed", "error", 20, 3)),
    ("  min_days: 12\n", "  min_days: 12\n  registered: true\n", ("name-shadowed", "error", 20, 3)),
    ("  activity_days:\n", "  status:\n", ("name-shadowed", "error", 33, 3)),
    ("    then: intermittent\n", "    then: covid_hardship\n", ("name-shadowed", "error", 42, 11)),
])
def test_names_that_hide_another_are_errors_where_they_are_defined(
        old: str, new: str, record: tuple[str, str, int, int]) -> None:
    text = BASE.replace(old, new)
    if "status:" in new:
        text = text.replace("activity_days >= min_days", "status >= min_days")
    if "covid_hardship" in new:
        text = text.replace("eligible: intermittent", "eligible: covid_hardship")
    assert record in _diagnosed(text)  # (with what the hidden name then breaks, if anything)


def test_a_fact_may_share_its_name_with_an_enumeration_value() -> None:
    """`then: intermittent` beside `status == intermittent`: the base pack itself, clean."""
    assert _diagnosed(BASE) == []


def test_every_kind_of_uncited_item_is_a_located_warning() -> None:
    text = BASE.replace("    cite: S1\n  - id: autumn", "  - id: autumn")
    text = text.replace("      amount: 500\n      cite: S1\n", "      amount: 500\n")
    assert _diagnosed(text) == [("missing-cite", "warning", 24, 13),
                                ("missing-cite", "warning", 66, 11)]


def test_not_encoded_and_quote_are_read_and_exposed() -> None:
    text = BASE.replace("      en: \"Be an intermittent worker\"\n",
                        "      en: \"Be an intermittent worker\"\n") + (
        "not_encoded:\n"
        "  - {id: C6, reason: \"no residence clause was published\", confidence: low}\n")
    text = text.replace("    then: intermittent\n",
                        "    then: intermittent\n    quote: {fr: \"intermittent du spectacle\"}\n")
    pack = load_pack_text(text, file="demo.yaml")
    assert [(n.id, n.reason, n.confidence) for n in pack.not_encoded] == [
        ("C6", "no residence clause was published", "low")]
    assert pack.quote("R1") == {"fr": "intermittent du spectacle"}
    assert pack.quote("R2") is None


def test_a_criterion_is_not_both_encoded_and_not_encoded() -> None:
    text = BASE + ("not_encoded:\n"
                   "  - {id: R1, reason: \"x\", confidence: low}\n"
                   "  - {id: C6, reason: \"x\", confidence: low}\n"
                   "  - {id: C6, reason: \"y\", confidence: low}\n")
    n = len(BASE.splitlines())
    assert _diagnosed(text) == [("duplicate-id", "error", n + 2, 10),
                                ("duplicate-id", "error", n + 4, 10)]


def test_a_quote_is_a_mapping_by_language() -> None:
    text = BASE.replace("    then: intermittent\n",
                        "    then: intermittent\n    quote: \"intermittent du spectacle\"\n")
    assert [r[0] for r in _diagnosed(text)] == ["wrong-type"]


@pytest.mark.parametrize("stem", ["es-academia-netflix", "fr-netflix-audiens", "it-ifc-netflix",
                                  "uk-film-tv-charity"])
def test_each_fund_page_shows_the_packs_not_encoded_list_and_quotes(stem: str) -> None:
    from fundrules.policies.pack import load_pack

    root = ROOT
    pack = load_pack(root / "policies" / f"{stem}.yaml")
    page = (root / "docs" / "funds" / f"{stem}.md").read_text(encoding="utf-8")
    assert pack.not_encoded, "every built-in pack accounts for what it does not decide"
    for item in pack.not_encoded:
        assert f"| `{item.id}` | {item.confidence} |" in page
    model = pack.model
    tiers = model.award.tiers or () if model.award else ()
    for rule in (*model.rules, *model.exclusions, *tiers):
        for text in (rule.quote or {}).values():
            assert f"«{text}»" in page, rule.id
