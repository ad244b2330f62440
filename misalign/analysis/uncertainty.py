r"""How sure are we: standard errors and confidence intervals for the score.

When the n agents are a random sample of a larger population, the
distinct-pairs score (arithmetic mean over areas) is a U-statistic of degree 2,

.. math::

    U = \frac{1}{n(n-1)} \sum_{i \ne j} h(X_i, X_j), \qquad
    h(X_i, X_j) = \frac{1}{m} \sum_{p=1}^{m} c_p(g_i^p, g_j^p)\, \bar w(w_i^p, w_j^p),

an unbiased estimate of :math:`\theta = E\,h(X, X')`, the expected weighted
conflict between two agents drawn independently from the population. By
Hoeffding's decomposition

.. math::

    \operatorname{Var} U = \frac{4(n-2)\,\zeta_1 + 2\,\zeta_2}{n(n-1)}, \qquad
    \zeta_1 = \operatorname{Var} E[h(X, X') \mid X], \quad
    \zeta_2 = \operatorname{Var} h(X, X').

**The interval methods** of :func:`score_interval`:

- ``"score"`` (the default): a score-type (Wilson-type) interval, the set of
  :math:`\theta_0` with :math:`|U - \theta_0| \le z \sqrt{V_n(q_{\theta_0})}`
  where :math:`V_n(q)` is the exact variance of U under an atom law q and
  :math:`q_{\theta_0}` is the least-favourable law of score :math:`\theta_0`:
  the exponential tilt of the empirical law (the I-projection,
  :math:`q(a) \propto p_0(a) \exp(\tau (Hq)_a)`). The empirical law gets a
  small pseudo-count on *virtual* full-weight agents (the profile that
  conflicts most with the sample, and one for every goal nobody in the sample
  holds), so the interval can reach scores above what the seen goals allow.
  Upwards the interval ends at :math:`\theta_{\max}`, the largest score on the
  support, if that value's own test accepts it: at a balanced population the
  score *is* its maximum and U is a degenerate U-statistic, where every
  interval built on an estimated variance fails. A sample without a
  conflicting pair gets the **zero rule** (:func:`zero_rule_upper`).
- ``"normal"``: :math:`U \pm z \sqrt{V_n(\hat p)}` with the exact variance under
  the empirical law (the bootstrap variance, never negative), and the zero rule.
- ``"exact"``: :math:`U \pm z \sqrt{\max(0, \widehat{\operatorname{Var}} U)}`
  with the unbiased variance estimate of :func:`score_variance`. Kept for
  comparison: it **undercovers** badly near balanced populations (the
  estimate is negative in up to half of such samples, giving points) and at
  rare positions, and returns the point 0 when U = 0.
- ``"bootstrap"``: the percentile interval of the score over agents resampled
  with replacement, with the zero rule. Kept for the options that are not
  U-statistics (see below); it undercovers at rare positions and near
  balanced populations like ``"exact"``.

The evidence is the validation study ``benchmarks/validate_intervals.py``
(``make validate``; results in ``data/benchmarks/interval_coverage.md``):
coverage of the 95% interval over populations with 2 to 5 goals, exclusive and
graded conflicts, fixed and unequal weights, four weight means, one and two
areas, balanced, near-balanced, generic and rare (1%, 3%, 10%) goal shares and
n from 10 to 1000.

**Design weights** (``sample_weight``, ``strata``) estimate the population
score from an unequal-probability sample; **comparisons** of two scores
(:func:`difference_interval`) and of between- and within-group scores
(:func:`contrast_interval`) have intervals of their own.

The atom machinery (agents collapsed into distinct profiles, :math:`H = \Phi M
\Phi^\top`) is :mod:`misalign.analysis.atoms`.

References
----------
.. [1] Hoeffding, W. (1948). A class of statistics with asymptotically normal
   distribution. Annals of Mathematical Statistics 19(3), 293-325.
.. [2] Lee, A. J. (1990). U-Statistics: Theory and Practice. Marcel Dekker,
   chapter 1 (the variance and its unbiased estimate).
.. [3] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA 22(158), 209-212 (the score interval).
.. [4] Newcombe, R. G. (1998). Interval estimation for the difference between
   independent proportions. Statistics in Medicine 17, 873-890; Zou, G. Y. and
   Donner, A. (2008). Construction of confidence limits about effect measures:
   a general approach. Statistics in Medicine 27, 1693-1702 (MOVER).
.. [5] Arcones, M. A. and Gine, E. (1992). On the bootstrap of U and V
   statistics. Annals of Statistics 20(2), 655-674 (the bootstrap fails at
   degeneracy).
.. [6] Kierans et al. (2025). Quantifying Misalignment Between Agents. AAAI.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from ..core import engine
from ..core.means import MEANS, WEIGHT_MEANS, feature
from ..core.score import area_scores, area_scores_batch, combine_areas, misalignment
from ..core.validation import AREA_MEANS, MISSING, PAIRS, as_conflict, as_population, check_option
from .atoms import AtomKernel, atom_kernel, collapse
from .decompose import cross_area_scores

__all__ = [
    "area_intervals",
    "cross_intervals",
    "Interval",
    "INTERVAL_METHODS",
    "CONTRASTS",
    "ScoreVariance",
    "score_variance",
    "score_interval",
    "difference_interval",
    "contrast_interval",
    "weighted_misalignment",
    "zero_rule_upper",
    "interval_from_counts",
    "contrast_variance",
    "contrast_coefficients",
    "SCORE_DENSE_MAX_ATOMS",
]

#: The interval methods of :func:`score_interval`; the first is the default.
INTERVAL_METHODS = ("score", "normal", "exact", "bootstrap")
#: The contrasts of :func:`contrast_interval`.
CONTRASTS = ("between-within", "between-pooled", "between")
#: The score method solves a (d + 1)-dimensional Newton system per step, d the
#: number of features; for the dense kernel (minimum, maximum, harmonic means)
#: d is the number of atoms, so it is refused beyond this many.
SCORE_DENSE_MAX_ATOMS = 1500

_FACTORIZED = tuple(name for name, mean in MEANS.items() if mean.factorized)
_ND = NormalDist()
# Bootstrap resamples are drawn in chunks of at most this many (resample, atom) cells.
_CHUNK_CELLS = 4_000_000
# The pseudo-count of virtual atoms (score method) and of atoms seen only in the other group (contrasts).
_DELTA = 0.1
# Continuation steps of the score path, in standard errors, and the most steps per side.
_STEP = 0.35
_MAX_STEPS = 40
# A score within this of an interval's end counts as inside (the balanced top is hit exactly).
_TOL = 1e-12


class Interval(NamedTuple):
    """A point estimate and a confidence interval: ``est, low, high = score_interval(...)``."""

    estimate: float
    low: float
    high: float


class ScoreVariance(NamedTuple):
    """The distinct-pairs score and the unbiased estimates of its sampling variance."""

    estimate: float
    variance: float
    zeta1: float
    zeta2: float
    n: int


# --------------------------------------------------------------------------- the unbiased variance

def _joint_pair_sum(gp, wp, cp, gq, wq, cq, weight_mean):
    r""":math:`\sum_{i \ne j} c_p c_q \bar w_p \bar w_q` over ordered pairs, through joint goal groups."""
    kq1 = cq.shape[0]
    idx = gp * kq1 + gq
    size = cp.shape[0] * kq1
    total = 0.0
    terms = MEANS[weight_mean].terms
    for coef_t, left_t, right_t in terms:
        for coef_u, left_u, right_u in terms:
            lvals = feature(left_t, wp) * feature(left_u, wq)
            rvals = feature(right_t, wp) * feature(right_u, wq)
            lsum = engine.goal_sums(idx[None], lvals[None], size - 1)[0].reshape(-1, kq1)
            rsum = engine.goal_sums(idx[None], rvals[None], size - 1)[0].reshape(-1, kq1)
            total += coef_t * coef_u * float(np.sum(lsum * (cp @ rsum @ cq)))
    return total


def score_variance(goals, weights, conflicts, *, weight_mean="geometric", normalize=False) -> ScoreVariance:
    r"""Unbiased estimate of the sampling variance of the distinct-pairs score.

    .. math::

        \widehat{\operatorname{Var} U} = U^2 - \frac{A^2 + 2B - 4R}{n(n-1)(n-2)(n-3)}
          = \frac{4(n-2)\,\hat\zeta_1 + 2\,\hat\zeta_2}{n(n-1)}

    with the pair sums :math:`A = \sum_{i \ne j} h_{ij}`, :math:`B = \sum_{i
    \ne j} h_{ij}^2` and :math:`R = \sum_i \rho_i^2` for the row sums
    :math:`\rho_i = \sum_{j \ne i} h_{ij}`, and :math:`\hat\zeta_1 = \frac{R -
    B}{n(n-1)(n-2)} - \widehat{\theta^2}`, :math:`\hat\zeta_2 = \frac{B}{n(n-1)}
    - \widehat{\theta^2}`, :math:`\widehat{\theta^2} = \frac{A^2 + 2B -
    4R}{n(n-1)(n-2)(n-3)}` (counting ordered pairs, triples and quadruples of
    distinct agents). For the factorized weight means :math:`h_{ij}^2` is again
    a sum of products of a function of agent i and one of agent j, so
    :math:`B` reduces to sums over joint goal groups of two areas and
    everything costs :math:`O(m^2 (n + k^3))`. The score is combined over areas
    with the arithmetic mean (with one area, that area's score).

    This estimate is unbiased but noisy: near a balanced population it is
    negative in up to half of the samples. :func:`score_interval` uses it only
    for ``method="exact"``.

    Parameters
    ----------
    goals : array_like of int, shape (n_agents, n_areas)
    weights : array_like of float, shape (n_agents, n_areas)
    conflicts : sequence of array_like
    weight_mean : {"geometric", "arithmetic", "none"}
        The weight means whose squared kernel factorizes.
    normalize : bool
        As in :func:`misalign.misalignment`.

    Returns
    -------
    ScoreVariance
        ``estimate`` (the score U), ``variance`` (may be slightly negative in
        small samples, since it is unbiased), ``zeta1``, ``zeta2`` and ``n``.

    Raises
    ------
    ValueError
        As :func:`misalign.misalignment`; for another weight mean; for fewer
        than 4 agents.

    See Also
    --------
    score_interval

    Examples
    --------
    Four agents, one area, two goals in full conflict, weights 1: the kernel
    is 1 on the 8 of 12 ordered pairs across goals, so U = 2/3, B = A = 8 and
    every row sums to 2, R = 16; the estimate of theta^2 is (64 + 16 - 64)/24.

    >>> v = score_variance([[1], [1], [2], [2]], [[1.0]] * 4, [[[0, 1], [1, 0]]])
    >>> round(v.estimate, 4), round(v.variance, 4), round((2 / 3) ** 2 - 16 / 24, 4)
    (0.6667, -0.2222, -0.2222)
    """
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    if weight_mean not in _FACTORIZED:
        raise ValueError(
            f"weight_mean={weight_mean!r} has no closed-form variance (its squared kernel does not factorize "
            f"over goal groups); expected one of {', '.join(repr(x) for x in _FACTORIZED)}, "
            "or use score_interval(..., method='score')"
        )
    g, w, cs = as_population(goals, weights, conflicts)
    cs = [engine.padded(c) for c in cs]
    n, m = g.shape
    if n < 4:
        raise ValueError(f"goals has {n} agents; the unbiased variance needs at least 4")
    factors = [engine.norm_factor(c[1:, 1:], normalize) / m for c in cs]
    rows = np.zeros(n)
    everyone = np.ones(n, dtype=bool)
    for j, c in enumerate(cs):
        rows += factors[j] * engine.against(g[:, j], w[:, j], None, None, c, weight_mean, partner=everyone)
    big_a, big_r = rows.sum(), float(rows @ rows)
    big_b = 0.0
    for p in range(m):
        for q in range(p, m):
            pq = _joint_pair_sum(g[:, p], w[:, p], cs[p], g[:, q], w[:, q], cs[q], weight_mean)
            big_b += (1.0 if p == q else 2.0) * factors[p] * factors[q] * pq
    n2 = n * (n - 1.0)
    n3 = n2 * (n - 2.0)
    n4 = n3 * (n - 3.0)
    u = big_a / n2
    # U^2 - (A^2 + 2B - 4R)/(n)_4, rearranged so that no term of size A^2 is formed.
    variance = (4.0 * big_r - 2.0 * big_b) / n4 - u * u * (4.0 * n - 6.0) / ((n - 2.0) * (n - 3.0))
    theta2 = u * u * (n2 * n2 / n4) + (2.0 * big_b - 4.0 * big_r) / n4
    return ScoreVariance(float(u), float(variance), float((big_r - big_b) / n3 - theta2),
                         float(big_b / n2 - theta2), int(n))


# --------------------------------------------------------------------------- argument checks

def _check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise ValueError(f"level = {level!r}; expected a confidence level strictly between 0 and 1, e.g. 0.95")
    return float(level)


def _check_rng(rng, what: str):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}; {what} draws resamples and needs a numpy.random.Generator, "
                         "e.g. numpy.random.default_rng(seed)")
    return rng


def _check_n_boot(n_boot) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot = {n_boot!r}; expected an integer number of bootstrap resamples, at least 2")
    return int(n_boot)


_CHOICES = {"pairs": PAIRS, "weight_mean": WEIGHT_MEANS, "area_mean": AREA_MEANS, "missing": MISSING}


def _check_interval_args(method, methods, level, rng, n_boot, **options) -> tuple[float, int]:
    """Check an interval function's method, options (in the order given), level and bootstrap arguments.

    Returns the level and the number of resamples (``n_boot`` as given unless the method is the bootstrap).
    """
    check_option("method", method, methods)
    for name, value in options.items():
        check_option(name, value, _CHOICES[name])
    level = _check_level(level)
    if method == "bootstrap":
        _check_rng(rng, "method='bootstrap'")
        n_boot = _check_n_boot(n_boot)
    return level, n_boot


def _z(level: float) -> float:
    return _ND.inv_cdf(0.5 + level / 2.0)


def _labels(values, n: int, name: str) -> np.ndarray:
    """Per-agent labels: shape (n,), none missing."""
    lab = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if lab.shape != (n,):
        raise ValueError(f"{name} has shape {lab.shape}; expected one label per agent, shape ({n},)")
    missing = np.array([x is None or (isinstance(x, float) and np.isnan(x)) for x in lab.tolist()], dtype=bool)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{name}[{i}] is missing ({lab[i]!r}); expected a label for every agent")
    return lab


# --------------------------------------------------------------------------- the zero rule

def zero_rule_upper(n, hmax, level=0.95):
    r"""The upper end of the interval when the sample has no conflicting pair (U = 0).

    .. math::

        \theta \le h_{\max} \left(1 - (\alpha/2)^{1/\lfloor n/2 \rfloor}\right)

    Split the n agents into :math:`\lfloor n/2 \rfloor` disjoint pairs. They
    are independent, and each conflicts with probability :math:`\rho = P(h(X,
    X') > 0) \ge \theta / h_{\max}`, so :math:`P(U = 0) \le (1 -
    \theta/h_{\max})^{\lfloor n/2 \rfloor}`: "U = 0" rejects, at level
    :math:`\alpha/2` (the upper tail of a two-sided interval), every
    :math:`\theta` above the bound. A population with a small share of agents
    that conflict maximally with everyone attains it asymptotically, so it
    cannot be improved without further assumptions. The interval is then
    :math:`[0, \text{bound}]`, never a point.

    Parameters
    ----------
    n : int or array_like
        Sample sizes (the number of disjoint pairs is :math:`\lfloor n/2 \rfloor`).
    hmax : float
        The largest possible kernel value, :math:`\frac1m \sum_p \max c_p`.
    level : float

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> round(float(zero_rule_upper(20, 1.0)), 4), round(float(zero_rule_upper(100, 1.0)), 4)
    (0.3085, 0.0711)
    """
    alpha = 1.0 - level
    half = np.floor(np.asarray(n, dtype=np.float64) / 2.0)
    return hmax * (1.0 - (alpha / 2.0) ** (1.0 / np.maximum(half, 1.0)))


def _finish(ker, counts, u, lo, hi, level, zero_rule=True):
    """Clip to [0, hmax] and apply the zero rule to samples with U = 0."""
    n = counts.sum(axis=1)
    lo = np.clip(lo, 0.0, ker.hmax)
    hi = np.clip(hi, 0.0, ker.hmax)
    if zero_rule:
        zero = u <= 0.0
        lo = np.where(zero, 0.0, lo)
        hi = np.where(zero, zero_rule_upper(n, ker.hmax, level), hi)
    return u, lo, hi


# --------------------------------------------------------------------------- the score path

def _safe_solve(J, F):
    """Batched solve; a singular matrix (zeta1 = 0 at a stationary sample) gets a tiny ridge."""
    try:
        return np.linalg.solve(J, F[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        pass
    eye = np.eye(J.shape[1])[None]
    scale = np.abs(J).max(axis=(1, 2), keepdims=True) + 1e-300
    try:
        return np.linalg.solve(J + 1e-12 * scale * eye, F[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.empty_like(F)
        for i in range(J.shape[0]):
            out[i] = np.linalg.lstsq(J[i], F[i], rcond=None)[0]
        return out


class _TiltPath:
    r"""Exponential tilts :math:`q_\tau(a) \propto p_0(a) \exp(\tau (Hq)_a)`, solved in :math:`r = \Phi^\top q`.

    For a target :math:`\theta_0`, Newton's method solves :math:`F(r, \tau) =
    (\Phi^\top q(r, \tau) - r,\ r^\top M r - \theta_0) = 0`. With :math:`K =
    \operatorname{Cov}_q(\Phi)`: :math:`\partial F_1/\partial r = \tau K M - I`,
    :math:`\partial F_1/\partial \tau = K M r`, :math:`\partial F_2/\partial r
    = 2 (Mr)^\top`. The solution is the I-projection of :math:`p_0` onto
    :math:`\{q : q^\top H q = \theta_0\}`.

    ``blocks`` (optional): (atom indices, mass per sample) pairs; the tilt is
    normalized within each block to its fixed mass (groups of a comparison,
    strata of a design). ``n``: the sample sizes, for the variance of U.
    """

    def __init__(self, ker: AtomKernel, p0, n, blocks=None):
        self.ker = ker
        with np.errstate(divide="ignore"):
            self.logp0 = np.where(p0 > 0, np.log(np.where(p0 > 0, p0, 1.0)), -np.inf)
        self.n = n
        self.blocks = blocks

    def state(self, r, tau, idx):
        with np.errstate(over="ignore", invalid="ignore"):  # trial Newton steps may overshoot
            ker = self.ker
            Mr = r @ ker.M
            lg = self.logp0[idx] + tau[:, None] * ker.from_features(Mr)
            if self.blocks is None:
                lg -= lg.max(axis=1, keepdims=True)
                q = np.exp(lg)
                q /= q.sum(axis=1, keepdims=True)
            else:
                q = np.empty_like(lg)
                for cols, mass in self.blocks:
                    x = lg[:, cols]
                    x = np.exp(x - x.max(axis=1, keepdims=True))
                    q[:, cols] = mass[idx, None] * x / x.sum(axis=1, keepdims=True)
            return q, ker.to_features(q), ker.gram(q), Mr

    def covariance(self, q, rbar, G, idx):
        if self.blocks is None:
            return G - rbar[:, :, None] * rbar[:, None, :]
        out = G.copy()
        for cols, mass in self.blocks:
            inside = np.zeros_like(q)
            inside[:, cols] = q[:, cols]
            rb = self.ker.to_features(inside)
            out -= rb[:, :, None] * rb[:, None, :] / mass[idx, None, None]
        return out

    def jacobian(self, r, tau, q, rbar, G, Mr, idx):
        d = r.shape[1]
        KM = self.covariance(q, rbar, G, idx) @ self.ker.M
        J = np.zeros((r.shape[0], d + 1, d + 1))
        J[:, :d, :d] = tau[:, None, None] * KM - np.eye(d)
        J[:, :d, d] = np.einsum("sij,sj->si", KM, r)
        J[:, d, :d] = 2.0 * Mr
        return J

    def variance_terms(self, q, r, G, Mr, idx):
        """(theta, Var U) under q: Hoeffding's exact variance for n independent agents."""
        ker = self.ker
        theta = np.einsum("si,si->s", r, Mr)
        z1 = np.einsum("si,sij,sj->s", Mr, G, Mr) - theta**2
        if ker.small():
            z2 = ker.square_form(q) - theta**2
        else:
            mg = np.einsum("ij,sjk->sik", ker.M, G)
            z2 = np.einsum("sij,sji->s", mg, mg) - theta**2
        n = self.n[idx]
        return theta, (4.0 * (n - 2.0) * np.maximum(z1, 0) + 2.0 * np.maximum(z2, 0)) / (n * (n - 1.0))

    def center(self, q, theta, idx):
        """The mean of the estimator under q (U is unbiased: theta itself)."""
        return theta

    def solve(self, r, tau, theta0, idx, iters=12, tol=1e-12):
        """Newton with backtracking on the residual. Returns (r, tau, converged)."""
        d = r.shape[1]
        r, tau = r.copy(), tau.copy()
        scale = np.maximum(np.abs(theta0), 1e-8)

        def resid(r_, t_):
            st_ = self.state(r_, t_, idx)
            F_ = np.concatenate([st_[1] - r_, (np.einsum("si,si->s", r_, st_[3]) - theta0)[:, None]], axis=1)
            with np.errstate(invalid="ignore"):
                res_ = np.abs(F_[:, :d]).max(axis=1) + np.abs(F_[:, d]) / scale
            return res_, F_, st_

        res, F, st = resid(r, tau)
        for _ in range(iters):
            ok = res < tol * 10 + 1e-10
            if ok.all():
                break
            J = self.jacobian(r, tau, st[0], st[1], st[2], st[3], idx)
            J = np.where(np.isfinite(J), J, 0.0)
            step = _safe_solve(J, -np.where(np.isfinite(F), F, 0.0))
            best_r, best_t, best_res = r, tau, res
            for frac in (1.0, 0.5, 0.25, 0.125):  # backtracking: the largest step that lowers the residual
                r_try = r + frac * step[:, :d]
                t_try = tau + frac * step[:, d]
                res2 = resid(r_try, t_try)[0]
                better = np.isfinite(res2) & (res2 < best_res) & ~ok
                best_r = np.where(better[:, None], r_try, best_r)
                best_t = np.where(better, t_try, best_t)
                best_res = np.where(better, res2, best_res)
            r, tau = best_r, best_t
            res, F, st = resid(r, tau)
        return r, tau, res < 1e-8


def _max_theta(ker: AtomKernel, p0, iters=200):
    """The largest q'Hq over laws q on the support of p0: (theta, q), per row.

    Replicator (Baum-Eagon) steps q <- q * Hq / q'Hq never lower q'Hq; a
    least-squares KKT polish on the support then reaches the top exactly (the
    maximizer need not be unique, e.g. with two areas). Kept if feasible, no
    worse, and no atom of the support could raise q'Hq.
    """
    q = p0.copy()
    for _ in range(iters):
        h1 = ker.hq(q)
        th = np.einsum("sa,sa->s", q, h1)
        q = np.where(th[:, None] > 0, q * h1 / np.where(th > 0, th, 1.0)[:, None], q)
    th = np.einsum("sa,sa->s", q, ker.hq(q))
    if ker.A <= 400:
        H = ker.H
        for s in range(q.shape[0]):
            sup = np.flatnonzero(q[s] > 1e-7)
            if sup.size < 2:
                continue
            kk = sup.size
            kkt = np.zeros((kk + 1, kk + 1))
            kkt[:kk, :kk] = 2.0 * H[np.ix_(sup, sup)]
            kkt[:kk, kk] = 1.0
            kkt[kk, :kk] = 1.0
            rhs = np.zeros(kk + 1)
            rhs[kk] = 1.0
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
            x = sol[:kk]
            if not np.allclose(kkt @ sol, rhs, atol=1e-10) or (x < -1e-12).any():
                continue
            qq = np.zeros(ker.A)
            qq[sup] = np.maximum(x, 0.0) / np.maximum(x, 0.0).sum()
            t = float(qq @ H @ qq)
            if t >= th[s] - 1e-12 and (H @ qq)[p0[s] > 0].max() <= t + 1e-9:
                q[s], th[s] = qq, t
    return th, q


def _virtual_atoms(ker: AtomKernel, counts, candidates):
    """The unobserved full-weight profiles each sample's score path may use: bool (S, A).

    ``candidates`` (A,) marks atoms with weight 1 in every area. Per sample:
    the candidate that conflicts most with the sample, and for every area p and
    goal g nobody in the sample holds there, the candidate holding g in p that
    conflicts most with the sample.
    """
    S, A = counts.shape
    h1 = ker.hq(counts)
    out = np.zeros((S, A), bool)
    rows = np.arange(S)
    out[rows, np.argmax(np.where(candidates[None, :], h1, -np.inf), axis=1)] = True
    ag = ker.goals
    for p in range(ag.shape[1]):
        for g in np.unique(ag[:, p]):
            if g == 0:
                continue
            holds = ag[:, p] == g
            cand_g = candidates & holds
            if not cand_g.any():
                continue
            unseen = counts[:, holds].sum(axis=1) == 0
            best = np.argmax(np.where(cand_g[None, :], h1, -np.inf), axis=1)
            out[rows[unseen], best[unseen]] = True
    return out & (counts == 0)


def _jitter(A):
    """A tiny deterministic asymmetry, so that an exactly stationary sample (e.g. n1 = n2) can be tilted."""
    return 1.0 + 1e-6 * np.sin(np.arange(1, A + 1) * 1.618)


def _mixture_guess(path, ker, r, tau, idx, target, side):
    """Newton's starting point: move mass towards the atom with the smallest (side < 0) or largest
    (side > 0) Hq until q'Hq = target; tau from a weighted regression of log(q/p0) on Hq."""
    q, _, _, Mr = path.state(r, tau, idx)
    h1 = ker.from_features(Mr)
    th = np.einsum("sa,sa->s", q, h1)
    supp = np.isfinite(path.logp0[idx])
    hm = np.where(supp, h1, np.inf if side < 0 else -np.inf)
    a_star = np.argmin(hm, axis=1) if side < 0 else np.argmax(hm, axis=1)
    h = h1[np.arange(len(idx)), a_star]
    # theta(s) = th + 2 s (h - th) + s^2 (th - 2h) = target
    qa, qb, qc = th - 2 * h, 2 * (h - th), th - target
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
        roots = np.stack([(-qb - disc) / (2 * qa), (-qb + disc) / (2 * qa), -qc / qb], axis=1)
    roots = np.where((roots > 0) & (roots <= 1) & np.isfinite(roots), roots, np.inf)
    s = np.min(roots, axis=1)
    s = np.where(np.isfinite(s), s, 0.5)
    e = np.zeros_like(q)
    e[np.arange(len(idx)), a_star] = 1.0
    qs = (1 - s[:, None]) * q + s[:, None] * e
    rs = ker.to_features(qs)
    h1s = ker.hq(qs)
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = np.where(supp & (qs > 0), np.log(np.where(qs > 0, qs, 1.0)) - np.where(supp, path.logp0[idx], 0.0), 0.0)
    mh = np.einsum("sa,sa->s", qs, h1s)
    ml = np.einsum("sa,sa->s", qs, lq)
    cov = np.einsum("sa,sa->s", qs, (h1s - mh[:, None]) * (lq - ml[:, None]))
    var = np.einsum("sa,sa->s", qs, (h1s - mh[:, None]) ** 2)
    tg = np.where(var > 1e-300, cov / np.where(var > 1e-300, var, 1.0), tau)
    return rs, tg


def _attempt(path, ker, r, tau, theta, target, idx, side):
    """Newton solve for q'Hq = target from the current point: a tangent predictor first, then
    (single block) a mixture-path starting point where that fails."""
    q, rbar, G, Mr = path.state(r, tau, idx)
    J = path.jacobian(r, tau, q, rbar, G, Mr, idx)
    rhs = np.zeros((len(idx), r.shape[1] + 1))
    rhs[:, -1] = 1.0
    tang = _safe_solve(np.where(np.isfinite(J), J, 0.0), rhs)
    dth = target - theta
    r0 = r + dth[:, None] * tang[:, :-1]
    t0 = tau + dth * tang[:, -1]
    bad = ~np.isfinite(r0).all(axis=1) | ~np.isfinite(t0)
    r0 = np.where(bad[:, None], r, r0)
    t0 = np.where(bad, tau, t0)
    r1, t1, ok = path.solve(r0, t0, target, idx)
    if (~ok).any() and path.blocks is None:
        b = np.flatnonzero(~ok)
        rg, tg = _mixture_guess(path, ker, r[b], tau[b], idx[b], target[b], side)
        r2, t2, ok2 = path.solve(rg, tg, target[b], idx[b], iters=25)
        r1[b] = np.where(ok2[:, None], r2, r1[b])
        t1[b] = np.where(ok2, t2, t1[b])
        ok[b] = ok2
    return r1, t1, ok


def _trace(path, ker, u, z, side, boundary=None, positive=True):
    """Walk theta0 from theta(p0) in direction ``side`` until the test statistic leaves [-z, z].

    side = +1: the upper end (reject when T < -z); side = -1: the lower end (reject when T > z).
    When Newton fails (the target lies, numerically, beyond the range of q'Hq on the support),
    ``boundary(idx)`` returns the boundary value b and the statistic there: the end is b if the
    test accepts it, else the interpolated crossing. Without it, a lower end of a nonnegative
    score (``positive``) extends to 0 (conservative); otherwise the end is the last point.
    Returns (end, failed).
    """
    S = len(u)
    allidx = np.arange(S)
    tau = np.zeros(S)
    q = path.state(np.zeros((S, ker.d)), tau, allidx)[0]  # tau = 0: q is p0 (normalized within blocks)
    r = ker.to_features(q)
    q, rbar, G, Mr = path.state(r, tau, allidx)
    theta, V = path.variance_terms(q, r, G, Mr, allidx)
    T = (u - path.center(q, theta, allidx)) / np.sqrt(np.maximum(V, 1e-300))
    bound = -side * z
    end = np.full(S, np.nan)
    failed = np.zeros(S, bool)
    active = np.ones(S, bool)
    for _ in range(_MAX_STEPS):
        act = np.flatnonzero(active)
        if act.size == 0:
            break
        se = np.sqrt(np.maximum(V[act], 1e-300))
        if side > 0:
            target = theta[act] + _STEP * se
        elif positive:
            target = theta[act] - np.minimum(_STEP * se, 0.5 * theta[act])
        else:
            target = theta[act] - _STEP * se
        r1, t1, ok = _attempt(path, ker, r[act], tau[act], theta[act], target, act, side)
        b = np.flatnonzero(~ok)
        for _half in range(3):  # retry with a half, a quarter, an eighth of the step
            if b.size == 0:
                break
            target[b] = theta[act[b]] + 0.5 * (target[b] - theta[act[b]])
            r2, t2, ok2 = _attempt(path, ker, r[act[b]], tau[act[b]], theta[act[b]], target[b], act[b], side)
            r1[b[ok2]], t1[b[ok2]], ok[b[ok2]] = r2[ok2], t2[ok2], True
            b = b[~ok2]
        if (~ok).any():
            a = act[~ok]
            if boundary is not None:
                bval, t_b = boundary(a)
                accept = (t_b >= -z) if side > 0 else (t_b <= z)
                d_old, d_b = T[a] - bound, t_b - bound
                cross = theta[a] + (bval - theta[a]) * d_old / np.where(d_old != d_b, d_old - d_b, 1.0)
                lo_, hi_ = np.minimum(theta[a], bval), np.maximum(theta[a], bval)
                end[a] = np.where(accept, bval if side < 0 else np.maximum(bval, theta[a]), np.clip(cross, lo_, hi_))
                failed[a] = (target[~ok] - bval) * side < -1e-9 * np.maximum(np.abs(bval), 1e-12)
            elif side < 0 and positive:
                end[a] = 0.0
                failed[a] = True
            else:
                end[a] = theta[a]
                failed[a] = True
            active[a] = False
        a = act[ok]
        if a.size == 0:
            continue
        r[a], tau[a] = r1[ok], t1[ok]
        q, rbar, G, Mr = path.state(r[a], tau[a], a)
        th_new, V_new = path.variance_terms(q, r[a], G, Mr, a)
        T_new = (u[a] - path.center(q, th_new, a)) / np.sqrt(np.maximum(V_new, 1e-300))
        crossed = (T_new < bound) if side > 0 else (T_new > bound)
        if crossed.any():
            c = a[crossed]
            frac = (T[c] - bound) / (T[c] - T_new[crossed])
            end[c] = theta[c] + frac * (th_new[crossed] - theta[c])
            active[c] = False
        theta[a], V[a], T[a] = th_new, V_new, T_new
        if side < 0 and positive:  # reached (numerically) zero without crossing: the interval reaches 0
            tiny = active[a] & (theta[a] < 1e-9 * np.maximum(np.abs(u[a]), 1e-300))
            end[a[tiny]] = 0.0
            active[a[tiny]] = False
    rest = np.flatnonzero(active)  # out of steps (rare; reported as a failure)
    end[rest] = theta[rest]
    failed[rest] = True
    return end, failed


def _score_core(ker: AtomKernel, counts, level, candidates=None):
    """The score interval of every sample (rows of counts): (U, low, high)."""
    S, A = counts.shape
    n = counts.sum(axis=1)
    u = ker.scores(counts)
    z = _z(level)
    p0 = counts.astype(np.float64).copy()
    if candidates is not None:
        p0 += _DELTA * _virtual_atoms(ker, counts, candidates)
    p0 *= _jitter(A)[None, :]
    p0 /= p0.sum(axis=1, keepdims=True)
    lo = np.full(S, np.nan)
    hi = np.full(S, np.nan)
    todo = np.flatnonzero(u > 0)
    if todo.size:
        if ker.small():
            ker.H2  # noqa: B018 (cache the dense square once)
        p0t, ut = p0[todo], u[todo]
        path = _TiltPath(ker, p0t, n[todo])

        def top(idx):
            """theta_max on the support and the statistic there (only when a path reaches the top)."""
            thmax, qmax = _max_theta(ker, p0t[idx])
            rmax = ker.to_features(qmax)
            _, vmax = path.variance_terms(qmax, rmax, ker.gram(qmax), rmax @ ker.M, idx)
            return thmax, (ut[idx] - thmax) / np.sqrt(np.maximum(vmax, 1e-300))

        hi[todo] = _trace(path, ker, ut, z, +1, top)[0]
        lo[todo] = _trace(path, ker, ut, z, -1)[0]
    return _finish(ker, counts, u, lo, hi, level)


def _bootstrap_counts(counts, n_boot, rng, inverse=None):
    """Resampled atom counts (n_boot, A) of one sample of atom counts (A,), drawn with replacement.

    A multinomial draw over the atoms (O(A) per resample); when nearly every
    agent is its own atom, agents are drawn by index (O(n)), which is cheaper.
    """
    n = int(round(counts.sum()))
    A = counts.size
    if inverse is not None and A > n // 4:
        idx = rng.integers(0, n, size=(n_boot, n))
        atoms = inverse[idx] + A * np.arange(n_boot)[:, None]
        return np.bincount(atoms.ravel(), minlength=n_boot * A).reshape(n_boot, A).astype(np.float64)
    return rng.multinomial(n, counts / n, size=n_boot).astype(np.float64)


def _bootstrap_core(ker: AtomKernel, counts, level, rng, n_boot):
    """Percentile intervals over multinomial resamples of each sample's atoms, with the zero rule."""
    S, A = counts.shape
    u = ker.scores(counts)
    n = counts.sum(axis=1)
    p = counts / n[:, None]
    boot = np.empty((n_boot, S))
    per = max(1, _CHUNK_CELLS // max(1, A))  # (resample, sample) pairs per chunk
    samples = max(1, per // n_boot)
    resamples = min(n_boot, per)
    for s0 in range(0, S, samples):
        s1 = min(S, s0 + samples)
        for b0 in range(0, n_boot, resamples):
            b1 = min(n_boot, b0 + resamples)
            draw = rng.multinomial(np.rint(n[s0:s1]).astype(np.int64), p[s0:s1], size=(b1 - b0, s1 - s0))
            boot[b0:b1, s0:s1] = ker.scores(draw.reshape(-1, A).astype(np.float64)).reshape(b1 - b0, s1 - s0)
    a2 = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [a2, 1.0 - a2], axis=0)
    return _finish(ker, counts, u, low, high, level)


def interval_from_counts(kernel: AtomKernel, counts, *, method="score", level=0.95, candidates=None, rng=None,
                         n_boot=2000):
    r"""The intervals of many samples that share one set of atoms: the batched core of :func:`score_interval`.

    Parameters
    ----------
    kernel : misalign.analysis.atoms.AtomKernel
        The kernel over a universe of atoms (see :func:`misalign.analysis.atoms.atom_kernel`).
    counts : array_like, shape (S, A)
        Each row a sample's agents per atom (0 for atoms absent from it).
    method : {"score", "normal", "exact", "bootstrap"}
        As in :func:`score_interval`.
    level : float
    candidates : array_like of bool, shape (A,), optional
        The score method's virtual atoms are chosen among these (atoms with
        weight 1 in every area); :func:`score_interval` passes the full-weight
        profiles it adds to the sample. Without them there are no virtual atoms.
    rng : numpy.random.Generator
        For ``method="bootstrap"``.
    n_boot : int

    Returns
    -------
    tuple of numpy.ndarray
        ``(U, low, high)``, each of shape (S,): the distinct-pairs scores and
        the interval ends.

    Raises
    ------
    ValueError
        For a bad method, level, rng or n_boot.

    Examples
    --------
    Two goals in full conflict, weights 1, 20 agents: no conflicting pair in
    the first sample (the zero rule), a balanced one in the second (the
    interval ends at the top, 1/2, below U = 10/19).

    >>> import numpy as np
    >>> from misalign.analysis.atoms import atom_kernel
    >>> k = atom_kernel(np.array([[1], [2]]), np.ones((2, 1)), [np.array([[0, 1.0], [1.0, 0]])])
    >>> u, low, high = interval_from_counts(k, [[20, 0], [10, 10]])
    >>> np.round(u, 4).tolist(), np.round(low, 4).tolist(), np.round(high, 4).tolist()
    ([0.0, 0.5263], [0.0, 0.3093], [0.3085, 0.5])
    """
    check_option("method", method, INTERVAL_METHODS)
    level = _check_level(level)
    counts = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    if method == "score":
        cand = None if candidates is None else np.asarray(candidates, dtype=bool)
        return _score_core(kernel, counts, level, cand)
    if method == "bootstrap":
        return _bootstrap_core(kernel, counts, level, _check_rng(rng, "method='bootstrap'"), _check_n_boot(n_boot))
    u = kernel.scores(counts)
    z = _z(level)
    if method == "normal":
        se = np.sqrt(kernel.plugin_variance(counts))
        return _finish(kernel, counts, u, u - z * se, u + z * se, level)
    half = z * np.sqrt(np.maximum(kernel.unbiased_variance(counts), 0.0))
    return u, np.maximum(0.0, u - half), u + half


# --------------------------------------------------------------------------- one sample

def _full_weight_profiles(g, w, cs, weight_mean):
    """The full-weight profiles the score method may add: the one conflicting most with the sample
    (per area, the goal whose full-weight holder conflicts most), and that profile with each goal
    nobody in the sample holds in an area put in its place. Shape (P, m)."""
    n, m = g.shape
    best = np.zeros(m, dtype=np.int64)
    unseen = []
    for p, c in enumerate(cs):
        k = c.shape[0]
        goals = np.arange(1, k + 1)
        h1 = engine.against(goals, np.ones(k), g[:, p], w[:, p], engine.padded(c), weight_mean)
        best[p] = int(np.argmax(h1)) + 1
        held = np.bincount(g[:, p], minlength=k + 1)[1:]
        unseen += [(p, int(x) + 1) for x in np.flatnonzero(held == 0)]
    profiles = [best.copy()]
    for p, goal in unseen:
        prof = best.copy()
        prof[p] = goal
        profiles.append(prof)
    return np.array(profiles, dtype=np.int64)


def _sample_atoms(g, w, cs, weight_mean, normalize, with_virtual):
    """The sample's atoms and kernel; with ``with_virtual``, the candidate full-weight profiles
    join the atoms with count 0 (sorted with the rest, so the order does not depend on them)."""
    n, m = g.shape
    if not with_virtual:
        atoms = collapse(g, w)
        return atom_kernel(atoms.goals, atoms.weights, cs, weight_mean, normalize=normalize), atoms.counts, None
    prof = _full_weight_profiles(g, w, cs, weight_mean)
    gg = np.concatenate([g, prof])
    ww = np.concatenate([w, np.ones(prof.shape)])
    real = np.concatenate([np.ones(n), np.zeros(len(prof))])
    atoms = collapse(gg, ww)
    counts = np.bincount(atoms.inverse, weights=real, minlength=atoms.size)
    ker = atom_kernel(atoms.goals, atoms.weights, cs, weight_mean, normalize=normalize)
    return ker, counts, (atoms.weights == 1.0).all(axis=1)


def _check_score_size(ker: AtomKernel, weight_mean):
    if ker.dense and ker.A > SCORE_DENSE_MAX_ATOMS:
        raise ValueError(
            f"weight_mean={weight_mean!r} does not factorize, and method='score' over its dense kernel of {ker.A:,} "
            f"distinct (goal, weight) profiles costs O(A^3) per step (at most {SCORE_DENSE_MAX_ATOMS:,} are "
            "accepted); round the weights (e.g. to 0.01), use a factorized weight mean (geometric, arithmetic, "
            "none), or method='normal' or 'bootstrap'")


def _u_statistic_problem(m, area_mean, missing):
    """Why the combined score is not a U-statistic over the agents, or None."""
    if m > 1 and area_mean != "arithmetic":
        return f"area_mean={area_mean!r} over {m} areas is not a mean over pairs of agents"
    if m > 1 and missing == "exclude":
        return f"missing='exclude' over {m} areas gives each area its own population of agents"
    return None


def _not_u_statistic(reason, method):
    return ValueError(
        f"{reason}, so the score is not a U-statistic and method={method!r} does not apply; use method='bootstrap' "
        "(percentile over agents, with the zero rule on the combined score) with an rng, or area_mean='arithmetic' "
        "and missing='g0'")


def _general_bootstrap(g, w, cs, level, rng, n_boot, options):
    """Percentile interval of any combined score over agents resampled with replacement.

    Per area, the score of a resample comes from the area's own atom kernel (its population
    is everyone, or with missing='exclude' those holding a goal there); the combined score
    then follows the area mean. When the combined estimate is 0 the zero rule gives the upper
    end: per area, the zero-rule bound where the area has no conflicting pair and the area's
    percentile upper end otherwise, combined with the area mean.
    """
    n, m = g.shape
    pairs, weight_mean, normalize, missing = (options[x] for x in ("pairs", "weight_mean", "normalize", "missing"))
    area_mean = options["area_mean"]
    atoms = collapse(g, w)
    counts = atoms.counts
    holders = [atoms.goals[:, p] != 0 for p in range(m)]
    try:
        kernels = [atom_kernel(atoms.goals[:, [p]], atoms.weights[:, [p]], [cs[p]], weight_mean, normalize=normalize)
                   for p in range(m)]
    except ValueError:  # a dense kernel over too many atoms: score resampled agents directly
        kernels = None

    def area_scores_of(draw):
        out = np.empty((draw.shape[0], m))
        for p, ker in enumerate(kernels):
            size = draw.sum(axis=1) if missing == "g0" else draw[:, holders[p]].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, p] = np.where(size >= 2, ker.pair_sums(draw) / engine.pair_count(size, pairs), 0.0)
        return out

    per_area = np.empty((n_boot, m))
    step = max(1, _CHUNK_CELLS // max(1, atoms.size if kernels is not None else n * m))
    for b0 in range(0, n_boot, step):
        b1 = min(n_boot, b0 + step)
        if kernels is not None:
            per_area[b0:b1] = area_scores_of(_bootstrap_counts(counts, b1 - b0, rng, atoms.inverse))
        else:
            idx = rng.integers(0, n, size=(b1 - b0, n))
            per_area[b0:b1] = area_scores_batch(g[idx], w[idx], cs, pairs=pairs, weight_mean=weight_mean,
                                                normalize=normalize, missing=missing)
    boot = combine_areas(per_area, area_mean, axis=1)
    a2 = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [a2, 1.0 - a2])
    low, high = max(0.0, float(low)), float(high)
    if kernels is not None:
        observed = area_scores_of(counts[None])[0]
    else:
        observed = area_scores_batch(g[None], w[None], cs, pairs=pairs, weight_mean=weight_mean,
                                     normalize=normalize, missing=missing)[0]
    if combine_areas(observed, area_mean) <= 0:
        bounds = np.empty(m)
        for p, c in enumerate(cs):
            size = n if missing == "g0" else int(np.count_nonzero(g[:, p]))
            hmax = engine.norm_factor(c, normalize) * (c.max() if c.size else 0.0)
            if observed[p] > 0:
                bounds[p] = np.quantile(per_area[:, p], 1.0 - a2)
            else:
                bounds[p] = float(zero_rule_upper(size, hmax, level))
                if pairs == "with_replacement" and size >= 1:
                    bounds[p] *= (size - 1.0) / size
        low, high = 0.0, max(high, float(combine_areas(bounds, area_mean)))
    return low, high


def score_interval(goals, weights, conflicts, *, level=0.95, method="score", rng=None, n_boot=2000,
                   pairs="distinct", weight_mean="geometric", area_mean="arithmetic", normalize=False, missing="g0",
                   sample_weight=None, strata=None) -> Interval:
    r"""The score with a confidence interval, treating the agents as a random sample.

    The target is :math:`\theta = E\,h(X, X')`, the expected weighted conflict
    between two agents drawn independently from the population the agents
    were sampled from (for a large finite population, its score). The
    distinct-pairs score U estimates it without bias.

    Methods (see the module docstring for the formulas and the evidence):

    - ``"score"`` (default): the score-type interval :math:`\{\theta_0 : |U -
      \theta_0| \le z \sqrt{V_n(q_{\theta_0})}\}` at the exponentially tilted
      least-favourable law, with virtual full-weight atoms for goals nobody in
      the sample holds, the :math:`\theta_{\max}` boundary and the zero rule.
      Deterministic. It keeps its coverage at balanced populations, rare
      positions and small n, where the others fail; it is conservative (up to
      0.99) for small n at (near-)balanced populations with unequal weights.
    - ``"normal"``: :math:`U \pm z \sqrt{V_n(\hat p)}` with the exact variance
      under the empirical law, and the zero rule. Adequate for n >= 100 away
      from rare positions; conservative at balanced tops.
    - ``"exact"``: :math:`U \pm z \sqrt{\max(0, \widehat{\operatorname{Var}} U)}`
      with the unbiased variance (:func:`score_variance`), the lower end
      clipped at 0 and no zero rule: the method of earlier versions, kept for
      comparison. It **undercovers** (for n >= 20, down to 0.17 at rare
      positions and 0.45 at balanced populations in the validation study) and
      is a point when U = 0.
    - ``"bootstrap"``: the percentile interval over ``n_boot`` resamples of the
      agents (seeded by ``rng``), with the zero rule. The only method for the
      scores that are not U-statistics (an area mean other than the arithmetic
      over several areas, ``missing="exclude"`` over several areas); it
      undercovers at rare positions (down to 0.34 for n >= 20) and beside an
      even split (0.46).

    The interval is clipped to :math:`[0, h_{\max}]`. **The estimate may lie
    above the score interval**: at a balanced population U can exceed the
    largest possible score (two goals split evenly give :math:`U = n/(2(n-1)) >
    1/2 = \theta_{\max}`); the interval still covers, since :math:`\theta \le
    \theta_{\max}`.

    **Design weights.** With ``sample_weight`` (one positive weight per agent,
    e.g. its inverse inclusion probability; unrelated to the model's
    importance weights) the estimate is the weighted pair mean

    .. math::

        \hat\theta_s = \frac{\sum_{i \ne j} s_i s_j h_{ij}}{\sum_{i \ne j} s_i s_j}

    (:func:`weighted_misalignment`). ``method="bootstrap"`` then resamples the
    agents within each stratum (``strata``; one stratum without it), every
    agent keeping its weight, and reports the normal interval
    :math:`\hat\theta_s \pm z\, \mathrm{SE}^*` from the bootstrap standard
    error, with the zero rule. ``method="score"`` is the score interval carried
    over to the design (the strata's laws tilted jointly, each stratum's share
    of the total weight fixed, and the exact mean and variance of
    :math:`\hat\theta_s` under stratified sampling); it needs weights constant
    within strata. ``"normal"`` and ``"exact"`` are not offered with weights.

    Parameters
    ----------
    goals, weights, conflicts, pairs, weight_mean, area_mean, normalize, missing
        As in :func:`misalign.misalignment`. ``missing="exclude"`` with one
        area drops the agents without a goal first.
    level : float
        Confidence level in (0, 1).
    method : {"score", "normal", "exact", "bootstrap"}
    rng : numpy.random.Generator
        Required for the bootstrap, e.g. ``numpy.random.default_rng(seed)``;
        the other methods are deterministic and ignore it.
    n_boot : int
        Bootstrap resamples.
    sample_weight : array_like of float, shape (n_agents,), optional
        Design weights: positive and finite.
    strata : array_like, shape (n_agents,), optional
        A stratum label per agent (each stratum with at least 2 agents); the
        sample was drawn independently within each.

    Returns
    -------
    Interval
        ``(estimate, low, high)``; the estimate is :func:`misalign.misalignment`
        (or :func:`weighted_misalignment` with design weights). With
        ``pairs="with_replacement"`` (a score of :math:`(n-1)U/n`) the interval
        is scaled by :math:`(n-1)/n`; ``normalize`` is part of the kernel.

    Raises
    ------
    ValueError
        As :func:`misalign.misalignment`; for an unknown method, a level
        outside (0, 1), a missing ``rng`` or a bad ``n_boot`` (bootstrap), too
        few agents (2; 4 for ``"exact"``), a score that is not a U-statistic
        with a method other than ``"bootstrap"``, a non-factorized weight mean
        over too many distinct weights (``"score"``), bad ``sample_weight`` or
        ``strata``, or design weights with a method they do not support.

    See Also
    --------
    difference_interval, contrast_interval, zero_rule_upper, interval_from_counts

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> goals = rng.integers(1, 3, size=(400, 1))
    >>> est, low, high = score_interval(goals, np.ones((400, 1)), [[[0, 1], [1, 0]]])
    >>> bool(np.isclose(est, 2 * np.mean(goals == 1) * np.mean(goals == 2) * 400 / 399)), bool(low < est < high)
    (True, True)

    Exactly balanced, the estimate (200 x 200 x 2 of 400 x 399 ordered pairs
    conflict) lies above the interval, which ends at the largest possible
    score, 1/2; the unbiased variance of ``"exact"`` is negative, giving a point:

    >>> balanced = np.array([[1]] * 200 + [[2]] * 200)
    >>> [round(x, 4) for x in score_interval(balanced, np.ones((400, 1)), [[[0, 1], [1, 0]]])]
    [0.5013, 0.4833, 0.5]
    >>> [round(x, 4) for x in score_interval(balanced, np.ones((400, 1)), [[[0, 1], [1, 0]]], method="exact")]
    [0.5013, 0.5013, 0.5013]

    Nobody disagrees: the zero rule, never a point.

    >>> [round(x, 4) for x in score_interval(np.ones((40, 1), int), np.ones((40, 1)), [[[0, 1], [1, 0]]])]
    [0.0, 0.0, 0.1684]
    """
    level, n_boot = _check_interval_args(method, INTERVAL_METHODS, level, rng, n_boot, pairs=pairs,
                                         weight_mean=weight_mean, area_mean=area_mean, missing=missing)
    g, w, cs = as_population(goals, weights, conflicts)
    n, m = g.shape
    options = dict(pairs=pairs, weight_mean=weight_mean, area_mean=area_mean, normalize=normalize, missing=missing)
    if sample_weight is not None or strata is not None:
        return _design_interval(g, w, cs, sample_weight, strata, level, method, rng, n_boot, options)
    estimate = float(misalignment(g, w, cs, **options))
    reason = _u_statistic_problem(m, area_mean, missing)
    if reason is not None and method != "bootstrap":
        raise _not_u_statistic(reason, method)
    if method == "bootstrap":  # every option: per-area scores of resampled agents, combined
        if n < 2:
            raise ValueError(f"goals has {n} agents; the bootstrap needs at least 2")
        low, high = _general_bootstrap(g, w, cs, level, rng, n_boot, options)
        return Interval(estimate, low, high)
    if missing == "exclude":  # one area: its population is the agents holding a goal
        held = g[:, 0] != 0
        g, w = g[held], w[held]
    n = g.shape[0]
    need = 4 if method == "exact" else 2
    if n < need:
        who = " holding a goal (missing='exclude')" if missing == "exclude" else ""
        what = "the unbiased variance" if method == "exact" else f"method={method!r}"
        raise ValueError(f"goals has {n} agents{who}; {what} needs at least {need}")
    ker, counts, cand = _sample_atoms(g, w, cs, weight_mean, normalize, method == "score")
    if method == "score":
        _check_score_size(ker, weight_mean)
    _, lo, hi = interval_from_counts(ker, counts[None], method=method, level=level, candidates=cand)
    scale = 1.0 if pairs == "distinct" else (n - 1.0) / n
    return Interval(estimate, float(lo[0]) * scale, float(hi[0]) * scale)


# --------------------------------------------------------------------------- comparisons: A - B

def _mover(ea, la, ha, eb, lb, hb):
    """MOVER limits for a difference of two independent estimates with intervals (distances clipped at 0)."""
    d = ea - eb
    low = d - np.sqrt(max(ea - la, 0.0) ** 2 + max(hb - eb, 0.0) ** 2)
    high = d + np.sqrt(max(ha - ea, 0.0) ** 2 + max(eb - lb, 0.0) ** 2)
    return d, low, high


def difference_interval(goals_a, weights_a, goals_b, weights_b, conflicts, *, level=0.95, method="score", rng=None,
                        n_boot=2000, pairs="distinct", weight_mean="geometric", area_mean="arithmetic",
                        normalize=False, missing="g0") -> Interval:
    r"""The difference of two scores, score(A) - score(B), with a confidence interval (MOVER).

    For two groups of one sample (the analysis conditions on their sizes) or
    two independent samples (e.g. two years). Each score gets its own interval
    from :func:`score_interval` (``method``), and the method of variance
    estimates recovery (Newcombe; Zou and Donner) combines them:

    .. math::

        L = D - \sqrt{(U_A - l_A)^2 + (u_B - U_B)^2}, \qquad
        R = D + \sqrt{(u_A - U_A)^2 + (U_B - l_B)^2}, \qquad D = U_A - U_B

    (a distance is taken as 0 when an estimate lies outside its own interval,
    which happens at a balanced top). It inherits the zero rule and the
    behaviour at rare positions of the per-group score intervals; in the study
    behind it, it covers 0.95-0.98 for n from 40 to 400, conservatively (up to
    1.00) when both groups sit at their balanced maximum.

    Parameters
    ----------
    goals_a, weights_a : array_like, shape (n_a, n_areas)
    goals_b, weights_b : array_like, shape (n_b, n_areas)
    conflicts : sequence of array_like
        One matrix per area, shared by both.
    level, method, rng, n_boot, pairs, weight_mean, area_mean, normalize, missing
        As in :func:`score_interval` (the bootstrap draws group A's resamples,
        then group B's, from ``rng``).

    Returns
    -------
    Interval
        The difference of the two estimates and its interval.

    Raises
    ------
    ValueError
        As :func:`score_interval` for either group (naming ``goals_b`` for the second).

    See Also
    --------
    contrast_interval : between- against within-group scores of one sample.

    Examples
    --------
    >>> import numpy as np
    >>> c = [[[0, 1], [1, 0]]]
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.choice([1, 2], p=[0.5, 0.5], size=(200, 1)), rng.choice([1, 2], p=[0.9, 0.1], size=(200, 1))
    >>> d, low, high = difference_interval(a, np.ones((200, 1)), b, np.ones((200, 1)), c)
    >>> bool(low < 0.5 - 0.18 < high), bool(low > 0)
    (True, True)
    """
    kw = dict(level=level, method=method, rng=rng, n_boot=n_boot, pairs=pairs, weight_mean=weight_mean,
              area_mean=area_mean, normalize=normalize, missing=missing)
    ia = score_interval(goals_a, weights_a, conflicts, **kw)
    try:
        ib = score_interval(goals_b, weights_b, conflicts, **kw)
    except ValueError as err:
        raise ValueError(str(err).replace("goals", "goals_b").replace("weights", "weights_b")) from None
    d, low, high = _mover(ia.estimate, ia.low, ia.high, ib.estimate, ib.low, ib.high)
    return Interval(float(d), float(low), float(high))


# --------------------------------------------------------------------------- comparisons: contrasts

def contrast_coefficients(contrast, n_a, n_b):
    r"""The coefficients :math:`(c_{AB}, c_A, c_B)` of :math:`D = c_{AB} U_{AB} + c_A U_A + c_B U_B`.

    ``"between-within"``: :math:`(1, -\frac12, -\frac12)` (Rao's
    dissimilarity); ``"between-pooled"``: :math:`(1, -\omega_A, -\omega_B)`
    with :math:`\omega_g = n_g(n_g-1) / (n_A(n_A-1) + n_B(n_B-1))`, the share of
    within-group pairs; ``"between"``: :math:`(1, 0, 0)`.

    Parameters
    ----------
    contrast : {"between-within", "between-pooled", "between"}
    n_a, n_b : float or numpy.ndarray
        Group sizes.

    Returns
    -------
    tuple of numpy.ndarray

    Examples
    --------
    >>> [float(c) for c in contrast_coefficients("between-pooled", 3, 2)]
    [1.0, -0.75, -0.25]
    """
    check_option("contrast", contrast, CONTRASTS)
    n_a = np.asarray(n_a, dtype=np.float64)
    n_b = np.asarray(n_b, dtype=np.float64)
    one = np.ones(np.broadcast(n_a, n_b).shape)
    if contrast == "between-within":
        return one, -0.5 * one, -0.5 * one
    if contrast == "between-pooled":
        pa, pb = n_a * (n_a - 1.0), n_b * (n_b - 1.0)
        return one, -pa / (pa + pb) * one, -pb / (pa + pb) * one
    return one, 0.0 * one, 0.0 * one


def _cov(q, x, y):
    return np.einsum("sa,sa,sa->s", q, x, y) - np.einsum("sa,sa->s", q, x) * np.einsum("sa,sa->s", q, y)


def contrast_variance(kernel: AtomKernel, q_a, q_b, n_a, n_b, coefficients):
    r"""Exact variance of :math:`D = c_{AB} U_{AB} + c_A U_A + c_B U_B` for two independent samples.

    :math:`n_A` agents are drawn from the atom law :math:`q_A` and
    :math:`n_B` from :math:`q_B` (two groups given their sizes, or two
    samples); :math:`U_A, U_B` are the within-group distinct-pairs scores and
    :math:`U_{AB} = \frac{1}{n_A n_B} \sum_{i \in A, j \in B} h_{ij}` the
    between-group score. With :math:`g_X = H q_X`, the joint Hoeffding
    decomposition gives

    .. math::

        \operatorname{Var} U_{AB} = \frac{(n_B - 1) \operatorname{Var}_A g_B
            + (n_A - 1) \operatorname{Var}_B g_A + \operatorname{Var} h(X_A, X_B)}{n_A n_B},

    .. math::

        \operatorname{Cov}(U_A, U_{AB}) = \frac{2 \operatorname{Cov}_A(g_A, g_B)}{n_A}, \qquad
        \operatorname{Cov}(U_A, U_B) = 0,

    and :math:`\operatorname{Var} U_A = V_{n_A}(q_A)` (Hoeffding).

    Parameters
    ----------
    kernel : misalign.analysis.atoms.AtomKernel
    q_a, q_b : array_like, shape (S, A)
        Atom laws (rows summing to 1).
    n_a, n_b : float or array_like, shape (S,)
        Group sizes (at least 2 each for within-group terms).
    coefficients : tuple of float or numpy.ndarray
        :math:`(c_{AB}, c_A, c_B)`, e.g. from :func:`contrast_coefficients`.

    Returns
    -------
    numpy.ndarray, shape (S,)
    """
    qa = np.atleast_2d(np.asarray(q_a, dtype=np.float64))
    qb = np.atleast_2d(np.asarray(q_b, dtype=np.float64))
    na = np.asarray(n_a, dtype=np.float64)
    nb = np.asarray(n_b, dtype=np.float64)
    cab, ca, cb = (np.asarray(x, dtype=np.float64) for x in coefficients)
    ga, gb = kernel.hq(qa), kernel.hq(qb)
    ta = np.einsum("sa,sa->s", qa, ga)
    tb = np.einsum("sa,sa->s", qb, gb)
    tab = np.einsum("sa,sa->s", qa, gb)
    out = np.zeros(qa.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        if np.any(ca != 0):
            za2 = kernel.square_form(qa) - ta**2
            out = out + ca**2 * (4 * (na - 2) * _cov(qa, ga, ga) + 2 * za2) / (na * (na - 1))
        if np.any(cb != 0):
            zb2 = kernel.square_form(qb) - tb**2
            out = out + cb**2 * (4 * (nb - 2) * _cov(qb, gb, gb) + 2 * zb2) / (nb * (nb - 1))
    s11 = kernel.square_form(qa, qb) - tab**2
    vab = ((nb - 1) * _cov(qa, gb, gb) + (na - 1) * _cov(qb, ga, ga) + s11) / (na * nb)
    out = out + cab**2 * vab + 2 * cab * ca * 2 * _cov(qa, ga, gb) / na + 2 * cab * cb * 2 * _cov(qb, gb, ga) / nb
    return np.maximum(out, 0.0)


def _contrast_estimate(ker, NA, NB, c):
    """D for counts NA, NB (S, A) and coefficients c."""
    na, nb = NA.sum(axis=1), NB.sum(axis=1)
    ua, ub = ker.scores(NA), ker.scores(NB)
    uab = ker.quadratic(NA, NB) / (na * nb)
    return c[0] * uab + c[1] * ua + c[2] * ub, ua, ub, uab


class _ContrastPath(_TiltPath):
    """The tilt over (group, atom) pairs with fixed group masses; the variance is the exact
    variance of the contrast (:func:`contrast_variance`) under the two tilted laws."""

    def __init__(self, base, ext, p0, na, nb, c, blocks):
        super().__init__(ext, p0, None, blocks)
        self.base, self.na, self.nb, self.c = base, na, nb, c

    def variance_terms(self, q, r, G, Mr, idx):
        theta = np.einsum("si,si->s", r, Mr)
        A0 = self.base.A
        pa, pb = q[:, :A0], q[:, A0:]
        qa = pa / pa.sum(axis=1, keepdims=True)
        qb = pb / pb.sum(axis=1, keepdims=True)
        c = tuple(x[idx] for x in self.c)
        return theta, contrast_variance(self.base, qa, qb, self.na[idx], self.nb[idx], c)


def _extended_kernel(ker: AtomKernel, pa, pb, c):
    """The kernel over (group, atom) pairs whose quadratic form in Q = (pa q_A, pb q_B) is the contrast."""
    cab, ca, cb = c
    M = np.block([[ca / pa**2 * ker.M, cab / (2 * pa * pb) * ker.M],
                  [cab / (2 * pa * pb) * ker.M, cb / pb**2 * ker.M]])
    goals = np.vstack([ker.goals, ker.goals])
    weights = np.vstack([ker.weights, ker.weights])
    if ker.dense:
        return AtomKernel(None, M, ker.hmax, goals, weights, ker.weight_mean, H=M)
    d = ker.d
    phi = np.zeros((2 * ker.A, 2 * d))
    phi[:ker.A, :d] = ker.phi
    phi[ker.A:, d:] = ker.phi
    return AtomKernel(phi, M, ker.hmax, goals, weights, ker.weight_mean)


def _contrast_score_core(ker: AtomKernel, NA, NB, contrast, level):
    """The contrast score interval for samples (rows) sharing the group sizes: (D, low, high)."""
    S, A = NA.shape
    na, nb = float(NA[0].sum()), float(NB[0].sum())
    n = na + nb
    pa, pb = na / n, nb / n
    c = tuple(float(x) for x in contrast_coefficients(contrast, na, nb))
    d_hat, ua, ub, uab = _contrast_estimate(ker, NA, NB, c)
    z = _z(level)
    ext = _extended_kernel(ker, pa, pb, c)
    # pseudo-counts on atoms seen only in the other group, so that q_A = q_B is reachable
    qa0 = NA + _DELTA * ((NA == 0) & (NB > 0))
    qb0 = NB + _DELTA * ((NB == 0) & (NA > 0))
    jit = _jitter(2 * A)
    p0 = np.concatenate([pa * qa0 / qa0.sum(1, keepdims=True), pb * qb0 / qb0.sum(1, keepdims=True)], axis=1) * jit
    p0[:, :A] *= pa / p0[:, :A].sum(1, keepdims=True)
    p0[:, A:] *= pb / p0[:, A:].sum(1, keepdims=True)
    blocks = [(np.arange(A), np.full(S, pa)), (np.arange(A, 2 * A), np.full(S, pb))]
    cs = tuple(np.full(S, x) for x in c)
    lo = np.full(S, np.nan)
    hi = np.full(S, np.nan)
    if contrast == "between":
        zero = uab <= 0
        todo = np.flatnonzero(~zero)
        top = None
        if todo.size and ker.A <= 400:
            H = ker.H

            def top(idx):
                rows = todo[idx]
                vals = np.array([H[np.ix_(NA[s] > 0, NB[s] > 0)].max() if (NA[s] > 0).any() else 0.0 for s in rows])
                # at the top both laws are point masses: the variance is 0 and only U_AB = max is accepted
                t = np.where(d_hat[rows] >= vals * (1 - 1e-12), 0.0, -np.inf)
                return vals, t

        if todo.size:
            sub = _ContrastPath(ker, ext, p0[todo], np.full(todo.size, na), np.full(todo.size, nb),
                                tuple(x[todo] for x in cs), [(cols, mass[todo]) for cols, mass in blocks])
            hi[todo] = _trace(sub, ext, d_hat[todo], z, +1, top)[0]
            lo[todo] = _trace(sub, ext, d_hat[todo], z, -1, None, positive=True)[0]
        lo = np.clip(lo, 0.0, ker.hmax)
        hi = np.clip(hi, 0.0, ker.hmax)
        lo[zero] = 0.0
        hi[zero] = zero_rule_upper(2 * min(na, nb), ker.hmax, level)  # min(n_A, n_B) disjoint cross pairs
        return d_hat, lo, hi
    nothing = (ua <= 0) & (ub <= 0) & (uab <= 0)
    todo = np.flatnonzero(~nothing)
    if todo.size:
        sub = _ContrastPath(ker, ext, p0[todo], np.full(todo.size, na), np.full(todo.size, nb),
                            tuple(x[todo] for x in cs), [(cols, mass[todo]) for cols, mass in blocks])
        u = d_hat[todo]
        pooled = (NA[todo] + NB[todo]) / n

        def bottom(idx):
            """D = 0 is a boundary (the groups do not differ); the test there uses the pooled law."""
            v = contrast_variance(ker, pooled[idx], pooled[idx], np.full(len(idx), na), np.full(len(idx), nb),
                                  tuple(np.full(len(idx), x) for x in c))
            return np.zeros(len(idx)), u[idx] / np.sqrt(np.maximum(v, 1e-300))

        hi[todo] = _trace(sub, ext, u, z, +1, None, positive=False)[0]
        lo[todo] = _trace(sub, ext, u, z, -1, bottom, positive=False)[0]
    if nothing.any():  # no conflicting pair at all: each part's zero rule at level 1 - alpha/3 (Bonferroni)
        lev = 1.0 - (1.0 - level) / 3.0
        ba, bb = zero_rule_upper(na, ker.hmax, lev), zero_rule_upper(nb, ker.hmax, lev)
        bab = zero_rule_upper(2 * min(na, nb), ker.hmax, lev)
        lo[nothing] = c[1] * ba + c[2] * bb
        hi[nothing] = c[0] * bab
    return d_hat, lo, hi


def _contrast_groups(g, w, cs, groups, a, b, missing):
    """Validated group labels; the agents of groups a and b (without non-respondents for one area)."""
    n, m = g.shape
    lab = _labels(groups, n, "groups")
    present = list(dict.fromkeys(lab.tolist()))
    for name, value in (("a", a), ("b", b)):
        if not any(value == x for x in present):
            shown = ", ".join(repr(x) for x in present[:10])
            raise ValueError(f"{name}={value!r} is not a label of groups; expected one of {shown}")
    if a == b:
        raise ValueError(f"a and b are both {a!r}; expected two different groups")
    in_a = np.array([x == a for x in lab.tolist()], dtype=bool)
    in_b = np.array([x == b for x in lab.tolist()], dtype=bool)
    if missing == "exclude":
        held = g[:, 0] != 0
        in_a &= held
        in_b &= held
    for name, value, mask in (("a", a, in_a), ("b", b, in_b)):
        if mask.sum() < 2:
            who = " holding a goal (missing='exclude')" if missing == "exclude" else ""
            raise ValueError(f"groups has {int(mask.sum())} agents{who} labelled {name}={value!r}; expected at least 2 "
                             "in each compared group")
    return in_a, in_b


def contrast_interval(goals, weights, conflicts, groups, *, a, b, contrast="between-within", level=0.95,
                      method="score", rng=None, n_boot=2000, weight_mean="geometric", area_mean="arithmetic",
                      normalize=False, missing="g0") -> Interval:
    r"""Between- against within-group misalignment of two groups of one sample, with a confidence interval.

    With :math:`U_A, U_B` the within-group distinct-pairs scores of groups
    ``a`` and ``b`` and :math:`U_{AB}` their cross score (the mean conflict over
    pairs with one agent in each group, :func:`misalign.cross_misalignment`):

    - ``"between-within"``: :math:`U_{AB} - (U_A + U_B)/2`, Rao's dissimilarity
      of the two groups (at least 0 for exclusive and graded conflicts with
      weights 1);
    - ``"between-pooled"``: :math:`U_{AB}` minus the pooled within-group score
      (the groups' scores weighted by their numbers of pairs);
    - ``"between"``: :math:`U_{AB}` alone, the cross score "A x B".

    Methods:

    - ``"score"`` (default): the contrast score interval. Both groups' laws
      are tilted jointly (each group's share fixed) to the least-favourable
      pair of laws with contrast :math:`\delta_0`, and :math:`\delta_0` is
      accepted when :math:`|D - \delta_0| \le z \sqrt{\operatorname{Var} D}`
      with the exact variance (:func:`contrast_variance`) under those laws.
      Each group's law gets a pseudo-count on the atoms seen only in the other
      group, so "no difference" is reachable, and for the two within-contrasts
      :math:`D = 0` is a boundary tested at the pooled law. This matters:
      between minus within is a *degenerate* statistic whenever the groups do
      not differ, where normal and percentile intervals cover 0.98-1.00 and
      straddle impossible values, and the basic bootstrap 0.57-0.61; the
      contrast score covers 0.94-0.97 in the study behind it. ``"between"``
      has the zero rule for :math:`U_{AB} = 0` (with :math:`\min(n_A, n_B)`
      disjoint cross pairs).
    - ``"normal"``: :math:`D \pm z \sqrt{\operatorname{Var} D}` at the empirical laws.
    - ``"bootstrap"``: the percentile interval over resamples within each group.

    The analysis conditions on the group sizes. Agents of other groups are ignored.

    Parameters
    ----------
    goals, weights, conflicts, weight_mean, normalize
        As in :func:`misalign.misalignment`.
    groups : array_like, shape (n_agents,)
        A group label per agent.
    a, b
        The two groups compared (labels of ``groups``).
    contrast : {"between-within", "between-pooled", "between"}
    level : float
    method : {"score", "normal", "bootstrap"}
    rng : numpy.random.Generator
        For the bootstrap.
    n_boot : int
    area_mean : str
        Only the arithmetic mean over several areas (the contrast is then a
        combination of U-statistics); any with one area.
    missing : {"g0", "exclude"}
        ``"exclude"`` (one area only) drops the non-respondents first.

    Returns
    -------
    Interval
        The contrast's estimate and interval.

    Raises
    ------
    ValueError
        As :func:`misalign.misalignment`; for an unknown contrast or method
        (``"exact"`` is not offered), bad groups (wrong shape, missing labels),
        ``a`` or ``b`` not among them or equal, fewer than 2 agents in either,
        a score that is not a U-statistic, or a missing ``rng`` (bootstrap).

    See Also
    --------
    difference_interval, contrast_variance, misalign.group_decomposition

    Examples
    --------
    Humans split over two goals, machines all on the first:

    >>> import numpy as np
    >>> goals = np.array([[1], [2]] * 20 + [[1]] * 40)
    >>> groups = ["human"] * 40 + ["machine"] * 40
    >>> est, low, high = contrast_interval(goals, np.ones((80, 1)), [[[0, 1], [1, 0]]], groups, a="human",
    ...                                    b="machine", contrast="between")
    >>> round(est, 3), bool(low < 0.5 < high)
    (0.5, True)
    """
    check_option("contrast", contrast, CONTRASTS)
    level, n_boot = _check_interval_args(method, ("score", "normal", "bootstrap"), level, rng, n_boot,
                                         weight_mean=weight_mean, area_mean=area_mean, missing=missing)
    g, w, cs = as_population(goals, weights, conflicts)
    n, m = g.shape
    reason = _u_statistic_problem(m, area_mean, missing)
    if reason is not None and method != "bootstrap":
        raise ValueError(f"{reason}, so the contrast is not a combination of U-statistics; expected "
                         "area_mean='arithmetic' and missing='g0' over several areas, or method='bootstrap'")
    if reason is not None:
        return _contrast_bootstrap_by_agents(g, w, cs, groups, a, b, contrast, level, rng, n_boot,
                                             dict(weight_mean=weight_mean, area_mean=area_mean,
                                                  normalize=normalize, missing=missing))
    in_a, in_b = _contrast_groups(g, w, cs, groups, a, b, missing)
    keep = in_a | in_b
    atoms = collapse(g[keep], w[keep])
    ker = atom_kernel(atoms.goals, atoms.weights, cs, weight_mean, normalize=normalize)
    if method == "score":
        _check_score_size(ker, weight_mean)
    code = in_a[keep]
    NA = np.bincount(atoms.inverse[code], minlength=atoms.size).astype(np.float64)[None]
    NB = np.bincount(atoms.inverse[~code], minlength=atoms.size).astype(np.float64)[None]
    na, nb = NA.sum(), NB.sum()
    c = tuple(float(x) for x in contrast_coefficients(contrast, na, nb))
    if method == "score":
        est, lo, hi = _contrast_score_core(ker, NA, NB, contrast, level)
        return Interval(float(est[0]), float(lo[0]), float(hi[0]))
    est = float(_contrast_estimate(ker, NA, NB, c)[0][0])
    if method == "normal":
        v = contrast_variance(ker, NA / na, NB / nb, na, nb, c)
        half = _z(level) * float(np.sqrt(v[0]))
        return Interval(est, est - half, est + half)
    boot = np.empty(n_boot)
    step = max(1, _CHUNK_CELLS // max(1, 2 * atoms.size))
    for b0 in range(0, n_boot, step):
        b1 = min(n_boot, b0 + step)
        da = rng.multinomial(int(na), NA[0] / na, size=b1 - b0).astype(np.float64)
        db = rng.multinomial(int(nb), NB[0] / nb, size=b1 - b0).astype(np.float64)
        boot[b0:b1] = _contrast_estimate(ker, da, db, c)[0]
    a2 = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [a2, 1.0 - a2])
    return Interval(est, float(low), float(high))


def _contrast_of(ga, wa, gb, wb, cs, contrast, options) -> float:
    """The contrast of two groups' agents, area by area (each area's own respondents), combined over areas."""
    missing, weight_mean = options["missing"], options["weight_mean"]
    cross = cross_area_scores(ga, wa, gb, wb, cs, weight_mean=weight_mean, missing=missing)
    per_area = np.asarray(cross, dtype=np.float64)
    if options["normalize"]:
        per_area = per_area * np.array([engine.norm_factor(c, options["normalize"]) for c in cs])
    if contrast != "between":
        ua = area_scores(ga, wa, cs, weight_mean=weight_mean, normalize=options["normalize"], missing=missing)
        ub = area_scores(gb, wb, cs, weight_mean=weight_mean, normalize=options["normalize"], missing=missing)
        if contrast == "between-within":
            per_area = per_area - (ua + ub) / 2.0
        else:
            na = np.count_nonzero(ga, axis=0) if missing == "exclude" else np.full(len(cs), ga.shape[0])
            nb = np.count_nonzero(gb, axis=0) if missing == "exclude" else np.full(len(cs), gb.shape[0])
            pa, pb = na * (na - 1.0), nb * (nb - 1.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_area = per_area - np.where(pa + pb > 0, (pa * ua + pb * ub) / (pa + pb), 0.0)
    return float(combine_areas(per_area, options["area_mean"]))


def _contrast_of_counts(ga, wa, gb, wb, cs, ca, cb, contrast, options) -> np.ndarray:
    """:func:`_contrast_of` for many resamples at once, given as draw counts (factorized weight means).

    A resample's goal sums are the agents' features weighted by how often each
    was drawn; copies of one agent share a goal and never conflict, so the
    pair sums need no resampled population.
    """
    weight_mean, missing = options["weight_mean"], options["missing"]
    mean = MEANS[weight_mean]
    runs = ca.shape[0]
    per_area = np.empty((runs, len(cs)))
    for p, c in enumerate(cs):
        k = c.shape[0]
        cp = engine.padded(c)
        gap, gbp = np.broadcast_to(ga[:, p], ca.shape), np.broadcast_to(gb[:, p], cb.shape)
        la = engine.feature_sums(gap, np.broadcast_to(wa[:, p], ca.shape), k, mean.features, ca)
        lb = engine.feature_sums(gbp, np.broadcast_to(wb[:, p], cb.shape), k, mean.features, cb)
        na = ca @ (ga[:, p] != 0) if missing == "exclude" else ca.sum(axis=1)
        nb = cb @ (gb[:, p] != 0) if missing == "exclude" else cb.sum(axis=1)
        cross_sum = sum(coef * engine.quadratic(la[left], cp, lb[right]) for coef, left, right in mean.terms)
        factor = engine.norm_factor(c, options["normalize"])
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(na * nb > 0, factor * cross_sum / (na * nb), np.nan)
            if contrast != "between":
                ua = factor * engine.factorized_pair_sums(weight_mean, la, cp) / (na * (na - 1.0))
                ub = factor * engine.factorized_pair_sums(weight_mean, lb, cp) / (nb * (nb - 1.0))
                ua, ub = np.where(na >= 2, ua, 0.0), np.where(nb >= 2, ub, 0.0)
                if contrast == "between-within":
                    value = value - (ua + ub) / 2.0
                else:
                    pa, pb = na * (na - 1.0), nb * (nb - 1.0)
                    value = value - np.where(pa + pb > 0, (pa * ua + pb * ub) / (pa + pb), 0.0)
        per_area[:, p] = value
    return combine_areas(per_area, options["area_mean"], axis=1)


def _contrast_bootstrap_by_agents(g, w, cs, groups, a, b, contrast, level, rng, n_boot, options) -> Interval:
    r"""Percentile interval of a contrast when it is no combination of U-statistics (several areas with
    ``missing="exclude"``, or an area mean other than the arithmetic one).

    Each group's agents are resampled with replacement, apart (the group sizes
    stay fixed, as the study behind this module conditions on them), and the
    contrast is recomputed from scratch: every area's cross and own scores over
    the resampled agents who answered there, combined over areas.
    """
    labels = _labels(groups, g.shape[0], "groups")
    ia, ib = np.flatnonzero(labels == a), np.flatnonzero(labels == b)
    for name, idx, lab in (("a", ia, a), ("b", ib, b)):
        if idx.size < 2:
            raise ValueError(f"{name}={lab!r} has {idx.size} agents; expected at least 2 in each group")
    est = _contrast_of(g[ia], w[ia], g[ib], w[ib], cs, contrast, options)
    boot = np.empty(n_boot)
    if MEANS[options["weight_mean"]].factorized:
        step = max(1, _CHUNK_CELLS // max(1, g.shape[0] * len(cs)))
        for lo in range(0, n_boot, step):
            hi = min(n_boot, lo + step)
            ca = rng.multinomial(ia.size, np.full(ia.size, 1.0 / ia.size), size=hi - lo).astype(np.float64)
            cb = rng.multinomial(ib.size, np.full(ib.size, 1.0 / ib.size), size=hi - lo).astype(np.float64)
            boot[lo:hi] = _contrast_of_counts(g[ia], w[ia], g[ib], w[ib], cs, ca, cb, contrast, options)
    else:
        for r in range(n_boot):
            ra, rb = ia[rng.integers(0, ia.size, ia.size)], ib[rng.integers(0, ib.size, ib.size)]
            boot[r] = _contrast_of(g[ra], w[ra], g[rb], w[rb], cs, contrast, options)
    boot = boot[np.isfinite(boot)]
    a2 = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [a2, 1.0 - a2]) if boot.size else (np.nan, np.nan)
    return Interval(est, float(low), float(high))


# --------------------------------------------------------------------------- many samples of one area at once

def _universe(samples, k: int, weight_mean: str, conflict, normalize):
    """The atoms of many single-area samples and the full-weight profile of every goal, with each sample's counts."""
    goals = [np.asarray(g, dtype=np.int64).reshape(-1) for g, _ in samples]
    weights = [np.asarray(w, dtype=np.float64).reshape(-1) for _, w in samples]
    profiles = np.arange(1, k + 1)
    gg = np.concatenate([*goals, profiles])[:, None]
    ww = np.concatenate([*weights, np.ones(k)])[:, None]
    atoms = collapse(gg, ww)
    counts = np.zeros((len(samples), atoms.size))
    start = 0
    for i, g in enumerate(goals):
        counts[i] = np.bincount(atoms.inverse[start:start + g.size], minlength=atoms.size)
        start += g.size
    ker = atom_kernel(atoms.goals, atoms.weights, [conflict], weight_mean, normalize=normalize)
    return ker, counts, (atoms.weights == 1.0).all(axis=1)


def area_intervals(samples, conflict, *, level=0.95, method="score", rng=None, n_boot=2000,
                   weight_mean="geometric", normalize=False):
    r"""Intervals for the scores of many samples of one area at once (the score method's path batched).

    The score method traces every sample's interval in one vectorized Newton
    continuation over a shared set of atoms, so a thousand roll calls or survey
    items cost little more than one. Each sample is a population of agents
    holding goals of the same area (the caller leaves out non-respondents).

    Parameters
    ----------
    samples : sequence of (goals, weights)
        Per sample, the agents' goal ids (1..k; 0 is the null goal) and weights.
    conflict : array_like, shape (k, k)
        The area's conflict matrix, shared by the samples.
    level, method, rng, n_boot, weight_mean, normalize
        As in :func:`score_interval` (distinct pairs).

    Returns
    -------
    tuple of numpy.ndarray
        ``(estimate, low, high)``, each of shape (len(samples),); all NaN for
        samples of fewer than 2 agents, and for fewer than 4 with
        ``method="exact"`` (whose unbiased variance needs 4; :func:`score_interval`
        raises there).

    Notes
    -----
    The score method's virtual atoms are chosen among the full-weight profile of
    every goal of the area, per sample as in :func:`score_interval`; the
    results agree with it up to the tolerance of the continuation.

    Examples
    --------
    >>> import numpy as np
    >>> est, low, high = area_intervals([([1, 1, 2, 2], np.ones(4)), ([1] * 10, np.ones(10))], 1 - np.eye(2),
    ...                                 weight_mean="none")
    >>> np.round(est, 3).tolist(), bool(low[1] == 0 and high[1] > 0)
    ([0.667, 0.0], True)
    """
    c = as_conflict(conflict, "conflict")
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    samples = list(samples)
    est, low, high = (np.full(len(samples), np.nan) for _ in range(3))
    if not samples:
        return est, low, high
    ker, counts, candidates = _universe(samples, c.shape[0], weight_mean, c, normalize)
    ok = counts.sum(axis=1) >= (4 if method == "exact" else 2)
    if ok.any():
        u, lo, hi = interval_from_counts(ker, counts[ok], method=method, level=level,
                                         candidates=candidates if method == "score" else None, rng=rng,
                                         n_boot=n_boot)
        est[ok], low[ok], high[ok] = u, lo, hi
    return est, low, high


def cross_intervals(pairs, conflict, *, level=0.95, weight_mean="geometric", normalize=False):
    r"""Score intervals for the cross scores of many pairs of groups in one area (batched by group sizes).

    Each pair is ``(goals_a, weights_a, goals_b, weights_b)``: two groups of one
    area's respondents; the cross score is the mean weighted conflict over
    pairs with one agent in each (:func:`contrast_interval` with
    ``contrast="between"``). Pairs with the same group sizes share one batched
    continuation.

    Returns
    -------
    tuple of numpy.ndarray
        ``(estimate, low, high)``; NaN where a group is empty.
    """
    c = as_conflict(conflict, "conflict")
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    level = _check_level(level)
    pairs = list(pairs)
    est, low, high = (np.full(len(pairs), np.nan) for _ in range(3))
    if not pairs:
        return est, low, high
    samples = [s for ga, wa, gb, wb in pairs for s in ((ga, wa), (gb, wb))]
    ker, counts, _ = _universe(samples, c.shape[0], weight_mean, c, normalize)
    na_all, nb_all = counts[0::2], counts[1::2]
    sizes = np.stack([na_all.sum(axis=1), nb_all.sum(axis=1)], axis=1)
    for size in np.unique(sizes, axis=0):
        if size.min() < 1:
            continue
        rows = np.flatnonzero((sizes == size).all(axis=1))
        d, lo, hi = _contrast_score_core(ker, na_all[rows], nb_all[rows], "between", level)
        est[rows], low[rows], high[rows] = d, lo, hi
    return est, low, high


# --------------------------------------------------------------------------- design weights

def _check_sample_weight(sample_weight, n) -> np.ndarray:
    s = np.asarray(sample_weight)
    if s.dtype == bool or not (np.issubdtype(s.dtype, np.floating) or np.issubdtype(s.dtype, np.integer)):
        raise ValueError(f"sample_weight must hold positive finite numbers, one per agent; got dtype {s.dtype}")
    s = s.astype(np.float64)
    if s.shape != (n,):
        raise ValueError(f"sample_weight has shape {s.shape}; expected one positive weight per agent, shape ({n},)")
    bad = ~np.isfinite(s)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"sample_weight[{i}] is {s[i]}; expected a positive finite weight per agent")
    bad = s <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"sample_weight[{i}] = {float(s[i])!r}; expected a positive finite weight per agent")
    return s


def _weighted_area_sums(g, w, c, s, weight_mean):
    r""":math:`\sum_{i \ne j} s_i s_j c(g_i, g_j) \bar w(w_i, w_j)` for one area (c padded)."""
    k = c.shape[0] - 1
    mean = MEANS[weight_mean]
    if mean.factorized:
        sums = engine.feature_sums(g[None], w[None], k, mean.features, mass=s[None])
        return float(engine.factorized_pair_sums(weight_mean, sums, c)[0])
    total = 0.0
    order = np.argsort(w)
    for value in np.unique(s):  # partners grouped by their design weight
        per = engine.against(g, w, None, None, c, weight_mean, partner=s == value, order=order)
        total += value * float(s @ per)
    return total


def weighted_misalignment(goals, weights, conflicts, sample_weight, *, pairs="distinct", weight_mean="geometric",
                          area_mean="arithmetic", normalize=False, missing="g0") -> float:
    r"""The population score estimated from a sample with design weights: the weighted pair mean.

    .. math::

        \hat\theta_s = \frac{1}{m} \sum_p \frac{\sum_{i \ne j} s_i s_j\,
            c_p(g_i^p, g_j^p)\, \bar w(w_i^p, w_j^p)}{\sum_{i \ne j} s_i s_j}
        = \frac1m \sum_p \frac{\sum_t \lambda_t L_t^\top C_p R_t}{(\sum_i s_i)^2 - \sum_i s_i^2}

    with per-goal sums :math:`L, R` of the mean's features weighted by
    :math:`s` (:func:`misalign.core.engine.feature_sums` with ``mass``), so it
    costs :math:`O(n + k^2)` per area like the score; the means that do not
    factorize group the partners by their design weight. With all weights
    equal it is :func:`misalign.misalignment`. ``pairs="with_replacement"``
    divides by :math:`(\sum_i s_i)^2` instead; ``missing="exclude"`` keeps, per
    area, the agents holding a goal; other area means combine the per-area
    estimates as in :func:`misalign.combine_areas`.

    Parameters
    ----------
    goals, weights, conflicts, pairs, weight_mean, area_mean, normalize, missing
        As in :func:`misalign.misalignment`.
    sample_weight : array_like of float, shape (n_agents,)
        Positive finite design weights (e.g. inverse inclusion probabilities);
        only their ratios matter.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`misalign.misalignment`; for bad ``sample_weight``.

    Examples
    --------
    Goal 1 is held by the one agent of weight 3: it counts as three agents,
    minus the pairs among those three copies.

    >>> s = weighted_misalignment([[1], [2], [2]], [[1.0]] * 3, [[[0, 1], [1, 0]]], [3.0, 1.0, 1.0])
    >>> round(s, 4), round((2 * 3 * 1 + 2 * 3 * 1) / (5**2 - 11), 4)
    (0.8571, 0.8571)
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("area_mean", area_mean, AREA_MEANS)
    check_option("missing", missing, MISSING)
    g, w, cs = as_population(goals, weights, conflicts)
    n, m = g.shape
    s = _check_sample_weight(sample_weight, n)
    scores = np.zeros(m)
    for p, c in enumerate(cs):
        keep = np.ones(n, bool) if missing == "g0" else g[:, p] != 0
        sp = s[keep]
        if sp.size < 2:
            continue
        tot = sp.sum()
        denom = tot * tot - (0.0 if pairs == "with_replacement" else float(sp @ sp))
        num = _weighted_area_sums(g[keep, p], w[keep, p], engine.padded(c), sp, weight_mean)
        scores[p] = engine.norm_factor(c, normalize) * num / denom
    return float(combine_areas(scores, area_mean))


def _design_zero_upper(n_strata, hmax, level):
    """The zero rule under stratified sampling: floor(n_g / 2) disjoint pairs in the smallest stratum
    bound every stratum pair's conflict, hence the population score."""
    return zero_rule_upper(2 * np.floor(np.min(n_strata) / 2.0) if np.size(n_strata) else 0, hmax, level)


def _design_estimate(ker, counts, s_atom):
    """The weighted pair mean for atom counts (S, A) carrying design weights s_atom (A,)."""
    W = counts * s_atom[None, :]
    tot = W.sum(axis=1)
    return ker.pair_sums(W) / (tot * tot - (counts * s_atom[None, :] ** 2).sum(axis=1))


def _stratified_moments(ker: AtomKernel, laws, n, sg):
    r"""Exact mean and variance of the weighted pair mean for stratified sampling.

    ``laws[g]`` (S, A) is stratum g's atom law, ``n`` (S, G) the stratum sample
    sizes and ``sg`` (G,) the (constant) design weight of each stratum. With
    :math:`D = (\sum_g n_g s_g)^2 - \sum_g n_g s_g^2`,
    :math:`N_{gg'} = n_g n_{g'} - [g = g'] n_g` and :math:`\psi_g = \sum_{g'}
    s_{g'} (n_{g'} - [g = g']) H q_{g'}` (Hoeffding for independent, not
    identically distributed agents):

    .. math::

        E = \sum_{g, g'} s_g s_{g'} N_{gg'} \theta_{gg'} / D, \qquad
        \operatorname{Var} = \sum_g n_g \left(\frac{2 s_g}{D}\right)^2 \operatorname{Var}_g \psi_g
          + 2 \sum_{g, g'} \left(\frac{s_g s_{g'}}{D}\right)^2 N_{gg'} \left(\operatorname{Var} h(X_g, X_{g'})
          - \operatorname{Var}_g H q_{g'} - \operatorname{Var}_{g'} H q_g\right)
    """
    G = len(laws)
    hq = [ker.hq(q) for q in laws]
    tot = n @ sg
    D = tot**2 - n @ (sg**2)

    def mean(q, x):
        return np.einsum("sa,sa->s", q, x)

    def var(q, x):
        return mean(q, x * x) - mean(q, x) ** 2

    E = np.zeros(len(D))
    V = np.zeros(len(D))
    for g in range(G):
        psi = sum(sg[h] * (n[:, h] - (g == h))[:, None] * hq[h] for h in range(G))
        V += n[:, g] * (2 * sg[g] / D) ** 2 * var(laws[g], psi)
        for h in range(G):
            N = n[:, g] * n[:, h] - (g == h) * n[:, g]
            th = mean(laws[g], hq[h])
            E += sg[g] * sg[h] * N * th / D
            s2 = ker.square_form(laws[g], laws[h]) - th**2
            V += 2 * (sg[g] * sg[h] / D) ** 2 * N * (s2 - var(laws[g], hq[h]) - var(laws[h], hq[g]))
    return E, np.maximum(V, 0.0)


class _DesignPath(_TiltPath):
    """Tilts of the strata's laws with fixed masses (each stratum's share of the total weight);
    the test centres at the exact mean of the weighted pair mean (its O(1/n) ratio bias included)
    and uses its exact variance."""

    def __init__(self, ker, p0, n, sg, owner, pi):
        blocks = [(np.flatnonzero(owner == g), pi[:, g]) for g in range(len(sg))]
        super().__init__(ker, p0, None, blocks)
        self.ns, self.sg, self.owner = n, sg, owner

    def _laws(self, q):
        out = []
        for g in range(len(self.sg)):
            qg = np.where(self.owner[None, :] == g, q, 0.0)
            out.append(qg / np.maximum(qg.sum(axis=1, keepdims=True), 1e-300))
        return out

    def variance_terms(self, q, r, G, Mr, idx):
        theta = np.einsum("si,si->s", r, Mr)
        return theta, _stratified_moments(self.ker, self._laws(q), self.ns[idx], self.sg)[1]

    def center(self, q, theta, idx):
        return _stratified_moments(self.ker, self._laws(q), self.ns[idx], self.sg)[0]


def _block_max(ker, q0, owner, pi, iters=500):
    """The largest qbar'H qbar over per-stratum laws on their supports (blockwise Baum-Eagon steps)."""
    q = q0.copy()
    for _ in range(iters):
        h = ker.hq(q)
        new = np.zeros_like(q)
        for g in range(pi.shape[1]):
            cols = owner == g
            x = q[:, cols] * h[:, cols]
            new[:, cols] = pi[:, [g]] * x / np.maximum(x.sum(axis=1, keepdims=True), 1e-300)
        q = new
    return np.einsum("sa,sa->s", q, ker.hq(q)), q


def _design_score_core(ker, counts, owner, sg, level):
    """The design score interval for one sample: counts (1, A) over atoms owned by strata."""
    S, A = counts.shape
    s_atom = sg[owner]
    est = _design_estimate(ker, counts, s_atom)
    G = len(sg)
    n = np.stack([counts[:, owner == g].sum(axis=1) for g in range(G)], axis=1)
    wsum = n * sg[None, :]
    pi = wsum / wsum.sum(axis=1, keepdims=True)
    jit = _jitter(A)
    p0 = np.zeros((S, A))
    for g in range(G):
        cols = owner == g
        x = counts[:, cols] * jit[cols]
        p0[:, cols] = pi[:, [g]] * x / np.maximum(x.sum(axis=1, keepdims=True), 1e-300)
    path = _DesignPath(ker, p0, n, sg, owner, pi)
    z = _z(level)

    def top(idx):
        th, q = _block_max(ker, p0[idx], owner, pi[idx])
        r = ker.to_features(q)
        _, V = path.variance_terms(q, r, None, r @ ker.M, idx)
        return th, (est[idx] - path.center(q, th, idx)) / np.sqrt(np.maximum(V, 1e-300))

    hi = _trace(path, ker, est, z, +1, top)[0]
    lo = _trace(path, ker, est, z, -1)[0]
    return est, np.clip(lo, 0.0, ker.hmax), np.clip(hi, 0.0, ker.hmax)


def _design_interval(g, w, cs, sample_weight, strata, level, method, rng, n_boot, options):
    """score_interval with design weights and/or strata."""
    n, m = g.shape
    s = np.ones(n) if sample_weight is None else _check_sample_weight(sample_weight, n)
    if strata is None:
        code = np.zeros(n, dtype=np.int64)
    else:
        lab = _labels(strata, n, "strata")
        try:
            _, code = np.unique(lab, return_inverse=True)
        except TypeError:  # labels of mixed types: told apart by their type and value
            _, code = np.unique(np.array([str(type(x)) + repr(x) for x in lab.tolist()]), return_inverse=True)
        code = code.ravel().astype(np.int64)
    pairs, weight_mean, area_mean, normalize, missing = (
        options[x] for x in ("pairs", "weight_mean", "area_mean", "normalize", "missing"))
    estimate = weighted_misalignment(g, w, cs, s, **options)
    reason = _u_statistic_problem(m, area_mean, missing)
    if reason is not None:
        raise ValueError(f"{reason}; intervals with sample_weight or strata need area_mean='arithmetic' and "
                         "missing='g0' over several areas")
    if method in ("normal", "exact"):
        raise ValueError(f"method={method!r} is not offered with sample_weight or strata; expected 'score' (weights "
                         "constant within strata) or 'bootstrap' (stratified, with an rng)")
    if missing == "exclude":
        held = g[:, 0] != 0
        g, w, s, code = g[held], w[held], s[held], code[held]
    sizes = np.bincount(code)
    sizes = sizes[sizes > 0]
    if sizes.size == 0 or sizes.min() < 2:
        raise ValueError(f"a stratum has {int(sizes.min()) if sizes.size else 0} agents; expected at least 2 agents in "
                         "every stratum (strata=None treats the sample as one stratum)")
    _, code = np.unique(code, return_inverse=True)
    code = code.ravel()
    G = int(code.max()) + 1
    atoms = collapse(g, w, np.stack([code, s], axis=1))
    ker = atom_kernel(atoms.goals, atoms.weights, cs, weight_mean, normalize=normalize)
    owner = atoms.labels[:, 0].astype(np.int64)
    s_atom = atoms.labels[:, 1]
    counts = atoms.counts
    total = float(s.sum())
    scale = 1.0 if pairs == "distinct" else (total * total - float(s @ s)) / (total * total)
    est_u = float(_design_estimate(ker, counts[None], s_atom)[0])
    if method == "score":
        sg = np.array([s_atom[owner == x][0] for x in range(G)])
        if not all(np.all(s_atom[owner == x] == sg[x]) for x in range(G)):
            raise ValueError("method='score' with sample_weight needs the weights constant within each stratum; give "
                             "strata, or use method='bootstrap' (stratified, with an rng)")
        _check_score_size(ker, weight_mean)
    if est_u <= 0:
        return Interval(estimate, 0.0, float(_design_zero_upper(np.bincount(code), ker.hmax, level)) * scale)
    if method == "score":
        _, lo, hi = _design_score_core(ker, counts[None], owner, sg, level)
        return Interval(estimate, float(lo[0]) * scale, float(hi[0]) * scale)
    # stratified bootstrap: each stratum resampled on its own, every agent keeping its weight
    boot = np.empty(n_boot)
    per_stratum = [(np.flatnonzero(owner == x), int(round(counts[owner == x].sum()))) for x in range(G)]
    step = max(1, _CHUNK_CELLS // max(1, atoms.size))
    for b0 in range(0, n_boot, step):
        b1 = min(n_boot, b0 + step)
        draw = np.zeros((b1 - b0, atoms.size))
        for cols, size in per_stratum:
            draw[:, cols] = rng.multinomial(size, counts[cols] / size, size=b1 - b0)
        boot[b0:b1] = _design_estimate(ker, draw, s_atom)
    half = _z(level) * float(np.std(boot, ddof=1))
    lo = min(max(est_u - half, 0.0), ker.hmax)
    hi = min(max(est_u + half, 0.0), ker.hmax)
    return Interval(estimate, lo * scale, hi * scale)
