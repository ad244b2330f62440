"""How often do the package's confidence intervals cover the score? A coverage study (not a timed test).

Three parts, each calling the package's own functions:

1. **The grid** (``misalign.analysis.uncertainty.interval_from_counts``, the batched core of
   ``score_interval``): every method on 920 populations. A population is a finite universe of
   agent profiles (goal and weight per area) with probabilities; a sample of n agents is one
   multinomial draw over it (the multinomial-over-atoms trick: no agent arrays are built), and
   the target is theta = p'Hp, the score of two agents drawn independently. The grid:
   n in 10, 20, 40, 100, 1000; 2 goals, 3 and 5 goals exclusive and graded; weights fixed at 1
   or drawn per agent from {0.5, 1}; weight means none, geometric, arithmetic and min (one
   area), none and geometric (two areas: a second, two-goal area with the same kind of shares);
   shares balanced, near-balanced, generic, a rare goal of 1%, 3% or 10% beside generic shares,
   and (3 and 5 goals) a 3% goal beside an exact even split. Each cell draws ``--samples``
   samples (2,000) from its own seeded generator (the seed derives from the cell's parameters,
   so a cell's numbers do not depend on which other cells run); the bootstrap uses ``--n-boot``
   resamples (500, to keep the run time down; the study behind the methods found B = 2,000
   moves bootstrap coverage by +0.2 to +0.35 points on average). The score method chooses its
   virtual atoms among the universe's full-weight profiles, which gives the same intervals as
   ``score_interval`` on the sample's agents (checked in tests/test_uncertainty.py).
2. **Design weights** (``score_interval(..., sample_weight=, strata=)`` per sample): the
   study's stratified population, stratum A (25% of the population) and B (75%) sampled n/2
   each, so A is over-represented 3:1; design weights 1/inclusion probability. Compared: the
   design score, the stratified weighted bootstrap (normal interval from its SE) and, as a
   warning, the unweighted score interval.
3. **Comparisons** (``contrast_interval`` and ``difference_interval`` per sample): two groups
   of one sample (each agent in A with probability 0.4; the analysis conditions on the sizes)
   for between - within and the cross score, and two independent samples for A - B.

Writes ``data/benchmarks/interval_coverage.csv`` (one row per method and cell: the cell's
parameters, samples, coverage and its Monte Carlo SE, misses below and above, mean width,
the share of samples with no conflicting pair, seconds) and ``interval_coverage.md`` (a
summary). Rows are kept in ``build/validate_intervals/`` as cells finish, so an interrupted
run resumes where it stopped (``--fresh`` starts over).

    OMP_NUM_THREADS=1 python benchmarks/validate_intervals.py     # or: make validate (about an hour)
    python benchmarks/validate_intervals.py --quick                # a few cells, for the script itself
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one BLAS thread: the machine is shared (set before numpy loads)
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from misalign.analysis.atoms import atom_kernel, collapse  # noqa: E402
from misalign.analysis.uncertainty import (  # noqa: E402
    INTERVAL_METHODS,
    contrast_coefficients,
    contrast_interval,
    difference_interval,
    interval_from_counts,
    score_interval,
)
from misalign.util import atomic_write  # noqa: E402

OUT = ROOT / "data" / "benchmarks"
WORK = ROOT / "build" / "validate_intervals"
SEED = 20250417
LEVEL = 0.95
TOL = 1e-12  # theta equal to an end (the balanced top) counts as covered
DEFAULT = INTERVAL_METHODS[0]

NS = (10, 20, 40, 100, 1000)
GOALS = ((2, "exclusive"), (3, "exclusive"), (3, "graded"), (5, "exclusive"), (5, "graded"))
SHARES = ("balanced", "near", "generic", "rare01", "rare03", "rare10")
ONE_AREA = (("fixed", "none"), ("discrete", "geometric"), ("discrete", "arithmetic"), ("discrete", "min"))
TWO_AREAS = (("fixed", "none"), ("discrete", "geometric"))
WEIGHTS = {"fixed": ([1.0], [1.0]), "discrete": ([0.5, 1.0], [0.5, 0.5])}
CELL = ("study", "n", "k", "conflict", "shares", "weights", "weight_mean", "areas", "population", "contrast")
COLUMNS = ["study", "method", "n", "k", "conflict", "shares", "weights", "weight_mean", "areas", "population",
           "contrast", "theta", "samples", "n_boot", "atoms", "coverage", "mc_se", "miss_below", "miss_above",
           "mean_width", "point_share", "zero_share", "mean_estimate", "seconds", "runtime_warnings"]


# --------------------------------------------------------------------------- populations

def shares(kind, k):
    """Goal shares: balanced, near, generic, rare01/03/10 (a rare goal beside generic shares), rarebal03."""
    if kind == "balanced":
        s = np.ones(k)
    elif kind == "near":
        s = {2: [0.45, 0.55], 3: [0.30, 0.33, 0.37], 5: [0.16, 0.18, 0.20, 0.22, 0.24]}[k]
    elif kind == "generic":
        s = {2: [0.3, 0.7], 3: [0.2, 0.3, 0.5], 5: [0.05, 0.1, 0.2, 0.25, 0.4]}[k]
    else:
        rare = {"01": 0.01, "03": 0.03, "10": 0.10}[kind[-2:]]
        rest = np.ones(k - 1) if kind.startswith("rarebal") else np.array({2: [1.0], 3: [0.4, 0.6],
                                                                              5: [0.1, 0.2, 0.3, 0.4]}[k])
        s = np.concatenate([[rare], (1 - rare) * rest / rest.sum()])
    s = np.asarray(s, dtype=float)
    return s / s.sum()


def conflict(kind, k):
    if kind == "exclusive":
        return 1.0 - np.eye(k)
    i = np.arange(k)
    return np.abs(i[:, None] - i[None, :]) / (k - 1)  # graded: ordinal positions


def universe(areas, weight_mean):
    """Every profile of independent areas [(shares, conflict, weight values, weight probs)], sorted as the package
    sorts atoms: (kernel, probabilities, full-weight candidates)."""
    per_area = [[(g + 1, w, s[g] * pw) for g in range(len(s)) for w, pw in zip(wv, wp)] for s, _, wv, wp in areas]
    combos = [c for c in itertools.product(*per_area) if np.prod([a[2] for a in c]) > 0]
    goals = np.array([[a[0] for a in c] for c in combos], dtype=np.int64)
    weights = np.array([[a[1] for a in c] for c in combos], dtype=float)
    prob = np.array([np.prod([a[2] for a in c]) for c in combos])
    atoms = collapse(goals, weights)
    p = np.bincount(atoms.inverse, weights=prob, minlength=atoms.size)
    ker = atom_kernel(atoms.goals, atoms.weights, [c for _, c, _, _ in areas], weight_mean)
    return ker, p / p.sum(), (atoms.weights == 1.0).all(axis=1)


def grid():
    cells = []
    for n in NS:
        for kind in SHARES:
            for k, conf in GOALS:
                for areas, configs in ((1, ONE_AREA), (2, TWO_AREAS)):
                    for wdist, wm in configs:
                        cells.append(dict(n=n, k=k, conflict=conf, shares=kind, weights=wdist, weight_mean=wm,
                                          areas=areas))
        for k in (3, 5):  # a rare goal beside an exact even split: theta exceeds what the seen goals allow
            for wdist, wm in (("fixed", "none"), ("discrete", "geometric")):
                cells.append(dict(n=n, k=k, conflict="exclusive", shares="rarebal03", weights=wdist, weight_mean=wm,
                                  areas=1))
    return cells


def key(c):
    """A cell's identity, the same for a dict of parameters and for a row read back from the CSV."""
    def text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v)
    return "|".join(text(c.get(x)) for x in CELL)


