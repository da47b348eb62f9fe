"""Merge every paper's ``claims.json`` into one scorecard (CSV, Markdown, HTML, reST).

The headline counts **paper claims only** (kind ``paper``): "paper claims
reproduced: k of n". Checks (exact maths, our own model, our goals) are listed
in their own section and never counted in the headline. A claim in ``error``
(undefined value, broken computation) or not evaluated counts as not
reproduced. Claims files of other scales, where they exist, add a column per
scale to the per-paper table.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import pandas as pd

from .config import SCALES
from .io import load_json, save_csv, save_text

COLUMNS = ["paper", "id", "kind", "statement", "where", "paper_value", "ours", "criterion",
           "threshold", "holds", "status", "expected", "scale", "n", "statistic", "note", "error"]
TITLE = "Reproduction scorecard"
VERDICT = {"holds": "reproduced", "does not hold": "not reproduced", "error": "error",
           "not evaluated": "not evaluated"}


class StaleClaimsError(ValueError):
    pass


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _evidence(ev: dict | None) -> tuple[str, str]:
    """(n, statistic) as text."""
    if not ev:
        return "not stated", ""
    n = f"{ev['n']} {ev['unit']}"
    parts = []
    if ev.get("test"):
        parts.append(ev["test"])
    if ev.get("p") is not None:
        parts.append(f"p = {ev['p']:.3g}")
    if ev.get("ci") is not None:
        lo, hi = ev["ci"]
        parts.append(f"CI [{lo:.4g}, {hi:.4g}]")
    if ev["n"] == 1 and "seed" in ev["unit"]:
        parts.append("single seed")
    return n, ", ".join(parts)


def load_records(claims_files: Sequence[str | Path]) -> pd.DataFrame:
    rows = []
    for f in claims_files:
        for r in load_json(f)["claims"]:
            if "kind" not in r:
                raise StaleClaimsError(
                    f"{f}: claim {r.get('id')} has no 'kind' (written by an older version of the "
                    "claims code); rerun that paper's claims rule, e.g. "
                    "`snakemake -R <paper>_claims`")
            r = dict(r)
            r["n"], r["statistic"] = _evidence(r.pop("evidence", None))
            rows.append(r)
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["ours"] = df["ours"].map(_fmt)
    return df


def _counts(df: pd.DataFrame, kind: str) -> tuple[int, int]:
    d = df[df["kind"] == kind]
    return int((d["status"] == "holds").sum()), len(d)


def summary(df: pd.DataFrame, scale: str) -> str:
    """The headline: paper claims only; checks apart."""
    d = df[(df["kind"] == "paper") & (df["scale"] == scale)]
    k, n = int((d["status"] == "holds").sum()), len(d)
    err = int((d["status"] == "error").sum())
    ne = int((d["status"] == "not evaluated").sum())
    ck, cn = _counts(df[df["scale"] == scale], "check")
    extra = "".join([f"; {err} in error" if err else "", f"; {ne} not evaluated at this scale" if ne else ""])
    return (f"Paper claims reproduced at {scale} scale: {k} of {n}{extra}. "
            f"Checks (maths, our own models, our goals; not counted above): {ck} of {cn} hold.")


def per_paper(df: pd.DataFrame) -> pd.DataFrame:
    """One row per paper: paper claims k/n at every scale present, checks k/n."""
    scales = [s for s in SCALES if s in set(df["scale"])]
    rows = []
    for paper, g in df.groupby("paper", sort=False):
        row = {"paper": paper}
        for s in scales:
            gs = g[g["scale"] == s]
            if len(gs):
                k, n = _counts(gs, "paper")
                ck, cn = _counts(gs, "check")
                row[f"paper claims ({s})"] = f"{k}/{n}"
                row[f"checks ({s})"] = f"{ck}/{cn}"
            else:
                row[f"paper claims ({s})"] = row[f"checks ({s})"] = "not run"
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _md_table(frame: pd.DataFrame) -> list[str]:
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return out


def _verdict(r) -> str:
    v = VERDICT.get(r.status, r.status) if r.kind == "paper" else r.status
    if r.status == "error" and r.error:
        v += f" ({r.error})"
    if r.status != "holds" and r.note:
        v += f"; known limit: {r.note}"
    return v


def _claim_rows(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "paper": df["paper"], "claim": [f"{s} (`{i}`)" for s, i in zip(df["statement"], df["id"])],
        "where": df["where"], "paper's value": df["paper_value"], "ours": df["ours"],
        "criterion": df["criterion"], "threshold from": df["threshold"], "n": df["n"],
        "statistic": df["statistic"], "verdict": [_verdict(r) for r in df.itertuples()],
        "expected at this scale": ["yes" if e else "no" for e in df["expected"]]})


def _check_rows(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "paper": df["paper"], "check": [f"{s} (`{i}`)" for s, i in zip(df["statement"], df["id"])],
        "ours": df["ours"], "criterion": df["criterion"],
        "verdict": [_verdict(r) for r in df.itertuples()]})


def to_markdown(df: pd.DataFrame, scale: str) -> str:
    here = df[df["scale"] == scale]
    lines = [f"# {TITLE} ({scale} scale)", "", summary(df, scale), "", "## Per paper", ""]
    lines += _md_table(per_paper(df))
    lines += ["", "## Paper claims", "",
              "Judged with the paper's own number and threshold; a claim in error or not evaluated "
              "counts as not reproduced.", ""]
    lines += _md_table(_claim_rows(here[here["kind"] == "paper"]))
    lines += ["", "## Checks", "",
              "Exact maths, internal consistency, comparisons with our own models and goals of "
              "ours: not claims of the paper, not counted in the headline.", ""]
    lines += _md_table(_check_rows(here[here["kind"] == "check"]))
    return "\n".join(lines) + "\n"


def _html_table(frame: pd.DataFrame, status: Sequence[str] | None = None) -> str:
    colour = {"holds": "#d8f0d8", "does not hold": "#f6d5d5", "error": "#f3c08a"}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        bg = colour.get(status[i], "#eeeeee") if status is not None else "#ffffff"
        tds = "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        rows.append(f'<tr style="background:{bg}">{tds}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def to_html(df: pd.DataFrame, scale: str) -> str:
    here = df[df["scale"] == scale]
    papers, checks = here[here["kind"] == "paper"], here[here["kind"] == "check"]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
            "td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}</style></head><body>"
            f"<h1 id='scorecard'>{TITLE} ({html.escape(scale)} scale)</h1>"
            f"<p><b>{html.escape(summary(df, scale))}</b></p>"
            f"<h2>Per paper</h2>{_html_table(per_paper(df))}"
            f"<h2>Paper claims</h2>{_html_table(_claim_rows(papers), list(papers['status']))}"
            f"<h2>Checks (not counted in the headline)</h2>"
            f"{_html_table(_check_rows(checks), list(checks['status']))}"
            "</body></html>\n")


def to_rst(df: pd.DataFrame, scale: str) -> str:
    """The report's front page: the headline, the per-paper table and, per paper, its
    claims with their statistics."""
    def esc(s) -> str:
        return str(s).replace("\n", " ").replace("|", "/").replace("`", "'").replace("*", "\\*") or "-"

    def table(frame: pd.DataFrame) -> list[str]:
        out = [".. list-table::", "   :header-rows: 1", ""]
        for i, row in enumerate([list(frame.columns)] + [list(r) for r in frame.itertuples(index=False)]):
            out += [f"   {'*' if j == 0 else ' '} - {esc(v)}" for j, v in enumerate(row)]
        return out + [""]

    title = f"{TITLE} ({scale} scale)"
    lines = [title, "=" * len(title), "", summary(df, scale) + " Every verdict is computed from "
             "this run's results.", "", "Per paper", "---------", ""]
    lines += table(per_paper(df))
    here = df[df["scale"] == scale]
    for paper, g in here.groupby("paper", sort=False):
        lines += [paper, "-" * len(paper), ""]
        p = g[g["kind"] == "paper"]
        if len(p):
            lines += table(pd.DataFrame({
                "paper claim": p["id"], "paper's value": p["paper_value"], "ours": p["ours"],
                "criterion (threshold from)": [f"{c} ({t})" for c, t in zip(p["criterion"], p["threshold"])],
                "n": p["n"], "statistic": p["statistic"], "verdict": [_verdict(r) for r in p.itertuples()]}))
        c = g[g["kind"] == "check"]
        if len(c):
            lines += table(pd.DataFrame({"check": c["id"], "ours": c["ours"],
                                         "verdict": [_verdict(r) for r in c.itertuples()]}))
    return "\n".join(lines) + "\n"


def build_scorecard(claims_files: Sequence[str | Path], scale: str, csv: str | Path,
                    md: str | Path, html_path: str | Path, rst: str | Path | None = None,
                    other_scales: Sequence[str | Path] = ()) -> pd.DataFrame:
    """Write the scorecard of ``scale`` from its claims files; ``other_scales`` are
    claims files of other scales (where they exist) for the per-paper table."""
    df = load_records(claims_files)
    bad = sorted(set(df["scale"]) - {scale})
    if bad:
        raise ValueError(f"claims files of scale(s) {bad} given as the {scale} scorecard's input")
    if other_scales:
        df = pd.concat([df, load_records(other_scales)], ignore_index=True)
        df = df[df["paper"].isin(set(df.loc[df["scale"] == scale, "paper"]))]
    save_csv(df[df["scale"] == scale], csv)
    save_text(to_markdown(df, scale), md)
    save_text(to_html(df, scale), html_path)
    if rst:
        save_text(to_rst(df, scale), rst)
    return df[df["scale"] == scale].reset_index(drop=True)
