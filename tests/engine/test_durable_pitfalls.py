"""One regression test per pitfall of shared/notes/durable-rules.md (numbered as there)."""

from __future__ import annotations

import subprocess
import sys
import threading
import tomllib

import pytest

from fundrules import Engine, EngineError, PackError, load_pack
from fundrules.engine import DurableBackend, fnv1a_32, raise_trim_threshold
from fundrules.facts import compute_inputs
from fundrules.policies.pack import load_pack_text
from fundrules.schema import parse_applicant

from ..conftest import PACKS, ROOT

FR = "fr-netflix-audiens"


def _compiled():
    return load_pack(PACKS / f"{FR}.yaml").compiled("main")


def test_1_requires_python_excludes_313_and_engine_falls_back(monkeypatch, fr_applicant):
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11,<3.13"
    monkeypatch.setitem(sys.modules, "fundrules.engine", None)  # import now fails
    with pytest.warns(RuntimeWarning, match="durable_rules cannot be loaded"):
        fallback = Engine()
    assert fallback.backend == "python"
    assert fallback.evaluate(fr_applicant, FR).outcome == "eligible"


def test_2_every_evaluation_fires_an_action_so_delete_state_is_safe(fr_applicant):
    backend = DurableBackend()
    pack = _compiled()
    prepared = backend.prepare(pack)
    begin = prepared.definition["$begin"]["all"][0]["m"]
    assert begin == {"$and": [{"t": "fundrules"}, {"$nex": {"b": 1}}]}  # matches any fact
    # a pack whose only criterion is constant still fires actions (begin, rules, done)
    text = (PACKS / f"{FR}.yaml").read_text().replace(
        "eligible: intermittent and", "eligible: true or intermittent and")
    const = load_pack_text(text, file="const.yaml").compiled("main")
    values = compute_inputs(parse_applicant(fr_applicant), const)
    statuses, trace = backend.run(const, values)
    assert statuses["eligible"] == "met" and trace[0] == "window" and trace[-1] == "eligible"


def test_3_states_are_always_deleted_so_sids_never_pile_up(monkeypatch, fr_applicant):
    backend = DurableBackend()
    pack = _compiled()
    values = compute_inputs(parse_applicant(fr_applicant), pack)
    deleted: list[str] = []
    real = backend._host.delete_state

    def spy(name: str, sid: str) -> None:
        deleted.append(sid)
        real(name, sid)

    monkeypatch.setattr(backend._host, "delete_state", spy)
    for _ in range(3000):  # 1024 live sids would raise MemoryError
        backend.run(pack, values)
    assert len(deleted) == 3000


def test_4_sids_are_slots_with_distinct_hashes_never_business_ids(fr_applicant):
    assert fnv1a_32("") == 0x811C9DC5 and fnv1a_32("a") == 0xE40C292C  # FNV-1a test vectors
    pair = ("applicant-7358", "applicant-976230")  # found by a search over applicant-N
    assert fnv1a_32(pair[0]) == fnv1a_32(pair[1])  # the same durable_rules state, were they sids
    engine = Engine()
    good = dict(fr_applicant, id=pair[0])
    bad = dict(fr_applicant, id=pair[1], status="employee")
    for _ in range(3):
        assert engine.evaluate(good, FR).outcome == "eligible"
        assert engine.evaluate(bad, FR).outcome == "ineligible"
    slots = DurableBackend()._slots
    assert len({fnv1a_32(s) for s in slots}) == len(slots)


def test_5_no_timer_threads_and_threads_share_one_engine_safely(fr_applicant):
    before = threading.active_count()
    engine = Engine()
    engine.evaluate(fr_applicant, FR)
    assert threading.active_count() == before  # durable's Host would start two timers


