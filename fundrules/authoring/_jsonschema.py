"""JSON Schemas of the applicant and of the pack format, for form builders and YAML editors.

Both come from the pydantic models themselves, so they cannot drift from what fundrules
accepts; this module only adds what the models do not say: a description of every pack
key (shown by editors on hover), the short forms the models accept before validation
(``cite: S1`` for ``cite: [S1]``), and the ``$schema``/``$id`` header. The shipped copies in
``docs/schema/`` are the output of ``fundrules schema applicant|decision|pack|cases`` (a
test compares them). The schema of YAML test-case files is written here by hand (a case
file has no pydantic model): the keys :func:`fundrules.testing.cases.load_cases` reads,
each case's applicant being the applicant schema without its required keys (the file's
``defaults:`` supply them).

**Where editors find them.** The files ship in the wheel as ``fundrules/docs/schema/``, and the
built-in packs as ``fundrules/_packs/`` (their cases in ``fundrules/_packs/tests/``), the same
layout as a checkout's ``docs/schema/``, ``policies/`` and ``policies/tests/``. So one relative
``# yaml-language-server: $schema=../docs/schema/pack.schema.json`` line (``../../`` for case
files) resolves in both. :func:`schema_path` (``fundrules schema pack --path``) gives the file
for packs kept elsewhere. ``$id`` is a URN: a name, never a place to fetch.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fundrules.policies.model import PackModel
from fundrules.schema import Applicant, Decision

__all__ = [
    "SCHEMAS",
    "SCHEMA_DIALECT",
    "applicant_schema",
    "cases_schema",
    "decision_schema",
    "pack_schema",
    "schema_path",
    "schema_text",
]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_BASE_ID = "urn:fundrules:schema:"  # a name, not a place: nothing is fetched

_REF = "An id declared under `{}:`, or a list of them"
#: Description of every pack key, by model, as a policy author needs it in an editor.
_PACK_DOCS: dict[str, dict[str, str]] = {
    "PackModel": {
        "pack": "The pack's id (lowercase words joined by `-`), e.g. `fr-netflix-audiens`. "
                "Decisions and `--pack` use it.",
        "version": "The pack's version, e.g. `\"2020.1\"` (quote it); decisions record it.",
        "title": "The fund's name in each language: `{fr: ..., en: ...}`.",
        "description": "Free text about the fund, for people reading the pack.",
        "country": "ISO 3166-1 alpha-2 code of the fund's country, e.g. `FR`.",
        "administrator": "Who runs the fund and decides the applications.",
        "funder": "Who pays (e.g. `netflix`); informative only.",
        "currency": "ISO 4217 code of every amount in the pack, e.g. `EUR`. Amounts in "
                    "another currency are errors; applicants' money is never converted.",
        "budget": "The fund's total budget in `currency`, for allocation.",
        "max_awards": "The most awards the fund can make, for allocation.",
        "languages": "The languages every message and title must be written in "
                     "(`fr`, `en`, `it`, `es`); `fundrules check` reports a missing one.",
        "allocation": "How awards are allocated when the budget is short: "
                      "`first_come_first_served`, `budget_share` or `needs_assessed`.",
        "sources": "The public sources rules cite, by id: `S1: {title: ..., url: ...}`.",
        "ambiguities": "The dossier's open questions, by id, each with the reading the pack "
                       "takes: `A1: \"...\"`. Rules name the ones they settle.",
        "parameters": "Named values that conditions and messages use (`{name}` in a message "
                      "shows the value) and calls may override: a number (`12`), an amount "
                      "(`15000 EUR`), a date (`2020-01-01`), a window of two dates "
                      "(`[2019-09-01, 2020-02-29]`), a list of values, `true`/`false`, or text.",
        "calls": "The fund's calls (rounds), each with its window; at least one.",
        "measures": "Numbers computed from the applicant's lists (engagements, benefits, "
                    "income, prior awards), by name; conditions compare them with thresholds.",
        "rules": "The criteria. Each concludes a fact (`then:`) that `eligible:` and later "
                 "rules read.",
        "exclusions": "Criteria that exclude: an applicant for whom one is met is not "
                      "eligible. They conclude no fact.",
        "eligible": "The condition that makes an applicant eligible, over the facts the rules "
                    "conclude, e.g. `intermittent and minimum_activity`.",
        "award": "What an eligible applicant receives.",
        "monotonic": "Declared monotonicity: changes that can only help an applicant "
                     "(`more: <measure>`, `less: income(period, basis)`) and what they must "
                     "never do. The engine ignores them; property tests check them.",
    },
    "MonotonicModel": {
        "more": "A measure that grows, e.g. `activity_units` (one more item that counts).",
        "less": "An input that shrinks, e.g. `income(income_year, gross)`.",
        "never": "What the change must never do: `lose_eligibility` (an eligible applicant "
                 "stays eligible) or `lower_award` (and the award does not go down).",
        "says": "The declaration in words, by language, for reports and test names.",
    },
    "SourceModel": {
        "title": "The source's title as a reader would cite it.",
        "url": "Where to read it.",
        "note": "Anything a reader should know about the source.",
    },
    "WindowModel": {
        "opens": "When applications open (included): a local date-time "
                 "`2020-04-15T00:00` or a date, in `tz`; `null` = no start.",
        "closes": "When applications close (excluded): a local date-time or a date "
                  "(its midnight), in `tz`; `null` or absent = no end.",
        "tz": "The fund's IANA time zone, e.g. `Europe/Paris`.",
    },
    "CallModel": {
        "id": "The call's id, e.g. `call-1`; applicants may name it in `call`.",
        "title": "The call's name in each language.",
        "window": "When the call accepts applications.",
        "parameters": "Values of the pack's `parameters:` that differ in this call; each must "
                      "be declared at the top and keep its kind.",
        "eligible": "This call's own eligibility condition, replacing the pack's.",
        "award": "This call's own award, replacing the pack's.",
        "budget": "This call's budget in the pack's currency.",
        "funder": "Who pays for this call, if not the pack's funder.",
        "cite": _REF.format("sources"),
        "settles": _REF.format("ambiguities"),
        "description": "Free text about the call.",
    },
    "MeasureModel": {
        "over": "The applicant's list to go through: `engagements`, `benefits`, `income` or "
                "`prior_awards`.",
        "count": "`true` to count the items that pass `where` (give `count` or `sum`).",
        "sum": "The value to add up for each item that passes `where`: a field "
               "(`days`), `greatest(days, cachets)`, `least(a, b)` or `a + b`.",
        "where": "The condition each item must meet, over the item's own fields, "
                 "e.g. `sector in [film_production] and contract in [cdd, cddu]`.",
        "within": "Only the days inside this window count: a window parameter's name, or "
                  "`[from, to]` (both included) with dates, date parameters or "
                  "`months_before(submitted_date, 12)`.",
        "description": "What the measure counts, in words.",
    },
    "RuleModel": {
        "id": "The criterion's id, e.g. `FR-C3`; decisions, traces and tests name it.",
        "when": "The condition, e.g. `activity_units >= min_activity_units`: facts, "
                "measures, applicant fields and parameters joined by `and`, `or`, `not`.",
        "then": "The fact this rule concludes (a lowercase name), which `eligible:` and "
                "other rules read. Exclusions have none.",
        "cite": _REF.format("sources"),
        "settles": _REF.format("ambiguities"),
        "confidence": "How sure the sources are about this criterion: `high`, `medium`, `low`.",
        "message": "The criterion as an applicant reads it, in each of the pack's languages; "
                   "`{parameter}` shows a parameter's value.",
        "calls": "The calls this rule applies to (default: every call).",
        "enabled": "`true` (default), `false`, or the name of a `true`/`false` parameter "
                   "that switches the rule on or off (calls may override it).",
        "priority": "`true` for a priority criterion: reported in every decision, never "
                    "deciding eligibility.",
        "description": "Why the rule reads as it does, for people reading the pack.",
    },
    "AwardModel": {
        "kind": "`fixed` (an amount), `range` (`min` to `max`, set by assessed need), "
                "`monthly` (`amount` a month for up to `months`), or `share` (an equal share "
                "of the budget).",
        "tiers": "Tiers tried in order; the first whose `when` is met gives the award. The "
                 "last tier has no `when`.",
        "amount": "The amount in the pack's currency (`fixed`, `monthly`).",
        "min": "The lowest amount (`range`).",
        "max": "The highest amount (`range`).",
        "months": "For how many months at most (`monthly`).",
        "cite": _REF.format("sources"),
        "settles": _REF.format("ambiguities"),
        "message": "The award as an applicant reads it, in each language.",
    },
}
_PACK_DOCS["TierModel"] = {
    **{k: v for k, v in _PACK_DOCS["AwardModel"].items() if k not in ("kind", "tiers")},
    "id": "The tier's id, e.g. `FR-AWARD-900`; decisions and traces name it.",
    "when": "The condition for this tier, e.g. `income(2019, gross) <= 15000 EUR`; "
            "the last tier has none.",
}
_APPLICANT_DOCS = {  # DESIGN section 3: what each applicant field means
    "id": "Opaque reference of the application; no personal names are needed anywhere.",
    "submitted_at": "When the application was made: an ISO 8601 date-time with its UTC offset.",
    "call": "The call applied to; absent = chosen by `submitted_at`.",
    "residence_country": "Country of residence, ISO 3166-1 alpha-2 (e.g. `FR`).",
    "nationalities": "Nationalities, ISO 3166-1 alpha-2 codes.",
    "role": "`artist` (in front of the camera), `technician` (behind it) or `both`.",
    "status": "Employment status.",
    "social_security": "Social security regime, where a fund's rule depends on it.",
    "unemployed": "Currently without work.",
    "covid_hardship": "Declares financial hardship caused by Covid-19.",
    "shortfall_reason": "Why recent work was short (UK exception).",
    "long_term_illness_months": "Expected months of sick leave.",
    "engagements": "Work history, one contract each; absent = unknown, `[]` = none.",
    "income": "Income by period; absent = unknown, `[]` = none.",
    "benefits": "Unemployment rights and government support; absent = unknown, `[]` = none.",
    "prior_awards": "Grants already received; absent = unknown, `[]` = none.",
    "needs": "Optional figures for need-based funds.",
}


def _tidy(node: Any) -> None:
    """Docstrings use reST ``code``; editors render Markdown `code`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = value.replace("``", "`")
            else:
                _tidy(value)
    elif isinstance(node, list):
        for item in node:
            _tidy(item)


