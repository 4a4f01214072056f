"""Command line: ``python -m analysis.mse FILE.csv [--method ...|all] [--json]``.

For researchers who do not write Python. FILE is a capture-history table: one 0/1 column per
list and the count last (patterns not listed are zeros), as the published tables in
``analysis/data/mse``. Errors in the input print one clear line and exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

EPILOG = """\
examples:
  python -m analysis.mse analysis/data/mse/UKdat_5.csv
  python -m analysis.mse lists.csv --method bic --json
  python -m analysis.mse lists.csv --ci bca --n-boot 1000 --seed 1
  python -m analysis.mse analysis/data/mse/UKdat_5.csv --method all --seed 1
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.mse",
        description="Multiple systems estimate of a hidden population from overlapping lists.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="CSV capture-history table (0/1 list columns, count last)")
    parser.add_argument(
        "--method",
        default="stepwise",
        choices=("stepwise", "independence", "aic", "bic", "all"),
        help="model choice (default: stepwise, p < --pthresh); 'all' puts the log-linear "
        "models, the model average over decomposable graphs and the latent-class model side by "
        "side with a reading of their differences",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--ci",
        default="bootstrap",
        choices=("bootstrap", "profile", "wald", "percentile", "bca", "none"),
        help="interval: bootstrap with model selection repeated (default: percentile and BCa "
        "with Monte Carlo errors, replicates until each limit is precise), profile likelihood "
        "or Wald (conditional on the chosen model), or a single percentile/BCa bootstrap",
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level")
    parser.add_argument("--pthresh", type=float, default=0.02, help="stepwise threshold")
    parser.add_argument("--n-boot", type=int, default=None,
                        help="bootstrap replicates (default: adaptive for --ci bootstrap, 1000 otherwise)")
    parser.add_argument("--seed", type=int, default=None, help="bootstrap random seed")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default all)")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of unexpected errors")
    parser.add_argument(
        "--count-column", default=None, help="name of the count column if it is not the last one"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import MSEError, estimate, read_capture_csv

    try:
        table = read_capture_csv(args.file, args.count_column)
        if args.method == "all":
            from .ensemble import ensemble

            both = ensemble(table, alpha=args.alpha, pthresh=args.pthresh, n_boot=args.n_boot,
                            rng=args.seed, n_jobs=args.jobs)
            print(json.dumps(both.to_dict(), indent=2) if args.json else both.summary())
            return 0
        result = estimate(
            table,
            args.method,
            pthresh=args.pthresh,
            alpha=args.alpha,
            ci=args.ci,
            n_boot=args.n_boot,
            rng=args.seed,
            n_jobs=args.jobs,
        )
    except MSEError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, not bad input: say so briefly unless --debug
        if args.debug:
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug and please report it)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
