"""Run one hostile file through fundrules in a child process, under a timeout that catches hangs.

The child measures itself: wall time of the operation and growth of its peak RSS over
what importing fundrules already cost. The peak is ``VmHWM``, reset before each step
through ``/proc/self/clear_refs``: ``getrusage``'s ``ru_maxrss`` would do elsewhere, but on
Linux a child inherits its parent's peak across ``exec``, which hides any growth smaller
than the (large) parent process. Those numbers are
printed by ``benchmarks/hostile.py``; the tests assert only the outcome and that it ended.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["HANG_GUARD_S", "run_isolated"]

#: Catches hangs only (the measured cases take milliseconds to about a second).
HANG_GUARD_S = 30.0

_CHILD = r"""
import contextlib, io, json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
import fundrules
from fundrules.io import read_applicant
from fundrules.cli import main
def _status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB
def start():
    # reset the peak (Linux >= 4.0) and return the RSS now, in KiB
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return _status("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def peak():
    try:
        return _status("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
out = {"error": None, "codes": [], "located": [], "unexpected": None}
def record(exc):
    out["error"] = type(exc).__name__
    out["fundrules_error"] = isinstance(exc, fundrules.FundrulesError)
    for d in getattr(exc, "diagnostics", ()):
        out["codes"].append(d.code)
        out["located"].append(d.line is not None and d.column is not None)
base, t = start(), time.perf_counter()
try:
    if mode == "applicant":
        read_applicant(path)
    else:
        fundrules.load_pack(path)
except fundrules.FundrulesError as exc:
    record(exc)
except BaseException as exc:
    out["unexpected"] = f"{type(exc).__name__}: {str(exc)[:300]}"
out["seconds"] = time.perf_counter() - t
out["peak_growth_mib"] = (peak() - base) / 1024
argv = ["evaluate", "--format", "json", path] if mode == "applicant" else ["check", path]
err, std = io.StringIO(), io.StringIO()
base, t = start(), time.perf_counter()
try:
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        out["exit"] = main(argv)
except BaseException as exc:
    out["exit"] = None
    out["unexpected"] = out["unexpected"] or f"cli: {type(exc).__name__}: {str(exc)[:300]}"
out["cli_seconds"] = time.perf_counter() - t
out["cli_peak_growth_mib"] = (peak() - base) / 1024
out["stderr"] = err.getvalue()[:4000]
out["output"] = std.getvalue()[:4000] + "\n" + err.getvalue()[:4000]
out["output_chars"] = len(std.getvalue()) + len(err.getvalue())
print(json.dumps(out))
"""


def run_isolated(mode: str, path: Path, timeout: float = HANG_GUARD_S) -> dict[str, Any]:
    """Load ``path`` as an applicant or a pack, then run the CLI on it, in a fresh process."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
