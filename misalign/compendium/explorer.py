r"""An interactive explorer of the score for JupyterLab (``notebooks/00_explore.ipynb``).

Sliders and dropdowns set the population (agents, goals per area, areas), the
conflict between goals, how weights are drawn and the score's conventions (pair
convention, weight mean); the figure redraws as they move: the distribution of
the population score over random worlds, and each area's mean score.

Each redraw starts again from the same seed, so the same settings always draw
the same picture, whatever was moved before. The figure is a plain
:class:`matplotlib.figure.Figure` rendered into an :class:`ipywidgets.Image`,
which needs no plotting extension and can be driven from Python (the tests set
a slider and read the bars back).
"""

from __future__ import annotations

import io
import itertools

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.means import WEIGHT_MEANS
from ..core.validation import PAIRS, check_option
from ..core.score import combine_areas
from ..simulation.samplers import init_worlds

#: How agents' weights are drawn: a constant, or uniform in a range (Algorithm 2).
WEIGHT_DISTRIBUTIONS = {
    "all 1": 1.0,
    "uniform(0, 1)": (0.0, 1.0),
    "uniform(0.25, 0.75)": (0.25, 0.75),
}

#: The defaults: the setting of the paper's Figure 1 at 100 agents and 4 areas.
DEFAULTS = dict(n_agents=100, n_goals=3, n_areas=4, conflict=1.0, weights="all 1", pairs="distinct",
                weight_mean="geometric", runs=200, seed=2025)

# Model ids of displayed panels are fixed (one per panel made in this process) so
# that a notebook run twice stores the same bytes; widget ids are random otherwise.
_PANELS = itertools.count(1)


def simulate_worlds(rng, *, n_agents: int, n_goals: int, n_areas: int, conflict: float, weights: str,
             pairs: str = "distinct", weight_mean: str = "geometric", runs: int = 200) -> np.ndarray:
    r"""Area scores of ``runs`` random worlds: random goals, constant conflict, random weights.

    Every agent holds one of the ``n_goals`` explicit goals of each area,
    uniformly at random (no null goal, as in the paper's experiments); every
    pair of different goals conflicts at level ``conflict``; weights are drawn
    as ``weights`` names. Each world's area score is

    .. math::

        \Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{(a_1, a_2) \in \Pi}
            c(g^{1}, g^{2}) \, \bar w(w^{1}, w^{2}).

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of every random draw.
    n_agents, n_goals, n_areas : int
        Population size, explicit goals per area, number of areas.
    conflict : float
        Conflict of every pair of different goals, in [0, 1].
    weights : {"all 1", "uniform(0, 1)", "uniform(0.25, 0.75)"}
        How each agent's weight in each area is drawn (:data:`WEIGHT_DISTRIBUTIONS`).
    pairs, weight_mean
        As in :func:`misalign.area_misalignment`.
    runs : int
        Number of independent worlds.

    Returns
    -------
    numpy.ndarray, shape (runs, n_areas)

    Raises
    ------
    ValueError
        For an unknown ``weights``, ``pairs`` or ``weight_mean``; for counts
        below 1 (0 agents allowed), a conflict outside [0, 1] or an ``rng``
        that is not a Generator.

    See Also
    --------
    Explorer : the widgets that call this as they move.
    misalign.samplers.init_worlds : the random worlds (Algorithms 1 and 2).

    References
    ----------
    .. [1] Kierans et al. (2025), section 4 and Algorithms 1-2.

    Examples
    --------
    Two agents, two goals, full conflict and weight 1: a world scores 1 when
    the two agents hold different goals and 0 otherwise, so half the worlds
    score 1 on average.

    >>> s = simulate_worlds(np.random.default_rng(0), n_agents=2, n_goals=2, n_areas=1, conflict=1.0,
    ...              weights="all 1", runs=1000)
    >>> sorted(set(s.ravel().tolist())), bool(abs(s.mean() - 0.5) < 0.05)
    ([0.0, 1.0], True)
    """
    check_option("weights", weights, tuple(WEIGHT_DISTRIBUTIONS))
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    worlds = init_worlds(rng, runs=runs, n_agents=n_agents, n_goals=[n_goals] * int(n_areas),
                         conflict=float(conflict), weights=WEIGHT_DISTRIBUTIONS[weights])
    return worlds.area_scores(pairs=pairs, weight_mean=weight_mean)


