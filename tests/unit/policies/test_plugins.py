"""Plugin predicates: registered by installed packages, called by name, never inline code."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator

import pytest

from fundrules import Applicant, Engine, PackError
from fundrules.policies import plugins
from fundrules.policies.pack import load_pack_text
from tests.conftest import ROOT

PACKS = ROOT / "policies"

FR = "fr-netflix-audiens"


def lives_in_paris_region(applicant: Applicant) -> bool | None:
    """A test predicate: unknown without a residence, else whether it is France."""
    if applicant.residence_country is None:
        return None
    return applicant.residence_country == "FR"


lives_in_paris_region.reads = ("residence_country",)  # type: ignore[attr-defined]


@pytest.fixture()
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    entry = importlib.metadata.EntryPoint(
        name="lives_in_france", value=f"{__name__}:lives_in_paris_region",
        group=plugins.ENTRY_POINT_GROUP)

    def entry_points(*, group: str) -> list[importlib.metadata.EntryPoint]:
        return [entry] if group == plugins.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(plugins.importlib.metadata, "entry_points", entry_points)
    plugins.reload_predicates()
    yield
    plugins.reload_predicates()


def _pack_text() -> str:
    text = (PACKS / f"{FR}.yaml").read_text(encoding="utf-8")
    return text.replace("eligible: intermittent and",
                        "eligible: lives_in_france() and intermittent and")


def test_an_unregistered_predicate_is_a_located_error():
    plugins.reload_predicates()
    with pytest.raises(PackError) as info:
        load_pack_text(_pack_text(), file="plugin.yaml")
    (d,) = info.value.errors
    assert (d.code, d.file) == ("unknown-plugin", "plugin.yaml")
    assert d.line is not None and d.column == len("eligible: ") + 1


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_a_registered_predicate_decides_with_kleene_semantics(registered, backend,
                                                              fr_applicant):
    pack = load_pack_text(_pack_text(), file="plugin.yaml")
    engine = Engine([pack], backend=backend)
    assert engine.evaluate(dict(fr_applicant, residence_country="FR"), FR).outcome == "eligible"
    assert engine.evaluate(dict(fr_applicant, residence_country="ES"), FR).outcome == "ineligible"
    unknown = engine.evaluate(dict(fr_applicant, residence_country=None), FR)
    assert unknown.outcome == "incomplete" and unknown.missing == ("residence_country",)


def test_a_predicate_cannot_take_arguments(registered):
    with pytest.raises(PackError) as info:
        load_pack_text(_pack_text().replace("lives_in_france()", "lives_in_france(1)"),
                       file="plugin.yaml")
    assert [d.code for d in info.value.errors] == ["invalid-value"]
