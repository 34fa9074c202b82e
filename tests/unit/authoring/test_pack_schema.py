"""The JSON Schemas agree with the pydantic models: every built-in pack fits, broken shapes don't.

No third-party validator is needed: :func:`validate` implements exactly the subset of JSON
Schema that ``fundrules schema`` emits, and a test checks the schemas use nothing else (a
keyword it does not know would otherwise be silently ignored).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from fundrules.authoring import SCHEMA_DIALECT, applicant_schema, pack_schema
from fundrules.errors import ApplicantError
from fundrules.policies.loader import load_file
from fundrules.policies.model import PackModel
from fundrules.schema import parse_applicant
from fundrules.testing.cases import load_cases
from tests.conftest import ROOT

ROOT = ROOT
PACKS = sorted((ROOT / "policies").glob("*.yaml"))
# broken packs that are readable YAML (syntax errors, tags and limits give no data at all)
BROKEN = [p for p in sorted((ROOT / "tests" / "packs" / "broken").glob("*.yaml"))
          if load_file(p).ok]
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "default", "examples",
                "format"}
_TYPES: dict[str, Any] = {
    "object": dict, "array": list, "string": str, "null": type(None), "boolean": bool,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
_KEYWORDS = _ANNOTATIONS | {
    "$ref", "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
    "items", "prefixItems", "minItems", "maxItems", "anyOf", "allOf",
}


def _is(kind: str, value: object) -> bool:
    check = _TYPES[kind]
    return bool(check(value)) if not isinstance(check, type) else isinstance(value, check)


def validate(value: object, schema: dict[str, Any], root: dict[str, Any], at: str = "$"
             ) -> list[str]:
    """Every place where ``value`` breaks ``schema`` (empty when it fits)."""
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return validate(value, target, root, at)
    errors: list[str] = []
    kinds = schema.get("type")
    if kinds is not None and not any(_is(k, value) for k in
                                     (kinds if isinstance(kinds, list) else [kinds])):
        return [f"{at}: not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in enum")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            errors.append(f"{at}: length {len(value)}")
    if _is("number", value):
        assert isinstance(value, int | float)
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            errors.append(f"{at}: {value} out of range")
    if isinstance(value, dict):
        errors += _object(value, schema, root, at)
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            errors.append(f"{at}: {len(value)} items")
        prefix = schema.get("prefixItems", [])
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else schema.get("items")
            if sub is not None:
                errors += validate(item, sub, root, f"{at}[{i}]")
    if "anyOf" in schema and all(validate(value, s, root, at) for s in schema["anyOf"]):
        errors.append(f"{at}: matches none of anyOf")
    for sub in schema.get("allOf", []):
        errors += validate(value, sub, root, at)
    return errors


def _object(value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], at: str
            ) -> list[str]:
    errors = [f"{at}: missing {k}" for k in schema.get("required", []) if k not in value]
    props, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    for key, item in value.items():
        if "propertyNames" in schema:
            errors += validate(key, schema["propertyNames"], root, f"{at}.<key {key}>")
        subs = [props[key]] if key in props else []
        subs += [s for p, s in patterns.items() if re.search(p, key)]
        extra = schema.get("additionalProperties", True)
        if not subs and extra is False:
            errors.append(f"{at}: unexpected key {key!r}")
        for sub in subs or ([extra] if isinstance(extra, dict) else []):
            errors += validate(item, sub, root, f"{at}.{key}")
    return errors


def _keywords(node: object, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(key)
            if key in ("properties", "patternProperties", "$defs"):
                for sub in value.values():
                    _keywords(sub, out)
            elif key not in ("enum", "const", "default", "examples", "required"):
                _keywords(value, out)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, out)
    return out


def _plain(path: Path) -> object:
    loaded = load_file(path)
    assert loaded.root is not None, loaded.diagnostics
    return loaded.root.to_plain()


@pytest.mark.parametrize("make", [pack_schema, applicant_schema])
def test_schemas_use_only_the_keywords_the_validator_knows(make: Any) -> None:
    schema = make()
    assert schema["$schema"] == SCHEMA_DIALECT
    assert _keywords(schema, set()) <= _KEYWORDS


def test_there_are_four_builtin_packs() -> None:
    assert [p.stem for p in PACKS] == ["es-academia-netflix", "fr-netflix-audiens",
                                       "it-ifc-netflix", "uk-film-tv-charity"]


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.stem)
def test_every_builtin_pack_fits_the_model_and_the_schema(path: Path) -> None:
    data = _plain(path)
    PackModel.model_validate(data)
    schema = pack_schema()
    assert validate(data, schema, schema) == []


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_the_schema_rejects_exactly_the_shapes_the_model_rejects(path: Path) -> None:
    """Over the broken packs, schema and model agree: wrong shapes fail both, the rest pass."""
    data = _plain(path)
    try:
        PackModel.model_validate(data)
        model_ok = True
    except ValidationError:
        model_ok = False
    schema = pack_schema()
    assert (validate(data, schema, schema) == []) == model_ok
    assert model_ok == (path.stem not in ("unknown-key", "missing-key", "wrong-type",
                                          "invalid-value"))


def test_most_broken_packs_are_readable_yaml() -> None:
    assert len(BROKEN) >= 25


def test_the_validator_sees_each_kind_of_shape_error() -> None:
    schema = pack_schema()
    good = _plain(ROOT / "policies" / "fr-netflix-audiens.yaml")
    assert isinstance(good, dict)
    cases = {
        "rules[0].setles": ("rules", 0, "setles", "A1"),
        "country": ("country", None, None, "France"),
        "cite item": ("rules", 0, "cite", ["S1", 12]),
        "source key": ("sources", None, "1bad", {"title": "x"}),
    }
    for name, (top, index, key, value) in cases.items():
        data = copy.deepcopy(good)
        target = data[top] if index is None else data[top][index]
        if key is None:
            data[top] = value
        else:
            target[key] = value
        assert validate(data, schema, schema), name


def test_every_pack_key_has_a_description_for_editors() -> None:
    schema = pack_schema()
    models = [schema, *schema["$defs"].values()]
    undescribed = [f"{m['title']}.{name}" for m in models
                   for name, prop in m.get("properties", {}).items()
                   if not prop.get("description")]
    assert undescribed == [], "describe them in fundrules/authoring/_jsonschema.py (_PACK_DOCS)"


def _applicants() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = [(p.name, _plain(p)) for p in
                                       sorted((ROOT / "examples" / "applicants").glob("*"))]
    for cases in sorted((ROOT / "policies" / "tests").glob("*.yaml")):
        found += [(f"{cases.stem}: {c.name}", c.applicant) for c in load_cases(cases)]
    return found


def test_every_example_and_case_applicant_fits_the_applicant_schema() -> None:
    schema = applicant_schema()
    applicants = _applicants()
    assert len(applicants) > 50
    for name, data in applicants:
        parse_applicant(data)
        assert validate(data, schema, schema) == [], name


@pytest.mark.parametrize("change", [
    {"nickname": "Jo"}, {"role": "actor"}, {"residence_country": "UK"},
    {"engagements": [{"days": "ten"}]}, {"income": [{"period": "2019", "basis": "gross"}]},
])
def test_the_applicant_schema_rejects_what_parse_applicant_rejects(change: dict[str, Any]
                                                                   ) -> None:
    data = {"id": "a-1", "submitted_at": "2020-04-20T10:00:00+02:00", **change}
    schema = applicant_schema()
    assert validate(data, schema, schema) != []
    with pytest.raises(ApplicantError):
        parse_applicant(data)
