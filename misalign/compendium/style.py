"""The compendium's figure style, set in one place: a seaborn theme and the few drawing helpers the notebooks share.

Every notebook calls :func:`use_style` once, before drawing. It applies a
seaborn theme (white grid, the colour-blind palette) with DejaVu Sans, the font
that ships with matplotlib, so a figure looks the same and has the same bytes on
every machine. The helpers draw the tidy result tables the notebooks write:
one line per curve through the stored ``mean`` over runs and a band between the
stored ``min`` and ``max``, as in the paper's figures; nothing is re-aggregated.

- :func:`curves`: a figure-level grid of such curves (``col``/``row`` facets,
  ``hue`` and ``style``), built on :func:`seaborn.relplot`;
- :func:`lines`: the same on one existing axes;
- :func:`reference`: closed forms and bounds over the curves, in their colours;
- :func:`band`: only the bands, from any two columns of stored statistics;
- :func:`log_axis`: a logarithmic axis labelled 1, 10, 100;
- :func:`palette`: the colour of each level, so that lines, bands and any
  extra marks drawn by a notebook agree.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter
import pandas as pd
import seaborn as sns

__all__ = ["FONT", "PALETTE", "RC", "use_style", "palette", "band", "lines", "curves", "reference", "log_axis"]

#: Shipped with matplotlib, so no figure depends on the fonts a machine happens to have.
FONT = "DejaVu Sans"
#: Distinguishable with the common colour-vision deficiencies.
PALETTE = "colorblind"
#: Settings on top of seaborn's theme.
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "mathtext.fontset": "dejavusans",
    "figure.figsize": (6.4, 4.0),
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8.5,
    "lines.linewidth": 1.4,
    "lines.markersize": 3.5,
    "grid.linestyle": "--",
    "grid.linewidth": 0.6,
    # fixed, so that SVG element ids are the same on every run (also set by compendium.outputs)
    "svg.hashsalt": "misalign",
}


def use_style() -> None:
    """Apply the compendium's seaborn theme; call once per notebook before drawing.

    Examples
    --------
    >>> use_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["font.sans-serif"][0], mpl.rcParams["svg.hashsalt"]
    ('DejaVu Sans', 'misalign')
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font=FONT, rc=RC)


def _plain(value: float, _position=None) -> str:
    """1, 10, ..., 10000, then powers of ten as $10^{k}$ (long numbers would collide)."""
    if value >= 1e5 and float(f"{value:.0e}") == value and f"{value:.0e}".startswith("1e"):
        return f"$10^{{{int(round(np.log10(value)))}}}$"
    return f"{value:g}"


def log_axis(ax, axis: str = "x", base: float = 10) -> None:
    """A logarithmic axis labelled with plain numbers (1, 10, 100 rather than powers)."""
    getattr(ax, f"set_{axis}scale")("log", base=base)
    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(_plain))


def palette(levels, name: str = PALETTE) -> dict:
    """A colour for each level, in order of first appearance (repeated levels keep their first colour).

    Examples
    --------
    >>> p = palette(["b", "a", "b"])
    >>> list(p), p["b"] == palette(["b"])["b"]
    (['b', 'a'], True)
    """
    order = list(dict.fromkeys(levels))
    return dict(zip(order, sns.color_palette(name, n_colors=max(len(order), 1))))


def band(data: pd.DataFrame, *, x: str, lo: str = "min", hi: str = "max", hue: str | None = None,
         style: str | None = None, colors: dict | None = None, color=None, alpha: float = 0.15, ax=None, **kwargs):
    """Shade between the stored columns ``lo`` and ``hi`` against ``x``, one band per ``hue`` and ``style`` level.

    Bands where ``lo`` equals ``hi`` everywhere (one run, a deterministic curve)
    are not drawn. Extra keyword arguments (and the ``color`` that
    :meth:`seaborn.FacetGrid.map_dataframe` passes) are accepted and ignored
    where they do not apply, so the function can be mapped over a grid.
    """
    ax = plt.gca() if ax is None else ax
    by = [v for v in (hue, style) if v is not None]
    groups = data.groupby(by, sort=False) if by else [((None,), data)]
    for key, part in groups:
        level = key[0] if hue is not None else None
        part = part.sort_values(x)
        if not (part[hi] > part[lo]).any():
            continue
        fill = colors[level] if colors is not None and level in colors else color
        ax.fill_between(part[x], part[lo], part[hi], color=fill, alpha=alpha, linewidth=0)
    return ax


