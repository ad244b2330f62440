r"""Market alignment: how well a user's utility is fitted by combinations of misaligned agents' utilities.

Collina, Goel, Roth, Ryu and Shi, *Emergent Alignment via Competition* ("the
document" below), show that competition among misaligned AI agents serves a user
nearly as well as a perfectly aligned agent when the user's utility
:math:`u_A` lies near the set spanned by the agents' utilities
:math:`u_1, \dots, u_K`. Its experiments measure that nearness on items
(rated movies, survey questions, ethical scenarios) as the mean squared error
of the best fit:

.. math::

    \mathrm{MSE}(w) = \frac{1}{d} \sum_{j=1}^{d} \Big(u_A(j) - \sum_{k=1}^{K} w_k u_k(j)\Big)^2

with :math:`w` restricted to the non-negative orthant (NNLS, the TL;DR's
"nonnegative combination", the market-alignment condition) or to the simplex
(the abstract's "convex hull"), and compared with the best single agent and
the simple average. The document names both sets; they differ in whether the
agents' utilities may be rescaled, and NNLS's error is never larger on the
items it is fitted to.

Both fits are exact active-set solutions (:func:`scipy.optimize.nnls`), the
simplex one through a reduction to one NNLS problem (see :func:`combine`).

References
----------
.. [1] Collina, N., Goel, S., Roth, A., Ryu, E., and Shi, M. *Emergent
   Alignment via Competition* (Definition 1, Figures 1 and 2).
.. [2] Lawson, C. L. and Hanson, R. J. (1995). Solving Least Squares Problems.
   SIAM, chapter 23 (least distance programming by NNLS).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.validation import check_option
from ..util import require

nnls = require("scipy.optimize", "neighbours", "misalign.neighbours.market (non-negative least squares)").nnls

__all__ = [
    "FIT_METHODS",
    "combine",
    "sparsity",
    "kkt_violation",
    "cross_validated_errors",
    "synthetic_market",
    "load_ratings",
]

FIT_METHODS = ("best_single", "average", "nnls", "simplex")

# Figure 2 of the document counts weights above this as non-zero.
SPARSITY_THRESHOLD = 1e-6


def _as_real(x, name: str, ndim: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold real utilities or ratings; got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array; got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = [int(i) for i in np.argwhere(bad)[0]]
        raise ValueError(f"{name}{idx} is {arr[tuple(idx)]}; expected a finite utility (impute missing ratings first)")
    return arr


def _as_market(user, agents) -> tuple[np.ndarray, np.ndarray]:
    u = _as_real(user, "user", 1)
    a = _as_real(agents, "agents", 2)
    if u.size == 0 or a.shape[0] == 0:
        raise ValueError(f"user has {u.size} items and agents has {a.shape[0]} agents; expected at least one of each")
    if a.shape[1] != u.size:
        raise ValueError(f"agents has shape {a.shape} but user has {u.size} items; "
                         "expected agents of shape (K, d) with d the number of items of user")
    return u, a


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and bool(np.isfinite(v))


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}; expected a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    return rng


def _nnls(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # scipy's default of 3n iterations can stop short on degenerate inputs
    return nnls(a, b, maxiter=50 * max(1, a.shape[1]))[0]


def _simplex_weights(user: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Least squares over the simplex as least-distance programming (Lawson and Hanson, ch. 23).

    On the simplex, sum_k w_k u_k - u_A = M w with M = (u_k - u_A)_k, so the best
    convex fit is the point of conv{columns of M} nearest the origin. Solving
    NNLS for [M; 1^T] z ~ [0; 1] and normalising z gives it exactly: the NNLS
    optimality conditions become m_k^T (M w) >= |M w|^2 for every k, with
    equality where w_k > 0, which are those of the nearest-point problem.
    """
    m = (agents - user).T  # (d, K)
    e = np.vstack([m, np.ones((1, m.shape[1]))])
    f = np.zeros(e.shape[0])
    f[-1] = 1.0
    z = _nnls(e, f)
    return z / z.sum()  # z != 0: at z = 0 the gradient in every direction is -1


