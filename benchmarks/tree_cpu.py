"""Wall time of a command and the CPU time of every process it starts, workers included.

Usage: python benchmarks/tree_cpu.py [--every 0.02] -- COMMAND [ARG]...

``fundrules batch --jobs N`` starts its workers through multiprocessing's forkserver, so
they are not children of the command and ``time`` (or ``getrusage``) does not count
them. This script starts the command, reads ``/proc/<pid>/stat`` of the command and of
all its descendants every ``--every`` seconds, and prints each process's user and system
CPU at its last reading, then their total. A process's last reading can be up to one
interval short of its real total (it may end between two readings): with the default
0.02 s, that is under 0.02 s per process. Linux only.

Used for docs/performance.md's accounting of ``--jobs 2``: whether the work is
duplicated (the tree's CPU against ``--jobs 1``'s) and who waits.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

_TICK = os.sysconf("SC_CLK_TCK")


def _read(pid: str) -> tuple[int, float, float, str] | None:
    """(parent pid, user s, system s, command line) of one process, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            command = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) / _TICK, int(fields[12]) / _TICK, command


def _tree(root: int) -> dict[int, tuple[int, float, float, str]]:
    """Every live process descending from ``root`` (itself included)."""
    table = {int(pid): row for pid in os.listdir("/proc")
             if pid.isdigit() and (row := _read(pid)) is not None}
    inside, grown = {root}, True
    while grown:
        grown = False
        for pid, (parent, *_) in table.items():
            if parent in inside and pid not in inside:
                inside.add(pid)
                grown = True
    return {pid: table[pid] for pid in inside if pid in table}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.02, help="seconds between readings")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    last: dict[int, tuple[int, float, float, str]] = {}
    while process.poll() is None:
        last.update(_tree(process.pid))
        time.sleep(args.every)
    wall = time.perf_counter() - started
    print(f"wall {wall:.2f} s, exit status {process.returncode}")
    for pid, (parent, user, system, line) in sorted(last.items()):
        print(f"  pid {pid} (parent {parent}): user {user:.2f} s, system {system:.2f} s  "
              f"{line[:90]}")
    user = sum(row[1] for row in last.values())
    system = sum(row[2] for row in last.values())
    print(f"  total CPU {user + system:.2f} s (user {user:.2f}, system {system:.2f}) "
          f"in {len(last)} processes")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
