"""The two backends compared at scale: ``fundrules verify --differential N``.

Hypothesis draws a pool of applicants aimed at a pack (``applicants_for``: thresholds,
windows, straddles, missing facts); a seeded mutator then derives as many applicants as
asked from that pool, each pushed to a bound: a pack constant or one off it, a window's
first or last day (so engagements straddle it), an instant next to a call's opening in
another UTC offset, cachets beyond the days of the calendar, a value next to what an
in-band marker would have been, a field removed. Mutants the schema refuses are skipped
and counted: a run of N decides N valid applicants. Every one is decided by durable_rules
and by the python backend; the whole Decisions must be equal (outcome,
award, reasons, missing, trace), and neither may raise. The run is deterministic for a
given seed and number of processes.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from fundrules.errors import ApplicantError, FundrulesError
from fundrules.policies.ir import SubmittedInstant
from fundrules.policies.pack import Pack
from fundrules.runtime.walk import leaves
from fundrules.schema import parse_applicant
from fundrules.testing.strategies import applicants_for, case_yaml

__all__ = ["DifferentialReport", "differential"]

_Raw = dict[str, Any]
#: values next to where the old in-band unknown markers sat (+-10**15 and "?")
_MARKER_LIKE = (10**15 - 1, 999_999_999_999, 0)


@dataclasses.dataclass
class DifferentialReport:
    """What one differential run found, for one pack."""

    pack: str
    asked: int
    decided: int = 0
    invalid: int = 0
    disagreements: int = 0
    engine_errors: int = 0
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    examples: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: DifferentialReport) -> None:
        """Add another worker's counts to this report."""
        self.decided += other.decided
        self.invalid += other.invalid
        self.disagreements += other.disagreements
        self.engine_errors += other.engine_errors
        self.outcomes.update(other.outcomes)
        self.examples += other.examples[: max(0, 5 - len(self.examples))]

    def format(self) -> str:
        """One line a person reads, then the first disagreements as paste-ready cases."""
        shares = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        head = (f"{self.pack}: {self.decided} decided by both backends ({shares}); "
                f"{self.disagreements} disagreement(s), {self.engine_errors} engine "
                f"error(s); {self.invalid} invalid mutant(s) skipped; {self.seconds:.1f} s")
        return "\n".join([head, *self.examples])