def combine(user, agents, method: str = "nnls") -> tuple[np.ndarray, float]:
    r"""Weights of the agents' utilities that best fit the user's, and the fit's error.

    .. math::

        w^\star = \arg\min_{w \in W} \frac{1}{d} \lVert u_A - U^\top w \rVert^2,
        \qquad U = (u_1, \dots, u_K)^\top \in \mathbb{R}^{K \times d}

    with :math:`W` the non-negative orthant (``"nnls"``) or the simplex
    :math:`\{w \ge 0, \sum_k w_k = 1\}` (``"simplex"``). The two baselines of
    the document's Figure 1 are ``"best_single"`` (the one-hot :math:`w` of the
    agent with the smallest error, the first on ties) and ``"average"``
    (:math:`w_k = 1/K`).

    Both optimisations are exact active-set solutions: NNLS directly, the
    simplex by the least-distance reduction of Lawson and Hanson (one NNLS on
    the agents' differences from the user with a row of ones appended). The
    NNLS minimiser may be non-unique when agents are linearly dependent; its
    error is unique.

    Parameters
    ----------
    user : array_like, shape (d,)
        The user's utility (or ratings) on d items.
    agents : array_like, shape (K, d)
        One row per agent, on the same items.
    method : {"nnls", "simplex", "best_single", "average"}

    Returns
    -------
    weights : numpy.ndarray, shape (K,)
    mse : float
        The mean squared error over the d items.

    Raises
    ------
    ValueError
        For an unknown method, mismatched shapes, an empty market, or
        non-finite or non-numeric entries.

    See Also
    --------
    kkt_violation : checks the optimality conditions of a solution.
    sparsity : the number of agents a combination uses.
    cross_validated_errors : held-out errors as agents are added.

    References
    ----------
    .. [1] Collina, Goel, Roth, Ryu and Shi, *Emergent Alignment via Competition*, Definition 1 (approximate
       market alignment) and Figure 1.

    Examples
    --------
    A user halfway between two agents is fitted exactly by the convex
    combination (1/2, 1/2); each agent alone misses by 1 on each of two items.

    >>> w, mse = combine([1.0, 1.0], [[2.0, 0.0], [0.0, 2.0]], method="simplex")
    >>> w.round(12).tolist(), round(mse, 12)
    ([0.5, 0.5], 0.0)
    >>> combine([1.0, 1.0], [[2.0, 0.0], [0.0, 2.0]], method="best_single")[1]   # (1 + 1) / 2
    1.0
    """
    check_option("method", method, FIT_METHODS)
    u, a = _as_market(user, agents)
    if method == "nnls":
        w = _nnls(a.T, u)
    elif method == "simplex":
        w = _simplex_weights(u, a)
    elif method == "average":
        w = np.full(a.shape[0], 1.0 / a.shape[0])
    else:
        single = ((a - u) ** 2).mean(axis=1)
        w = np.zeros(a.shape[0])
        w[int(np.argmin(single))] = 1.0
    return w, float(((u - w @ a) ** 2).mean())


def sparsity(weights, threshold: float = SPARSITY_THRESHOLD) -> int:
    r"""The number of agents a combination uses: weights above ``threshold``.

    .. math::

        \#\{k : w_k > \tau\}, \qquad \tau = 10^{-6} \text{ (the document's Figure 2)}

    Parameters
    ----------
    weights : array_like, shape (K,)
    threshold : float
        Non-negative.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For a negative or non-finite threshold or non-finite weights.

    See Also
    --------
    combine

    References
    ----------
    .. [1] Collina, Goel, Roth, Ryu and Shi, *Emergent Alignment via Competition*, Figure 2.

    Examples
    --------
    >>> sparsity([0.5, 0.0, 1e-7, 0.5])
    2
    """
    w = _as_real(weights, "weights", 1)
    if not _is_real(threshold) or threshold < 0:
        raise ValueError(f"threshold = {threshold!r}; expected a finite non-negative number")
    return int((w > threshold).sum())


