"""Batch and CLI that never lose a user's data (issue 14 part 4).

An output that is an input is refused; the output is renamed into place at the end; an
interrupted batch resumes to the same bytes; a stuck input times out alone; a full disk,
an I/O error or a closed pipe end in one line and their exit code; stdin and gzip inputs;
an over-long line is refused without holding it.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing import connection
from pathlib import Path
from typing import Any

import pytest

import fundrules.batch._records
import fundrules.cli._batch
import fundrules.parallel._worker
from fundrules import Engine
from fundrules.batch import (
    Failure,
    Input,
    InputSource,
    evaluate_inputs,
    render_inputs,
    synthesize,
)
from fundrules.cli import ExitCode, main
from fundrules.io import MAX_LINE_BYTES, MAX_LINE_VALUES
from tests.conftest import ROOT
from tests.integration.batch._sleepy import Sleepy, outcome_of
from tests.integration.batch.conftest import write_population

PACKS = ["it-ifc-netflix", "fr-netflix-audiens"]



def _batch(*args: str) -> list[str]:
    out = ["batch", *args]
    for pack in PACKS:
        out += ["--pack", pack]
    return out


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 applicants with malformed lines and a blank line among them."""
    path = tmp_path_factory.mktemp("pop") / "mixed.jsonl"
    write_population(path, 300, 21, None, malformed_every=41)
    return path


@pytest.fixture(scope="module")
def reference(population: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The records of an uninterrupted run."""
    out = tmp_path_factory.mktemp("ref") / "ref.jsonl"
    assert main(_batch(str(population), "--out", str(out), "--jobs", "1")) == 1
    data = out.read_bytes()
    assert data.count(b"\n") > 500 and not Path(f"{out}.partial").exists()
    return data


# --- the output is never an input ------------------------------------------------------

def test_out_that_is_the_input_is_refused_and_the_input_kept(
        population: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(population.read_bytes())
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    hard = tmp_path / "hard.jsonl"
    os.link(source, hard)
    for out in (source, link, hard, tmp_path / "sub" / ".." / "in.jsonl"):
        assert main(_batch(str(source), "--out", str(out))) == ExitCode.BAD_INPUT
        err = capsys.readouterr().err
        assert "is an input of this command" in err and "write the records somewhere else" in err
    assert source.read_bytes() == population.read_bytes()
    assert not list(tmp_path.glob("*.partial"))


def test_out_inside_an_input_folder_or_a_packs_path_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "applicants"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(next(synthesize(1, 1, "FR"))))
    assert main(["batch", str(folder), "--pack", "fr-netflix-audiens",
                 "--out", str(folder / "out.jsonl")]) == ExitCode.BAD_INPUT
    assert f"(`{folder}`)" in capsys.readouterr().err
    pack = tmp_path / "pack.yaml"
    pack.write_text((ROOT / "policies" / "fr-netflix-audiens.yaml").read_text())
    assert main(["batch", str(folder / "a.json").replace("a.json", ""), "--pack",
                 "fr-netflix-audiens", "--packs", str(pack), "--out", str(pack)]) == 2
    assert "is an input" in capsys.readouterr().err
    assert pack.read_text() == (ROOT / "policies" / "fr-netflix-audiens.yaml").read_text()
    assert sorted(p.name for p in folder.iterdir()) == ["a.json"]


# --- interrupted, then resumed ---------------------------------------------------------

def _interrupt_after(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Make the batch's evaluation raise KeyboardInterrupt after ``n`` results (Ctrl-C)."""
    real = fundrules.cli._batch.render_inputs

    def stopping(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for done, result in enumerate(real(*args, **kwargs)):
            if done == n:
                raise KeyboardInterrupt
            yield result

    monkeypatch.setattr(fundrules.cli._batch, "render_inputs", stopping)


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.processes)])
def test_interrupted_batch_keeps_the_previous_file_then_resumes_to_the_same_bytes(
        jobs: str, population: Path, reference: bytes, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "decisions.jsonl"
    out.write_text("the previous run's records\n")
    partial = Path(f"{out}.partial")
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 100)
        assert main(_batch(str(population), "--out", str(out), "--jobs", jobs)) == 130
    err = capsys.readouterr().err
    assert f"`{partial}`" in err and "--resume" in err and "is unchanged" in err
    assert out.read_text() == "the previous run's records\n"  # nothing lost
    assert partial.read_bytes().count(b"\n") == 200  # 100 inputs x 2 packs
    assert reference.startswith(partial.read_bytes())
    # without --resume, the interrupted records are not thrown away
    assert main(_batch(str(population), "--out", str(out))) == ExitCode.BAD_INPUT
    assert "run the same command with --resume" in capsys.readouterr().err
    assert main(_batch(str(population), "--out", str(out), "--jobs", jobs,
                       "--resume")) == 1
    err = capsys.readouterr().err
    assert "100 inputs already decided" in err
    assert out.read_bytes() == reference and not partial.exists()
    # the summary counts the whole batch, not only the resumed part
    inputs = reference.count(b"\n") // 2
    assert f"{inputs} inputs; 1 blank line skipped" in err


