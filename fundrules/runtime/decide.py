"""From the statuses a backend concluded to a :class:`~fundrules.schema.Decision`.

Shared by every backend, so that backends differ only in how they infer statuses.
``missing`` lists exactly the facts that could change the outcome: it follows only the
unknown branches of the Kleene tree that left the outcome (or award) undecided.

An exclusion's condition says whether it *applies*; its reason reports the criterion an
applicant must meet, "not excluded": unmet when the exclusion applies (DESIGN 9).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NoReturn

from fundrules.policies.ir import AwardTier, CLeaf, CompiledPack, CompiledRule, Cond, Input, Status
from fundrules.runtime.facts import InputValues
from fundrules.runtime.semantics import NOT, Value, reading, unknown_parts
from fundrules.schema import Applicant, Award, Decision, Outcome, Reason

__all__ = ["Concluded", "Decider", "message_for", "reason_status"]

#: what a Decision is recalled by: the Concluded statuses (by identity), the language and
#: fits_no_call
_Recalled = tuple[int, str | None, bool]
_CRITERIA = ("window", "rule", "priority", "exclusion", "tier")
_CONCLUDED = 1024  # conclusions remembered per call, by statuses and language
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


def reason_status(rule: CompiledRule, status: Status) -> Status:
    """The status a rule's reason reports: an exclusion that applies is an unmet criterion."""
    return NOT[status] if rule.kind == "exclusion" else status


_DECISION_FIELDS = tuple(Decision.model_fields)
_ALL_SET = set(_DECISION_FIELDS)  # never changed: copied, one per Decision (its fields_set)
_set = object.__setattr__


def _decision(fields: dict[str, object]) -> Decision:
    """A Decision from every one of its fields, already typed, in one step.

    What ``model_construct`` does for a model without defaults to fill, aliases or private
    attributes; ``tests/unit/runtime/test_speed_paths.py`` holds it equal to a validated Decision.
    """
    decision = Decision.__new__(Decision)
    _set(decision, "__dict__", fields)
    _set(decision, "__pydantic_fields_set__", _ALL_SET.copy())
    _set(decision, "__pydantic_extra__", None)
    _set(decision, "__pydantic_private__", None)
    return decision


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(_CENT)


