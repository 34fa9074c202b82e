"""Charts are optional: drawn with the `plot` extra, a clear error without it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from fundrules.batch.plots import INSTALL_HINT, PlotUnavailableError, require_matplotlib
from fundrules.cli import main
from tests.conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n"
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture()
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import matplotlib`` fail, as it does where the extra is not installed."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_the_error_names_the_extra(no_matplotlib: None) -> None:
    with pytest.raises(PlotUnavailableError, match=r"pip install 'fundrules\[plot\]'"):
        require_matplotlib()
    assert INSTALL_HINT == "pip install 'fundrules[plot]'"


def test_allocate_plot_fails_before_any_work_without_matplotlib(
        no_matplotlib: None, it_population: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "chart.png"
    assert main(["allocate", str(it_population), "--pack", "it-ifc-netflix",
                 "--plot", str(chart)]) == 2
    out = capsys.readouterr()
    assert "pip install 'fundrules[plot]'" in out.err and out.out == ""
    assert not chart.exists()


def test_diff_plot_fails_clearly_without_matplotlib(
        no_matplotlib: None, it_population: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    pack = str(ROOT / "policies" / "it-ifc-netflix.yaml")
    assert main(["diff", pack, pack, "--population", str(it_population),
                 "--plot", str(tmp_path / "d.png")]) == 2
    assert "pip install 'fundrules[plot]'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["allocate", "diff"])
def test_charts_are_png_files(command: str, it_population: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """With matplotlib a PNG is written; without it, the same clear error (never a crash)."""
    chart = tmp_path / f"{command}.png"
    pack = str(ROOT / "policies" / "it-ifc-netflix.yaml")
    args = (["allocate", str(it_population), "--pack", "it-ifc-netflix"] if command == "allocate"
            else ["diff", pack, pack, "--population", str(it_population)])
    code = main([*args, "--jobs", "1", "--plot", str(chart)])
    err = capsys.readouterr().err
    if HAVE_MATPLOTLIB:
        assert code == 0 and f"chart written to {chart}" in err
        assert chart.read_bytes().startswith(PNG) and chart.stat().st_size > 10_000
    else:
        assert code == 2 and INSTALL_HINT in err and not chart.exists()
