"""repro_core.cost: per-job cost from benchmark files and stage logs, and the makespan."""

import json
import os

import pandas as pd
import pytest

from repro_core.cli import RESOURCES_TAG, resources_line
from repro_core.cost import collect, last_run, totals, write_cost


def _job(base, name, stage, end, wall, cpu, rss, bench=None):
    (base / "logs").mkdir(parents=True, exist_ok=True)
    log = base / "logs" / f"{name}.log"
    log.write_text("progress...\n" + RESOURCES_TAG + " " + pd.Series(
        {"paper": "p", "stage": stage, "wall_s": wall, "cpu_s": cpu, "max_rss_mb": rss}).to_json() + "\n")
    os.utime(log, (end, end))
    if bench is not None:  # Snakemake's benchmark columns (wall s, ..., max_rss MB, ..., cpu_time)
        (base / "benchmarks").mkdir(exist_ok=True)
        tsv = base / "benchmarks" / f"{name}.tsv"
        tsv.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                       f"{bench[0]}\t0:00:01\t{bench[2]}\t1\t1\t1\t0\t0\t50\t{bench[1]}\n")
        os.utime(tsv, (end, end))


def test_benchmark_preferred_makespan_of_last_run(tmp_path):
    base = tmp_path / "results" / "p" / "quick"
    t0 = 1_700_000_000
    _job(base, "old_a", "train", t0, 100, 100, 10)                    # an earlier run, 3 h before
    _job(base, "a", "train", t0 + 3 * 3600 + 100, 100, 90, 50, bench=(110, 200, 60))
    _job(base, "b", "fit", t0 + 3 * 3600 + 150, 120, 120, 70)          # overlaps a: 2 cores
    _job(base, "c", "claims", t0 + 3 * 3600 + 160, 10, 5, 20)
    (base / "logs" / "failed.log").write_text("Traceback ...\n")       # no resources line: skipped
    jobs = collect(tmp_path / "results", "quick", ["p"])
    assert sorted(jobs["job"]) == ["a", "b", "c", "old_a"]
    a = jobs.set_index("job").loc["a"]
    assert (a["source"], a["wall_s"], a["cpu_s"], a["max_rss_mb"], a["rule"]) == ("benchmark", 110, 200, 60, "p_train")
    assert jobs.set_index("job").loc["b", "source"] == "stage"
    assert sorted(last_run(jobs)["job"]) == ["a", "b", "c"]
    t = totals(jobs)
    # the last run starts at a's start (end - 110) and ends at c's end
    assert t["makespan_s"] == pytest.approx(160 - (100 - 110))
    assert (t["jobs"], t["last_run_jobs"], t["cpu_s"], t["peak_rss_mb"]) == (4, 3, 425, 70)


def test_write_cost_tables(tmp_path):
    base = tmp_path / "results" / "p" / "smoke"
    _job(base, "x_1", "train", 1_700_000_100, 50, 40, 30)
    _job(base, "x_2", "train", 1_700_000_200, 50, 60, 35)
    t = write_cost(tmp_path / "results", "smoke", ["p"], tmp_path / "cost.csv", tmp_path / "cost.rst")
    assert t["makespan_s"] == pytest.approx(150)
    rst = (tmp_path / "cost.rst").read_text()
    assert "p_train" in rst and "Per paper" in rst
    back = pd.read_csv(tmp_path / "cost.csv")
    assert totals(back) == pytest.approx(t)


def test_resources_line_is_parseable():
    line = resources_line("cornn", "fit")
    assert line.startswith(RESOURCES_TAG)
    rec = json.loads(line[len(RESOURCES_TAG):])
    assert rec["stage"] == "fit" and rec["cpu_s"] > 0 and rec["max_rss_mb"] > 1


def test_only_the_workflows_logs_count(tmp_path):
    """A log an earlier grid left behind is not this workflow's cost when the log list is given."""
    base = tmp_path / "results" / "p" / "quick"
    _job(base, "train_D4_8", "train", 1_700_000_100, 50, 40, 30)      # stale: the grid changed
    _job(base, "train_D4_16", "train", 1_700_000_200, 50, 60, 35)
    _job(base, "claims", "claims", 1_700_000_210, 1, 1, 20)
    listed = tmp_path / "dag_logs.txt"
    listed.write_text(f"{base / 'logs' / 'train_D4_16.log'}\n{base / 'logs' / 'claims.log'}\n")
    from repro_core.cost import read_log_list
    assert sorted(collect(tmp_path / "results", "quick", ["p"])["job"]) == ["claims", "train_D4_16", "train_D4_8"]
    jobs = collect(tmp_path / "results", "quick", ["p"], read_log_list(listed))
    assert sorted(jobs["job"]) == ["claims", "train_D4_16"] and jobs["cpu_s"].sum() == 61
