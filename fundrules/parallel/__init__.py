"""Deciding many inputs on several processes, results in input order, nothing lost.

Below :mod:`fundrules.api`: workers build :class:`~fundrules.runtime.evaluation.PreparedPack`
objects, never an Engine, so the Engine can use this layer without a cycle.
"""

from fundrules.parallel._pool import GUARD_MESSAGE, start_server_early
from fundrules.parallel._run import (
    decide_in_parallel,
    default_jobs,
    evaluate_inputs,
    render_inputs,
)
from fundrules.parallel._worker import BatchResult, Failure

__all__ = ["GUARD_MESSAGE", "BatchResult", "Failure", "decide_in_parallel", "default_jobs",
           "evaluate_inputs", "render_inputs", "start_server_early"]