def lines(data: pd.DataFrame, *, x: str, y: str = "mean", hue: str | None = "curve", style: str | None = None,
          lo: str | None = "min", hi: str | None = "max", colors: dict | None = None, marker: str | None = "o",
          ax=None, **kwargs):
    """One line per ``hue`` (and ``style``) level through the stored ``y``, over its ``lo``-``hi`` band, on one axes.

    ``lo=None`` draws no band. Returns the axes. Keyword arguments go to
    :func:`seaborn.lineplot`.
    """
    ax = plt.gca() if ax is None else ax
    if hue is not None and colors is None:
        colors = palette(data[hue])
    if lo is not None and hi is not None:
        band(data, x=x, lo=lo, hi=hi, hue=hue, style=style, colors=colors, ax=ax)
    kw = dict(markers=True, dashes=True) if style is not None else dict(marker=marker)
    kw.update(kwargs)
    present = set(data[hue]) if hue is not None else set()
    order = [level for level in colors if level in present] if hue is not None else None
    sns.lineplot(data=data, x=x, y=y, hue=hue, style=style, palette=colors if hue is not None else None,
                 hue_order=order, estimator=None, sort=True, ax=ax, **kw)
    return ax


def curves(data: pd.DataFrame, *, x: str, y: str = "mean", hue: str = "curve", col: str | None = None,
           row: str | None = None, style: str | None = None, lo: str | None = "min", hi: str | None = "max",
           xlabel: str | None = None, ylabel: str = "Population misalignment", ylim=(0, 1), xscale: str | None = None,
           title: str | None = None, legend_title: str | None = None, height: float = 3.6, aspect: float = 1.3,
           colors: dict | None = None, **kwargs) -> sns.FacetGrid:
    """A grid of curves from a tidy results table: ``col``/``row`` facets, ``hue`` (and ``style``) curves, min-max bands.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per curve and ``x``, with the stored statistics ``y``, ``lo``
        and ``hi`` (by default ``mean``, ``min`` and ``max`` over runs).
    x, y, hue, col, row, style : str
        Columns of ``data``, as in :func:`seaborn.relplot`.
    lo, hi : str or None
        The band's columns; ``None`` draws no band.
    xlabel, ylabel, ylim, xscale, title, legend_title
        Axis labels and limits for every facet, a title over the figure and the legend's title.
    colors : dict, optional
        Colour of each ``hue`` level (default :func:`palette` of the levels in order).
    **kwargs
        Passed to :func:`seaborn.relplot` (for example ``facet_kws``).

    Returns
    -------
    seaborn.FacetGrid
        Its ``figure`` goes to :func:`misalign.compendium.outputs.save_figure`;
        ``axes_dict`` reaches each facet, ``colors`` maps each ``hue`` level to
        its colour (:func:`reference` draws closed forms in them).
    """
    colors = palette(data[hue]) if colors is None else colors
    marks = dict(markers=True, dashes=True) if style is not None else dict(marker="o")
    marks.update(kwargs)
    present = set(data[hue])
    g = sns.relplot(data=data, x=x, y=y, hue=hue, hue_order=[level for level in colors if level in present],
                    palette=colors, style=style, col=col,
                    row=row, kind="line", estimator=None, sort=True, height=height, aspect=aspect, **marks)
    if lo is not None and hi is not None:
        g.map_dataframe(band, x=x, lo=lo, hi=hi, hue=hue, style=style, colors=colors)
    if xscale == "log":
        for ax in g.axes.flat:
            log_axis(ax, "x")
    elif xscale is not None:
        g.set(xscale=xscale)
    if ylim is not None:
        g.set(ylim=ylim)
    g.set_axis_labels(xlabel if xlabel is not None else x, ylabel)
    if g.legend is not None and legend_title is not None:
        g.legend.set_title(legend_title)
    if title is not None:
        g.figure.suptitle(title, y=1.03, fontsize=10.5)
    g.colors = colors
    return g


def reference(g: sns.FacetGrid, data: pd.DataFrame, *, x: str, y: str, hue: str | None = None,
              col: str | None = None, color="black", linestyle="--", linewidth: float = 1.0, **kwargs):
    """Reference curves (a closed form, a bound) on the facets of a grid made by :func:`curves`.

    Each ``hue`` level is drawn in the grid's colour for that level (levels the
    grid does not know, and ``hue=None``, in ``color``); with ``col`` only the
    rows of ``data`` whose ``col`` value names a facet are drawn on it, otherwise
    every facet gets every row. Returns the grid.
    """
    colors = getattr(g, "colors", {}) or {}
    for name, ax in g.axes_dict.items():
        part = data if col is None else data[data[col] == name]
        groups = part.groupby(hue, sort=False) if hue is not None else [(None, part)]
        for level, d in groups:
            d = d.sort_values(x)
            ax.plot(d[x], d[y], color=colors.get(level, color), linestyle=linestyle, linewidth=linewidth, **kwargs)
    return g


