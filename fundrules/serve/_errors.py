"""Errors as the service answers them: ``{"errors": [diagnostic, ...]}`` with a status.

Library problems keep their :class:`~fundrules.diagnostics.Diagnostic` form; the few
that only a service has (a body too large, an unknown route) use the same shape with a
code of their own (``SERVICE_CODES``, documented in docs/serve.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from fundrules.diagnostics import Diagnostic

__all__ = ["SERVICE_CODES", "Problem", "diagnostic_dict", "envelope_problems", "service_error"]

#: Codes of errors only the service reports, with a one-line summary.
SERVICE_CODES: dict[str, str] = {
    "request-invalid": "the request body is not the documented envelope (a key, a type, a lang)",
    "request-too-large": "the request body is larger than --max-body bytes",
    "too-many-items": "the request holds more applicants than --max-items",
    "not-found": "no such route",
    "method-not-allowed": "the route does not take this HTTP method",
    "internal-error": "an unexpected failure of the service (logged on the server)",
}


def service_error(code: str, message: str, *, hint: str | None = None,
                  path: str | None = None) -> dict[str, Any]:
    """A service error in the shape of :meth:`Diagnostic.as_dict`."""
    if code not in SERVICE_CODES:  # a programming error
        raise ValueError(f"undeclared service code {code!r}")
    return {"code": code, "message": message, "severity": "error", "hint": hint,
            "file": None, "line": None, "column": None, "path": path}


def diagnostic_dict(d: Diagnostic, prefix: str = "") -> dict[str, Any]:
    """A library diagnostic, its path under ``prefix`` (``applicants[3]``) when given."""
    out = d.as_dict()
    if prefix:
        out["path"] = f"{prefix}.{d.path}" if d.path else prefix
    return out


class Problem(Exception):
    """Raised by a handler to answer ``status`` with these errors (never a traceback)."""

    def __init__(self, status: int, errors: Sequence[dict[str, Any]]) -> None:
        super().__init__(f"{status}: " + "; ".join(str(e["message"]) for e in errors))
        self.status = status
        self.errors = list(errors)

    @classmethod
    def of(cls, status: int, diagnostics: Iterable[Diagnostic], prefix: str = "") -> Problem:
        """A problem made of library diagnostics."""
        return cls(status, [diagnostic_dict(d, prefix) for d in diagnostics])


def _loc(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def envelope_problems(exc: ValidationError, keys: Iterable[str]) -> list[dict[str, Any]]:
    """The envelope's validation errors, each located and with a hint."""
    found = []
    for error in exc.errors(include_url=False):
        path = _loc(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            message, hint = "is not a key of the request", "the keys are " + ", ".join(keys)
        elif kind == "missing":
            message, hint = "is required but missing", f"add `{path}`"
        elif kind == "literal_error":
            expected = str((error.get("ctx") or {}).get("expected", "")).replace("'", '"')
            message, hint = f"is not one of {expected}", "use one of these values exactly"
        else:
            message = str(error["msg"])
            message, hint = message[:1].lower() + message[1:], "see GET /openapi.json"
        found.append(service_error("request-invalid", f"`{path}`: {message}", hint=hint,
                                   path=path or None))
    return found
