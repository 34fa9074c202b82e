"""Run a command many times, each in a forked child of one warm process.

Shared by ``mutation/code.py`` and ``mutation/packs.py``. The parent imports the heavy
third-party libraries once (pydantic, hypothesis, pytest, yaml, durable_rules...) but
never ``fundrules``: each child is forked from it, purges any ``fundrules`` module,
puts the mutated copy of the repository first on ``sys.path`` and in ``PYTHONPATH``
(so subprocesses the tests start see it too), changes into it and runs the command in
process. A mutant then costs the tests it runs, not an interpreter start and imports.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: copied into the mutation target; everything else of the checkout is left out
_IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".hypothesis", ".pytest_cache",
                                 ".mypy_cache", ".ruff_cache", "*.pyc", "mutation-out*")


@contextlib.contextmanager
def target_copy() -> Iterator[Path]:
    """A throw-away copy of the checkout: mutants are written there, never here."""
    with tempfile.TemporaryDirectory(prefix="fundrules-mutation-") as tmp:
        dest = Path(tmp) / "repo"
        shutil.copytree(REPO, dest, ignore=_IGNORE, symlinks=True)
        yield dest


def warm_up(repo: Path, probe: str) -> None:
    """Import in this process every non-fundrules module that ``probe`` imports."""
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1"}
    code = (probe + "\nimport sys\nprint('\\n'.join(sorted({m.split('.')[0] for m in "
            "sys.modules if not m.startswith('fundrules')})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    for name in out.split():
        if name.startswith("_") or name in sys.modules or name == "__main__":
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    for name in [m for m in sys.modules if m == "fundrules" or m.startswith("fundrules.")]:
        del sys.modules[name]


def run_forked(repo: Path, body: Callable[[], int], *, timeout: float, log: Path | None
               ) -> tuple[str, float]:
    """Fork and run ``body()`` in ``repo``, its output in ``log``.

    Returns ("passed" | "failed" | "timeout" | "error:<code>", seconds).
    """
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child
        code = 3
        try:
            os.setpgid(0, 0)
            fd = os.open(log if log is not None else os.devnull,
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            for name in [m for m in sys.modules if m == "fundrules" or m.startswith("fundrules.")]:
                del sys.modules[name]
            sys.dont_write_bytecode = True
            os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
            os.environ["PYTHONPATH"] = str(repo)
            sys.path.insert(0, str(repo))
            importlib.invalidate_caches()
            os.chdir(repo)
            code = int(body())
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 3
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 3
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    deadline = start + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - start
        time.sleep(0.05)
    # the child's own subprocesses share its process group: none may outlive it
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    code = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - start
    if code == 0:
        return "passed", elapsed
    if code == 1:
        return "failed", elapsed
    return f"error:{code}", elapsed


def equivalent(section: str) -> dict[str, str]:
    """Mutants shown equivalent, each with why (``[section]`` of mutation/equivalent.toml)."""
    path = Path(__file__).resolve().parent / "equivalent.toml"
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: str(v) for k, v in data.get(section, {}).items()}
