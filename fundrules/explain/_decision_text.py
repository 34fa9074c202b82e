"""Decisions as text for people: outcome, award, and every criterion with its status.

Every word that is not the pack's own (labels, statuses, award kinds) comes from
:mod:`fundrules.i18n`, in the language asked; English is the default.
"""

from __future__ import annotations

from fundrules.i18n import check_lang, say
from fundrules.schema import Award, Decision

__all__ = ["award_text", "decision_text"]

_STATUSES = ("met", "unmet", "unknown")


def award_text(award: Award | None, lang: str = "en") -> str:
    """``900.00 EUR``, ``500.00-2500.00 GBP``, ``750.00 GBP a month for up to 6 months``..."""
    check_lang(lang)
    if award is None:
        return say("none", lang)
    if award.kind == "range":
        return say("award_range", lang, min=award.min, max=award.max, cur=award.currency)
    if award.kind == "monthly":
        return say("monthly", lang, amount=award.amount, cur=award.currency,
                   months=award.months)
    if award.kind == "share":
        return say("share", lang, cur=award.currency)
    return f"{award.amount} {award.currency}"


def decision_text(decision: Decision, lang: str = "en") -> str:
    """A plain-text report of one decision, its labels in ``lang``.

    The reasons' messages are the decision's own (decide with the same ``lang`` to have
    them in that language too).
    """
    check_lang(lang)
    marks = {s: f"[{say(s, lang)}]" for s in _STATUSES}
    width = max(len(m) for m in marks.values())
    colon = say("colon", lang)
    heads = {k: say(k, lang) + colon for k in ("outcome", "award", "missing")}
    pad = max(len(heads["outcome"]), len(heads["award"]))
    call = f" · {say('call', lang)} {decision.call}" if decision.call else ""
    lines = [
        f"{decision.applicant} · {decision.pack} {decision.pack_version}{call}",
        f"  {heads['outcome'].ljust(pad)} {say('outcome_' + decision.outcome, lang)}",
        f"  {heads['award'].ljust(pad)} {award_text(decision.award, lang)}",
    ]
    for reason in decision.reasons:
        source = f"  ({reason.source})" if reason.source else ""
        lines.append(f"  {marks[reason.status].ljust(width)} {reason.rule}: "
                     f"{reason.message}{source}")
    if decision.missing:
        lines.append(f"  {heads['missing']} " + ", ".join(decision.missing))
    return "\n".join(lines)