@pytest.mark.parametrize("cut", ["mid-line", "mid-input", "at-an-input"])
def test_resume_from_a_truncated_output(cut: str, population: Path, reference: bytes,
                                        tmp_path: Path) -> None:
    """The output cut anywhere: a partial last line and a half-written input are redone."""
    lines = reference.splitlines(keepends=True)
    keep = {"mid-line": b"".join(lines[:241]) + lines[241][:57],
            "mid-input": b"".join(lines[:241]),      # 120 inputs and one of two packs
            "at-an-input": b"".join(lines[:240])}[cut]
    out = tmp_path / "decisions.jsonl"
    out.write_bytes(keep)
    assert main(_batch(str(population), "--out", str(out), "--jobs", "2", "--resume")) == 1
    assert out.read_bytes() == reference


def test_resume_of_a_killed_process(population: Path, reference: bytes, tmp_path: Path) -> None:
    """SIGKILL (no clean-up at all) while the batch writes; the resumed output is whole."""
    out = tmp_path / "decisions.jsonl"
    partial = Path(f"{out}.partial")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "fundrules", *_batch(str(population), "--out", str(out),
                                                         "--jobs", "1")]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and not (
            partial.exists() and partial.stat().st_size > 0):
        time.sleep(0.005)
    process.kill()
    process.wait()
    assert not out.exists() or out.read_bytes() == reference
    done = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert out.read_bytes() == reference


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == ExitCode.BAD_INPUT
    return capsys.readouterr().err


