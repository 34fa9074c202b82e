"""The one exception tree: every error fundrules raises on purpose.

Each carries its problems as :class:`~fundrules.diagnostics.Diagnostic` data, so a
caller can show, store or translate them without parsing a message::

    FundrulesError
    ├── InvalidArgument      (also a ValueError) a Python call got a value it does not take
    ├── ApplicantError       an applicant does not match the applicant schema
    ├── PackError            a pack cannot be loaded, checked or run
    ├── UnknownPackError     no pack (or call) has that id
    │   └── DuplicatePackError   two packs claim one id
    └── EngineError          the rules engine failed (a fundrules bug)
"""

from __future__ import annotations

from collections.abc import Sequence

from fundrules.diagnostics import Diagnostic

__all__ = ["ApplicantError", "DuplicatePackError", "EngineError", "FundrulesError",
           "InvalidArgument", "PackError", "UnknownPackError"]


class FundrulesError(Exception):
    """Base of every exception fundrules raises on purpose.

    ``diagnostics`` holds the structured problems; ``str()`` joins them.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics) or type(self).__name__)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


class PackError(FundrulesError):
    """A policy pack cannot be loaded: its diagnostics say where and why."""


class ApplicantError(FundrulesError):
    """An applicant document does not match the applicant schema."""


class UnknownPackError(FundrulesError):
    """No pack (or no call of a pack) has the requested id."""


class EngineError(FundrulesError):
    """The rules engine failed (an internal error, reported with the pack and rule)."""


class DuplicatePackError(UnknownPackError):
    """Two packs (two files, or two installed packages) claim the same id."""


class InvalidArgument(FundrulesError, ValueError):
    """A function of the Python API was given a value it does not take."""
