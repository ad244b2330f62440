"""How fast and how lean is the exact score at scale? Four measurements, printed as a table.

1. In memory: the score of 10^7 agents x 10 areas against one bare numpy pass
   over the weights (``np.add.reduce``), the memory-bandwidth floor.
2. Our score against the pairwise (n x n per area) implementation of the
   definition, n = 1,000 to 16,000, and the largest n each finishes within
   30 s and 8 GiB. Each point runs in a fresh process, so its peak resident
   memory is its own. The points go to ``data/benchmarks/bench_scaling.csv``,
   which notebook 09_scaling plots (it never reruns this script).
3. ``score_frame`` on a 10^8-row partitioned Parquet population (generated once
   under ``build/``) through a local Dask cluster of 2 workers, against a bare
   pyarrow read of the same columns on the same cluster.
4. The time of ``make reproduce`` without the install, notebook by notebook
   (executed into a scratch folder: nothing is published).

Run ``python benchmarks/bench_scoring.py`` (or ``make bench``); ``--small``
shrinks every size for a quick check of the script itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _kernels import SIZES, child_measure, make_parquet, pairwise_memory_bytes  # noqa: E402

GIB = 2**30
TIME_LIMIT = 30.0
MEMORY_LIMIT = 8 * GIB


def _best(f, repeat=3) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def part1(n: int, m: int) -> list[tuple[str, str, str]]:
    import misalign
    from _kernels import streamed_misalignment, wide_population

    goals, weights, conflicts = wide_population(n, m, seed=1)
    floor = _best(lambda: np.add.reduce(weights, axis=None))
    streamed = _best(lambda: streamed_misalignment(goals, weights, conflicts), repeat=2)
    t = time.perf_counter()
    public = misalign.misalignment(goals, weights, conflicts)
    public_s = time.perf_counter() - t
    assert np.isclose(streamed_misalignment(goals, weights, conflicts), public, rtol=1e-10)
    label = f"{n:.0e} agents x {m} areas".replace("e+0", "e")
    return [
        ("1 in memory", f"floor: np.add.reduce of weights ({label})", f"{floor:.3f} s"),
        ("1 in memory", "streamed exact score (numpy, blocks of 2^14 agents)", f"{streamed:.3f} s = {streamed / floor:.1f}x floor"),
        ("1 in memory", "misalign.misalignment (current model.py)", f"{public_s:.3f} s = {public_s / floor:.1f}x floor"),
    ]


def part2(small: bool) -> tuple[list, pd.DataFrame]:
    sizes = SIZES["small" if small else "full"]
    records = []
    for method, ladder in (("pairwise", sizes["pairwise"]), ("factorized", sizes["factorized"])):
        for n in ladder:
            if method == "pairwise" and pairwise_memory_bytes(n, sizes["areas"]) > MEMORY_LIMIT:
                records.append(dict(method=method, n=n, areas=sizes["areas"], seconds=np.nan, peak_mib=np.nan,
                                    status="skipped: needs more than 8 GiB"))
                continue
            r = child_measure(method, n, sizes["areas"], timeout=4 * TIME_LIMIT)
            records.append(dict(method=method, n=n, areas=sizes["areas"], **r))
            if r["status"] != "ok" or r["seconds"] > TIME_LIMIT or r["peak_mib"] * 2**20 > MEMORY_LIMIT:
                break
    df = pd.DataFrame(records)
    rows = []
    both = df.pivot_table(index="n", columns="method", values="seconds")
    for n in sizes["compare"]:
        if n in both.index and not both.loc[n].isna().any():
            p, f = both.loc[n, "pairwise"], both.loc[n, "factorized"]
            rows.append(("2 vs pairwise", f"n = {n:,}: pairwise {p:.3f} s, ours {f:.4f} s", f"{p / f:,.0f}x faster"))
    for method in ("pairwise", "factorized"):
        d = df[(df["method"] == method) & (df["status"] == "ok") & (df["seconds"] <= TIME_LIMIT)
               & (df["peak_mib"] * 2**20 <= MEMORY_LIMIT)]
        best = d.loc[d["n"].idxmax()] if len(d) else None
        text = "none" if best is None else f"n = {int(best['n']):,} ({best['seconds']:.1f} s, {best['peak_mib']:,.0f} MiB)"
        rows.append(("2 vs pairwise", f"largest n within 30 s and 8 GiB, {method}", text))
    return rows, df


def part3(small: bool) -> list[tuple[str, str, str]]:
    import cloudpickle
    from dask.distributed import Client, LocalCluster

    import _kernels
    from _kernels import bare_read, peak_rss_mib, reset_peak

    cloudpickle.register_pickle_by_value(_kernels)  # the workers cannot import benchmarks/
    from misalign.frame import score_frame

    rows_total = 10**6 if small else 10**8
    folder, conflicts = make_parquet(ROOT / "build" / "bench_population", rows_total)
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    out = []
    results = {}
    for what in ("read", "score"):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="4GiB",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            # Warm the workers (imports, page cache) so that both runs time the work, not the start-up.
            client.run(lambda: __import__("misalign.frame") and __import__("pyarrow.parquet"))
            client.gather(client.map(bare_read, files[:2], pure=False))
            client.run(reset_peak)
            base = max(client.run(peak_rss_mib).values())
            t = time.perf_counter()
            if what == "read":
                rows = sum(client.gather(client.map(bare_read, files, pure=False)))
            else:
                scores = score_frame(str(folder), conflicts)
                rows = rows_total
            seconds = time.perf_counter() - t
            peak = max(client.run(peak_rss_mib).values())
            results[what] = (seconds, peak, base)
            assert rows == rows_total
    (rs, rp, rb), (ss, sp, sb) = results["read"], results["score"]
    out.append(("3 Dask Parquet", f"bare pyarrow read, {rows_total:.0e} rows, 2 workers".replace("e+0", "e"),
                f"{rs:.1f} s, {rows_total / rs / 1e6:.1f} M rows/s, peak {rp:,.0f} MiB/worker"))
    out.append(("3 Dask Parquet", "score_frame (geometric, exact)",
                f"{ss:.1f} s, {rows_total / ss / 1e6:.1f} M rows/s, peak {sp:,.0f} MiB/worker (idle {sb:,.0f})"))
    out.append(("3 Dask Parquet", "ratio to the bare read", f"time {ss / rs:.2f}x, peak memory {sp / rp:.2f}x"))
    overall = scores.loc[scores["area"] == "(overall)", "score"].item()
    out.append(("3 Dask Parquet", "overall score (sanity)", f"{overall:.6f}"))
    return out


def part4() -> list[tuple[str, str, str]]:
    from misalign import compendium
    from misalign.paths import OUTPUT_ENV

    out = []
    total = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "notebooks").mkdir()
        old = os.environ.get(OUTPUT_ENV)
        os.environ[OUTPUT_ENV] = scratch
        try:
            for nb in compendium.notebooks():
                t = time.perf_counter()
                try:
                    compendium.execute(nb, Path(scratch) / "notebooks" / nb.name)
                    status = ""
                except Exception as exc:  # noqa: BLE001 - report and keep timing the others
                    status = f" (failed: {type(exc).__name__})"
                seconds = time.perf_counter() - t
                total += seconds
                out.append(("4 reproduce", nb.stem, f"{seconds:.1f} s{status}"))
        finally:
            if old is None:
                os.environ.pop(OUTPUT_ENV, None)
            else:
                os.environ[OUTPUT_ENV] = old
    out.append(("4 reproduce", f"total, {len(out)} notebooks", f"{total:.1f} s"))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="small sizes: checks the script, not the speed")
    parser.add_argument("--parts", default="1234", help="which parts to run, e.g. 12")
    args = parser.parse_args(argv)
    rows = []
    if "1" in args.parts:
        rows += part1(*((10**5, 10) if args.small else (10**7, 10)))
    if "2" in args.parts:
        found, df = part2(args.small)
        rows += found
        if not args.small:
            target = ROOT / "data" / "benchmarks" / "bench_scaling.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            df.to_csv(target, index=False, float_format="%.6g", lineterminator="\n")
            rows.append(("2 vs pairwise", "measurements written to", target.relative_to(ROOT).as_posix()))
    if "3" in args.parts:
        rows += part3(args.small)
    if "4" in args.parts:
        rows += part4()
    table = pd.DataFrame(rows, columns=["part", "measurement", "result"])
    with pd.option_context("display.max_colwidth", 120, "display.width", 200):
        print(table.to_string(index=False))
    print(json.dumps({"cpu_count": os.cpu_count(), "python": sys.version.split()[0]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
