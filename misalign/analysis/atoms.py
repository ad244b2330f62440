r"""Agents collapsed into atoms, and the pair kernel over atoms as a low-rank quadratic form.

Agents that share every goal and weight (and, optionally, further labels such
as a group or a stratum) are interchangeable in the score. Collapsing them into
:math:`A` *atoms* with counts :math:`N_a` turns the distinct-pairs score into a
quadratic form,

.. math::

    U = \frac{N^\top H N}{n(n-1)}, \qquad
    H_{ab} = \frac{1}{m} \sum_{p=1}^{m} f_p\, c_p(g_a^p, g_b^p)\, \bar w(w_a^p, w_b^p),

with :math:`f_p` the area's normalization factor (1 unless ``normalize``).
:math:`H_{aa} = 0` because a goal never conflicts with itself, so the self
pairs drop out and :math:`N^\top H N` is exactly the sum over ordered pairs of
distinct agents. Under a law :math:`q` over the atoms (a population) the
score's target is :math:`\theta(q) = q^\top H q`.

Every computation uses the factorization :math:`H = \Phi M \Phi^\top` that
:mod:`misalign.core.means` defines for each weight mean: a term
:math:`(\lambda, l, r)` of the mean contributes the feature blocks
:math:`l(w)\, e_g` and :math:`r(w)\, e_g` (one column per explicit goal of the
area) and the blocks :math:`\lambda f_p C_p / (2m)` of :math:`M`, symmetrized.
A new factorized weight mean therefore needs no change here. The means that do
not factorize (minimum, maximum, harmonic) use the dense atom kernel built from
their one elementwise definition, :math:`\Phi = I` and :math:`M = H`; so do the
factorized ones when there are fewer atoms than features (:math:`A < d`).

With :math:`r = \Phi^\top q` and the Gram matrix :math:`G(q) = \Phi^\top
\operatorname{diag}(q)\, \Phi`, every quantity the intervals need is a small
matrix product:

.. math::

    \theta = r^\top M r, \quad
    \zeta_1 = r^\top M G M r - \theta^2, \quad
    \zeta_2 = \operatorname{tr}(M G M G) - \theta^2, \quad
    V_n(q) = \frac{4(n-2)\,\zeta_1 + 2\,\zeta_2}{n(n-1)},

where :math:`V_n(q)` is Hoeffding's exact variance of :math:`U` for :math:`n`
agents drawn independently from :math:`q`.

Every method is batched: laws and counts are arrays of shape (S, A), one row
per sample, so a simulation study scores thousands of samples at once.

References
----------
.. [1] Hoeffding, W. (1948). A class of statistics with asymptotically normal
   distribution. Annals of Mathematical Statistics 19(3), 293-325.
.. [2] Kierans et al. (2025). Quantifying Misalignment Between Agents. AAAI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import engine
from ..core.means import MEANS, WEIGHT_MEANS, feature
from ..core.validation import check_option

__all__ = [
    "Atoms",
    "collapse",
    "AtomKernel",
    "atom_kernel",
    "hoeffding_variance",
    "DENSE_MAX_ATOMS",
]

#: The largest number of atoms whose dense A x A kernel is built (two such
#: matrices, H and its square, take 2 x 8 A^2 bytes: 256 MB at this size).
DENSE_MAX_ATOMS = 4000

# Gram matrices of many samples go through a cached (A, d^2) table of feature
# products when it holds at most this many numbers, else sample by sample.
_GRAM_TABLE_CELLS = 2**22


@dataclass(frozen=True)
class Atoms:
    """Agents collapsed into distinct profiles.

    Attributes
    ----------
    goals : numpy.ndarray of int, shape (A, m)
    weights : numpy.ndarray of float, shape (A, m)
    counts : numpy.ndarray of float, shape (A,)
        Agents per atom.
    inverse : numpy.ndarray of int, shape (n,)
        The atom of each agent: ``goals[inverse]`` are the agents' goals.
    labels : numpy.ndarray, shape (A, e), or None
        The extra labels of each atom, if any were given.
    """

    goals: np.ndarray
    weights: np.ndarray
    counts: np.ndarray
    inverse: np.ndarray
    labels: np.ndarray | None = None

    @property
    def size(self) -> int:
        """The number of atoms A."""
        return int(self.counts.size)


def collapse(goals, weights, labels=None) -> Atoms:
    """Collapse agents into atoms: distinct joint (goal, weight) profiles over the areas.

    Parameters
    ----------
    goals : numpy.ndarray of int, shape (n, m)
    weights : numpy.ndarray of float, shape (n, m)
        Validated goals and weights (see :func:`misalign.core.validation.as_population`).
    labels : array_like of numbers, shape (n,) or (n, e), optional
        Further per-agent labels that keep agents apart, e.g. a group code or a
        stratum and a design weight.

    Returns
    -------
    Atoms
        Sorted by profile (then labels), so the result does not depend on the
        order of the agents.

    Examples
    --------
    >>> import numpy as np
    >>> a = collapse(np.array([[1], [2], [1]]), np.array([[1.0], [0.5], [1.0]]))
    >>> a.goals.ravel().tolist(), a.counts.tolist(), a.inverse.tolist()
    ([1, 2], [2.0, 1.0], [0, 1, 0])
    """
    g = np.asarray(goals)
    w = np.asarray(weights, dtype=np.float64)
    n, m = g.shape
    cols = [g.astype(np.float64), w]
    if labels is not None:
        lab = np.asarray(labels, dtype=np.float64).reshape(n, -1)
        cols.append(lab)
    key = np.concatenate(cols, axis=1)
    if n == 0:
        empty = np.zeros((0, key.shape[1]))
        return Atoms(np.zeros((0, m), np.int64), np.zeros((0, m)), np.zeros(0), np.zeros(0, np.int64),
                     None if labels is None else empty[:, 2 * m:])
    uniq, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    return Atoms(uniq[:, :m].astype(np.int64), np.ascontiguousarray(uniq[:, m:2 * m]), counts.astype(np.float64),
                 inverse.ravel().astype(np.int64), None if labels is None else uniq[:, 2 * m:])


def hoeffding_variance(n, zeta1, zeta2):
    r"""Hoeffding's exact variance of a degree-2 U-statistic of :math:`n` independent agents.

    .. math::

        \operatorname{Var} U = \frac{4(n-2)\,\zeta_1 + 2\,\zeta_2}{n(n-1)}

    Parameters
    ----------
    n : float or numpy.ndarray
        Sample sizes (at least 2).
    zeta1, zeta2 : float or numpy.ndarray
        :math:`\operatorname{Var} E[h(X, X') \mid X]` and :math:`\operatorname{Var} h(X, X')`.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> float(hoeffding_variance(10, 0.0, 0.25))
    0.005555555555555556
    """
    n = np.asarray(n, dtype=np.float64)
    return (4.0 * (n - 2.0) * zeta1 + 2.0 * zeta2) / (n * (n - 1.0))


def _rows(x) -> np.ndarray:
    return np.atleast_2d(np.asarray(x, dtype=np.float64))


class AtomKernel:
    r"""The pair kernel over atoms, :math:`H = \Phi M \Phi^\top`.

    Built by :func:`atom_kernel`. Every method takes laws or counts of shape
    (S, A) (or (A,), treated as one row) and returns one value per row.

    Attributes
    ----------
    phi : numpy.ndarray, shape (A, d), or None
        The atoms' features; None for the dense kernel, where :math:`\Phi = I`.
    M : numpy.ndarray, shape (d, d)
        Symmetric; :math:`H` itself for the dense kernel.
    hmax : float
        An upper bound of the kernel over every possible pair of agents,
        :math:`\frac1m \sum_p f_p \max c_p` (weights are at most 1, and so is
        every weight mean).
    goals, weights : numpy.ndarray, shape (A, m)
        The atoms' profiles.
    weight_mean : str
    dense : bool
    """

    def __init__(self, phi, M, hmax, goals, weights, weight_mean, H=None):
        self.phi = phi
        self.M = M
        self.hmax = float(hmax)
        self.goals = goals
        self.weights = weights
        self.weight_mean = weight_mean
        self._H = H
        self._H2 = None
        self._table = None

    # ------------------------------------------------------------------ shape and matrices

    @property
    def dense(self) -> bool:
        """Whether :math:`\\Phi = I` (the kernel is held as the A x A matrix)."""
        return self.phi is None

    @property
    def A(self) -> int:
        """The number of atoms."""
        return int(self.goals.shape[0])

    @property
    def d(self) -> int:
        """The number of features (A for the dense kernel)."""
        return self.A if self.phi is None else int(self.phi.shape[1])

    @property
    def H(self) -> np.ndarray:
        """The A x A kernel matrix (zero diagonal), built on first use."""
        if self._H is None:
            if self.A > DENSE_MAX_ATOMS:
                raise ValueError(f"the kernel has {self.A:,} atoms; the dense A x A matrix is built for at most "
                                 f"{DENSE_MAX_ATOMS:,}")
            h = self.phi @ self.M @ self.phi.T
            np.fill_diagonal(h, 0.0)  # exact zeros: c(g, g) = 0
            self._H = h
        return self._H

    @property
    def H2(self) -> np.ndarray:
        r"""The elementwise square :math:`H \circ H`, built on first use."""
        if self._H2 is None:
            self._H2 = self.H * self.H
        return self._H2

    def small(self) -> bool:
        """Whether products with the dense H are cheap (dense kernel, or at most 400 atoms)."""
        return self.dense or self.A <= 400

    # ------------------------------------------------------------------ features

    def to_features(self, q) -> np.ndarray:
        r""":math:`r = \Phi^\top q` per row: shape (S, d)."""
        q = _rows(q)
        return q if self.phi is None else q @ self.phi

    def from_features(self, x) -> np.ndarray:
        r""":math:`\Phi x` per row (x of shape (S, d)): shape (S, A)."""
        return x if self.phi is None else x @ self.phi.T

    def hq(self, q) -> np.ndarray:
        r""":math:`H q` per row: shape (S, A). With counts, the atoms' row sums :math:`\rho_a = (HN)_a`.

        An agent of atom :math:`a` has :math:`\rho_a = \sum_{j \ne i} h_{ij}`
        (its own pair is 0).
        """
        q = _rows(q)
        if self.phi is None:
            return q @ self.M
        return ((q @ self.phi) @ self.M) @ self.phi.T

    def gram(self, q) -> np.ndarray:
        r"""The Gram matrices :math:`G(q) = \Phi^\top \operatorname{diag}(q)\, \Phi`: shape (S, d, d)."""
        q = _rows(q)
        S = q.shape[0]
        if self.phi is None:
            out = np.zeros((S, self.A, self.A))
            idx = np.arange(self.A)
            out[:, idx, idx] = q
            return out
        d = self.d
        if self.A * d * d <= _GRAM_TABLE_CELLS:
            if self._table is None:
                self._table = np.einsum("ai,aj->aij", self.phi, self.phi).reshape(self.A, d * d)
            return (q @ self._table).reshape(S, d, d)
        out = np.empty((S, d, d))
        for s in range(S):
            out[s] = (self.phi.T * q[s]) @ self.phi
        return out

    # ------------------------------------------------------------------ sums and scores

    def quadratic(self, q, q2=None) -> np.ndarray:
        r""":math:`q^\top H q_2` per row (:math:`q_2 = q` by default)."""
        r = self.to_features(q)
        r2 = r if q2 is None else self.to_features(q2)
        return np.einsum("si,ij,sj->s", r, self.M, r2)

    def pair_sums(self, counts) -> np.ndarray:
        r"""Sums over ordered pairs of distinct agents, :math:`N^\top H N`."""
        return self.quadratic(counts)

    def scores(self, counts) -> np.ndarray:
        r"""Distinct-pairs scores :math:`U = N^\top H N / (n(n-1))` (0 for fewer than 2 agents)."""
        counts = _rows(counts)
        n = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n >= 2, self.pair_sums(counts) / (n * (n - 1.0)), 0.0)

    def square_form(self, q, q2=None) -> np.ndarray:
        r""":math:`q^\top (H \circ H)\, q_2 = \operatorname{tr}(M G(q) M G(q_2))` per row."""
        q = _rows(q)
        q2 = q if q2 is None else _rows(q2)
        if self.small():
            return np.einsum("sa,sa->s", q @ self.H2, q2)
        mg = np.einsum("ij,sjk->sik", self.M, self.gram(q))
        mg2 = mg if q2 is q else np.einsum("ij,sjk->sik", self.M, self.gram(q2))
        return np.einsum("sij,sji->s", mg, mg2)

    # ------------------------------------------------------------------ moments

    def zetas(self, q):
        r""":math:`(\theta, \zeta_1, \zeta_2)` under atom laws q (rows summing to 1).

        .. math::

            \theta = q^\top H q, \quad
            \zeta_1 = \sum_a q_a (Hq)_a^2 - \theta^2, \quad
            \zeta_2 = q^\top (H \circ H) q - \theta^2

        Both :math:`\zeta` are clipped at 0 (rounding).
        """
        q = _rows(q)
        h1 = self.hq(q)
        theta = np.einsum("sa,sa->s", q, h1)
        z1 = np.einsum("sa,sa->s", q, h1 * h1) - theta**2
        z2 = self.square_form(q) - theta**2
        return theta, np.maximum(z1, 0.0), np.maximum(z2, 0.0)

    def variance(self, q, n) -> np.ndarray:
        r"""Exact variance :math:`V_n(q)` of :math:`U` for n agents drawn independently from q."""
        _, z1, z2 = self.zetas(q)
        return hoeffding_variance(n, z1, z2)

    def plugin_variance(self, counts) -> np.ndarray:
        r"""The exact variance of :math:`U` under the empirical law :math:`\hat p = N/n`.

        It equals the variance of the (infinite) nonparametric bootstrap, is
        never negative and keeps the second-order term :math:`2\zeta_2/(n(n-1))`.
        """
        counts = _rows(counts)
        n = counts.sum(axis=1)
        return self.variance(counts / n[:, None], n)

    def unbiased_variance(self, counts) -> np.ndarray:
        r"""The unbiased estimate of :math:`\operatorname{Var} U` (may be negative).

        .. math::

            \widehat{\operatorname{Var} U} = U^2 - \frac{A^2 + 2B - 4R}{n(n-1)(n-2)(n-3)}

        with :math:`A = N^\top \rho`, :math:`B = N^\top (H \circ H) N` and
        :math:`R = \sum_a N_a \rho_a^2`; see :func:`misalign.analysis.uncertainty.score_variance`.
        """
        counts = _rows(counts)
        n = counts.sum(axis=1)
        rho = self.hq(counts)
        big_a = np.einsum("sa,sa->s", counts, rho)
        big_r = np.einsum("sa,sa->s", counts, rho * rho)
        big_b = self.square_form(counts)
        n2 = n * (n - 1.0)
        n4 = n2 * (n - 2.0) * (n - 3.0)
        u = big_a / n2
        return (4.0 * big_r - 2.0 * big_b) / n4 - u * u * (4.0 * n - 6.0) / ((n - 2.0) * (n - 3.0))

    def leave_one_out(self, counts) -> np.ndarray:
        r"""The score without one agent of atom a, for every atom: shape (S, A).

        .. math::

            U_{(-a)} = \frac{N^\top H N - 2 \rho_a}{(n-1)(n-2)}
        """
        counts = _rows(counts)
        n = counts.sum(axis=1)[:, None]
        rho = self.hq(counts)
        total = np.einsum("sa,sa->s", counts, rho)[:, None]
        return (total - 2.0 * rho) / ((n - 1.0) * (n - 2.0))


def atom_kernel(goals, weights, conflicts, weight_mean="geometric", *, normalize=False, dense=None) -> AtomKernel:
    r"""The kernel over atoms with profiles ``goals``, ``weights``.

    For a factorized weight mean, :math:`\Phi` has one block per (area,
    feature) of the mean, :math:`\Phi_{a, (p, f, g)} = f(w_a^p)\,[g_a^p = g]`
    (goal 0 has no column), and each term :math:`(\lambda, l, r)` adds
    :math:`\lambda f_p C_p/(2m)` to the blocks :math:`(l, r)` and
    :math:`(r, l)` of :math:`M`, so that

    .. math::

        (\Phi M \Phi^\top)_{ab} = \frac1m \sum_p f_p\, c_p(g_a^p, g_b^p)\,
            \sum_t \lambda_t \frac{l_t(w_a^p) r_t(w_b^p) + r_t(w_a^p) l_t(w_b^p)}{2}
            = H_{ab}

    for every symmetric mean. Otherwise :math:`H` is built entry by entry
    from the mean's elementwise definition, :math:`\Phi = I` and :math:`M = H`.

    Parameters
    ----------
    goals : array_like of int, shape (A, m)
    weights : array_like of float, shape (A, m)
        The atoms' profiles (validated by the caller).
    conflicts : sequence of numpy.ndarray
        One unpadded (k, k) matrix per area.
    weight_mean : str
        A key of :data:`misalign.core.means.MEANS`.
    normalize : bool
        Multiply area p by :math:`k_p/(k_p - 1)` (see :func:`misalign.core.engine.norm_factor`).
    dense : bool, optional
        Force the dense (True) or factored (False, factorized means only)
        form; by default dense for the means without a factorization and
        whenever there are fewer atoms than features.

    Returns
    -------
    AtomKernel

    Raises
    ------
    ValueError
        For an unknown weight mean, or a dense kernel over more than
        :data:`DENSE_MAX_ATOMS` atoms.

    Examples
    --------
    Two goals in full conflict, weights 1 and 0.25: the geometric kernel is
    :math:`\sqrt{0.25} = 0.5` across goals.

    >>> import numpy as np
    >>> k = atom_kernel(np.array([[1], [2]]), np.array([[1.0], [0.25]]), [np.array([[0, 1.0], [1.0, 0]])])
    >>> k.H.tolist(), float(k.scores([[2, 2]])[0])
    ([[0.0, 0.5], [0.5, 0.0]], 0.3333333333333333)
    """
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    ag = np.asarray(goals, dtype=np.int64)
    aw = np.asarray(weights, dtype=np.float64)
    A, m = ag.shape
    cs = [np.asarray(c, dtype=np.float64) for c in conflicts]
    factors = [engine.norm_factor(c, normalize) / m for c in cs]
    hmax = float(sum(f * (c.max() if c.size else 0.0) for f, c in zip(factors, cs)))
    mean = MEANS[weight_mean]
    names = mean.features
    d = sum(c.shape[0] for c in cs) * len(names)
    if dense is None:
        dense = not mean.factorized or A < d
    if not dense and not mean.factorized:
        raise ValueError(f"weight_mean={weight_mean!r} does not factorize; its kernel is dense")
    if dense:
        if A > DENSE_MAX_ATOMS:
            raise ValueError(
                f"weight_mean={weight_mean!r} needs the dense kernel over the {A:,} distinct (goal, weight) profiles, "
                f"which is built for at most {DENSE_MAX_ATOMS:,}; round the weights (e.g. to 0.01) or use a "
                "factorized weight mean (geometric, arithmetic, none)")
        h = np.zeros((A, A))
        for p, (c, f) in enumerate(zip(cs, factors)):
            cp = engine.padded(c)
            h += f * cp[ag[:, p][:, None], ag[:, p][None, :]] * mean.pair(aw[:, p][:, None], aw[:, p][None, :])
        np.fill_diagonal(h, 0.0)
        return AtomKernel(None, h, hmax, ag, aw, weight_mean, H=h)
    phi = np.zeros((A, d))
    M = np.zeros((d, d))
    offset = 0
    rows = np.arange(A)
    for p, (c, f) in enumerate(zip(cs, factors)):
        k = c.shape[0]
        held = ag[:, p] > 0
        start = {}
        for name in names:
            start[name] = offset
            phi[rows[held], offset + ag[held, p] - 1] = feature(name, aw[held, p])
            offset += k
        for coef, left, right in mean.terms:
            block = (0.5 * coef * f) * c
            li, ri = start[left], start[right]
            M[li:li + k, ri:ri + k] += block
            M[ri:ri + k, li:li + k] += block.T
    return AtomKernel(phi, M, hmax, ag, aw, weight_mean)

