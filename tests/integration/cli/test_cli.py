"""The command line: exit codes, JSON shape, diagnostics on stderr."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fundrules.cli import main
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "applicants"
FR = "fr-netflix-audiens"
DECISION_KEYS = {"pack", "pack_version", "pack_digest", "call", "applicant", "outcome", "award",
                 "reasons", "missing", "trace"}


def test_evaluate_json_is_one_array_of_decisions(capsys):
    code = main(["evaluate", "--pack", FR, "--format", "json",
                 str(EXAMPLES / "fr-technician-900.yaml")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and len(out) == 1
    decision = out[0]
    assert set(decision) == DECISION_KEYS
    assert decision["outcome"] == "eligible"
    assert decision["award"] == {"kind": "fixed", "amount": "900.00", "min": None, "max": None,
                                 "months": None, "currency": "EUR"}
    assert set(decision["reasons"][0]) == {"rule", "status", "message", "source"}
    assert len(decision["pack_digest"]) == 64 and decision["trace"][0] == "window"


@pytest.mark.parametrize(("file", "outcome", "award"), [
    ("fr-technician-900.yaml", "eligible", "900.00"),
    ("fr-actor-500.json", "eligible", "500.00"),
    ("fr-stage-ineligible.yaml", "ineligible", None),
])
def test_bundled_examples(capsys, file, outcome, award):
    assert main(["evaluate", "--pack", FR, "--format", "json", str(EXAMPLES / file)]) == 0
    (decision,) = json.loads(capsys.readouterr().out)
    assert decision["outcome"] == outcome
    assert (decision["award"] or {}).get("amount") == award


def test_evaluate_text_shows_outcome_award_and_every_criterion(capsys):
    assert main(["evaluate", "--pack", FR, "--lang", "fr",
                 str(EXAMPLES / "fr-technician-900.yaml")]) == 0
    out = capsys.readouterr().out
    assert "  résultat : éligible\n" in out and "  aide :     900.00 EUR\n" in out
    for rule in ("window", "FR-C1", "FR-C2", "FR-C3", "FR-C4", "FR-NR"):
        assert f" {rule}: " in out
    assert "Au moins 12 jours ou cachets" in out


def test_invalid_applicant_exits_2_naming_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x", "submitted_at": "2020-04-20T10:00:00",
                               "engagements": [{"days": -1}]}))
    assert main(["evaluate", "--pack", FR, str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1:29: applicant-invalid: `submitted_at`" in err
    assert f"{bad}:1:77: applicant-invalid: `engagements[0].days`" in err


def test_unknown_pack_exits_2_with_a_suggestion(capsys):
    assert main(["evaluate", "--pack", "fr-netflix-audien",
                 str(EXAMPLES / "fr-technician-900.yaml")]) == 2
    err = capsys.readouterr().err
    assert "unknown-pack" in err and "did you mean `fr-netflix-audiens`?" in err


def test_yaml_syntax_error_in_applicant_is_located(tmp_path, capsys):
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: x\nsubmitted_at: [unclosed\n")
    assert main(["evaluate", str(bad)]) == 2
    assert f"{bad}:" in capsys.readouterr().err


def test_bad_option_exits_2():
    assert main(["evaluate", "--format", "xml", "x.json"]) == 2


def test_check_builtin_packs_is_clean(capsys):
    assert main(["check"]) == 0


FR_CASES = ROOT / "policies" / "tests" / f"{FR}.yaml"


def _fr_case_count() -> int:
    from fundrules.testing.cases import load_cases

    return len(load_cases(FR_CASES))


def test_test_command_runs_the_fr_cases_on_both_backends_by_default(capsys):
    assert main(["test", str(FR_CASES)]) == 0
    n = _fr_case_count()
    assert n > 10
    assert capsys.readouterr().out.strip() == f"{2 * n} passed, 0 failed (durable and python)"


def _break(monkeypatch, backend: str) -> None:
    """Make one backend's evaluations fail, to see which backend a run really used."""
    from fundrules.engine import DurableRunner as DurableBackend
    from fundrules.runtime.python_backend import PythonRunner as PythonBackend

    cls = DurableBackend if backend == "durable" else PythonBackend

    def broken(self, values):
        raise AssertionError(f"the {backend} backend was used")

    monkeypatch.setattr(cls, "run", broken)


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_test_command_backend_option_decides_with_that_backend_only(capsys, monkeypatch,
                                                                     backend):
    other = "python" if backend == "durable" else "durable"
    _break(monkeypatch, other)
    assert main(["test", "--backend", backend, str(FR_CASES)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{_fr_case_count()} passed, 0 failed ({backend})")
    with pytest.raises(AssertionError, match=f"the {other} backend was used"):
        main(["test", "--backend", other, str(FR_CASES)])


def test_test_command_names_the_backend_of_a_failing_case(capsys, monkeypatch, tmp_path):
    from fundrules.runtime.python_backend import PythonRunner as PythonBackend

    real = PythonBackend.run

    def all_unknown(self, values):  # a python backend that never concludes `met`
        statuses, trace = real(self, values)
        return {k: ("unknown" if v == "met" else v) for k, v in statuses.items()}, trace

    monkeypatch.setattr(PythonBackend, "run", all_unknown)
    code = main(["test", str(FR_CASES)])
    out = capsys.readouterr().out
    assert code == 1
    assert "case 'example 1: lighting technician" in out
    assert "[python]" in out and "[durable]" not in out  # only the broken backend's failures
    passed, failed = map(int, re.fullmatch(r"(\d+) passed, (\d+) failed \(durable and python\)",
                                           out.strip().splitlines()[-1]).groups())
    assert passed + failed == 2 * _fr_case_count()
    assert failed == out.count("[python]") and passed >= _fr_case_count()


def test_installed_console_script_finds_the_packs_outside_the_checkout(tmp_path):
    script = shutil.which("fundrules", path=str(Path(sys.executable).parent))
    if script is None:  # pragma: no cover - CI always installs the package
        pytest.fail("the `fundrules` console script is not installed next to this Python")
    example = shutil.copy(EXAMPLES / "fr-technician-900.yaml", tmp_path / "a.yaml")
    done = subprocess.run([script, "evaluate", "--pack", FR, "--format", "json", example],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["award"]["amount"] == "900.00"


def test_evaluate_without_pack_gives_one_decision_per_pack(capsys):
    assert main(["evaluate", "--format", "json", str(EXAMPLES / "fr-technician-900.yaml")]) == 0
    decisions = json.loads(capsys.readouterr().out)
    packs = [d["pack"] for d in decisions]
    assert sorted(packs) == ["es-academia-netflix", "fr-netflix-audiens", "it-ifc-netflix",
                             "uk-film-tv-charity"]
    by_pack = {d["pack"]: d for d in decisions}
    assert by_pack["fr-netflix-audiens"]["outcome"] == "eligible"
    assert by_pack["uk-film-tv-charity"]["call"] == "erf-2020"  # 20 April: inside the ERF
    assert by_pack["it-ifc-netflix"]["outcome"] == "ineligible"  # 20 April: no IT call open
    it_window = next(r for r in by_pack["it-ifc-netflix"]["reasons"] if r["rule"] == "window")
    assert it_window["status"] == "unmet" and "call-1" in it_window["message"]
