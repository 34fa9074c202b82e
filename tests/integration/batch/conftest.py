"""Populations shared by the batch tests (deterministic, so generated once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import fundrules.parallel._run
from fundrules.batch import synthesize_lines
from fundrules.io import Input

#: Malformed lines mixed into a population: each must come back as an error record.
MALFORMED = [
    '{"id": "broken", "submitted_at": ',                                  # not JSON
    '{"id": "naive", "submitted_at": "2020-05-20T10:00:00", "role": "chef"}',  # schema
    '[1, 2, 3]',                                                          # not an object
    '{"id": "twice", "id": "again", "submitted_at": "2020-05-20T10:00:00+02:00"}',
    '{"id": "float", "submitted_at": "2020-05-20T10:00:00+02:00", "income": '
    '[{"period": "2019", "amount": {"value": 12000.5, "currency": "EUR"}, "basis": "gross"}]}',
]


def write_population(path: Path, n: int, seed: int, country: str | None,
                     malformed_every: int = 0) -> tuple[int, int, int]:
    """Write a population and return (lines, good lines, blank lines).

    A malformed line follows every ``malformed_every`` good ones; a blank line ends it.
    """
    lines = 0
    good = 0
    with open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(synthesize_lines(n, seed, country)):
            out.write(line)
            lines += 1
            good += 1
            if malformed_every and i % malformed_every == malformed_every - 1:
                out.write(MALFORMED[(i // malformed_every) % len(MALFORMED)] + "\n")
                lines += 1
        out.write("\n")
    return lines + 1, good, 1


class CountingSource:
    """JSON Lines inputs from a generator that counts how many have been taken so far."""

    blank_lines = 0

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.taken = 0

    def __iter__(self) -> Iterator[Input]:
        for number, line in enumerate(self.lines, 1):
            self.taken += 1
            yield Input("line", number, line, source="generated")


@pytest.fixture(scope="session")
def it_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pop") / "it.jsonl"
    write_population(path, 2000, 11, "IT")
    return path


@pytest.fixture(scope="session")
def es_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pop") / "es.jsonl"
    write_population(path, 2000, 12, "ES")
    return path


@pytest.fixture(autouse=True)
def _processes_started(request: pytest.FixtureRequest,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test marked ``processes`` fails if its batch never started worker processes.

    Input that fits in two chunks is decided in this process, silently: a test sized for
    today's chunk would then go on passing without testing the workers at all.
    """
    if request.node.get_closest_marker("processes") is None:
        yield
        return
    started: list[int] = []
    run_in_processes = fundrules.parallel._run.run_in_processes

    def counted(*args: object, **kwargs: object) -> object:
        started.append(1)
        return run_in_processes(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fundrules.parallel._run, "run_in_processes", counted)
    yield
    assert started, ("this test is about worker processes, but its batch ran in this "
                     "process: give it more than two chunks of input (_CHUNK_ITEMS)")
