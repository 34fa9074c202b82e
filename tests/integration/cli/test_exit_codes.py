"""Every subcommand ends with a documented ExitCode; failures of the machine end in one line."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fundrules
from fundrules.cli import ExitCode, main
from tests.conftest import ROOT

ROOT = ROOT
CLI = Path(fundrules.__file__).parent / "cli"
EXAMPLE = str(ROOT / "examples" / "applicants" / "fr-technician-900.yaml")


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_no_subcommand_returns_a_bare_number(path: Path):
    """An exit code is an ExitCode member, so docs/cli.md's table is the whole list."""
    def numbers(value: ast.expr | None) -> bool:
        if isinstance(value, ast.IfExp):
            return numbers(value.body) or numbers(value.orelse)
        return isinstance(value, ast.Constant) and isinstance(value.value, int)

    bare = [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Return) and numbers(node.value)]
    assert not bare, f"{path.name} returns bare numbers at lines {bare}: use ExitCode"


def test_the_docs_table_lists_every_exit_code():
    table = re.findall(r"^\| (\d+) \| `(\w+)` \|", (ROOT / "docs" / "cli.md").read_text(
        encoding="utf-8"), re.M)
    assert [(int(code), name) for code, name in table] == [(c.value, c.name) for c in ExitCode]


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fundrules {fundrules.__version__}"


def test_a_full_disk_is_one_line_and_exit_3():
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "fundrules", "evaluate", EXAMPLE],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == ExitCode.OUTPUT_FAILED
    assert done.stderr.strip() == ("fundrules evaluate: cannot write the output: "
                                   "no space left on device")


def test_a_closed_pipe_is_silent_and_exit_141():
    """`fundrules evaluate ... | head -1`: the reader goes away after the first line."""
    files = sorted(str(p) for p in (ROOT / "examples" / "applicants").glob("*.yaml")) * 40
    proc = subprocess.Popen([sys.executable, "-m", "fundrules", "evaluate", *files],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == ExitCode.BROKEN_PIPE
    assert "Traceback" not in err and "BrokenPipe" not in err
