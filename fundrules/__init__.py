"""fundrules: eligibility rules of emergency relief funds, as YAML policy packs.

Packs compile to a forward-chaining rules engine (durable_rules) and decide
applicants described by one common schema. Start with :class:`Engine`.
"""

from fundrules.api import BackendName, Engine
from fundrules.diagnostics import (
    ApplicantError,
    Diagnostic,
    EngineError,
    FundrulesError,
    PackError,
    UnknownPackError,
)
from fundrules.policies.pack import Pack, check_pack, load_pack
from fundrules.runtime.evaluation import Evaluation
from fundrules.schema import Applicant, Award, Decision, Reason, parse_applicant

__all__ = [
    "Applicant",
    "ApplicantError",
    "Award",
    "BackendName",
    "Decision",
    "Diagnostic",
    "Engine",
    "EngineError",
    "Evaluation",
    "FundrulesError",
    "Pack",
    "PackError",
    "Reason",
    "UnknownPackError",
    "check_pack",
    "load_pack",
    "parse_applicant",
]

__version__ = "0.1.0"
