"""Issue 16: a malformed YAML test case is a located error, and the other cases still run.

Before, one malformed case aborted its whole file ("0 passed, 0 failed"), and an unknown
rule id or a `true` status in `reasons:` became a failing case instead of an error at its
YAML node. A case file's `pack:` could also lead anywhere (`../../..`): it is now a pack id
or a path inside the case file's folder or project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fundrules.cli import main
from fundrules.errors import FundrulesError
from fundrules.testing.cases import load_cases, read_cases
from tests.conftest import PACKS

FR = "fr-netflix-audiens"

CASES = """\
pack: PACK
defaults:
  submitted_at: "2020-04-20T10:00:00+02:00"
  residence_country: FR
  status: intermittent
cases:
  - name: a good case
    applicant: {id: c-0}
    expect: {outcome: incomplete}
  - name: "reason, not reasons"
    applicant: {id: c-1}
    expect: {outcome: eligible, reason: {FR-C3: met}}
  - name: a status written true, an unknown rule id
    applicant: {id: c-2}
    expect:
      outcome: eligble
      reasons: {FR-C3: true, FR-C33: met, window: met}
  - name: an invalid applicant
    applicant: {id: c-3, status: intermitent, engagements: [{days: -1}]}
    expect: {outcome: eligible}
  - applicant: {id: c-4}
  - just text
  - name: another good case
    applicant: {id: c-6, status: employee}
    expect: {outcome: ineligible, reasons: {FR-C1: unmet}, trace: [window, FR-C1, FR-C9]}
"""

#: (code, line, column) of every problem of CASES, in file order
EXPECTED = [
    ("test-invalid", 12, 33),       # `reason` key
    ("test-invalid", 16, 16),       # outcome `eligble`
    ("test-invalid", 17, 24),       # status `true`
    ("test-invalid", 17, 30),       # rule `FR-C33`, at its key
    ("applicant-invalid", 19, 34),  # status `intermitent`, at the value
    ("applicant-invalid", 19, 68),  # engagements[0].days, at the value
    ("test-invalid", 21, 5),        # no `name`, no `expect`
    ("test-invalid", 22, 5),        # not a mapping
    ("test-invalid", 25, 83),       # trace: `FR-C9` is no rule of the pack
]


def _write(folder: Path, text: str, name: str = "cases.yaml") -> Path:
    tests = folder / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    path = tests / name
    path.write_text(text, encoding="utf-8")
    return path


def _records(problems: list) -> list[tuple[str, int | None, int | None]]:
    return [(d.code, d.line, d.column) for d in problems]


def test_every_malformed_case_is_located_and_the_good_cases_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, CASES.replace("PACK", FR))
    cases, problems = read_cases(path)
    assert _records(problems) == EXPECTED
    assert all(d.file == str(path) and d.hint for d in problems)
    assert [c.name for c in cases] == ["a good case"]  # the last one's trace is wrong
    with pytest.raises(FundrulesError) as raised:  # load_cases stays strict
        load_cases(path)
    assert _records(list(raised.value.diagnostics)) == EXPECTED


def test_a_true_status_and_an_unknown_rule_are_errors_with_a_hint(tmp_path: Path) -> None:
    _, problems = read_cases(_write(tmp_path, CASES.replace("PACK", FR)))
    hints = {(d.line, d.column): d.hint for d in problems}
    assert hints[(17, 30)] == "did you mean `FR-C3`?"
    assert "not true/false" in (hints[(17, 24)] or "")
    assert hints[(12, 33)] == "did you mean `reasons`?"


def test_an_invalid_field_of_the_defaults_is_located_in_the_defaults(tmp_path: Path) -> None:
    text = CASES.replace("PACK", FR).replace("  status: intermittent\n", "  status: intermitent\n")
    cases, problems = read_cases(_write(tmp_path, text))
    assert ("applicant-invalid", 5, 11) in _records(problems)  # once, not once per case
    assert _records(problems).count(("applicant-invalid", 5, 11)) == 1
    assert [c.name for c in cases] == []  # `another good case` sets its own status... but
    # every other case inherits the broken status: none runs


def test_fundrules_test_runs_the_good_cases_and_reports_the_others(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, CASES.replace("PACK", FR))
    assert main(["test", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == "2 passed, 0 failed, 6 invalid (durable and python)"
    located = [line.split(": ")[:2] for line in err.splitlines() if line.startswith(str(path))]
    assert located == [[f"{path}:{line}:{col}", code] for code, line, col in EXPECTED]


def test_the_pytest_plugin_shows_each_problem_as_a_failing_item(tmp_path: Path) -> None:
    _write(tmp_path, CASES.replace("PACK", FR))
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "-rf", "tests/cases.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "9 failed, 2 passed" in done.stdout
    for code, line, col in EXPECTED:
        assert f"cases.yaml::invalid[{line}:{col}]" in done.stdout
        assert f"tests/cases.yaml:{line}:{col}: {code}:" in done.stdout
    assert "a good case[durable] PASSED" not in done.stdout  # (run with -q: only counts)


# -- item 3: where `pack:` may lead ------------------------------------------------------
GOOD = """\
pack: PACK
cases:
  - name: an employee
    applicant: {id: c-1, submitted_at: "2020-04-20T10:00:00+02:00", status: employee}
    expect: {outcome: ineligible, reasons: {FR-C1: unmet}}
