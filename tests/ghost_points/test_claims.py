"""Claims and analysis stages: incomplete tables fail naming the file, missing
data is an error (never "does not hold"), and the ghost / fixed-point reading
of the rank-one latent flow on constructed flows."""

import json

import numpy as np
import pandas as pd
import pytest

import repro_core
from ghost_points import rnn, slow
from ghost_points.claims import CLAIMS, build_context
from ghost_points.analysis import RUN_COLUMNS, ghost_summary
from ghost_points.stages import claims, run_grid

from tests.helpers import stage_config


def _runs(cfg) -> pd.DataFrame:
    rows = []
    conds = [tuple(c) + (("latent",) if len(c) == 2 else ()) for c in cfg.conditions]
    for c, (K, a, ro) in enumerate(conds):
        for lr in cfg.lrs:
            for s in range(cfg.n_seeds):
                learned = (a < 10 and ro == "latent") or K > 1 or lr < 0.015
                rows.append({"cond": c, "K": K, "conf": a, "readout": ro, "lr": lr, "seed": s,
                             "acc": 1.0 if learned else 0.5, "learned": learned, "loss0": 1.0,
                             "loss_final": 0.005 if learned else 1.0, "learned_paper": learned,
                             "drop_epoch": 100 if learned else -1})
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


CFG = dict(lrs=[0.01, 0.02, 0.1], n_seeds=6, remedy_lrs=[0.02, 0.1],
           conditions=[[1, 10.0], [1, 3.0], [1, 1.0, "linear"], [10, 1.0, "linear"]], scale="smoke")


def _summary():
    s = {"nf_slope": -0.5, "unit_slope": -0.5, "unit_ratio_small_eps": 1.0, "sweep_conf10_threshold": 1.5,
         "plateau_steps": [10, 20], "plateau_width": [2, 3], "sweep_limit_fail_max_0.1_0.9": 0.0,
         "sweep_limit_fail_min_1.1_10": 1.0, "sweep_limit_threshold": 1.0, "sweep_limit_n_runs_0.1_0.9": 10,
         "sweep_limit_n_runs_1.1_10": 10, "osc_runs_oscillating": 5, "osc_n_runs": 5, "osc_flip_frac_min": 0.7,
         "osc_amp_ratio_min": 0.9, "osc_final_loss_min": 0.01}
    for a, k in ((10, 9), (1, 0)):
        s[f"sweep_conf{a}_fails_supercritical"], s[f"sweep_conf{a}_n_supercritical"] = k, 10
    return s


def _write(tmp_path, rt, pe=None):
    paths = {k: tmp_path / f"{k}.csv" for k in ("runs", "slowtab", "epochs")}
    repro_core.save_csv(rt, paths["runs"])
    repro_core.save_csv(pd.DataFrame(columns=["run", "epoch", "kind", "n_fixed_latent"]), paths["slowtab"])
    if pe is None:
        pe = pd.DataFrame(columns=["run", "epoch", "loss", "dropped", "n_fixed", "fixed_on_path",
                                   "ghost_on_path", "min_speed_path"])
    repro_core.save_csv(pe, paths["epochs"])
    repro_core.save_json(_summary(), tmp_path / "summary.json")
    return paths


