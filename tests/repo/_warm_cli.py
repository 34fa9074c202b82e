"""A warm ``fundrules`` for the doc blocks: each command forked from one interpreter.

The docs run about a hundred ``fundrules`` commands; a fresh interpreter spends most of
each one importing fundrules. :func:`warm_bin` starts one server process that imports the
command line and every subcommand once, and writes a ``fundrules`` launcher into a folder
to put first on ``PATH``. The launcher (a Python without site-packages, so it starts in
milliseconds) hands its arguments, working folder, environment and its stdin, stdout and
stderr to the server over a Unix socket; the server forks, the child runs
``fundrules.cli.main`` on those file descriptors and the launcher exits with its exit
code. Shell pipes, redirections and exit statuses behave as with the installed script:
the command line code that runs is the same, only the interpreter start-up is shared.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["warm_bin"]

_LAUNCHER = """#!{python} -S
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect({socket!r})
request = json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}})
socket.send_fds(s, [request.encode()], [0, 1, 2])
s.shutdown(socket.SHUT_WR)
answer = b""
while chunk := s.recv(64):
    answer += chunk
sys.exit(int(answer or b"1"))
"""


def _child(request: dict[str, object], fds: list[int]) -> None:  # pragma: no cover - forked
    """In the forked child: become the command and exit with its code."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update(request["env"])  # type: ignore[arg-type]
    time.tzset()
    code = 1
    try:
        from fundrules.cli import main

        code = main([str(a) for a in request["argv"]])  # type: ignore[attr-defined]
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


def _serve(path: str) -> None:  # pragma: no cover - runs in the server process
    import importlib

    from fundrules.cli import COMMANDS

    for module in COMMANDS.values():
        importlib.import_module(f"fundrules.cli.{module}")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the waiters are reaped by the system
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        while chunk := conn.recv(1 << 20):
            message += chunk
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:  # a waiter: runs the command in its own child, sends its code
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            pid = os.fork()
            if pid == 0:
                conn.close()
                _child(json.loads(message), fds)
            for fd in fds:
                os.close(fd)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)  # -N: killed by signal N
            conn.sendall(str(128 - code if code < 0 else code).encode())
            os._exit(0)
        for fd in fds:
            os.close(fd)
        conn.close()


@contextlib.contextmanager
def warm_bin(env: dict[str, str]) -> Iterator[Path]:
    """A folder holding a warm ``fundrules`` launcher, valid while the context lasts."""
    with tempfile.TemporaryDirectory(prefix="fundrules-warm-") as folder:
        path = os.path.join(folder, "cli.sock")
        server = subprocess.Popen([sys.executable, "-c",
                                   "import sys; from tests.repo._warm_cli import _serve; "
                                   "_serve(sys.argv[1])", path],
                                  cwd=Path(__file__).resolve().parents[2], env=env,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            launcher = Path(folder, "fundrules")
            launcher.write_text(_LAUNCHER.format(python=sys.executable, socket=path),
                                encoding="utf-8")
            launcher.chmod(0o755)
            yield Path(folder)
        finally:
            server.kill()
            server.wait()