class Decider:
    """Builds Decisions for one compiled call; prepared once, immutable data inside.

    Reasons and awards are immutable and few (a pack's texts, not an applicant's), so
    each is built once per rule, status and language and shared by every Decision.
    """

    def __init__(self, pack: CompiledPack, all_windows: str) -> None:
        self.pack = pack
        self.all_windows = all_windows  # every call's window, for an application that fits none
        self.criteria = tuple(pack.rule(r) for r in (pack.written or pack.by_id)
                              if pack.rule(r).kind in _CRITERIA)
        self.eligible = pack.rule("eligible")
        self._awards: dict[str, Award] = {}
        if pack.award is not None:
            for tier in pack.award.tiers:
                self._awards[tier.id] = Award.model_construct(
                    kind=pack.award.kind, amount=_money(tier.amount), min=_money(tier.min),
                    max=_money(tier.max), months=tier.months, currency=pack.award.currency)
        self._reasons: dict[tuple[str, Status, str | None, bool], Reason] = {}
        # the statuses a conclusion reads, in one order whatever order a backend gives
        read = [r.id for r in self.criteria] + [self.eligible.id] + [
            t.rule for t in (pack.award.tiers if pack.award is not None else ()) if t.rule]
        self._statuses_of = operator.itemgetter(*dict.fromkeys(read))
        self._concluded: dict[tuple[object, str | None, bool],
                              tuple[Outcome, Award | None, tuple[Reason, ...], Cond | None]] = {}
        self._tables: dict[str | None, tuple[tuple[str, Mapping[Status, Reason]], ...]] = {}
        self._position = {spec: i for i, spec in enumerate(pack.inputs)}
        #: by the statuses of the comparisons (and language, fits_no_call): a Decision's
        #: fields but the applicant's id and missing paths, and the inputs those come from
        self._recalled: dict[_Recalled,
                             tuple[dict[str, object], tuple[int, ...], Concluded]] = {}

    def _reason(self, rule: CompiledRule, status: Status, lang: str | None,
                no_window: bool) -> Reason:
        key = (rule.id, status, lang, no_window)
        found = self._reasons.get(key)
        if found is None:
            text = message_for(rule.message, lang, self.pack.languages)
            if no_window:
                text = message_for(_NO_WINDOW, lang, self.pack.languages).format(
                    windows=self.all_windows)
            source = ", ".join(rule.cite) if rule.cite else None
            found = Reason.model_construct(rule=rule.id, status=reason_status(rule, status),
                                           message=text, source=source)
            if lang is None or lang in self.pack.languages or lang in ("en", "fr", "it", "es"):
                self._reasons[key] = found  # bounded: rules x statuses x languages
        return found

    def _table(self, lang: str | None) -> tuple[tuple[str, Mapping[Status, Reason]], ...]:
        """Each criterion's reason per status, in one language (kept for known languages)."""
        statuses: tuple[Status, ...] = ("met", "unmet", "unknown")
        table = tuple((rule.id, {s: self._reason(rule, s, lang, False) for s in statuses})
                      for rule in self.criteria)
        if lang is None or lang in self.pack.languages or lang in ("en", "fr", "it", "es"):
            self._tables[lang] = table
        return table

    def _select_tier(self, statuses: Mapping[str, Status]
                     ) -> tuple[AwardTier | None, CompiledRule | None]:
        """The first tier that is met; or the first undecided tier's rule (award unknown)."""
        if self.pack.award is None:
            return None, None
        for tier in self.pack.award.tiers:
            if tier.rule is None:
                return tier, None
            status = statuses[tier.rule]
            if status == "met":
                return tier, None
            if status == "unknown":
                return None, self.pack.rule(tier.rule)
        return None, None

    def _sources(self, cond: Cond, values: Mapping[Input, Value],
                 statuses: Mapping[str, Status], out: dict[Input, None], seen: set[str]) -> None:
        """The inputs behind the unknown parts of a condition (through the rules it reads).

        In the order they are met: the missing facts are their ``missing`` paths, in turn.
        """
        for part in unknown_parts(cond, reading(values), statuses):  # type: ignore[arg-type]
            if isinstance(part, CLeaf):
                out.setdefault(part.input, None)  # type: ignore[arg-type]
            elif part.rule not in seen:
                seen.add(part.rule)
                self._sources(self.pack.rule(part.rule).cond, values, statuses, out, seen)

    def _conclude(self, statuses: Mapping[str, Status], lang: str | None, fits_no_call: bool
                  ) -> tuple[Outcome, Award | None, tuple[Reason, ...], Cond | None]:
        """Outcome, award, reasons, and the condition whose unknown parts are missing."""
        table = self._tables.get(lang)
        if table is None:
            table = self._table(lang)
        reasons = [by_status[statuses[rule_id]] for rule_id, by_status in table]
        if fits_no_call:  # the window reason then lists every window
            reasons = [self._reason(rule, statuses[rule.id], lang,
                                    rule.kind == "window" and statuses[rule.id] == "unmet")
                       for rule in self.criteria]
        status = statuses[self.eligible.id]
        if status == "unknown":
            return "incomplete", None, tuple(reasons), self.eligible.cond
        if status == "unmet":
            return "ineligible", None, tuple(reasons), None
        tier, undecided = self._select_tier(statuses)
        if undecided is not None:
            return "incomplete", None, tuple(reasons), undecided.cond
        award = self._awards[tier.id] if tier is not None else None
        return "eligible", award, tuple(reasons), None

    def decide(self, applicant: Applicant, values: Mapping[Input, Value],
               statuses: Mapping[str, Status], trace: Sequence[str], *,
               lang: str | None = None, fits_no_call: bool = False) -> Decision:
        """Assemble the Decision for one applicant from a backend's conclusions.

        ``fits_no_call``: the applicant named no call and applied outside every call's
        window; the window reason then lists every window. All but ``missing`` is a
        function of the statuses (and the language), so it is remembered by them. When
        the statuses are :class:`Concluded` (they say the statuses of every comparison of
        the call), the whole Decision is remembered by those, the language and
        ``fits_no_call``, but for the applicant's id and the missing paths, which are
        always this applicant's: the ``missing`` of the values of the same inputs.
        """
        recalled, kept = None, None
        if type(statuses) is Concluded:
            kept = statuses
            # by identity: a backend gives the same Concluded for the same pattern, and the
            # entry holds it (no other object can take its id); the trace must be its too
            recalled = (id(statuses), lang, fits_no_call)
            entry = self._recalled.get(recalled)
            if entry is not None and entry[2] is statuses and entry[0]["trace"] is trace:
                fields = entry[0].copy()
                fields["applicant"] = applicant.id
                if entry[1]:
                    fields["missing"] = self._missing_at(values, entry[1])
                return _decision(fields)
        key = (self._statuses_of(statuses), lang, fits_no_call)
        found = self._concluded.get(key)
        if found is None:
            found = self._conclude(statuses, lang, fits_no_call)
            if len(self._concluded) < _CONCLUDED and lang in self._tables:
                self._concluded[key] = found
        outcome, award, reasons, undecided = found
        sources: dict[Input, None] = {}
        if undecided is not None:
            self._sources(undecided, values, statuses, sources, set())
        # built from values the backend and compiler already typed: no need to validate again
        pack = self.pack
        fields = {
            "pack": pack.pack, "pack_version": pack.version, "pack_digest": pack.digest,
            "call": pack.call, "applicant": applicant.id, "outcome": outcome, "award": award,
            "reasons": reasons, "missing": (), "trace": trace if type(trace) is tuple
            else tuple(trace)}
        positions = tuple(self._position[spec] for spec in sources)
        if positions:
            fields["missing"] = self._missing_at(values, positions)
        if (recalled is not None and kept is not None and len(self._recalled) < _CONCLUDED
                and lang in self._tables):
            self._recalled[recalled] = (fields.copy(), positions, kept)
        return _decision(fields)

    def _missing_at(self, values: Mapping[Input, Value], positions: tuple[int, ...]
                    ) -> tuple[str, ...]:
        """The paths the values of these inputs (by position) say are missing, once each."""
        if isinstance(values, InputValues) and values.inputs is self.pack.inputs:
            by_position = values.by_position
            return tuple(dict.fromkeys(
                path for i in positions for path in by_position[i].missing))
        inputs = self.pack.inputs
        return tuple(dict.fromkeys(path for i in positions for path in values[inputs[i]].missing))


class Concluded(dict[str, Status]):
    """Every rule's status as a backend concluded them, and what they follow from: read-only.

    ``pattern``: the statuses of every comparison of the call, in the order of
    ``PythonRunner``; every rule's status, the trace and the Decision but the applicant's
    id and missing paths are a function of it. Read-only, so that one may be shared by
    every evaluation that concludes the same (and by threads).
    """

    __slots__ = ("pattern",)

    def __init__(self, statuses: Mapping[str, Status], pattern: tuple[Status, ...]) -> None:
        super().__init__(statuses)
        self.pattern = pattern

    def __reduce__(self) -> tuple[type[Concluded], tuple[dict[str, Status], tuple[Status, ...]]]:
        return Concluded, (dict(self), self.pattern)

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a backend's conclusions are read-only: copy them with dict()")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = (
        _refuse)
