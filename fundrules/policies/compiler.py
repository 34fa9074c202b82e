"""Compile a validated pack into one engine-neutral :class:`CompiledPack` per call.

Each call gets its own compiled form because calls may override parameters
(periods, thresholds) and the eligibility expression or award, without copying rules.
All diagnostics of all calls are collected; a pack with errors compiles to nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from fundrules.diagnostics import Diagnostic, sorted_diagnostics
from fundrules.policies._partial import Dropped
from fundrules.policies.ir import (
    AwardSpec,
    AwardTier,
    CAnd,
    CConst,
    CFact,
    CLeaf,
    CNot,
    CompiledPack,
    CompiledRule,
    Cond,
    COr,
    DateBound,
    MeasureSpec,
    SourceSpot,
    SubmittedInstant,
    WindowSpec,
)
from fundrules.policies.loader import Node
from fundrules.policies.model import (
    AwardModel,
    CallModel,
    PackModel,
    RuleModel,
    TierModel,
    suggest,
)
from fundrules.policies.params import Param, interpolate, parse_param
from fundrules.policies.resolve import Resolver, Scope

__all__ = ["compile_calls", "window_text"]

_WINDOW_MESSAGES = {
    "en": "Apply within the call's window: {window}",
    "fr": "Déposer la demande pendant la période de l'appel : {window}",
    "it": "Presentare la domanda entro la finestra del bando: {window}",
    "es": "Presentar la solicitud dentro del plazo de la convocatoria: {window}",
}
_ELIGIBLE_MESSAGES = {
    "en": "Every criterion of the fund is met",
    "fr": "Tous les critères du fonds sont remplis",
    "it": "Tutti i criteri del fondo sono soddisfatti",
    "es": "Se cumplen todos los criterios del fondo",
}


@dataclasses.dataclass
class _Ctx:
    file: str
    root: Node
    pack: PackModel
    diagnostics: list[Diagnostic]
    dropped: Dropped = dataclasses.field(default_factory=Dropped)

    def node(self, *path: str | int) -> Node:
        """The YAML node at a path (the deepest that exists), for locating problems."""
        node = self.root
        for step in path:
            child = None
            if isinstance(step, str) and node.is_mapping():
                child = node.get(step)
            elif isinstance(step, int) and node.is_sequence():
                items = node.value
                assert isinstance(items, list)
                child = items[step] if step < len(items) else None
            if child is None:
                return node
            node = child
        return node

    def spot(self, *path: str | int) -> SourceSpot:
        """Where something is written, kept in the compiled form for later diagnostics."""
        node = self.node(*path)
        return SourceSpot(self.file, node.mark.line, node.mark.column, node.path)

    def report(self, code: str, message: str, hint: str | None, node: Node,
               severity: Literal["error", "warning"] = "error") -> None:
        self.diagnostics.append(Diagnostic(code, message, severity, hint, self.file,
                                           node.mark.line, node.mark.column, node.path))


def _local(text: str | None, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    if text is None:
        return None
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        raise ValueError("write a local time without offset; the zone is `tz`")
    return value.replace(tzinfo=tz)


def window_text(opens: dt.datetime | None, closes: dt.datetime | None, tz: str) -> str:
    """Human text of a window: ``2020-04-08 00:00 – 2020-04-22 18:00 (Europe/London)``."""
    def fmt(x: dt.datetime | None) -> str:
        return x.strftime("%Y-%m-%d %H:%M") if x else "…"
    return f"{fmt(opens)} – {fmt(closes)} ({tz})"


def _window(ctx: _Ctx, index: int, call: CallModel) -> tuple[WindowSpec, str] | None:
    try:
        tz = zoneinfo.ZoneInfo(call.window.tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        ctx.report("invalid-value", f"`{call.window.tz}` is not a time zone",
                   "use an IANA name such as `Europe/Paris`", ctx.node("calls", index, "window",
                                                                        "tz"))
        return None
    bounds: list[dt.datetime | None] = []
    for key in ("opens", "closes"):
        try:
            bounds.append(_local(getattr(call.window, key), tz))
        except ValueError as err:
            ctx.report("invalid-value", f"`calls[{index}].window.{key}`: "
                       f"`{getattr(call.window, key)}` is not a date and time ({err})",
                       "write e.g. `2020-04-22T18:00` (local time of `tz`)",
                       ctx.node("calls", index, "window", key))
            return None
    opens, closes = bounds
    if opens and closes and closes <= opens:
        ctx.report("window-order", f"call `{call.id}` closes before it opens",
                   "swap `opens` and `closes`", ctx.node("calls", index, "window", "closes"))
    text = window_text(opens, closes, call.window.tz)
    spec = WindowSpec(int(opens.timestamp()) if opens else None,
                      int(closes.timestamp()) if closes else None, text, call.window.tz)
    return spec, call.window.tz


def _params(ctx: _Ctx, index: int, call: CallModel) -> dict[str, Param]:
    params: dict[str, Param] = {}
    for name, raw in ctx.pack.parameters.items():
        value = parse_param(raw)
        if isinstance(value, str):
            ctx.report("invalid-value", f"parameter `{name}`: {value}",
                       "see the parameters section of docs/pack-format.md",
                       ctx.node("parameters", name))
            continue
        if value.kind == "window" and value.window and value.window[0] > value.window[1]:
            ctx.report("window-order", f"parameter `{name}` ends before it starts",
                       "write the earlier date first", ctx.node("parameters", name))
        params[name] = value
    for name, raw in call.parameters.items():
        node = ctx.node("calls", index, "parameters", name)
        if name in ctx.dropped.params:
            continue  # the pack's parameter has its own error: nothing to compare with
        if name not in ctx.pack.parameters:
            ctx.report("unknown-parameter", f"call `{call.id}` overrides `{name}`, which the pack "
                       "does not declare", suggest(name, params) or "declare it under "
                       "`parameters:` first", node)
            continue
        value = parse_param(raw)
        if name not in params:  # the pack's own value is invalid: already reported
            continue
        if isinstance(value, str) or value.kind != params[name].kind:
            ctx.report("type-mismatch", f"call `{call.id}` gives `{name}` a different kind of "
                       f"value than the pack ({params[name].kind})", "write a value of the "
                       f"same kind as the pack's `{name}: {params[name].render()}`", node)
            continue
        params[name] = value
    return params


def _messages(ctx: _Ctx, owner: str, messages: Mapping[Any, str] | None, node: Node,
              params: dict[str, Param]) -> dict[str, str]:
    messages = messages or {}
    for lang in ctx.pack.languages:
        if lang not in messages:
            ctx.report("missing-message", f"`{owner}` has no message in `{lang}`",
                       f"add `{lang}: ...` under `message:`", node)
    return {lang: interpolate(text, params) for lang, text in messages.items()}


def _refs(ctx: _Ctx, owner: str, cite: Iterable[str], settles: Iterable[str],
          path: tuple[str | int, ...]) -> None:
    """Citations and settled ambiguities must be declared; each is located at its item."""
    for i, ref in enumerate(cite):
        if ref not in ctx.pack.sources and ref not in ctx.dropped.sources:
            ctx.report("unknown-source", f"`{owner}` cites `{ref}`, which is not under `sources:`",
                       suggest(ref, ctx.pack.sources) or "declare it under `sources:`",
                       ctx.node(*path, "cite", i))
    for i, ref in enumerate(settles):
        if ref not in ctx.pack.ambiguities and ref not in ctx.dropped.ambiguities:
            ctx.report("unknown-ambiguity", f"`{owner}` settles `{ref}`, which is not under "
                       "`ambiguities:`", suggest(ref, ctx.pack.ambiguities)
                       or "declare it under `ambiguities:`", ctx.node(*path, "settles", i))


def _measures(ctx: _Ctx, res: Resolver) -> tuple[list[MeasureSpec], dict[str, str]]:
    specs: list[MeasureSpec] = []
    kinds: dict[str, str] = {}
    for name, m in ctx.pack.measures.items():
        node = ctx.node("measures", name)
        where = res.condition(ctx.node("measures", name, "where"), Scope(over=m.over)) \
            if m.where is not None else None
        if (m.count is True) == (m.sum is not None):
            ctx.report("invalid-value", f"measure `{name}` needs exactly one of `count: true` "
                       "or `sum: <value>`", None, node)
            continue
        value = res.item_value(ctx.node("measures", name, "sum"), m.over) if m.sum else None
        within = _within(ctx, res, name, m.within) if m.within is not None else None
        kind = value[1] if value else "number"
        kinds[name] = kind
        if (m.where is not None and where is None) or (m.sum and value is None):
            continue
        if m.within is not None and within is None:
            continue
        specs.append(MeasureSpec(name, m.over, "sum" if m.sum else "count",
                                 value[0] if value else None,
                                 "money" if kind == "money" else "number",
                                 where[0] if where else None, within, m.reads))
    return specs, kinds


def _within(ctx: _Ctx, res: Resolver, name: str, within: str | tuple[str, str]
            ) -> tuple[DateBound, DateBound] | None:
    node = ctx.node("measures", name, "within")
    if isinstance(within, str):
        param = res.params.get(within)
        if param is None or param.kind != "window" or param.window is None:
            if within in res.broken:
                return None  # the parameter's own error says what is wrong
            ctx.report("unknown-name", f"`{within}` is not a window parameter",
                       suggest(within, [n for n, p in res.params.items() if p.kind == "window"])
                       or "declare e.g. `my_window: [2019-09-01, 2020-02-29]` under "
                       "`parameters:`", node)
            return None
        return (DateBound(ordinal=param.window[0].toordinal()),
                DateBound(ordinal=param.window[1].toordinal()))
    first = res.date_bound(ctx.node("measures", name, "within", 0))
    last = res.date_bound(ctx.node("measures", name, "within", 1))
    if first is None or last is None:
        return None
    if first.ordinal and last.ordinal and first.ordinal > last.ordinal:
        ctx.report("window-order", f"measure `{name}`: the window ends before it starts",
                   "write the earlier date first", node)
    return first, last


def _rule(ctx: _Ctx, res: Resolver, scope: Scope, rule: RuleModel, path: tuple[str | int, ...],
          kind: Literal["rule", "priority", "exclusion"], fact: str | None
          ) -> CompiledRule | None:
    message = _messages(ctx, rule.id, rule.message, ctx.node(*path, "message"), res.params)
    _refs(ctx, rule.id, rule.cite, rule.settles, path)
    resolved = res.condition(ctx.node(*path, "when"), scope)
    if resolved is None:
        return None
    return CompiledRule(rule.id, kind, fact, resolved[0], tuple(sorted(resolved[1])), message,
                        rule.cite, rule.settles, rule.confidence, spot=ctx.spot(*path, "when"))


def _enabled(ctx: _Ctx, rule: RuleModel, params: dict[str, Param], node: Node) -> bool:
    if isinstance(rule.enabled, bool):
        return rule.enabled
    param = params.get(rule.enabled)
    if param is None and rule.enabled in ctx.dropped.params:
        return False  # the parameter's own error says what is wrong
    if param is None or param.kind != "bool":
        ctx.report("unknown-name", f"`enabled: {rule.enabled}` must name a `true`/`false` "
                   "parameter", suggest(rule.enabled, params), node)
        return False
    return bool(param.flag)


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _award(ctx: _Ctx, res: Resolver, scope: Scope, award: AwardModel, base: tuple[str | int, ...]
           ) -> tuple[AwardSpec, list[CompiledRule]]:
    tiers: list[AwardTier] = []
    rules: list[CompiledRule] = []
    models: tuple[TierModel | AwardModel, ...] = award.tiers if award.tiers is not None \
        else (award,)
    for i, tier in enumerate(models):
        path = (*base, "tiers", i) if award.tiers is not None else base
        node = ctx.node(*path)
        tier_id = getattr(tier, "id", None) or f"award-{i + 1}"
        when = getattr(tier, "when", None)
        _refs(ctx, tier_id, tier.cite, tier.settles, path)
        message = _messages(ctx, tier_id, tier.message, ctx.node(*path, "message"), res.params) \
            if tier.message is not None or award.tiers is not None else {}
        rule_id = None
        if when is not None:
            resolved = res.condition(ctx.node(*path, "when"), scope)
            if resolved is not None:
                rule_id = tier_id
                rules.append(CompiledRule(tier_id, "tier", None, resolved[0],
                                          tuple(sorted(resolved[1])), message, tier.cite,
                                          tier.settles, spot=ctx.spot(*path, "when")))
        elif i < len(models) - 1:
            ctx.report("award-overlap", f"award tier `{tier_id}` has no `when`, so the tiers "
                       "after it can never apply", "move it last or give it a `when:`", node)
        if award.kind in ("fixed", "monthly") and tier.amount is None:
            ctx.report("missing-key", f"award tier `{tier_id}` needs an `amount`", None, node)
        if award.kind == "range" and (tier.min is None or tier.max is None):
            ctx.report("missing-key", f"award tier `{tier_id}` needs `min` and `max`", None, node)
        tiers.append(AwardTier(tier_id, rule_id, _cents(tier.amount), _cents(tier.min),
                               _cents(tier.max), tier.months, message, tier.cite))
    if ctx.node(*base).mark in ctx.dropped.awards:
        return AwardSpec(award.kind, ctx.pack.currency, tuple(tiers)), rules  # tiers missing
    if models and getattr(models[-1], "when", None) is not None:
        ctx.report("award-gap", "every award tier has a `when`, so an eligible applicant may "
                   "match none", "end the tiers with one that has no `when:`",
                   ctx.node(*base, "tiers", len(models) - 1))
    _overlaps(ctx, rules, base)
    return AwardSpec(award.kind, ctx.pack.currency, tuple(tiers)), rules


def _overlaps(ctx: _Ctx, rules: list[CompiledRule], base: tuple[str | int, ...]) -> None:
    """A later one-comparison tier wholly covered by an earlier one can never apply."""
    seen: list[tuple[str, CLeaf]] = []
    for i, rule in enumerate(rules):
        leaf = rule.cond
        if not isinstance(leaf, CLeaf) or not leaf.numeric:
            continue
        for earlier_id, earlier in seen:
            if earlier.input == leaf.input and _covers(earlier, leaf):
                ctx.report("award-overlap", f"award tier `{rule.id}` can never apply: tier "
                           f"`{earlier_id}` comes first and covers it", "reorder the tiers or "
                           "change the thresholds", ctx.node(*base, "tiers", i))
        seen.append((rule.id, leaf))


def _covers(a: CLeaf, b: CLeaf) -> bool:
    """Whether every value satisfying ``b`` satisfies ``a`` (one-sided bounds only)."""
    assert isinstance(a.value, int | float) and isinstance(b.value, int | float)
    if a.op in ("le", "lt") and b.op in ("le", "lt"):
        return b.value < a.value or (b.value == a.value and (a.op == "le" or b.op == "lt"))
    if a.op in ("ge", "gt") and b.op in ("ge", "gt"):
        return b.value > a.value or (b.value == a.value and (a.op == "ge" or b.op == "gt"))
    return False


def _call_rules(ctx: _Ctx, res: Resolver, index: int, call: CallModel, kinds: dict[str, str],
                spec: tuple[WindowSpec, str] | None) -> list[CompiledRule]:
    """Window, rules, exclusions, eligibility and award tiers of one call."""
    pack = ctx.pack
    active = [(i, r) for i, r in enumerate(pack.rules)
              if (r.calls is None or call.id in r.calls)
              and _enabled(ctx, r, res.params, ctx.node("rules", i))]
    facts = frozenset(r.then for _, r in active if r.then and not r.priority)
    scope = Scope(facts=facts | {"window"}, measures=kinds)  # type: ignore[arg-type]
    bounds = (("ge", spec[0].opens), ("lt", spec[0].closes)) if spec else ()
    instant = res.inputs.setdefault(SubmittedInstant(), SubmittedInstant())
    window = CAnd(tuple(CLeaf(instant, op, bound, numeric=True)  # type: ignore[arg-type]
                        for op, bound in bounds if bound is not None))
    text = spec[0].text if spec else ""
    messages = {lang: m.replace("{window}", text) for lang, m in _WINDOW_MESSAGES.items()}
    out = [CompiledRule("window", "window", "window", window if window.operands
                        else CConst("met"), (), messages, call.cite, call.settles,
                        spot=ctx.spot("calls", index, "window"))]
    for i, rule in active:
        if rule.then is None:
            ctx.report("missing-key", f"rule `{rule.id}` needs `then:` (the fact it concludes)",
                       "name the fact, e.g. `then: minimum_activity`", ctx.node("rules", i))
            continue
        kind: Literal["rule", "priority"] = "priority" if rule.priority else "rule"
        compiled = _rule(ctx, res, scope, rule, ("rules", i), kind, rule.then)
        if compiled is not None:
            out.append(compiled)
    excluded: list[Cond] = []
    for i, rule in enumerate(pack.exclusions):
        if rule.calls is not None and call.id not in rule.calls:
            continue
        if not _enabled(ctx, rule, res.params, ctx.node("exclusions", i)):
            continue
        compiled = _rule(ctx, res, scope, rule, ("exclusions", i), "exclusion", None)
        if compiled is not None:
            out.append(compiled)
            excluded.append(CNot(CFact(compiled.id, compiled.id)))
    eligible_path: tuple[str | int, ...] = ("calls", index, "eligible") if call.eligible \
        else ("eligible",)
    resolved = res.condition(ctx.node(*eligible_path), scope)
    if resolved is not None:
        cond = CAnd((CFact("window"), resolved[0], *excluded))
        deps = tuple(sorted({"window", *resolved[1]}))
        out.append(CompiledRule("eligible", "eligible", "eligible", cond, deps,
                                dict(_ELIGIBLE_MESSAGES), spot=ctx.spot(*eligible_path)))
    return out


def _unique_ids(ctx: _Ctx, rules: list[CompiledRule], call: str) -> None:
    """Rules, exclusions and tiers of one call are told apart by id: no two may share one."""
    seen: set[str] = set()
    for rule in rules:
        clash = rule.kind == "tier" and rule.id in seen  # rule ids: pack_checks
        if clash or (rule.id in ("window", "eligible") and rule.kind not in
                     ("window", "eligible")):
            spot = rule.spot
            ctx.diagnostics.append(Diagnostic(
                "duplicate-id", f"id `{rule.id}` names two things in call `{call}`",
                hint="give each rule, exclusion and award tier its own id (`window` and "
                "`eligible` are reserved)", file=ctx.file, line=spot.line if spot else None,
                column=spot.column if spot else None, path=spot.path if spot else None))
        seen.add(rule.id)


def _link(rules: list[CompiledRule]) -> list[CompiledRule]:
    """Point every fact a condition reads at the rule that concludes it (by rule id)."""
    producer = {r.fact: r.id for r in rules if r.fact is not None}

    def link(cond: Cond) -> Cond:
        match cond:
            case CFact(fact=fact, rule=""):
                return CFact(fact, producer.get(fact, fact))
            case CNot(operand=operand):
                return CNot(link(operand))
            case CAnd(operands=ops):
                return CAnd(tuple(link(o) for o in ops))
            case COr(operands=ops):
                return COr(tuple(link(o) for o in ops))
            case _:
                return cond

    return [dataclasses.replace(r, cond=link(r.cond), deps=tuple(sorted(
        {producer.get(d, d) for d in r.deps} | _read_exclusions(r.cond)))) for r in rules]


def _read_exclusions(cond: Cond) -> set[str]:
    """Rules read by id rather than by fact name (eligibility reads each exclusion)."""
    match cond:
        case CFact(fact=fact, rule=rule) if rule and fact == rule:
            return {rule}
        case CNot(operand=operand):
            return _read_exclusions(operand)
        case CAnd(operands=ops) | COr(operands=ops):
            return set().union(*(_read_exclusions(o) for o in ops))
        case _:
            return set()


def compile_calls(root: Node, pack: PackModel, *, file: str, digest: str,
                  dropped: Dropped | None = None
                  ) -> tuple[dict[str, CompiledPack], list[Diagnostic]]:
    """Compile every call of a pack; on any error, no call is returned.

    ``dropped`` is what the shape validation dropped from ``root`` for its own errors
    (see :mod:`fundrules.policies._partial`): references to it are not reported again.
    """
    from fundrules.policies.checks import monotonic_declarations, order_rules, pack_checks

    dropped = dropped or Dropped()
    ctx = _Ctx(file, root, pack, [], dropped)
    pack_checks(ctx.report, ctx.node, pack, dropped)
    compiled: dict[str, CompiledPack] = {}
    for index, call in enumerate(pack.calls):
        before = len(ctx.diagnostics)
        params = _params(ctx, index, call)
        res = Resolver(file, pack.currency, params,
                       (frozenset(pack.parameters) - set(params)) | dropped.params,
                       dropped=dropped.names)
        measures, kinds = _measures(ctx, res)
        monotonic = monotonic_declarations(ctx.report, ctx.node, pack, res, kinds)
        window = _window(ctx, index, call)
        rules = _call_rules(ctx, res, index, call, kinds, window)
        award = call.award or pack.award
        award_path: tuple[str | int, ...] = ("calls", index, "award") if call.award else ("award",)
        spec = None
        if award is not None:
            spec, tier_rules = _award(ctx, res, Scope(facts=frozenset(
                r.fact for r in rules if r.fact), measures=kinds), award, award_path)  # type: ignore[arg-type]
            rules += tier_rules
        complete = not dropped and not any(d.severity == "error" for d in
                           (*ctx.diagnostics[before:], *res.diagnostics))
        rules = _link(rules)
        ordered = order_rules(ctx.report, ctx.node, rules, complete=complete)
        ctx.diagnostics[before:before] = res.diagnostics
        if ordered is None or window is None:
            continue
        _unique_ids(ctx, ordered, call.id)
        sources = {k: s.title for k, s in pack.sources.items()}
        compiled[call.id] = CompiledPack(
            pack.pack, pack.version, digest, call.id, pack.currency, tuple(pack.languages),
            window[0], tuple(res.inputs.values()), tuple(measures), tuple(ordered), spec, sources,
            tuple(r.id for r in rules), monotonic)
    diagnostics = sorted_diagnostics(ctx.diagnostics)  # calls repeat pack-wide problems
    if any(d.severity == "error" for d in diagnostics):
        return {}, diagnostics
    return compiled, diagnostics
