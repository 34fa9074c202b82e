"""One Engine shared by 8 threads gives exactly the single-threaded decisions."""

from __future__ import annotations

import threading
from typing import Any

from fundrules import Engine, parse_applicant

FR = "fr-netflix-audiens"


def test_eight_threads_by_a_thousand_evaluations_match_single_threaded(fr_cases: list[Any]):
    engine = Engine()
    applicants = [parse_applicant(c.applicant) for c in fr_cases]
    expected = [engine.evaluate(a, FR) for a in applicants]
    assert {d.outcome for d in expected} == {"eligible", "ineligible", "incomplete"}
    mismatches: list[str] = []
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(1000):
                k = (i + offset) % len(applicants)
                if engine.evaluate(applicants[k], FR) != expected[k]:
                    mismatches.append(applicants[k].id)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t * 7,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and not mismatches
    assert not any(t.is_alive() for t in threads)


def test_backends_agree_on_every_fr_case(fr_cases: list[Any], engine: Engine,
                                         python_engine: Engine):
    for case in fr_cases:
        assert engine.evaluate(case.applicant, FR) == python_engine.evaluate(case.applicant, FR)