def _draw(fig: Figure, scores: np.ndarray, settings: dict) -> None:
    fig.clear()
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    overall = combine_areas(scores, "arithmetic", axis=1)
    # Zoomed on the worlds' range, which is narrow for large populations; the
    # bars on the right keep the full [0, 1] scale.
    lo, hi = overall.min(), overall.max()
    pad = max(0.01, 0.1 * (hi - lo))
    left.hist(overall, bins=np.linspace(max(0.0, lo - pad), min(1.0, hi + pad), 41), color="#4C72B0")
    left.axvline(overall.mean(), color="k", linestyle="--", linewidth=1, label=f"mean {overall.mean():.3f}")
    left.set_xlabel("Population misalignment (mean over areas; axis zoomed)")
    left.set_ylabel(f"Worlds (of {scores.shape[0]})")
    left.legend(loc="upper left")
    areas = np.arange(1, scores.shape[1] + 1)
    means = scores.mean(axis=0)
    right.bar(areas, means, color="#DD8452",
              yerr=[means - scores.min(axis=0), scores.max(axis=0) - means], capsize=3, ecolor="#555")
    right.set_ylim(0, 1)
    right.set_xticks(areas)
    right.set_xlabel("Problem area")
    right.set_ylabel("Mean area score (bars: min-max)")
    fig.suptitle(f"{settings['n_agents']} agents, {settings['n_goals']} goals per area, "
                 f"conflict {settings['conflict']:g}, weights {settings['weights']}, "
                 f"pairs {settings['pairs']}, weight mean {settings['weight_mean']}", fontsize=9)


class _Panel(widgets.VBox):
    """The explorer's top widget; its text form is what front ends without widgets show."""

    def __repr__(self) -> str:
        return "misalign explorer (interactive in JupyterLab or on Binder)"


class Explorer:
    """Widgets for the score's settings and a figure that redraws as they move.

    ``controls`` maps each setting to its widget; ``panel`` is what a notebook
    displays; ``figure`` and ``image`` hold the current picture, ``scores`` the
    area scores behind it.

    Parameters
    ----------
    n_agents, n_goals, n_areas, conflict, weights, pairs, weight_mean, runs
        Starting values; see :func:`simulate_worlds`.
    seed : int
        Seed of every redraw.

    Examples
    --------
    >>> ex = Explorer(runs=20)
    >>> before = ex.scores.mean()
    >>> ex.controls["conflict"].value = 0.5
    >>> bool(np.isclose(ex.scores.mean(), before / 2))
    True
    """

    def __init__(self, **settings):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; expected some of {list(DEFAULTS)}")
        s = {**DEFAULTS, **settings}
        self.runs, self.seed = int(s["runs"]), int(s["seed"])
        style = {"description_width": "9em"}
        layout = widgets.Layout(width="26em")
        self.controls = {
            "n_agents": widgets.IntSlider(s["n_agents"], min=2, max=1000, description="agents"),
            "n_goals": widgets.IntSlider(s["n_goals"], min=1, max=10, description="goals per area"),
            "n_areas": widgets.IntSlider(s["n_areas"], min=1, max=10, description="problem areas"),
            "conflict": widgets.FloatSlider(s["conflict"], min=0.0, max=1.0, step=0.05, description="conflict"),
            "weights": widgets.Dropdown(options=list(WEIGHT_DISTRIBUTIONS), value=s["weights"], description="weights"),
            "pairs": widgets.Dropdown(options=list(PAIRS), value=s["pairs"], description="pairs"),
            "weight_mean": widgets.Dropdown(options=list(WEIGHT_MEANS), value=s["weight_mean"],
                                            description="weight mean"),
        }
        for w in self.controls.values():
            w.style, w.layout = style, layout
            w.continuous_update = False
            w.observe(self._on_change, names="value")
        self.figure = Figure(figsize=(10, 3.8), layout="constrained")
        self.image = widgets.Image(format="png")
        self.redraw()
        self.panel = _Panel([widgets.HBox([widgets.VBox(list(self.controls.values())[:4]),
                                           widgets.VBox(list(self.controls.values())[4:])]), self.image],
                            model_id=f"misalign-explorer-{next(_PANELS)}")

    @property
    def settings(self) -> dict:
        """The current value of every control."""
        return {name: w.value for name, w in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Simulate at the current settings and redraw the figure and its image."""
        settings = self.settings
        self.scores = simulate_worlds(np.random.default_rng(self.seed), runs=self.runs, **settings)
        _draw(self.figure, self.scores, settings)
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=100, metadata={"Software": None})
        self.image.value = buf.getvalue()

    def table(self) -> pd.DataFrame:
        """Per-area mean, min and max score, and the population score, at the current settings."""
        s = self.scores
        overall = combine_areas(s, "arithmetic", axis=1)
        rows = [{"area": str(j + 1), "mean": s[:, j].mean(), "min": s[:, j].min(), "max": s[:, j].max()}
                for j in range(s.shape[1])]
        rows.append({"area": "population", "mean": overall.mean(), "min": overall.min(), "max": overall.max()})
        return pd.DataFrame(rows)
