"""A script that starts worker processes without the `__main__` guard is told so in one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fundrules.parallel import GUARD_MESSAGE

BODY = """\
from fundrules import Engine

engine = Engine()
people = [{{"id": f"a-{{i}}", "submitted_at": "2020-06-01T10:00:00+02:00"}} for i in range(200)]
{call}
"""
UNGUARDED = "print(len(list(engine.evaluate_many(people, 'it-ifc-netflix', jobs=2))))"
GUARDED = "if __name__ == '__main__':\n    " + UNGUARDED


def _run(tmp_path: Path, call: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(BODY.format(call=call), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120, check=False)


def test_without_the_guard_the_error_says_so_in_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, UNGUARDED)
    assert done.returncode == 1
    assert GUARD_MESSAGE in done.stderr
    assert "see docs/batch.md" in GUARD_MESSAGE and "\n" not in GUARD_MESSAGE
    # raised in the parent before any process starts: one traceback, not one per worker
    assert done.stderr.count("Traceback (most recent call last)") == 1
    assert len(done.stderr.splitlines()) < 40, done.stderr
    assert "please report it" not in done.stderr
    assert f"script.py:{BODY.count(chr(10))}: engine-failure" in done.stderr


def test_with_the_guard_the_script_runs(tmp_path: Path) -> None:
    done = _run(tmp_path, GUARDED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "200"


@pytest.mark.parametrize("call", [
    "def main():\n    " + UNGUARDED + "\nmain()",           # called at import: unguarded
])
def test_a_function_called_at_import_is_unguarded_too(tmp_path: Path, call: str) -> None:
    done = _run(tmp_path, call)
    assert GUARD_MESSAGE in done.stderr


def test_from_python_m_or_an_interactive_session_nothing_is_refused(tmp_path: Path) -> None:
    code = textwrap.dedent("""\
        from fundrules import Engine
        people = [{"id": f"a-{i}", "submitted_at": "2020-06-01T10:00:00+02:00"}
                  for i in range(100)]
        print(len(list(Engine().evaluate_many(people, 'it-ifc-netflix', jobs=2))))
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "100"
