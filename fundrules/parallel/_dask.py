"""A batch on a Dask cluster: chunks to the cluster's workers, results back in input order.

The client (this process) reads the inputs, groups them into tasks of a few chunks and
keeps only a few tasks per worker thread in flight, so memory stays bounded whatever the
input size; results are yielded in input order. The packs travel once, by value, in a
worker plugin that every worker (one that joins or restarts later too) receives; each
worker process prepares them once (the same :class:`~fundrules.runtime.evaluation.PreparedPack`
cache as the local processes) and decides chunks with the same
:class:`~fundrules.parallel._worker.Worker`, so the results are the local path's, byte for
byte once written.

A task is pure: the same chunk gives the same results wherever and however often it runs.
When a worker dies, the scheduler gives its tasks to another worker; a task that keeps
killing workers (``distributed.scheduler.allowed-failures``) is decided again one input
at a time, and only an input that still kills its worker gets an ``engine-failure``
record, as with local processes.
"""

from __future__ import annotations

import contextlib
import itertools
import pickle
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from distributed import Client, Future, KilledWorker, WorkerPlugin, as_completed
from distributed.comm.addressing import get_address_host_port, parse_address

from fundrules.diagnostics import Diagnostic
from fundrules.errors import EngineError, InvalidArgument
from fundrules.io import Input
from fundrules.parallel._worker import BatchResult, Worker, bug_failure
from fundrules.version import VERSION

__all__ = ["run_on_dask"]

_CHUNKS_PER_TASK = 4   # local chunks (64 inputs each) per Dask task: ~256 inputs
_IN_FLIGHT = 3         # tasks per worker thread submitted or waiting to be yielded
_MAX_DEATHS = 5        # inputs in a row that killed their workers before the batch stops
_CONNECT_SECONDS = 30  # to reach the scheduler
_WORKERS_SECONDS = 60  # for a first worker to join it

_PACKS: dict[str, tuple[Any, ...]] = {}  # run token -> Worker arguments, set by the plugin
_WORKERS: dict[str, Worker] = {}
_LOCK = threading.Lock()


class _Packs(WorkerPlugin):
    """Carries a batch's packs and options to every worker of the cluster (by value)."""

    idempotent = False

    def __init__(self, token: str, initargs: tuple[Any, ...]) -> None:
        self.token = token
        self.initargs = initargs
        self.version = VERSION  # the client's: a worker joining later is checked too

    def setup(self, worker: Any) -> None:
        with _LOCK:
            _PACKS[self.token] = (self.version, self.initargs)

    def teardown(self, worker: Any) -> None:
        with _LOCK:
            _PACKS.pop(self.token, None)
            _WORKERS.pop(self.token, None)


def _decide(token: str, blob: bytes) -> list[BatchResult]:
    """A task, on a worker: decide one pickled chunk (prepared packs reused across tasks).

    The chunk travels pickled by the client, so that the scheduler, which unpickles every
    task it receives, handles a small bytes object instead of the inputs themselves.
    """
    chunk: list[Input] = pickle.loads(blob)  # written by this batch's client, never others
    with _LOCK:
        worker = _WORKERS.get(token)
        if worker is None:
            if token not in _PACKS:
                raise RuntimeError(f"the packs of batch {token} are not on this worker")
            version, initargs = _PACKS[token]
            if version != VERSION:
                raise RuntimeError(f"this worker runs fundrules {VERSION}, the client "
                                   f"{version}: install the same version on every worker")
            # preparing a pack registers durable_rules rulesets: once per process and pack
            worker = _WORKERS[token] = Worker(*initargs)
    return worker.run(chunk)


def _about() -> str:
    """Run on each worker before the batch: the fundrules version it has."""
    return VERSION


def _unavailable(message: str, hint: str) -> EngineError:
    return EngineError([Diagnostic("dask-unavailable", message, hint=hint, path="dask")])


