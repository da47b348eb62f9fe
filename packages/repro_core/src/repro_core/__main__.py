"""``python -m repro_core scorecard ...`` (merge claims.json files),
``python -m repro_core cost ...`` (what each job, rule and paper of a run cost) and
``python -m repro_core check-config FILE ...`` (YAML errors with file, line, column)."""

import argparse
import sys

from .config import SCALES, ConfigError, check_yaml_file
from .scorecard import build_scorecard


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="repro_core")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scorecard", help="merge claims.json files into the scorecard")
    s.add_argument("--scale", required=True, choices=SCALES)
    s.add_argument("--csv", required=True)
    s.add_argument("--md", required=True)
    s.add_argument("--html", required=True)
    s.add_argument("--rst")
    s.add_argument("--other", nargs="*", default=[],
                   help="claims.json files of other scales, for the per-paper table")
    s.add_argument("claims", nargs="*")
    k = sub.add_parser("cost", help="wall, CPU and peak memory per job, rule and paper, from the "
                       "runs' benchmark files and stage logs; prints the totals")
    k.add_argument("--scale", required=True, choices=SCALES)
    k.add_argument("--results", default="results", help="results folder (default: results)")
    k.add_argument("--csv", required=True, help="per-job table to write (or, with --totals, to read)")
    k.add_argument("--rst", help="report page to write")
    k.add_argument("--totals", action="store_true", help="only print the totals of an existing --csv")
    k.add_argument("--logs", help="file listing the workflow's job logs, one per line: only these jobs "
                   "count (default: every stage log under the results folder, stale ones included)")
    k.add_argument("papers", nargs="*")
    c = sub.add_parser("check-config", help="parse YAML config files (e.g. one given to "
                       "snakemake --configfile) and name the file, line and column of an error")
    c.add_argument("files", nargs="+")
    a = p.parse_args(argv)
    if a.cmd == "check-config":
        bad = 0
        for f in a.files:
            try:
                check_yaml_file(f)
                print(f"{f}: valid YAML")
            except (ConfigError, OSError) as exc:
                print(exc, file=sys.stderr)
                bad += 1
        raise SystemExit(1 if bad else 0)
    if a.cmd == "cost":
        import pandas as pd

        from .cost import read_log_list, totals, totals_text, write_cost
        t = (totals(pd.read_csv(a.csv)) if a.totals
             else write_cost(a.results, a.scale, a.papers, a.csv, a.rst,
                             read_log_list(a.logs) if a.logs else None))
        print(totals_text(t, a.scale))
        return
    df = build_scorecard(a.claims, a.scale, a.csv, a.md, a.html, a.rst, other_scales=a.other)
    print(f"scorecard: {len(df)} claims from {len(a.claims)} papers")


if __name__ == "__main__":
    main()
