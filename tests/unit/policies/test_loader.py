"""The YAML loader: positions, YAML 1.2 scalars, and safety against hostile packs."""

from __future__ import annotations

import hashlib
import math
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from fundrules.policies.loader import (
    Limits,
    LoadResult,
    Mark,
    Node,
    load_bytes,
    load_file,
    load_text,
)


def load(text: str, **kw: object) -> LoadResult:
    return load_text(textwrap.dedent(text), file="pack.yaml", **kw)  # type: ignore[arg-type]


def where(result: LoadResult) -> list[tuple[str, int | None, int | None]]:
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def node_at(root: Node | None, *steps: str | int) -> Node:
    node = root
    for step in steps:
        assert node is not None
        child = node.get(step) if isinstance(step, str) else node.value[step]  # type: ignore[index]
        assert isinstance(child, Node)
        node = child
    assert node is not None
    return node


PACK = """\
pack: fr-netflix-audiens
calls:
  - id: main
    window: {opens: 2020-04-15, tz: Europe/Paris}
rules:
  - id: FR-C3
    when: qualifying_days >= 12
  - id: "FR-C4"
    when: >-
      intermittent
      and out_of_benefits
"""


# -- positions and paths ----------------------------------------------------------------

def test_positions_of_keys_values_and_nested_items() -> None:
    r = load(PACK)
    assert r.diagnostics == () and r.ok
    root = r.root
    assert root is not None and root.mark == Mark(1, 1) and root.path == ""
    assert root.key_marks["pack"] == Mark(1, 1) and root.key_marks["rules"] == Mark(5, 1)
    assert node_at(root, "pack").mark == Mark(1, 7)
    assert node_at(root, "calls").mark == Mark(3, 3)
    assert node_at(root, "calls", 0).key_marks["window"] == Mark(4, 5)
    opens = node_at(root, "calls", 0, "window", "opens")
    assert (opens.mark, opens.path, opens.value) == (Mark(4, 21), "calls[0].window.opens",
                                                     "2020-04-15")
    when = node_at(root, "rules", 1, "when")
    assert when.path == "rules[1].when" and when.style == ">"
    assert node_at(root, "rules", 1, "id").style == '"'
    start = PACK.index("qualifying_days")
    assert node_at(root, "rules", 0, "when").source_span == (start, start + 21)


def test_odd_keys_are_quoted_in_paths() -> None:
    r = load("a.b:\n  - x\n'c d': 1\n")
    assert node_at(r.root, "a.b", 0).path == '["a.b"][0]'
    assert node_at(r.root, "c d").path == '["c d"]'


def test_to_plain_and_get() -> None:
    r = load(PACK)
    assert r.root is not None
    plain = r.root.to_plain()
    assert isinstance(plain, dict)
    assert plain["rules"][1] == {"id": "FR-C4", "when": "intermittent and out_of_benefits"}
    assert r.root.get("missing") is None and node_at(r.root, "pack").get("x") is None
    assert r.root.is_mapping() and node_at(r.root, "calls").is_sequence()
    assert node_at(r.root, "pack").is_scalar()


def test_digest_is_sha256_of_raw_bytes() -> None:
    data = b"\xef\xbb\xbfa: 1\n"
    r = load_bytes(data, file="x.yaml")
    assert r.digest == hashlib.sha256(data).hexdigest() and r.text == "a: 1\n" and r.ok
    assert node_at(r.root, "a").mark == Mark(1, 4)


def test_crlf_line_ends() -> None:
    r = load_text("a: 1\r\nb:\r\n  - x\r\n", file="f")
    assert node_at(r.root, "b", 0).mark == Mark(3, 5)


# -- YAML 1.2 core schema ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("NO", "NO"), ("no", "no"), ("yes", "yes"), ("on", "on"), ("Off", "Off"), ("y", "y"),
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False),
    ("tRue", "tRue"), ("~", None), ("null", None), ("Null", None), ("NULL", None), ("", None),
    ("12", 12), ("-7", -7), ("+3", 3), ("012", 12),
    ("1.5", 1.5), ("1e3", 1000.0), ("-2.5E-1", -0.25), (".5", 0.5), (".inf", math.inf),
    ("-.inf", -math.inf), ("15_000", "15_000"), ("1,000", "1,000"), ("0b101", "0b101"),
    ("2020-04-15", "2020-04-15"), ("2020-04-15T10:00:00+02:00", "2020-04-15T10:00:00+02:00"),
    ("12:30", "12:30"), ("'12'", "12"), ('"true"', "true"), ("'~'", "~"), ("!!str 12", "12"),
    ("!!float 1", 1.0), ("!!int '7'", 7), ("! 12", "12"),
])
def test_scalars_follow_yaml_1_2(text: str, expected: object) -> None:
    r = load(f"v: {text}\n")
    assert r.diagnostics == ()
    value = node_at(r.root, "v").value
    assert value == expected and type(value) is type(expected)


