"""A decision read back as a programme officer would explain it to an applicant.

:func:`explain` runs the engine as :meth:`Engine.evaluate` does, then goes back over each
criterion of the decision: the facts it read and their values (exact, an interval such as
``9..14``, or ``unknown``), its message and sources, and for an unmet one what would have
met it ("12 needed, 9 counted ...: 3 more would meet it"). :func:`render_text` prints it in
French, English, Italian or Spanish, with colour on a terminal. Nothing here decides
anything: statuses, outcome and award are the engine's, so the explanation never
disagrees with the decision it explains.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from fundrules.api import Engine
from fundrules.i18n import FIELD_WORDS, ITEM_WORDS, printable, say
from fundrules.policies.ir import (
    CAnd,
    CFact,
    CLeaf,
    CNot,
    CompiledRule,
    Cond,
    ContainsInput,
    COr,
    IncomeInput,
    Input,
    ItemField,
    MeasureInput,
    Status,
)
from fundrules.policies.model import PackModel
from fundrules.runtime.decide import message_for, reason_status
from fundrules.runtime.evaluation import Evaluation
from fundrules.runtime.facts import submitted_date, window_day
from fundrules.runtime.semantics import Value
from fundrules.runtime.walk import facts as facts_read
from fundrules.runtime.walk import leaves, positive_leaves
from fundrules.schema import Applicant, Award, Decision, Outcome, parse_applicant

__all__ = ["CriterionExplanation", "Explanation", "FactRead", "MissingFact", "NotEncoded",
           "SourceRef",
           "award_words", "explain", "path_words", "render_text"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(_Frozen):
    """A source a criterion cites."""

    id: str
    title: str
    url: str | None = None


class FactRead(_Frozen):
    """One fact a criterion read: an applicant value, a measure, or another rule's fact.

    ``value`` is shown as people read it: ``12``, ``9..14`` (an interval: some data is
    missing), ``unknown``, ``15000.00 EUR``, ``2020-01-15``; for a derived fact, its status.
    """

    name: str
    about: str | None = None
    value: str
    status: Status | None = None
    concluded_by: str | None = None
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class CriterionExplanation(_Frozen):
    """One criterion of the decision with what it read and, when unmet, what would meet it."""

    rule: str
    kind: str
    status: Status
    message: str
    condition: str | None = None
    sources: tuple[SourceRef, ...] = ()
    quote: dict[str, str] | None = None  # the source's own words, by its language
    facts: tuple[FactRead, ...] = ()
    hints: tuple[str, ...] = ()


class NotEncoded(_Frozen):
    """A criterion of the fund that the pack does not decide, and why."""

    id: str
    reason: str
    confidence: str | None = None


class MissingFact(_Frozen):
    """A fact to provide for an incomplete decision: its field path and the same in words."""

    path: str
    words: str


class Explanation(_Frozen):
    """A decision, explained; JSON-serialisable with ``model_dump(mode="json")``."""

    pack: str
    pack_version: str
    pack_title: str
    call: str | None
    applicant: str
    lang: str
    outcome: Outcome
    award: Award | None
    award_text: str
    eligible: str
    criteria: tuple[CriterionExplanation, ...]
    missing: tuple[MissingFact, ...]
    not_encoded: tuple[NotEncoded, ...] = ()


_OPS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠", "in": "∈", "nin": "∉"}
_PATH = re.compile(r"^([a-z_]+)\[(\d+)\]\.(.+)$")


def explain(engine: Engine, applicant: Applicant | Mapping[str, object], pack: str,
            lang: str = "en") -> Explanation:
    """Decide ``applicant`` against ``pack`` and explain every criterion in ``lang``."""
    person = applicant if isinstance(applicant, Applicant) else parse_applicant(applicant)
    evaluation = engine.evaluation(person, pack, lang=lang)
    decision = evaluation.decision
    loaded = engine.pack(pack)
    ctx = _Context(evaluation, loaded.model, lang)
    criteria = tuple(ctx.criterion(evaluation.call.rule(r.rule), r.status, r.message)
                     .model_copy(update={"quote": loaded.quote(r.rule)})
                     for r in decision.reasons)
    return Explanation(
        pack=decision.pack, pack_version=decision.pack_version,
        pack_title=message_for({str(k): v for k, v in loaded.model.title.items()}, lang,
                               loaded.model.languages),
        call=decision.call, applicant=decision.applicant, lang=lang, outcome=decision.outcome,
        award=decision.award, award_text=award_words(decision, lang),
        eligible=ctx.model_eligible(), criteria=criteria,
        missing=tuple(MissingFact(path=p, words=path_words(p, lang)) for p in decision.missing),
        not_encoded=tuple(NotEncoded(id=n.id, reason=_text(n.reason, lang),
                                     confidence=getattr(n, "confidence", None))
                          for n in loaded.not_encoded))


def _text(text: object, lang: str) -> str:
    """Pack text that may be given per language."""
    if isinstance(text, Mapping):
        return str(text.get(lang) or text.get("en") or next(iter(text.values()), ""))
    return str(text)


def award_words(decision: Decision, lang: str) -> str:
    """The award as an applicant reads it: ``900.00 EUR``, ``750.00 GBP a month ...``."""
    a = decision.award
    if a is None:
        return say("none", lang)
    if a.kind == "range":
        return say("range", lang, min=a.min, max=a.max, cur=a.currency)
    if a.kind == "monthly":
        return say("monthly", lang, amount=a.amount, cur=a.currency, months=a.months)
    if a.kind == "share":
        return say("share", lang, cur=a.currency)
    return f"{a.amount} {a.currency}"


def path_words(path: str, lang: str) -> str:
    """``engagements[1].days`` -> ``engagement 2: days worked (engagements[1].days)``."""
    item = _PATH.match(path)
    if item is not None:
        items, index, field = item.groups()
        words = FIELD_WORDS.get(f"{items}.{field}", {}).get(lang, field)
        name = ITEM_WORDS.get(items, {}).get(lang, items)
        return f"{name} {int(index) + 1}: {words} ({path})"
    plain = FIELD_WORDS.get(path, {}).get(lang)
    return f"{plain} ({path})" if plain else path


class _Context:
    """What explaining one decision needs: the applicant's values and every rule's status."""

    def __init__(self, evaluation: Evaluation, model: PackModel, lang: str) -> None:
        compiled = evaluation.call
        self.evaluation, self.compiled, self.model, self.lang = evaluation, compiled, model, lang
        self.values = evaluation.values
        self.day = submitted_date(evaluation.applicant, compiled.window.tz)
        self.statuses = evaluation.statuses  # the backend's: never recomputed here
        self.decisive: set[str] = set()  # the rules whose status made the outcome
        eligible = compiled.rule("eligible")
        self._decisive(eligible.cond, self.statuses[eligible.id])
        if self.statuses[eligible.id] == "met":  # incomplete only by an undecided tier
            for tier_spec in compiled.award.tiers if compiled.award else ():
                chosen = compiled.rule(tier_spec.rule) if tier_spec.rule else None
                status = self.statuses[chosen.id] if chosen else "met"
                if chosen is not None and status == "unknown":
                    self.decisive.add(chosen.id)
                    self._decisive(chosen.cond, "unknown")
                if status != "unmet":  # the first tier met or undecided is the award's
                    break
        self.when: dict[str, str] = {r.id: r.when for r in (*model.rules, *model.exclusions)}
        for award in (model.award, *(c.award for c in model.calls)):
            for tier in (award.tiers or ()) if award is not None else ():
                if tier.id and tier.when:
                    self.when[tier.id] = tier.when

    def _decisive(self, cond: Cond, target: Status) -> None:
        """Follow the branches with the outcome's status down to the rules behind them.

        An unmet `a or b` needs both unmet, an unmet `a and b` only the unmet ones: hints
        are given for those rules alone, never for an unmet alternative that did not matter.
        """
        if target == "met" or self.evaluation.part_status(cond) != target:
            return
        if isinstance(cond, CFact):
            rule = cond.rule
            if rule in self.compiled.by_id and rule not in self.decisive:
                self.decisive.add(rule)
                self._decisive(self.compiled.rule(rule).cond, target)
        elif isinstance(cond, CNot):
            if target == "unknown":  # an unmet `not x` is a met x: nothing to meet there
                self._decisive(cond.operand, target)
        elif isinstance(cond, CAnd | COr):
            for part in cond.operands:
                self._decisive(part, target)

    def model_eligible(self) -> str:
        call = next((c for c in self.model.calls if c.id == self.compiled.call), None)
        return (call.eligible if call is not None and call.eligible else self.model.eligible)

    def criterion(self, rule: CompiledRule, status: Status, message: str
                  ) -> CriterionExplanation:
        inputs = [leaf.input for leaf in leaves(rule.cond)
                  if not isinstance(leaf.input, ItemField)]  # rules read no list item
        read = [self.fact_of_leaf(spec) for spec in dict.fromkeys(inputs)]
        read += [self.fact_read(f) for f in dict.fromkeys(facts_read(rule.cond))]
        hints: list[str] = []
        if rule.id not in self.decisive:
            pass
        elif status == "unmet" and rule.kind in ("window", "rule"):  # not what to avoid
            hints = [h for leaf in positive_leaves(rule.cond) for h in self.hint(leaf)]
        elif status == "unknown":
            paths = [p for part in self.evaluation.undecided_parts(rule.cond)
                     if isinstance(part, CLeaf)
                     for p in self.values[part.input].missing]  # type: ignore[index]
            if paths:
                hints = [say("decide_with", self.lang, paths="; ".join(
                    path_words(p, self.lang) for p in dict.fromkeys(paths)))]
        sources = tuple(SourceRef(id=ref, title=self.compiled.sources.get(ref, ref),
                                  url=self.model.sources[ref].url
                                  if ref in self.model.sources else None)
                        for ref in rule.cite)
        return CriterionExplanation(
            rule=rule.id, kind=rule.kind, status=status, message=message,
            condition=self.when.get(rule.id), sources=sources, facts=tuple(read),
            hints=tuple(hints))

    # -- values ----------------------------------------------------------------------
    def fact_read(self, fact: CFact) -> FactRead:
        """A fact a criterion reads, with the status its rule reported."""
        rule = self.compiled.by_id.get(fact.rule)
        status = reason_status(rule, self.statuses[rule.id]) if rule is not None else None
        return FactRead(name=fact.fact, value=say(status or "unknown", self.lang),
                        status=status, concluded_by=rule.id if rule is not None else None)

    def fact_of_leaf(self, spec: Input) -> FactRead:
        value = self.values[spec]
        name, about = spec.key, None
        if isinstance(spec, MeasureInput) and spec.measure in self.model.measures:
            about = self.model.measures[spec.measure].description
        elif not isinstance(spec, MeasureInput | IncomeInput | ContainsInput) \
                and spec.key in FIELD_WORDS:
            about = FIELD_WORDS[spec.key].get(self.lang)
        return FactRead(name=name, about=about, value=self.show(spec, value),
                        missing=value.missing, notes=value.notes)

    def show(self, spec: Input, value: Value) -> str:
        if spec.type == "symbol":
            if value.sym is None:
                return say("unknown", self.lang)
            return say(value.sym, self.lang) if value.sym in ("true", "false") else value.sym
        unknown = say("unknown", self.lang)
        if value.hi is None and not value.lo:  # nothing known, or only "0 or more"
            return unknown
        if value.hi is None:  # one bound: say which
            return f"{unknown} (≥ {self.number(spec, value.lo or 0)})"
        if value.lo is None:
            return f"{unknown} (≤ {self.number(spec, value.hi)})"
        lo, hi = self.number(spec, value.lo), self.number(spec, value.hi)
        return lo if value.lo == value.hi else f"{lo}..{hi}"

    def number(self, spec: Input, x: float, *, unit: bool = True) -> str:
        if spec.type == "money":
            cents = (Decimal(x) / 100).quantize(Decimal("0.01"))
            return f"{cents} {self.compiled.currency}" if unit else str(cents)
        if spec.type == "date":
            return dt.date.fromordinal(int(x)).isoformat()
        if spec.type == "instant":
            tz = self.compiled.window.tz
            local = dt.datetime.fromtimestamp(x, dt.UTC).astimezone(zoneinfo.ZoneInfo(tz))
            return f"{local:%Y-%m-%d %H:%M} ({tz})"
        return str(int(x)) if float(x).is_integer() else str(x)

    # -- what would meet it ----------------------------------------------------------
    def hint(self, key_leaf: CLeaf) -> list[str]:
        spec = key_leaf.input
        if isinstance(spec, ItemField):
            return []
        value = self.values[spec]
        if self.evaluation.part_status(key_leaf) != "unmet":
            return []
        c, op = key_leaf.value, key_leaf.op
        if not key_leaf.numeric:
            return [self.symbol_hint(key_leaf, spec, value)]
        assert isinstance(c, int | float)
        step = 1  # numbers are whole, amounts are cents: the smallest change that counts
        if spec.type in ("number", "money") and op in ("ge", "gt") and value.hi is not None:
            need = c + step if op == "gt" else c
            return [say("at_least", self.lang, need=self.number(spec, need),
                        have=self.show(spec, value), window=self.window(spec),
                        diff=self.number(spec, need - value.hi))]
        if spec.type in ("number", "money") and op in ("le", "lt") and value.lo is not None:
            need = c - step if op == "lt" else c
            return [say("at_most", self.lang, need=self.number(spec, need),
                        have=self.show(spec, value), window=self.window(spec),
                        diff=self.number(spec, value.lo - need))]
        return [say("compare", self.lang, op=f"{_OPS[op]} " if op != "eq" else "",
                    need=self.number(spec, c),
                    have=self.show(spec, value))]

    def symbol_hint(self, leaf: CLeaf, spec: Input, value: Value) -> str:
        wanted = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        shown = say("or", self.lang).join(say(str(v), self.lang) if v in ("true", "false")
                                           else str(v) for v in wanted)
        if leaf.op in ("ne", "nin"):
            shown = f"{_OPS[leaf.op]} {shown}"
        return say("one_of", self.lang, need=shown, have=self.show(spec, value))

    def window(self, spec: Input) -> str:
        if not isinstance(spec, MeasureInput):
            return ""
        measure = next((m for m in self.compiled.measures if m.name == spec.measure), None)
        if measure is None or measure.within is None:
            return ""
        first, last = (dt.date.fromordinal(window_day(self.day, b)) for b in measure.within)
        return say("window", self.lang, start=first.isoformat(), end=last.isoformat())


_COLOURS = {"met": "32", "unmet": "31", "unknown": "33", "head": "1", "dim": "2", "hint": "36"}


def render_text(explanation: Explanation, color: bool = False) -> str:
    """The explanation as text for a person; ANSI colour when ``color`` (a terminal).

    Applicant and pack text is escaped (:func:`fundrules.i18n.printable`): only the colours
    of ``color`` reach the terminal as control sequences.
    """
    e, lang = explanation, explanation.lang
    safe = printable

    def paint(text: str, what: str) -> str:
        return f"\x1b[{_COLOURS[what]}m{safe(text)}\x1b[0m" if color else safe(text)

    labels = {s: f"[{say(s, lang)}]" for s in ("met", "unmet", "unknown")}
    width = max(len(label) for label in labels.values())
    heads = {k: say(k, lang) for k in ("outcome", "award", "call")}
    colon = say("colon", lang)
    pad = max(len(h) for h in heads.values()) + len(colon)
    lines = [paint(f"{e.applicant} · {e.pack_title}", "head"),
             paint(f"{e.pack} {e.pack_version}" + (f" · {heads['call']} {e.call}"
                                                   if e.call else ""), "dim"),
             f"{(heads['outcome'] + colon).ljust(pad)} " + paint(say(e.outcome, lang), {
                 "eligible": "met", "ineligible": "unmet", "incomplete": "unknown"}[e.outcome]),
             f"{(heads['award'] + colon).ljust(pad)} {safe(e.award_text)}", ""]
    for c in e.criteria:
        lines.append(f"{paint(labels[c.status].ljust(width), c.status)} "
                     f"{paint(c.rule, 'head')}: {safe(c.message)}")
        indent = " " * (width + 3)
        for f in c.facts:
            about = f"  ({f.about})" if f.about else ""
            lines.append(indent + paint(f"{f.name} = {f.value}{about}", "dim"))
            lines += [indent + "  " + paint(f"{say('note', lang)}{colon} {note}", "hint")
                      for note in f.notes]
        for ref in c.sources:
            lines.append(indent + paint(f"{say('source', lang)} {ref.id}: {ref.title}", "dim"))
        for source_lang, words in (c.quote or {}).items():
            lines.append(indent + paint(f"{say('quote', lang)} ({source_lang}): «{words}»", "dim"))
        lines += [indent + paint(f"→ {h}", "hint") for h in c.hints]
    if e.missing:
        lines += ["", paint(say("provide", lang), "head")]
        lines += [f"  - {safe(m.words)}" for m in e.missing]
    if e.not_encoded:
        lines += ["", paint(say("not_encoded", lang), "head")]
        lines += [safe(f"  - {n.id}: {n.reason}" + (f" ({n.confidence})" if n.confidence else ""))
                  for n in e.not_encoded]
    return "\n".join(lines)