def test_resume_refuses_records_of_another_batch(population: Path, reference: bytes,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "decisions.jsonl"
    head = b"".join(reference.splitlines(keepends=True)[:100])

    def attempt(data: bytes, args: list[str]) -> str:
        out.write_bytes(data)
        err = _refused(args, capsys)
        assert out.read_bytes() == data and not Path(f"{out}.partial").exists()  # untouched
        return err

    resume = ["--out", str(out), "--resume"]
    # the packs in another order
    err = attempt(head, ["batch", str(population), "--pack", PACKS[1], "--pack", PACKS[0],
                         *resume])
    assert f"{out}:1: " in err and "same order" in err
    # one pack fewer
    assert "where the records of line 1 go on" not in err
    err = attempt(head, ["batch", str(population), "--pack", PACKS[0], *resume])
    assert f"{out}:2: " in err
    # another input: the same lines shifted by one, or other applicants
    shifted = tmp_path / "shifted.jsonl"
    shifted.write_bytes(b"\n" + population.read_bytes())
    err = attempt(head, _batch(str(shifted), *resume))
    assert "it is not the input of that batch" in err
    other = tmp_path / "other.jsonl"
    write_population(other, 300, 22, None, malformed_every=41)
    err = attempt(head, _batch(str(other), *resume))
    assert "applicant `syn-" in err and "it is not the input of that batch" in err
    short = tmp_path / "short.jsonl"
    short.write_text("".join(population.read_text().splitlines(keepends=True)[:10]))
    assert "INPUT has only 10" in attempt(head, _batch(str(short), *resume))
    # decided by another version of a pack
    stale = head.replace(b'"pack_digest":"', b'"pack_digest":"0', 1)
    assert "another version of `it-ifc-netflix`" in attempt(stale, _batch(str(population),
                                                                          *resume))
    # a damaged record in the middle (not a line cut short at the end)
    lines = head.splitlines(keepends=True)
    damaged = b"".join([*lines[:50], b'{"line": 26, "pack": "it-ifc-netflix"}\n', *lines[51:]])
    err = attempt(damaged, _batch(str(population), *resume))
    assert f"{out}:51: this record cannot be continued" in err
    assert "--resume needs --out" in _refused(_batch(str(population), "--resume"), capsys)


def test_resume_with_nothing_written_starts_from_the_first_input(
        population: Path, reference: bytes, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new.jsonl"
    assert main(_batch(str(population), "--out", str(out), "--resume", "--jobs", "1")) == 1
    assert "starting from the first input" in capsys.readouterr().err
    assert out.read_bytes() == reference


# --- a stuck input ---------------------------------------------------------------------

@pytest.mark.processes
def test_the_limit_holds_when_this_process_is_descheduled_after_sending(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker may start (and get stuck on) an input before the sender runs again.

    Simulated: every send returns 0.3 s late, as on a loaded machine. The stuck input
    (the first of its chunk, decided at once) must still time out after 0.5 s, not
    after the 60 s a worker is given to start.
    """
    real = connection.Connection.send

    def late(self: connection.Connection, obj: object) -> None:
        real(self, obj)
        time.sleep(0.3)

    monkeypatch.setattr(connection.Connection, "send", late)
    people = list(synthesize(70, 4, "ES"))
    items = [Input("item", i, p) for i, p in enumerate(people)]
    items[64] = Input("item", 64, Sleepy(people[64], 30))  # the first of the second chunk
    pack = Engine().pack("es-academia-netflix")
    started = time.monotonic()
    results = list(evaluate_inputs(items, [pack], jobs=2, timeout=0.5))
    assert time.monotonic() - started < 20  # the stuck input alone sleeps 30 s
    failed = [r.at for r in results if isinstance(r.results[0], Failure)]
    assert failed == [64]


@pytest.mark.processes
def test_the_limit_holds_for_a_worker_stuck_before_anything_wakes_the_parent() -> None:
    """Both workers stuck on their first input, before the parent looked at them again.

    When the parent last looked, neither had started (they were preparing their packs),
    so each was within its start-up grace of 60 s; then each started and got stuck, and
    no answer came to wake the parent. It must look again within the limit, not sleep
    until the grace ends.
    """
    people = list(synthesize(128, 4, "ES"))
    items = [Input("item", i, p) for i, p in enumerate(people)]
    for stuck in (0, 64):  # the first input of each chunk
        items[stuck] = Input("item", stuck, Sleepy(people[stuck], 30))
    pack = Engine().pack("es-academia-netflix")
    started = time.monotonic()
    results = list(evaluate_inputs(items, [pack], jobs=2, timeout=0.5))
    assert time.monotonic() - started < 20  # each stuck input alone sleeps 30 s
    assert [r.at for r in results if isinstance(r.results[0], Failure)] == [0, 64]


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.processes)])
def test_a_stuck_input_times_out_alone_and_the_batch_goes_on(jobs: int) -> None:
    people = list(synthesize(300, 4, "ES"))
    items = [Input("item", i, p) for i, p in enumerate(people)]
    for stuck in (100, 250):
        items[stuck] = Input("item", stuck, Sleepy(people[stuck], 60))
    items[251] = Input("item", 251, Sleepy(people[251], 0.01))  # slow, within the limit
    pack = Engine().pack("es-academia-netflix")
    started = time.monotonic()
    results = list(evaluate_inputs(items, [pack], jobs=jobs, timeout=0.5))
    assert time.monotonic() - started < 45  # far less than one stuck input's 60 s
    assert [r.at for r in results] == list(range(300))
    failed = {r.at: r.results[0] for r in results if isinstance(r.results[0], Failure)}
    assert sorted(failed) == [100, 250]
    assert {f.diagnostics[0].code for f in failed.values()} == {"decision-timeout"}
    assert "0.5 s" in failed[100].diagnostics[0].message
    assert results[251].results[0].applicant == people[251]["id"]  # type: ignore[union-attr]


def test_an_input_stuck_in_this_process_times_out_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Python backend, 2 jobs: this process decides chunks too, under the same limit.

    The first input this process reads hangs (the workers read theirs unpatched); it is
    interrupted here after the limit and every other input is decided.
    """
    real = fundrules.parallel._worker.parse_input
    hung: list[object] = []

    def first_one_hangs(item: Input) -> Any:
        if not hung:
            hung.append(item.at)
            time.sleep(30)
        return real(item)

    monkeypatch.setattr(fundrules.parallel._worker, "parse_input", first_one_hangs)
    lines = [json.dumps(a) + "\n" for a in synthesize(400, 4, "ES")]
    items = [Input("line", i + 1, text) for i, text in enumerate(lines)]
    pack = Engine(backend="python").pack("es-academia-netflix")
    started = time.monotonic()
    results = list(evaluate_inputs(items, [pack], backend="python", jobs=2, timeout=0.5))
    assert time.monotonic() - started < 20  # the hung input alone sleeps 30 s
    assert [r.at for r in results] == list(range(1, 401))
    failed = [r for r in results if isinstance(r.results[0], Failure)]
    assert len(hung) == 1 and [r.at for r in failed] == hung
    assert failed[0].results[0].diagnostics[0].code == "decision-timeout"


def test_cli_timeout_gives_the_stuck_line_an_error_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in synthesize(6, 2, "ES")))
    real = fundrules.parallel._worker.parse_input

    def hangs_on_line_3(item: Input) -> Any:
        if item.at == 3:
            time.sleep(60)
        return real(item)

    monkeypatch.setattr(fundrules.parallel._worker, "parse_input", hangs_on_line_3)
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(source), "--pack", "es-academia-netflix", "--jobs", "1",
                 "--timeout", "0.3", "--out", str(out)]) == 1
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [("error" in r) for r in records] == [False, False, True, False, False, False]
    assert records[2]["error"]["diagnostics"][0]["code"] == "decision-timeout"
    assert "5 error" not in capsys.readouterr().err


