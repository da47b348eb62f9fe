"""End-to-end: `snakemake ctot_flow --config scale=smoke` in a scratch directory."""

import json

import pytest

from repro_core.config import ConfigError, from_dict
from tests.helpers import assert_rerun_identical, run_smoke

from ctot_flow.claims import CLAIMS, worst_ratio
from ctot_flow.stages import SimulateConfig


def test_stage_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="simulate.bogus"):
        from_dict(SimulateConfig, {"dataset": "x", "process": "ou", "dim": 3, "n": 10, "bogus": 1},
                  where="simulate")


def test_worst_ratio_ignores_missing_trajectories():
    res = [{"dataset": "a", "methods": {"ctot": {"traj_mean": 1.0}, "otcfm": {"traj_mean": 2.0}}},
           {"dataset": "b", "methods": {"ctot": {"traj_mean": None}, "otcfm": {"traj_mean": None}}}]
    assert worst_ratio(res, "traj_mean") == 0.5
    assert len({c.id for c in CLAIMS}) == len(CLAIMS) == 4


def test_claims_are_paper_claims_with_sources():
    assert all(c.kind == "paper" and c.where and c.threshold and c.evidence for c in CLAIMS)
    label = next(c for c in CLAIMS if c.id == "ctot_flow.label_error")
    assert "prototype" not in label.paper and "not the paper's" in label.threshold


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    base, claims = run_smoke(tmp_workdir, "ctot_flow")
    assert list(claims) == [c.id for c in CLAIMS]
    assert all(c["status"] in ("holds", "does not hold") for c in claims.values()), claims
    for fig in ("time_labels", "trajectories", "wdist", "noise_sweep"):
        assert (base / "figures" / f"{fig}.png").stat().st_size > 1000
    table = (base / "tables/summary.csv").read_text().splitlines()
    assert table[0].startswith("dataset,process,time_noise") and len(table) == 1 + 3 + 2
    res = json.loads((base / "eval/half_circle.json").read_text())
    assert set(res["methods"]) == {"ctot", "otcfm"} and len(res["methods"]["ctot"]["w2"]) == 8
    assert json.loads((base / "eval/ou.json").read_text())["methods"]["ctot"]["traj"] is None
    assert not list(base.rglob("*.ckpt"))
    # same seed, same claims (byte for byte)
    assert_rerun_identical(tmp_workdir, "ctot_flow")
