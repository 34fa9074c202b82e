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

BROKEN = Path(__file__).resolve().parent.parent / "packs" / "broken"

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
  - id: autumn
    window: {opens: 2020-10-01T00:00, closes: 2020-10-31T00:00, tz: Europe/Paris}
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
      message: {en: "EUR 900: low 2019 income", fr: "900 € : revenus 2019 modestes"}
    - id: AWARD-500
      amount: 500
      cite: S1
      message: {en: "EUR 500", fr: "500 €"}
"""

#: file -> every diagnostic it must produce, as (code, severity, line, column).
EXPECTED: dict[str, list[tuple[str, str, int, int]]] = {
    "yaml-syntax": [("yaml-syntax", "error", 41, 4)],
    "yaml-duplicate-key": [("yaml-duplicate-key", "error", 41, 5)],
    "file-unreadable": [("file-unreadable", "error", 4, 38)],
    "unknown-key": [("unknown-key", "error", 50, 5)],
    "missing-key": [("missing-key", "error", 2, 1)],
    "wrong-type": [("wrong-type", "error", 42, 14)],
    "invalid-value": [("invalid-value", "error", 9, 13)],
    "unknown-time-zone": [("invalid-value", "error", 24, 69)],
    "condition-syntax": [("condition-syntax", "error", 34, 39)],
    "unknown-measure": [("unknown-name", "error", 47, 11)],
    "unknown-monotonic-measure": [("unknown-name", "error", 71, 11)],
    "unknown-plugin": [("unknown-plugin", "error", 47, 41)],
    "unknown-fact": [("unproduced-fact", "error", 55, 28)],
    "unproduced-fact": [("unproduced-fact", "error", 47, 41)],
    "unused-fact": [("unused-fact", "warning", 40, 11)],
    "type-mismatch-date": [("type-mismatch", "error", 47, 29)],
    "type-mismatch-money": [("type-mismatch", "error", 61, 36)],
    "currency-mismatch": [("currency-mismatch", "error", 61, 36)],
    "duplicate-id": [("duplicate-id", "error", 46, 9)],
    "rule-cycle": [("rule-cycle", "error", 39, 11)],
    "missing-message": [("missing-message", "error", 43, 7)],
    "unknown-source": [("unknown-source", "error", 49, 11)],
    "unknown-ambiguity": [("unknown-ambiguity", "error", 50, 14)],
    "award-overlap": [("award-overlap", "error", 65, 7)],
    "award-gap": [("award-gap", "error", 65, 7)],
    "window-order": [("window-order", "error", 24, 47)],
    "window-order-parameter": [("window-order", "error", 18, 20)],
    "unknown-parameter": [("unknown-parameter", "error", 28, 17)],
    "override-kind": [("type-mismatch", "error", 28, 17)],
    "hostile-python-tag": [("yaml-tag", "error", 6, 16)],
    "hostile-alias-bomb": [("yaml-limit", "error", 19, 10)],
    "hostile-import": [("condition-syntax", "error", 39, 11)],
    "hostile-lambda": [("condition-syntax", "error", 39, 13)],
    "hostile-dunder": [("condition-syntax", "error", 39, 18)],
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
