"""A subcommand imports what it uses: `fundrules check` starts without the heavy extras."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("hypothesis", "distributed", "dask", "fastapi", "uvicorn", "matplotlib")
_PROBE = ("import json, sys\n"
          "from fundrules.cli import main\n"
          "code = main(sys.argv[1:])\n"
          f"print(json.dumps([code, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n")


def _loaded(*argv: str) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, timeout=120, check=True)
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    return code, loaded


@pytest.mark.parametrize("argv", [["check", "fr-netflix-audiens"],
                                  ["test", "--backend", "python", "fr-netflix-audiens"]])
def test_a_command_does_not_import_the_extras_it_does_not_use(argv: list[str]) -> None:
    code, loaded = _loaded(*argv)
    assert code == 0
    assert loaded == []


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from fundrules.cli import COMMANDS, main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"    {name} " in out for name in COMMANDS)
