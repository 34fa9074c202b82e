"""Batch work over many applicants: decide, allocate a budget, compare two packs, synthesise.

``evaluate_inputs`` streams inputs (JSON Lines, a folder, any iterable) through one or
more processes; ``allocate`` shares a budget among the eligible; ``impact`` compares the
decisions of two versions of a pack; ``synthesize`` makes seeded populations for
what-if runs. Plots are in :mod:`fundrules.batch.plots` (needs the ``plot`` extra).
"""

from fundrules.batch._allocation import (
    Allocation,
    AllocationMode,
    CriterionCount,
    Grant,
    allocate,
    monthly_need,
)
from fundrules.batch._impact import OUTCOMES, CriterionChange, Flip, Impact, impact
from fundrules.batch._records import record_lines, render_records
from fundrules.batch._synth import COUNTRIES, synthesize, synthesize_lines
from fundrules.io import MAX_LINE_BYTES, Input, InputSource, Where
from fundrules.parallel import (
    BatchResult,
    Failure,
    default_jobs,
    evaluate_inputs,
    render_inputs,
)

__all__ = [
    "COUNTRIES",
    "MAX_LINE_BYTES",
    "OUTCOMES",
    "Allocation",
    "AllocationMode",
    "BatchResult",
    "CriterionChange",
    "CriterionCount",
    "Failure",
    "Flip",
    "Grant",
    "Impact",
    "Input",
    "InputSource",
    "Where",
    "allocate",
    "default_jobs",
    "evaluate_inputs",
    "impact",
    "monthly_need",
    "record_lines",
    "render_inputs",
    "render_records",
    "synthesize",
    "synthesize_lines",
]
