r"""Boyd and Richerson's learners and imitators in a changing environment.

The model, as Hadfield, Hadfield-Menell, Leibo, Trivedi and Satija, *Cross
Disciplinary Insights Into Alignment in Humans and Machines* ("Hadfield et
al." below) state it after Boyd and Richerson (1995): the environment is in one
of two states and switches each generation with probability :math:`\gamma`;
the behaviour that suits the current state earns :math:`W_0 + D`, the other
:math:`W_0 - D`. *Learners* always acquire the favoured behaviour at a cost
:math:`C`. *Imitators* observe :math:`n` individuals: if one of them is a
learner they acquire the favoured behaviour, otherwise they copy one of those
they observed. With :math:`q` the frequency of imitators and :math:`p` the
frequency of the favoured behaviour among them,

.. math::

    p' = \begin{cases} 1 - q^n + q^n p & \text{no change} \\
                       1 - q^n + q^n (1 - p) & \text{change} \end{cases}
    \quad \text{(A2.1)}, \qquad
    P_{t+1} = 1 - q^n + q^n[(1 - 2\gamma) P_t + \gamma] \quad \text{(A2.3)},

with equilibrium mean :math:`P` (A2.4) and an equilibrium frequency of
imitators :math:`q^*` (A2.5) at which both types are equally fit.

Discrepancy in the document. It gives the imitators' mean fitness as
:math:`W_I = W_0 - D(2P - 1)`. Its own fitness table gives
:math:`W_0 + D P - D(1 - P) = W_0 + D(2P - 1)`, and only this sign yields A2.5
from :math:`W_I > W_L`; with the printed sign imitators would gain from being
wrong. This module uses :math:`W_0 + D(2P - 1)`.

References
----------
.. [1] Hadfield, G. K., Hadfield-Menell, D., Leibo, J. Z., Trivedi, R. S., and
   Satija, H. (2024). *Cross Disciplinary Insights Into Alignment in Humans and
   Machines*. NeurIPS tutorial, equations A2.1-A2.5.
.. [2] Boyd, R. and Richerson, P. J. (1995). Why does culture increase human
   adaptability? Ethology and Sociobiology, 16(2), 125-143.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "mean_favoured",
    "mean_favoured_path",
    "fitnesses",
    "imitator_equilibrium",
    "simulate_learners",
    "replicator_path",
    "simulated_means",
    "advantage_crossing",
]


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _real(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} = {value!r}; expected a finite real number")


def _check_q(q) -> np.ndarray:
    arr = np.asarray(q)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"q must be a frequency of imitators in [0, 1]; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        where = "" if arr.ndim == 0 else str([int(i) for i in np.argwhere(bad)[0]])
        raise ValueError(f"q{where} = {float(arr[tuple(np.argwhere(bad)[0])])!r}; "
                         "expected a frequency of imitators in [0, 1]")
    return arr


def _check_gamma(gamma) -> float:
    _real("gamma", gamma)
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma = {gamma!r}; expected a switching probability in (0, 1] "
                         "(with gamma = 0 and no learners the mean never settles)")
    return float(gamma)


def _check_n(n) -> int:
    if not _is_int(n) or n < 1:
        raise ValueError(f"n = {n!r}; expected a positive integer number of individuals observed")
    return int(n)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}; expected a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    return rng


def _scalar_or_array(x: np.ndarray):
    return float(x) if x.ndim == 0 else x


def mean_favoured(q, gamma: float, n: int):
    r"""Equilibrium mean frequency of the favoured behaviour among imitators (A2.4).

    .. math::

        P = \frac{1 - q^n + q^n \gamma}{1 - q^n (1 - 2\gamma)}

    the fixed point of the recursion A2.3. :math:`P = 1` without imitators
    (:math:`q = 0`) and :math:`P = 1/2` without learners (:math:`q = 1`).

    Parameters
    ----------
    q : float or array_like
        Frequency of imitators, in [0, 1].
    gamma : float
        Probability that the environment switches each generation, in (0, 1].
    n : int
        Individuals an imitator observes, at least 1.

    Returns
    -------
    float or numpy.ndarray
        The shape of ``q``.

    Raises
    ------
    ValueError
        For ``q`` outside [0, 1], ``gamma`` outside (0, 1] or ``n`` < 1.

    See Also
    --------
    mean_favoured_path : the recursion A2.3 it is the fixed point of.
    imitator_equilibrium

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*,
       equation A2.4.

    Examples
    --------
    :math:`q = 1/2, n = 1, \gamma = 0.1`: :math:`(1 - 0.5 + 0.05)/(1 - 0.5 \cdot 0.8) = 0.55/0.6`.

    >>> round(mean_favoured(0.5, 0.1, 1), 6), round(0.55 / 0.6, 6)
    (0.916667, 0.916667)
    """
    x = _check_q(q) ** _check_n(n)
    g = _check_gamma(gamma)
    return _scalar_or_array((1.0 - x + x * g) / (1.0 - x * (1.0 - 2.0 * g)))


def mean_favoured_path(q: float, gamma: float, n: int, *, start: float, generations: int) -> np.ndarray:
    r"""The mean frequency of the favoured behaviour generation by generation (A2.3).

    .. math::

        P_{t+1} = 1 - q^n + q^n \big[(1 - 2\gamma) P_t + \gamma\big]

    Parameters
    ----------
    q : float
        Frequency of imitators, in [0, 1].
    gamma : float
        Switching probability, in (0, 1].
    n : int
        Individuals observed, at least 1.
    start : float
        :math:`P_0`, in [0, 1].
    generations : int
        Number of steps, at least 0.

    Returns
    -------
    numpy.ndarray, shape (generations + 1,)
        :math:`P_0, \dots, P_T`.

    Raises
    ------
    ValueError
        For arguments outside their ranges.

    See Also
    --------
    mean_favoured : the limit of the path.

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*,
       equation A2.3.

    Examples
    --------
    One step from :math:`P_0 = 0` with :math:`q = 1/2, n = 1, \gamma = 0.1`:
    :math:`0.5 + 0.5 (0.8 \cdot 0 + 0.1) = 0.55`.

    >>> mean_favoured_path(0.5, 0.1, 1, start=0.0, generations=1).round(6).tolist()
    [0.0, 0.55]
    """
    x = float(_check_q(q)) ** _check_n(n)
    g = _check_gamma(gamma)
    _real("start", start)
    if not 0 <= start <= 1:
        raise ValueError(f"start = {start!r}; expected a frequency in [0, 1]")
    if not _is_int(generations) or generations < 0:
        raise ValueError(f"generations = {generations!r}; expected a non-negative integer")
    path = np.empty(int(generations) + 1)
    path[0] = start
    for t in range(int(generations)):
        path[t + 1] = 1.0 - x + x * ((1.0 - 2.0 * g) * path[t] + g)
    return path


class Fitnesses(NamedTuple):
    """Mean fitness of learners and of imitators at the equilibrium mean P."""

    learner: float | np.ndarray
    imitator: float | np.ndarray


def fitnesses(q, gamma: float, n: int, *, baseline: float, benefit: float, cost: float) -> Fitnesses:
    r"""Mean fitness of learners and imitators once P has reached equilibrium.

    .. math::

        W_L = W_0 + D - C, \qquad W_I = W_0 + D (2P - 1)

    with :math:`P` from A2.4. The document prints :math:`W_0 - D(2P - 1)`; its
    fitness table and its A2.5 both require the sign used here (see the
    module notes).

    Parameters
    ----------
    q : float or array_like
        Frequency of imitators, in [0, 1].
    gamma : float
        Switching probability, in (0, 1].
    n : int
        Individuals observed, at least 1.
    baseline : float
        :math:`W_0`.
    benefit : float
        :math:`D > 0`, half the gap between the right and the wrong behaviour.
    cost : float
        :math:`C \ge 0`, the learners' cost.

    Returns
    -------
    Fitnesses
        ``learner`` and ``imitator``, each of the shape of ``q`` (the learners'
        fitness is constant).

    Raises
    ------
    ValueError
        For arguments outside their ranges.

    See Also
    --------
    imitator_equilibrium : the q at which the two are equal.

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*,
       text between A2.4 and A2.5.

    Examples
    --------
    Without imitators every imitator would behave well: :math:`W_I = W_0 + D`.

    >>> f = fitnesses(0.0, 0.1, 2, baseline=1.0, benefit=0.5, cost=0.2)
    >>> round(f.learner, 6), round(f.imitator, 6)   # 1 + 0.5 - 0.2, 1 + 0.5
    (1.3, 1.5)
    """
    for name, v in (("baseline", baseline), ("benefit", benefit), ("cost", cost)):
        _real(name, v)
    if benefit <= 0:
        raise ValueError(f"benefit = {benefit!r}; expected D > 0")
    if cost < 0:
        raise ValueError(f"cost = {cost!r}; expected C >= 0")
    big_p = np.asarray(mean_favoured(q, gamma, n))
    learner = np.full(big_p.shape, baseline + benefit - cost)
    imitator = baseline + benefit * (2.0 * big_p - 1.0)
    return Fitnesses(learner=_scalar_or_array(learner), imitator=_scalar_or_array(imitator))


def imitator_equilibrium(cost_ratio: float, gamma: float, n: int) -> float:
    r"""The equilibrium frequency of imitators :math:`q^*` (A2.5).

    .. math::

        q^* = \left(\frac{C/D}{2\gamma(1 - C/D) + C/D}\right)^{1/n}

    Imitators spread while :math:`q < q^*` and recede above it; at
    :math:`q^*` both types are equally fit. The formula needs :math:`C/D < 1`:
    when learning costs at least as much as the behaviour gains
    (:math:`C \ge D`) learners never do better than imitators, the inequality
    holds for every :math:`q` (the base of the power is at least 1 or its
    denominator is not positive), and the function returns 1.

    Parameters
    ----------
    cost_ratio : float
        :math:`C/D > 0`.
    gamma : float
        Switching probability, in (0, 1].
    n : int
        Individuals observed, at least 1.

    Returns
    -------
    float
        :math:`q^* \in (0, 1]`.

    Raises
    ------
    ValueError
        For a non-positive cost ratio, ``gamma`` outside (0, 1] or ``n`` < 1.

    See Also
    --------
    fitnesses, mean_favoured

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*,
       equation A2.5.

    Examples
    --------
    :math:`C/D = 1/2, \gamma = 0.1, n = 1`: :math:`0.5 / (0.2 \cdot 0.5 + 0.5) = 5/6`.

    >>> round(imitator_equilibrium(0.5, 0.1, 1), 6), round(5 / 6, 6)
    (0.833333, 0.833333)
    """
    _real("cost_ratio", cost_ratio)
    if cost_ratio <= 0:
        raise ValueError(f"cost_ratio = {cost_ratio!r}; expected C/D > 0")
    g = _check_gamma(gamma)
    n = _check_n(n)
    c = float(cost_ratio)
    if c >= 1:
        return 1.0
    return float((c / (2.0 * g * (1.0 - c) + c)) ** (1.0 / n))


def simulate_learners(q: float, gamma: float, n: int, *, n_agents: int, generations: int, rng: np.random.Generator,
             baseline: float = 0.0, benefit: float = 1.0, cost: float = 0.5) -> pd.DataFrame:
    r"""A seeded individual-based run of the learner/imitator model in a finite group.

    The group has ``round(q * n_agents)`` imitators and the rest learners
    (so the realised frequency ``q_eff`` may differ slightly from ``q``). Each
    generation the environment switches with probability :math:`\gamma`;
    learners adopt the favoured behaviour; each imitator observes :math:`n`
    members of the group drawn with replacement and, if one is a learner,
    adopts the favoured behaviour, otherwise copies the behaviour that one of
    the observed imitators had in the previous generation. This realises
    A2.1 with :math:`q^n` the chance of observing only imitators, so the mean
    of the favoured share over a long run should approach A2.4 at ``q_eff``.
    Imitators start with the favoured behaviour. An imitator's behaviour
    :math:`b'` given the environment's new state :math:`e'` is

    .. math::

        b' = \begin{cases} e' & \text{if one of the } n \text{ observed is a learner} \\
                            b_{\text{observed imitator}} & \text{otherwise.} \end{cases}

    Parameters
    ----------
    q : float
        Target frequency of imitators, in [0, 1].
    gamma : float
        Switching probability, in (0, 1].
    n : int
        Individuals observed, at least 1.
    n_agents : int
        Group size, at least 1.
    generations : int
        Generations simulated, at least 1.
    rng : numpy.random.Generator
        Source of the environment's switches and of the observations.
    baseline, benefit, cost : float
        :math:`W_0`, :math:`D > 0` and :math:`C \ge 0`.

    Returns
    -------
    pandas.DataFrame
        One row per generation: ``generation``, ``environment`` (0 or 1),
        ``q_eff``, ``favoured_share`` (share of imitators with the favoured
        behaviour; NaN without imitators), ``imitator_fitness`` and
        ``learner_fitness`` (group means; NaN without members of the type).

    Raises
    ------
    ValueError
        For arguments outside their ranges or a bad ``rng``.

    See Also
    --------
    mean_favoured, fitnesses

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*,
       the model's rules before A2.1.

    Examples
    --------
    Without imitators nothing is random but the environment:

    >>> df = simulate_learners(0.0, 0.5, 2, n_agents=10, generations=3, rng=np.random.default_rng(0))
    >>> df.learner_fitness.tolist()   # W0 + D - C = 0 + 1 - 0.5
    [0.5, 0.5, 0.5]
    """
    qv = float(_check_q(q))
    g = _check_gamma(gamma)
    n = _check_n(n)
    rng = _check_rng(rng)
    for name, v in (("n_agents", n_agents), ("generations", generations)):
        if not _is_int(v) or v < 1:
            raise ValueError(f"{name} = {v!r}; expected a positive integer")
    for name, v in (("baseline", baseline), ("benefit", benefit), ("cost", cost)):
        _real(name, v)
    if benefit <= 0:
        raise ValueError(f"benefit = {benefit!r}; expected D > 0")
    if cost < 0:
        raise ValueError(f"cost = {cost!r}; expected C >= 0")
    n_imitators = int(round(qv * n_agents))
    n_learners = n_agents - n_imitators
    switches = rng.random(generations) < g
    environment = np.cumsum(switches) % 2  # state after this generation's switch, starting from 0
    behaviour = np.zeros(n_imitators, dtype=np.int64)  # everyone suits state 0 at the start
    share = np.full(generations, np.nan)
    for t in range(generations):
        # group members 0..n_learners-1 are learners, the rest imitators
        seen = rng.integers(0, n_agents, size=(n_imitators, n))
        met_learner = (seen < n_learners).any(axis=1)
        model = np.where(met_learner, 0, seen[:, 0] - n_learners)  # any observed imitator serves
        behaviour = np.where(met_learner, environment[t], behaviour[model])
        if n_imitators:
            share[t] = float((behaviour == environment[t]).mean())
    imitator_fitness = baseline + benefit * (2.0 * share - 1.0)
    learner_fitness = np.full(generations, baseline + benefit - cost if n_learners else np.nan)
    return pd.DataFrame({
        "generation": np.arange(1, generations + 1),
        "environment": environment.astype(np.int64),
        "q_eff": n_imitators / n_agents,
        "favoured_share": share,
        "imitator_fitness": imitator_fitness,
        "learner_fitness": learner_fitness,
    })


def replicator_path(q0: float, gamma: float, n: int, *, baseline: float, benefit: float, cost: float,
                    selection: float, generations: int) -> np.ndarray:
    r"""The frequency of imitators under the discrete replicator map, generation by generation.

    The document assumes selection weak enough that the frequency :math:`q`
    responds to the stationary mean :math:`P` (A2.4). With the closed-form
    fitnesses of :func:`fitnesses`, shifted by :math:`1 - W_0` so that they are
    positive and scaled by the selection strength :math:`s`,

    .. math::

        q_{t+1} = q_t \frac{1 + s\,(W_I(q_t) - W_0)}
                        {q_t\,(1 + s\,(W_I(q_t) - W_0)) + (1 - q_t)(1 + s\,(W_L - W_0))}.

    Its interior fixed point is A2.5's :math:`q^*` (where :math:`W_I = W_L`);
    :math:`q = 0` and :math:`q = 1` are fixed points too.

    Parameters
    ----------
    q0 : float
        Starting frequency of imitators, in [0, 1].
    gamma : float
        Switching probability, in (0, 1].
    n : int
        Individuals observed, at least 1.
    baseline, benefit, cost : float
        :math:`W_0`, :math:`D > 0` and :math:`C \ge 0`.
    selection : float
        :math:`s > 0`, small enough that both shifted fitnesses stay positive:
        :math:`1 + s\,(D - C) > 0` (the imitators' :math:`1 + s\,D(2P - 1)` is
        at least 1).
    generations : int
        Number of steps, at least 0.

    Returns
    -------
    numpy.ndarray, shape (generations + 1,)
        :math:`q_0, \dots, q_T`.

    Raises
    ------
    ValueError
        For arguments outside their ranges, or a selection strength that makes
        the learners' shifted fitness non-positive.

    See Also
    --------
    imitator_equilibrium : the interior fixed point.
    fitnesses

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*,
       the weak-selection argument before A2.5.

    Examples
    --------
    One step from :math:`q = 1/2` with :math:`\gamma = 0.1, n = 1, W_0 = 1, D = 0.5, C = 0.2, s = 1`:
    :math:`P = 0.55/0.6`, so :math:`W_I - W_0 = 0.5 (2P - 1) = 0.41\overline{6}` against
    :math:`W_L - W_0 = 0.3`, and :math:`q_1 = 0.5 \cdot 1.41\overline{6} / (0.5 \cdot 1.41\overline{6} + 0.5 \cdot 1.3)`:

    >>> path = replicator_path(0.5, 0.1, 1, baseline=1.0, benefit=0.5, cost=0.2, selection=1.0, generations=1)
    >>> round(float(path[1]), 6), round((1 + 0.5 * (2 * 0.55 / 0.6 - 1)) / (1 + 0.5 * (2 * 0.55 / 0.6 - 1) + 1.3), 6)
    (0.521472, 0.521472)
    """
    q = float(_check_q(q0))
    gamma = _check_gamma(gamma)
    n = _check_n(n)
    for name, v in (("baseline", baseline), ("benefit", benefit), ("cost", cost), ("selection", selection)):
        _real(name, v)
    if benefit <= 0:
        raise ValueError(f"benefit = {benefit!r}; expected D > 0")
    if cost < 0:
        raise ValueError(f"cost = {cost!r}; expected C >= 0")
    if selection <= 0:
        raise ValueError(f"selection = {selection!r}; expected a selection strength s > 0")
    if 1 + selection * (benefit - cost) <= 0:
        raise ValueError(f"selection = {selection!r} makes the learners' shifted fitness 1 + s (D - C) = "
                         f"{1 + selection * (benefit - cost):g} non-positive; expected s < 1 / (C - D) = "
                         f"{1 / (cost - benefit):g}")
    if not _is_int(generations) or generations < 0:
        raise ValueError(f"generations = {generations!r}; expected a non-negative integer")
    path = np.empty(int(generations) + 1)
    path[0] = q
    for t in range(int(generations)):
        f = fitnesses(q, gamma, n, baseline=baseline, benefit=benefit, cost=cost)
        wi, wl = 1 + selection * (f.imitator - baseline), 1 + selection * (f.learner - baseline)
        q = q * wi / (q * wi + (1 - q) * wl)
        path[t + 1] = q
    return path


def simulated_means(qs, gamma: float, n: int, *, rngs, n_agents: int, generations: int, burn_in: int,
                    baseline: float, benefit: float, cost: float) -> pd.DataFrame:
    r"""Long-run means of :func:`simulate_learners` at each frequency of imitators, beside the closed forms.

    For each target frequency in ``qs`` one group is simulated with its own
    generator; the favoured share and the imitators' fitness are averaged over
    the generations after ``burn_in`` and set beside A2.4 and the closed-form
    fitness at the group's realised frequency ``q_eff``.

    Parameters
    ----------
    qs : sequence of float
        Target frequencies of imitators, in [0, 1].
    gamma, n, n_agents, generations, baseline, benefit, cost
        As for :func:`simulate_learners`.
    rngs : sequence of numpy.random.Generator
        One generator per frequency (for example ``rng.spawn(len(qs))``), so
        that each run is reproducible on its own.
    burn_in : int
        Generations left out of the means, in [0, generations).

    Returns
    -------
    pandas.DataFrame
        One row per frequency: ``q_eff``, ``P_sim`` and ``P_closed`` (the
        favoured share, simulated and A2.4; ``P_sim`` is NaN without
        imitators), ``W_I_sim`` and ``W_I_closed`` (the imitators' mean
        fitness) and ``W_L`` (the learners', :math:`W_0 + D - C`).

    Raises
    ------
    ValueError
        For mismatched ``qs`` and ``rngs``, a ``burn_in`` outside [0,
        generations), or arguments :func:`simulate_learners` refuses.

    See Also
    --------
    advantage_crossing : where the simulated imitators stop doing better.

    Examples
    --------
    >>> gens = np.random.default_rng(0).spawn(2)
    >>> df = simulated_means([0.0, 0.5], 0.1, 2, rngs=gens, n_agents=50, generations=30, burn_in=10,
    ...                      baseline=1.0, benefit=0.5, cost=0.2)
    >>> df.q_eff.tolist(), df.W_L.tolist()
    ([0.0, 0.5], [1.3, 1.3])
    """
    qs, rngs = list(qs), list(rngs)
    if len(qs) != len(rngs):
        raise ValueError(f"got {len(qs)} frequencies and {len(rngs)} generators; expected one generator per frequency")
    if not _is_int(burn_in) or not 0 <= burn_in < generations:
        raise ValueError(f"burn_in = {burn_in!r}; expected a whole number of generations in [0, {generations!r})")
    out = []
    for q, g in zip(qs, rngs):
        df = simulate_learners(q, gamma, n, n_agents=n_agents, generations=generations, rng=g,
                               baseline=baseline, benefit=benefit, cost=cost)
        tail = df.iloc[burn_in:]
        q_eff = float(df.q_eff.iloc[0])
        closed = fitnesses(q_eff, gamma, n, baseline=baseline, benefit=benefit, cost=cost)
        out.append({"q_eff": q_eff,
                    "P_sim": tail.favoured_share.mean(), "P_closed": mean_favoured(q_eff, gamma, n),
                    "W_I_sim": tail.imitator_fitness.mean(), "W_I_closed": closed.imitator,
                    "W_L": baseline + benefit - cost})
    return pd.DataFrame(out)


def advantage_crossing(q, advantage) -> tuple[int, float]:
    r"""Where an advantage first turns negative along a grid, by linear interpolation.

    With the imitators' simulated advantage :math:`W_I - W_L` on a grid of
    frequencies this locates the simulated :math:`q^*`, from the simulation
    alone.

    Parameters
    ----------
    q : array_like
        Increasing grid points.
    advantage : array_like
        The advantage at each point; NaN counts as not negative (a point with
        no imitators has no simulated advantage).

    Returns
    -------
    i : int
        Index of the first point where the advantage is negative; the change
        lies between points ``i - 1`` and ``i``.
    crossing : float
        The interpolated zero between them.

    Raises
    ------
    ValueError
        For mismatched or unsorted inputs, or when the advantage is never
        negative, or negative already at the first point (nothing to bracket).

    Examples
    --------
    >>> advantage_crossing([0.0, 0.5, 1.0], [0.2, 0.1, -0.3])
    (2, 0.625)
    """
    q = np.asarray(q, dtype=np.float64)
    adv = np.asarray(advantage, dtype=np.float64)
    if q.ndim != 1 or q.shape != adv.shape or q.size < 2:
        raise ValueError(f"q and advantage have shapes {q.shape} and {adv.shape}; expected two equal 1-d grids "
                         "of at least two points")
    if not (np.diff(q) > 0).all():
        raise ValueError("q must increase along the grid")
    negative = adv < 0
    if not negative.any():
        raise ValueError("the advantage is never negative on the grid; widen the grid toward q = 1")
    i = int(np.argmax(negative))
    if i == 0:
        raise ValueError("the advantage is negative already at the first grid point; start the grid lower")
    return i, float(q[i - 1] + (q[i] - q[i - 1]) * adv[i - 1] / (adv[i - 1] - adv[i]))

