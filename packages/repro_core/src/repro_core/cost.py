"""What a run cost, per job, rule and paper: ``python -m repro_core cost``.

Every job that runs a stage leaves a log ``results/<paper>/<scale>/logs/<job>.log`` whose last
line is written by :func:`repro_core.cli.resources_line` (stage name, wall, CPU, peak memory).
Most rules also have a Snakemake benchmark file ``.../benchmarks/<job>.tsv`` (same name as the
log); where it exists its numbers are used (it measures the whole job, subprocesses included),
otherwise the log line's (rules cached between workflows may not have a benchmark file).

The makespan is measured from the files' times: each job ends when its file was last written and
started ``wall`` seconds earlier; the run is the last stretch of time in which jobs follow each
other with gaps shorter than ``gap_s`` (an earlier run's results that were reused lie before it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pandas as pd

from .cli import RESOURCES_TAG

JOB_COLUMNS = ["paper", "rule", "job", "wall_s", "cpu_s", "max_rss_mb", "source", "start", "end"]


def _resources(log: Path) -> dict | None:
    """The last resources line of a stage log, or None (a failed job, or no stage ran)."""
    found = None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith(RESOURCES_TAG):
            found = json.loads(line[len(RESOURCES_TAG):])
    return found


def read_log_list(path: Path | str) -> set[Path]:
    """The log files of the workflow's jobs, one per line (the Snakefile's ``onstart`` writes
    them for every job of the DAG, run or reused)."""
    return {Path(line.strip()).resolve() for line in Path(path).read_text().splitlines() if line.strip()}


def collect(results: Path | str, scale: str, papers: Iterable[str],
            logs: set[Path] | None = None) -> pd.DataFrame:
    """One row per job that ran a stage to completion at ``scale``. With ``logs`` (absolute
    paths), only those jobs: logs an earlier workflow left behind (a grid since changed) are
    not this workflow's cost."""
    rows = []
    for paper in papers:
        base = Path(results, paper, scale)
        for log in sorted((base / "logs").glob("*.log")):
            if logs is not None and log.resolve() not in logs:
                continue
            res = _resources(log)
            if res is None:
                continue
            bench = base / "benchmarks" / f"{log.stem}.tsv"
            if bench.exists():
                b = pd.read_csv(bench, sep="\t").iloc[-1]
                wall, cpu, rss = float(b["s"]), float(b["cpu_time"]), float(b["max_rss"])
                end, source = bench.stat().st_mtime, "benchmark"
            else:
                wall, cpu, rss = res["wall_s"], res["cpu_s"], res["max_rss_mb"]
                end, source = log.stat().st_mtime, "stage"
            rows.append({"paper": paper, "rule": f"{paper}_{res['stage']}", "job": log.stem,
                         "wall_s": wall, "cpu_s": cpu, "max_rss_mb": rss, "source": source,
                         "start": end - wall, "end": end})
    return pd.DataFrame(rows, columns=JOB_COLUMNS)


def last_run(jobs: pd.DataFrame, gap_s: float = 300.0) -> pd.DataFrame:
    """The jobs of the last contiguous stretch of work (gaps between jobs < ``gap_s``)."""
    if jobs.empty:
        return jobs
    order = jobs.sort_values("start")
    reach, block, first = -float("inf"), 0, []
    for start, end in zip(order["start"], order["end"]):
        if start > reach + gap_s:
            block += 1
        first.append(block)
        reach = max(reach, end)
    return order[[b == block for b in first]]


def summarise(jobs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return (jobs.groupby(by, sort=True)
            .agg(jobs=("job", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"),
                 peak_rss_mb=("max_rss_mb", "max"))
            .reset_index())


def totals(jobs: pd.DataFrame, gap_s: float = 300.0) -> dict:
    run = last_run(jobs, gap_s)
    return {"jobs": int(len(jobs)), "wall_s": float(jobs["wall_s"].sum()),
            "cpu_s": float(jobs["cpu_s"].sum()),
            "peak_rss_mb": float(jobs["max_rss_mb"].max()) if len(jobs) else 0.0,
            "last_run_jobs": int(len(run)),
            "makespan_s": float(run["end"].max() - run["start"].min()) if len(run) else 0.0}


def _hours(s: float) -> str:
    return f"{s / 60:.1f} min" if s < 5400 else f"{s / 3600:.2f} h"


def totals_text(t: dict, scale: str) -> str:
    return (f"cost at {scale} scale: {t['jobs']} jobs, {_hours(t['wall_s'])} of job wall time, "
            f"{t['cpu_s'] / 3600:.2f} CPU-hours, peak memory {t['peak_rss_mb']:.0f} MB; "
            f"makespan of the last run ({t['last_run_jobs']} jobs): {_hours(t['makespan_s'])}")


def write_cost(results: Path | str, scale: str, papers: Iterable[str], csv: Path | str,
               rst: Path | str | None = None, logs: set[Path] | None = None) -> dict:
    """Write the per-job table (csv) and the report page (rst); return the totals."""
    jobs = collect(results, scale, papers, logs)
    t = totals(jobs)
    Path(csv).parent.mkdir(parents=True, exist_ok=True)
    jobs.round(3).to_csv(csv, index=False)
    if rst is not None:
        per_paper = summarise(jobs, ["paper"])
        per_rule = summarise(jobs, ["paper", "rule"])
        lines = [f"Cost of the {scale} run", "=" * len(f"Cost of the {scale} run"), "",
                 totals_text(t, scale) + ".", "",
                 "Wall and CPU seconds are summed over jobs; peak memory is the largest job's "
                 "resident set. Numbers come from Snakemake benchmark files, or from the stage's "
                 "own resource line where a rule has none (see ``source`` in cost.csv).", ""]
        for title, df in (("Per paper", per_paper), ("Per rule", per_rule)):
            lines += [title, "-" * len(title), "", _rst_table(df.round(1)), ""]
        Path(rst).write_text("\n".join(lines))
    return t


def _rst_table(df: pd.DataFrame) -> str:
    cells = [list(map(str, df.columns))] + [[str(v) for v in row] for row in df.itertuples(index=False)]
    width = [max(len(r[i]) for r in cells) for i in range(len(df.columns))]
    rule = " ".join("=" * w for w in width)
    fmt = lambda r: " ".join(c.ljust(w) for c, w in zip(r, width)).rstrip()
    return "\n".join([rule, fmt(cells[0]), rule, *map(fmt, cells[1:]), rule])