def _describe(model: dict[str, Any], docs: dict[str, str]) -> None:
    for name, prop in model.get("properties", {}).items():
        if name in docs:
            prop["description"] = docs[name]


def _refs_short_form(model: dict[str, Any]) -> None:
    """``cite: S1`` is accepted as ``cite: [S1]``: say so, or editors flag every pack."""
    for name in ("cite", "settles"):
        prop = model.get("properties", {}).get(name)
        if prop is not None and prop.get("type") == "array":
            item = prop.pop("items")
            del prop["type"]
            prop["anyOf"] = [item, {"type": "array", "items": item}]


def _closed_maps(node: Any) -> None:
    """Keys outside a map's pattern are rejected by the model: the schema says so too."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed_maps(value)
    elif isinstance(node, list):
        for item in node:
            _closed_maps(item)


def _header(schema: dict[str, Any], name: str, title: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, "$id": _BASE_ID + name, **schema, "title": title}


def pack_schema() -> dict[str, Any]:
    """The JSON Schema of a policy pack (YAML read as JSON), with a description per key."""
    schema = copy.deepcopy(PackModel.model_json_schema())
    _describe(schema, _PACK_DOCS["PackModel"])
    for name, model in schema.get("$defs", {}).items():
        _describe(model, _PACK_DOCS.get(name, {}))
        _refs_short_form(model)
    _closed_maps(schema)
    _tidy(schema)
    schema["description"] = ("A fundrules policy pack: one fund's eligibility criteria, "
                             "written in YAML. Reference: docs/pack-format.md.")
    return _header(schema, "pack.schema.json", "fundrules policy pack")


def applicant_schema() -> dict[str, Any]:
    """The JSON Schema of an applicant (``fundrules.Applicant``), for form builders."""
    schema = copy.deepcopy(Applicant.model_json_schema())
    _describe(schema, _APPLICANT_DOCS)
    _tidy(schema)
    return _header(schema, "applicant.schema.json", "fundrules applicant")


def decision_schema() -> dict[str, Any]:
    """The JSON Schema of a Decision as fundrules writes it (amounts are strings)."""
    schema = copy.deepcopy(Decision.model_json_schema(mode="serialization"))
    _tidy(schema)
    return _header(schema, "decision.schema.json", "fundrules decision")


_STATUS = {"enum": ["met", "unmet", "unknown"]}
_IDS = {"type": "array", "items": {"type": "string"}}
_AMOUNT = {"type": ["string", "integer", "null"],
           "description": "An amount as text (`\"900.00\"`), or `null` for none."}


def cases_schema() -> dict[str, Any]:
    """The JSON Schema of a YAML test-case file (``policies/tests/<pack>.yaml``)."""
    applicant = applicant_schema()
    partial = {"type": "object", "properties": applicant["properties"],
               "additionalProperties": False,
               "description": "Applicant fields, laid over the file's `defaults:` (top-level "
                              "keys replace)."}
    award = {"anyOf": [{"type": "null"}, {
        "type": "object", "additionalProperties": False,
        "description": "The award fields to compare (only those listed); `null`: no award.",
        "properties": {
            "kind": {"enum": ["fixed", "range", "monthly", "share"]},
            "amount": _AMOUNT, "min": _AMOUNT, "max": _AMOUNT,
            "months": {"type": ["integer", "null"]},
            "currency": {"type": "string"}}}]}
    expect = {
        "type": "object", "additionalProperties": False,
        "description": "The decision expected; only the keys given are compared.",
        "properties": {
            "outcome": {"enum": ["eligible", "ineligible", "incomplete"],
                        "description": "The outcome (required in practice)."},
            "call": {"type": "string", "description": "The id of the call chosen."},
            "award": award,
            "reasons": {"type": "object", "additionalProperties": _STATUS,
                        "description": "The status of each criterion listed, by rule id."},
            "missing": {**_IDS, "description": "The exact list of missing field paths "
                                               "(order ignored)."},
            "trace": {**_IDS, "description": "Rule ids in the order the engine fired them."}}}
    case = {"type": "object", "required": ["name", "applicant", "expect"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "description": "What the case checks."},
                           "applicant": {"$ref": "#/$defs/PartialApplicant"},
                           "expect": expect}}
    schema = {
        "type": "object", "required": ["pack", "cases"], "additionalProperties": False,
        "description": "YAML test cases of a fundrules pack. Reference: docs/test-cases.md.",
        "properties": {
            "pack": {"type": "string", "description": "The id of the pack tested."},
            "defaults": {"$ref": "#/$defs/PartialApplicant"},
            "cases": {"type": "array", "items": case}},
        "$defs": {**applicant.get("$defs", {}), "PartialApplicant": partial}}
    return _header(schema, "cases.schema.json", "fundrules test cases")


SCHEMAS = {"applicant": applicant_schema, "decision": decision_schema, "pack": pack_schema,
           "cases": cases_schema}


def schema_text(which: str) -> str:
    """The schema as the CLI prints and docs/schema/ ships it (stable, ends with a newline)."""
    return json.dumps(SCHEMAS[which](), indent=2, ensure_ascii=False) + "\n"


def schema_path(which: str) -> Path | None:
    """The shipped schema file: in the installed package, else in the source checkout."""
    package = Path(__file__).resolve().parents[1]  # fundrules/
    for folder in (package / "docs" / "schema", package.parent / "docs" / "schema"):
        path = folder / f"{which}.schema.json"
        if path.is_file():
            return path
    return None
