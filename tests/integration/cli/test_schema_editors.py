"""Editor schemas: reachable from a checkout and from an installed wheel; case files have one."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path, PurePosixPath

import pytest

from fundrules.authoring import SCHEMAS, cases_schema, schema_path
from fundrules.cli import main
from fundrules.testing.cases import load_cases
from tests.conftest import ROOT
from tests.unit.authoring.test_pack_schema import _KEYWORDS, _keywords, _plain, validate

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
PACKS = sorted((ROOT / "policies").glob("*.yaml"))
CASES = sorted((ROOT / "policies" / "tests").glob("*.yaml"))


def _modeline(path: Path) -> str:
    m = MODELINE.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert m, f"{path}: the first line names no schema"
    return m.group(1)


@pytest.mark.parametrize("path", PACKS + CASES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_pack_and_case_file_names_a_schema_that_resolves_in_the_checkout(path: Path):
    target = (path.parent / _modeline(path)).resolve()
    expected = "pack" if path.parent.name == "policies" else "cases"
    assert target == (ROOT / "docs" / "schema" / f"{expected}.schema.json").resolve()


@pytest.mark.parametrize("which", list(SCHEMAS))
def test_the_shipped_schema_is_what_the_command_prints(which: str, capsys) -> None:
    assert main(["schema", which]) == 0
    shipped = (ROOT / "docs" / "schema" / f"{which}.schema.json").read_text(encoding="utf-8")
    assert capsys.readouterr().out == shipped, (
        f"run `fundrules schema {which} > docs/schema/{which}.schema.json`")


@pytest.mark.parametrize("which", list(SCHEMAS))
def test_ids_are_names_that_claim_no_domain(which: str) -> None:
    assert SCHEMAS[which]()["$id"] == f"urn:fundrules:schema:{which}.schema.json"


def test_schema_path_prints_the_shipped_file(capsys) -> None:
    assert main(["schema", "pack", "--path"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == schema_path("pack")
    assert json.loads(printed.read_text(encoding="utf-8")) == SCHEMAS["pack"]()


def test_the_cases_schema_uses_only_the_keywords_the_validator_knows() -> None:
    assert _keywords(cases_schema(), set()) <= _KEYWORDS


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_every_case_file_fits_the_cases_schema(path: Path) -> None:
    schema = cases_schema()
    assert validate(_plain(path), schema, schema) == []
    assert load_cases(path)          # and the loader accepts it


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.pop("pack"), "missing pack"),
    (lambda d: d["cases"][0].update(expcet={}), "unexpected key 'expcet'"),
    (lambda d: d["cases"][0]["expect"].update(reason={}), "unexpected key 'reason'"),
    (lambda d: d["cases"][0]["expect"].update(outcome="accepted"), "not in enum"),
    (lambda d: d["cases"][0]["expect"].update(reasons={"FR-C1": True}), "not in enum"),
    (lambda d: d["cases"][0]["applicant"].update(statut="intermittent"), "unexpected key"),
])
def test_the_cases_schema_rejects_what_editors_should_underline(change, where) -> None:
    data = _plain(ROOT / "policies" / "tests" / "fr-netflix-audiens.yaml")
    change(data)
    schema = cases_schema()
    assert any(where in e for e in validate(data, schema, schema))


def _installed(source: PurePosixPath, table: dict[str, str]) -> PurePosixPath | None:
    """Where the wheel puts a checkout file, by the force-include table (None: not shipped)."""
    if source.parts[0] == "fundrules":
        return source
    for src, dest in table.items():
        if source.is_relative_to(src):
            return PurePosixPath(dest) / source.relative_to(src)
    return None


def test_in_the_wheel_the_modelines_point_to_shipped_schemas() -> None:
    """The force-include table keeps the checkout's layout, so each relative line resolves.

    (Building a wheel needs hatchling and takes seconds; the table is what decides.)
    """
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    shipped = {_installed(PurePosixPath(p.relative_to(ROOT).as_posix()), table): p
               for p in (ROOT / "docs" / "schema").glob("*.json")}
    for path in PACKS + CASES:
        at = _installed(PurePosixPath(path.relative_to(ROOT).as_posix()), table)
        assert at is not None, f"{path} is not shipped"
        target = at.parent
        for part in PurePosixPath(_modeline(path)).parts:
            target = target.parent if part == ".." else target / part
        assert target in shipped, f"installed {at} points to {target}, which the wheel lacks"
