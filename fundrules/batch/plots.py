"""Charts of an allocation and of a pack change, behind the optional ``plot`` extra.

matplotlib is heavy and most users never draw a chart, so it is an optional dependency
imported only when a chart is drawn; without it, :class:`PlotUnavailableError` says how
to install it. Figures are built with matplotlib's object API (no ``pyplot``), so no
global state is touched and no window is opened. Amounts become floats here only, for
drawing; every figure shown in a label comes from the Decimal totals.
"""

from __future__ import annotations

import importlib
import os
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fundrules.batch._allocation import Allocation
from fundrules.batch._impact import OUTCOMES, Impact

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "INSTALL_HINT",
    "PlotUnavailableError",
    "plot_allocation",
    "plot_impact",
    "require_matplotlib",
]

INSTALL_HINT = "pip install 'fundrules[plot]'"
_COLOURS = {"eligible": "#2e7d32", "ineligible": "#c62828", "incomplete": "#f9a825",
            "error": "#616161"}


class PlotUnavailableError(ImportError):
    """matplotlib is not installed: charts need the ``plot`` extra."""


def require_matplotlib() -> None:
    """Raise :class:`PlotUnavailableError` now, before long work, if charts cannot be drawn."""
    try:
        importlib.import_module("matplotlib.figure")
    except ImportError as exc:
        raise PlotUnavailableError(
            f"drawing a chart needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from exc


def _figure(width: float, height: float) -> Figure:
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def plot_allocation(allocation: Allocation, path: str | os.PathLike[str]) -> None:
    """Budget consumed over submission time, written as PNG (or as ``path``'s suffix says).

    The money committed to funded applicants as applications arrive, against the
    budget and against what every eligible applicant would have cost.
    """
    fig = _figure(10, 5.5)
    dates: Any = importlib.import_module("matplotlib.dates")
    ax: Any = fig.add_subplot()
    grants = sorted(allocation.grants, key=lambda g: (g.submitted_at, g.applicant))
    times, low, high, demand = [], [], [], []
    lo = hi = want = Decimal(0)
    for g in grants:
        top = g.max if g.max is not None else g.amount or Decimal(0)
        want += top
        if g.funded:
            lo += g.min if g.min is not None else g.amount or Decimal(0)
            hi += top
        times.append(g.submitted_at)
        low.append(float(lo))
        high.append(float(hi))
        demand.append(float(want))
    cur = allocation.currency
    if times:
        ax.step(times, demand, where="post", linestyle="--", color="#9e9e9e",
                label=f"if all {len(grants)} eligible were funded ({_money(want, cur)})")
        if allocation.committed_min != allocation.committed_max:
            ax.fill_between(times, low, high, step="post", color="#1565c0", alpha=0.25,
                            label="committed, range awards (min to max)")
        ax.step(times, high, where="post", color="#1565c0", linewidth=2,
                label=f"committed to {allocation.funded} funded "
                f"({_money(allocation.committed_max, cur)})")
        closed = next((g for g in grants if not g.funded), None)
        if closed is not None and allocation.mode == "first_come_first_served":
            ax.axvline(closed.submitted_at, color="#6a1b9a", linestyle=":",
                       label=f"first unfunded: {closed.note}")
    if allocation.budget is not None:
        ax.axhline(float(allocation.budget), color="#c62828",
                   label=f"budget ({_money(allocation.budget, cur)})")
    locator = dates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    ax.set_xlabel("submission time (UTC)")
    ax.set_ylabel(f"cumulative amount ({cur})")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{allocation.pack} {allocation.pack_version}: budget consumed over "
                 f"submission time ({allocation.mode.replace('_', ' ')})")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    fig.savefig(os.fspath(path), dpi=110)


def plot_impact(result: Impact, path: str | os.PathLike[str]) -> None:
    """Outcomes before and after a pack change, and the flips by direction."""
    fig = _figure(11, 5)
    left: Any = fig.add_subplot(1, 2, 1)
    right: Any = fig.add_subplot(1, 2, 2)
    shown = [o for o in OUTCOMES if o != "error" or result.before[o] or result.after[o]]
    xs = range(len(shown))
    patches: Any = importlib.import_module("matplotlib.patches")
    keys = []
    for offset, label, counts, hatch in ((-0.2, result.old_version, result.before, ""),
                                         (0.2, result.new_version, result.after, "//")):
        bars = left.bar([x + offset for x in xs], [counts[o] for o in shown], width=0.4,
                        color=[_COLOURS[o] for o in shown], hatch=hatch, edgecolor="black")
        left.bar_label(bars, fontsize="small")
        keys.append(patches.Patch(facecolor="white", edgecolor="black", hatch=hatch,
                                  label=f"before ({label})" if not hatch else f"after ({label})"))
    left.set_xticks(list(xs), shown)
    left.set_ylabel("applicants")
    left.set_ylim(0, max([*result.before.values(), *result.after.values(), 1]) * 1.12)
    left.set_title("outcomes before and after")
    left.legend(handles=keys, loc="upper right", fontsize="small")
    flips = list(result.flips.items())[:10]
    if flips:
        labels = [k for k, _ in flips][::-1]
        values = [v for _, v in flips][::-1]
        colours = [_COLOURS.get(k.split(" -> ")[1], "#616161") for k in labels]
        bars = right.barh(labels, values, color=colours)
        right.bar_label(bars, fontsize="small", padding=2)
        right.set_xlim(0, max(values) * 1.15)
    else:
        right.text(0.5, 0.5, "no outcome changed", ha="center", va="center")
    right.set_xlabel("applicants (colour: new outcome)")
    old, new = result.old_allocation, result.new_allocation
    change = new.committed_max - old.committed_max
    right.set_title(f"{result.flipped} flips; committed {change:+,.2f} {new.currency}")
    fig.suptitle(f"{result.pack}: impact of {result.old_version} -> {result.new_version} "
                 f"on {result.inputs} applicants")
    fig.savefig(os.fspath(path), dpi=110)