def seeded(c, parts=2):
    seq = np.random.SeedSequence([SEED, zlib.crc32(key(c).encode())])
    return [np.random.Generator(np.random.PCG64(s)) for s in seq.spawn(parts)]


def summarize(c, method, theta, lo, hi, u, seconds, **extra):
    """One row: coverage (theta inside [lo, hi]) and width over the samples."""
    theta = np.broadcast_to(np.asarray(theta, dtype=float), lo.shape)
    cov = (lo - TOL <= theta) & (theta <= hi + TOL)
    p = float(cov.mean())
    return dict(c, method=method, theta=float(np.mean(theta)), samples=lo.size, coverage=p,
                mc_se=float(np.sqrt(p * (1 - p) / lo.size)), miss_below=float(np.mean(theta < lo - TOL)),
                miss_above=float(np.mean(theta > hi + TOL)), mean_width=float(np.mean(hi - lo)),
                point_share=float(np.mean(hi - lo <= 1e-12)), zero_share=float(np.mean(u <= 0)),
                seconds=seconds, **extra)


# --------------------------------------------------------------------------- part 1: the grid

def run_grid_cell(c, samples, n_boot):
    areas = [(shares(c["shares"], c["k"]), conflict(c["conflict"], c["k"]), *WEIGHTS[c["weights"]])]
    if c["areas"] == 2:
        second = "rare03" if c["shares"] == "rarebal03" else c["shares"]
        areas.append((shares(second, 2), conflict("exclusive", 2), *WEIGHTS[c["weights"]]))
    ker, p, cand = universe(areas, c["weight_mean"])
    theta = float(ker.quadratic(p)[0])
    rng_sample, rng_boot = seeded(c)
    counts = rng_sample.multinomial(c["n"], p, size=samples).astype(float)
    unique, inverse = np.unique(counts, axis=0, return_inverse=True)  # deterministic methods: once per distinct sample
    inverse = inverse.ravel()
    rows = []
    for method in INTERVAL_METHODS:
        t = time.perf_counter()
        if method == "bootstrap":
            u, lo, hi = interval_from_counts(ker, counts, method=method, level=LEVEL, rng=rng_boot, n_boot=n_boot)
        else:
            u, lo, hi = (x[inverse] for x in interval_from_counts(ker, unique, method=method, level=LEVEL,
                                                                  candidates=cand))
        rows.append(summarize(dict(c, study="grid"), method, theta, lo, hi, u, time.perf_counter() - t,
                              atoms=ker.A, n_boot=n_boot if method == "bootstrap" else 0))
    return rows


