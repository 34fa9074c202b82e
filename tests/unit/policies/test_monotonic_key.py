"""The `monotonic:` pack key: declarations resolve per call, unknown names are located."""

from __future__ import annotations

import pytest

from fundrules import PackError
from fundrules.policies.ir import IncomeInput, MeasureInput
from fundrules.policies.pack import load_pack_text
from tests.unit.policies.test_broken_packs import BASE

_VALID = BASE + """
monotonic:
  - more: activity_days
    never: lose_eligibility
    says: {en: "More days never make an eligible applicant ineligible"}
  - less: income(2019, gross)
    never: lower_award
"""


def _lines(text: str) -> int:
    return len(text.splitlines())


def test_valid_declarations_compile_to_each_calls_input_keys() -> None:
    pack = load_pack_text(_VALID, file="demo.yaml")
    expected = (("more", MeasureInput("activity_days", "number"), "lose_eligibility"),
                ("less", IncomeInput("2019", "gross"), "lower_award"))
    assert {call: c.monotonic for call, c in pack.calls.items()} == {
        "spring": expected, "autumn": expected}
    assert pack.model.monotonic[0].says == {"en": "More days never make an eligible applicant "
                                                  "ineligible"}


def test_a_pack_without_the_key_declares_nothing() -> None:
    pack = load_pack_text(BASE, file="demo.yaml")
    assert [c.monotonic for c in pack.calls.values()] == [(), ()]


def test_an_unknown_measure_is_reported_where_it_is_written() -> None:
    text = _VALID.replace("more: activity_days", "more: activity_dayz")
    with pytest.raises(PackError) as err:
        load_pack_text(text, file="demo.yaml")
    line = _lines(BASE) + 3  # `  - more: activity_dayz`, the value at column 11
    assert [(d.code, d.line, d.column, d.hint) for d in err.value.diagnostics] == [
        ("unknown-name", line, 11, "did you mean `activity_days`?")]


def test_an_input_that_is_not_a_measure_nor_income_is_unknown() -> None:
    text = _VALID.replace("less: income(2019, gross)", "less: unemployed")
    with pytest.raises(PackError) as err:
        load_pack_text(text, file="demo.yaml")
    assert [(d.code, d.line, d.column) for d in err.value.diagnostics] == [
        ("unknown-name", _lines(BASE) + 6, 11)]


def test_a_bad_income_basis_is_reported_at_its_argument() -> None:
    text = _VALID.replace("less: income(2019, gross)", "less: income(2019, grosse)")
    with pytest.raises(PackError) as err:
        load_pack_text(text, file="demo.yaml")
    assert [(d.code, d.line, d.column, d.hint) for d in err.value.diagnostics] == [
        ("invalid-value", _lines(BASE) + 6, 24, "did you mean `gross`?")]


@pytest.mark.parametrize(("declaration", "code"), [
    ("  - never: lose_eligibility\n", "invalid-value"),
    ("  - more: activity_days\n    less: income(2019, gross)\n    never: lower_award\n",
     "invalid-value"),
    ("  - {more: activity_days, never: lose_award}\n", "invalid-value"),
])
def test_exactly_one_direction_and_a_known_harm(declaration: str, code: str) -> None:
    with pytest.raises(PackError) as err:
        load_pack_text(BASE + "\nmonotonic:\n" + declaration, file="demo.yaml")
    assert [(d.code, d.line) for d in err.value.diagnostics] == [(code, _lines(BASE) + 3)]