def kkt_violation(user, agents, weights, method: str) -> float:
    r"""How far a weight vector is from satisfying the optimality conditions of its fit.

    With :math:`g = \nabla \mathrm{MSE}(w) = \tfrac{2}{d} U (U^\top w - u_A)`,
    the Karush-Kuhn-Tucker conditions are, for ``"nnls"``,

    .. math::

        w \ge 0, \quad g \ge 0, \quad w_k g_k = 0,

    and for ``"simplex"``, with :math:`\lambda = w^\top g`,

    .. math::

        w \ge 0, \quad \textstyle\sum_k w_k = 1, \quad g_k \ge \lambda, \quad
        w_k (g_k - \lambda) = 0.

    The returned number is the largest violation of any of them (0 at an
    exact optimum); the problems are convex, so these conditions are
    sufficient as well as necessary.

    Parameters
    ----------
    user : array_like, shape (d,)
    agents : array_like, shape (K, d)
    weights : array_like, shape (K,)
    method : {"nnls", "simplex"}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown method or mismatched shapes.

    See Also
    --------
    combine

    References
    ----------
    .. [1] Lawson and Hanson (1995), chapter 23, for the conditions of both problems.

    Examples
    --------
    The exact simplex fit violates nothing; moving off it does.

    >>> u, a = [1.0, 1.0], [[2.0, 0.0], [0.0, 2.0]]
    >>> kkt_violation(u, a, [0.5, 0.5], "simplex"), kkt_violation(u, a, [1.0, 0.0], "simplex") > 0
    (0.0, True)
    """
    check_option("method", method, ("nnls", "simplex"))
    u, a = _as_market(user, agents)
    w = _as_real(weights, "weights", 1)
    if w.size != a.shape[0]:
        raise ValueError(f"weights has {w.size} entries but there are {a.shape[0]} agents; expected one per agent")
    g = 2.0 / u.size * (a @ (w @ a - u))
    parts = [max(0.0, -w.min())]
    if method == "nnls":
        parts += [max(0.0, -g.min()), float(np.abs(w * g).max())]
    else:
        lam = float(w @ g)
        parts += [abs(w.sum() - 1.0), max(0.0, -(g - lam).min()), float(np.abs(w * (g - lam)).max())]
    return float(max(parts))


def _folds(d: int, n_folds: int, rng: np.random.Generator) -> list[np.ndarray]:
    return np.array_split(rng.permutation(d), n_folds)


def cross_validated_errors(user, agents, ks, *, n_permutations: int, n_folds: int,
                           rng: np.random.Generator, methods=FIT_METHODS) -> pd.DataFrame:
    r"""Held-out error and sparsity of each combination as agents are added (the document's Figures 1-2).

    For each of ``n_permutations`` random orders of the agents and each
    :math:`K` in ``ks``, the first :math:`K` agents of the order form the
    market; the items are split into ``n_folds`` folds (a fresh split per
    order), each combination is fitted on all folds but one and its MSE
    measured on the held-out fold, and the errors are averaged over folds:

    .. math::

        \mathrm{CV}_K = \frac{1}{F} \sum_{f=1}^{F}
            \frac{1}{|I_f|} \sum_{j \in I_f} \big(u_A(j) - \textstyle\sum_k \hat w^{(-f)}_k u_k(j)\big)^2

    The best single agent is also chosen on the training folds only.

    Parameters
    ----------
    user : array_like, shape (d,)
    agents : array_like, shape (K_max, d)
    ks : sequence of int
        Market sizes, each in 1..K_max.
    n_permutations : int
        Random orders of the agents (the document uses 100).
    n_folds : int
        Folds of the items, 2..d (the document uses 5).
    rng : numpy.random.Generator
        Source of the orders and the folds.
    methods : sequence of str
        Any of :data:`FIT_METHODS`.

    Returns
    -------
    pandas.DataFrame
        One row per (permutation, K, method) with columns ``permutation``,
        ``K``, ``method``, ``cv_mse`` (mean held-out MSE), ``train_mse``
        (mean in-fold MSE) and ``sparsity`` (mean number of weights above
        1e-6).

    Raises
    ------
    ValueError
        For K outside 1..K_max, fewer than 1 permutation, a number of folds
        outside 2..d, an unknown method, or a bad ``rng``.

    See Also
    --------
    combine, sparsity

    References
    ----------
    .. [1] Collina, Goel, Roth, Ryu and Shi, *Emergent Alignment via Competition*, Figures 1 and 2 ("averaged
       over 100 permutations with 5-fold cross-validation").

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = cross_validated_errors(rng.normal(size=20), rng.normal(size=(3, 20)), [1, 3],
    ...                             n_permutations=2, n_folds=4, rng=rng)
    >>> df.shape, sorted(df.method.unique())
    ((16, 6), ['average', 'best_single', 'nnls', 'simplex'])
    """
    u, a = _as_market(user, agents)
    rng = _check_rng(rng)
    for m in methods:
        check_option("method", m, FIT_METHODS)
    k_max, d = a.shape
    ks = [int(k) for k in ks]
    for k in ks:
        if not 1 <= k <= k_max:
            raise ValueError(f"ks contains {k}; expected market sizes in 1..{k_max} (the number of agents)")
    if not _is_int(n_permutations) or n_permutations < 1:
        raise ValueError(f"n_permutations = {n_permutations!r}; expected a positive integer")
    if not _is_int(n_folds) or not 2 <= n_folds <= d:
        raise ValueError(f"n_folds = {n_folds!r}; expected an integer in 2..{d} (the number of items)")
    rows = []
    for p in range(n_permutations):
        order = rng.permutation(k_max)
        folds = _folds(d, n_folds, rng)
        for k in ks:
            market = a[order[:k]]
            for m in methods:
                test_err, train_err, used = [], [], []
                for f, held in enumerate(folds):
                    train = np.concatenate([fold for g, fold in enumerate(folds) if g != f])
                    w, mse = combine(u[train], market[:, train], method=m)
                    test_err.append(float(((u[held] - w @ market[:, held]) ** 2).mean()))
                    train_err.append(mse)
                    used.append(sparsity(w))
                rows.append({"permutation": p, "K": k, "method": m, "cv_mse": float(np.mean(test_err)),
                             "train_mse": float(np.mean(train_err)), "sparsity": float(np.mean(used))})
    return pd.DataFrame(rows)


