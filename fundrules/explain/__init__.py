"""Explanations a policy officer can read back to an applicant, in their language.

Built from an :class:`~fundrules.Evaluation` (never by evaluating a condition again):
per criterion the fund's words, the facts read and their values, and what is missing.
"""

from fundrules.explain._build import (
    CriterionExplanation,
    Explanation,
    FactRead,
    MissingFact,
    NotEncoded,
    SourceRef,
    award_words,
    explain,
    path_words,
    render_text,
)
from fundrules.explain._decision_text import award_text, decision_text

__all__ = ["CriterionExplanation", "Explanation", "FactRead", "MissingFact", "NotEncoded",
           "SourceRef", "award_text", "award_words", "decision_text", "explain", "path_words",
           "render_text"]
