"""Reasons come in the order the pack writes its criteria; the trace in the order rules fired.

One real case per pack (from ``policies/tests/``), on both backends and through
``fundrules evaluate --format json``. The expected reason order is written out here and
checked against the pack's YAML: the window first, then ``rules`` and ``exclusions`` as
listed, then award tiers. It differs from the compiled order (``trace``), where a rule
that reads other rules' conclusions (``FR-C2``, ``ES-C7``, ``UK-C2C3``) comes after them,
so a decision that listed its reasons in compiled order fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from fundrules import Engine
from fundrules.cli import main
from fundrules.testing.cases import load_cases
from tests.conftest import PACKS

#: pack -> (case name prefix, reasons in written order, trace)
EXPECTED: dict[str, tuple[str, list[str], list[str]]] = {
    "fr-netflix-audiens": (
        "example 1:",
        ["window", "FR-C1", "FR-C2a", "FR-C2b", "FR-C2", "FR-C3", "FR-C4", "FR-NR",
         "FR-AWARD-900"],
        ["window", "FR-C1", "FR-C2a", "FR-C2b", "FR-C3", "FR-C4", "FR-NR", "FR-AWARD-900",
         "FR-C2", "eligible"]),
    "es-academia-netflix": (
        "example 1:",
        ["window", "ES-C1", "ES-C2", "ES-C3", "ES-C4", "ES-C5", "ES-C6", "ES-C7a", "ES-C7b",
         "ES-C7", "ES-P1"],
        ["window", "ES-C1", "ES-C2", "ES-C3", "ES-C4", "ES-C5", "ES-C6", "ES-C7a", "ES-C7b",
         "ES-P1", "ES-C7", "eligible"]),
    "uk-film-tv-charity": (
        "example 1:",
        ["window", "UK-C1", "UK-C2", "UK-C3", "UK-C2C3", "UK-C4", "UK-C5", "UK-C6", "UK-NR"],
        ["window", "UK-C1", "UK-C2", "UK-C3", "UK-C4", "UK-C5", "UK-C6", "UK-NR", "UK-C2C3",
         "eligible"]),
    "it-ifc-netflix": (  # call 2, where the exclusion IT-C6 is in force
        "example 3, call 2:",
        ["window", "IT-C1", "IT-C2-C5", "IT-C6"],
        ["window", "IT-C1", "IT-C2-C5", "IT-C6", "eligible"]),
}


def _case(pack_id: str) -> dict[str, Any]:
    prefix = EXPECTED[pack_id][0]
    (case,) = [c for c in load_cases(PACKS / "tests" / f"{pack_id}.yaml")
               if c.name.startswith(prefix)]
    return case.applicant


def _written_order(pack_id: str, call: str) -> list[str]:
    """Criterion ids as the pack's YAML lists them, for one call."""
    doc = yaml.safe_load((PACKS / f"{pack_id}.yaml").read_text(encoding="utf-8"))

    def applies(item: dict[str, Any]) -> bool:
        return "calls" not in item or call in item["calls"]

    (call_doc,) = [c for c in doc["calls"] if c["id"] == call]
    award = call_doc.get("award") or doc.get("award") or {}
    items = [*doc.get("rules", []), *doc.get("exclusions", []), *award.get("tiers", [])]
    return ["window", *(item["id"] for item in items if applies(item))]


def test_every_pack_has_a_reason_order_case() -> None:
    assert set(EXPECTED) == set(Engine(backend="python").pack_ids)


@pytest.mark.parametrize("backend", ["durable", "python"])
@pytest.mark.parametrize("pack_id", sorted(EXPECTED))
def test_reasons_follow_the_written_order_and_the_trace_the_firing_order(
        pack_id: str, backend: str, engine: Engine, python_engine: Engine) -> None:
    decider = engine if backend == "durable" else python_engine
    assert decider.backend == backend
    _, reasons, trace = EXPECTED[pack_id]
    decision = decider.evaluate(_case(pack_id), pack_id)
    assert decision.outcome == "eligible"
    assert [r.rule for r in decision.reasons] == reasons
    assert list(decision.trace) == trace
    written = _written_order(pack_id, str(decision.call))
    assert reasons == [r for r in written if r in reasons]  # the pack's order, not another
    assert reasons != [r for r in trace if r in reasons] or pack_id == "it-ifc-netflix"


@pytest.mark.parametrize("pack_id", sorted(EXPECTED))
def test_the_command_line_keeps_the_written_order(pack_id: str, tmp_path: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "applicant.json"
    path.write_text(json.dumps(_case(pack_id)), encoding="utf-8")
    assert main(["evaluate", "--pack", pack_id, "--format", "json", str(path)]) == 0
    (decision,) = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in decision["reasons"]] == EXPECTED[pack_id][1]
    assert decision["trace"] == EXPECTED[pack_id][2]
