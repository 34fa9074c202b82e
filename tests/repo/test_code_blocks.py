"""Every console, bash and python block of README.md and docs/ runs and prints what it shows.

The rules a doc follows (they are what this module checks):

* **Where blocks run.** Each Markdown file gets a fresh work folder holding a copy of the
  repository's ``examples/``, ``policies/``, ``benchmarks/``, ``docs/schema/`` and
  ``tests/packs/`` (never the repository itself). Its blocks run in the order they are
  written, in that folder, so a block may use the files an earlier block of the same file
  made. ``fundrules`` and ``python`` are the ones of the interpreter running the tests
  (``fundrules`` through a warm launcher, ``tests/repo/_warm_cli.py``: the same command
  line code, forked from one interpreter that imported it once).
* **console blocks.** A line starting with ``$ `` is a command (run by ``bash -c``); the
  lines after it, up to the next command, are its output (stdout and stderr together, as a
  terminal shows them). In shown output, ``...`` stands for any text, and a line holding
  only ``...`` for any number of lines (timings, left-out criteria). A command shown with
  no output is run and not compared. The exit status must be one fundrules documents (0, 1
  or 2) and no traceback may be printed. A console block with no ``$ `` line is an error.
* **python blocks.** Each runs as a script of its own, in a fresh interpreter (worker
  processes import it as a real file, so the ``__main__`` guard matters). A block marked
  ``<!-- python: continues -->`` uses the names of the python block before it: its script
  is that block's script followed by it. A top-level or indented ``print(...)  # TEXT`` checks that
  this print writes TEXT (``...`` as above). The script must exit 0.
* **bash blocks** are commands without prompts: each must be marked not run.
* **Markers** are HTML comments on the lines just before a block (blank lines allowed):

  - ``<!-- not run: REASON -->``: the block cannot run by nature (installs packages, runs
    for minutes, serves forever); the reason is required;
  - ``<!-- output: not compared (REASON) -->``: the commands run, their output is not
    compared;
  - ``<!-- setup: COMMAND -->``: a shell command run first, in the work folder (the step the
    prose describes, e.g. "copied to my-fund.yaml");
  - ``<!-- file: PATH -->``: the block (yaml, json, text...) is written to PATH;
  - ``<!-- edit PATH: append -->``, ``<!-- edit PATH: insert before "LINE" -->``,
    ``<!-- edit PATH: replace "LINE" [after "TEXT"] -->``: the block is an edit of PATH:
    appended; inserted before the first line starting with LINE; or put in place of the
    YAML item starting at that line (the line and the lines indented deeper below it),
    the first one after a line containing TEXT;
  - ``<!-- edit PATH: "OLD" -> "NEW" -->``: the text OLD of PATH becomes NEW (once).

Any block of a checked language that can neither run nor is marked fails the test.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.repo._warm_cli import warm_bin

ROOT = ROOT
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
COPIED = ["examples", "policies", "benchmarks", "docs/schema", "tests/packs"]
CHECKED = {"console", "python", "bash", "sh", "shell"}
BIN = str(Path(sys.executable).parent)
TIMEOUT = 60                       # seconds, for one command or one python block

# Blocks that cannot carry a marker: README.md's first 15 lines belong to the set-up
# instructions, which are kept free of comments. Keyed by the exact text, so that any change
# to the block makes it unmarked again.
NOT_RUN_ELSEWHERE = {
    ("README.md", "python3 -m venv .venv && CPPFLAGS=\"-DPyEval_CallObject=PyObject_CallObject\" "
     ".venv/bin/pip install --no-cache-dir . && .venv/bin/fundrules evaluate --pack "
     "fr-netflix-audiens examples/applicants/fr-technician-900.yaml\n"
     "python3 -m venv .venv && CPPFLAGS=\"-DPyEval_CallObject=PyObject_CallObject\" "
     ".venv/bin/pip install --no-cache-dir '.[test]' && .venv/bin/python -m pytest\n"):
        "installs a fresh venv from the checkout (what this test runs in) and runs the "
     "whole test suite",
}

MARKER = re.compile(r"^<!--\s*(.*?)\s*-->$")
FENCE = re.compile(r"^```\s*([\w-]*)\s*$")
PRINT = re.compile(r"^(\s*)print\((.*)\)\s+#\s?(.*)$")


@dataclass
class Block:
    """One fenced block of a Markdown file, with the markers just before it."""

    file: str
    line: int                      # the line of the opening fence, 1-based
    lang: str
    text: str
    markers: list[str] = field(default_factory=list)

    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def marker(self, key: str) -> str | None:
        for m in self.markers:
            if m.startswith(key + ":"):
                return m[len(key) + 1:].strip()
        return None


def blocks(text: str, file: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order, with their markers."""
    found: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        markers: list[str] = []
        k = start - 1
        while k >= 0 and (not lines[k].strip() or MARKER.match(lines[k].strip())):
            mm = MARKER.match(lines[k].strip())
            if mm:
                markers.insert(0, mm.group(1))
            k -= 1
        body = "\n".join(lines[start + 1:j]) + "\n"
        found.append(Block(file, start + 1, lang, body if j > start + 1 else "", markers))
        i = j + 1
    return found


