"""`fundrules verify --differential N`, the scale run of the backends' agreement, in small."""

from __future__ import annotations

import pytest

from fundrules import Engine
from fundrules.cli import main
from fundrules.testing.differential import differential


@pytest.mark.parametrize("pack_id", ["fr-netflix-audiens", "it-ifc-netflix"])
def test_a_short_differential_run_decides_n_valid_applicants_and_finds_no_difference(pack_id):
    report = differential(Engine(backend="python").pack(pack_id), 300, seed=3, pool_size=40)
    assert (report.decided, report.disagreements, report.engine_errors) == (300, 0, 0)
    assert sum(report.outcomes.values()) == 300 and len(report.outcomes) >= 2
    assert report.invalid > 0  # the mutator does push values past what the schema accepts


def test_the_command_reports_each_pack_and_exits_0_when_the_backends_agree(capsys):
    assert main(["verify", "es-academia-netflix", "--differential", "120", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("es-academia-netflix: 120 decided by both backends (")
    assert "0 disagreement(s), 0 engine error(s)" in out
