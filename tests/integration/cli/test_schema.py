"""``fundrules schema``: prints the JSON Schemas, and the shipped copies never drift from it."""

from __future__ import annotations

import json

import pytest

from fundrules.cli import main
from tests.conftest import ROOT

SHIPPED = ROOT / "docs" / "schema"


@pytest.mark.parametrize("which", ["applicant", "decision", "pack"])
def test_the_shipped_schema_is_what_the_command_prints(which, capsys):
    assert main(["schema", which]) == 0
    printed = capsys.readouterr().out
    shipped = (SHIPPED / f"{which}.schema.json").read_text(encoding="utf-8")
    assert printed == shipped, (
        f"docs/schema/{which}.schema.json is stale: run "
        f"`fundrules schema {which} > docs/schema/{which}.schema.json`")


def test_the_pack_schema_describes_the_pack_format(capsys):
    main(["schema", "pack"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "fundrules policy pack"
    assert {"pack", "version", "calls", "eligible", "languages"} <= set(schema["required"])
    rule = schema["$defs"]["RuleModel"]
    assert rule["additionalProperties"] is False
    assert rule["properties"]["when"]["description"].startswith("The condition")


def test_the_applicant_schema_is_the_applicant_model(capsys):
    main(["schema", "applicant"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["id", "submitted_at"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["role"]["anyOf"][0]["enum"] == ["artist", "technician", "both"]


def test_an_unknown_schema_is_a_usage_error(capsys):
    assert main(["schema", "verdict"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_french_pack_names_the_shipped_schema_for_editors():
    first = (ROOT / "policies" / "fr-netflix-audiens.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/schema/pack.schema.json"


def test_the_decision_schema_is_the_decision_model(capsys):
    main(["schema", "decision"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "fundrules decision"
    assert {"pack", "pack_version", "pack_digest", "applicant", "outcome"} <= set(
        schema["required"])
    assert schema["properties"]["outcome"]["enum"] == ["eligible", "ineligible", "incomplete"]
