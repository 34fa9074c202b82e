"""`fundrules batch --dask` and ``evaluate_inputs(dask=...)`` on a 2-process LocalCluster.

dask is in the ``test`` extra: it is imported at the top, never skipped, so a CI machine
without it fails here instead of silently testing nothing.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import distributed
import pytest

import fundrules.parallel._dask as dask_backend
import fundrules.parallel._run as run_module
from fundrules import Engine, EngineError, InvalidArgument
from fundrules.batch import (
    Failure,
    Input,
    InputSource,
    evaluate_inputs,
    synthesize,
    synthesize_lines,
)
from fundrules.cli import main
from fundrules.cli._batch import _WRITE_EVERY, run_batch
from fundrules.version import VERSION
from tests.integration.batch.conftest import CountingSource, write_population

PACKS = ["it-ifc-netflix", "fr-netflix-audiens"]
SMALL_CHUNK = 16  # inputs per chunk (and per task) here, so that 400 lines make 25 tasks


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    # allowed_failures=1: a task is retried once after its worker died, then KilledWorker.
    # lost-worker-timeout: LocalCluster closes for good a nanny whose worker has been gone
    # that long when the timer fires; deaths 15 s apart (this module's tests) would hit it.
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1 hour"}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR,
                                  scheduler_kwargs={"allowed_failures": 1}) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster: distributed.LocalCluster) -> Iterator[distributed.Client]:
    with distributed.Client(cluster, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture()
def small_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small tasks, so that they finish out of order and the reordering is exercised."""
    monkeypatch.setattr(run_module, "_CHUNK_ITEMS", SMALL_CHUNK)
    monkeypatch.setattr(dask_backend, "_CHUNKS_PER_TASK", 1)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 applicants of every country, a malformed line after every 37th, a blank line."""
    path = tmp_path_factory.mktemp("dask") / "mixed.jsonl"
    write_population(path, 400, 8, None, malformed_every=37)
    return path


def _batch(population: Path, out: Path, *options: str) -> int:
    args = ["batch", str(population), "--out", str(out), *options]
    for pack in PACKS:
        args += ["--pack", pack]
    return main(args)


@pytest.mark.usefixtures("small_tasks")
def test_dask_writes_the_same_bytes_as_one_job(mixed: Path, cluster: distributed.LocalCluster,
                                               client: distributed.Client,
                                               tmp_path: Path) -> None:
    one, on_dask = tmp_path / "jobs1.jsonl", tmp_path / "dask.jsonl"
    assert _batch(mixed, one, "--jobs", "1") == 1          # some lines are malformed
    with distributed.get_task_stream(client) as stream:
        assert _batch(mixed, on_dask, "--dask", cluster.scheduler_address) == 1
    lines = [n for n, text in enumerate(mixed.read_text().splitlines(), 1) if text.strip()]
    assert len(one.read_text().splitlines()) == len(lines) * len(PACKS) > 800
    assert on_dask.read_bytes() == one.read_bytes()
    # the cluster's workers did the work: one task per chunk of 16 lines, each run once
    tasks = [t for t in stream.data if str(t["key"]).startswith("fundrules-")]
    assert len(tasks) == -(-len(lines) // SMALL_CHUNK)
    assert len({t["worker"] for t in tasks}) == 2


def _pid_of_a_busy_worker(client: distributed.Client) -> tuple[str, int] | None:
    busy = [w for w, keys in client.processing().items() if keys]
    if not busy:
        return None
    pids: dict[str, int] = client.run(os.getpid, workers=busy[:1])
    return busy[0], pids[busy[0]]


def _wait_for_replacement(client: distributed.Client, dead: str) -> None:
    """Until the scheduler has dropped the dead worker and its nanny's new one has joined."""
    deadline = time.monotonic() + 60
    while True:
        workers = client.scheduler_info()["workers"]
        if dead not in workers and len(workers) == 2:
            return
        assert time.monotonic() < deadline, "the killed worker was not replaced in 60 s"
        time.sleep(0.05)


@pytest.mark.usefixtures("small_tasks")
def test_a_worker_killed_mid_batch_loses_no_line(mixed: Path, client: distributed.Client
                                                 ) -> None:
    """SIGKILL a worker holding a task: the scheduler reruns it elsewhere, nothing is lost."""
    packs = [Engine().pack(p) for p in PACKS]
    expected = list(evaluate_inputs(InputSource(mixed), packs, jobs=1))
    got = []
    killed = None
    for result in evaluate_inputs(InputSource(mixed), packs, dask=client):
        got.append(result)
        if killed is None and len(got) >= SMALL_CHUNK:
            killed = _pid_of_a_busy_worker(client)
            if killed is not None:
                os.kill(killed[1], signal.SIGKILL)
                _wait_for_replacement(client, killed[0])  # the rest runs on it too
    assert killed is not None, "no worker was holding a task when the batch was half done"
    assert got == expected
    assert killed[0] not in client.scheduler_info()["workers"]  # the nanny replaced it


class _KillsItsWorker(dict[str, Any]):
    """Unpickling it ends the process at once, as a crash in native code would."""

    def __reduce__(self) -> Any:
        return (os._exit, (3,))