def test_nan() -> None:
    value = node_at(load("v: .nan\n").root, "v").value
    assert isinstance(value, float) and math.isnan(value)


def test_plain_non_string_keys_keep_their_source_text() -> None:
    r = load("2019: a\ntrue: b\n0x10: c\nnull: d\n1.50: e\n")
    assert r.root is not None and list(r.root.value) == ["2019", "true", "0x10", "null", "1.50"]  # type: ignore[call-overload]


def test_tag_that_does_not_fit_the_value_is_wrong_type() -> None:
    r = load("a: !!int x\nb: !!map 1\n")
    assert where(r) == [("wrong-type", 1, 4), ("wrong-type", 2, 4)]
    assert node_at(r.root, "a").value == "x"


# -- keys -------------------------------------------------------------------------------

def test_duplicate_key_is_reported_at_its_second_occurrence() -> None:
    r = load("""\
        rules:
          - id: A
            when: x
            then: y
            when: z
        """)
    assert where(r) == [("yaml-duplicate-key", 5, 5)]
    d = r.diagnostics[0]
    assert d.path == "rules[0].when" and d.file == "pack.yaml"
    assert d.message == "the key `when` appears twice in this mapping"
    assert d.hint == "keep one `when` (the first is at line 3, column 5)"
    assert node_at(r.root, "rules", 0, "when").value == "x" and not r.ok


def test_complex_and_merge_keys_are_wrong_type() -> None:
    r = load("? [a, b]\n: 1\nbase: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")
    assert where(r) == [("wrong-type", 1, 3), ("wrong-type", 5, 3)]
    assert "merge keys" in r.diagnostics[1].message
    assert r.root is not None and r.root.to_plain() == {"base": {"x": 1}, "c": {"y": 2}}
    assert node_at(load("'<<': 1\n").root, "<<").value == 1  # a quoted `<<` is a plain key


# -- safety -----------------------------------------------------------------------------

def test_python_tags_are_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "hacked"
    r = load(f'a: !!python/object/apply:os.system ["touch {marker}"]\n'
             "b: !!python/name:os.system\n"
             "c: !custom {x: 1}\n"
             "d: &x !!python/object:os.system y\n")
    assert where(r) == [("yaml-tag", 1, 4), ("yaml-tag", 2, 4), ("yaml-tag", 3, 4),
                        ("yaml-tag", 4, 7)]
    assert r.diagnostics[0].message == "the tag `!!python/object/apply:os.system` is not allowed"
    assert r.diagnostics[0].path == "a" and not r.ok
    assert not marker.exists()
    assert node_at(r.root, "a").to_plain() == [f"touch {marker}"]  # plain data at most


#: Hang guards (pytest-timeout, per test): the inputs below would run for hours, or
#: exhaust memory, without their limits; each test takes a second or two, so a limit 100
#: times that cannot fail on a slow or loaded machine. What is bounded is counted, not
#: timed: values built (memory traced), bytes read from the file.
HANG = pytest.mark.timeout(300)


def _bytes_read() -> int | None:
    """Bytes this process has read through system calls (Linux), or None."""
    try:
        io = Path("/proc/self/io").read_text()
    except OSError:
        return None
    return int(next(line for line in io.splitlines() if line.startswith("rchar:")).split()[1])


@HANG
def test_billion_laughs_is_stopped_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    tracemalloc.start()
    try:
        r = load("\n".join(lines) + "\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 9**9 = 387,420,489 values expanded would take gigabytes; the limit stops it at
    # Limits().max_nodes values, a few megabytes (docs/limits.md has timings)
    assert peak < 128 * 1024 * 1024, f"{peak:,} bytes allocated: the expansion was not stopped"
    assert r.root is None and [d.code for d in r.diagnostics] == ["yaml-limit"]
    assert "aliases counted expanded" in r.diagnostics[0].message


def test_alias_count_limit() -> None:
    r = load("a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n")
    assert where(r) == [("yaml-limit", 2, 5 + 4 * 100)]


def test_aliases_are_expanded_with_their_own_paths() -> None:
    r = load("base: &b {x: [1]}\nother: *b\n")
    assert r.ok and node_at(r.root, "other", "x", 0).path == "other.x[0]"
    assert node_at(r.root, "other", "x", 0).mark == Mark(1, 15)  # where it is written


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: *nope\n", 1, 4),
    ("a: &a [1, *a]\n", 1, 11),
])
def test_bad_aliases(text: str, line: int, column: int) -> None:
    r = load(text)
    assert r.root is None and where(r) == [("yaml-syntax", line, column)]


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000,
    "{a: " * 5_000 + "1" + "}" * 5_000,
    "".join(" " * i + "- \n" for i in range(900)),
    "".join(" " * i + f"k{i}:\n" for i in range(900)),
])
def test_deep_nesting_is_a_limit_not_a_crash(text: str) -> None:
    r = load_text(text, file="deep.yaml")
    assert r.root is None and [d.code for d in r.diagnostics] == ["yaml-limit"]
    assert r.diagnostics[0].message == "the YAML is nested more than 64 levels deep"


