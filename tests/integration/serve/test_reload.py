"""Reloading packs without growing: ``fundrules serve --workers N`` and SIGHUP (issue 16).

A real server on a copy of a pack: after the pack file is edited, SIGHUP to the command
puts a fresh worker process in service (another pid) that serves the edited version; an
edit with an error is never put in service, the old worker goes on serving.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PACKS

from .conftest import running

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the worker processes from /proc")
FR = "fr-netflix-audiens"


def _workers(pid: int) -> set[int]:
    """The serving worker processes of the supervisor ``pid`` (not its resource tracker)."""
    found = set()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in map(int, children):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            found.add(child)
    return found


def _version(url: str) -> str:
    packs = httpx.get(url + "/v1/packs", timeout=10).json()
    return next(p["version"] for p in packs if p["id"] == FR)


def _wait(what, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s: {what.__doc__}")


def test_sighup_reloads_edited_packs_in_a_fresh_worker(tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    pack = folder / f"{FR}.yaml"
    shutil.copy(PACKS / f"{FR}.yaml", pack)
    text = pack.read_text(encoding="utf-8")
    assert 'version: "2020.1"\n' in text
    with running("--workers", "1", "--packs", str(folder), timeout=90) as (url, process):
        assert _version(url) == "2020.1"
        (first,) = _wait(lambda: _workers(process.pid))

        pack.write_text(text.replace('version: "2020.1"\n', 'version: "2020.9"\n', 1),
                        encoding="utf-8")
        os.kill(process.pid, signal.SIGHUP)

        def reloaded() -> bool:
            """The edited version served."""
            return _version(url) == "2020.9"

        _wait(reloaded)
        def replaced() -> set[int]:
            """One worker again, not the first (the old one stops after the new one serves)."""
            now = _workers(process.pid)
            return now if len(now) == 1 and first not in now else set()

        (second,) = _wait(replaced)

        pack.write_text(text + "rules: [\n", encoding="utf-8")  # an edit that breaks it
        os.kill(process.pid, signal.SIGHUP)
        time.sleep(1.0)

        def settled() -> bool:
            """The broken worker gone, the old one alone."""
            return _workers(process.pid) == {second}

        _wait(settled)
        time.sleep(1.0)  # a replacement would have been put in service by now
        assert _workers(process.pid) == {second}
        assert _version(url) == "2020.9"
        assert process.poll() is None


def test_a_worker_without_the_commands_options_says_how_to_start_it(monkeypatch):
    from fundrules.serve import app_from_environment

    monkeypatch.delenv("FUNDRULES_SERVE_OPTIONS", raising=False)
    with pytest.raises(RuntimeError, match="--workers"):
        app_from_environment()