def _connect(dask: object) -> tuple[Client, bool]:
    """The client for ``dask`` (an address or a Client) and whether we opened it."""
    if isinstance(dask, Client):
        return dask, False
    if not isinstance(dask, str) or not dask.strip():
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"dask must be a scheduler address or a distributed.Client, "
            f"not {dask!r}", hint="pass dask=\"tcp://HOST:8786\" (the address `dask "
            "scheduler` prints) or a distributed.Client", path="dask")])
    try:
        # a malformed address would leave a half-made client that hangs at exit
        if parse_address(dask)[0] != "inproc":  # inproc: in this process (tests)
            get_address_host_port(dask)
    except ValueError as exc:
        raise _unavailable(f"`{dask}` is not a Dask scheduler address: {exc}"[:500],
                           "pass the address `dask scheduler` prints, e.g. "
                           "tcp://10.0.0.5:8786") from None
    try:
        client = Client(dask, timeout=_CONNECT_SECONDS, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
        raise _unavailable(
            f"cannot reach the Dask scheduler at `{dask}`: {exc}"[:500],
            "start one (`dask scheduler`, then `dask worker ADDRESS --nthreads 1` on each "
            "machine) and pass the address it prints, e.g. tcp://10.0.0.5:8786") from None
    return client, True


def _check_workers(client: Client, address: str) -> int:
    """Wait for a worker, check every worker runs this fundrules; the worker threads."""
    try:
        client.wait_for_workers(1, timeout=_WORKERS_SECONDS)
    except TimeoutError:
        raise _unavailable(
            f"no Dask worker joined the scheduler at `{address}` within {_WORKERS_SECONDS} s",
            "start workers: `dask worker ADDRESS --nthreads 1` (one or more per machine, "
            "fundrules installed)") from None
    try:
        versions: dict[str, str] = client.run(_about)
    except Exception as exc:  # typically ModuleNotFoundError: no fundrules on a worker
        raise _unavailable(
            f"a Dask worker of `{address}` cannot run fundrules: {exc!r}"[:500],
            f"install fundrules {VERSION} in every worker's environment") from None
    wrong = {w: v for w, v in versions.items() if v != VERSION}
    if wrong:
        worker, version = sorted(wrong.items())[0]
        raise _unavailable(
            f"{len(wrong)} Dask worker(s) of `{address}` run fundrules {version} "
            f"(e.g. {worker}), this process {VERSION}",
            f"install fundrules {VERSION} on every worker, so that they decide as this "
            "process would")
    threads: dict[str, int] = client.nthreads()
    return max(1, sum(threads.values()))


class _Run:
    """One batch on the cluster: its token, its tasks, and inputs that kill workers."""

    def __init__(self, client: Client, width: int) -> None:
        self.client = client
        self.token = f"fundrules-{uuid.uuid4().hex}"
        self.width = width
        self.tasks = itertools.count()
        self.deaths = 0

    def submit(self, chunk: list[Input]) -> Future[list[BatchResult]]:
        """The task deciding ``chunk``; raises if the chunk cannot be pickled."""
        blob = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
        key = f"{self.token}-{next(self.tasks)}"
        return self.client.submit(_decide, self.token, blob, key=key, pure=False)

    def failed(self, item: Input, message: str) -> BatchResult:
        return BatchResult(item.where, item.at, None, (bug_failure(message[:500]),) * self.width)

    def outcome(self, future: Future[list[BatchResult]], chunk: list[Input]) -> list[BatchResult]:
        """A finished task's results; a task of several inputs that failed is split up."""
        try:
            results: list[BatchResult] = future.result()
        except KilledWorker:  # its workers died each time it ran (allowed-failures + 1)
            return [self.killer(chunk[0])] if len(chunk) == 1 else self.isolate(chunk)
        except Exception as exc:
            if len(chunk) > 1:
                return self.isolate(chunk)
            return [self.failed(chunk[0], f"this input could not be decided on a Dask worker: "
                                          f"{exc!r}")]
        finally:
            future.release()
        self.deaths = 0
        return results

    def isolate(self, chunk: list[Input]) -> list[BatchResult]:
        """Decide each input of a chunk that failed as a task of its own."""
        out: list[BatchResult] = []
        for item in chunk:
            try:
                future = self.submit([item])
            except Exception as exc:  # e.g. an object that cannot be pickled
                out.append(self.failed(item, f"this input cannot be sent to a Dask worker: "
                                             f"{exc!r}"))
                continue
            out += self.outcome(future, [item])
        return out

    def killer(self, item: Input) -> BatchResult:
        """The record of an input that killed its worker each time; too many in a row stop."""
        self.deaths += 1
        if self.deaths >= _MAX_DEATHS:
            raise EngineError([Diagnostic(
                "engine-failure", f"{self.deaths} inputs in a row killed the Dask workers "
                "deciding them", hint="run with `--jobs 1` (or without dask=) to see the "
                "error; this is a fundrules bug: please report it")])
        return self.failed(item, "the Dask worker died while deciding this input, each time "
                                 "it was tried")


def _tasks(chunks: Iterator[list[Input]]) -> Iterator[list[Input]]:
    while True:
        group = list(itertools.islice(chunks, _CHUNKS_PER_TASK))
        if not group:
            return
        yield [item for chunk in group for item in chunk]


def run_on_dask(chunks: Iterator[list[Input]], dask: object, initargs: tuple[Any, ...],
                width: int) -> Iterator[list[BatchResult]]:
    """Chunks' results in input order, decided by the workers of a Dask cluster.

    ``dask`` is a scheduler address (a client is opened and closed here) or a
    ``distributed.Client`` (used, left open).
    """
    client, opened = _connect(dask)
    try:
        address = dask if isinstance(dask, str) else str(client.scheduler_info().get("address"))
        threads = _check_workers(client, address)
        run = _Run(client, width)
        try:
            client.register_plugin(_Packs(run.token, initargs), name=run.token)
        except Exception as exc:
            raise _unavailable(f"the packs cannot be sent to the Dask workers: {exc!r}"[:500],
                               "check that every worker runs the same fundrules and "
                               "Python") from None
        try:
            yield from _ordered(run, _tasks(chunks), threads * _IN_FLIGHT)
        finally:
            with contextlib.suppress(Exception):  # a worker gone meanwhile: nothing to undo
                client.unregister_worker_plugin(run.token)
    finally:
        if opened:
            client.close()


def _ordered(run: _Run, tasks: Iterator[list[Input]], window: int
             ) -> Iterator[list[BatchResult]]:
    """Submit at most ``window`` tasks beyond the next one to yield; yield in order."""
    pending: dict[Future[list[BatchResult]], tuple[int, list[Input]]] = {}
    done: dict[int, list[BatchResult]] = {}
    waiting = as_completed(loop=run.client.loop)
    feed = enumerate(tasks)
    next_out = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) + len(done) < window:
                task = next(feed, None)
                if task is None:
                    exhausted = True
                    break
                try:
                    future = run.submit(task[1])
                except Exception:  # an input that cannot be pickled: find it, one by one
                    done[task[0]] = run.isolate(task[1])
                    continue
                pending[future] = task
                waiting.add(future)
            if pending:
                future = next(waiting)
                seq, chunk = pending.pop(future)
                done[seq] = run.outcome(future, chunk)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            if exhausted and not pending:
                return
    finally:
        for future in pending:
            future.cancel()