# --------------------------------------------------------------------------- part 2: design weights

DESIGN = {  # goal shares, weight values, weight probabilities per stratum, conflict, weight mean
    "generic": ({"A": [0.7, 0.2, 0.1], "B": [0.1, 0.3, 0.6]}, [0.5, 1.0], {"A": [0.2, 0.8], "B": [0.7, 0.3]},
                1 - np.eye(3), "geometric"),
    "balanced_overall": ({"A": [0.8, 0.2], "B": [0.4, 0.6]}, [1.0], {"A": [1.0], "B": [1.0]}, 1 - np.eye(2), "none"),
}
SHARE_A = 0.25


def run_design_cell(c, samples, n_boot):
    goal_shares, wv, wp, conf, wm = DESIGN[c["population"]]
    k = len(goal_shares["A"])
    laws = {x: np.array([goal_shares[x][g] * wp[x][j] for g in range(k) for j in range(len(wv))]) for x in "AB"}
    goals = np.array([[g + 1] for g in range(k) for _ in wv])
    weights = np.array([[v] for _ in range(k) for v in wv])
    ker = atom_kernel(goals, weights, [conf], wm)
    pop = SHARE_A * laws["A"] + (1 - SHARE_A) * laws["B"]
    theta = float(ker.quadratic(pop)[0])
    rng_sample, rng_boot = seeded(c)
    half = c["n"] // 2
    s = np.repeat([SHARE_A / half, (1 - SHARE_A) / half], half)  # 1 / inclusion probability, up to a constant
    strata = np.repeat(["A", "B"], half)
    out = {m: np.empty((samples, 3)) for m in ("design score", "design bootstrap", "unweighted score")}
    seconds = dict.fromkeys(out, 0.0)
    for i in range(samples):
        idx = np.concatenate([rng_sample.choice(len(pop), size=half, p=laws[x]) for x in "AB"])
        g, w = goals[idx], weights[idx]
        for method, call in (("design score", lambda: score_interval(g, w, [conf], weight_mean=wm, sample_weight=s,
                                                                     strata=strata)),
                             ("design bootstrap", lambda: score_interval(g, w, [conf], weight_mean=wm, sample_weight=s,
                                                                         strata=strata, method="bootstrap",
                                                                         rng=rng_boot, n_boot=n_boot)),
                             ("unweighted score", lambda: score_interval(g, w, [conf], weight_mean=wm))):
            t = time.perf_counter()
            out[method][i] = call()
            seconds[method] += time.perf_counter() - t
    return [summarize(dict(c, study="design"), m, theta, r[:, 1], r[:, 2], r[:, 0], seconds[m],
                      mean_estimate=float(r[:, 0].mean()), n_boot=n_boot if "bootstrap" in m else 0)
            for m, r in out.items()]


