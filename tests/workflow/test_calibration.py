"""Full-scale resources come from measured probes (issue 28): the extrapolation of
workflow/scripts/calibrate.py, and the rules' `measured(...)` reading its table."""

from __future__ import annotations

import csv
import importlib.util
import re

import pytest

from tests.helpers import REPO, run_snakemake

spec = importlib.util.spec_from_file_location("calibrate", REPO / "workflow" / "scripts" / "calibrate.py")
calibrate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(calibrate)
TABLE = REPO / "workflow" / "calibration" / "full_probes.csv"


def test_extrapolation_is_the_line_through_both_probes():
    # 10 s start-up + 1000 s per unit of work: probes at 1% and 2% read 20 and 30 CPU-s
    p1 = {"x": 0.01, "wall_s": 90.0, "cpu_s": 20.0, "rss_mb": 300.0}
    p2 = {"x": 0.02, "wall_s": 170.0, "cpu_s": 30.0, "rss_mb": 310.0}
    full = calibrate.extrapolate(p1, p2)
    assert full["cpu_s"] == pytest.approx(1010.0)      # CPU, not the contended wall time
    assert full["rss_mb"] == pytest.approx(1290.0)
    assert calibrate.request(full["wall_s"], full["rss_mb"], 2.0) == (34, 3000)


def test_memory_that_does_not_grow_is_not_extrapolated_downwards():
    p1 = {"x": 0.01, "wall_s": 5.0, "cpu_s": 5.0, "rss_mb": 500.0}
    p2 = {"x": 0.02, "wall_s": 9.0, "cpu_s": 9.0, "rss_mb": 480.0}
    assert calibrate.extrapolate(p1, p2)["rss_mb"] == 500.0
    with pytest.raises(ValueError):
        calibrate.extrapolate(p1, dict(p2, x=0.01))


def test_steady_memory_is_the_larger_probe_and_refit_recomputes_from_the_probes():
    p1 = {"x": 0.01, "cpu_s": 20.0, "rss_mb": 300.0}
    p2 = {"x": 0.02, "cpu_s": 30.0, "rss_mb": 310.0}
    assert calibrate.extrapolate(p1, p2, "steady")["rss_mb"] == 310.0
    assert calibrate.extrapolate(p1, p2, "steady")["cpu_s"] == pytest.approx(1010.0)
    with pytest.raises(SystemExit, match="allowed: linear, steady"):
        calibrate.extrapolate(p1, p2, "constant")
    import pandas as pd
    row = {c: None for c in calibrate.COLUMNS} | {
        "rule": "r_train", "paper": "r", "status": "probed", "fractions": "0.01 0.02",
        "probe_cpu_s": "20.0 30.0", "probe_rss_mb": "300 310", "runtime_min": 1, "mem_mb": 1}
    out = calibrate.refit(pd.DataFrame([row]), {"r_train": {"memory": "steady"}}, 2.0).iloc[0]
    assert (out["full_cpu_s"], out["full_rss_mb"]) == (1010.0, 310)
    assert (out["runtime_min"], out["mem_mb"]) == (34, 2000)
    lin = calibrate.refit(pd.DataFrame([row]), {}, 2.0).iloc[0]
    assert (lin["full_rss_mb"], lin["mem_mb"]) == (1290, 3000)


def _resources(out: str, rule: str) -> list[dict]:
    found = []
    for m in re.finditer(rf"^rule {rule}:\n(.*?)(?=^\S)", out, re.M | re.S):
        line = re.search(r"^\s+resources: (.*)$", m.group(1), re.M).group(1)
        found.append(dict(kv.split("=", 1) for kv in line.split(", ")))
    assert found, f"no job of {rule} planned"
    return found


def test_a_probed_rule_gets_its_measured_request_at_full_only(tmp_workdir, tmp_path):
    table = tmp_path / "probes.csv"
    table.write_text("rule,status,runtime_min,mem_mb\ncornn_fit,probed,77,7000\n"
                     "cornn_simulate,probe failed: timeout,1,1000\n")
    env = {"REPRO_FULL_PROBES": str(table)}
    full = run_snakemake(tmp_workdir, ["-n", "-p", "--forceall", "cornn", "--config", "scale=full"],
                         env=env, timeout=300).stdout
    assert all(r["runtime"] == "77" and r["mem_mb"] == "7000" for r in _resources(full, "cornn_fit"))
    assert all(r["runtime"] != "1" for r in _resources(full, "cornn_simulate"))   # not probed: hand-set
    quick = run_snakemake(tmp_workdir, ["-n", "-p", "--forceall", "cornn"], env=env, timeout=300).stdout
    assert all(r["runtime"] != "77" for r in _resources(quick, "cornn_fit"))


def test_the_committed_table_is_what_full_scale_requests(tmp_workdir):
    if not TABLE.exists():
        pytest.skip("no probe table committed yet (python workflow/scripts/calibrate.py)")
    with open(TABLE, newline="") as f:
        probed = {r["rule"]: r for r in csv.DictReader(f) if r["status"] == "probed"}
    out = run_snakemake(tmp_workdir, ["-n", "-p", "--forceall", "--config", "scale=full"], timeout=300).stdout
    for rule, r in probed.items():
        for res in _resources(out, rule):
            assert (int(res["runtime"]), int(res["mem_mb"])) == (int(float(r["runtime_min"])),
                                                                 int(float(r["mem_mb"]))), rule


def test_inputs_are_made_at_the_smallest_fraction_unless_the_consumer_needs_full_size(tmp_path):
    """A probe's inputs come from their producer at its smallest probe fraction; a consumer whose
    cost depends on the data's size (inputs_at_full) gets them from the whole producer job."""
    make = {"rule": "sim", "output": ["data.npz"], "input": []}
    fit = {"rule": "fit", "output": ["fit.csv"], "input": ["data.npz"]}
    ran = []
    for spec, want in (({"sim": {"knobs": ["T"], "fractions": [0.05, 0.1]}}, 0.05),
                       ({"sim": {"knobs": ["T"], "fractions": [0.05, 0.1]}, "fit": {"inputs_at_full": True}}, None)):
        prober = calibrate.Prober([make, fit], spec, tmp_path, timeout=1)
        prober.run = lambda job, fraction: ran.append((job["rule"], fraction))
        prober.ensure_inputs(fit)
        assert ran[-1] == ("sim", want)
