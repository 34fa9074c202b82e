"""One regression test per pitfall of shared/notes/durable-rules.md (numbered as there).

Each test fails on its own when its mitigation is removed: the ones about process-wide
state (timer threads, malloc tuning) run in a fresh interpreter, so they never depend on
what another test did before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import fundrules.engine as durable_engine
from fundrules import Engine, EngineError, load_pack
from fundrules.engine import DurableBackend, fnv1a_32, slot_names
from fundrules.policies.pack import load_pack_text
from fundrules.runtime import durable_form
from fundrules.runtime._durable_split import Split
from fundrules.runtime.durable_form import working_fact
from fundrules.runtime.facts import InputReader
from fundrules.schema import parse_applicant
from tests.conftest import PACKS

FR = "fr-netflix-audiens"


def _compiled():
    return load_pack(PACKS / f"{FR}.yaml").compiled("main")


def _values(pack: Any, applicant: dict[str, Any]) -> Any:
    return InputReader(pack).read(parse_applicant(applicant))


def _fresh(code: str) -> str:
    """Run ``code`` in a new interpreter (nothing imported yet) and return its stdout."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_1_engine_falls_back_with_a_warning_that_says_what_to_do(monkeypatch, fr_applicant):
    monkeypatch.setitem(sys.modules, "fundrules.engine", None)  # import now fails
    with pytest.warns(RuntimeWarning, match="durable_rules cannot be loaded"):
        fallback = Engine()
    assert fallback.backend == "python"
    assert fallback.evaluate(fr_applicant, FR).outcome == "eligible"


def test_2_every_state_is_primed_before_it_can_be_deleted(fr_applicant):
    backend = DurableBackend()
    runner = backend.prepare(_compiled())
    begin = runner.form.definition["$begin"]["all"][0]["m"]
    assert begin == {"$and": [{"t": "fundrules"}, {"b": 1}]}  # the priming fact only
    # a pack whose only criterion is constant still fires actions (begin, rules)
    text = (PACKS / f"{FR}.yaml").read_text().replace(
        "eligible: intermittent and", "eligible: true or intermittent and")
    const = load_pack_text(text, file="const.yaml").compiled("main")
    statuses, trace = backend.prepare(const).run(_values(const, fr_applicant))
    assert statuses["eligible"] == "met" and trace[0] == "window" and trace[-1] == "eligible"
    # an evaluation where no rule fires, then the state deleted (as after an error):
    # durable_rules would crash on a state no action ever touched (a fresh process)
    out = _fresh(f"""
        import json
        from fundrules import load_pack
        from fundrules.engine import DurableBackend
        from fundrules.runtime.facts import InputReader
        from fundrules.runtime.semantics import Value
        pack = load_pack({str(PACKS / f"{FR}.yaml")!r}).compiled("main")
        runner = DurableBackend().prepare(pack)
        statuses, trace = runner.run({{spec: Value() for spec in pack.inputs}})
        runner._reset(runner._kept)
        print(set(statuses.values()), len(trace))
        """)
    assert out == f"{{'unknown'}} {len(_compiled().rules)}"


def test_3_states_never_pile_up(monkeypatch, fr_applicant):
    import durable_rules_engine

    backend = DurableBackend()
    pack = _compiled()
    runner = backend.prepare(pack)
    values = _values(pack, fr_applicant)
    deleted: list[str] = []
    real = durable_rules_engine.delete_state

    def spy(handle: int, sid: str) -> None:
        deleted.append(sid)
        real(handle, sid)

    monkeypatch.setattr(durable_rules_engine, "delete_state", spy)
    expected = runner.run(values)
    for _ in range(3000):  # 1024 live sids would raise MemoryError
        assert runner.run(values) == expected
    # one state, kept: each working fact replaces the one before, nothing is deleted
    assert deleted == [] and runner.keeps_state
    facts = json.loads(durable_rules_engine.get_facts(runner._handle, durable_engine.KEPT_SID))
    state = json.loads(durable_rules_engine.get_state(runner._handle, durable_engine.KEPT_SID))
    assert facts == [state] and state["r"] == 0  # only the last evaluation's working fact