@pytest.mark.usefixtures("small_tasks")
def test_an_input_that_kills_every_worker_fails_alone(client: distributed.Client) -> None:
    """A killer and an input that cannot be pickled, each in a task (16 inputs) of its own.

    The killer's task, rerun once, kills again; its inputs are then decided one by one and
    only the killer fails. The other task cannot be sent: only its bad input fails.
    """
    people: list[Any] = list(synthesize(150, 4, "ES"))
    people[25] = _KillsItsWorker(people[25])
    people[100] = {**people[100], "role": lambda: "technician"}  # cannot be pickled
    items = [Input("item", i, p) for i, p in enumerate(people)]
    results = list(evaluate_inputs(items, [Engine().pack("es-academia-netflix")], dask=client))
    assert [r.at for r in results] == list(range(150))
    failed = {r.at: r.results[0] for r in results if isinstance(r.results[0], Failure)}
    assert sorted(failed) == [25, 100]
    assert "died" in failed[25].diagnostics[0].message
    assert "cannot be sent" in failed[100].diagnostics[0].message
    assert {f.diagnostics[0].code for f in failed.values()} == {"engine-failure"}
    client.wait_for_workers(2, timeout=60)



@pytest.mark.usefixtures("small_tasks")
def test_the_client_streams_and_holds_a_bounded_number_of_inputs(
        cluster: distributed.LocalCluster) -> None:
    """Inputs taken ahead of output: the window, the task being formed, the records held."""
    source = CountingSource([line.rstrip("\n") for line in synthesize_lines(600, 3, "FR")])
    lag: list[int] = []
    written = 0

    class _Out:
        def write(self, text: str) -> None:
            nonlocal written
            lag.append(source.taken - written)
            written += text.count("\n")  # one pack: a record per input

    pack = Engine().pack("fr-netflix-audiens")
    summary = run_batch(source, [pack], _Out(),  # type: ignore[arg-type]
                        dask=cluster.scheduler_address)
    assert summary.inputs == 600 == written == source.taken
    window = 2 * dask_backend._IN_FLIGHT                       # 2 worker threads
    held = (window + 1) * SMALL_CHUNK + _WRITE_EVERY
    assert held < 600 / 2
    assert max(lag) <= held


def test_unreachable_scheduler_exits_2_with_a_clear_message(
        mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(dask_backend, "_CONNECT_SECONDS", 1)
    assert _batch(mixed, tmp_path / "o.jsonl", "--dask", "tcp://127.0.0.1:9") == 2
    err = capsys.readouterr().err
    assert "dask-unavailable: cannot reach the Dask scheduler at `tcp://127.0.0.1:9`" in err
    assert "hint: start one" in err and "Traceback" not in err


def test_jobs_and_dask_together_are_refused(mixed: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert _batch(mixed, tmp_path / "o.jsonl", "--jobs", "2", "--dask", "tcp://x:1") == 2
    assert "--jobs and --dask cannot be combined" in capsys.readouterr().err
    with pytest.raises(InvalidArgument, match="cannot be combined with dask"):
        list(evaluate_inputs([], [], jobs=2, dask="tcp://x:1"))
    with pytest.raises(InvalidArgument, match=r"scheduler address or a distributed\.Client"):
        list(evaluate_inputs([], [], dask=""))


def test_workers_with_another_fundrules_are_refused(client: distributed.Client,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask_backend, "VERSION", "9.9.9")  # this process; workers keep theirs
    expected = rf"2 Dask worker\(s\) .* run fundrules {re.escape(VERSION)} .*this process 9\.9\.9"
    with pytest.raises(EngineError, match=expected):
        list(evaluate_inputs([], [Engine().pack("fr-netflix-audiens")], dask=client))


def test_without_dask_installed_the_error_says_which_extra(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setitem(sys.modules, "fundrules.parallel._dask", None)  # import fails
    with pytest.raises(EngineError) as caught:
        list(evaluate_inputs([], [], dask="tcp://x:1"))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "dask-unavailable"
    assert diagnostic.hint == "pip install 'fundrules[dask]'"


def test_a_scheduler_without_workers_is_an_error_not_a_hang(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask_backend, "_WORKERS_SECONDS", 1)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as empty, \
            pytest.raises(EngineError, match="no Dask worker joined the scheduler"):
        list(evaluate_inputs([], [Engine().pack("fr-netflix-audiens")],
                             dask=empty.scheduler_address))


def test_inputs_that_keep_killing_workers_stop_the_batch(client: distributed.Client,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setattr(dask_backend, "_MAX_DEATHS", 1)  # 5 would cost 10 worker restarts
    items = [Input("item", 0, _KillsItsWorker(next(iter(synthesize(1, 4, "ES")))))]
    with pytest.raises(EngineError, match="1 inputs in a row killed the Dask workers"):
        list(evaluate_inputs(items, [Engine().pack("es-academia-netflix")], dask=client))
    client.wait_for_workers(2, timeout=60)


def test_a_worker_that_joins_with_another_fundrules_decides_nothing(
        client: distributed.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """The version travels with the packs: a worker not checked at the start refuses them."""
    monkeypatch.setattr(dask_backend, "_check_workers", lambda client, address: 2)
    monkeypatch.setattr(dask_backend, "VERSION", "9.9.9")
    items = [Input("item", i, p) for i, p in enumerate(synthesize(3, 4, "ES"))]
    results = list(evaluate_inputs(items, [Engine().pack("es-academia-netflix")], dask=client))
    assert [r.at for r in results] == [0, 1, 2]
    for result in results:
        (failure,) = result.results
        assert isinstance(failure, Failure)
        assert f"this worker runs fundrules {VERSION}, the client 9.9.9" in \
            failure.diagnostics[0].message