class _KillsItsWorker(dict[str, Any]):
    """Unpickling it ends the worker process at once, as a crash in native code would."""

    def __reduce__(self) -> Any:
        return (os._exit, (3,))


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.processes)])
def test_render_inputs_renders_every_result_in_the_workers_and_here(jobs: int) -> None:
    """What the workers send back is rendered; so are the failures the parent makes."""
    people: list[Any] = list(synthesize(300, 4, "ES"))
    items = [Input("item", i, p) for i, p in enumerate(people)]
    if jobs > 1:
        items[70] = Input("item", 70, _KillsItsWorker(people[70]))  # failure made here
    items[200] = Input("item", 200, Sleepy(people[200], 60))
    pack = Engine().pack("es-academia-netflix")
    rendered = list(render_inputs(items, [pack], outcome_of, jobs=jobs, timeout=0.5))
    plain = list(evaluate_inputs(items[:60], [pack]))
    assert rendered[:60] == [outcome_of(r) for r in plain]
    assert [r[1] for r in rendered] == list(range(300))
    codes = {r[2] for r in rendered}
    assert codes - {"eligible", "ineligible", "incomplete"} == (
        {"engine-failure", "decision-timeout"} if jobs > 1 else {"decision-timeout"})
    assert rendered[200][2] == "decision-timeout"


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_bad_timeout_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "x.jsonl", "--pack", "fr-netflix-audiens", "--timeout", value]) == 2
    assert "--timeout" in capsys.readouterr().err


# --- full disk, I/O errors, closed pipe ------------------------------------------------

def _cli(*args: str, stdout: Any = subprocess.PIPE, stdin: Any = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "fundrules", *args], env=env, stdout=stdout,
                          stdin=stdin, stderr=subprocess.PIPE, text=True, timeout=300,
                          check=False, cwd=cwd)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [
    ["batch", "{pop}", "--pack", "fr-netflix-audiens", "--out", "/dev/full", "--jobs", "1"],
    ["batch", "{pop}", "--pack", "fr-netflix-audiens", "--jobs", "1"],
    ["synth", "--n", "50", "--out", "/dev/full"],
    ["synth", "--n", "50"],
    ["allocate", "{pop}", "--pack", "fr-netflix-audiens", "--jobs", "1"],
    ["diff", "{pack}", "{pack}", "--population", "{pop}", "--jobs", "1"],
])
def test_a_full_disk_ends_in_one_line_and_exit_3(args: list[str], population: Path) -> None:
    pack = str(ROOT / "policies" / "fr-netflix-audiens.yaml")
    args = [a.format(pop=population, pack=pack) for a in args]
    with open("/dev/full", "w") as full:
        done = _cli(*args, stdout=full)
    assert done.returncode == ExitCode.OUTPUT_FAILED, done.stderr
    lines = [line for line in done.stderr.splitlines() if "no space left on device" in line]
    assert len(lines) == 1 and "Traceback" not in done.stderr