def test_4_sids_are_slots_with_distinct_hashes_never_business_ids(monkeypatch, fr_applicant):
    assert fnv1a_32("") == 0x811C9DC5 and fnv1a_32("a") == 0xE40C292C  # FNV-1a test vectors
    pair = ("applicant-7358", "applicant-976230")  # found by a search over applicant-N
    assert fnv1a_32(pair[0]) == fnv1a_32(pair[1])  # the same durable_rules state, were they sids
    engine = Engine()
    good = dict(fr_applicant, id=pair[0])
    bad = dict(fr_applicant, id=pair[1], status="employee")
    for _ in range(3):
        assert engine.evaluate(good, FR).outcome == "eligible"
        assert engine.evaluate(bad, FR).outcome == "ineligible"
    assert slot_names(3) == ["slot-0", "slot-1", "slot-2"]  # distinct hashes: every name
    # the pool checks hashes rather than trusting names: with a hash under which
    # slot-0/slot-1, slot-2/slot-3 ... collide, it must skip every second name
    monkeypatch.setattr(durable_engine, "fnv1a_32", lambda text: int(text.split("-")[1]) // 2)
    names = slot_names(8)
    assert len({durable_engine.fnv1a_32(n) for n in names}) == 8
    assert names == [f"slot-{2 * i}" for i in range(8)]


def test_5_no_timer_threads_are_started():
    started = _fresh(f"""
        import threading, json
        from fundrules import Engine
        from fundrules.testing.cases import load_cases
        before = threading.active_count()
        engine = Engine()
        case = load_cases({str(PACKS / 'tests' / 'fr-netflix-audiens.yaml')!r})[0]
        engine.evaluate(case.applicant, 'fr-netflix-audiens')
        print(threading.active_count() - before)
        """)
    assert started == "0"  # durable's own Host starts two timer threads


def test_6_errors_inside_actions_are_raised_not_swallowed(fr_applicant):
    pack = _compiled()
    values = _values(pack, fr_applicant)
    runner = DurableBackend().prepare(pack)
    runner._conclude.pop("FR-C3#met")  # type: ignore[attr-defined]
    with pytest.raises(EngineError) as info:
        runner.run(values)
    assert info.value.diagnostics[0].code == "engine-failure"
    assert "FR-C3#met" in info.value.diagnostics[0].message
    unfinished = DurableBackend().prepare(pack)
    unfinished._kept.rounds = range(0)  # type: ignore[attr-defined]  # asserts nothing
    with pytest.raises(EngineError, match="before deciding every rule"):
        unfinished.run(values)
    fresh = DurableBackend().prepare(pack)
    assert fresh.run(values)[0]["eligible"] == "met"
    # after a failure the state is replaced by a new one: the next evaluation is right
    broken = DurableBackend().prepare(pack)
    saved = broken._conclude.pop("FR-C3#met")  # type: ignore[attr-defined]
    with pytest.raises(EngineError):
        broken.run(values)
    broken._conclude["FR-C3#met"] = saved  # type: ignore[attr-defined]
    assert broken.run(values) == fresh.run(values)


def test_6_an_interrupted_evaluation_leaves_no_locked_state(monkeypatch, fr_applicant):
    import durable_rules_engine

    pack = _compiled()
    values = _values(pack, fr_applicant)
    runner = DurableBackend().prepare(pack)
    expected = runner.run(values)
    real = durable_rules_engine.complete_and_start_action

    def interrupted(handle: int, state: int) -> Any:
        monkeypatch.setattr(durable_rules_engine, "complete_and_start_action", real)
        raise KeyboardInterrupt  # between an action's start and its completion

    monkeypatch.setattr(durable_rules_engine, "complete_and_start_action", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.run(values)
    assert runner.run(values) == expected  # not every rule "unknown" for 30 s


def test_7_every_pattern_tests_the_type_discriminator_and_rules_fire_once(fr_applicant):
    backend = DurableBackend()
    pack = _compiled()
    runner = backend.prepare(pack)
    for rule in runner.form.definition.values():
        pattern = rule["all"][0]["m"]
        assert pattern["$and"][0] == {"t": "fundrules"}
    _, trace = runner.run(_values(pack, fr_applicant))
    assert len(trace) == len(set(trace)) == len(pack.rules)


def test_8_and_13_heap_is_neither_trimmed_nor_mmapped_per_state():
    """After import, a freed top chunk stays (trim) and a 252 KiB block is not mmapped."""
    out = _fresh("""
        import ctypes, platform
        if platform.libc_ver()[0] != 'glibc':
            print('not glibc'); raise SystemExit
        class Info(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ('arena', 'ordblks', 'smblks', 'hblks',
                        'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost')]
        libc = ctypes.CDLL('libc.so.6')
        libc.mallinfo2.restype = Info
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        import fundrules.engine
        before = libc.mallinfo2().hblks
        block = libc.malloc(252 * 1024)          # the size of a durable_rules state
        mmapped = libc.mallinfo2().hblks - before
        libc.free(block)
        big = libc.malloc(8 * 1024 * 1024 - 4096)  # above the mmap threshold: not on the heap
        libc.free(big)
        top = libc.malloc(2 * 1024 * 1024)       # on the heap: freed, is the heap trimmed?
        libc.free(top)
        kept = libc.mallinfo2().keepcost >= 2 * 1024 * 1024
        print(mmapped, kept, fundrules.engine.MALLOC_TUNED)
        """)
    if out == "not glibc":  # pragma: no cover - CI runs on glibc
        return
    assert out == "0 True True"


def test_9_rulesets_are_copied_and_named_by_digest(fr_applicant):
    backend = DurableBackend()
    first = backend.prepare(_compiled())
    assert backend.prepare(_compiled()) is first  # cached: never re-registered
    text = (PACKS / f"{FR}.yaml").read_text().replace("min_activity_units: 12",
                                                      "min_activity_units: 13")
    changed = load_pack_text(text, file="changed.yaml").compiled("main")
    second = backend.prepare(changed)
    assert second.name != first.name and changed.digest[:16] in second.name
    assert "run" not in first.form.definition["$begin"]  # our copy kept clean of actions


def test_10_values_reach_the_engine_normalised_and_unknown_is_absent(fr_applicant):
    pack = _compiled()
    runner = DurableBackend().prepare(pack)
    values = _values(pack, fr_applicant)
    fact = working_fact(runner.form, values, "s")
    for key, value in fact.items():
        assert type(value) in (int, str), (key, value)  # no bool, float, Decimal or date
    income = next(k for k in runner.form.props if k.key == "income(2019, gross)")
    assert fact[runner.form.props[income][0]] == 1_200_000  # EUR 12,000.00 in cents
    del fr_applicant["income"]
    unknown = working_fact(runner.form, _values(pack, fr_applicant), "s")
    assert not set(runner.form.props[income]) & set(unknown)  # no in-band marker


def _wide(rules: str, uses: str) -> Any:
    text = (PACKS / f"{FR}.yaml").read_text()
    extra = "".join(
        f"  extra_{i}:\n    over: engagements\n    count: true\n" for i in range(130))
    text = text.replace("measures:\n", "measures:\n" + extra, 1).replace(
        "rules:\n", "rules:\n" + rules, 1).replace(
        "eligible: intermittent", f"eligible: {uses} and intermittent")
    return load_pack_text(text, file="wide.yaml")


def _rule(name: str, measures: range) -> str:
    return (f"  - id: {name}\n    when: " + " and ".join(f"extra_{j} >= 0" for j in measures)
            + f"\n    then: fact_{name.lower()}\n    cite: S1\n"
            "    message: {fr: w, en: w, it: w, es: w}\n")


def test_11_packs_needing_more_than_255_properties_are_rejected_at_construction(
        fr_applicant, monkeypatch):
    # 13 rules reading 10 measures each: 260 numeric properties, split over rulesets
    split = _wide("".join(_rule(f"W{k}", range(10 * k, 10 * k + 10)) for k in range(13)),
                  " and ".join(f"fact_w{k}" for k in range(13)))
    engine = Engine([split])
    runner = engine._prepared[FR].calls["main"].runner
    assert len(runner.form.parts) > 1  # type: ignore[attr-defined]
    python = Engine([split], backend="python")
    assert engine.evaluation(fr_applicant, FR).trace == python.evaluation(fr_applicant, FR).trace
    # one rule reading 125 measures (250 properties): its `and` is split into auxiliary
    # rules (runtime/_durable_split.py), decided in rounds of their own, over parts
    pack = _wide(_rule("W", range(125)), "fact_w")
    engine, python = Engine([pack]), Engine([pack], backend="python")
    assert len(engine._prepared[FR].calls["main"].runner.form.parts) > 1  # type: ignore[attr-defined]
    for applicant in (fr_applicant, {**fr_applicant, "engagements": []},
                      {k: v for k, v in fr_applicant.items() if k != "engagements"}):
        a, b = engine.evaluation(applicant, FR), python.evaluation(applicant, FR)
        assert (a.statuses, a.trace, a.decision) == (b.statuses, b.trace, b.decision)
    # unsplit, no part could hold it: found before registering, located at the rule
    monkeypatch.setattr(durable_form, "split_wide", lambda call, fits: Split(call, {}, {}))
    found = next(d for d in durable_form.limit_diagnostics(pack.calls["main"])
                 if "properties" in d.message)
    assert found.code == "engine-limit" and found.file == "wide.yaml" and found.line


def test_crash_free_in_a_fresh_process(fr_applicant):
    """Segfaults (pitfalls 2, 5) would kill the interpreter: run a burst in a subprocess."""
    out = _fresh(f"""
        import json
        from fundrules import Engine
        a = json.loads({json.dumps(json.dumps(fr_applicant))}); e = Engine()
        print(sum(e.evaluate(dict(a, id=f'x{{i}}'), 'fr-netflix-audiens').outcome == 'eligible'
                  for i in range(500)))
        """)
    assert out == "500"
