r"""Alignment metrics for normal-form games: the Coordination-Alignment inequalities and their kin.

A game with :math:`n` players is a payoff array of shape
``(n, |A_1|, ..., |A_n|)``: ``payoffs[i][a]`` is :math:`u_i(\vec a)`, the
utility of player :math:`i` at the pure action profile :math:`\vec a`. A
profile is either *pure* (a tuple of action indices) or *mixed* (one
probability vector per player, the players randomising independently).

The measures follow a SERI research write-up on game-theoretic alignment
metrics (mentored by Alex Turner; "the SERI write-up" below): the sum and
covariance of utilities under a profile, the
Coordination-Alignment (C-A) inequalities

.. math::

    \sum_i u_i(\vec a) \;\le\; \max_{\vec a} \sum_i u_i(\vec a)
    \;\le\; \sum_i \max_{\vec a} u_i(\vec a),

the C-A alignment metric :math:`\alpha` (the negative gap of the second
inequality), the maxmin threat point with each player's surplus and the Nash
bargaining product. The classification of symmetric 2 x 2 social dilemmas by
:math:`R, S, T, P` follows Hadfield, Hadfield-Menell, Leibo, Trivedi and
Satija, *Cross Disciplinary Insights Into Alignment in Humans and Machines*
("Hadfield et al." below).

How each measure treats a positive affine change :math:`u_i \mapsto a u_i + b`
(:math:`a > 0`) of *one* player's utility, which leaves that player's
preferences unchanged:

=========================  =================================================
measure                    under :math:`u_i \mapsto a u_i + b` for one player
=========================  =================================================
pure Nash equilibria       unchanged
maxmin strategies          unchanged; the security value becomes
                           :math:`a v_i + b`
Nash bargaining profile    unchanged; the product scales by :math:`a`
:math:`\alpha = 0`         unchanged (it is ordinal: one profile is best for
                           everyone)
:math:`\alpha`             unchanged by shifts :math:`b`; *not* by scales
                           :math:`a` (see :func:`ca_alignment`)
coordination gap           unchanged by shifts; not by scales
sum of utilities           neither
covariance of utilities    unchanged by shifts; scaled by :math:`a`, so its
                           sign is unchanged
=========================  =================================================

References
----------
.. [1] A SERI research write-up on game-theoretic alignment metrics (mentored by Alex Turner), extending
   research on game-theoretic POWER; the text carries no title or author.
.. [2] Hadfield, G. K., Hadfield-Menell, D., Leibo, J. Z., Trivedi, R. S., and Satija, H. (2024).
   *Cross Disciplinary Insights Into Alignment in Humans and Machines*. NeurIPS tutorial.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..util import require

linprog = require("scipy.optimize", "neighbours", "misalign.neighbours.games (linear programs)").linprog

__all__ = [
    "example_game",
    "expected_payoffs",
    "utility_sum",
    "utility_covariance",
    "ca_alignment",
    "coordination_gap",
    "pure_nash",
    "maxmin",
    "threat_point",
    "surplus",
    "nash_bargaining",
    "dilemma_game",
    "dilemma_parameters",
    "classify_dilemma",
    "dilemma_motives",
    "game_summary",
    "conflict_matrices",
]

# A mixed strategy is accepted when its probabilities sum to 1 within this.
_SUM_TOL = 1e-9
# Relative accuracy assumed of the maxmin linear programs' solutions.
_LP_TOL = 1e-9


def _as_payoffs(payoffs, name: str = "payoffs") -> np.ndarray:
    arr = np.asarray(payoffs)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold real utilities; got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim < 2 or arr.ndim != arr.shape[0] + 1:
        raise ValueError(
            f"{name} has shape {arr.shape}; expected (n_players, |A_1|, ..., |A_n|), "
            "one axis of actions per player after the player axis"
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} has shape {arr.shape}; every player needs at least one action")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}{list(idx)} is {arr[idx]}; expected a finite utility")
    return arr


def _as_profile(profile, actions: tuple[int, ...], name: str = "profile") -> list[np.ndarray]:
    """One probability vector per player; a pure profile becomes one-hot vectors."""
    try:
        items = list(profile)
    except TypeError:
        raise ValueError(f"{name} must be a tuple of action indices or one probability vector per player; "
                         f"got {type(profile).__name__}") from None
    if len(items) != len(actions):
        raise ValueError(f"{name} has {len(items)} entries but the game has {len(actions)} players; "
                         "expected one action or mixed strategy per player")
    out = []
    for i, (item, m) in enumerate(zip(items, actions)):
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < m:
                raise ValueError(f"{name}[{i}] = {int(item)}; expected an action index in 0..{m - 1}")
            out.append(np.eye(m)[int(item)])
            continue
        x = np.asarray(item)
        if x.dtype == bool or not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"{name}[{i}] must be an action index or a probability vector; got {item!r}")
        x = x.astype(np.float64)
        if x.shape != (m,):
            raise ValueError(f"{name}[{i}] has shape {x.shape}; expected a probability vector of length {m}")
        if not np.isfinite(x).all() or (x < 0).any() or abs(x.sum() - 1.0) > _SUM_TOL:
            raise ValueError(f"{name}[{i}] = {x.tolist()}; expected non-negative probabilities summing to 1")
        out.append(x)
    return out


def _joint(strategies: list[np.ndarray]) -> np.ndarray:
    """The product distribution over pure profiles of independent strategies."""
    joint = np.ones(())
    for x in strategies:
        joint = np.multiply.outer(joint, x)
    return joint


def _profile_axes(payoffs: np.ndarray) -> tuple[int, ...]:
    return tuple(range(1, payoffs.ndim))


def example_game(name: str) -> np.ndarray:
    r"""A game printed in the SERI write-up or in Hadfield et al., as a payoff array.

    Action 0 is the first row (column) of the printed table: H, C (cooperate) or
    A; action 1 the second.

    ======================================  ==========================================
    name                                    source and payoffs (row player first)
    ======================================  ==========================================
    ``"matching_pennies"``                  SERI write-up: H/H (+1,-1), H/T (-1,+1),
                                            T/H (-1,+1), T/T (+1,-1)
    ``"prisoners_dilemma_years"``           SERI write-up, from its text: M = -4 + X
                                            and a defection changes rewards by
                                            [+1, -2]: C/C (-1,-1), C/D (-3,0),
                                            D/C (0,-3), D/D (-2,-2), the textbook
                                            years in prison as negative utilities
    ``"prisoners_dilemma_years_plus_3"``    SERI write-up's arithmetic "(4) - (6)":
                                            the same game with 3 added to every
                                            utility
    ``"prisoners_dilemma"``                 Hadfield et al.: (3,3) (0,4) / (4,0) (1,1)
    ``"prisoners_dilemma_intro"``           Hadfield et al., first slide:
                                            (2,2) (0,4) / (4,0) (1,1)
    ``"chicken"``                           Hadfield et al.: (3,3) (1,4) / (4,1) (0,0)
    ``"stag_hunt"``                         Hadfield et al.: (4,4) (0,3) / (3,0) (1,1)
    ``"bach_or_stravinsky"``                Hadfield et al.: (3,2) (0,0) / (0,0) (2,3)
    ``"coordination_3x3"``                  Hadfield et al.: (1,1), (2,2), (3,3) on the
                                            diagonal, (0,0) elsewhere
    ======================================  ==========================================

    The prisoner's dilemma table of the SERI write-up is garbled in the text we
    have (every cell reads -1\-1); its text pins the game down: the sum of
    utilities is :math:`-4 + X` with :math:`X` cooperators and a defection
    changes the two rewards by [+1, -2], which gives
    ``"prisoners_dilemma_years"``. Its value
    :math:`\alpha = (4) - (6) = -2` uses different numbers, those of the same
    game shifted by +3 per player; :math:`\alpha` is shift-invariant, so both
    readings give -2.

    Parameters
    ----------
    name : str
        One of the names above.

    Returns
    -------
    numpy.ndarray, shape (2, m, m)
        A fresh array.

    Raises
    ------
    ValueError
        For an unknown name.

    See Also
    --------
    dilemma_game : any symmetric 2 x 2 game from R, S, T, P.

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Examples of alignment metrics".
    .. [2] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*, "Games and
       equilibria", "The three classic types of social dilemma", "Equilibrium selection".

    Examples
    --------
    >>> example_game("chicken")[:, 1, 0].tolist()   # (D, C): row defects
    [4.0, 1.0]
    """
    bimatrix = {
        "matching_pennies": [[(1, -1), (-1, 1)], [(-1, 1), (1, -1)]],
        "prisoners_dilemma_years": [[(-1, -1), (-3, 0)], [(0, -3), (-2, -2)]],
        "prisoners_dilemma_years_plus_3": [[(2, 2), (0, 3)], [(3, 0), (1, 1)]],
        "prisoners_dilemma": [[(3, 3), (0, 4)], [(4, 0), (1, 1)]],
        "prisoners_dilemma_intro": [[(2, 2), (0, 4)], [(4, 0), (1, 1)]],
        "chicken": [[(3, 3), (1, 4)], [(4, 1), (0, 0)]],
        "stag_hunt": [[(4, 4), (0, 3)], [(3, 0), (1, 1)]],
        "bach_or_stravinsky": [[(3, 2), (0, 0)], [(0, 0), (2, 3)]],
        "coordination_3x3": [[(1, 1), (0, 0), (0, 0)], [(0, 0), (2, 2), (0, 0)], [(0, 0), (0, 0), (3, 3)]],
    }
    if name not in bimatrix:
        choices = ", ".join(repr(k) for k in bimatrix)
        raise ValueError(f"name={name!r} is not a game of the documents; expected one of {choices}")
    cells = np.asarray(bimatrix[name], dtype=np.float64)  # (rows, cols, player)
    return np.moveaxis(cells, -1, 0).copy()


def expected_payoffs(payoffs, profile) -> np.ndarray:
    r"""Each player's expected utility :math:`\mathbb{E}[u_i(\vec a)]` under a profile.

    .. math::

        \mathbb{E}[u_i] = \sum_{\vec a} u_i(\vec a) \prod_j x_j(a_j)

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``
    profile : tuple of int, or sequence of n probability vectors
        A pure profile (action indices) or independent mixed strategies.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ValueError
        For a malformed game or profile (wrong length, index out of range,
        probabilities negative or not summing to 1).

    See Also
    --------
    utility_sum, utility_covariance

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "local metrics" as functions of a game and a
       strategy profile.

    Examples
    --------
    Matching pennies with both players mixing evenly: each expects 0.

    >>> g = example_game("matching_pennies")
    >>> expected_payoffs(g, [[0.5, 0.5], [0.5, 0.5]]).tolist()
    [0.0, 0.0]
    """
    u = _as_payoffs(payoffs)
    joint = _joint(_as_profile(profile, u.shape[1:]))
    return (u * joint).sum(axis=_profile_axes(u))


def utility_sum(payoffs, profile) -> float:
    r"""The sum-of-utility metric :math:`M = \mathbb{E}[\sum_i u_i(\vec a)]` under a profile (the SERI write-up).

    .. math::

        M = \sum_i \mathbb{E}[u_i(\vec a)]

    Zero everywhere in a zero-sum game; in the SERI write-up's prisoner's dilemma
    :math:`M = -4 + X` with :math:`X` cooperators. An affine function of the
    utility vector, it is not invariant when one player's utility is rescaled.

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``
    profile : tuple of int, or sequence of n probability vectors

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`expected_payoffs`.

    See Also
    --------
    coordination_gap : the distance of :math:`M` below its maximum.

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Sum of utility".

    Examples
    --------
    >>> g = example_game("prisoners_dilemma_years")
    >>> [utility_sum(g, (0, 0)), utility_sum(g, (0, 1)), utility_sum(g, (1, 1))]   # -4 + X
    [-2.0, -3.0, -4.0]
    """
    return float(expected_payoffs(payoffs, profile).sum())


def utility_covariance(payoffs, profile) -> np.ndarray:
    r"""The covariance matrix of the players' utilities under a mixed profile (the SERI write-up).

    .. math::

        \Sigma_{ij} = \mathbb{E}[u_i u_j] - \mathbb{E}[u_i]\,\mathbb{E}[u_j]

    For two players the SERI write-up's metric is :math:`M = \mathrm{Cov}(u_1, u_2) =
    \Sigma_{01}`. It is zero for every pure profile and, in a zero-sum game,
    :math:`-\mathrm{Var}(u_1) \le 0`.

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``
    profile : tuple of int, or sequence of n probability vectors

    Returns
    -------
    numpy.ndarray, shape (n, n)

    Raises
    ------
    ValueError
        As :func:`expected_payoffs`.

    See Also
    --------
    utility_sum : the other local metric of the SERI write-up.

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Covariance of utility".

    Examples
    --------
    the SERI write-up's prisoner's dilemma with each player defecting with probability
    :math:`p_i`: :math:`\mathrm{Cov}(u_1, u_2) = -2 \sum_i p_i (1 - p_i)`, which
    is -1 for :math:`p_i = 1/2`.

    >>> g = example_game("prisoners_dilemma_years")
    >>> float(utility_covariance(g, [[0.5, 0.5], [0.5, 0.5]])[0, 1])
    -1.0
    """
    u = _as_payoffs(payoffs)
    joint = _joint(_as_profile(profile, u.shape[1:]))
    n = u.shape[0]
    flat_u = u.reshape(n, -1)
    p = joint.ravel()
    mean = flat_u @ p
    centred = flat_u - mean[:, None]
    return (centred * p) @ centred.T


def ca_alignment(payoffs) -> float:
    r"""The C-A alignment metric :math:`\alpha` of a game (the SERI write-up).

    .. math::

        \alpha = \max_{\vec a} \sum_i u_i(\vec a) - \sum_i \max_{\vec a} u_i(\vec a) \le 0

    :math:`\alpha = 0` exactly when one pure profile is best for every player at
    once (common-payoff games are an example). It is a global metric: it
    ignores which profile is played.

    Positive affine transformations. Adding a constant :math:`b_i` to one
    player's utility leaves :math:`\alpha` unchanged (both terms move by
    :math:`b_i`), and scaling every player by the same :math:`a > 0` scales
    :math:`\alpha` by :math:`a`: this is the sense in which the SERI write-up calls
    :math:`\alpha` "consistent with affine transformations". Scaling *one*
    player's utility changes :math:`\alpha` although it changes nobody's
    preferences: doubling the row player of the SERI write-up's prisoner's dilemma gives
    :math:`\alpha = -3` instead of -2. Only the equality case :math:`\alpha = 0`
    is invariant under separate positive affine changes.

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a payoff array of the wrong shape or with non-finite entries.

    See Also
    --------
    coordination_gap : the gap of the other C-A inequality.

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Constructing the C-A alignment metric".

    Examples
    --------
    The document's two values: matching pennies :math:`(0) - (2) = -2` and the
    prisoner's dilemma :math:`(4) - (6) = -2`.

    >>> ca_alignment(example_game("matching_pennies"))
    -2.0
    >>> ca_alignment(example_game("prisoners_dilemma_years_plus_3"))
    -2.0
    """
    u = _as_payoffs(payoffs)
    axes = _profile_axes(u)
    return float(u.sum(axis=0).max() - u.max(axis=axes).sum())


def coordination_gap(payoffs, profile) -> float:
    r"""The gap of the Coordination inequality at a profile (the SERI write-up).

    .. math::

        \max_{\vec a} \sum_i u_i(\vec a) - \mathbb{E}\Big[\sum_i u_i(\vec a)\Big] \ge 0

    Zero exactly when the profile maximises social welfare (for a mixed
    profile: when it puts all its mass on welfare-maximising profiles); zero
    for every profile of a constant-sum game.

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``
    profile : tuple of int, or sequence of n probability vectors

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`expected_payoffs`.

    See Also
    --------
    ca_alignment, utility_sum

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Social welfare and the Coordination-Alignment
       inequalities".

    Examples
    --------
    Mutual defection in Hadfield et al.'s prisoner's dilemma: welfare 2 against a best of 6.

    >>> coordination_gap(example_game("prisoners_dilemma"), (1, 1))
    4.0
    """
    u = _as_payoffs(payoffs)
    return float(u.sum(axis=0).max() - utility_sum(u, profile))


def pure_nash(payoffs) -> list[tuple[int, ...]]:
    r"""The pure Nash equilibria: profiles where no player gains by deviating alone.

    .. math::

        u_i(\vec a) \ge u_i(a_i', \vec a_{-i}) \quad \text{for every player } i
        \text{ and action } a_i'

    Ties count as best responses (weak equilibria are included).

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``

    Returns
    -------
    list of tuple of int
        In lexicographic order; empty when there is none.

    Raises
    ------
    ValueError
        For a malformed payoff array.

    See Also
    --------
    maxmin

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*, "Games and
       equilibria": the prisoner's dilemma "has just one equilibrium, and it is (D, D)".

    Examples
    --------
    >>> pure_nash(example_game("prisoners_dilemma"))
    [(1, 1)]
    >>> pure_nash(example_game("matching_pennies"))
    []
    """
    u = _as_payoffs(payoffs)
    best = np.ones(u.shape[1:], dtype=bool)
    for i in range(u.shape[0]):
        best &= u[i] >= u[i].max(axis=i, keepdims=True)
    return [tuple(int(a) for a in idx) for idx in np.argwhere(best)]


class Maxmin(NamedTuple):
    """A player's maxmin (security) strategy and the utility it guarantees."""

    strategy: np.ndarray
    value: float


def maxmin(payoffs, player: int) -> Maxmin:
    r"""A player's maxmin mixed strategy and security value, by linear programming.

    .. math::

        v_i = \max_{x_i \in \Delta(A_i)} \min_{\vec a_{-i}}
            \sum_{a_i} x_i(a_i)\, u_i(a_i, \vec a_{-i})

    The inner minimum may run over the others' pure profiles: the expected
    utility is linear in each opponent's strategy, so a pure profile attains it.

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``
    player : int
        The player's index, 0..n-1.

    Returns
    -------
    Maxmin
        ``strategy`` (a probability vector over the player's actions; one of
        possibly several optimal ones) and ``value`` :math:`v_i` (unique).

    Raises
    ------
    ValueError
        For a malformed game or a player index out of range.

    See Also
    --------
    threat_point

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Connections to broader game theory" (the maxmin
       profile).

    Examples
    --------
    Matching pennies: mixing evenly guarantees 0.

    >>> m = maxmin(example_game("matching_pennies"), 0)
    >>> m.strategy.round(6).tolist(), round(m.value, 6)
    ([0.5, 0.5], 0.0)
    """
    u = _as_payoffs(payoffs)
    n = u.shape[0]
    if isinstance(player, bool) or not isinstance(player, (int, np.integer)) or not 0 <= player < n:
        raise ValueError(f"player = {player!r}; expected a player index in 0..{n - 1}")
    ui = np.moveaxis(u[player], player, 0)
    m = ui.shape[0]
    rows = ui.reshape(m, -1).T  # one row per pure profile of the others
    # variables (x_1..x_m, v): maximise v subject to v - rows @ x <= 0, sum x = 1
    c = np.zeros(m + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-rows, np.ones((rows.shape[0], 1))])
    a_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    bounds = [(0, None)] * m + [(None, None)]
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(rows.shape[0]), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
    x = np.clip(res.x[:m], 0.0, None)
    x = x / x.sum()
    # The guarantee of the returned strategy, recomputed exactly from the payoffs.
    return Maxmin(strategy=x, value=float((rows @ x).min()))


class ThreatPoint(NamedTuple):
    """The maxmin profile :math:`\\vec a_0` and what it gives each player."""

    strategies: tuple
    payoffs: np.ndarray
    security: np.ndarray


def threat_point(payoffs) -> ThreatPoint:
    r"""The SERI write-up's threat point: every player plays a maxmin strategy.

    .. math::

        \vec a_0 = (x_1^{\max\min}, \dots, x_n^{\max\min}), \qquad
        d_i = \mathbb{E}[u_i(\vec a_0)]

    Note the difference between :math:`d_i`, the utility at the profile
    :math:`\vec a_0`, which defines the SERI write-up's surplus, and the security value
    :math:`v_i \le d_i` that player :math:`i`'s maxmin strategy guarantees.
    The SERI write-up claims that a player playing a best response has non-negative surplus;
    that holds against :math:`v_i` but can fail against :math:`d_i` (see
    :func:`surplus`).

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``

    Returns
    -------
    ThreatPoint
        ``strategies`` (one maxmin strategy per player), ``payoffs``
        (:math:`d_i`) and ``security`` (:math:`v_i`), both of shape (n,).

    Raises
    ------
    ValueError
        For a malformed payoff array.

    See Also
    --------
    maxmin, surplus, nash_bargaining

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Connections to broader game theory".

    Examples
    --------
    In Hadfield et al.'s prisoner's dilemma defecting guarantees 1, and both defecting gives 1.

    >>> tp = threat_point(example_game("prisoners_dilemma"))
    >>> tp.payoffs.round(6).tolist(), tp.security.round(6).tolist()
    ([1.0, 1.0], [1.0, 1.0])
    """
    u = _as_payoffs(payoffs)
    found = [maxmin(u, i) for i in range(u.shape[0])]
    strategies = tuple(f.strategy for f in found)
    return ThreatPoint(strategies=strategies, payoffs=expected_payoffs(u, strategies),
                       security=np.array([f.value for f in found]))


def surplus(payoffs, profile, threat: ThreatPoint | None = None) -> np.ndarray:
    r"""Each player's surplus over the threat point, :math:`s_i(\vec a) = u_i(\vec a) - u_i(\vec a_0)`.

    .. math::

        s_i(\vec a) = \mathbb{E}[u_i(\vec a)] - \mathbb{E}[u_i(\vec a_0)]

    The SERI write-up says a player playing a best response has :math:`s_i \ge 0` "by
    definition of maxmin". That is true of the surplus over the security value
    :math:`v_i` but not of this one, which the document defines: in the game
    with row utilities [[3, 0], [2, 1]] and a column player whose maxmin action
    is the first column, the row player's maxmin action is the second row,
    :math:`u_1(\vec a_0) = 2`, and her best response to the second column earns
    1, a surplus of -1.

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``
    profile : tuple of int, or sequence of n probability vectors
    threat : ThreatPoint, optional
        From :func:`threat_point`; computed when omitted.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ValueError
        As :func:`expected_payoffs`, or for a threat point of the wrong length.

    See Also
    --------
    threat_point, nash_bargaining

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Connections to broader game theory".

    Examples
    --------
    Mutual cooperation in Hadfield et al.'s prisoner's dilemma: 3 - 1 for each.

    >>> surplus(example_game("prisoners_dilemma"), (0, 0)).round(6).tolist()
    [2.0, 2.0]
    """
    u = _as_payoffs(payoffs)
    tp = threat_point(u) if threat is None else threat
    d = np.asarray(tp.payoffs, dtype=np.float64)
    if d.shape != (u.shape[0],):
        raise ValueError(f"threat.payoffs has shape {d.shape}; expected one utility per player, ({u.shape[0]},)")
    return expected_payoffs(u, profile) - d


class Bargain(NamedTuple):
    """The Nash bargaining outcome over pure profiles; ``profile`` is None for disagreement."""

    profile: tuple | None
    product: float
    surplus: np.ndarray


def nash_bargaining(payoffs) -> Bargain:
    r"""The pure profile maximising the Nash product of surpluses over the threat point (the SERI write-up).

    .. math::

        \vec a^{N} = \arg\max_{\vec a \,:\, s_i(\vec a) \ge 0 \ \forall i}
            \prod_i s_i(\vec a)

    The search runs over the game's pure profiles (no randomised agreements).
    Surpluses within :math:`10^{-9}(1 + \max|u|)` of zero count as zero, the
    accuracy of the threat point's linear programs.
    If no pure profile gives every player a non-negative surplus, the players
    stay at the threat point: ``profile`` is None, the product 0 and the surplus
    zero. Ties go to the first profile in lexicographic order (products equal
    within the same tolerance tie). The maximiser
    is unchanged by a positive affine change of any player's utility (the SERI write-up).

    Parameters
    ----------
    payoffs : array_like, shape ``(n, |A_1|, ..., |A_n|)``

    Returns
    -------
    Bargain
        ``profile``, ``product`` and ``surplus`` (shape (n,)).

    Raises
    ------
    ValueError
        For a malformed payoff array.

    See Also
    --------
    threat_point, surplus

    References
    ----------
    .. [1] SERI write-up on game-theoretic alignment metrics, "Connections to broader game theory".

    Examples
    --------
    Hadfield et al.'s prisoner's dilemma: mutual cooperation, product (3 - 1)(3 - 1) = 4.

    >>> b = nash_bargaining(example_game("prisoners_dilemma"))
    >>> b.profile, round(b.product, 6)
    ((0, 0), 4.0)
    """
    u = _as_payoffs(payoffs)
    d = threat_point(u).payoffs
    s = np.moveaxis(u, 0, -1) - d  # (|A_1|, ..., |A_n|, n)
    # d comes from linear programs solved to about 1e-9; a surplus that is zero
    # in exact arithmetic must not be lost to their rounding.
    tol = _LP_TOL * (1.0 + np.abs(u).max())
    s = np.where(np.abs(s) <= tol, 0.0, s)
    feasible = (s >= 0).all(axis=-1)
    if not feasible.any():
        return Bargain(profile=None, product=0.0, surplus=np.zeros(u.shape[0]))
    product = np.where(feasible, s.prod(axis=-1), -np.inf)
    # first maximiser in C (lexicographic) order, treating products equal up to
    # the threat point's rounding as ties so that symmetric games break ties alike
    best = product.max()
    flat = int(np.argmax(product.ravel() >= best - _LP_TOL * (1.0 + abs(best))))
    idx = tuple(int(a) for a in np.unravel_index(flat, product.shape))
    return Bargain(profile=idx, product=float(product[idx]), surplus=s[idx].copy())


def _payoff_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} = {value!r}; expected a finite real payoff")
    return float(value)


def dilemma_game(R, S, T, P) -> np.ndarray:
    r"""The symmetric 2 x 2 game of Hadfield et al.'s "matrix game social dilemmas" table.

    ===  ======  ======
         C       D
    ===  ======  ======
    C    R, R    S, T
    D    T, S    P, P
    ===  ======  ======

    Action 0 is C (cooperate), 1 is D (defect); the row player's payoff is first:

    .. math::

        u_1 = \begin{pmatrix} R & S \\ T & P \end{pmatrix}, \qquad u_2 = u_1^\top

    Parameters
    ----------
    R, S, T, P : float
        Reward, sucker's payoff, temptation, punishment.

    Returns
    -------
    numpy.ndarray, shape (2, 2, 2)

    Raises
    ------
    ValueError
        For a non-finite or non-numeric payoff.

    See Also
    --------
    dilemma_parameters : the inverse.

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*, "Matrix game
       social dilemmas".

    Examples
    --------
    >>> bool((dilemma_game(3, 0, 4, 1) == example_game("prisoners_dilemma")).all())
    True
    """
    r, s, t, p = (_payoff_number(k, v) for k, v in zip("RSTP", (R, S, T, P)))
    row = np.array([[r, s], [t, p]])
    return np.stack([row, row.T])


def dilemma_parameters(payoffs) -> tuple[float, float, float, float]:
    r"""The (R, S, T, P) of a symmetric 2 x 2 game.

    .. math::

        (R, S, T, P) = (u_1(C, C), u_1(C, D), u_1(D, C), u_1(D, D))

    Parameters
    ----------
    payoffs : array_like, shape (2, 2, 2)
        Symmetric: the column player's utilities are the transpose of the row
        player's.

    Returns
    -------
    tuple of float
        (R, S, T, P) = (u_1(C,C), u_1(C,D), u_1(D,C), u_1(D,D)).

    Raises
    ------
    ValueError
        For a game that is not 2 x 2 or not symmetric.

    See Also
    --------
    dilemma_game, classify_dilemma

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*, "Matrix game
       social dilemmas".

    Examples
    --------
    >>> dilemma_parameters(example_game("stag_hunt"))
    (4.0, 0.0, 3.0, 1.0)
    """
    u = _as_payoffs(payoffs)
    if u.shape != (2, 2, 2):
        raise ValueError(f"payoffs has shape {u.shape}; expected a two-player 2 x 2 game, shape (2, 2, 2)")
    if not np.array_equal(u[1], u[0].T):
        raise ValueError("payoffs is not symmetric: payoffs[1] must equal payoffs[0].T "
                         f"(got {u[0].tolist()} and {u[1].tolist()})")
    return float(u[0, 0, 0]), float(u[0, 0, 1]), float(u[0, 1, 0]), float(u[0, 1, 1])


def classify_dilemma(R, S, T, P) -> str:
    r"""Which of Hadfield et al.'s three classic social dilemmas a symmetric 2 x 2 game is.

    .. math::

        \text{chicken: } T > R > S > P, \quad
        \text{stag hunt: } R > T > P > S, \quad
        \text{prisoner's dilemma: } T > R > P > S

    Anything else, ties included, is ``"none"``. Hadfield et al. also state the social
    dilemma inequalities :math:`R > P`, :math:`R > S` and greed :math:`T > R` or
    fear :math:`P > S` (:func:`dilemma_motives`); these admit games that fit no
    chain, e.g. :math:`R > P > T > S` (fear without greed), which is a social
    dilemma by the inequalities but ``"none"`` here.

    Parameters
    ----------
    R, S, T, P : float
        Reward, sucker's payoff, temptation, punishment.

    Returns
    -------
    {"prisoners_dilemma", "chicken", "stag_hunt", "none"}

    Raises
    ------
    ValueError
        For a non-finite or non-numeric payoff.

    See Also
    --------
    dilemma_motives, dilemma_parameters

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*, "The three
       classic types of social dilemma".

    Examples
    --------
    Hadfield et al.'s three games:

    >>> classify_dilemma(3, 1, 4, 0), classify_dilemma(4, 0, 3, 1), classify_dilemma(3, 0, 4, 1)
    ('chicken', 'stag_hunt', 'prisoners_dilemma')
    """
    r, s, t, p = (_payoff_number(k, v) for k, v in zip("RSTP", (R, S, T, P)))
    if t > r > p > s:
        return "prisoners_dilemma"
    if t > r > s > p:
        return "chicken"
    if r > t > p > s:
        return "stag_hunt"
    return "none"


class Motives(NamedTuple):
    """Hadfield et al.'s greed and fear flags and whether the social dilemma inequalities hold."""

    greed: bool
    fear: bool
    social_dilemma: bool


def dilemma_motives(R, S, T, P) -> Motives:
    r"""Greed, fear and the social dilemma inequalities of a symmetric 2 x 2 game (Hadfield et al.).

    .. math::

        \text{greed: } T > R, \qquad \text{fear: } P > S, \qquad
        \text{social dilemma: } R > P \wedge R > S \wedge (\text{greed} \vee \text{fear})

    Parameters
    ----------
    R, S, T, P : float

    Returns
    -------
    Motives
        ``greed``, ``fear``, ``social_dilemma``.

    Raises
    ------
    ValueError
        For a non-finite or non-numeric payoff.

    See Also
    --------
    classify_dilemma

    References
    ----------
    .. [1] Hadfield et al., *Cross Disciplinary Insights Into Alignment in Humans and Machines*, "Social
       dilemma inequalities".

    Examples
    --------
    Chicken is driven by greed, the stag hunt by fear:

    >>> tuple(dilemma_motives(3, 1, 4, 0)), tuple(dilemma_motives(4, 0, 3, 1))
    ((True, False, True), (False, True, True))
    """
    r, s, t, p = (_payoff_number(k, v) for k, v in zip("RSTP", (R, S, T, P)))
    greed, fear = t > r, p > s
    return Motives(greed=greed, fear=fear, social_dilemma=r > p and r > s and (greed or fear))


def game_summary(payoffs, profile) -> dict:
    r"""Every measure of this module for one two-player game, as one row of a table.

    Parameters
    ----------
    payoffs : array_like, shape ``(2, m1, m2)``
        The game.
    profile : sequence of two probability vectors (or action indices)
        The mixed profile at which the sum and the covariance of utility are
        taken.

    Returns
    -------
    dict
        ``alpha`` (:func:`ca_alignment`), ``max_welfare`` and ``sum_of_bests``
        (the two right-hand sides of the C-A inequalities), ``pure_nash`` (the
        list of pure equilibria, :func:`pure_nash`), ``worst_nash_gap`` (the
        largest :func:`coordination_gap` over them; NaN without a pure
        equilibrium), ``welfare_mixed`` and ``cov_mixed`` (:func:`utility_sum`
        and the off-diagonal entry of :func:`utility_covariance` at
        ``profile``), ``threat_1``, ``threat_2``, ``security_1``,
        ``security_2`` (:func:`threat_point`), ``bargain`` and
        ``nash_product`` (:func:`nash_bargaining`: the profile, or ``None``
        for disagreement), and for a symmetric 2 x 2 game (:math:`u_2 =
        u_1^T`) ``dilemma``, ``greed`` and ``fear`` (:func:`classify_dilemma`,
        :func:`dilemma_motives`); for any other game these three are ``""``.

    Raises
    ------
    ValueError
        For a malformed game or profile, or a game that does not have two players.

    Examples
    --------
    >>> row = game_summary(example_game("stag_hunt"), [[0.5, 0.5], [0.5, 0.5]])
    >>> row["alpha"], row["pure_nash"], row["worst_nash_gap"], row["dilemma"], row["fear"]
    (0.0, [(0, 0), (1, 1)], 6.0, 'stag_hunt', True)
    """
    u = _as_payoffs(payoffs)
    if u.shape[0] != 2:
        raise ValueError(f"payoffs has shape {u.shape}; expected a two-player game, shape (2, m1, m2)")
    nash = pure_nash(u)
    threat = threat_point(u)
    bargain = nash_bargaining(u)
    welfare = u.sum(axis=0)
    row = {
        "alpha": ca_alignment(u),
        "max_welfare": float(welfare.max()),
        "sum_of_bests": float(u.max(axis=(1, 2)).sum()),
        "pure_nash": nash,
        "worst_nash_gap": max((coordination_gap(u, a) for a in nash), default=float("nan")),
        "welfare_mixed": utility_sum(u, profile),
        "cov_mixed": float(utility_covariance(u, profile)[0, 1]),
        "threat_1": float(threat.payoffs[0]), "threat_2": float(threat.payoffs[1]),
        "security_1": float(threat.security[0]), "security_2": float(threat.security[1]),
        "bargain": bargain.profile,
        "nash_product": bargain.product,
        "dilemma": "", "greed": "", "fear": "",
    }
    if u.shape[1:] == (2, 2) and np.array_equal(u[1], u[0].T):
        R, S, T, P = dilemma_parameters(u)
        motives = dilemma_motives(R, S, T, P)
        row.update(dilemma=classify_dilemma(R, S, T, P), greed=motives.greed, fear=motives.fear)
    return row


def conflict_matrices(payoffs) -> dict[str, np.ndarray]:
    r"""Conflict between the actions of a symmetric two-player game, for the misalignment score.

    The score of Kierans et al. (2025) needs, between goals, a symmetric
    conflict :math:`c(g, h) \in [0, 1]` with :math:`c(g, g) = 0`; a game does
    not fix one. Reading each action of a symmetric game
    (:math:`u_2(a, b) = u_1(b, a)`) as a goal, two derivations are natural:

    - *disparity*, how unequally a meeting of :math:`a` and :math:`b` treats
      the two players:

      .. math:: c(a, b) = \frac{|u_1(a, b) - u_2(a, b)|}{\max u - \min u},

      zero on the diagonal by the game's symmetry;
    - *welfare loss*, how far the meeting falls short of the best welfare
      :math:`W = u_1 + u_2`:

      .. math:: c(a, b) = \frac{\max W - W(a, b)}{\max W - \min W}
                \quad (a \ne b), \qquad c(a, a) = 0,

      with the diagonal set to 0 *because the model requires it*: this
      discards the loss of, say, mutual defection, which no conflict matrix can
      carry.

    A game whose utilities (or welfares) are all equal has no disparity (or
    welfare loss): the matrix is then zero rather than 0/0.

    Parameters
    ----------
    payoffs : array_like, shape ``(2, m, m)``
        A symmetric two-player game: ``payoffs[1]`` equals ``payoffs[0].T``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"disparity"`` and ``"welfare loss"``, each a symmetric ``(m, m)``
        matrix with zero diagonal and entries in [0, 1], ready for
        :func:`misalign.misalignment` with the actions as goals 1..m.

    Raises
    ------
    ValueError
        For a malformed game, a game that does not have two players, or one
        that is not symmetric.

    See Also
    --------
    ca_alignment, coordination_gap : measures of the game itself, not of a population.

    References
    ----------
    .. [1] Kierans, A., Ghosh, A., Hazan, H., and Dori-Hacohen, S. (2025). Quantifying Misalignment Between
       Agents. AAAI. Section 3 (the conflict between goals).

    Examples
    --------
    Hadfield et al.'s prisoner's dilemma, (3,3) (0,4) / (4,0) (1,1): a cooperator
    meeting a defector gets 0 against 4 on a utility range of 4 (disparity 1),
    and their welfare 4 falls 2 short of mutual cooperation's 6 on a welfare
    range of 6 - 2 (loss 1/2):

    >>> c = conflict_matrices(example_game("prisoners_dilemma"))
    >>> c["disparity"].tolist(), c["welfare loss"].tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.5], [0.5, 0.0]])
    """
    u = _as_payoffs(payoffs)
    if u.shape[0] != 2 or u.shape[1] != u.shape[2]:
        raise ValueError(f"payoffs has shape {u.shape}; expected a symmetric two-player game, shape (2, m, m)")
    if not np.array_equal(u[1], u[0].T):
        a, b = (int(i) for i in np.argwhere(u[1] != u[0].T)[0])
        raise ValueError(f"payoffs is not a symmetric game: u_2{(a, b)} = {u[1, a, b]:g} but u_1{(b, a)} = "
                         f"{u[0, b, a]:g}; expected payoffs[1] == payoffs[0].T (the conflict between actions "
                         "needs the same actions to mean the same to both players)")
    spread = u.max() - u.min()
    disparity = np.abs(u[0] - u[1]) / spread if spread > 0 else np.zeros(u.shape[1:])
    welfare = u.sum(axis=0)
    width = welfare.max() - welfare.min()
    loss = (welfare.max() - welfare) / width if width > 0 else np.zeros(u.shape[1:])
    np.fill_diagonal(loss, 0.0)  # the model's axiom c(g, g) = 0, not a property of the game
    return {"disparity": disparity, "welfare loss": loss}