def _pool(pack: Pack, size: int) -> list[_Raw]:
    """Hypothesis' applicants aimed at the pack, drawn deterministically."""
    out: list[_Raw] = []

    @settings(max_examples=size, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(applicants_for(pack))
    def collect(applicant: Any) -> None:
        out.append(applicant.model_dump(mode="json", exclude_none=True))

    collect()
    return out


@dataclasses.dataclass(frozen=True)
class _Bounds:
    """The numbers and days a pack decides on, and its call windows' instants."""

    numbers: tuple[int, ...]
    cents: tuple[int, ...]
    days: tuple[int, ...]
    instants: tuple[int, ...]
    tzs: tuple[str, ...]


def _bounds(pack: Pack) -> _Bounds:
    numbers: set[int] = set()
    cents: set[int] = set()
    days: set[int] = set()
    instants: set[int] = set()
    for call in pack.calls.values():
        conds = [r.cond for r in call.rules] + [m.where for m in call.measures]
        for leaf in (lf for c in conds for lf in leaves(c)):
            v = leaf.value
            if not isinstance(v, int | float) or isinstance(leaf.input, SubmittedInstant):
                continue
            kind = leaf.input.type
            target = cents if kind == "money" else days if kind == "date" else numbers
            target.update(int(v) + d for d in (-1, 0, 1))
        for m in call.measures:
            for b in m.within or ():
                if b.ordinal is not None:
                    days.update(b.ordinal + d for d in (-1, 0, 1))
        for bound in (call.window.opens, call.window.closes):
            if bound is not None:
                instants.update(bound + d for d in (-86_400, -3_601, -1, 0, 1, 3_599, 86_400))
    return _Bounds(tuple(sorted(n for n in numbers if n >= 0)), tuple(sorted(cents)),
                   tuple(sorted(days)), tuple(sorted(instants)),
                   tuple(sorted({c.window.tz for c in pack.calls.values()})))


class _Mutator:
    """Pushes one value of an applicant to a bound of the pack."""

    def __init__(self, pack: Pack, rng: random.Random) -> None:
        self.rng = rng
        self.b = _bounds(pack)
        self.currency = next(iter(pack.calls.values())).currency

    def _day(self) -> str:
        return dt.date.fromordinal(self.rng.choice(self.b.days)).isoformat() if self.b.days \
            else "2020-01-01"

    def instant_text(self) -> str:
        stamp = self.rng.choice(self.b.instants) if self.b.instants else 1_586_000_000
        offset = self.rng.choice((-12, -5, -1, 0, 1, 2, 5, 9, 14)) * 3600
        zone = dt.timezone(dt.timedelta(seconds=offset))
        return dt.datetime.fromtimestamp(stamp, zone).isoformat()

    def _number(self) -> int:
        pool = self.b.numbers or (0, 1, 12)
        return int(self.rng.choice(pool + _MARKER_LIKE[1:]))

    def money_strategy(self) -> dict[str, str]:
        cents = self.rng.choice(self.b.cents) if self.b.cents else 1_500_000
        if self.rng.random() < 0.05:
            cents = self.rng.choice(_MARKER_LIKE)
        currency = self.currency if self.rng.random() < 0.9 else "USD"
        return {"value": f"{max(0, cents) / 100:.2f}", "currency": currency}

    def mutate(self, raw: _Raw) -> _Raw:
        rng = self.rng
        out = copy.deepcopy(raw)
        for _ in range(rng.randint(1, 3)):
            what = rng.randrange(8)
            engagements = out.get("engagements") or []
            if what == 0:
                out["submitted_at"] = self.instant_text()
            elif what in (1, 2) and engagements:
                e = rng.choice(engagements)
                e.pop("work_dates", None)
                day = self._day()
                if rng.random() < 0.5:
                    e["start"] = day
                    e["end"] = max(e.get("end", day), day)
                else:
                    e["end"] = day
                    e["start"] = min(e.get("start", day), day)
                span = (dt.date.fromisoformat(e["end"]) - dt.date.fromisoformat(e["start"])).days
                if "days" in e:
                    e["days"] = min(e["days"], span + 1)
            elif what == 3 and engagements:
                e = rng.choice(engagements)
                field = rng.choice(("days", "cachets", "cachets"))
                value = self._number()
                if field == "cachets" and rng.random() < 0.5:  # several cachets a day
                    value = value * rng.randint(2, 4) + rng.randint(0, 3)
                if field == "days" and "start" in e and "end" in e:
                    span = (dt.date.fromisoformat(e["end"])
                            - dt.date.fromisoformat(e["start"])).days + 1
                    value = min(value, span)
                    e.pop("work_dates", None)
                e[field] = value
            elif what == 4:
                for entry in out.get("income") or []:
                    entry["amount"] = self.money_strategy()
                for benefit in out.get("benefits") or []:
                    if "monthly" in benefit:
                        benefit["monthly"] = self.money_strategy()
            elif what == 5:
                keys = [k for k in out if k not in ("id", "submitted_at")]
                if keys:
                    del out[rng.choice(keys)]
            elif what == 6:
                for items in (out.get(k) for k in ("engagements", "benefits", "prior_awards")):
                    if items:
                        item = rng.choice(items)
                        keys = [k for k in item if k not in ("start", "end")]
                        if keys:
                            del item[rng.choice(keys)]
            else:
                for key in ("engagements", "benefits", "income", "prior_awards"):
                    if out.get(key):
                        rng.shuffle(out[key])
                for benefit in out.get("benefits") or []:
                    if "rights_ended" in benefit and rng.random() < 0.5:
                        benefit["rights_ended"] = self._day()
        return out


def _run(pack: Pack, n: int, seed: int, pool_size: int) -> DifferentialReport:
    from fundrules.api import Engine  # the engines being compared sit above the testing tools

    started = time.perf_counter()
    durable = Engine([pack])
    python = Engine([pack], backend="python")
    report = DifferentialReport(pack.id, n)
    pool = _pool(pack, pool_size)
    rng = random.Random(seed)
    mutator = _Mutator(pack, rng)
    i = 0
    while report.decided + report.engine_errors < n and i < 4 * n:  # n valid applicants
        raw = pool[i] if i < len(pool) else mutator.mutate(rng.choice(pool))
        i += 1
        raw["id"] = f"diff-{seed}-{i}"
        try:
            applicant = parse_applicant(raw)
        except ApplicantError:
            report.invalid += 1
            continue
        try:
            a = durable.evaluate(applicant, pack.id)
            b = python.evaluate(applicant, pack.id)
        except FundrulesError as exc:
            report.engine_errors += 1
            if len(report.examples) < 5:
                report.examples.append(f"# engine error {exc}\n{raw}")
            continue
        report.decided += 1
        report.outcomes[a.outcome] += 1
        if a != b:
            report.disagreements += 1
            if len(report.examples) < 5:
                report.examples.append(case_yaml(applicant, a, name="durable and python differ"))
    report.seconds = time.perf_counter() - started
    return report


def _worker(args: tuple[str, int, int, int]) -> DifferentialReport:
    from fundrules.policies.pack import load_pack

    path, n, seed, pool_size = args
    return _run(load_pack(path), n, seed, pool_size)


def _shares(n: int, jobs: int) -> Iterator[int]:
    for j in range(jobs):
        yield n // jobs + (1 if j < n % jobs else 0)


def differential(pack: Pack, n: int, *, seed: int = 0, jobs: int = 1, pool_size: int = 2000
                 ) -> DifferentialReport:
    """Decide ``n`` generated applicants on both backends and count every difference."""
    started = time.perf_counter()
    if jobs <= 1:
        report = _run(pack, n, seed, min(pool_size, n))
    else:
        import multiprocessing

        tasks: Sequence[tuple[str, int, int, int]] = [
            (pack.file, share, seed * 1000 + j, min(pool_size, share))
            for j, share in enumerate(_shares(n, jobs)) if share]
        context = multiprocessing.get_context("forkserver")
        workers = context.Pool(len(tasks))
        try:
            parts = workers.map(_worker, tasks)
        finally:
            workers.close()  # let the workers end by themselves: no broken pipes
            workers.join()
        report = DifferentialReport(pack.id, n)
        for part in parts:
            report.merge(part)
    report.seconds = time.perf_counter() - started
    return report
