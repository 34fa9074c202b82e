"""Allocation: which eligible applicants a fixed budget funds, under the pack's mode.

Eligibility says who *may* be paid; allocation says who *is*, once the budget (and
``max_awards``) is shared out. The pack chooses the mode (``allocation:``):

- ``first_come_first_served``: by ``submitted_at`` (ties by ``id``); each award is funded
  while it fits in what is left; the first one that does not fit closes the fund, and
  everyone after it is unfunded (paying a later, smaller award would jump the queue).
- ``budget_share``: an equal share of the budget among eligible applicants, rounded down
  to the cent; the cents left over are reported as ``remainder``. The share is what each
  is paid and committed, whatever the award's kind (a range's min and max included).
- ``needs_assessed``: ranked by declared monthly need, highest first, then funded in
  that order while the award's *maximum* still fits, so the budget holds whatever the
  assessor grants within each range.

Money is Decimal throughout; an award counts as its amount, a monthly award as amount x
months, a range award as its maximum when deciding (min and max are both reported).
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from fundrules.diagnostics import Diagnostic
from fundrules.errors import InvalidArgument, PackError
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant, Award, Decision

__all__ = ["Allocation", "AllocationMode", "CriterionCount", "Grant", "allocate", "monthly_need"]

AllocationMode = Literal["first_come_first_served", "budget_share", "needs_assessed"]
_CENT = Decimal("0.01")
_TOP_CRITERIA = 5


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grant(_Frozen):
    """One eligible applicant's place in the allocation.

    ``amount`` is what is committed when funded (for a range award, ``min`` and ``max``
    bound it); ``rank`` is the 1-based place in the funding order; ``note`` says why.
    """

    applicant: str
    call: str | None
    submitted_at: dt.datetime
    rank: int
    funded: bool
    amount: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    need: Decimal | None = None
    note: str


class CriterionCount(_Frozen):
    """How many ineligible applicants failed one criterion (unmet, or an exclusion applied)."""

    rule: str
    count: int
    message: str


class Allocation(_Frozen):
    """The result of allocating a pack's budget over a batch of decisions.

    Outcome counts add up to every decision given (plus ``invalid`` inputs, when the
    caller reports them). ``committed_min`` and ``committed_max`` differ only for range
    awards; ``remaining`` is the budget less ``committed_max``.
    """

    pack: str
    pack_version: str
    mode: AllocationMode
    currency: str
    budget: Decimal | None
    max_awards: int | None
    funded: int
    unfunded: int
    ineligible: int
    incomplete: int
    invalid: int = 0
    committed_min: Decimal
    committed_max: Decimal
    remaining: Decimal | None
    share: Decimal | None = None
    remainder: Decimal | None = None
    unmet: tuple[CriterionCount, ...] = ()
    grants: tuple[Grant, ...] = ()

    @property
    def total(self) -> int:
        """Every input counted: funded + unfunded + ineligible + incomplete + invalid."""
        return self.funded + self.unfunded + self.ineligible + self.incomplete + self.invalid


def _kinds(pack: Pack, call: str | None, cache: dict[str | None, dict[str, str]]
           ) -> dict[str, str]:
    """Rule id -> kind (rule, window, exclusion, tier...) for one call of the pack."""
    if call not in cache:
        compiled = pack.calls.get(call) if call is not None else None
        cache[call] = {r.id: r.kind for r in compiled.rules} if compiled is not None else {}
    return cache[call]


def monthly_need(applicant: Applicant, currency: str) -> Decimal | None:
    """Declared monthly need: essential costs less a sixth of the income expected in 6 months.

    ``None`` (unknown) unless both figures are given in ``currency``: money is never
    converted, and a missing figure is unknown, not zero.
    """
    needs = applicant.needs
    if needs is None or needs.monthly_essential_costs is None or needs.expected_income_6m is None:
        return None
    costs, income = needs.monthly_essential_costs, needs.expected_income_6m
    if costs.currency != currency or income.currency != currency:
        return None
    return (costs.value - income.value / 6).quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _bounds(award: Award | None) -> tuple[Decimal, Decimal] | None:
    """(min, max) committed by one award; ``None`` when it has no amount (a share)."""
    if award is None:
        return Decimal(0), Decimal(0)
    if award.kind == "range":
        if award.min is None or award.max is None:
            return None
        return award.min, award.max
    if award.amount is None:
        return None
    amount = award.amount * (award.months or 1) if award.kind == "monthly" else award.amount
    return amount, amount


def _award_text(award: Award) -> str:
    """What an award that :func:`_bounds` cannot commit lacks."""
    if award.kind == "range":
        return "a range without `min` or `max`"
    return f"a {award.kind} award without an amount"


def _needs_budget(pack: Pack, mode: str) -> PackError:
    return PackError([Diagnostic(
        "missing-key", f"pack `{pack.id}` has no `budget`, which `{mode}` needs",
        hint="add `budget:` to the pack, or give one (`--budget`, `budget=`)",
        file=pack.file, path="budget")])


def allocate(decisions_with_applicants: Iterable[tuple[Decision, Applicant]], pack: Pack,
             budget: Decimal | int | str | None = None, *, invalid: int = 0) -> Allocation:
    """Allocate ``pack``'s budget (or ``budget``, in the pack's currency) over decisions.

    Every decision must be for ``pack``; ineligible and incomplete ones are counted (and
    their unmet criteria tallied), eligible ones ranked and funded under the pack's
    ``allocation`` mode. ``invalid`` is the number of inputs that could not be decided,
    reported as is. Raises :class:`PackError` when the mode needs a budget and none is
    known, or when an award has no amount the mode can commit.
    """
    model = pack.model
    mode: AllocationMode = model.allocation
    limit = Decimal(budget) if budget is not None else model.budget
    if limit is not None and (not limit.is_finite() or limit < 0):
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"budget must be a finite amount of 0 or more, not {budget}",
            hint="pass an amount such as \"1000000.00\" (in the pack's currency), or none",
            path="budget")])
    eligible: list[tuple[Decision, Applicant]] = []
    counts: collections.Counter[str] = collections.Counter()
    unmet: collections.Counter[str] = collections.Counter()
    messages: dict[str, str] = {}
    cache: dict[str | None, dict[str, str]] = {}
    for decision, applicant in decisions_with_applicants:
        if decision.pack != pack.id:
            raise InvalidArgument([Diagnostic(
                "invalid-argument", f"a decision for pack `{decision.pack}` given to "
                f"allocate `{pack.id}`", hint="allocate each pack's decisions separately",
                path="decisions_with_applicants")])
        counts[decision.outcome] += 1
        if decision.outcome == "eligible":
            eligible.append((decision, applicant))
        elif decision.outcome == "ineligible":
            kinds = _kinds(pack, decision.call, cache)
            for reason in decision.reasons:
                kind = kinds.get(reason.rule)
                # a Decision reports an exclusion as the criterion "not excluded": one that
                # applies is `unmet`, like a failed rule (runtime/decide.py, reason_status)
                if kind in ("window", "rule", "exclusion") and reason.status == "unmet":
                    unmet[reason.rule] += 1
                    messages.setdefault(reason.rule, reason.message)
    if mode == "budget_share":
        grants, share = _share(eligible, pack, limit)
    elif mode == "needs_assessed":
        grants, share = _in_order(_by_need(eligible, model.currency), pack, limit), None
    else:
        grants, share = _in_order(_by_time(eligible), pack, limit), None
    funded = [g for g in grants if g.funded]
    low = sum((g.min if g.min is not None else g.amount or Decimal(0) for g in funded),
              Decimal(0))
    high = sum((g.max if g.max is not None else g.amount or Decimal(0) for g in funded),
               Decimal(0))
    ranked = sorted(unmet.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_CRITERIA]
    return Allocation(
        pack=pack.id, pack_version=pack.version, mode=mode, currency=model.currency,
        budget=limit, max_awards=model.max_awards, funded=len(funded),
        unfunded=len(grants) - len(funded), ineligible=counts["ineligible"],
        incomplete=counts["incomplete"], invalid=invalid, committed_min=low, committed_max=high,
        remaining=None if limit is None else limit - high, share=share,
        remainder=None if share is None or limit is None else limit - high,
        unmet=tuple(CriterionCount(rule=r, count=n, message=messages[r]) for r, n in ranked),
        grants=tuple(grants))


def _by_time(eligible: list[tuple[Decision, Applicant]]
             ) -> list[tuple[Decision, Applicant, Decimal | None]]:
    ranked = sorted(eligible, key=lambda da: (da[1].submitted_at, da[1].id))
    return [(d, a, None) for d, a in ranked]


def _by_need(eligible: list[tuple[Decision, Applicant]], currency: str
             ) -> list[tuple[Decision, Applicant, Decimal | None]]:
    """Highest declared need first; undeclared need after every declared one."""
    scored = [(d, a, monthly_need(a, currency)) for d, a in eligible]
    return sorted(scored, key=lambda s: (s[2] is None, -(s[2] or 0), s[1].submitted_at, s[1].id))


def _grant(decision: Decision, applicant: Applicant, rank: int, funded: bool, note: str, *,
           need: Decimal | None = None, amount: Decimal | None = None) -> Grant:
    award = decision.award
    low: Decimal | None = None
    high: Decimal | None = None
    # a range award spans min..max; under budget_share the share is the amount instead
    if amount is None and award is not None and award.kind == "range":
        low, high = award.min, award.max
    if amount is None and low is None:
        bounds = _bounds(award)
        amount = bounds[0] if bounds else None
    return Grant(applicant=applicant.id, call=decision.call, submitted_at=applicant.submitted_at,
                 rank=rank, funded=funded, amount=amount, min=low, max=high, need=need,
                 note=note)


def _in_order(ranked: Iterable[tuple[Decision, Applicant, Decimal | None]], pack: Pack,
              limit: Decimal | None) -> list[Grant]:
    """Fund in ranking order until the budget or ``max_awards`` runs out.

    First come first served closes at the first award that does not fit; needs assessed
    goes on down the ranking, since a smaller award further down may still fit.
    """
    cap = pack.model.max_awards
    queue = pack.model.allocation == "first_come_first_served"
    spent, count, closed = Decimal(0), 0, False
    grants = []
    for rank, (decision, applicant, need) in enumerate(ranked, 1):
        bounds = _bounds(decision.award)
        if bounds is None:
            assert decision.award is not None  # no award commits nothing: (0, 0)
            raise PackError([Diagnostic(
                "invalid-value", f"pack `{pack.id}` gave `{decision.applicant}` an award "
                f"with no amount to commit ({_award_text(decision.award)}), which "
                f"`{pack.model.allocation}` cannot allocate",
                hint="give the award an amount (a range needs `min` and `max`), or use "
                     "`allocation: budget_share` for share awards",
                file=pack.file, path="allocation")])
        note = "funded"
        if cap is not None and count >= cap:
            note = f"max_awards ({cap}) reached"
        elif closed or (limit is not None and spent + bounds[1] > limit):
            closed = queue
            note = "budget spent" if queue else "does not fit in the budget left"
        else:
            spent += bounds[1]
            count += 1
        grants.append(_grant(decision, applicant, rank, note == "funded", note, need=need))
    return grants


def _share(eligible: list[tuple[Decision, Applicant]], pack: Pack, limit: Decimal | None
           ) -> tuple[list[Grant], Decimal | None]:
    """Equal shares (rounded down to the cent) among the first ``max_awards`` by time."""
    if limit is None:
        raise _needs_budget(pack, "budget_share")
    ranked = _by_time(eligible)
    cap = pack.model.max_awards
    takers = ranked if cap is None else ranked[:cap]
    share = (limit / len(takers)).quantize(_CENT, rounding=ROUND_DOWN) if takers else None
    grants = [_grant(d, a, rank, rank <= len(takers),
                     "funded" if rank <= len(takers) else f"max_awards ({cap}) reached",
                     amount=share if rank <= len(takers) else None)
              for rank, (d, a, _) in enumerate(ranked, 1)]
    return grants, share
