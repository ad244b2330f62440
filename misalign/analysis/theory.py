r"""Closed forms of appendices B and D of Kierans et al. (2025).

For mutually exclusive goals (every pair of explicit goals in conflict 1, all
weights 1) the score depends on the goal-group sizes :math:`|\mathcal{A}_g|`
alone (Theorem 2); it is the Gini impurity of the goal shares (appendix B),
bounded by :math:`(|\hat{\mathcal{G}}|-1)/|\hat{\mathcal{G}}|` (Theorem 3) under
the paper's printed convention of pairs drawn with replacement.

Where the paper's text and its published numbers part ways these functions take
the reading as an option: ``pairs`` (published numbers use distinct pairs) and
``null_conflicts`` (Theorem 2 as printed sums over :math:`\mathcal{G}`, which
contains the null goal).

References
----------
.. [1] Kierans, A., Ghosh, A., Hazan, H., and Dori-Hacohen, S. (2025).
   Quantifying Misalignment Between Agents. AAAI 2025, appendices B and D.
"""

from __future__ import annotations

import numpy as np

from ..core.validation import PAIRS, as_conflict, check_option

__all__ = [
    "exclusive_goals_misalignment",
    "gini_impurity",
    "misalignment_upper_bound",
    "max_exclusive_misalignment",
    "expected_random_goals",
]


def _counts(group_sizes, name="group_sizes") -> np.ndarray:
    arr = np.asarray(group_sizes)
    if arr.ndim != 1 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-d array of integer group sizes; got {arr.dtype} with shape {arr.shape}")
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise ValueError(f"{name}[{i}] = {int(arr[i])}; expected a non-negative group size")
    return arr.astype(np.int64)


def exclusive_goals_misalignment(group_sizes, *, null_size: int = 0, pairs: str = "distinct",
                                 null_conflicts: bool = False) -> float:
    r"""Theorem 2: misalignment of mutually exclusive goals from goal-group sizes.

    .. math::

        \Pr(0 \mid \mathcal{A}, p) = \frac{\sum_{g} \sum_{g' < g}
            2 |\mathcal{A}_g| |\mathcal{A}_{g'}|}{|\Pi|}

    with :math:`|\Pi| = |\mathcal{A}|^2` for ``pairs="with_replacement"`` (as
    printed) and :math:`|\mathcal{A}|(|\mathcal{A}|-1)` for ``"distinct"``.

    Parameters
    ----------
    group_sizes : array_like of int
        :math:`|\mathcal{A}_g|` for each explicit goal :math:`g \in \hat{\mathcal{G}}`.
    null_size : int
        Agents holding the null goal :math:`g_0`; they count in :math:`|\mathcal{A}|`.
    pairs : {"distinct", "with_replacement"}
    null_conflicts : bool
        False (the model's definition, :math:`c(g, g_0) = 0`): the sum runs over
        explicit goals. True: the literal reading of Theorem 2, whose sum runs
        over :math:`\mathcal{G} = \{g_0\} \cup \hat{\mathcal{G}}` and so counts
        pairs with a goalless agent as conflicting.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For negative or non-integer sizes or an unknown option.

    See Also
    --------
    misalign.area_misalignment : the general score; equal to this with conflict 1 and weight 1.
    gini_impurity : the large-population form of appendix B.

    Examples
    --------
    Two goals held by 3 and 1 agents: 3 of the 6 distinct pairs disagree.

    >>> exclusive_goals_misalignment([3, 1])
    0.5
    >>> exclusive_goals_misalignment([3, 1], pairs="with_replacement")  # 2*3*1 / 4**2
    0.375
    """
    check_option("pairs", pairs, PAIRS)
    sizes = _counts(group_sizes)
    if not isinstance(null_size, (int, np.integer)) or null_size < 0:
        raise ValueError(f"null_size = {null_size!r}; expected a non-negative integer")
    if null_conflicts:
        sizes = np.concatenate([[null_size], sizes])
    n = int(sizes.sum()) + (0 if null_conflicts else int(null_size))
    if n < 2:
        return 0.0
    disagreeing = float(sizes.sum()) ** 2 - float((sizes.astype(np.float64) ** 2).sum())  # sum_{g != g'} n_g n_g'
    denom = n * (n - 1) if pairs == "distinct" else n * n
    return disagreeing / denom


