"""The pytest plugin runs every YAML case on both backends, as separate test items."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from fundrules.testing.cases import load_cases
from tests.conftest import PACKS

IT_CASES = PACKS / "tests" / "it-ifc-netflix.yaml"


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_each_case_is_one_item_per_backend(tmp_path: Path) -> None:
    done = _pytest("--collect-only", "-q", str(IT_CASES), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [line.split("::", 1)[1] for line in done.stdout.splitlines() if "::" in line]
    names = [case.name for case in load_cases(IT_CASES)]
    assert len(names) > 10
    assert ids == [f"{name}[{backend}]" for name in names for backend in ("durable", "python")]


def test_a_case_that_fails_on_one_backend_fails_only_that_item(tmp_path: Path) -> None:
    """A python backend that never concludes `met`: the [python] items fail, [durable] pass."""
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "it.yaml").write_text(IT_CASES.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "conftest.py").write_text(textwrap.dedent("""
        from fundrules.runtime.python_backend import PythonRunner as PythonBackend

        _real = PythonBackend.run

        def _never_met(self, values):
            statuses, trace = _real(self, values)
            return {k: ("unknown" if v == "met" else v) for k, v in statuses.items()}, trace

        PythonBackend.run = _never_met
    """), encoding="utf-8")
    done = _pytest("-q", "-rf", "tests/it.yaml", cwd=tmp_path)
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED ")]
    assert done.returncode == 1, done.stdout + done.stderr
    assert failed and all(line.endswith("[python]") or "[python] - " in line
                          for line in failed), failed
    n = len(load_cases(IT_CASES))
    assert f"{len(failed)} failed, {2 * n - len(failed)} passed" in done.stdout


def _project(tmp_path: Path, ini: str) -> None:
    """A project of someone else's, with a YAML fixture that happens to have `cases:`."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "fixture.yaml").write_text(IT_CASES.read_text(encoding="utf-8"),
                                                     encoding="utf-8")
    (tmp_path / "tests" / "test_own.py").write_text("def test_own():\n    pass\n",
                                                    encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}", encoding="utf-8")


def test_an_integrators_yaml_fixtures_are_not_collected_without_opting_in(tmp_path: Path):
    _project(tmp_path, "")
    done = _pytest("--collect-only", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    collected = [line for line in done.stdout.splitlines() if "::" in line]
    assert collected == ["tests/test_own.py::test_own"]


def test_the_ini_option_opts_a_folder_in(tmp_path: Path):
    _project(tmp_path, "fundrules_cases = tests\n")
    done = _pytest("--collect-only", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    cases = [line for line in done.stdout.splitlines() if "fixture.yaml::" in line]
    assert len(cases) == 2 * len(load_cases(IT_CASES))


def test_a_folder_named_on_the_command_line_opts_in_and_testpaths_do_not(tmp_path: Path):
    _project(tmp_path, "testpaths = tests\n")
    bare = _pytest("--collect-only", "-q", cwd=tmp_path)
    assert [line for line in bare.stdout.splitlines() if "::" in line] == [
        "tests/test_own.py::test_own"]
    named = _pytest("--collect-only", "-q", "tests", cwd=tmp_path)
    assert sum("fixture.yaml::" in line for line in named.stdout.splitlines()) == 2 * len(
        load_cases(IT_CASES))