"""


def _project(tmp_path: Path) -> Path:
    """A project: pyproject.toml, a pack copy under packs/, cases in packs/tests/."""
    root = tmp_path / "proj"
    (root / "packs").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    text = (PACKS / f"{FR}.yaml").read_text(encoding="utf-8")
    (root / "packs" / "copy.yaml").write_text(text, encoding="utf-8")
    (root / "shared").mkdir()
    (root / "shared" / "other.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("ref", [FR, "../copy.yaml", "../../shared/other.yaml"])
def test_pack_by_id_or_by_a_path_inside_the_project(tmp_path: Path, ref: str) -> None:
    root = _project(tmp_path)
    cases, problems = read_cases(_write(root / "packs", GOOD.replace("PACK", ref)))
    assert problems == []
    assert [c.pack for c in cases] == [FR]
    if ref.endswith(".yaml"):
        assert cases[0].pack_file == str((root / "packs" / "tests" / ref).resolve())
    assert main(["test", str(root / "packs" / "tests" / "cases.yaml")]) == 0


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere" / "evil.yaml"
    outside.parent.mkdir()
    outside.write_text((PACKS / f"{FR}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return outside


@pytest.mark.parametrize("ref", ["../../../elsewhere/evil.yaml", "ABSOLUTE",
                                 "../../../../../../../../etc/passwd.yaml", "link.yaml"])
def test_a_pack_path_leading_outside_the_project_is_refused_at_its_node(
        tmp_path: Path, ref: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    outside = _outside(tmp_path)
    if ref == "link.yaml":
        (root / "packs" / "tests").mkdir(parents=True)
        os.symlink(outside, root / "packs" / "tests" / "link.yaml")
    ref = str(outside) if ref == "ABSOLUTE" else ref
    path = _write(root / "packs", GOOD.replace("PACK", ref))
    cases, problems = read_cases(path)
    assert cases == []
    assert _records(problems) == [("pack-path-outside", 1, 7)]
    assert main(["test", str(path)]) == 2
    assert f"{path}:1:7: pack-path-outside:" in capsys.readouterr().err


def test_without_a_project_marker_the_packs_folder_is_the_limit(tmp_path: Path) -> None:
    folder = tmp_path / "fund"
    folder.mkdir()
    (folder / "mine.yaml").write_text((PACKS / f"{FR}.yaml").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    _outside(tmp_path)
    ok = _write(folder, GOOD.replace("PACK", "../mine.yaml"), "ok.yaml")
    out = _write(folder, GOOD.replace("PACK", "../../elsewhere/evil.yaml"), "out.yaml")
    if any((p / m).exists() for p in tmp_path.parents
           for m in ("pyproject.toml", ".git", "setup.cfg", "setup.py")):
        pytest.skip("the temporary folder lies inside a project")
    assert read_cases(ok)[1] == []
    assert _records(read_cases(out)[1]) == [("pack-path-outside", 1, 7)]


@pytest.mark.parametrize(("ref", "code"), [
    ("fr-netflix-audien", "unknown-pack"),
    ("../missing.yaml", "test-invalid"),
    ("../../..", "test-invalid"),
    ("[a, b]", "test-invalid"),
])
def test_other_bad_pack_references_are_located(tmp_path: Path, ref: str, code: str) -> None:
    root = _project(tmp_path)
    cases, problems = read_cases(_write(root / "packs", GOOD.replace("PACK", ref)))
    assert cases == []
    assert _records(problems) == [(code, 1, 7)]


def test_a_pack_with_errors_is_reported_at_the_pack_reference(tmp_path: Path) -> None:
    root = _project(tmp_path)
    pack = root / "packs" / "copy.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("allocation:", "alocation:", 1),
                    encoding="utf-8")
    path = _write(root / "packs", GOOD.replace("PACK", "../copy.yaml"))
    cases, problems = read_cases(path)
    assert cases == []
    (mine,) = [d for d in problems if d.file == str(path)]
    assert (mine.code, mine.line, mine.column) == ("test-invalid", 1, 7)
    assert "fundrules check" in (mine.hint or "")
    assert {d.code for d in problems if d.file == str(pack)} == {"unknown-key", "missing-key"}
