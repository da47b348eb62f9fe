"""``python -m repro_core scorecard --scale S --csv F --md F --html F [--rst F] [--other F ...] claims.json ...``"""

import argparse

from .scorecard import build_scorecard


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="repro_core")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scorecard", help="merge claims.json files into the scorecard")
    s.add_argument("--scale", required=True)
    s.add_argument("--csv", required=True)
    s.add_argument("--md", required=True)
    s.add_argument("--html", required=True)
    s.add_argument("--rst")
    s.add_argument("--other", nargs="*", default=[],
                   help="claims.json files of other scales, for the per-paper table")
    s.add_argument("claims", nargs="*")
    a = p.parse_args(argv)
    df = build_scorecard(a.claims, a.scale, a.csv, a.md, a.html, a.rst, other_scales=a.other)
    print(f"scorecard: {len(df)} claims from {len(a.claims)} papers")


if __name__ == "__main__":
    main()
