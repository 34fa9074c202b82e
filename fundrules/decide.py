"""From the statuses an engine concluded to a :class:`~fundrules.schema.Decision`.

Shared by every backend, so that backends differ only in how they infer statuses.
``missing`` lists exactly the facts that could change the outcome: it follows only
the unknown branches of the Kleene tree that left the outcome (or award) undecided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from fundrules.policies.ir import (
    AwardTier,
    CLeaf,
    CompiledPack,
    CompiledRule,
    Cond,
    Status,
    Value,
    unknown_parts,
)
from fundrules.schema import Applicant, Award, Decision, Outcome, Reason

__all__ = ["build_decision", "message_for"]

_CRITERIA = ("window", "rule", "priority", "exclusion", "tier")
_CENT = Decimal("0.01")
_NO_WINDOW = {
    "en": "Apply within a call's window; this application fits none ({windows})",
    "fr": "Déposer la demande pendant un appel ; elle n'entre dans aucun ({windows})",
    "it": "Presentare la domanda entro un bando; non rientra in nessuno ({windows})",
    "es": "Presentar la solicitud dentro de una convocatoria; no entra en ninguna ({windows})",
}


def message_for(messages: Mapping[str, str], lang: str | None, languages: Sequence[str]) -> str:
    """The message in ``lang``, else English, else the pack's first language."""
    for candidate in (lang, "en", *languages):
        if candidate and candidate in messages:
            return messages[candidate]
    return next(iter(messages.values()), "")


def _missing(cond: Cond, pack: CompiledPack, values: Mapping[str, Value],
             statuses: Mapping[str, Status], out: dict[str, None], seen: set[str]) -> None:
    """Field paths behind the unknown parts of a condition (through the facts it reads)."""
    for part in unknown_parts(cond, values, statuses):
        if isinstance(part, CLeaf):
            for path in values[part.input].missing:
                out.setdefault(path, None)
        elif part.fact not in seen:
            seen.add(part.fact)
            for rule in pack.rules:
                if rule.then == part.fact:
                    _missing(rule.cond, pack, values, statuses, out, seen)


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(_CENT)


_AWARDS: dict[tuple[str, str, str, str], Award] = {}


def _award(pack: CompiledPack, tier: AwardTier) -> Award:
    """Awards are immutable and one per tier: build each once per pack version."""
    assert pack.award is not None
    key = (pack.pack, pack.digest, pack.call, tier.id)
    found = _AWARDS.get(key)
    if found is None:
        found = Award.model_construct(
            kind=pack.award.kind, amount=_money(tier.amount), min=_money(tier.min),
            max=_money(tier.max), months=tier.months, currency=pack.award.currency)
        if len(_AWARDS) < 10_000:
            _AWARDS[key] = found
    return found


def _select_tier(pack: CompiledPack, statuses: Mapping[str, Status]
                 ) -> tuple[AwardTier | None, CompiledRule | None]:
    """The first tier that is met; or the first undecided tier's rule (award unknown)."""
    if pack.award is None:
        return None, None
    for tier in pack.award.tiers:
        if tier.rule is None:
            return tier, None
        rule = _index(pack)[1][tier.rule]
        status = statuses[rule.then]
        if status == "met":
            return tier, None
        if status == "unknown":
            return None, rule
    return None, None


_REASONS: dict[tuple[str, str, str, str, Status, str | None, str | None], Reason] = {}


def _reason(pack: CompiledPack, rule: CompiledRule, status: Status, lang: str | None,
            text: str) -> Reason:
    """Reasons are immutable and few: share one object per pack, rule, status and text."""
    key = (pack.pack, pack.digest, pack.call, rule.id, status, lang, text)
    found = _REASONS.get(key)
    if found is None:
        source = ", ".join(rule.cite) if rule.cite else None
        found = Reason.model_construct(rule=rule.id, status=status, message=text, source=source)
        if len(_REASONS) < 100_000:  # bounded: texts come from packs, not applicants
            _REASONS[key] = found
    return found


_INDEXES: dict[tuple[str, str, str], tuple[tuple[CompiledRule, ...], dict[str, CompiledRule]]] = {}


def _index(pack: CompiledPack) -> tuple[tuple[CompiledRule, ...], dict[str, CompiledRule]]:
    """The criteria in the order the pack writes them, and every rule by id (once a pack)."""
    key = (pack.pack, pack.digest, pack.call)
    found = _INDEXES.get(key)
    if found is None:
        by_id = {rule.id: rule for rule in pack.rules}
        criteria = tuple(by_id[r] for r in (pack.written or tuple(by_id))
                         if by_id[r].kind in _CRITERIA)
        found = _INDEXES[key] = (criteria, by_id)
    return found


def build_decision(pack: CompiledPack, applicant: Applicant, values: Mapping[str, Value],
                   statuses: Mapping[str, Status], trace: Sequence[str], *,
                   lang: str | None = None, all_windows: str | None = None) -> Decision:
    """Assemble the Decision for one applicant from an engine's conclusions."""
    reasons = []
    criteria, by_id = _index(pack)
    for rule in criteria:
        text = message_for(rule.message, lang, pack.languages)
        if rule.kind == "window" and all_windows and statuses[rule.then] == "unmet":
            text = message_for(_NO_WINDOW, lang, pack.languages).format(windows=all_windows)
        reasons.append(_reason(pack, rule, statuses[rule.then], lang, text))
    eligible = by_id["eligible"]
    status = statuses[eligible.then]
    award = None
    missing: dict[str, None] = {}
    outcome: Outcome
    if status == "unknown":
        _missing(eligible.cond, pack, values, statuses, missing, set())
        outcome = "incomplete"
    elif status == "unmet":
        outcome = "ineligible"
    else:
        tier, undecided = _select_tier(pack, statuses)
        if undecided is not None:
            _missing(undecided.cond, pack, values, statuses, missing, set())
            outcome = "incomplete"
        else:
            outcome = "eligible"
            award = _award(pack, tier) if tier is not None else None
    # built from values the engine and compiler already typed: no need to validate again
    return Decision.model_construct(
        pack=pack.pack, pack_version=pack.version, pack_digest=pack.digest, call=pack.call,
        applicant=applicant.id, outcome=outcome, award=award, reasons=tuple(reasons),
        missing=tuple(missing), trace=tuple(trace))
