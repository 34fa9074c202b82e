"""The command line names the applicant file, line and column of each problem (issue 16)."""

from __future__ import annotations

from fundrules.cli import main

_DOC = 'id: a\nsubmitted_at: "2020-04-20T10:00:00+02:00"\n'


def test_unknown_call_names_each_file_at_its_call_key(tmp_path, capsys):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(_DOC + "call: nope\n")
    b.write_text(_DOC + "\n\ncall:    gone\n")
    code = main(["evaluate", str(a), str(b), "--pack", "fr-netflix-audiens"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{a}:3:7: unknown-call: pack `fr-netflix-audiens` has no call `nope`" in err
    assert f"{b}:5:10: unknown-call: pack `fr-netflix-audiens` has no call `gone`" in err
    assert "<input>" not in err


def test_explain_names_the_file_of_an_unknown_call(tmp_path, capsys):
    a = tmp_path / "a.yaml"
    a.write_text(_DOC + "call: nope\n")
    assert main(["explain", str(a), "--pack", "fr-netflix-audiens"]) == 2
    assert f"{a}:3:7: unknown-call:" in capsys.readouterr().err


def test_evaluate_prints_line_and_column_of_a_bad_field(tmp_path, capsys):
    a = tmp_path / "a.yaml"
    a.write_text(_DOC + "engagements:\n  - days: many\n")
    assert main(["evaluate", str(a), "--pack", "fr-netflix-audiens"]) == 2
    assert f"{a}:4:11: applicant-invalid: `engagements[0].days`" in capsys.readouterr().err
