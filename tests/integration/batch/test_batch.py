"""`fundrules batch` and the batch API: nothing lost, input order kept, bounded work."""

from __future__ import annotations

import json
import os
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import fundrules.io._inputs
import fundrules.parallel._pool
import fundrules.parallel._worker
from fundrules import ApplicantError, Engine, EngineError
from fundrules.backends import BackendName
from fundrules.batch import synthesize, synthesize_lines
from fundrules.cli import main
from fundrules.cli._batch import _WRITE_EVERY, run_batch
from fundrules.io import Input, InputSource
from fundrules.parallel import Failure, evaluate_inputs
from fundrules.parallel._pool import IN_FLIGHT
from fundrules.parallel._run import _CHUNK_ITEMS
from tests.integration.batch.conftest import CountingSource, write_population

PACKS = ["it-ifc-netflix", "fr-netflix-audiens"]


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int, int]:
    path = tmp_path_factory.mktemp("mixed") / "mixed.jsonl"
    return (path, *write_population(path, 2000, 5, None, malformed_every=37))


@pytest.fixture(scope="module")
def two_jobs(mixed: tuple[Path, int, int, int], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[int, Path, str]:
    out = tmp_path_factory.mktemp("out") / "jobs2.jsonl"
    args = ["batch", str(mixed[0]), "--out", str(out), "--jobs", "2"]
    for pack in PACKS:
        args += ["--pack", pack]
    return main(args), out, ""


def test_every_line_yields_one_record_per_pack_in_input_order(
        mixed: tuple[Path, int, int, int], two_jobs: tuple[int, Path, str]) -> None:
    path, lines, good, blank = mixed
    code, out, _ = two_jobs
    records = _records(out)
    assert code == 1  # some inputs were invalid; the batch still ran to the end
    assert len(records) == (lines - blank) * len(PACKS)
    expected = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip()]
    assert [r["line"] for r in records[::2]] == expected
    assert [r["line"] for r in records[1::2]] == expected
    assert [r["pack"] for r in records] == PACKS * len(expected)
    errors = [r for r in records if "error" in r]
    assert len(errors) == (lines - blank - good) * len(PACKS)


def test_two_jobs_give_the_same_bytes_as_one(mixed: tuple[Path, int, int, int],
                                             two_jobs: tuple[int, Path, str],
                                             tmp_path: Path) -> None:
    out = tmp_path / "jobs1.jsonl"
    args = ["batch", str(mixed[0]), "--out", str(out), "--jobs", "1"]
    for pack in PACKS:
        args += ["--pack", pack]
    assert main(args) == 1
    assert out.read_bytes() == two_jobs[1].read_bytes()


