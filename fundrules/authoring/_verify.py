"""Search a pack for inconsistencies that static checks cannot see.

``verify_pack`` asks each call of a pack a bounded set of questions, and answers each
by a hypothesis search over applicants generated for that pack (``applicants_for``,
aimed at the question): can every rule be met? can an applicant be eligible? does
every award tier ever apply? can an applicant meet eligibility without being caught by
each exclusion? A question answered "yes" has a witness (an applicant; the one a
finding shows is shrunk to a minimal one); a question with no witness within the
budget becomes a finding. Needs
hypothesis (``pip install 'fundrules[verify]'``).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from typing import Literal

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample, Unsatisfiable

from fundrules.api import Engine
from fundrules.policies.ir import CAnd, CFact, CNot, CompiledPack, Cond, Status
from fundrules.policies.pack import Pack
from fundrules.schema import Applicant
from fundrules.testing.strategies import applicants_for, case_yaml

__all__ = ["Finding", "verify_pack"]

Severity = Literal["error", "warning"]
_Statuses = Mapping[str, Status]
_POSITIVE = "@positive"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One inconsistency: what, where, and an applicant that shows it (if one was found)."""

    code: str
    severity: Severity
    call: str
    subject: str
    message: str
    witness: Applicant | None = None
    witness_yaml: str | None = None

    def format(self) -> str:
        """Readable text: the finding, then its witness or why there is none."""
        head = f"{self.severity}: {self.code}: call `{self.call}`: {self.message}"
        if self.witness_yaml:
            body = "  witness (paste under `cases:`):\n" + "".join(
                "    " + line + "\n" for line in self.witness_yaml.splitlines())
        else:
            body = "  no applicant was found within the search budget\n"
        return head + "\n" + body.rstrip("\n")


class _Search:
    """Questions about one call, answered by hypothesis searches with a fixed budget."""

    def __init__(self, pack: Pack, call: str, budget: int) -> None:
        self.pack = pack
        self.call = call
        self.compiled: CompiledPack = pack.calls[call]
        self.engine = Engine([pack], backend="python")
        # Most questions only ask whether an applicant exists; shrinking (most of a
        # search's cost) is paid only for the witnesses a finding shows.
        self.existence = settings(max_examples=budget, database=None, derandomize=True,
                                  deadline=None, phases=[Phase.generate],
                                  suppress_health_check=list(HealthCheck))
        self.minimal = settings(self.existence, phases=[Phase.generate, Phase.shrink])
        self.tried = 0
        self.positive, self.excluded = _positive(self.compiled)

    def statuses(self, applicant: Applicant) -> _Statuses:
        """Every rule's status, and ``@positive``: eligibility without its exclusions."""
        self.tried += 1
        evaluation = self.engine.evaluation(applicant, self.pack.id)
        statuses = dict(evaluation.statuses)
        statuses[_POSITIVE] = evaluation.part_status(self.positive)
        return statuses

    def witness(self, aim: Mapping[str, Status], test: Callable[[_Statuses], bool], *,
                minimal: bool = False) -> Applicant | None:
        """An applicant for which ``test`` holds (shrunk when ``minimal``), or None."""
        strategy = applicants_for(self.pack, call=self.call, aim=aim).map(
            lambda a: a.model_copy(update={"call": self.call}))
        chosen = self.minimal if minimal else self.existence
        try:
            return find(strategy, lambda a: test(self.statuses(a)), settings=chosen)
        except (NoSuchExample, Unsatisfiable):
            return None

    def finding(self, code: str, severity: Severity, subject: str, message: str,
                witness: Applicant | None = None) -> Finding:
        text = None
        if witness is not None:
            decision = self.engine.evaluate(witness, self.pack.id)
            text = case_yaml(witness, decision, name=f"verify: {code} {subject}")
        return Finding(code, severity, self.call, subject, message, witness, text)


def _is(wanted: Mapping[str, Status]) -> Callable[[_Statuses], bool]:
    """A test that holds when each named fact has the wanted status."""
    def test(statuses: _Statuses) -> bool:
        return all(statuses[fact] == status for fact, status in wanted.items())
    return test


def _positive(compiled: CompiledPack) -> tuple[Cond, list[str]]:
    """Eligibility without its exclusions, and the ids of the exclusions it negates."""
    eligible = compiled.rule("eligible").cond
    if not isinstance(eligible, CAnd):
        return eligible, []
    keep: list[Cond] = []
    excluded: list[str] = []
    for op in eligible.operands:
        if isinstance(op, CNot) and isinstance(op.operand, CFact) and \
                compiled.rule(op.operand.rule).kind == "exclusion":
            excluded.append(op.operand.rule)
        else:
            keep.append(op)
    return CAnd(tuple(keep)), excluded


def _required(cond: Cond) -> list[str]:
    """Facts read directly under a chain of ``and``: each must be met to be eligible."""
    if isinstance(cond, CFact):
        return [cond.rule]
    if isinstance(cond, CAnd):
        return [f for op in cond.operands for f in _required(op)]
    return []


