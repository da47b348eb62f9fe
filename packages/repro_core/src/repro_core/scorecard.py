"""Merge every paper's ``claims.json`` into one scorecard (CSV, Markdown, HTML)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import pandas as pd

from .io import load_json, save_csv, save_text

COLUMNS = ["paper", "id", "statement", "paper_value", "ours", "criterion", "holds",
           "expected", "status", "scale", "error"]
TITLE = "Reproduction scorecard"


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def load_records(claims_files: Sequence[str | Path]) -> pd.DataFrame:
    rows = []
    for f in claims_files:
        rows.extend(load_json(f)["claims"])
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["ours"] = df["ours"].map(_fmt)
    return df


def summary(df: pd.DataFrame) -> str:
    n = len(df)
    held = int((df["status"] == "holds").sum())
    failed = int((df["status"] == "does not hold").sum())
    other = n - held - failed
    return f"{held} of {n} claims hold, {failed} do not hold, {other} not evaluated or in error"


def to_markdown(df: pd.DataFrame, scale: str) -> str:
    lines = [f"# {TITLE} ({scale} scale)", "", summary(df), "",
             "| paper | claim | paper's figure | ours | criterion | holds | expected at this scale |",
             "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        holds = {"holds": "yes", "does not hold": "**no**"}.get(r.status, r.status)
        cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
        lines.append(f"| {r.paper} | {cell(r.statement)} (`{r.id}`) | {cell(r.paper_value)} | "
                     f"{cell(r.ours)} | {cell(r.criterion)} | {holds} | {'yes' if r.expected else 'no'} |")
    return "\n".join(lines) + "\n"


def to_html(df: pd.DataFrame, scale: str) -> str:
    colour = {"holds": "#d8f0d8", "does not hold": "#f6d5d5"}
    rows = []
    for r in df.itertuples():
        bg = colour.get(r.status, "#eeeeee")
        cells = [r.paper, f"{r.statement}<br><code>{html.escape(r.id)}</code>", r.paper_value,
                 r.ours, r.criterion, r.status + ("" if not r.error else f" ({r.error})"),
                 "yes" if r.expected else "no"]
        tds = "".join(f"<td>{c if i == 1 else html.escape(str(c))}</td>" for i, c in enumerate(cells))
        rows.append(f'<tr style="background:{bg}">{tds}</tr>')
    head = "".join(f"<th>{h}</th>" for h in ["paper", "claim", "paper's figure", "ours",
                                               "criterion", "verdict", "expected at this scale"])
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}</style></head><body>"
            f"<h1 id='scorecard'>{TITLE} ({html.escape(scale)} scale)</h1><p>{summary(df)}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "</body></html>\n")


def to_rst(df: pd.DataFrame, scale: str) -> str:
    """The scorecard as reStructuredText, the front page of Snakemake's report."""
    def esc(s: str) -> str:
        return str(s).replace("\n", " ").replace("|", "/").replace("`", "'") or "-"

    lines = [TITLE + f" ({scale} scale)", "=" * (len(TITLE) + len(scale) + 9), "",
             summary(df) + ". Every verdict is computed from this run's results; the full table "
             "(statements, criteria) is under the Scorecard category.", "",
             ".. list-table::", "   :header-rows: 1", "",
             "   * - claim", "     - paper's figure", "     - ours", "     - verdict"]
    for r in df.itertuples():
        verdict = esc(r.status) + ("" if r.expected else " (not expected at this scale)")
        lines += [f"   * - {esc(r.id)}", f"     - {esc(r.paper_value)}", f"     - {esc(r.ours)}",
                  f"     - {verdict}"]
    return "\n".join(lines) + "\n"


def build_scorecard(claims_files: Sequence[str | Path], scale: str, csv: str | Path,
                    md: str | Path, html_path: str | Path, rst: str | Path | None = None) -> pd.DataFrame:
    df = load_records(claims_files)
    save_csv(df, csv)
    save_text(to_markdown(df, scale), md)
    save_text(to_html(df, scale), html_path)
    if rst:
        save_text(to_rst(df, scale), rst)
    return df