def parse_console(text: str) -> list[tuple[str, list[str]]]:
    """The commands of a console block and the output lines shown after each."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"output before the first `$ ` command: {line!r}")
    return steps


def glob_match(expected: str, actual: str) -> bool:
    """Whether `actual` is `expected`, each `...` of which stands for any text (no backtracking)."""
    pieces = expected.split("...")
    if len(pieces) == 1:
        return expected == actual
    head, *middle, tail = pieces
    if not actual.startswith(head) or len(actual) < len(head) + len(tail) \
            or not actual.endswith(tail):
        return False
    at, stop = len(head), len(actual) - len(tail)
    for piece in middle:
        found = actual.find(piece, at, stop)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the actual lines are the expected ones, `...` standing for any text."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip() for a in actual]
    while exp and not exp[-1]:
        exp.pop()
    while act and not act[-1]:
        act.pop()

    def at(i: int, j: int, memo: dict[tuple[int, int], bool]) -> bool:
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(exp):
            ok = j == len(act)
        elif exp[i].strip() == "...":
            ok = at(i + 1, j, memo) or (j < len(act) and at(i, j + 1, memo))
        else:
            ok = j < len(act) and glob_match(exp[i], act[j]) and at(i + 1, j + 1, memo)
        memo[(i, j)] = ok
        return ok

    return at(0, 0, {})


#: The warm ``fundrules`` launcher's folder while the doc files run (``_warm_cli``).
_WARM: list[str] = []


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNDRULES_", "PYTEST_"))}
    env.update(PATH=os.pathsep.join([*_WARM, BIN, env.get("PATH", "")]), NO_COLOR="1",
               COLUMNS="100",
               PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", TZ="UTC", PYTHONDONTWRITEBYTECODE="1",
               # diagnostics at one position (two missing messages) come out in set order,
               # which follows the hash seed: pinned so that the shown order is the printed one
               PYTHONHASHSEED="0")
    return env


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, cwd=cwd, env=_env(), text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else e.stdout
        return subprocess.CompletedProcess(argv, -1, f"(timed out after {TIMEOUT} s)\n{out}")


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(["bash", "-c", command], cwd)


def _yaml_item_end(lines: list[str], start: int) -> int:
    """The end (exclusive) of the YAML item starting at lines[start]."""
    first = lines[start]
    indent = len(first) - len(first.lstrip(" -"))  # a `- key:` item: its keys' column
    base = len(first) - len(first.lstrip(" "))
    end = start + 1
    while end < len(lines):
        line = lines[end]
        col = len(line) - len(line.lstrip(" "))
        if line.strip() and (col <= base or (first.lstrip().startswith("- ") and col < indent)):
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def apply_edit(spec: str, block: Block, cwd: Path) -> None:
    """Apply an `edit PATH: ...` marker to the work folder."""
    m = re.match(r'^(\S+):\s*(.*)$', spec)
    if not m:
        raise ValueError(f"{block.where()}: bad edit marker {spec!r}")
    path, how = cwd / m.group(1), m.group(2)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    new = block.text.splitlines()
    if how == "append":
        text = text.rstrip("\n") + "\n\n" + block.text
    elif sub := re.fullmatch(r'"(.*)" -> "(.*)"', how):
        if sub.group(1) not in text:
            raise ValueError(f"{block.where()}: {sub.group(1)!r} is not in {path.name}")
        text = text.replace(sub.group(1), sub.group(2), 1)
    elif ins := re.fullmatch(r'insert before "(.*)"', how):
        at = next(i for i, line in enumerate(lines) if line.startswith(ins.group(1)))
        text = "\n".join([*lines[:at], *new, *lines[at:]]) + "\n"
    elif rep := re.fullmatch(r'replace "(.*?)"(?: after "(.*)")?', how):
        after = 0
        if rep.group(2):
            after = next(i for i, line in enumerate(lines) if rep.group(2) in line)
        at = next(i for i, line in enumerate(lines) if i >= after
                  and line.startswith(rep.group(1)))
        end = _yaml_item_end(lines, at)
        text = "\n".join([*lines[:at], *new, *lines[end:]]) + "\n"
    else:
        raise ValueError(f"{block.where()}: bad edit marker {spec!r}")
    path.write_text(text, encoding="utf-8")


PRELUDE = textwrap.dedent('''\
    import io as _io, sys as _sys
    def __doc_print(_where, _expected, *args, **kwargs):
        buf = _io.StringIO()
        print(*args, **{k: v for k, v in kwargs.items() if k != "file"}, file=buf)
        got = buf.getvalue()
        _sys.stdout.write(got)
        if not _glob_match(_expected.rstrip(), got.rstrip("\\n")):
            raise AssertionError(f"{_where}: the doc shows {_expected!r}, the print wrote "
                                 f"{got.rstrip()!r}")
    ''')


def python_script(parts: list[Block]) -> str:
    """The script of the last block: the blocks it continues, then it, prints checked."""
    out = [PRELUDE, inspect.getsource(glob_match).replace("def glob_match", "def _glob_match")]
    for b in parts:
        for n, line in enumerate(b.text.splitlines(), start=b.line + 1):
            m = PRINT.match(line)
            if m:
                line = f"{m.group(1)}__doc_print({f'{b.file}:{n}'!r}, {m.group(3)!r}, {m.group(2)})"
            out.append(line)
    return "\n".join(out) + "\n"


def _fail_output(block: Block, command: str, expected: list[str], got: str) -> str:
    return (f"{block.where()}: `{command}` printed something else than the doc shows\n"
            "--- shown\n" + "\n".join(expected) + "\n--- printed\n" + got)


def run_file(doc: Path, rel: str, work: Path, scripts: Path) -> list[str]:
    """Run every block of one Markdown file (named `rel`); the problems found, if any."""
    problems: list[str] = []
    python_so_far: list[Block] = []
    for block in blocks(doc.read_text(encoding="utf-8"), rel):
        reason = block.marker("not run") or NOT_RUN_ELSEWHERE.get((rel, block.text))
        if block.marker("not run") == "":
            problems.append(f"{block.where()}: `not run:` needs a reason")
            continue
        if reason:
            continue
        for setup in (m[len("setup:"):].strip() for m in block.markers if m.startswith("setup:")):
            done = _shell(setup, work)
            if done.returncode:
                problems.append(f"{block.where()}: setup `{setup}` failed:\n{done.stdout}")
        for spec in (m[len("edit "):] for m in block.markers if m.startswith("edit ")):
            try:
                apply_edit(spec, block, work)
            except (ValueError, StopIteration, OSError) as e:
                problems.append(f"{block.where()}: edit {spec!r} failed: {e!r}")
        if (target := block.marker("file")) is not None:
            (work / target).parent.mkdir(parents=True, exist_ok=True)
            (work / target).write_text(block.text, encoding="utf-8")
        compare = block.marker("output") is None
        if block.lang == "console":
            try:
                steps = parse_console(block.text)
            except ValueError as e:
                problems.append(f"{block.where()}: {e}")
                continue
            if not steps:
                problems.append(f"{block.where()}: a console block with no `$ ` command "
                                "(mark it `<!-- not run: why -->` if it cannot run)")
            for command, expected in steps:
                done = _shell(command, work)
                if done.returncode not in (0, 1, 2) or "Traceback (most recent call last)" \
                        in done.stdout:
                    problems.append(f"{block.where()}: `{command}` failed "
                                    f"(exit {done.returncode}):\n{done.stdout[-3000:]}")
                elif compare and any(e.strip() for e in expected) \
                        and not matches(expected, done.stdout.splitlines()):
                    problems.append(_fail_output(block, command, expected, done.stdout))
        elif block.lang == "python":
            if not (block.marker("python") or "").startswith("continues"):
                python_so_far = []
            python_so_far.append(block)
            script = scripts / f"{rel.replace('/', '_')}_{block.line}.py"
            script.write_text(python_script(python_so_far), encoding="utf-8")
            done = _run([sys.executable, str(script)], work)
            if done.returncode:
                problems.append(f"{block.where()}: the python block failed "
                                f"(exit {done.returncode}):\n{done.stdout[-3000:]}")
        elif block.lang in CHECKED:
            problems.append(f"{block.where()}: a {block.lang} block that is not run: write it "
                            "as a console block (`$ ` before each command) or mark it "
                            "`<!-- not run: why -->`")
    return problems


def _prepare(work: Path) -> None:
    for part in COPIED:
        shutil.copytree(ROOT / part, work / part,
                        ignore=shutil.ignore_patterns("__pycache__", ".*"))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[str]]:
    """Every file's problems; the files run two at a time (each in its own folder)."""
    def one(doc: Path) -> tuple[Path, list[str]]:
        name = doc.relative_to(ROOT).as_posix().replace("/", "_")
        work = tmp_path_factory.mktemp(name)
        scripts = tmp_path_factory.mktemp(name + "-scripts")
        _prepare(work)
        return doc, run_file(doc, doc.relative_to(ROOT).as_posix(), work, scripts)

    with warm_bin(_env()) as folder, ThreadPoolExecutor(max_workers=2) as pool:
        _WARM.append(str(folder))
        try:
            return dict(pool.map(one, DOCS))
        finally:
            _WARM.clear()