def test_6_errors_inside_actions_are_raised_not_swallowed(fr_applicant):
    pack = _compiled()
    values = compute_inputs(parse_applicant(fr_applicant), pack)
    broken = DurableBackend()
    broken.prepare(pack).actions.pop("FR-C3#met")  # an action that fails when it fires
    with pytest.raises(EngineError) as info:
        broken.run(pack, values)
    assert info.value.diagnostics[0].code == "engine-failure"
    assert "FR-C3#met" in info.value.diagnostics[0].message
    unfinished = DurableBackend()
    unfinished.prepare(pack).strata = 1  # stops before the rules that read conclusions
    with pytest.raises(EngineError, match="before deciding every rule"):
        unfinished.run(pack, values)
    assert DurableBackend().run(pack, values)[0]["eligible"] == "met"  # the state was freed


def test_7_every_pattern_tests_the_type_discriminator_and_rules_fire_once(fr_applicant):
    backend = DurableBackend()
    pack = _compiled()
    definition = backend.prepare(pack).definition
    for rule in definition.values():
        pattern = rule["all"][0]["m"]
        assert pattern["$and"][0] == {"t": "fundrules"}
    _, trace = backend.run(pack, compute_inputs(parse_applicant(fr_applicant), pack))
    assert len(trace) == len(set(trace)) == len(pack.rules)


def test_8_heap_trim_threshold_is_raised_on_glibc():
    import platform

    if platform.libc_ver()[0] == "glibc":
        assert raise_trim_threshold() is True
    else:  # pragma: no cover - CI runs on glibc
        assert raise_trim_threshold() is False


def test_9_rulesets_are_copied_and_named_by_digest(fr_applicant):
    backend = DurableBackend()
    first = backend.prepare(_compiled())
    assert backend.prepare(_compiled()) is first  # cached: never re-registered
    text = (PACKS / f"{FR}.yaml").read_text().replace("min_activity_units: 12",
                                                      "min_activity_units: 13")
    changed = load_pack_text(text, file="changed.yaml").compiled("main")
    second = backend.prepare(changed)
    assert second.name != first.name and changed.digest[:16] in second.name
    assert "run" not in first.definition["$begin"]  # our copy kept clean of actions


def test_10_values_reach_the_engine_normalised(fr_applicant):
    backend = DurableBackend()
    pack = _compiled()
    prepared = backend.prepare(pack)
    fact = backend._fact(prepared, compute_inputs(parse_applicant(fr_applicant), pack), "s")
    for key, value in fact.items():
        assert type(value) in (int, str), (key, value)  # no bool, float, Decimal or date
    income = next(k for k in prepared.props if k.startswith("income:"))
    assert fact[prepared.props[income][0]] == 1_200_000  # EUR 12,000.00 in cents


def test_11_packs_needing_more_than_255_properties_are_rejected():
    text = (PACKS / f"{FR}.yaml").read_text()
    extra = "".join(
        f"  extra_{i}:\n    over: engagements\n    count: true\n" for i in range(130))
    rules = "".join(
        f"  - id: W{k}\n    when: " + " and ".join(f"extra_{10 * k + j} >= 0" for j in range(10))
        + f"\n    then: wide_{k}\n    message: {{fr: w, en: w, it: w, es: w}}\n"
        for k in range(13))
    uses = " and ".join(f"wide_{k}" for k in range(13))
    text = text.replace("measures:\n", "measures:\n" + extra, 1).replace(
        "rules:\n", "rules:\n" + rules, 1).replace(
        "eligible: intermittent", f"eligible: {uses} and intermittent")
    pack = load_pack_text(text, file="wide.yaml")
    with pytest.raises(PackError) as info:
        DurableBackend().prepare(pack.compiled("main"))
    assert info.value.diagnostics[0].code == "engine-limit"


def test_crash_free_in_a_fresh_process(fr_applicant):
    """Segfaults (pitfalls 2, 5) would kill the interpreter: run a burst in a subprocess."""
    code = (
        "import json,sys\n"
        "from fundrules import Engine\n"
        "a=json.loads(sys.argv[1]); e=Engine()\n"
        "print(sum(e.evaluate(dict(a, id=f'x{i}'), 'fr-netflix-audiens').outcome == 'eligible'"
        " for i in range(500)))\n")
    import json

    done = subprocess.run([sys.executable, "-c", code, json.dumps(fr_applicant)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "500"