def test_on_the_python_backend_this_process_and_a_worker_share_the_work(
        mixed: tuple[Path, int, int, int], two_jobs: tuple[int, Path, str],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs 2 --backend python`: two workers, and this process deciding while they start.

    The records are the bytes the durable workers wrote (the backends decide alike), and
    this process decided some chunks, not all: counted here, where the workers do not count.
    """
    here: list[int] = []
    each = fundrules.parallel._worker.Worker.each

    def counted(self: Any, chunk: Any) -> Any:
        here.append(len(chunk))
        return each(self, chunk)

    monkeypatch.setattr(fundrules.parallel._worker.Worker, "each", counted)
    out = tmp_path / "python2.jsonl"
    args = ["batch", str(mixed[0]), "--out", str(out), "--jobs", "2", "--backend", "python"]
    for pack in PACKS:
        args += ["--pack", pack]
    assert main(args) == two_jobs[0]
    assert out.read_bytes() == two_jobs[1].read_bytes()
    assert 0 < sum(here) < mixed[1] - mixed[3]  # some inputs, never all, decided here


@pytest.mark.processes
def test_this_process_stops_deciding_once_a_worker_has_answered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Python backend: this process decides chunks only until the first worker answers.

    Deciding here is slowed to 0.25 s a chunk, so that without the rule this process would
    go on taking chunks (20 of them, 5 s) long after the workers are ready. Ordered events,
    not durations: the first answer may come early or late, no chunk starts here after it.
    """
    events: list[str] = []
    each = fundrules.parallel._worker.Worker.each
    answered = fundrules.parallel._pool.Workers.answered

    def slow_here(self: Any, chunk: Any) -> Any:
        events.append("here")
        time.sleep(0.25)
        return each(self, chunk)

    def logged(self: Any, answer: Any) -> Any:
        events.append("answer")
        return answered(self, answer)

    monkeypatch.setattr(fundrules.parallel._worker.Worker, "each", slow_here)
    monkeypatch.setattr(fundrules.parallel._pool.Workers, "answered", logged)
    lines = list(synthesize_lines(20 * _CHUNK_ITEMS, 8, "IT"))
    items = [Input("line", i + 1, text) for i, text in enumerate(lines)]
    pack = Engine(backend="python").pack("it-ifc-netflix")
    results = list(evaluate_inputs(items, [pack], backend="python", jobs=2))
    assert [r.at for r in results] == list(range(1, len(lines) + 1))
    first_answer = events.index("answer")
    assert "here" in events[:first_answer] and "here" not in events[first_answer:]


@pytest.mark.processes
def test_the_next_chunk_is_read_before_a_worker_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """While the workers decide, this process reads the chunk the next one to answer gets.

    A chunk read only after the answer would leave that worker idle meanwhile. Ordered
    events, not durations: for most chunks sent after an answer, the chunk's last input
    was read before that answer was taken (without reading ahead, none is), and the chunk
    was sent before the results were handed on (the caller writes them: the worker would
    wait meanwhile). Only a full window of held results (a later chunk done before an
    earlier one) may delay either.
    """
    events: list[tuple[str, int]] = []
    send = fundrules.parallel._pool._Proc.send
    answered = fundrules.parallel._pool.Workers.answered

    def logged_send(self: Any, seq: int, chunk: Any) -> None:
        events.append(("send", seq))
        send(self, seq, chunk)

    def logged_answer(self: Any, answer: Any) -> Any:
        events.append(("answer", -1))
        return answered(self, answer)

    monkeypatch.setattr(fundrules.parallel._pool._Proc, "send", logged_send)
    monkeypatch.setattr(fundrules.parallel._pool.Workers, "answered", logged_answer)
    lines = list(synthesize_lines(24 * _CHUNK_ITEMS, 9, "FR"))

    def read() -> Any:
        for i, text in enumerate(lines):
            events.append(("read", i))
            yield Input("line", i + 1, text)

    pack = Engine(backend="durable").pack("fr-netflix-audiens")
    results = []
    for result in evaluate_inputs(read(), [pack], backend="durable", jobs=2):
        events.append(("yield", result.at))
        results.append(result)
    assert [r.at for r in results] == list(range(1, len(lines) + 1))
    read_at = {i: n for n, (kind, i) in enumerate(events) if kind == "read"}
    ahead = behind = fed_first = yielded_first = 0
    for n, (kind, seq) in enumerate(events):
        answers = [m for m in range(n) if events[m][0] == "answer"]
        if kind != "send" or not answers:
            continue  # a worker's first chunk: nobody waited for it
        if read_at[(seq + 1) * _CHUNK_ITEMS - 1] < answers[-1]:
            ahead += 1
        else:
            behind += 1
        if any(events[m][0] == "yield" for m in range(answers[-1], n)):
            yielded_first += 1  # the worker waited while results were handed on
        else:
            fed_first += 1
    assert ahead + behind >= 18 and ahead > 2 * behind, (ahead, behind)
    assert fed_first > 2 * yielded_first, (fed_first, yielded_first)


def test_error_records_name_line_and_field(two_jobs: tuple[int, Path, str]) -> None:
    errors = [r for r in _records(two_jobs[1]) if "error" in r]
    assert {len(r) for r in errors} == {3}  # line, pack, error
    diagnostics = [d for r in errors for d in r["error"]["diagnostics"]]
    assert all(d["line"] == r["line"] for r in errors for d in r["error"]["diagnostics"])
    assert {d["code"] for d in diagnostics} == {"applicant-invalid", "json-syntax"}
    paths = {d["path"] for d in diagnostics}
    assert {"submitted_at", "role", "income[0].amount.value"} <= paths
    messages = " ".join(d["message"] for d in diagnostics)
    assert "not valid JSON" in messages and "appears twice" in messages


def test_summary_counts_add_up(mixed: tuple[Path, int, int, int],
                               capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, lines, good, blank = mixed
    assert main(["batch", str(path), "--pack", "it-ifc-netflix", "--jobs", "1",
                 "--out", str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert f"{lines - blank} inputs; 1 blank line skipped" in err
    row = next(line.split() for line in err.splitlines() if line.strip().startswith("it-ifc"))
    eligible, ineligible, incomplete, error, total = map(int, row[1:])
    assert eligible + ineligible + incomplete + error == total == lines - blank
    assert error == lines - blank - good
    assert "\r" not in err  # no progress bar when stderr is not a terminal
    counted = Counter(r.get("decision", {}).get("outcome", "error")
                      for r in _records(tmp_path / "o.jsonl"))
    assert counted == {"eligible": eligible, "ineligible": ineligible,
                       "incomplete": incomplete, "error": error}


def test_folder_input_gives_file_records_in_path_order(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    folder = tmp_path / "applicants"
    (folder / "sub").mkdir(parents=True)
    people = list(synthesize(3, 1, "FR"))
    (folder / "b.json").write_text(json.dumps(people[0]))
    (folder / "a.yaml").write_text(
        f"id: {people[1]['id']}\nsubmitted_at: 2020-04-20T10:00:00+02:00\n")
    (folder / "sub" / "c.json").write_text('{"id": "c", "submitted_at": "yesterday"}')
    (folder / "notes.txt").write_text("not an applicant")
    (folder / ".hidden.json").write_text("{}")
    assert main(["batch", str(folder), "--pack", "fr-netflix-audiens", "--jobs", "1"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [Path(r["file"]).relative_to(folder).as_posix() for r in records] == [
        "a.yaml", "b.json", "sub/c.json"]
    assert [("decision" in r) for r in records] == [True, True, False]
    (diagnostic,) = records[2]["error"]["diagnostics"]
    assert diagnostic["path"] == "submitted_at" and diagnostic["file"].endswith("c.json")


@pytest.mark.parametrize(("args", "expected"), [
    (["--pack", "no-such-pack"], "unknown-pack"),
    (["--pack", "fr-netflix-audiens", "--jobs", "0"], "must be 1 or more"),
])
def test_a_batch_that_cannot_run_exits_2(args: list[str], expected: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(next(synthesize(1, 1, "FR"))) + "\n")
    assert main(["batch", str(source), *args]) == 2
    assert expected in capsys.readouterr().err


def test_a_missing_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "nope.jsonl"), "--pack", "fr-netflix-audiens"]) == 2
    assert "file-unreadable" in capsys.readouterr().err


def test_valid_inputs_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "ok.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in synthesize(5, 2, "ES")))
    assert main(["batch", str(source), "--pack", "es-academia-netflix", "--jobs", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5


def test_evaluate_many_with_processes_matches_one_process(engine: Engine) -> None:
    people = list(synthesize(300, 9, "IT"))
    one = list(engine.evaluate_many(people, "it-ifc-netflix"))
    two = list(engine.evaluate_many(iter(people), "it-ifc-netflix", jobs=2))
    assert [d.applicant for d in two] == [p["id"] for p in people]
    assert two == one


@pytest.mark.processes
def test_evaluate_many_raises_at_the_invalid_applicant(engine: Engine) -> None:
    people: list[dict[str, Any]] = list(synthesize(200, 9, "IT"))
    people[150] = {"id": "bad", "submitted_at": "2020-06-01T10:00:00"}
    seen = []
    with pytest.raises(ApplicantError) as caught:
        for decision in engine.evaluate_many(people, "it-ifc-netflix", jobs=2):
            seen.append(decision.applicant)
    assert seen == [p["id"] for p in people[:150]]
    assert caught.value.diagnostics[0].path == "submitted_at"


class _KillsItsWorker(dict[str, Any]):
    """Unpickling it ends the worker process at once, as a crash in native code would."""

    def __reduce__(self) -> Any:
        return (os._exit, (3,))


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_dead_worker_loses_only_its_own_input(backend: BackendName) -> None:
    """Also on the python backend, where this process decides chunks too.

    An object that is not text or an Applicant is decided by a worker, never here (it
    would be decided otherwise in each place).
    """
    engine = Engine()
    people: list[Any] = list(synthesize(300, 4, "ES"))
    people[100] = _KillsItsWorker(people[100])
    items = [Input("item", i, p) for i, p in enumerate(people)]
    results = list(evaluate_inputs(items, [engine.pack("es-academia-netflix")], jobs=2,
                                   backend=backend))
    assert [r.at for r in results] == list(range(300))
    failed = [r for r in results if isinstance(r.results[0], Failure)]
    assert [r.at for r in failed] == [100]
    assert failed[0].results[0].diagnostics[0].code == "engine-failure"



@pytest.mark.parametrize(("jobs", "backend"), [
    (1, "durable"),
    (2, "durable"),
    (2, "python"),  # this process decides chunks too
])
def test_run_batch_streams_without_reading_everything_first(jobs: int,
                                                            backend: BackendName) -> None:
    """Records come out while the input is still being read, and the lag stays bounded.

    At each write, the number of inputs taken from the source may exceed the number of
    records written by at most the chunks the batch holds at once (two read ahead, and
    ``IN_FLIGHT`` per worker process) and the records waiting to be written together
    (``_WRITE_EVERY`` inputs): counted in inputs, never in time, so the test is the same
    on an idle and a loaded machine. A batch that read everything first would have taken
    all 1,500 inputs before its first record.
    """
    source = CountingSource(list(synthesize_lines(1500, 3, "FR")))
    taken_at_write: list[tuple[int, int]] = []  # (inputs taken, records written before)
    written = 0

    class _Out:
        def write(self, text: str) -> None:
            nonlocal written
            taken_at_write.append((source.taken, written))
            written += text.count("\n")  # one pack: a record per input

    pack = Engine().pack("fr-netflix-audiens")
    summary = run_batch(source, [pack], _Out(), jobs=jobs,  # type: ignore[arg-type]
                        backend=backend)
    assert summary.inputs == 1500 and written == 1500
    held = ((jobs * IN_FLIGHT + 2) * _CHUNK_ITEMS if jobs > 1 else 2 * _CHUNK_ITEMS
            ) + _WRITE_EVERY
    assert held < 1500 / 2  # the bound below really separates streaming from reading all
    assert taken_at_write[0][0] <= held
    assert max(taken - written for taken, written in taken_at_write) <= held
    assert source.taken == 1500


@pytest.mark.processes
def test_workers_that_keep_dying_stop_the_batch_with_a_clear_error() -> None:
    people = [_KillsItsWorker(p) for p in synthesize(130, 4, "ES")]
    items = [Input("item", i, p) for i, p in enumerate(people)]
    with pytest.raises(EngineError, match="died in a row"):
        list(evaluate_inputs(items, [Engine().pack("es-academia-netflix")], jobs=2))


@pytest.mark.processes
def test_an_input_that_cannot_be_sent_to_a_process_fails_alone() -> None:
    people: list[Any] = list(synthesize(200, 4, "FR"))
    people[70] = {**people[70], "role": lambda: "technician"}  # cannot be pickled
    items = [Input("item", i, p) for i, p in enumerate(people)]
    results = list(evaluate_inputs(items, [Engine().pack("fr-netflix-audiens")], jobs=2))
    assert [r.at for r in results] == list(range(200))
    failed = [r.at for r in results if isinstance(r.results[0], Failure)]
    assert failed == [70]


def test_lines_too_long_or_not_utf8_are_reported_not_fatal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fundrules.io._inputs, "MAX_LINE_BYTES", 4000)
    path = tmp_path / "odd.jsonl"
    good = json.dumps(next(synthesize(1, 1, "FR"))).encode()
    assert len(good) < 4000
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n\xff\xfe\n" + b"[" * 9000 + b"\n" + good)
    results = list(evaluate_inputs(InputSource(path), [Engine().pack("fr-netflix-audiens")]))
    assert [r.at for r in results] == [1, 2, 3, 4]
    assert [isinstance(r.results[0], Failure) for r in results] == [False, True, True, False]
    messages = [r.results[0].diagnostics[0].message for r in results
                if isinstance(r.results[0], Failure)]
    assert messages == ["the line is not UTF-8 text", "the line is longer than 4000 bytes"]


def test_memory_stays_flat_over_many_small_batches() -> None:
    """Each batch must not build (and leak) new durable_rules rulesets."""
    engine = Engine()
    packs = [engine.pack(p) for p in engine.pack_ids]
    people = list(synthesize(4, 1))

    def batches(n: int) -> None:
        for _ in range(n):
            items = [Input("item", i, p) for i, p in enumerate(people)]
            assert len(list(evaluate_inputs(items, packs))) == 4

    batches(20)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    batches(200)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 40  # about 1.9 MiB per batch when each built its own engines
