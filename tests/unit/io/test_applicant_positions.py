"""Applicant errors point at line:column (issue 16, "Errors that point").

Every test asserts the exact position, and the documents are written so that a wrong
walk (the parent, the key instead of the value, the next item) gives another position.
"""

from __future__ import annotations

import pytest

from fundrules.errors import ApplicantError
from fundrules.io import Input, InputSource, parse_input, read_applicant

_HEAD = 'id: a\nsubmitted_at: "2020-04-20T10:00:00+02:00"\n'


def _errors(path) -> list[tuple[str | None, int | None, int | None]]:
    with pytest.raises(ApplicantError) as info:
        read_applicant(path)
    return [(d.path, d.line, d.column) for d in info.value.diagnostics]


def test_a_bad_value_is_at_the_value_in_the_right_item(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text(_HEAD + "engagements:\n"
                 "  - production: x\n"
                 '    start: "2020-03-01"\n'
                 "  - production: y\n"
                 "    start:   2020-13-01\n")
    assert _errors(f) == [("engagements[1].start", 7, 14)]


def test_a_missing_key_is_at_the_mapping_that_lacks_it(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("id: a\nneeds:\n  savings: {value: '1.00', currency: EUR}\n"
                 "income:\n  - period: '2019'\n    amount: {currency: EUR}\n")
    found = _errors(f)
    assert ("submitted_at", 1, 1) in found  # the document's mapping
    assert ("income[0].amount.value", 6, 13) in found  # the flow mapping missing `value`


def test_an_unknown_key_with_a_block_value_is_at_its_key(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text(_HEAD + "  \nbogus:\n  - 1\n")
    assert _errors(f) == [("bogus", 4, 1)]


def test_a_json_file_is_located_too(tmp_path):
    f = tmp_path / "a.json"
    f.write_text('{"id": "a", "submitted_at": "2020-04-20T10:00:00+02:00",\n'
                 ' "unemployed": "yes"}\n')
    assert _errors(f) == [("unemployed", 2, 16)]


def test_a_nul_byte_has_line_and_column(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_bytes(b"id: a\nrole: art\x00ist\n")
    with pytest.raises(ApplicantError) as info:
        read_applicant(f)
    (d,) = info.value.diagnostics
    assert (d.code, d.line, d.column) == ("yaml-syntax", 2, 10)
    assert "U+0000" in d.message


def _line(tmp_path, text: str) -> list[tuple[str, int | None, int | None]]:
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": "ok", "submitted_at": "2020-04-20T10:00:00+02:00"}\n' + text + "\n")
    items = list(InputSource(f))
    assert [i.at for i in items] == [1, 2]
    parse_input(items[0])
    with pytest.raises(ApplicantError) as info:
        parse_input(items[1])
    assert all(d.file == str(f) for d in info.value.diagnostics)
    return [(d.code, d.line, d.column) for d in info.value.diagnostics]


def test_a_json_lines_error_gets_its_column(tmp_path):
    line = ('{"id": "b", "submitted_at": "2020-04-20T10:00:00+02:00", '
            '"engagements": [{"days": 3}, {"days": -1}]}')
    assert _line(tmp_path, line) == [("applicant-invalid", 2, line.index("-1") + 1)]


def test_a_json_lines_missing_key_is_at_its_object(tmp_path):
    assert _line(tmp_path, '  {"id": "b"}') == [("applicant-invalid", 2, 3)]


@pytest.mark.parametrize("line, at", [
    ('{"id": "b", "role": "artist", "id": "c"}', 31),  # the second `id`
    ('{"id": "b", "needs": {"savings": NaN}}', 34),
    ('{"id": "b", "x": [1, -Infinity]}', 22),
    ('{"id": "b",', 12),  # the end of the line, not column 1 of a line after it
])
def test_unreadable_json_lines_have_a_column(tmp_path, line, at):
    assert _line(tmp_path, line) == [("json-syntax", 2, at)]


def test_a_line_item_given_directly_is_located():
    item = Input("line", 7, '{"id": 5, "submitted_at": "2020-04-20T10:00:00+02:00"}', source="s")
    with pytest.raises(ApplicantError) as info:
        parse_input(item)
    assert [(d.file, d.line, d.column) for d in info.value.diagnostics] == [("s", 7, 8)]


def test_a_missing_key_in_a_list_item_is_at_that_item(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text(_HEAD + "income:\n"
                 "  - period: '2019'\n"
                 "    amount: {value: '1.00', currency: EUR}\n"
                 "    basis: gross\n"
                 "  -   amount: {value: '2.00', currency: EUR}\n"  # line 7: no period
                 "      basis: gross\n")
    assert _errors(f) == [("income[1].period", 7, 7)]