def test_depth_limit_position() -> None:
    r = load_text("[" * 70 + "]" * 70, file="d")
    assert where(r) == [("yaml-limit", 1, 65)]
    assert load_text("[" * 64 + "]" * 64, file="d").ok


def test_other_limits() -> None:
    assert where(load("a: " + "x" * 101 + "\n", limits=Limits(max_scalar_chars=100))) == [
        ("yaml-limit", 1, 4)]
    assert where(load("[1, 2, 3, 4]\n", limits=Limits(max_nodes=4))) == [("yaml-limit", 1, 11)]
    assert where(load("n: " + "9" * 5000 + "\n")) == [("yaml-limit", 1, 4)]
    long_key = "? " + "k" * 90_000 + "\n: [" + "1," * 400_000 + "1]\n"
    assert [d.code for d in load_text(long_key, file="f").diagnostics] == ["yaml-limit"]


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (3 * 1024 * 1024) + b"\n")
    r = load_file(big)
    assert where(r) == [("yaml-limit", 1, 1)] and r.root is None and r.text == ""
    assert r.diagnostics[0].file == str(big)
    assert where(load_bytes(big.read_bytes(), file="b")) == [("yaml-limit", 1, 1)]
    assert where(load_text(big.read_text(), file="b")) == [("yaml-limit", 1, 1)]


@HANG
def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.yaml"
    with open(sparse, "wb") as fh:
        fh.truncate(8 * 1024**3)  # 8 GiB of nothing: reading it would take long
    before = _bytes_read()
    assert where(load_file(sparse)) == [("yaml-limit", 1, 1)]
    after = _bytes_read()
    if before is not None and after is not None:  # counted where the OS counts (Linux)
        assert after - before < Limits().max_bytes, f"{after - before:,} bytes read"


@HANG
def test_a_2mb_pack_loads_fast() -> None:
    chunk = textwrap.dedent("""\
          - id: FR-C{i}
            when: qualifying_days >= 12 and contract in [cdd, cddu]
            then: minimum_activity_{i}
            message:
              fr: "Au moins 12 jours ou cachets entre septembre 2019 et février 2020"
              en: "At least 12 days or cachets between September 2019 and February 2020"
        """)
    text = "rules:\n" + "".join(chunk.format(i=i) for i in range(7000))
    assert len(text.encode()) < Limits().max_bytes
    r = load_text(text, file="big.yaml")  # HANG bounds it; benchmarks/hostile.py measures it
    assert r.ok and len(node_at(r.root, "rules").value) == 7000  # type: ignore[arg-type]


# -- syntax and reading errors ----------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ("a: b: c\n", 1, 5, "a `:` is not allowed here"),
    ("a: 1\n b: 2\n", 2, 3, "a `:` is not allowed here"),
    ("a:\n\t- x\n", 2, 1, "a tab cannot indent YAML"),
    ("a: @x\n", 1, 4, "a value cannot start with `@`"),
    ("a: [1, 2\nb: 3\n", 2, 2, "expected `,` or `]` in the list opened at line 1, column 4"),
    ("a: 'x\n", 2, 1, "the quoted text starting at line 1, column 4 is never closed"),
    ("- a\nb: 1\n", 2, 1, "this line does not line up with the lines above it"),
    ("a: \x07\n", 1, 4, "the file contains the invisible control character U+0007"),
    ("a: 1\n---\nb: 2\n", 2, 1, "the file holds more than one YAML document"),
])
def test_syntax_errors_are_located(text: str, line: int, column: int, message: str) -> None:
    r = load_text(text, file="bad.yaml")
    assert r.root is None and where(r) == [("yaml-syntax", line, column)]
    d = r.diagnostics[0]
    assert d.message == message and d.hint and d.file == "bad.yaml"
    assert d.message[0].islower() and not d.message.endswith(".")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    r = load_text(text, file="e.yaml")
    assert r.root is None and where(r) == [("yaml-syntax", 1, 1)]
    assert r.diagnostics[0].message == "the file is empty"


def test_non_utf8_bytes_are_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nb: café\n".encode("latin-1"))
    r = load_file(path)
    assert r.root is None and where(r) == [("file-unreadable", 2, 7)]
    assert r.diagnostics[0].message == "the file is not UTF-8 text (byte 0xe9 cannot be read)"
    assert where(load_text("a: \ud800\n", file="s")) == [("file-unreadable", 1, 4)]


