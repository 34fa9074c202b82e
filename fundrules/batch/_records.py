"""The records of ``fundrules batch``: one JSON line per input and pack.

Rendered in the worker process that decided the input (see
:func:`fundrules.parallel.render_inputs`), so that the parent only writes text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from fundrules.parallel import BatchResult, Failure

__all__ = ["record_lines", "render_records"]


def record_lines(result: BatchResult, pack_ids: Sequence[str]) -> list[str]:
    """The JSON Lines records of one input: one per pack, ``decision`` or ``error``."""
    where = json.dumps(result.at, ensure_ascii=False)
    lines = []
    for pack_id, outcome in zip(pack_ids, result.results, strict=True):
        head = f'{{"{result.where}":{where},"pack":{json.dumps(pack_id)},'
        if isinstance(outcome, Failure):
            body = json.dumps({"diagnostics": [d.as_dict() for d in outcome.diagnostics]},
                              ensure_ascii=False, separators=(",", ":"))
            lines.append(f'{head}"error":{body}}}')
        else:
            lines.append(f'{head}"decision":{outcome.model_dump_json()}}}')
    return lines


def render_records(pack_ids: tuple[str, ...], result: BatchResult
                   ) -> tuple[str, tuple[str, ...]]:
    """The records of one input as text (a line per pack), and its outcome per pack.

    The outcome is ``eligible``, ``ineligible``, ``incomplete`` or ``error``: what the
    batch summary counts.
    """
    outcomes = tuple("error" if isinstance(o, Failure) else o.outcome for o in result.results)
    return "\n".join(record_lines(result, pack_ids)) + "\n", outcomes
