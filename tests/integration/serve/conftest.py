"""A real ``fundrules serve`` on 127.0.0.1, started once for the serve tests and always stopped.

The tests are skipped only when the ``serve`` extra is missing (the ``test`` extra
installs it, so CI runs them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

for _module in ("fastapi", "uvicorn", "httpx"):
    pytest.importorskip(_module, reason="the serve extra is not installed: "
                                        "pip install 'fundrules[serve]'")

import httpx  # noqa: E402

MAX_BODY = 256 * 1024
MAX_ITEMS = 100


@dataclasses.dataclass
class Server:
    """A running server: its base URL, its decision log, its client."""

    url: str
    log: Path
    client: httpx.Client
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(*args: str, timeout: float = 30.0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``fundrules serve ARGS`` on a free port of 127.0.0.1, until /healthz answers.

    The server's output goes to a temporary file, not a pipe: a pipe nobody reads would
    stall the server once full.
    """
    port = free_port()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "fundrules", "serve", "--host", "127.0.0.1", "--port",
             str(port), *args], stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    raise RuntimeError(f"the server exited {process.returncode}: "
                                       f"{output.read().decode(errors='replace')[-2000:]}")
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer /healthz in {timeout} s")
                time.sleep(0.1)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("serve") / "decisions.jsonl"
    with running("--decision-log", str(log), "--log-inputs", "--max-body", str(MAX_BODY),
                 "--max-items", str(MAX_ITEMS)) as (url, process), \
            httpx.Client(base_url=url, timeout=30) as client:
        yield Server(url, log, client, process)
