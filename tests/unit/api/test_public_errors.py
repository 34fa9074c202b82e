"""A public call given a bad value raises from the fundrules error tree, never a bare ValueError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fundrules import (
    ApplicantError,
    Engine,
    FundrulesError,
    InvalidArgument,
    PackError,
    UnknownPackError,
    load_pack,
    parse_applicant,
)
from fundrules.batch import allocate, synthesize
from fundrules.testing import applicants_for

IT = "it-ifc-netflix"
ENGINE = Engine(backend="python")
APPLICANT = {"id": "a-1", "submitted_at": "2020-06-01T10:00:00+02:00"}

CALLS: dict[str, tuple[Callable[[], Any], type[FundrulesError], str]] = {
    "unknown backend": (lambda: Engine(backend="prolog"), InvalidArgument,  # type: ignore[arg-type]
                        "backend"),
    "unknown lang": (lambda: ENGINE.evaluate(APPLICANT, IT, lang="de"), InvalidArgument, "lang"),
    "lang of evaluate_all": (lambda: ENGINE.evaluate_all(APPLICANT, lang="xx"), InvalidArgument,
                             "lang"),
    "jobs 0": (lambda: list(ENGINE.evaluate_many([APPLICANT], IT, jobs=0)), InvalidArgument,
               "jobs"),
    "jobs not a number": (lambda: list(ENGINE.evaluate_many([APPLICANT], IT, jobs="2")),  # type: ignore[arg-type]
                          InvalidArgument, "jobs"),
    "unknown pack": (lambda: ENGINE.evaluate(APPLICANT, "xx-none"), UnknownPackError, "pack"),
    "unknown call for strategies": (lambda: applicants_for(IT, call="call-9"), UnknownPackError,
                                    "call"),
    "applicant not a mapping": (lambda: parse_applicant(42), ApplicantError, ""),
    "pack file missing": (lambda: load_pack("no-such-pack.yaml"), PackError, ""),
    "negative budget": (lambda: allocate([], ENGINE.pack(IT), "-1"), InvalidArgument, "budget"),
    "another pack's decision": (lambda: allocate(
        [(ENGINE.evaluate(APPLICANT, IT), parse_applicant(APPLICANT))],
        ENGINE.pack("fr-netflix-audiens")), InvalidArgument, "decisions_with_applicants"),
    "unknown synth country": (lambda: list(synthesize(1, 1, "XX")), InvalidArgument, "country"),
    "negative synth count": (lambda: list(synthesize(-1, 1)), InvalidArgument, "n"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_bad_values_raise_a_located_fundrules_error(name: str):
    call, error, path = CALLS[name]
    with pytest.raises(FundrulesError) as info:
        call()
    assert type(info.value) is error
    assert info.value.diagnostics, "an error without diagnostics says nothing"
    if path:
        assert info.value.diagnostics[0].path == path


def test_invalid_argument_is_also_a_value_error_for_callers_that_catch_that():
    with pytest.raises(ValueError):
        ENGINE.evaluate(APPLICANT, IT, lang="de")
