r"""Boyd and Richerson's learners and imitators in a changing environment.

The model, as the tutorial "Cross disciplinary insights into alignment" (seed
``004``) states it after Boyd and Richerson (1995): the environment is in one
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
   Satija, H. (2024). Cross Disciplinary Insights into Alignment in Humans and
   Machines. NeurIPS tutorial, seed document ``004_cb3b17d0ed1f75df.txt``,
   equations A2.1-A2.5.
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
    .. [1] Seed 004, equation A2.4.

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
    .. [1] Seed 004, equation A2.3.

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
    .. [1] Seed 004, text between A2.4 and A2.5.

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
    .. [1] Seed 004, equation A2.5.

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
    .. [1] Seed 004, the model's rules before A2.1.

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
