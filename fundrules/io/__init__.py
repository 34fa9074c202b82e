r"""Reading applicants: files (JSON or YAML, located errors) and the inputs of a batch.

Everything here turns bytes from outside into validated :class:`~fundrules.Applicant`
objects or located :class:`~fundrules.ApplicantError`\\ s; nothing here decides.
"""

from fundrules.io._applicants import (
    APPLICANT_LIMITS,
    LOCATED_CODES,
    locate_in_file,
    read_applicant,
    strict_json,
)
from fundrules.io._inputs import (
    MAX_LINE_BYTES,
    MAX_LINE_VALUES,
    Input,
    InputSource,
    Where,
    parse_input,
)

__all__ = ["APPLICANT_LIMITS", "LOCATED_CODES", "MAX_LINE_BYTES", "MAX_LINE_VALUES", "Input",
           "InputSource", "Where", "locate_in_file", "parse_input", "read_applicant",
           "strict_json"]
