"""The compendium's figure style: a mean line per curve over a min-max band across runs, as in the paper."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "axes.grid": True,
    "grid.linestyle": "--",
    "grid.alpha": 0.6,
    "legend.fontsize": 8,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "font.family": "DejaVu Sans",
}


def use_style() -> None:
    """Apply the compendium's matplotlib settings (fonts shipped with matplotlib, so output is portable)."""
    plt.rcParams.update(STYLE)


def plot_curves(ax, df: pd.DataFrame, *, curve: str = "curve", x: str = "x", band: bool = True,
                marker: str = "o", ylabel: str = "Population misalignment", ylim=(0, 1), **line_kw):
    """Draw each curve's mean against ``x`` with its min-max band; curves in order of first appearance."""
    for name, part in df.groupby(curve, sort=False):
        part = part.sort_values(x)
        (line,) = ax.plot(part[x], part["mean"], marker=marker, markersize=3, linewidth=1.2, label=name, **line_kw)
        if band and (part["max"] > part["min"]).any():
            ax.fill_between(part[x], part["min"], part["max"], color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    return ax
