"""Decisions as text for people: outcome, award, and every criterion with its status."""

from __future__ import annotations

from fundrules.schema import Award, Decision

__all__ = ["award_text", "decision_text"]

_MARK = {"met": "[met]    ", "unmet": "[unmet]  ", "unknown": "[unknown]"}


def award_text(award: Award | None) -> str:
    """``900.00 EUR``, ``500.00-2500.00 GBP``, ``750.00 GBP a month for up to 6 months``..."""
    if award is None:
        return "none"
    if award.kind == "range":
        return f"{award.min}-{award.max} {award.currency} (set by assessed need)"
    if award.kind == "monthly":
        return f"{award.amount} {award.currency} a month for up to {award.months} months"
    if award.kind == "share":
        return f"an equal share of the budget ({award.currency})"
    return f"{award.amount} {award.currency}"


def decision_text(decision: Decision) -> str:
    """A plain-text report of one decision."""
    lines = [
        f"{decision.applicant} · {decision.pack} {decision.pack_version}"
        + (f" · call {decision.call}" if decision.call else ""),
        f"  outcome: {decision.outcome}",
        f"  award:   {award_text(decision.award)}",
    ]
    for reason in decision.reasons:
        source = f"  ({reason.source})" if reason.source else ""
        lines.append(f"  {_MARK[reason.status]} {reason.rule}: {reason.message}{source}")
    if decision.missing:
        lines.append("  missing: " + ", ".join(decision.missing))
    return "\n".join(lines)
