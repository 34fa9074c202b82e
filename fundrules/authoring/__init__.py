"""Tools for pack authors: the consistency verifier and the JSON Schemas for editors."""

from fundrules.authoring._jsonschema import (
    SCHEMA_DIALECT,
    SCHEMAS,
    applicant_schema,
    cases_schema,
    decision_schema,
    pack_schema,
    schema_path,
    schema_text,
)
from fundrules.authoring._verify import Finding, verify_pack

__all__ = ["SCHEMAS", "SCHEMA_DIALECT", "Finding", "applicant_schema", "cases_schema",
           "decision_schema", "pack_schema", "schema_path", "schema_text", "verify_pack"]
