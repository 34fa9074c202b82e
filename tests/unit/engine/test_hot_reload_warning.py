"""Past RULESETS_WARNING distinct rulesets in one process, one RuntimeWarning (issue 16)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fundrules import engine as durable
from fundrules.policies.pack import load_pack_text

ROOT = Path(__file__).resolve().parents[3]
PACKS = ROOT / "policies"

FR = "fr-netflix-audiens"


def _call(version: int):
    text = (PACKS / f"{FR}.yaml").read_text(encoding="utf-8")
    changed = text.replace('version: "2020.1"\n', f'version: "2020.1.{version}"\n', 1)
    assert changed != text
    return load_pack_text(changed, file=f"v{version}.yaml").compiled("main")


def test_one_warning_once_past_the_count(monkeypatch):
    monkeypatch.setattr(durable, "RULESETS_WARNING", 2)
    backend = durable.DurableBackend()  # a backend of its own: counts from zero
    calls = [_call(i) for i in range(4)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        backend.prepare(calls[0])
        backend.prepare(calls[1])
        backend.prepare(calls[0])  # the same version again: not a new ruleset
        assert [w for w in seen if w.category is RuntimeWarning] == []
        backend.prepare(calls[2])
        backend.prepare(calls[3])
    (warning,) = [w for w in seen if w.category is RuntimeWarning]
    assert "3 durable_rules rulesets" in str(warning.message)
    assert "fresh worker process" in str(warning.message)


def test_the_documented_count_is_the_code_s():
    limits = (PACKS.parent / "docs" / "limits.md").read_text(encoding="utf-8")
    assert f"more than {durable.RULESETS_WARNING} rulesets" in limits


@pytest.mark.parametrize("count", [1, 5])
def test_a_service_under_the_count_is_never_warned(monkeypatch, count):
    monkeypatch.setattr(durable, "RULESETS_WARNING", 5)
    backend = durable.DurableBackend()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for i in range(count):
            backend.prepare(_call(i))