def _verify_call(search: _Search) -> list[Finding]:
    compiled, out = search.compiled, []
    met_rules: dict[str, Applicant] = {}
    for rule in compiled.rules:
        if rule.kind not in ("window", "rule", "priority", "exclusion"):
            continue
        found = search.witness({rule.id: "met"}, _is({rule.id: "met"}))
        if found is not None:
            met_rules[rule.id] = found
        elif rule.kind == "exclusion":
            out.append(search.finding("exclusion-never-met", "warning", rule.id,
                                      f"exclusion `{rule.id}` never applies: no applicant "
                                      "meets its condition"))
        else:
            out.append(search.finding("never-met", "error", rule.id,
                                      f"`{rule.id}` can never be met: no applicant meets it"))
    eligible_found = search.witness({"eligible": "met"}, _is({"eligible": "met"}))
    if eligible_found is None:
        out.append(search.finding("never-eligible", "error", "eligible",
                                  "no applicant can be eligible"))
    positive_found = eligible_found or search.witness(
        {"eligible": "met", **{x: "unmet" for x in search.excluded}},
        _is({_POSITIVE: "met"}))
    if positive_found is None:
        return out + _conflicts(search, search.positive, met_rules)
    for fact in search.excluded:
        rule = compiled.rule(fact)
        clear = search.witness({"eligible": "met", rule.id: "unmet"},
                               _is({fact: "unmet", _POSITIVE: "met"}))
        if clear is None:
            caught = search.witness({"eligible": "met", rule.id: "met"},
                                    _is({fact: "met", _POSITIVE: "met"}), minimal=True)
            out.append(search.finding(
                "exclusion-contradicts-eligibility", "error", rule.id,
                f"exclusion `{rule.id}` applies whenever the other criteria are met, so no "
                "one can be eligible", caught))
    if eligible_found is None:
        return out
    out += _tiers(search)
    return out


def _conflicts(search: _Search, positive: Cond, met_rules: Mapping[str, Applicant]
               ) -> list[Finding]:
    """Pairs of required criteria that are each met by someone but never together."""
    out: list[Finding] = []
    required = [f for f in dict.fromkeys(_required(positive)) if f in met_rules]
    for a, b in itertools.combinations(required, 2):
        rule_a, rule_b = search.compiled.rule(a), search.compiled.rule(b)
        both = search.witness({rule_a.id: "met", rule_b.id: "met"},
                              _is({a: "met", b: "met"}))
        if both is None:
            shown = search.witness({rule_a.id: "met"}, _is({a: "met"}), minimal=True) \
                or met_rules[a]
            status_b = search.statuses(shown)[b]
            out.append(search.finding(
                "conflicting-criteria", "error", f"{rule_a.id}, {rule_b.id}",
                f"`{rule_a.id}` and `{rule_b.id}` are both required but never met together "
                f"(the witness meets `{rule_a.id}`; `{rule_b.id}` is then {status_b})", shown))
    return out


def _tiers(search: _Search) -> list[Finding]:
    """Award tiers that never apply to an eligible applicant (an earlier tier takes them)."""
    compiled, out = search.compiled, list[Finding]()
    if compiled.award is None:
        return out
    tiers = compiled.award.tiers
    for i, tier in enumerate(tiers):
        earlier = [t for t in tiers[:i] if t.rule is not None]
        aim: dict[str, Status] = {"eligible": "met", **{t.id: "unmet" for t in earlier}}
        if tier.rule is not None:
            aim[tier.id] = "met"

        def applies(s: _Statuses, tier_rule: str | None = tier.rule,
                    before: tuple[str, ...] = tuple(t.id for t in earlier)) -> bool:
            if s["eligible"] != "met" or any(s[t] != "unmet" for t in before):
                return False
            return tier_rule is None or s[tier_rule] == "met"

        if search.witness(aim, applies) is not None:
            continue
        shadow = None
        if tier.rule is not None:
            shadow = search.witness({"eligible": "met", tier.id: "met"},
                                    _is({"eligible": "met", tier.rule: "met"}), minimal=True)
        who = ", ".join(f"`{t.id}`" for t in earlier) or "no earlier tier"
        message = (f"award tier `{tier.id}` never applies: {who} come(s) first and "
                   "cover(s) every eligible applicant it would apply to")
        if shadow is not None:
            message += f" (the witness meets `{tier.id}` but gets an earlier tier)"
        out.append(search.finding("tier-never-applies", "error", tier.id, message, shadow))
    return out


def verify_pack(pack: Pack, *, budget: int = 200) -> tuple[list[Finding], int]:
    """Every finding of every call, and how many applicants were tried in all.

    ``budget`` bounds each question: at most that many generated applicants (plus the
    shrinking of a witness a finding shows).
    """
    findings: list[Finding] = []
    tried = 0
    for call in pack.calls:
        search = _Search(pack, call, budget)
        findings += _verify_call(search)
        tried += search.tried
    return findings, tried