# --------------------------------------------------------------------------- part 3: comparisons

COMPARE = {  # goal shares of A and B over 3 exclusive goals, weights, weight mean
    "different": ([0.6, 0.3, 0.1], [0.2, 0.3, 0.5], "discrete", "geometric"),
    "identical_generic": ([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], "discrete", "geometric"),
    "identical_balanced": ([1 / 3] * 3, [1 / 3] * 3, "fixed", "none"),
}


def run_compare_cell(c, samples, n_boot):
    sa, sb, wdist, wm = COMPARE[c["population"]]
    wv, wp = WEIGHTS[wdist]
    goals = np.array([[g + 1] for g in range(3) for _ in wv])
    weights = np.array([[v] for _ in range(3) for v in wv])
    la = np.array([sa[g] * wp[j] for g in range(3) for j in range(len(wv))])
    lb = np.array([sb[g] * wp[j] for g in range(3) for j in range(len(wv))])
    conf = [1 - np.eye(3)]
    ker = atom_kernel(goals, weights, conf, wm)
    rng_sample, rng_boot = seeded(c)
    n = c["n"]
    res = np.empty((samples, 3))
    truth = np.empty(samples)
    t = time.perf_counter()
    for i in range(samples):
        if c["contrast"] == "A-B (two samples)":
            ia, ib = rng_sample.choice(len(la), size=n, p=la), rng_sample.choice(len(lb), size=n, p=lb)
            res[i] = difference_interval(goals[ia], weights[ia], goals[ib], weights[ib], conf, weight_mean=wm)
            truth[i] = ker.quadratic(la)[0] - ker.quadratic(lb)[0]
            continue
        na = int(np.clip(rng_sample.binomial(n, 0.4), 4, n - 4))
        idx = np.concatenate([rng_sample.choice(len(la), size=na, p=la), rng_sample.choice(len(lb), size=n - na, p=lb)])
        groups = np.repeat(["A", "B"], [na, n - na])
        res[i] = contrast_interval(goals[idx], weights[idx], conf, groups, a="A", b="B", contrast=c["contrast"],
                                   weight_mean=wm)
        cab, ca, cb = (float(x) for x in contrast_coefficients(c["contrast"], na, n - na))
        truth[i] = cab * ker.quadratic(la, lb)[0] + ca * ker.quadratic(la)[0] + cb * ker.quadratic(lb)[0]
    method = "MOVER (score)" if c["contrast"].startswith("A-B") else "contrast score"
    return [summarize(dict(c, study="compare"), method, truth, res[:, 1], res[:, 2], np.ones(samples),
                      time.perf_counter() - t, n_boot=0, mean_estimate=float(res[:, 0].mean()))]


def compare_cells(quick):
    cells = []
    for pop in COMPARE:
        for n in ((40,) if quick else (40, 200)):
            for con in ("between-within", "between", "A-B (two samples)"):
                cells.append(dict(population=pop, n=n, contrast=con))
    return cells


# --------------------------------------------------------------------------- the summary

