"""End-to-end: `snakemake cornn --config scale=smoke` in a scratch directory."""

from __future__ import annotations

import pytest

from tests.helpers import run_smoke


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    base, claims = run_smoke(tmp_workdir, "cornn")
    assert len(claims) == 14
    # wall-clock claims stay out of smoke (deterministic claims.json)
    timed_ids = {"cornn.speedup_vs_adam", "cornn.ahead_at_cornn_time",
                 "cornn.million_weights_subminute", "cornn.flipflop_time_linear", "cornn.beats_force"}
    assert {i for i, c in claims.items() if c["status"] == "not evaluated"} == timed_ids
    for fig in ("accuracy_time", "scaling", "flipflop", "timed"):
        assert (base / "figures" / f"{fig}.png").stat().st_size > 1000
    bench = (base / "tables/bench.csv").read_text().splitlines()
    assert bench[0].startswith("exp,rep,method") and len(bench) == 1 + 2 * 4
    solver_bench = (base / "tables/solver_bench.csv").read_text().splitlines()
    assert solver_bench[0].startswith("dataset,n,T,iterations") and len(solver_bench) == 1 + 2 * 14
    timed = (base / "timed/results.csv").read_text().splitlines()
    assert timed[0] == "experiment,alpha_sd,fraction,observed,rep,r2"
    assert all(c["status"] in ("holds", "does not hold", "not evaluated") for c in claims.values())
    # no checkpoints left behind
    assert not list(base.rglob("*.ckpt"))