def test_truncated_run_table_fails_naming_the_file(tmp_path):
    cfg = stage_config("ghost_points", "claims", **CFG)
    rt = _runs(cfg)
    p = _write(tmp_path, rt.iloc[:-5])                 # a file cut at a line break loses whole rows
    with pytest.raises(repro_core.IncompleteTableError, match="runs.csv"):
        claims(cfg, tmp_path / "summary.json", p["runs"], p["slowtab"], p["epochs"], tmp_path / "c.json")
    raw = (tmp_path / "runs.csv").read_bytes()
    (tmp_path / "runs.csv").write_bytes(raw[:-7])      # cut mid-line
    with pytest.raises(repro_core.IncompleteTableError, match="runs.csv"):
        claims(cfg, tmp_path / "summary.json", p["runs"], p["slowtab"], p["epochs"], tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


def test_missing_data_is_an_error_and_remedies_are_judged(tmp_path):
    cfg = stage_config("ghost_points", "claims", **CFG)
    p = _write(tmp_path, _runs(cfg))                   # no dropping rank-one run was replayed
    claims(cfg, tmp_path / "summary.json", p["runs"], p["slowtab"], p["epochs"], tmp_path / "c.json")
    recs = {c["id"].split(".")[1]: c for c in json.loads((tmp_path / "c.json").read_text())["claims"]}
    for k in ("rnn_ghost_before_drop", "rnn_no_bifurcation", "rnn_oscillatory_minimum"):
        assert recs[k]["status"] == "error" and "NaN/None" in recs[k]["error"]
    # 12 of 12 baseline runs fail at the remedy lrs, 0 of 12 with either remedy
    for k in ("rnn_confidence_remedy", "rnn_rank_remedy"):
        assert recs[k]["status"] == "holds" and recs[k]["evidence"]["p"] < 1e-5
        assert recs[k]["evidence"]["n"] == 12
    assert recs["rnn_critical_lr"]["status"] == "holds"
    assert all(c["kind"] in ("paper", "check") for c in recs.values())


def test_remedy_without_effect_does_not_hold():
    cfg = stage_config("ghost_points", "claims", **CFG)
    rt = _runs(cfg)
    rt.loc[rt.conf == 3.0, "learned"] = rt.loc[(rt.conf == 10.0), "learned"].to_numpy()
    ctx = build_context(_summary(), rt, ghost_summary(rt, pd.DataFrame(), pd.DataFrame(columns=['run'])), cfg)
    recs = {r["id"]: r for r in repro_core.evaluate_claims(CLAIMS, ctx, "smoke", "ghost_points")}
    assert recs["ghost_points.rnn_confidence_remedy"]["status"] == "does not hold"
    assert recs["ghost_points.rnn_confidence_remedy"]["evidence"]["p"] == pytest.approx(1.0)


def test_path_flow_reads_ghost_and_fixed_point():
    # m = w 1, n = (c/N) 1: g(k) = -k + c tanh(w k + b). Lower saddle-node where c w sech^2 = 1:
    # tanh(w k + b) = -t, t = sqrt(1 - 1/(c w)), k = -c t, b_sn = w c t - atanh(t); the upper fixed
    # point lies near k = c > 1, off the trial's path [kappa0, 1].
    N, w, c = 20, 2.0, 1.5
    t = np.sqrt(1 - 1 / (c * w))
    k_sn, b_sn = -c * t, w * c * t - np.arctanh(t)
    m, n = np.full(N, w), np.full(N, c / N)
    eps = 1e-3
    ghost = slow.path_flow(m, n, np.full(N, b_sn + eps), kappa0=-2.0)
    assert ghost["ghost_on_path"] and not ghost["fixed_on_path"] and ghost["n_fixed"] == 1
    assert ghost["min_speed_path"] == pytest.approx(eps / w, rel=0.05)   # g ~ eps c sech^2 = eps / w
    fixed = slow.path_flow(m, n, np.full(N, b_sn - 1e-2), kappa0=-2.0)
    assert fixed["fixed_on_path"] and not fixed["ghost_on_path"] and fixed["n_fixed"] == 3
    assert slow.latent_flow(np.array([k_sn]), m, n, np.full(N, b_sn))[0] == pytest.approx(0, abs=1e-12)


def test_replay_reproduces_training():
    P = rnn.stack_params([rnn.init_params(s, 12, 1) for s in range(3)])
    M, C = np.ones((3, 1), np.float32), np.full(3, 10.0, np.float32)
    L, Lin = np.full(3, 0.05, np.float32), np.zeros(3, np.float32)
    P1, loss = rnn.make_trainer(5, 0.5, -0.3, 20)(P, M, C, L, Lin)
    Ps, loss_r = rnn.make_replayer(5, 0.5, -0.3, 21)(P, M, C, L, Lin)
    np.testing.assert_allclose(np.asarray(loss_r)[:, :20], np.asarray(loss), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(Ps["U"])[:, 20], np.asarray(P1["U"]), rtol=1e-4, atol=1e-7)