def test_missing_file_and_directory_are_unreadable(tmp_path: Path) -> None:
    missing = load_file(tmp_path / "nope.yaml")
    assert where(missing) == [("file-unreadable", None, None)] and missing.digest == ""
    assert f"`{tmp_path / 'nope.yaml'}`" in missing.diagnostics[0].message
    assert missing.diagnostics[0].file == str(tmp_path / "nope.yaml")
    directory = load_file(tmp_path)
    assert where(directory) == [("file-unreadable", None, None)]
    assert directory.diagnostics[0].message == f"`{tmp_path}` is a directory, not a file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    real_open = open

    def denied(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(path):  # chmod 0 does not stop root (CI), so deny it here
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", denied)
    result = load_file(path)
    assert where(result) == [("file-unreadable", None, None)]
    assert result.diagnostics[0].message == f"cannot read `{path}`: permission denied"


def test_load_file_reads_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PACK, encoding="utf-8")
    r = load_file(path)
    assert r.ok and r.text == PACK and node_at(r.root, "rules", 0, "id").value == "FR-C3"
    assert r.digest == hashlib.sha256(PACK.encode()).hexdigest()


# -- position_of ------------------------------------------------------------------------

def test_position_of_plain_scalar() -> None:
    when = node_at(load("rule:\n  when: qualifying_days >= >12\n").root, "rule", "when")
    assert when.position_of(0) == Mark(2, 9)
    assert when.position_of(19) == Mark(2, 28)  # the second `>`
    assert when.position_of(len("qualifying_days >= >12")) == Mark(2, 31)


def test_position_of_quoted_scalars() -> None:
    r = load("""a: 'it''s x'\nb: "tab\\there x"\nc: "\\u00e9 x"\n""")
    a, b, c = (node_at(r.root, k) for k in "abc")
    assert a.value == "it's x" and a.position_of(0) == Mark(1, 5)
    assert a.position_of(5) == Mark(1, 11)  # `x`, after the doubled quote
    assert b.value == "tab\there x" and b.position_of(9) == Mark(2, 15)
    assert c.value == "é x" and c.position_of(2) == Mark(3, 12)


def test_position_of_literal_block() -> None:
    r = load("rules:\n  - when: |\n      a >= 1\n      and b >= >2\n")
    when = node_at(r.root, "rules", 0, "when")
    assert when.value == "a >= 1\nand b >= >2\n"
    assert when.position_of(0) == Mark(3, 7)
    assert when.position_of(when.value.index(">2")) == Mark(4, 16)


def test_position_of_literal_block_with_indentation_indicator() -> None:
    when = node_at(load("when: |2\n     a\n    b >= >2\n").root, "when")
    assert when.value == "   a\n  b >= >2\n"
    assert when.position_of(when.value.index(">2")) == Mark(3, 10)


def test_position_of_folded_and_multiline_plain_best_effort() -> None:
    r = load("a: >\n  x and\n  y >= >2\nb: x and\n  y >= >2\n")
    for key in "ab":
        node = node_at(r.root, key)
        assert isinstance(node.value, str)
        assert node.position_of(node.value.index(">2")) == Mark(3 if key == "a" else 5, 8)


def test_position_of_non_string_is_the_mark() -> None:
    node = node_at(load("a: 12\n").root, "a")
    assert node.position_of(1) == node.mark == Mark(1, 4)


def test_pure_python_parser_gives_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml, PyYAML's own (slower) parser must give the same trees and errors."""
    import yaml

    import fundrules.policies.loader as loader

    samples = [PACK, "a: b: c\n", "a: !!python/name:os.system\n", "a: 1\na: 2\n",
               "[" * 100 + "]" * 100, "x: 'it''s'\n", "a: [1, 2\nb: 3\n"]
    fast = [load_text(s, file="f") for s in samples]
    monkeypatch.setattr(loader, "_LOADER", yaml.SafeLoader)
    slow = [load_text(s, file="f") for s in samples]
    for a, b in zip(fast, slow, strict=True):
        assert where(a) == where(b)
        assert (a.root and a.root.to_plain()) == (b.root and b.root.to_plain())
        assert a.root == b.root


@pytest.mark.parametrize(("text", "base", "decimal"), [("0x1F", 16, 31), ("0o17", 8, 15)])
def test_numbers_in_another_base_are_refused_where_written(text: str, base: int,
                                                          decimal: int) -> None:
    """YAML 1.2 reads `0x1F` as 31; in a pack or an applicant it is a slip: say so."""
    r = load(f"a: 1\nv: {text}\n")
    (d,) = r.diagnostics
    assert (d.code, d.line, d.column, d.path) == ("invalid-value", 2, 4, "v")
    assert d.message == f"`{text}` is a number written in base {base}"
    assert d.hint == f"write it in decimal (`{decimal}`), or quote it if it is text"
