"""Hostile applicant files: only fundrules errors (exit code 2 and a diagnostic), never a crash.

A service feeds fundrules what strangers typed into a form. Two kinds of test:

- a catalogue of known-nasty files (a million items, 10,000 levels of nesting, NaN,
  huge numbers, code tags, ...), each read in a child process under a 30 s guard that
  only catches hangs (``benchmarks/hostile.py`` prints the time and memory each takes);
- hypothesis mutations of valid applicants (wrong types, missing and extra keys,
  non-finite and huge numbers, naive or extreme datetimes, floats for money, impossible
  dates), read in-process through ``read_applicant`` and ``fundrules evaluate``.

``FUNDRULES_HOSTILE_EXAMPLES`` sets the number of hypothesis examples (default 100; 300
with ``--run-slow``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundrules import Applicant, ApplicantError, Engine
from fundrules.cli import main
from fundrules.io import read_applicant

from ._isolated import run_isolated

#: 100 examples in the default run, 300 with `--run-slow`, FUNDRULES_HOSTILE_EXAMPLES any
#: number: each example writes a file, reads it, decides it with every pack on both
#: backends and runs `fundrules evaluate` on it.
EXAMPLES = int(os.environ.get("FUNDRULES_HOSTILE_EXAMPLES",
                              "300" if os.environ.get("FUNDRULES_RUN_SLOW") == "1" else "100"))
STAMP = "2020-04-20T10:00:00+02:00"
VALID: dict[str, Any] = {
    "id": "hostile-1", "submitted_at": STAMP, "residence_country": "FR",
    "nationalities": ["FR"], "role": "technician", "status": "intermittent",
    "covid_hardship": True, "unemployed": True, "prior_awards": [],
    "benefits": [{"scheme": "fr-annexe-8", "receiving": False, "rights_opened": "2019-01-10",
                  "rights_ended": "2020-01-15"}],
    "engagements": [{"production": "Série", "sector": "audiovisual_production",
                     "contract": "cddu", "start": "2019-10-01", "end": "2019-12-20",
                     "days": 20, "work_dates": None, "netflix": False}],
    "income": [{"period": "2019", "amount": {"value": "12000.00", "currency": "EUR"},
                "basis": "gross"}],
    "needs": {"savings": {"value": "100", "currency": "EUR"}},
}
VALID["engagements"][0].pop("work_dates")
_JSON = json.dumps(VALID)


def _with(**fields: Any) -> str:
    return json.dumps({**VALID, **fields})


def _in_json(old: str, new: str) -> Callable[[], str]:
    assert old in _JSON
    return lambda: _JSON.replace(old, new, 1)


_HEAD = f'{{"id": "x", "submitted_at": "{STAMP}", '
_YHEAD = f"id: x\nsubmitted_at: '{STAMP}'\n"
_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True))

#: name -> (file suffix, content, diagnostic code expected)
CATALOGUE: dict[str, tuple[str, Callable[[], str | bytes], str]] = {
    "wrong type: id is a number": (".json", lambda: _with(id=123), "applicant-invalid"),
    "wrong type: engagements is text": (".json", lambda: _with(engagements="many"),
                                        "applicant-invalid"),
    "wrong type: days is true": (".json", _in_json('"days": 20', '"days": true'),
                                 "applicant-invalid"),
    "wrong type: top level is a list": (".json", lambda: "[1, 2, 3]", "applicant-invalid"),
    "wrong type: top level is text": (".yaml", lambda: "hello\n", "applicant-invalid"),
    "missing keys: empty mapping": (".json", lambda: "{}", "applicant-invalid"),
    "missing keys: no submitted_at": (".json", lambda: '{"id": "x"}', "applicant-invalid"),
    "extra key at the top": (".json", lambda: _with(favourite_colour="blue"),
                             "applicant-invalid"),
    "extra key in an engagement": (".json", _in_json('"days": 20', '"days": 20, "x": 1'),
                                   "applicant-invalid"),
    "NaN days (JSON token)": (".json", _in_json('"days": 20', '"days": NaN'),
                              "applicant-invalid"),
    "Infinity days (JSON token)": (".json", _in_json('"days": 20', '"days": -Infinity'),
                                   "applicant-invalid"),
    "NaN money (JSON token)": (".json", _in_json('"12000.00"', "NaN"), "applicant-invalid"),
    "NaN money (text)": (".json", _in_json('"12000.00"', '"NaN"'), "applicant-invalid"),
    ".nan months (YAML)": (".yaml", lambda: _YHEAD + "long_term_illness_months: .nan\n",
                           "applicant-invalid"),
    ".inf money (YAML)": (".yaml", lambda: _YHEAD + "needs: {savings: {value: .inf, "
                          "currency: EUR}}\n", "applicant-invalid"),
    "huge integer: 30 digits": (".json", _in_json('"days": 20', '"days": ' + "9" * 30),
                                "applicant-invalid"),
    "huge integer: 5,000 digits": (".json", _in_json('"days": 20', '"days": ' + "9" * 5000),
                                   "yaml-limit"),
    "huge money: 5,000 digits": (".json", _in_json('"12000.00"', '"' + "9" * 5000 + '"'),
                                 "applicant-invalid"),
    "money with an exponent": (".json", _in_json('"12000.00"', '"1E+999999999"'),
                               "applicant-invalid"),
    "float for money": (".json", _in_json('"12000.00"', "12000.5"), "applicant-invalid"),
    "naive datetime": (".json", lambda: _with(submitted_at="2020-04-20T10:00:00"),
                       "applicant-invalid"),
    "date: year 0": (".json", _in_json("2019-10-01", "0000-01-01"), "applicant-invalid"),
    "date: 30 February": (".json", _in_json("2019-10-01", "2019-02-30"), "applicant-invalid"),
    "date: year 10000": (".json", _in_json("2019-12-20", "10000-01-01"), "applicant-invalid"),
    "a million items (6 MB JSON)": (".json", lambda: _with(nationalities=["FR"] * 1_000_000),
                                    "yaml-limit"),
    "a million items (2 MB JSON, under the size limit)": (
        ".json", lambda: _HEAD + '"engagements": [' + ",".join(["0"] * 1_000_000) + "]}",
        "yaml-limit"),
    "a million items (YAML block list)": (".yaml", lambda: _YHEAD + "engagements:\n"
                                          + "- 0\n" * 1_000_000, "yaml-limit"),
    "10,000 nested JSON lists": (".json", lambda: _HEAD + '"needs": ' + "[" * 10_000
                                 + "]" * 10_000 + "}", "yaml-limit"),
    "10,000 nested JSON objects": (".json", lambda: _HEAD + '"needs": ' + '{"a": ' * 10_000
                                   + "1" + "}" * 10_000 + "}", "yaml-limit"),
    "10,000 nested YAML flow lists": (".yaml", lambda: _YHEAD + "needs: " + "[" * 10_000
                                      + "]" * 10_000 + "\n", "yaml-limit"),
    "10,000 nested YAML block lists": (".yaml", lambda: _YHEAD + "needs:\n  " + "- " * 10_000
                                       + "x\n", "yaml-limit"),
    "YAML alias bomb (9^7 items)": (".yaml", lambda: _YHEAD + _BOMB, "yaml-limit"),
    "YAML python tag": (".yaml", lambda: "id: !!python/object/apply:os.system ['echo x']\n"
                        f"submitted_at: '{STAMP}'\n", "yaml-tag"),
    "not UTF-8": (".json", lambda: b'{"id": "\xff\xfe"}', "file-unreadable"),
    "NUL bytes": (".json", lambda: "\x00\x01", "yaml-syntax"),
    "a 1.5 MB string": (".json", lambda: _with(id="x" * 1_500_000), "yaml-limit"),
    "duplicate key": (".json", lambda: f'{{"id": "a", "id": "b", "submitted_at": "{STAMP}"}}',
                      "yaml-duplicate-key"),
    "empty file": (".yaml", lambda: "", "yaml-syntax"),
}


def write_case(directory: Path, name: str) -> Path:
    """Write one catalogue entry to a file and return its path."""
    suffix, content, _ = CATALOGUE[name]
    path = directory / ("case" + suffix)
    data = content()
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_catalogue_file_is_refused_with_a_diagnostic(name: str, tmp_path: Path) -> None:
    path = write_case(tmp_path, name)
    code = CATALOGUE[name][2]
    got = run_isolated("applicant", path)
    assert got["unexpected"] is None
    assert got["error"] == "ApplicantError" and got["fundrules_error"]
    assert code in got["codes"]
    assert got["exit"] == 2
    assert f"{path}" in got["stderr"] and f": {code}: " in got["stderr"]


# --- hypothesis: mutations of a valid applicant ---

_NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6), st.integers(-(10**40), 10**40),
    st.just(10**4000), st.floats(allow_nan=True, allow_infinity=True),
)
_DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0000-01-01", "2019-02-30", "10000-01-01", "2020-13-01", "2020-1-1",
                     "20200101", "2020-02-29", "9999-12-31", "0001-01-01"]),
)
_OFFSETS = st.sampled_from(["+02:00", "Z", "-12:00", "+14:00", "+23:59", "-23:59"])
_DATETIMES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),  # naive
    st.builds(lambda d, o: d.isoformat() + o, st.datetimes(), _OFFSETS),  # any year
    st.sampled_from(["2020-04-20 10:00:00+02:00", "2020-04-20T25:00:00+02:00", "yesterday"]),
)
_WORDS = st.sampled_from(["intermittent", "cddu", "film_production", "fr-annexe-8", "EUR",
                          "GBP", "FR", "gross", "2019", "2019-20", "covid", "", " ", "null",
                          "NaN", "Infinity", "1e400", "12000.001", "-0", "true", "\u202e"])
_LEAVES = st.one_of(st.none(), st.booleans(), _NUMBERS, st.text(max_size=30), _WORDS, _DATES,
                    _DATETIMES, st.decimals(allow_nan=True, allow_infinity=True).map(str))


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


_HOSTILE = st.one_of(
    _LEAVES,
    st.lists(_LEAVES, max_size=4),
    st.dictionaries(st.text(max_size=8), _LEAVES, max_size=3),
    st.integers(30, 200).map(_nested),
    st.integers(1001, 3000).map(lambda n: ["FR"] * n),
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def hostile_documents(draw: st.DrawFn) -> Any:
    """A valid applicant with one to four parts replaced, removed or added."""
    doc: Any = json.loads(_JSON)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        value = draw(_HOSTILE)
        if not path:
            doc = value if action == "replace" else doc
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if action == "replace":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = value
        else:
            parent.append(value)
    return doc


def _serialise(doc: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, allow_nan=True)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


ENGINES = {"durable": Engine(), "python": Engine(backend="python")}


def _check_document(text: str, suffix: str) -> bool:
    """Read and evaluate one document both ways; return whether it was a valid applicant."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("applicant" + suffix)
        path.write_text(text, encoding="utf-8")
        try:
            applicant: Applicant | None = read_applicant(path)
        except ApplicantError as exc:
            assert exc.errors and all(d.file == str(path) for d in exc.errors)
            applicant = None
        if applicant is not None:
            decisions = {b: e.evaluate_all(applicant) for b, e in ENGINES.items()}
            assert decisions["durable"] == decisions["python"]
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["evaluate", "--format", "json", str(path)])
        if applicant is None:
            assert code == 2 and str(path) in err.getvalue()
        else:
            assert code == 0
            assert len(json.loads(out.getvalue())) == len(ENGINES["python"].pack_ids)
        return applicant is not None


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=hostile_documents(), fmt=st.sampled_from(["json", "yaml"]))
def test_mutated_applicant_files_give_decisions_or_fundrules_errors(doc: Any, fmt: str) -> None:
    _check_document(_serialise(doc, fmt), "." + fmt)


def test_the_check_sees_valid_and_invalid_documents() -> None:
    """Both branches of the check above are reachable (else it would test only one)."""
    assert _check_document(_JSON, ".json")
    assert _check_document(_serialise(VALID, "yaml"), ".yaml")
    assert not _check_document(_JSON.replace('"days": 20', '"days": NaN'), ".json")
    assert not _check_document(_serialise({**VALID, "id": float("inf")}, "yaml"), ".yaml")


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_extreme_submitted_at_is_refused_or_decided(stamp: str, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(_with(submitted_at=stamp), encoding="utf-8")
    try:
        applicant = read_applicant(path)
    except ApplicantError as exc:  # the fix: refused with a diagnostic on submitted_at
        assert any(d.path == "submitted_at" for d in exc.errors)
        return
    assert len(ENGINES["durable"].evaluate_all(applicant)) == len(ENGINES["durable"].pack_ids)