def synthetic_market(n_items: int, n_agents: int, n_values: int, *, shared: float, agent_spread: float,
                     agent_noise: float, user_noise: float, user_concentration: float = 1.0,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    r"""A synthetic user and agents whose utilities perturb latent value directions.

    Each of ``n_values`` latent value directions is a utility over the items
    with a share :math:`\rho` of common variation (ratings of real raters agree
    on much: a good film is liked by most),

    .. math::

        v_\ell = \sqrt{\rho}\, z_0 + \sqrt{1 - \rho}\, z_\ell, \qquad z_0, z_\ell \sim N(0, I_d),

    which keeps the user, a mixture of directions, on the agents' scale.
    Agent :math:`k` is anchored on one direction
    :math:`\ell_k` (directions are dealt in turn, so every direction has agents
    once :math:`K \ge L`) and perturbed both in value space and item by item:

    .. math::

        u_k = V(e_{\ell_k} + \sigma_a \varepsilon_k) + \sigma_i \eta_k, \qquad
        u_A = V \theta_A + \sigma_u \xi, \qquad \theta_A \sim \mathrm{Dirichlet}(c, \dots, c)

    with :math:`\varepsilon_k \sim N(0, I_L)`, :math:`\eta_k, \xi \sim N(0, I_d)`.
    The user's value mixture :math:`\theta_A` lies in the simplex, so her
    utility lies near the convex hull of agents anchored on every direction,
    up to the agents' perturbations and her own idiosyncratic part
    :math:`\sigma_u \xi`, which no combination can fit.

    Parameters
    ----------
    n_items, n_agents, n_values : int
        d, K and L; all positive.
    shared : float
        :math:`\rho \in [0, 1]`, the share of the directions' variance they have
        in common.
    agent_spread : float
        :math:`\sigma_a \ge 0`, perturbation of an agent's values.
    agent_noise : float
        :math:`\sigma_i \ge 0`, item-level noise of an agent's utility.
    user_noise : float
        :math:`\sigma_u \ge 0`, the user's idiosyncratic part.
    user_concentration : float
        :math:`c > 0`; small values give a user who holds few of the values,
        1 a uniformly random mixture.
    rng : numpy.random.Generator

    Returns
    -------
    user : numpy.ndarray, shape (d,)
    agents : numpy.ndarray, shape (K, d)
    truth : dict
        ``values`` (V, shape (d, L)), ``theta_user`` (L,), ``theta_agents``
        (K, L) and ``anchor`` (K,), for checking fits against the truth.

    Raises
    ------
    ValueError
        For non-positive sizes, ``shared`` outside [0, 1], negative or
        non-finite noise levels, a non-positive concentration, or a bad ``rng``.

    See Also
    --------
    load_ratings : real ratings instead.
    cross_validated_errors

    References
    ----------
    .. [1] Collina, Goel, Roth, Ryu and Shi, *Emergent Alignment via Competition*, Figures 1 and 2, whose
       experiment this design stands in for.

    Examples
    --------
    >>> user, agents, truth = synthetic_market(50, 6, 3, shared=0.5, agent_spread=0.1, agent_noise=0.1,
    ...                                        user_noise=0.0, rng=np.random.default_rng(1))
    >>> agents.shape, truth["anchor"].tolist(), bool(np.isclose(truth["theta_user"].sum(), 1.0))
    ((6, 50), [0, 1, 2, 0, 1, 2], True)
    """
    rng = _check_rng(rng)
    for name, v in (("n_items", n_items), ("n_agents", n_agents), ("n_values", n_values)):
        if not _is_int(v) or v < 1:
            raise ValueError(f"{name} = {v!r}; expected a positive integer")
    for name, v in (("agent_spread", agent_spread), ("agent_noise", agent_noise), ("user_noise", user_noise)):
        if not _is_real(v) or v < 0:
            raise ValueError(f"{name} = {v!r}; expected a finite non-negative standard deviation")
    if not _is_real(shared) or not 0 <= shared <= 1:
        raise ValueError(f"shared = {shared!r}; expected a share of common variance in [0, 1]")
    if not _is_real(user_concentration) or user_concentration <= 0:
        raise ValueError(f"user_concentration = {user_concentration!r}; expected a positive Dirichlet concentration")
    common = rng.normal(size=(n_items, 1))
    values = np.sqrt(shared) * common + np.sqrt(1.0 - shared) * rng.normal(size=(n_items, n_values))
    anchor = np.arange(n_agents) % n_values
    theta_agents = np.eye(n_values)[anchor] + agent_spread * rng.normal(size=(n_agents, n_values))
    agents = theta_agents @ values.T + agent_noise * rng.normal(size=(n_agents, n_items))
    theta_user = rng.dirichlet(np.full(n_values, float(user_concentration)))
    user = values @ theta_user + user_noise * rng.normal(size=n_items)
    truth = {"values": values, "theta_user": theta_user, "theta_agents": theta_agents, "anchor": anchor}
    return user, agents, truth


def load_ratings(path, user: str = "user") -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Read a ratings matrix from CSV: one row per rater, one column per item.

    The first column, ``rater``, names each row; the row named ``user`` is the
    user, every other row an agent. Every rating must be present and numeric
    (impute missing ratings before, since how to do so is a modelling choice).

    Parameters
    ----------
    path : str or pathlib.Path
    user : str
        The ``rater`` of the user's row.

    Returns
    -------
    user : numpy.ndarray, shape (d,)
    agents : numpy.ndarray, shape (K, d)
    agent_names : list of str
    items : list of str

    Raises
    ------
    ValueError
        If the file lacks a ``rater`` column or items, the user's row is
        missing or repeated, there is no agent, or a rating is missing or not
        a number.

    See Also
    --------
    synthetic_market, combine

    References
    ----------
    .. [1] Collina, Goel, Roth, Ryu and Shi, *Emergent Alignment via Competition*: the document's experiments
       fit users' ratings of movies, survey answers and ethical scenarios by the ratings of language models.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = f.write_text("rater,film_a,film_b\\nuser,4,2\\nbob,5,1\\n")
    >>> u, a, names, items = load_ratings(f)
    >>> u.tolist(), a.tolist(), names, items
    ([4.0, 2.0], [[5.0, 1.0]], ['bob'], ['film_a', 'film_b'])
    """
    df = pd.read_csv(Path(path), dtype={"rater": str})
    if "rater" not in df.columns or df.columns[0] != "rater":
        raise ValueError(f"{path}: the first column must be 'rater'; got columns {list(df.columns)[:5]}")
    items = [str(c) for c in df.columns[1:]]
    if not items:
        raise ValueError(f"{path}: no item columns after 'rater'; expected one column per item")
    is_user = df["rater"] == user
    if int(is_user.sum()) != 1:
        raise ValueError(f"{path}: {int(is_user.sum())} rows have rater == {user!r}; expected exactly one user row")
    if int((~is_user).sum()) == 0:
        raise ValueError(f"{path}: no agent rows; expected at least one rater other than {user!r}")
    ratings = df[items].apply(pd.to_numeric, errors="coerce")
    bad = ratings.isna().to_numpy()
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        raw = df[items].iloc[r, c]
        shown = "missing" if pd.isna(raw) else repr(raw)
        raise ValueError(f"{path}: rating of rater {df['rater'].iloc[r]!r} for item {items[c]!r} is "
                         f"{shown}; expected a number (impute missing ratings first)")
    values = ratings.to_numpy(dtype=np.float64)
    mask = is_user.to_numpy()
    return values[mask][0], values[~mask], [str(x) for x in df["rater"][~mask]], items
