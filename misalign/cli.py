"""Command line: ``python -m misalign <command>``.

Commands: ``score`` (a scenario file), ``score-table`` (agents and conflicts
tables), ``reproduce`` (rebuild the compendium).
A bad input exits with status 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .core.means import WEIGHT_MEANS
from .core.validation import AREA_MEANS, MISSING, PAIRS


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pairs", default="distinct", choices=PAIRS,
                   help="distinct (default, reproduces the paper's numbers) or with_replacement (its printed formula)")
    p.add_argument("--weight-mean", default="geometric", choices=WEIGHT_MEANS)
    p.add_argument("--area-mean", default="arithmetic", choices=AREA_MEANS)
    p.add_argument("--normalize", action="store_true", help="rescale by k/(k-1) (Jang et al. 2017)")
    p.add_argument("--missing", default="g0", choices=MISSING,
                   help="an agent without a goal in an area: g0 (default, the paper's null goal) or exclude "
                        "(left out of that area's population: non-response)")


def _score(args) -> int:
    from .tables.scenarios import load_scenario

    sc = load_scenario(args.path)
    opts = dict(pairs=args.pairs, weight_mean=args.weight_mean, normalize=args.normalize, missing=args.missing)
    scores = sc.area_scores(**opts)
    overall = sc.misalignment(area_mean=args.area_mean, **opts)
    n = int(sc.counts.sum())
    extra = "" if args.missing == "g0" else f", missing={args.missing}"
    print(f"{sc.name}: {sc.title} ({n} agents, {len(sc.areas)} areas; pairs={args.pairs}, "
          f"weight_mean={args.weight_mean}, area_mean={args.area_mean}, normalize={args.normalize}{extra})")
    width = max(8, *(len(a.id) for a in sc.areas))
    print(f"{'area':<{width}}  goals   score")
    for area, s in zip(sc.areas, scores):
        print(f"{area.id:<{width}}  {len(area.goals):>5}  {s:.4f}")
    print(f"{'overall':<{width}}  {'':>5}  {overall:.4f}")
    return 0


def _score_table(args) -> int:
    import os

    from .tables.frame import score_frame
    from .util import atomic_write

    if args.out:  # a bad destination is reported before any scoring
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            raise ValueError(f"--out {args.out}: the folder {folder} does not exist; expected an existing folder")
        if os.path.isdir(args.out):
            raise ValueError(f"--out {args.out} is a folder; expected a file name such as scores.csv")
    out = score_frame(args.agents, args.conflicts, by=args.by or None, pairs=args.pairs, weight_mean=args.weight_mean,
                      area_mean=args.area_mean, normalize=args.normalize, missing=args.missing, sep=args.sep,
                      na_values=args.na_values, probability=args.probability, progress=sys.stderr.isatty())
    if args.out:
        atomic_write(args.out, lambda tmp: out.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n"))
        print(f"wrote {len(out)} rows to {args.out}")
    else:
        print(out.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return 0


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}; expected a whole number, at least 1")
    return int(text)


def _reproduce(args) -> int:
    from .compendium.runner import default_jobs, reproduce

    return reproduce(args.only or None, jobs=args.jobs or default_jobs())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m misalign", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="score a scenario TOML file (see data/scenarios/)")
    p.add_argument("path")
    _add_options(p)
    p.set_defaults(func=_score)
    p = sub.add_parser("score-table", help="score agents and conflicts tables (CSV or Parquet; see data/examples/)")
    p.add_argument("agents", help="agents table: columns agent, area, goal, weight (a path or glob)")
    p.add_argument("conflicts", help="conflicts table: columns area, goal_a, goal_b, conflict")
    p.add_argument("--by", nargs="+", metavar="COL", help="columns whose values are scored as separate groups")
    p.add_argument("--out", help="write the scores to this CSV file instead of printing them (all or nothing: "
                                 "a failure leaves an existing file as it was)")
    p.add_argument("--sep", help="the CSV delimiter (default: detected from the header: , ; tab or |)")
    p.add_argument("--probability", metavar="COL",
                   help="a column of goal probabilities (one row per agent, area and goal): the expected score")
    p.add_argument("--na-values", nargs="+", metavar="TEXT",
                   help="CSV texts that mean a missing value besides the empty cell (default: none)")
    _add_options(p)
    p.set_defaults(func=_score_table)
    p = sub.add_parser("reproduce", help="execute every notebook and publish its outputs if all succeed")
    p.add_argument("only", nargs="*", help="notebook name prefixes, e.g. 01 06 (default: all)")
    p.add_argument("--jobs", type=_positive_int, default=None,
                   help="notebooks run at once, each in its own process (default: one per CPU)")
    p.set_defaults(func=_reproduce)
    return parser


def main(argv=None) -> int:
    """Run the command line; every input or output problem is one line on stderr and exit status 2."""
    import warnings

    from .util import MissingExtraError

    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning
        try:
            return args.func(args)
        except (ValueError, MissingExtraError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            where = f" {exc.filename}:" if getattr(exc, "filename", None) else ""
            print(f"error:{where} {exc.strerror or exc}", file=sys.stderr)
            return 2


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main_exit() -> None:
    """Entry point of the ``misalign`` console script."""
    sys.exit(main())
