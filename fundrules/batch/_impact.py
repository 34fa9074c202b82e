"""Impact of a pack change, before it is made: one population, the old and the new pack.

A policy author who moves a threshold wants to know who it lets in, who it shuts out,
and what it does to the money. :func:`impact` decides every applicant of a population
under both versions of a pack (same pack id), counts outcome flips by direction, allocates
the budget on each side (:func:`fundrules.batch._allocation.allocate`) to compare the money
committed, and keeps a sample of flipped applicants with the criteria whose status
changed, which are what made them flip.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from fundrules.backends import BackendName
from fundrules.batch._allocation import Allocation, allocate
from fundrules.diagnostics import Diagnostic
from fundrules.errors import UnknownPackError
from fundrules.io import Input
from fundrules.parallel import Failure, evaluate_inputs
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Decision, Status

__all__ = ["OUTCOMES", "CriterionChange", "Flip", "Impact", "impact"]

OUTCOMES = ("eligible", "ineligible", "incomplete", "error")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriterionChange(_Frozen):
    """A criterion whose status differs between the two packs (``None``: not in that pack)."""

    rule: str
    before: Status | None
    after: Status | None
    message: str


class Flip(_Frozen):
    """An applicant whose outcome changed, and the criteria responsible.

    ``criteria`` is empty when no criterion changed status: then the ``eligible``
    expression or the award tiers changed.
    """

    applicant: str
    where: str
    before: str
    after: str
    criteria: tuple[CriterionChange, ...]


class Impact(_Frozen):
    """What a pack change does to a population: counts, flips, money, and examples."""

    pack: str
    old_version: str
    new_version: str
    old_digest: str
    new_digest: str
    inputs: int
    invalid: int
    before: dict[str, int]
    after: dict[str, int]
    flips: dict[str, int]
    award_changes: int
    old_allocation: Allocation
    new_allocation: Allocation
    sample: tuple[Flip, ...]

    @property
    def flipped(self) -> int:
        """Applicants whose outcome changed."""
        return sum(self.flips.values())

    @property
    def committed_change(self) -> tuple[Decimal, Decimal]:
        """Change in money committed: (min, max); equal unless awards are ranges."""
        old, new = self.old_allocation, self.new_allocation
        return new.committed_min - old.committed_min, new.committed_max - old.committed_max


def _outcome(result: Decision | Failure) -> str:
    return "error" if isinstance(result, Failure) else result.outcome


def _changes(old: Decision | Failure, new: Decision | Failure) -> tuple[CriterionChange, ...]:
    before = {} if isinstance(old, Failure) else {r.rule: r for r in old.reasons}
    after = {} if isinstance(new, Failure) else {r.rule: r for r in new.reasons}
    changes = []
    for rule in [*after, *(r for r in before if r not in after)]:
        b, a = before.get(rule), after.get(rule)
        was = b.status if b is not None else None
        now = a.status if a is not None else None
        if was != now:
            message = a.message if a is not None else b.message if b is not None else ""
            changes.append(CriterionChange(rule=rule, before=was, after=now, message=message))
    return tuple(changes)


def _where(where: str, at: int | str) -> str:
    return f"{where} {at}" if where != "file" else str(at)


def impact(old: Pack, new: Pack, population: Iterable[Input], *,
           backend: BackendName = "durable", lang: str | None = None, jobs: int | None = 1,
           sample: int = 10, budget: Decimal | int | str | None = None,
           timeout: float | None = None) -> Impact:
    """Decide ``population`` under ``old`` and ``new`` (the same pack id) and compare.

    ``population`` is any iterable of :class:`~fundrules.batch.Input` (an
    :class:`~fundrules.batch.InputSource`, for one); ``jobs`` processes share the work.
    Inputs that are invalid under both packs are counted in ``invalid``, not as flips.
    ``budget`` overrides both packs' budgets, so that only the rules differ. ``timeout``
    limits each input (see :func:`~fundrules.batch.evaluate_inputs`).
    """
    if old.id != new.id:
        raise UnknownPackError([Diagnostic(
            "unknown-pack", f"the packs have different ids: `{old.id}` and `{new.id}`",
            hint="compare two versions of one pack (the same `pack:` id)", path="pack")])
    before: collections.Counter[str] = collections.Counter()
    after: collections.Counter[str] = collections.Counter()
    flips: collections.Counter[str] = collections.Counter()
    kept: tuple[list[tuple[Decision, Applicant]], list[tuple[Decision, Applicant]]] = ([], [])
    flipped: list[Flip] = []
    inputs = invalid = award_changes = 0
    for result in evaluate_inputs(population, [old, new], backend=backend, lang=lang,
                                  timeout=timeout,
                                  jobs=jobs, keep_applicants=True):
        inputs += 1
        was, now = result.results
        b, a = _outcome(was), _outcome(now)
        before[b] += 1
        after[a] += 1
        if b == a == "error":
            invalid += 1
            continue
        for side, decision in zip(kept, (was, now), strict=True):
            if isinstance(decision, Decision) and decision.outcome == "eligible":
                assert result.applicant is not None
                side.append((decision, result.applicant))
        if b != a:
            flips[f"{b} -> {a}"] += 1
            if len(flipped) < sample:
                who = result.applicant.id if result.applicant else _where(result.where, result.at)
                flipped.append(Flip(applicant=who, where=_where(result.where, result.at),
                                    before=b, after=a, criteria=_changes(was, now)))
        elif (b == "eligible" and isinstance(was, Decision) and isinstance(now, Decision)
              and was.award != now.award):
            award_changes += 1
    ordered = {k: flips[k] for k in sorted(flips, key=lambda k: (-flips[k], k))}
    return Impact(
        pack=old.id, old_version=old.version, new_version=new.version,
        old_digest=old.digest, new_digest=new.digest, inputs=inputs, invalid=invalid,
        before={o: before[o] for o in OUTCOMES}, after={o: after[o] for o in OUTCOMES},
        flips=ordered, award_changes=award_changes,
        old_allocation=_allocation(kept[0], old, budget, before),
        new_allocation=_allocation(kept[1], new, budget, after),
        sample=tuple(flipped))


def _allocation(eligible: list[tuple[Decision, Applicant]], pack: Pack,
                budget: Decimal | int | str | None, counts: collections.Counter[str]
                ) -> Allocation:
    """The allocation of one side, from its eligible applicants only (memory stays small).

    Its outcome counts are the side's; the per-applicant grants and the tally of unmet
    criteria are left out.
    """
    found = allocate(eligible, pack, budget)
    return found.model_copy(update={"grants": (), "ineligible": counts["ineligible"],
                                    "incomplete": counts["incomplete"],
                                    "invalid": counts["error"]})
