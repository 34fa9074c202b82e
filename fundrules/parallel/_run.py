"""Many applicants, several packs, several processes: results in input order.

Inputs (any iterable of :class:`~fundrules.io.Input`) are handed to worker processes in
chunks; only a few chunks per worker are in flight, so memory stays bounded whatever the
input size, and results come back in input order. Each worker builds its packs' runners
once. An input that cannot be read or validated becomes a :class:`Failure` in its place
and never stops the batch. A process's work is in ``_worker``, the pool in ``_pool``,
who decides which chunk in ``_schedule``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from fundrules.backends import BackendName
from fundrules.diagnostics import Diagnostic
from fundrules.errors import ApplicantError, EngineError, InvalidArgument
from fundrules.io import Input
from fundrules.parallel._schedule import run_in_processes
from fundrules.parallel._worker import (
    BatchResult,
    Failure,
    Render,
    Worker,
    can_interrupt_here,
)
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision, parse_applicant

__all__ = ["decide_in_parallel", "default_jobs", "evaluate_inputs", "render_inputs"]

_T = TypeVar("_T")

_CHUNK_ITEMS = 64
_CHUNK_CHARS = 4 * 1024 * 1024



def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _chunks(inputs: Iterable[Input]) -> Iterator[list[Input]]:
    chunk: list[Input] = []
    size = 0
    for item in inputs:
        chunk.append(item)
        size += len(item.data) if isinstance(item.data, str) else 1000
        if len(chunk) >= _CHUNK_ITEMS or size >= _CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def evaluate_inputs(inputs: Iterable[Input], packs: Sequence[Pack], *,
                    backend: BackendName = "durable", lang: str | None = None,
                    jobs: int | None = 1,
                    keep_applicants: bool = False,
                    timeout: float | None = None,
                    dask: object = None) -> Iterator[BatchResult]:
    """Decide every input against every pack, yielding one result per input, in order.

    ``jobs`` processes share the work (``None`` = every core; with 1, or when the input
    fits in one chunk, no process is started). Memory stays bounded: inputs are read
    as results are consumed. With ``keep_applicants`` each result carries the validated
    applicant (allocation needs it). ``timeout`` (seconds, default none) limits each
    input: one that takes longer gets a ``decision-timeout`` failure for every pack and
    the batch goes on (its worker process is replaced; in this process, the limit needs
    the main thread, where SIGALRM is used, and is not applied elsewhere).

    ``dask`` (a scheduler address such as ``"tcp://10.0.0.5:8786"``, or a
    ``distributed.Client``) sends the work to the workers of a Dask cluster instead of
    local processes (needs the ``dask`` extra; ``jobs`` must then stay 1; ``timeout`` is
    not applied there: the cluster's own task limits apply).
    """
    if dask is not None:
        yield from _on_dask(inputs, packs, backend, lang, jobs, keep_applicants, dask)
        return
    yield from _run(inputs, packs, backend, lang, jobs, keep_applicants, timeout, None)


def render_inputs(inputs: Iterable[Input], packs: Sequence[Pack],
                  render: Callable[[BatchResult], _T], *,
                  backend: BackendName = "durable", lang: str | None = None,
                  jobs: int | None = 1, timeout: float | None = None) -> Iterator[_T]:
    """:func:`evaluate_inputs`, each result passed through ``render`` where it was decided.

    A worker process renders its results (to JSON text, say) before sending them back, so
    the parent process receives strings instead of objects to rebuild: with several
    processes, the parent's share of the work stays small. ``render`` must be picklable
    (a module-level function, or a ``functools.partial`` of one) and is also applied, in
    this process, to the results made here (a dead worker's input, a timeout).
    """
    yield from _run(inputs, packs, backend, lang, jobs, False, timeout, render)


def _run(inputs: Iterable[Input], packs: Sequence[Pack], backend: BackendName,
         lang: str | None, jobs: int | None, keep_applicants: bool, timeout: float | None,
         render: Render) -> Iterator[Any]:
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"jobs must be a whole number of 1 or more, not {jobs!r}",
            hint="pass jobs=1 (one process), jobs=N, or jobs=None (every core)", path="jobs")])
    if timeout is not None and (isinstance(timeout, bool)
                                or not isinstance(timeout, int | float)
                                or not 0 < timeout < 1e6):
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"timeout must be a number of seconds above 0, not "
            f"{timeout!r}", hint="pass timeout=60 (seconds), or timeout=None (no limit)",
            path="timeout")])
    chunks = _chunks(inputs)
    head = [c for c in (next(chunks, None), next(chunks, None)) if c]
    initargs = (tuple(packs), backend, lang, keep_applicants)
    if jobs == 1 or len(head) < 2:
        worker = Worker(*initargs, timeout=timeout)
        for chunk in itertools.chain(head, chunks):  # streams: never the whole input
            results = worker.run(chunk)
            yield from (results if render is None else map(render, results))
        return
    here = Worker(*initargs, timeout=timeout) if _decides_here(backend, timeout) else None
    for results in run_in_processes(itertools.chain(head, chunks), jobs, initargs, len(packs),
                                    timeout, render, here):
        yield from results


def _decides_here(backend: BackendName, timeout: float | None) -> bool:
    """Whether this process decides chunks while the workers start, not only dispatches.

    Only with the python backend: its code cannot crash the process, so no input is then
    less isolated than in a worker; durable_rules' native code could, and a crash must take
    a worker and its one input, never the batch. And only where the time limit, if any,
    can interrupt an input here (SIGALRM, in the main thread).
    """
    return backend == "python" and (timeout is None or can_interrupt_here(timeout))


def _on_dask(inputs: Iterable[Input], packs: Sequence[Pack], backend: BackendName,
             lang: str | None, jobs: int | None, keep: bool, dask: object
             ) -> Iterator[BatchResult]:
    """The batch on a Dask cluster (:mod:`fundrules.parallel._dask`)."""
    if jobs != 1:
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"jobs={jobs!r} cannot be combined with dask=: the "
            "cluster's workers do the work", hint="leave jobs out (or jobs=1) with dask=",
            path="jobs")])
    try:
        from fundrules.parallel._dask import run_on_dask
    except ImportError as exc:
        raise EngineError([Diagnostic(
            "dask-unavailable", f"a batch on Dask needs dask.distributed, which cannot be "
            f"imported here: {exc}", hint="pip install 'fundrules[dask]'", path="dask")]
        ) from None
    initargs = (tuple(packs), backend, lang, keep)
    for results in run_on_dask(_chunks(inputs), dask, initargs, len(packs)):
        yield from results


def _item(index: int, data: object) -> Input:
    """One applicant for a worker: as given when it travels well, else checked here.

    Anything but an Applicant or a dict is validated in this process, so that what a
    worker could not receive fails exactly as :meth:`Engine.evaluate` would, in its place.
    """
    if isinstance(data, Applicant | dict):
        return Input("item", index, data)
    try:
        return Input("item", index, parse_applicant(
            dict(data) if isinstance(data, Mapping) else data))
    except ApplicantError as err:
        return Input("item", index, problem=err.diagnostics[0])


def decide_in_parallel(pack: Pack, applicants: Iterable[Applicant | Mapping[str, object]], *,
                       backend: BackendName, lang: str | None, jobs: int | None
                       ) -> Iterator[Decision]:
    """:meth:`Engine.evaluate_many` on several processes: the same decisions, same order.

    An invalid applicant raises its error at its position, as one process would.
    """
    items = (_item(i, a) for i, a in enumerate(applicants))
    for result in evaluate_inputs(items, [pack], backend=backend, lang=lang, jobs=jobs):
        (outcome,) = result.results
        if isinstance(outcome, Failure):
            raise outcome.exception()
        yield outcome