def gini_impurity(proportions) -> float:
    r"""Appendix B: :math:`1 - \sum_i p_i^2`, the large-population limit of Theorem 2.

    Parameters
    ----------
    proportions : array_like of float
        Goal shares :math:`p_i \ge 0` summing to 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a share is negative or not finite, or the shares do not sum to 1.

    See Also
    --------
    exclusive_goals_misalignment

    Examples
    --------
    >>> gini_impurity([0.5, 0.25, 0.25])  # 1 - (1/4 + 1/16 + 1/16)
    0.625
    """
    p = np.asarray(proportions, dtype=np.float64)
    if p.ndim != 1 or not np.isfinite(p).all() or (p < 0).any():
        raise ValueError(f"proportions = {proportions!r}; expected finite non-negative shares")
    if not np.isclose(p.sum(), 1.0):
        raise ValueError(f"proportions sum to {float(p.sum())!r}; expected shares summing to 1")
    return float(1.0 - (p**2).sum())


def misalignment_upper_bound(n_goals: int) -> float:
    r"""Theorem 3: :math:`(|\hat{\mathcal{G}}|-1)/|\hat{\mathcal{G}}|`.

    The maximum of the with-replacement score over goal distributions, reached
    by equal group sizes. Under distinct pairs the finite-population maximum is
    higher by up to :math:`n/(n-1)`; see :func:`max_exclusive_misalignment`.

    Examples
    --------
    >>> misalignment_upper_bound(4)
    0.75
    """
    if not isinstance(n_goals, (int, np.integer)) or n_goals < 1:
        raise ValueError(f"n_goals = {n_goals!r}; expected a positive integer")
    return (n_goals - 1) / n_goals


def max_exclusive_misalignment(n_agents: int, n_goals: int, *, pairs: str = "distinct") -> float:
    r"""The largest exclusive-goals score that ``n_agents`` can reach over ``n_goals`` goals.

    Attained by the most even split (group sizes differing by at most one). With
    replacement this never exceeds Theorem 3's bound; with distinct pairs it
    does: for :math:`n` divisible by :math:`k` it equals
    :math:`\frac{n}{n-1}\cdot\frac{k-1}{k}`, and 1 when :math:`n \le k`.

    Examples
    --------
    >>> max_exclusive_misalignment(4, 2)  # 2 x 2 split: 4 of 6 distinct pairs disagree
    0.6666666666666666
    >>> max_exclusive_misalignment(4, 2, pairs="with_replacement")
    0.5
    """
    if not isinstance(n_agents, (int, np.integer)) or n_agents < 0:
        raise ValueError(f"n_agents = {n_agents!r}; expected a non-negative integer")
    if not isinstance(n_goals, (int, np.integer)) or n_goals < 1:
        raise ValueError(f"n_goals = {n_goals!r}; expected a positive integer")
    q, r = divmod(int(n_agents), int(n_goals))
    sizes = np.array([q + 1] * r + [q] * (n_goals - r), dtype=np.int64)
    return exclusive_goals_misalignment(sizes, pairs=pairs)


def expected_random_goals(n_agents: int, conflict, *, pairs: str = "distinct") -> float:
    r"""Expected score when each agent draws its goal uniformly (weights 1).

    Two different agents hold independent uniform goals, so a distinct pair's
    expected conflict is :math:`M = k^{-2}\sum_{i,j} c(i, j)` whatever :math:`n`
    (Theorem 5's limit, reached at every :math:`n \ge 2`); drawn with
    replacement, a pair is a self-pair with probability :math:`1/n`, giving
    :math:`\frac{n-1}{n} M`: the rising curve of the printed formula.

    Parameters
    ----------
    n_agents : int
    conflict : array_like, shape (k, k)
        Validated like any conflict matrix.
    pairs : {"distinct", "with_replacement"}

    Examples
    --------
    Three mutually exclusive goals: :math:`M = 6/9`.

    >>> import numpy as np
    >>> c = 1 - np.eye(3)
    >>> round(expected_random_goals(10, c), 4), round(expected_random_goals(10, c, pairs="with_replacement"), 4)
    (0.6667, 0.6)
    """
    check_option("pairs", pairs, PAIRS)
    c = as_conflict(conflict)
    if c.ndim != 2:
        raise ValueError(f"conflict must be a single k x k matrix; got shape {c.shape}")
    if not isinstance(n_agents, (int, np.integer)) or n_agents < 0:
        raise ValueError(f"n_agents = {n_agents!r}; expected a non-negative integer")
    if n_agents < 2:
        return 0.0
    m = float(c.sum()) / c.shape[0] ** 2
    return m if pairs == "distinct" else m * (n_agents - 1) / n_agents
