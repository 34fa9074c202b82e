"""The decision log: one JSON line per decision, so a fund can audit every answer it gave.

Each line is written with a single ``write`` on a file opened with ``O_APPEND``: lines
of concurrent requests (and of several worker processes) never interleave, and nothing
waits in a buffer when the server stops.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from fundrules.schema import Decision

__all__ = ["DecisionLog"]


class DecisionLog:
    """Append-only JSON Lines log of decisions; thread-safe.

    Inputs are logged only when ``log_inputs`` is set: an applicant's history is personal
    data, and the decision line alone (pack digest, outcome, award) says what was answered.
    """

    def __init__(self, path: str | os.PathLike[str], *, log_inputs: bool = False) -> None:
        self.path = os.fspath(path)
        self.log_inputs = log_inputs
        self._lock = threading.Lock()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def record(self, decision: Decision, applicant: Mapping[str, Any] | None = None, *,
               answered: str = "decision") -> str:
        """Append one line for ``decision`` and return its decision id (a UUID4).

        ``answered`` says how the caller got it: ``decision`` or ``explanation``.
        """
        decision_id = str(uuid.uuid4())
        line: dict[str, Any] = {
            "decision_id": decision_id,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "answered": answered,
            "pack": decision.pack,
            "pack_version": decision.pack_version,
            "pack_digest": decision.pack_digest,
            "call": decision.call,
            "applicant": decision.applicant,
            "outcome": decision.outcome,
            "award": decision.award.model_dump(mode="json") if decision.award else None,
        }
        if self.log_inputs and applicant is not None:
            line["input"] = dict(applicant)
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            view = memoryview(data)
            while view:  # a regular file takes it in one write; a short write is finished
                view = view[os.write(self._fd, view):]
        return decision_id

    def close(self) -> None:
        """Close the file (later records raise ``OSError``)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