def test_a_full_disk_keeps_the_previous_output(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """ENOSPC in the middle of --out FILE: FILE as it was, the partial output named."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in synthesize(200, 2, "ES")))
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    real = fundrules.batch._records.record_lines

    def disk_fills(result: Any, packs: Any) -> list[str]:
        if result.at == 150:
            raise OSError(28, "No space left on device")
        return real(result, packs)

    monkeypatch.setattr(fundrules.batch._records, "record_lines", disk_fills)
    assert main(["batch", str(source), "--pack", "es-academia-netflix", "--jobs", "1",
                 "--out", str(out)]) == ExitCode.OUTPUT_FAILED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no space left on device" in err
    assert f"`{out}.partial`" in err and "is unchanged" in err
    assert out.read_text() == "previous\n"
    assert Path(f"{out}.partial").read_text().count("\n") == 149


@pytest.mark.parametrize("command", [
    ["batch", "{pop}", "--pack", "fr-netflix-audiens", "--jobs", "2"],
    ["synth", "--n", "20000"],
])
def test_a_closed_pipe_exits_141_without_a_traceback(command: list[str],
                                                     population: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [a.format(pop=population) for a in command]
    process = subprocess.Popen([sys.executable, "-m", "fundrules", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"{")
    process.stdout.close()  # the reader goes away, as `| head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == ExitCode.BROKEN_PIPE
    assert "Traceback" not in err and "Error" not in err


# --- inputs: stdin, gzip, over-long lines ----------------------------------------------

def test_stdin_and_gzip_inputs_give_the_same_records(population: Path, reference: bytes,
                                                     tmp_path: Path) -> None:
    packed = tmp_path / "mixed.jsonl.gz"
    with gzip.open(packed, "wb") as fh:
        fh.write(population.read_bytes())
    out = tmp_path / "gz.jsonl"
    assert main(_batch(str(packed), "--out", str(out), "--jobs", "2")) == 1
    # the same records, naming the file read
    assert out.read_bytes() == reference.replace(
        json.dumps(str(population)).encode(), json.dumps(str(packed)).encode())
    with open(population, "rb") as stdin:
        done = _cli(*_batch("-", "--jobs", "1"), stdin=stdin)
    assert done.returncode == 1, done.stderr
    assert done.stdout.encode() == reference.replace(
        json.dumps(str(population)).encode(), b'"<stdin>"')


def test_a_corrupt_gzip_input_stops_with_its_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    packed = tmp_path / "cut.jsonl.gz"
    body = "".join(json.dumps(a) + "\n" for a in synthesize(400, 2, "FR")).encode()
    packed.write_bytes(gzip.compress(body)[:-5000])  # the end of the file is missing
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(packed), "--pack", "fr-netflix-audiens", "--jobs", "1",
                 "--out", str(out)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "file-unreadable" in err and f"cannot read `{packed}`" in err
    assert "(after line" in err and "--resume" in err
    written = Path(f"{out}.partial").read_text().count("\n")
    assert 0 < written < 400 and not out.exists()


def test_a_line_over_the_limits_is_refused_without_holding_it(tmp_path: Path) -> None:
    """16 MiB on one line, and 2 MiB of tiny values: each refused in its place.

    In bounded memory: the peak RSS of the child process, against a run on two valid lines.
    """
    good = json.dumps(next(synthesize(1, 1, "FR")))
    small = tmp_path / "small.jsonl"
    small.write_text(f"{good}\n{good}\n")
    huge = tmp_path / "huge.jsonl"
    values = MAX_LINE_BYTES // 3 - 10  # within the byte limit, over the value limit
    assert values > MAX_LINE_VALUES
    with open(huge, "w") as fh:
        fh.write(good + "\n")
        fh.write('{"id": "' + "x" * (16 * 1024 * 1024) + '"}\n')
        fh.write('{"id": "y", "engagements": [' + ",".join(["{}"] * values) + "]}\n")
        fh.write(good + "\n")
    # the peak RSS of the run itself: imports and the engine first, then the peak is reset
    # (Linux /proc/self/clear_refs; elsewhere the peak since start-up is compared)
    probe = ("import contextlib, resource, sys\n"
             "from fundrules.cli import main\n"
             "main(['batch', sys.argv[1], '--pack', 'fr-netflix-audiens', '--jobs', '1',\n"
             "      '--backend', 'python', '--out', sys.argv[2]])\n"
             "with contextlib.suppress(OSError), open('/proc/self/clear_refs', 'w') as f:\n"
             "    f.write('5')\n"
             "code = main(['batch', *sys.argv[1:2], '--pack', 'fr-netflix-audiens',\n"
             "             '--jobs', '1', '--backend', 'python'])\n"
             "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "with contextlib.suppress(OSError), open('/proc/self/status') as f:\n"
             "    peak = next(int(x.split()[1]) for x in f if x.startswith('VmHWM:'))\n"
             "print(peak, code, file=sys.stderr)\n")
    peaks = {}
    outputs = {}
    for path in (small, huge):
        done = subprocess.run(
            [sys.executable, "-c", probe, str(path), str(tmp_path / f"warm-{path.name}")],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
            timeout=300, check=False)
        kib, code = done.stderr.splitlines()[-1].split()
        peaks[path.name], outputs[path.name] = int(kib) / 1024, (int(code), done.stdout)
    assert outputs["small.jsonl"][0] == 0
    code, stdout = outputs["huge.jsonl"]
    records = [json.loads(line) for line in stdout.splitlines()]
    assert code == 1 and [r["line"] for r in records] == [1, 2, 3, 4]
    assert [("error" in r) for r in records] == [False, True, True, False]
    assert f"longer than {MAX_LINE_BYTES} bytes" in records[1]["error"]["diagnostics"][0][
        "message"]
    assert f"more than {MAX_LINE_VALUES} JSON values" in records[2]["error"]["diagnostics"][0][
        "message"]
    print(f"peak RSS MiB: {peaks}")
    # was +400 MiB; holding the 16 MiB line even once would be +16
    assert peaks["huge.jsonl"] - peaks["small.jsonl"] < 12, peaks


def test_commas_inside_strings_are_not_values(tmp_path: Path) -> None:
    """The value count skips strings: 52,000 commas in production names are not values."""
    person = next(synthesize(1, 1, "FR"))
    first = person["engagements"][0]
    padded = {**person, "engagements": [{**first, "production": "," * 400}] * 130}
    line = json.dumps(padded)
    assert line.count(",") > MAX_LINE_VALUES  # over the quick count, under the exact one
    path = tmp_path / "commas.jsonl"
    path.write_text(line + "\n")
    (result,) = evaluate_inputs(InputSource(path), [Engine().pack("fr-netflix-audiens")])
    assert not isinstance(result.results[0], Failure), result.results[0]


# --- text outputs: escapes, the currency note, the default seed --------------------------

def test_control_characters_are_escaped_in_text_outputs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applicant = tmp_path / "red.json"
    applicant.write_text(json.dumps({
        "id": "evil\x1b[31mred\x07", "submitted_at": "2020-05-20T10:00:00+02:00",
        "income": [{"period": "2019", "amount": {"value": "12000", "currency": "GBP"},
                    "basis": "gross"}]}))
    for command in (["evaluate", str(applicant), "--pack", "fr-netflix-audiens"],
                    ["explain", str(applicant), "--pack", "fr-netflix-audiens"]):
        assert main(command) == 0
        out = capsys.readouterr().out
        assert "evil\\x1b[31mred\\x07" in out, command
        assert "\x1b" not in out and "\x07" not in out, command
    assert main(["explain", str(applicant), "--pack", "fr-netflix-audiens", "--color",
                 "always"]) == 0
    out = capsys.readouterr().out
    assert "evil\\x1b[31mred" in out and "\x1b[31mred" not in out  # only our own colours


def test_explain_text_shows_the_currency_note_of_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applicant = tmp_path / "gbp.json"
    applicant.write_text(json.dumps({
        "id": "a-1", "submitted_at": "2020-05-20T10:00:00+02:00", "status": "intermittent",
        "income": [{"period": "2019", "amount": {"value": "12000", "currency": "GBP"},
                    "basis": "gross"}]}))
    assert main(["explain", str(applicant), "--pack", "fr-netflix-audiens",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    notes = [n for c in data["criteria"] for f in c["facts"] for n in f["notes"]]
    assert notes and "GBP" in notes[0]
    assert main(["explain", str(applicant), "--pack", "fr-netflix-audiens"]) == 0
    text = capsys.readouterr().out
    assert all(f"note: {n}" in text for n in notes)


def test_synth_has_a_default_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--n", "3", "--country", "IT"]) == 0
    implicit = capsys.readouterr().out
    assert main(["synth", "--n", "3", "--country", "IT", "--seed", "1"]) == 0
    assert capsys.readouterr().out == implicit
    assert main(["synth", "--n", "3", "--country", "IT", "--seed", "2"]) == 0
    assert capsys.readouterr().out != implicit


def test_synth_out_is_renamed_into_place(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pop.jsonl"
    assert main(["synth", "--n", "5", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 5
    assert not Path(f"{out}.partial").exists()
