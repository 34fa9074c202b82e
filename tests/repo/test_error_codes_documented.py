"""docs/errors.md documents every diagnostic code, and nothing else, with an example and a fix."""

from __future__ import annotations

import re

from fundrules.diagnostics import CODES
from tests.conftest import ROOT

ERRORS = ROOT / "docs" / "errors.md"


def _sections() -> dict[str, str]:
    text = ERRORS.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_headings_are_exactly_the_codes():
    assert set(_sections()) == set(CODES)


def test_every_section_says_what_it_means_shows_an_example_and_how_to_fix_it():
    for code, body in _sections().items():
        assert "**What it means.**" in body, code
        assert "**Example.**" in body, code
        assert "**How to fix it.**" in body, code


def test_every_printed_line_in_an_example_is_a_located_diagnostic_of_its_section():
    """The first line of every output block has the section's code, after a location."""
    for code, body in _sections().items():
        outputs = re.findall(r"```(?:console|text)\n(.*?)```", body, flags=re.DOTALL)
        printed = [line for block in outputs for line in block.splitlines()
                   if not line.startswith(("$", " "))
                   and not re.match(r"^\d+ (pack\(s\)|passed), ", line)]
        assert printed, code
        assert all(re.match(r"^\S+: [a-z-]+: ", line) for line in printed), code
        assert {line.split(": ")[1] for line in printed} <= {code}, code


def test_the_check_examples_are_what_check_prints_for_the_broken_packs():
    """Each `fundrules check my-fund.yaml` example is the output for one broken pack."""
    from fundrules.cli._check import _source_lines, _text
    from fundrules.policies.pack import check_pack

    broken = ERRORS.parent.parent / "tests" / "packs" / "broken"
    printed = set()
    for path in broken.glob("*.yaml"):
        lines = _source_lines(str(path))
        for d in check_pack(path):
            printed.add(_text(d, lines).replace(str(path), "my-fund.yaml"))
    blocks = re.findall(r"```console\n\$ fundrules check my-fund.yaml\n(.*?)```",
                        ERRORS.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 25
    for block in blocks:
        shown = re.sub(r"\n\d+ pack\(s\), .*$", "", block.rstrip("\n"))  # check's summary line
        assert shown in printed, block
