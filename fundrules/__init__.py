"""fundrules: eligibility rules of emergency relief funds, as YAML policy packs.

Packs compile to a forward-chaining rules engine (durable_rules) and decide
applicants described by one common schema. Start with :class:`Engine`. This root
holds what a service calls; tools live in their packages (``fundrules.batch``,
``fundrules.explain``, ``fundrules.authoring``, ``fundrules.testing``, ``fundrules.io``).
"""

from fundrules.api import Engine
from fundrules.backends import BackendName
from fundrules.diagnostics import Diagnostic
from fundrules.errors import (
    ApplicantError,
    DuplicatePackError,
    EngineError,
    FundrulesError,
    InvalidArgument,
    PackError,
    UnknownPackError,
)
from fundrules.policies.pack import Pack, check_pack, load_pack
from fundrules.runtime.evaluation import Evaluation
from fundrules.schema import Applicant, Award, Decision, Reason, parse_applicant
from fundrules.version import VERSION

__all__ = [
    "Applicant",
    "ApplicantError",
    "Award",
    "BackendName",
    "Decision",
    "Diagnostic",
    "DuplicatePackError",
    "Engine",
    "EngineError",
    "Evaluation",
    "FundrulesError",
    "InvalidArgument",
    "Pack",
    "PackError",
    "Reason",
    "UnknownPackError",
    "check_pack",
    "load_pack",
    "parse_applicant",
]

__version__ = VERSION
