"""Run one hostile file through fundrules in a child process, under a timeout that catches hangs.

Each case runs in its own process, forked from a *warm* server (``multiprocessing``'s
forkserver, started once with fundrules and its CLI already imported): a case that
crashes the interpreter, hangs or eats memory takes only its child down, and costs
milliseconds of start-up instead of an interpreter's import of fundrules.

The child measures itself: wall time of the operation and growth of its peak RSS over
what it held when it started. The peak is ``VmHWM``, reset before each step through
``/proc/self/clear_refs``: ``getrusage``'s ``ru_maxrss`` would do elsewhere, but a
forked child inherits its parent's peak, which hides any growth smaller than the (large)
parent process. Those numbers are printed by ``benchmarks/hostile.py``; the tests assert
only the outcome and that it ended.
"""

from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing
import os
import resource
import time
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

__all__ = ["HANG_GUARD_S", "run_isolated"]

#: Catches hangs only (the measured cases take milliseconds to about a second).
HANG_GUARD_S = 30.0

#: Imported once by the server, so that every forked child starts warm.
_PRELOAD = ["fundrules", "fundrules.cli", "fundrules.cli._check", "fundrules.cli._evaluate",
            "fundrules.io", __name__]


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB
    raise OSError(f"no {field} in /proc/self/status")


def _start() -> int:
    """Reset the peak (Linux >= 4.0); the RSS now, in KiB."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return _status("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak() -> int:
    try:
        return _status("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _child(mode: str, path: str, conn: Connection) -> None:
    """In the forked child: load the file, then run the CLI on it; send what happened."""
    import fundrules
    from fundrules.cli import main
    from fundrules.io import read_applicant

    out: dict[str, Any] = {"error": None, "codes": [], "located": [], "unexpected": None}
    base, t = _start(), time.perf_counter()
    try:
        if mode == "applicant":
            read_applicant(path)
        else:
            fundrules.load_pack(path)
    except fundrules.FundrulesError as exc:
        out["error"] = type(exc).__name__
        out["fundrules_error"] = True
        for d in getattr(exc, "diagnostics", ()):
            out["codes"].append(d.code)
            out["located"].append(d.line is not None and d.column is not None)
    except BaseException as exc:
        out["unexpected"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    out["seconds"] = time.perf_counter() - t
    out["peak_growth_mib"] = (_peak() - base) / 1024
    argv = ["evaluate", "--format", "json", path] if mode == "applicant" else ["check", path]
    err, std = io.StringIO(), io.StringIO()
    base, t = _start(), time.perf_counter()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            out["exit"] = main(argv)
    except BaseException as exc:
        out["exit"] = None
        out["unexpected"] = out["unexpected"] or f"cli: {type(exc).__name__}: {str(exc)[:300]}"
    out["cli_seconds"] = time.perf_counter() - t
    out["cli_peak_growth_mib"] = (_peak() - base) / 1024
    out["stderr"] = err.getvalue()[:4000]
    out["output"] = std.getvalue()[:4000] + "\n" + err.getvalue()[:4000]
    out["output_chars"] = len(std.getvalue()) + len(err.getvalue())
    conn.send(out)
    conn.close()


@functools.cache
def _server() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def run_isolated(mode: str, path: Path, timeout: float = HANG_GUARD_S) -> dict[str, Any]:
    """Load ``path`` as an applicant or a pack, then run the CLI on it, in its own process."""
    context = _server()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(mode, os.fspath(path), send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise AssertionError(f"{path}: no answer within {timeout} s (a hang)")
        result: dict[str, Any] = receive.recv()
    except EOFError:
        child.join(timeout)
        raise AssertionError(f"{path}: the child died (exit code {child.exitcode})") from None
    finally:
        receive.close()
        if child.is_alive():
            child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    return result