@pytest.mark.parametrize("doc", DOCS, ids=[d.relative_to(ROOT).as_posix() for d in DOCS])
def test_every_block_runs_and_prints_what_it_shows(doc: Path,
                                                   results: dict[Path, list[str]]) -> None:
    problems = results[doc]
    assert not problems, "\n\n".join(problems)


# --- the checker itself: it must see drift ------------------------------------------------

def _doc(tmp_path: Path, text: str) -> list[str]:
    """The problems run_file finds in a Markdown text outside the repository."""
    (tmp_path / "work").mkdir(parents=True)
    (tmp_path / "scripts").mkdir()
    probe = tmp_path / "probe.md"
    probe.write_text(text, encoding="utf-8")
    return run_file(probe, "probe.md", tmp_path / "work", tmp_path / "scripts")


def _fence(lang: str, body: str) -> str:
    return f"```{lang}\n{body}```\n"


def test_drifted_console_output_fails(tmp_path: Path) -> None:
    good = _fence("console", "$ echo one two\none two\n")
    bad = _fence("console", "$ echo one two\none three\n")
    assert _doc(tmp_path / "a", good) == []
    (problem,) = _doc(tmp_path / "b", bad)
    assert "printed something else than the doc shows" in problem


def test_ellipsis_stands_for_text_and_for_lines() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "b"], ["a", "b"])
    assert matches(["took ... s"], ["took 1.25 s"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert not matches(["took ... s"], ["took 1.25 ms!"])
    assert matches(["....................  [100%]"], ["...  [100%]"])
    assert not glob_match("a...a", "a")


def test_drifted_python_print_fails(tmp_path: Path) -> None:
    assert _doc(tmp_path / "a", _fence("python", "print(1 + 1)  # 2\n")) == []
    (problem,) = _doc(tmp_path / "b", _fence("python", "print(1 + 1)  # 3\n"))
    assert "the doc shows '3', the print wrote '2'" in problem


def test_a_python_block_sees_the_one_it_continues_only(tmp_path: Path) -> None:
    text = _fence("python", "x = 40\n") + "\n<!-- python: continues -->\n" \
        + _fence("python", "print(x + 2)  # 42\n")
    assert _doc(tmp_path / "a", text) == []
    alone = _fence("python", "x = 40\n") + "\n" + _fence("python", "print(x + 2)  # 42\n")
    (problem,) = _doc(tmp_path / "b", alone)
    assert "NameError" in problem


def test_unmarked_blocks_that_cannot_run_fail(tmp_path: Path) -> None:
    assert len(_doc(tmp_path / "a", _fence("bash", "pip install x\n"))) == 1
    assert len(_doc(tmp_path / "b", _fence("console", "fundrules test\n"))) == 1
    assert _doc(tmp_path / "c", "<!-- not run: installs -->\n" + _fence("bash", "pip i x\n")) == []
    assert len(_doc(tmp_path / "d", "<!-- not run: -->\n" + _fence("bash", "pip i x\n"))) == 1


def test_a_failing_command_fails(tmp_path: Path) -> None:
    (problem,) = _doc(tmp_path, _fence("console", "$ exit 3\n"))
    assert "failed (exit 3)" in problem


def test_markers_write_and_edit_files(tmp_path: Path) -> None:
    text = ("<!-- file: a.yaml -->\n" + _fence("yaml", "rules:\n  - id: A\n    when: x\nend: 1\n")
            + "<!-- edit a.yaml: replace \"  - id: A\" -->\n"
            + _fence("yaml", "  - id: B\n    when: y\n")
            + "<!-- edit a.yaml: \"end: 1\" -> \"end: 2\" -->\n"
            + _fence("console", "$ cat a.yaml\nrules:\n  - id: B\n    when: y\nend: 2\n"))
    assert _doc(tmp_path, text) == []


def iter_marked() -> Iterator[tuple[str, str]]:
    """(where, reason) of every block marked not run: the list the docs' owners review."""
    for doc in DOCS:
        rel = doc.relative_to(ROOT).as_posix()
        for b in blocks(doc.read_text(encoding="utf-8"), rel):
            reason = b.marker("not run") or NOT_RUN_ELSEWHERE.get((rel, b.text))
            if reason:
                yield b.where(), reason