def md_table(df, floatfmt=".3f"):
    cols = [str(x) for x in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(format(v, floatfmt) if isinstance(v, (float, np.floating)) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines)


def population_label(d):
    return (d.k.astype(int).astype(str) + " " + d.conflict.str[:5] + ", " + d.weights + "/" + d.weight_mean
            + ", m=" + d.areas.astype(int).astype(str))


def summary(df, seconds):
    grid = df[df.study == "grid"].copy()
    lines = ["# Coverage of the 95% intervals of `misalign.analysis.uncertainty`", "",
             "Written by `benchmarks/validate_intervals.py` (`make validate`); the tidy table is "
             "`interval_coverage.csv`. Coverage is the share of samples whose interval holds the population score "
             "theta; its Monte Carlo SE is about 0.005 at 2,000 samples (0.007 at 1,000, 0.011 at 400). "
             f"Run time {seconds / 60:.0f} min on one core.", ""]
    if not grid.empty:
        big = grid[grid.n >= 20]
        g = big.groupby("method", sort=False)
        per = pd.DataFrame({
            "cells": g.size(), "mean": g.coverage.mean(), "min": g.coverage.min(),
            "in [0.93, 0.97]": g.coverage.apply(lambda x: np.mean((x >= 0.93) & (x <= 0.97))),
            "below 0.93": g.coverage.apply(lambda x: np.mean(x < 0.93)),
            "above 0.97": g.coverage.apply(lambda x: np.mean(x > 0.97)),
            "point intervals": g.point_share.mean(), "seconds": g.seconds.sum()}).reindex(list(INTERVAL_METHODS))
        n_cells = grid[["n", "k", "conflict", "shares", "weights", "weight_mean", "areas"]].drop_duplicates().shape[0]
        n_boot = int(grid[grid.method == "bootstrap"].n_boot.max())
        lines += ["## The grid: every method (cells with n >= 20)", "",
                  f"{n_cells} cells, {int(grid.samples.iloc[0])} samples each; the bootstrap with {n_boot} resamples. "
                  "`point intervals` is the mean share of samples given a single point.", "",
                  md_table(per.reset_index().rename(columns={"index": "method"})), ""]
        d = grid[grid.method == DEFAULT]
        tab = d.groupby(["shares", "n"]).coverage.agg(["mean", "min"]).reset_index()
        piv = tab.assign(cell=lambda t: t["mean"].map("{:.3f}".format) + " [" + t["min"].map("{:.3f}".format) + "]")
        piv = piv.pivot(index="shares", columns="n", values="cell").reindex(list(SHARES) + ["rarebal03"])
        piv.columns = [f"n={x}" for x in piv.columns]
        lines += [f"## The default (`{DEFAULT}`) by shares and n", "",
                  "Mean coverage over the populations of each row (goals, conflicts, weights, weight means, areas: 30 "
                  "per row, 4 for `rarebal03`), the minimum in brackets.", "",
                  md_table(piv.reset_index()), ""]
        for method in INTERVAL_METHODS[1:]:
            m = grid[grid.method == method].groupby(["shares", "n"]).coverage.agg(["mean", "min"]).reset_index()
            lines.append(f"- `{method}`: lowest row mean {m['mean'].min():.3f} "
                         f"({m.loc[m['mean'].idxmin(), 'shares']}, n={int(m.loc[m['mean'].idxmin(), 'n'])}), "
                         f"lowest cell {m['min'].min():.3f}.")
        out = d[(d.n >= 20) & ((d.coverage < 0.93) | (d.coverage > 0.97))].copy()
        below, above = out[out.coverage < 0.93], out[out.coverage > 0.97]
        lines += ["", f"## Cells of the default outside [0.93, 0.97] (n >= 20): {len(below)} below, {len(above)} above",
                  "", "Below 0.93:", ""]
        if len(below):
            show = below.assign(population=population_label(below))[
                ["shares", "population", "n", "coverage", "miss_below", "miss_above", "zero_share"]]
            lines += [md_table(show.sort_values(["n", "coverage"])), ""]
        else:
            lines += ["(none)", ""]
        if len(above):
            unequal = int((above.weights == "discrete").sum())
            by_shares = ", ".join(f"{k} {v}" for k, v in above.shares.value_counts().items())
            by_n = ", ".join(f"n={k}: {v}" for k, v in above.n.value_counts().sort_index().items())
            lines += [f"Above 0.97: {len(above)} cells ({by_n}); {unequal} of them with unequal weights; by shares: "
                      f"{by_shares}; median {above.coverage.median():.3f}, at most {above.coverage.max():.3f}. "
                      "Misses are mostly above theta (the lower end is long): the least-favourable law reaches a "
                      "lower theta mostly through the cheap, degenerate direction (unbalancing the goals), where the "
                      "variance is larger than the true one.", ""]
        ten = d[d.n == 10]
        lines += [] if ten.empty else [f"At n = 10 (not held to the band): mean {ten.coverage.mean():.3f}, lowest "
                  f"{ten.coverage.min():.3f} ({ten.loc[ten.coverage.idxmin(), 'shares']}, "
                  f"{population_label(ten.loc[[ten.coverage.idxmin()]]).iloc[0]}).", ""]
    des = df[df.study == "design"]
    if not des.empty:
        piv = des.pivot_table(index=["population", "n"], columns="method", values="coverage").reset_index()
        lines += ["## Design weights", "",
                  "Stratum A (25% of the population) and B (75%) sampled n/2 each, A over-represented 3:1; weights "
                  f"1/inclusion probability; {int(des.samples.iloc[0])} samples per cell. `balanced_overall` is "
                  "balanced in the population as a whole, a degenerate case for the weighted estimator.", "",
                  md_table(piv), "",
                  "Mean estimate against theta (the weights remove the bias of over-representing A): " + "; ".join(
                      f"{r.population} n={r.n}: weighted {r.mean_estimate:.3f}, theta {r.theta:.3f}"
                      for r in des[des.method == "design score"].itertuples() if r.n == des.n.max()), ""]
    com = df[df.study == "compare"]
    if not com.empty:
        show = com[["population", "contrast", "n", "method", "coverage", "mc_se", "miss_below", "miss_above",
                    "mean_width"]]
        lines += ["## Comparisons", "",
                  f"{int(com.samples.iloc[0])} samples per cell. One sample: each agent in group A with probability "
                  "0.4 (the analysis conditions on the group sizes); two samples: n agents each.", "",
                  md_table(show), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=2000, help="samples per grid cell")
    ap.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples")
    ap.add_argument("--design-samples", type=int, default=1000)
    ap.add_argument("--compare-samples", type=int, default=1000)
    ap.add_argument("--parts", default="grid,design,compare")
    ap.add_argument("--quick", action="store_true", help="a few cells with few samples, written under build/")
    ap.add_argument("--fresh", action="store_true", help="ignore the rows of an interrupted run")
    args = ap.parse_args()
    parts = args.parts.split(",")
    work = WORK / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    partial = work / "rows.csv"
    if args.fresh and partial.exists():
        partial.unlink()
    done = set(pd.read_csv(partial).apply(lambda r: key(r.to_dict()), axis=1)) if partial.exists() else set()
    jobs = []
    if "grid" in parts:
        cells = grid()
        if args.quick:
            cells = [c for c in cells if c["n"] == 40 and c["k"] == 3 and c["conflict"] == "exclusive"
                     and c["areas"] == 1 and c["weight_mean"] in ("none", "geometric")]
        jobs += [(dict(c, study="grid"), run_grid_cell, 200 if args.quick else args.samples) for c in cells]
    if "design" in parts:
        jobs += [(dict(study="design", population=p, n=n), run_design_cell, 100 if args.quick else args.design_samples)
                 for p in DESIGN for n in ((20, 100) if args.quick else (20, 40, 100, 1000))]
    if "compare" in parts:
        jobs += [(dict(c, study="compare"), run_compare_cell, 50 if args.quick else args.compare_samples)
                 for c in compare_cells(args.quick)]
    start = time.time()
    for i, (c, run, samples) in enumerate(jobs):
        if key(c) in done:
            continue
        t = time.time()
        cell = {x: v for x, v in c.items() if x != "study"}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            rows = run(cell, samples, 100 if args.quick else args.n_boot)
        for r in rows:
            r["runtime_warnings"] = len(caught)
        pd.DataFrame(rows).reindex(columns=COLUMNS).to_csv(partial, mode="a", header=not partial.exists(),
                                                           index=False)
        first = next((r for r in rows if r["method"] in (DEFAULT, "design score", "contrast score", "MOVER (score)")),
                     rows[0])
        print(f"[{i + 1}/{len(jobs)}] {key(c)}: {first['method']} {first['coverage']:.3f} "
              f"({time.time() - t:.1f} s, {time.time() - start:.0f} s in all)", flush=True)
    df = pd.read_csv(partial)[COLUMNS]
    target = OUT if not args.quick else work
    seconds = float(df.seconds.sum())
    atomic_write(target / "interval_coverage.csv", lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g"))
    text = summary(df, seconds)
    atomic_write(target / "interval_coverage.md", lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    print(f"wrote {target / 'interval_coverage.csv'} and interval_coverage.md")


if __name__ == "__main__":
    main()
