"""The service over real HTTP: the same answers as the library, its diagnostics, its limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fundrules import Engine
from fundrules.authoring import applicant_schema, decision_schema
from fundrules.explain import explain
from fundrules.testing.cases import load_cases
from tests.conftest import PACKS

from .conftest import MAX_BODY, MAX_ITEMS, Server

CASE_FILES = sorted((PACKS / "tests").glob("*.yaml"))


def dump(decisions: list[Any]) -> list[dict[str, Any]]:
    return [d.model_dump(mode="json") for d in decisions]


def test_healthz_names_the_backend_and_packs(server: Server, engine: Engine) -> None:
    body = server.client.get("/healthz").json()
    assert body == {"status": "ok", "backend": engine.backend, "packs": list(engine.pack_ids)}


@pytest.mark.parametrize("file", CASE_FILES, ids=lambda p: p.stem)
def test_decisions_are_the_engines(server: Server, engine: Engine, file: Path) -> None:
    cases = load_cases(file)
    pack = cases[0].pack
    response = server.client.post("/v1/decisions", json={
        "applicants": [c.applicant for c in cases], "pack": pack})
    assert response.status_code == 200, response.text
    assert response.json()["decisions"] == dump([engine.evaluate(c.applicant, c.pack)
                                                 for c in cases])


def test_one_applicant_without_a_pack_is_decided_by_every_pack(server: Server,
                                                                 engine: Engine) -> None:
    applicant = load_cases(CASE_FILES[0])[0].applicant
    for lang in (None, "fr"):
        response = server.client.post("/v1/decisions", json={"applicant": applicant,
                                                              "lang": lang})
        assert response.status_code == 200, response.text
        assert response.json()["decisions"] == dump(engine.evaluate_all(applicant, lang=lang))


def test_the_request_call_fills_in_the_applicants(server: Server, engine: Engine,
                                                  fr_applicant: dict[str, Any]) -> None:
    fr_applicant.pop("call", None)
    response = server.client.post("/v1/decisions", json={
        "applicant": fr_applicant, "pack": "fr-netflix-audiens", "call": "main"})
    expected = engine.evaluate({**fr_applicant, "call": "main"}, "fr-netflix-audiens")
    assert response.json()["decisions"] == dump([expected])


def test_explanations_are_the_librarys(server: Server, engine: Engine,
                                       fr_applicant: dict[str, Any]) -> None:
    response = server.client.post("/v1/explanations", json={
        "applicant": fr_applicant, "pack": "fr-netflix-audiens", "lang": "fr"})
    assert response.status_code == 200, response.text
    assert response.json() == explain(engine, fr_applicant, "fr-netflix-audiens",
                                      "fr").model_dump(mode="json")


def test_packs_list_and_detail(server: Server, engine: Engine) -> None:
    listed = server.client.get("/v1/packs").json()
    assert [p["id"] for p in listed] == list(engine.pack_ids)
    for summary in listed:
        pack = engine.pack(summary["id"])
        assert summary["digest"] == pack.digest and summary["calls"] == list(pack.calls)
        detail = server.client.get(f"/v1/packs/{pack.id}").json()
        assert detail["digest"] == pack.digest and detail["version"] == pack.version
        assert [c["id"] for c in detail["calls"]] == list(pack.calls)
        assert all(c["window"]["tz"] for c in detail["calls"])
        ids = {c["id"] for c in detail["criteria"]}
        assert {r.id for r in (*pack.model.rules, *pack.model.exclusions)} <= ids
        assert all(c["message"] and c["cite"] for c in detail["criteria"])
        assert [n["id"] for n in detail["not_encoded"]] == [n.id for n in pack.not_encoded]
        assert {s for c in detail["criteria"] for s in c["cite"]} <= set(detail["sources"])


def test_an_unknown_pack_is_404_with_its_diagnostic(server: Server) -> None:
    response = server.client.get("/v1/packs/fr-netflix")
    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert error["code"] == "unknown-pack" and "fr-netflix-audiens" in error["hint"]


def test_schemas_are_the_shipped_ones(server: Server) -> None:
    assert server.client.get("/v1/schema/applicant").json() == applicant_schema()
    assert server.client.get("/v1/schema/decision").json() == decision_schema()


def test_the_openapi_document_resolves(server: Server) -> None:
    doc = server.client.get("/openapi.json").json()
    assert {"/v1/decisions", "/v1/explanations", "/v1/packs", "/v1/packs/{pack_id}",
            "/v1/schema/applicant", "/v1/schema/decision", "/healthz"} <= set(doc["paths"])
    text = json.dumps(doc)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= set(doc["components"]["schemas"]), refs - set(doc["components"]["schemas"])
    body = doc["paths"]["/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/DecisionRequest"}


def errors(response: Any, status: int = 422) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    found: list[dict[str, Any]] = response.json()["errors"]
    assert found and all({"code", "message", "hint", "path"} <= set(e) for e in found)
    return found


def test_an_invalid_applicant_gets_the_librarys_diagnostics(server: Server,
                                                            fr_applicant: dict[str, Any]
                                                            ) -> None:
    bad = {**fr_applicant, "engagments": [], "submitted_at": "2020-04-20"}
    found = errors(server.client.post("/v1/decisions", json={"applicants": [fr_applicant, bad]}))
    assert {(e["code"], e["path"]) for e in found} == {
        ("applicant-invalid", "applicants[1].engagments"),
        ("applicant-invalid", "applicants[1].submitted_at")}
    assert any(e["hint"] == "did you mean `engagements`?" for e in found)
    one = errors(server.client.post("/v1/explanations", json={"applicant": bad,
                                                              "pack": "fr-netflix-audiens"}))
    assert {e["path"] for e in one} == {"applicant.engagments", "applicant.submitted_at"}


@pytest.mark.parametrize(("body", "code", "path"), [
    ({"applicant": {}, "pack": "fr-netflix"}, "unknown-pack", "pack"),
    ({"applicant": {}, "pack": "fr-netflix-audiens", "call": "call-9"}, "unknown-call", "call"),
    ({"applicant": {}, "call": "call-9"}, "unknown-call", "call"),
    ({"applicant": {}, "lang": "de"}, "request-invalid", "lang"),
    ({"applicant": {}, "packs": ["x"]}, "request-invalid", "packs"),
    ({"applicants": {}}, "request-invalid", "applicants"),
    ({}, "request-invalid", None),
    ([], "request-invalid", None),
])
def test_an_invalid_request_is_located(server: Server, body: Any, code: str,
                                       path: str | None) -> None:
    [error] = errors(server.client.post("/v1/decisions", json=body))
    assert (error["code"], error["path"]) == (code, path)


def test_an_applicants_unknown_call_is_located(server: Server,
                                               fr_applicant: dict[str, Any]) -> None:
    body = {"applicants": [fr_applicant, {**fr_applicant, "call": "call-9"}],
            "pack": "fr-netflix-audiens"}
    [error] = errors(server.client.post("/v1/decisions", json=body))
    assert (error["code"], error["path"]) == ("unknown-call", "applicants[1].call")


@pytest.mark.parametrize("content", [b'{"applicant": ', b'{"a": 1, "a": 2}',
                                     b'{"applicant": NaN}', b"\xff\xfe{"])
def test_a_body_that_is_not_strict_json_is_422(server: Server, content: bytes) -> None:
    [error] = errors(server.client.post("/v1/decisions", content=content))
    assert error["code"] == "json-syntax"


def test_a_large_body_is_413_whether_its_length_is_said_or_not(server: Server) -> None:
    big = b'{"applicant": "' + b"x" * MAX_BODY + b'"}'
    [error] = errors(server.client.post("/v1/decisions", content=big), 413)
    assert error["code"] == "request-too-large"
    chunks = (big[i:i + 4096] for i in range(0, len(big), 4096))  # chunked: no length
    [error] = errors(server.client.post("/v1/decisions", content=chunks), 413)
    assert error["code"] == "request-too-large"


def test_too_many_applicants_is_413(server: Server) -> None:
    [error] = errors(server.client.post("/v1/decisions",
                                        json={"applicants": [{}] * (MAX_ITEMS + 1)}), 413)
    assert (error["code"], error["path"]) == ("too-many-items", "applicants")


def test_unknown_routes_and_methods_answer_in_the_same_format(server: Server) -> None:
    assert errors(server.client.get("/v2/decisions"), 404)[0]["code"] == "not-found"
    assert errors(server.client.get("/v1/decisions"), 405)[0]["code"] == "method-not-allowed"


def test_the_decision_log_has_one_line_per_decision(server: Server, engine: Engine,
                                                    fr_applicant: dict[str, Any]) -> None:
    before = server.log.read_text(encoding="utf-8").count("\n") if server.log.exists() else 0
    second = {**fr_applicant, "id": "fr-second"}
    response = server.client.post("/v1/decisions", json={"applicants": [fr_applicant, second]})
    body = response.json()
    lines = server.log.read_text(encoding="utf-8").splitlines()[before:]
    assert len(lines) == len(body["decisions"]) == 2 * len(engine.pack_ids)
    records = [json.loads(line) for line in lines]
    assert [r["decision_id"] for r in records] == body["decision_ids"]
    for record, decision in zip(records, body["decisions"], strict=True):
        assert {k: record[k] for k in ("pack", "pack_version", "pack_digest", "call",
                                       "applicant", "outcome", "award")} == {
            k: decision[k] for k in ("pack", "pack_version", "pack_digest", "call",
                                     "applicant", "outcome", "award")}
        assert record["time"].endswith("+00:00") and record["answered"] == "decision"
        assert record["input"]["id"] == decision["applicant"]
    assert records[0]["input"] == fr_applicant  # --log-inputs: the input as received
    invalid = server.client.post("/v1/decisions", json={"applicants": [fr_applicant, {}]})
    assert invalid.status_code == 422
    assert server.log.read_text(encoding="utf-8").count("\n") == before + len(lines)
    server.client.post("/v1/explanations", json={"applicant": fr_applicant,
                                                 "pack": "fr-netflix-audiens"})
    last = json.loads(server.log.read_text(encoding="utf-8").splitlines()[-1])
    [fr] = [r for r in records if r["pack"] == "fr-netflix-audiens"
            and r["applicant"] == fr_applicant["id"]]
    assert last["answered"] == "explanation"
    assert {k: v for k, v in last.items() if k not in ("decision_id", "time", "answered")} == {
        k: v for k, v in fr.items() if k not in ("decision_id", "time", "answered")}


def test_a_pack_error_stops_startup_with_located_diagnostics(tmp_path: Path) -> None:
    pack = tmp_path / "broken.yaml"
    pack.write_text((PACKS / "fr-netflix-audiens.yaml").read_text(encoding="utf-8")
                    .replace("eligible:", "eligibel:", 1), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fundrules", "serve", "--port", "1",
                           "--packs", str(pack)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "broken.yaml:" in done.stderr and "Traceback" not in done.stderr


def test_without_the_extra_serve_says_what_to_install() -> None:
    code = ("import sys; sys.modules['fastapi'] = None; from fundrules.cli import main; "
            "sys.exit(main(['serve']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "fundrules serve needs fastapi: pip install 'fundrules[serve]'"]
