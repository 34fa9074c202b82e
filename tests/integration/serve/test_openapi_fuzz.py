"""Schemathesis against the service's OpenAPI document, over real HTTP: no 5xx, ever.

The document depends only on the models, not on the packs, so it is built at collection
from an app over an empty engine (schemathesis's lazy fixture loader does not run on
pytest 9); a test checks the running server serves the same document. Requests (valid
and invalid bodies alike) go to the server of conftest.py, and every response must be
documented and conform to its schema. Bounded: 60 generated requests per operation
(300 with ``--run-slow``; the reason at ``EXAMPLES``), no deadline. The coverage phase
(thousands of explicit boundary requests per body, ~45 s) runs only with
FUNDRULES_FUZZ_COVERAGE=1.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed "
                                   "(the test extra installs it)")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fundrules import Engine  # noqa: E402
from fundrules.serve import create_app  # noqa: E402

from .conftest import Server  # noqa: E402

#: Fewer than 100 examples in the default run, with a reason (docs/testing.md): each
#: example is a real HTTP request to the server of conftest.py, per operation, so 60 keep
#: the default suite within its 3 minutes; `--run-slow` runs 300.
EXAMPLES = 300 if os.environ.get("FUNDRULES_RUN_SLOW") == "1" else 60
PHASES = [Phase.explicit] if os.environ.get("FUNDRULES_FUZZ_COVERAGE") == "1" else []
DOCUMENT = create_app(Engine([])).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_server_serves_the_fuzzed_document(server: Server) -> None:
    assert server.client.get("/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[*PHASES, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case: Any, server: Server) -> None:
    case.call_and_validate(base_url=server.url, checks=[
        not_a_server_error, status_code_conformance, content_type_conformance,
        response_schema_conformance])
