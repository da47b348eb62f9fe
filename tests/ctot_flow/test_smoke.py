"""End-to-end: `snakemake ctot_flow --config scale=smoke` in a scratch directory."""

import json

import numpy as np
import pytest

from repro_core.config import ConfigError, from_dict
from tests.helpers import assert_rerun_identical, run_smoke

from ctot_flow.claims import CLAIMS, compare, comparison_holds, ratio_ci
from ctot_flow.stages import SimulateConfig


def test_stage_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="simulate.bogus"):
        from_dict(SimulateConfig, {"dataset": "x", "process": "ou", "dim": 3, "n": 10, "bogus": 1},
                  where="simulate")


def _run(seed_values: dict, floor_hi=0.1, key="w2_mean"):
    return [{"w2_floor_hi": floor_hi, "methods": {m: {key: v[i]} for m, v in seed_values.items()}}
            for i in range(len(next(iter(seed_values.values()))))]


def test_ratio_ci_is_the_geometric_mean_with_a_t_interval():
    c = ratio_ci([1.0, 2.0, 4.0], [2.0, 2.0, 2.0])
    assert c["ratio"] == pytest.approx(1.0) and c["seeds"] == 3
    # log ratios -ln2, 0, ln2: mean 0, sd ln2, t(0.975, 2) = 4.303
    half = 4.302653 * np.log(2) / np.sqrt(3)
    assert c["ci"] == pytest.approx([np.exp(-half), np.exp(half)], rel=1e-5)
    with pytest.raises(ValueError):
        ratio_ci([1.0], [2.0])


def test_comparisons_count_only_above_the_sampling_floor():
    better = {"ctot": [0.20, 0.21, 0.19], "tcfm_ot": [0.30, 0.31, 0.29], "tcfm_sb": [0.40, 0.42, 0.41]}
    d = compare({"a": _run(better)}, "w2_mean")
    assert set(d["a"]) == {"tcfm_ot", "tcfm_sb"} and all(c["resolved"] for c in d["a"].values())
    assert comparison_holds(d)
    # the same numbers with a floor above the baselines: nothing resolved, nothing shown
    d = compare({"a": _run(better, floor_hi=0.5)}, "w2_mean")
    assert not any(c["resolved"] for c in d["a"].values()) and not comparison_holds(d)
    # a baseline at the floor is left out; one resolved loss fails the claim
    worse = {"ctot": [0.35, 0.36, 0.34], "tcfm_ot": [0.30, 0.31, 0.29], "tcfm_sb": [0.25, 0.26, 0.24]}
    d = compare({"a": _run(better), "b": _run(worse, floor_hi=0.27)}, "w2_mean")
    assert d["b"]["tcfm_ot"]["resolved"] and not d["b"]["tcfm_sb"]["resolved"]
    assert not comparison_holds(d)
    # a process without true paths (None) is skipped
    none = {"ctot": [None] * 3, "tcfm_ot": [None] * 3}
    assert compare({"ou": _run(none, key="traj_mean")}, "traj_mean", floor=False) == {}
    assert len({c.id for c in CLAIMS}) == len(CLAIMS) == 5


def test_claims_are_sourced():
    papers = [c for c in CLAIMS if c.kind == "paper"]
    assert len(papers) == 4 and all(c.where and c.threshold and c.evidence for c in papers)
    assert next(c for c in CLAIMS if c.id.endswith("otcfm_matches_torchcfm")).kind == "check"
    label = next(c for c in CLAIMS if c.id == "ctot_flow.label_error")
    assert "prototype" not in label.paper and "not the paper's" in label.threshold
    assert "no time-label error number" in label.paper


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    base, claims = run_smoke(tmp_workdir, "ctot_flow")
    assert list(claims) == [c.id for c in CLAIMS]
    assert all(c["status"] in ("holds", "does not hold") for c in claims.values()), claims
    for fig in ("time_labels", "trajectories", "wdist", "noise_sweep"):
        assert (base / "figures" / f"{fig}.png").stat().st_size > 1000
    table = (base / "tables/summary.csv").read_text().splitlines()
    # one row per data set and method: 3 processes x 5 methods + 2 noise levels x 3 methods
    assert table[0].startswith("dataset,process,time_noise,method,seeds") and len(table) == 1 + 15 + 6
    for s in (0, 1):
        res = json.loads((base / f"eval/half_circle/s{s}.json").read_text())
        assert set(res["methods"]) == {"ctot", "otcfm", "tcfm_ot", "tcfm_i", "tcfm_sb"}
        assert len(res["methods"]["ctot"]["w2"]) == 8 and res["train_seed"] == s
        assert 0 < res["w2_floor_mean"] < res["w2_floor_hi"]
    a, b = (json.loads((base / f"eval/half_circle/s{s}.json").read_text()) for s in (0, 1))
    assert a["methods"]["ctot"]["w2"] != b["methods"]["ctot"]["w2"]      # two training seeds differ
    assert a["w2_floor"] == b["w2_floor"]                                 # on the same data
    assert json.loads((base / "eval/ou/s0.json").read_text())["methods"]["ctot"]["traj"] is None
    assert not list(base.rglob("*.ckpt"))
    # same seed, same claims (byte for byte)
    assert_rerun_identical(tmp_workdir, "ctot_flow")
