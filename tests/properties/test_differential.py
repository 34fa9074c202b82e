"""Differential test: durable_rules and the python backend give the same Decision.

For every pack, 5,000 generated applicants per run (derandomized: the same ones every
run, so CI is reproducible; ``FUNDRULES_HYPOTHESIS_PROFILE=random`` explores new ones).
Outcome, award, reasons, missing facts and trace must all be equal. A failure shrinks
to a minimal applicant, printed as a YAML test case to paste into ``policies/tests/``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from fundrules import Engine
from fundrules.testing import applicants_for, case_yaml
from tests.properties._support import ENGINE, PACK_IDS, profiled

DURABLE = Engine(backend="durable")
_BATCH = 5  # applicants per example: 1,000 examples x 5 = 5,000 applicants per pack


def test_the_durable_backend_is_really_tested() -> None:
    assert DURABLE.backend == "durable"  # not silently the python fallback
    assert ENGINE.backend == "python"


@pytest.mark.parametrize("pack_id", PACK_IDS)
@profiled(1000)
@given(data=st.data())
def test_both_backends_decide_alike(pack_id: str, data: st.DataObject) -> None:
    batch = data.draw(st.lists(applicants_for(pack_id), min_size=_BATCH, max_size=_BATCH),
                      label="applicants")
    for applicant in batch:
        durable = DURABLE.evaluate(applicant, pack_id)
        python = ENGINE.evaluate(applicant, pack_id)
        if durable != python:
            note("the backends disagree on this applicant (durable's decision as `expect`):\n"
                 + case_yaml(applicant, durable, name=f"durable vs python: {applicant.id}"))
            note(f"durable: {durable.model_dump(mode='json')}")
            note(f"python:  {python.model_dump(mode='json')}")
        assert durable == python
