"""Stage-level behaviour: determinism, checkpoint/resume, config errors, claims wiring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from cornn import bptt, claims, flipflop, random_nets, stages
from repro_core.cli import run_stage
from repro_core.config import ConfigError


def test_simulate_stage_is_deterministic(tmp_path):
    params = {"n": 12, "T": 100, "sigma_in": 1e-2, "sigma_conv": 1e-4, "g": 3.0, "alpha": 0.1, "seed": 3,
              "exp": "exp1a", "rep": 0}
    for name in ("a", "b"):
        run_stage(stages.STAGES["simulate"], "simulate", params, {"data": tmp_path / f"{name}.npz"})
    a, b = (np.load(tmp_path / f"{k}.npz") for k in "ab")
    np.testing.assert_array_equal(a["r"], b["r"])
    np.testing.assert_array_equal(a["W"], b["W"])
    assert np.all(np.diag(a["W"]) == 0)


def test_unknown_config_key_is_named():
    with pytest.raises(ConfigError, match="simulate.nn"):
        run_stage(stages.STAGES["simulate"], "simulate", {"nn": 3, "n": 3, "T": 5, "sigma_in": 0,
                                                          "sigma_conv": 0, "g": 3.0, "alpha": 0.1}, {"data": Path("x.npz")})


def test_bptt_resume_from_checkpoint_matches_uninterrupted_run(tmp_path):
    def run(ckpt, steps):
        gen = torch.Generator().manual_seed(0)
        params = bptt.init_params(8, 3, 3, 1.0, gen)

        def loss_fn(prm, batch_gen):
            rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=batch_gen)))
            u, y = flipflop.task_batch(4, 10, 3, 0.2, rng)
            r = flipflop.run_torch(prm, torch.as_tensor(u), 0.5)
            return torch.mean((r @ prm["W_out"].T - torch.as_tensor(y)) ** 2)

        hist = bptt.train(params, loss_fn, steps, 1e-2, ckpt, seed=1, ckpt_every=3)
        return bptt.to_numpy(params), hist

    full, hist_full = run(tmp_path / "a.ckpt", 7)          # writes checkpoints at 3 and 6
    ckpt = tmp_path / "a.ckpt"
    assert ckpt.exists()
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 6
    resumed, hist_res = run(ckpt, 7)                          # resumes at step 6, runs 1 step
    assert hist_res == hist_full
    for k in full:
        np.testing.assert_array_equal(full[k], resumed[k])


def test_benchmark_summary_lower_bound_and_speedup():
    tr = pd.DataFrame({
        "exp": "e", "rep": 0,
        "method": ["cornn"] * 3 + ["adam_ce"] * 3,
        "iteration": [0, 1, 2] * 2,
        "time_s": [0.1, 0.2, 0.3, 1.0, 10.0, 30.0],
        "r": [0.9, 0.96, 0.97, 0.5, 0.8, 0.9], "r_star": 0.95, "r_cornn_final": 0.97})
    s = random_nets.summarize(tr).set_index("method")      # r* from the traces' column
    assert s.loc["cornn", "time_to_r_star_s"] == pytest.approx(0.2)
    assert not s.loc["adam_ce", "reached"]
    assert s.loc["adam_ce", "speedup_is_lower_bound"]
    assert s.loc["adam_ce", "speedup_vs_cornn"] == pytest.approx(150.0)
    assert np.isnan(s.loc["adam_ce", "r_at_cornn_time"])  # Adam had no point by 0.2 s
    assert s.loc["cornn", "r_at_cornn_time"] == pytest.approx(0.96)
    # at CORNN's converged r (0.97, reached at 0.3 s): Adam never got there -> 30/0.3 bound
    assert s.loc["cornn", "speedup_at_cornn_final"] == pytest.approx(1.0)
    assert not s.loc["adam_ce", "reached_cornn_final"]
    assert s.loc["adam_ce", "speedup_at_cornn_final"] == pytest.approx(100.0)


def test_force_from_a_start_above_r_star_is_judged_at_cornns_final_r():
    """FORCE starting above r* passes r* at once (speed-up < 1, vacuous); at CORNN's final r
    it is behind when it never gets there."""
    tr = pd.DataFrame({
        "exp": "e", "rep": 0, "method": ["cornn"] * 3 + ["force"] * 3,
        "iteration": [0, 1, 2] * 2, "time_s": [0.1, 0.2, 1.4, 0.1, 5.0, 10.0],
        "r": [0.985, 0.987, 0.989, 0.985, 0.985, 0.984], "r_star": 0.97, "r_cornn_final": 0.989})
    s = random_nets.summarize(tr)
    f = s.set_index("method").loc["force"]
    assert f["reached"] and f["speedup_vs_cornn"] == pytest.approx(1.0)   # vacuous at r*
    assert not f["reached_cornn_final"]
    ctx = {"bench": s}
    v = claims.force_comparison(ctx)
    assert v["cornn_ahead"] == 1 and v["force_reached_cornn_final"] == 0
    reached = s.assign(reached_cornn_final=True, speedup_at_cornn_final=2.0)
    assert claims.force_comparison({"bench": reached})["cornn_ahead"] == 0


def claims_inputs(tmp_path: Path, speedups=(250.0, 300.0)) -> tuple[dict, dict]:
    """Small but complete result tables for the claims stage, and its params."""
    methods = ["cornn", "adam_ce", "force"]
    rows = []
    for exp, sp in zip(["exp1a", "exp1c"], speedups):
        for m in methods:
            rows.append({"exp": exp, "rep": 0, "method": m, "r_star": 0.95, "reached": m == "cornn",
                         "time_to_r_star_s": 0.2 if m == "cornn" else np.nan,
                         "total_time_s": 0.3 if m == "cornn" else 30.0,
                         "r_init": 0.87 if m == "cornn" else 0.5,
                         "r_final": 0.985 if m == "cornn" else 0.9,
                         "r_at_cornn_time": 0.96 if m == "cornn" else np.nan,
                         "speedup_vs_cornn": 1.0 if m == "cornn" else sp,
                         "speedup_is_lower_bound": m != "cornn", "r_cornn_final": 0.985,
                         "reached_cornn_final": m == "cornn",
                         "time_to_cornn_final_s": 0.3 if m == "cornn" else np.nan,
                         "speedup_at_cornn_final": 1.0 if m == "cornn" else 100.0,
                         "r_best": 0.985 if m == "cornn" else 0.9})
    paths = {"bench": tmp_path / "bench.csv", "scaling": tmp_path / "scaling.csv",
             "timed_results": tmp_path / "timed.csv", "claims_json": tmp_path / "claims.json"}
    pd.DataFrame(rows).to_csv(paths["bench"], index=False)
    pd.DataFrame({"n": [100, 1000], "T": [2000, 20000], "r_init": 0.9, "r_final": [0.99, 0.995],
                  "time_to_target_s": [1.0, 20.0], "total_time_s": [1.0, 25.0]}
                 ).to_csv(paths["scaling"], index=False)
    ff = tmp_path / "ff.csv"
    pd.DataFrame({"n": 100, "trials": [10, 20, 40], "r": [0.9, 0.95, 0.995], "output_corr": 0.999,
                  "fp_states": 8, "fp_generator": 8, "fp_recovered": [6, 8, 8],
                  "time_s": [1.0, 2.0, 4.0]}).to_csv(ff, index=False)
    timed = [{"experiment": "subsampling", "alpha_sd": 0.0, "fraction": f, "observed": int(f * 300),
              "rep": rep, "r2": r2} for f, r2 in [(0.02, 0.4), (1.0, 0.9)] for rep in range(2)]
    timed += [{"experiment": "mismatch", "alpha_sd": s, "fraction": 1.0, "observed": 300,
               "rep": rep, "r2": r2} for s, r2 in [(0.0, 0.9), (0.03, 0.75), (0.05, 0.1)]
              for rep in range(2)]
    pd.DataFrame(timed).to_csv(paths["timed_results"], index=False)
    paths["flipflop"] = [ff]             # a list input (Stage.many): one file per network size
    params = {"experiments": ["exp1a", "exp1c"],
              "reps": {"exp1a": 1, "exp1c": 1}, "methods": methods, "scaling_n": [100, 1000],
              "flipflop_trials": [10, 20, 40], "timed_fractions": [0.02, 1.0],
              "timed_alpha_sd": [0.0, 0.03, 0.05], "timed_reps": 2, "scale": "quick"}
    return paths, params


def test_claims_use_computed_values(tmp_path):
    paths, params = claims_inputs(tmp_path)
    run_stage(stages.STAGES["claims"], "claims", params, paths)
    rec = {r["id"]: r for r in json.loads(paths["claims_json"].read_text())["claims"]}
    assert all(r["status"] != "error" for r in rec.values()), rec
    assert all(r["kind"] == "paper" and r["where"] and r["threshold"] for r in rec.values())
    assert rec["cornn.speedup_vs_adam"]["ours"]["median"] == 275.0
    assert rec["cornn.speedup_vs_adam"]["holds"] and rec["cornn.speedup_vs_adam"]["ours"]["lower_bound"]
    assert rec["cornn.ahead_at_cornn_time"]["ours"]["cornn_ahead"] == 2
    assert rec["cornn.flipflop_time_linear"]["ours"]["exponent"] == pytest.approx(1.0)
    assert rec["cornn.flipflop_fixed_points"]["holds"]   # most trials: 8 of 8
    assert rec["cornn.timed_alpha_mismatch"]["holds"]
    assert rec["cornn.timed_subsampling"]["holds"]       # 0.4 >= 0.33, gap 0.5
    assert rec["cornn.exp1a_accuracy"]["holds"] and rec["cornn.iterations_improve_init"]["holds"]
    assert rec["cornn.exp1a_accuracy"]["evidence"]["n"] == 1


def test_speedup_nan_counts_as_failure_not_dropped(tmp_path):
    """A data set where CORNN never reached r* (speed-up NaN) must pull the median down,
    not vanish from it: speed-ups (NaN, 300) have median 150 with NaN -> 0, 300 if dropped."""
    from cornn.claims import CLAIMS
    from repro_core import evaluate_claims

    paths, params = claims_inputs(tmp_path, speedups=(np.nan, 300.0))
    ctx = stages.read_results(stages.ClaimsConfig(**{k: v for k, v in params.items()}),
                              paths["bench"], paths["scaling"], paths["timed_results"], paths["flipflop"])
    rec = {r["id"]: r for r in evaluate_claims(CLAIMS, ctx, "quick", "cornn")}
    sp = rec["cornn.speedup_vs_adam"]
    assert sp["status"] == "holds" and sp["ours"]["median"] == 150.0
    assert sp["ours"]["cornn_failed_r_star"] == 1 and sp["ours"]["exp1a"] == 0.0
    ahead = rec["cornn.ahead_at_cornn_time"]["ours"]
    assert ahead["cornn_ahead"] == 1 and ahead["datasets"] == 2


def test_speedup_below_100_fails(tmp_path):
    """Adam reaching r* within 100x CORNN's time (speed-ups 40 and 60) fails the claim."""
    from cornn.claims import CLAIMS
    from repro_core import evaluate_claims

    paths, params = claims_inputs(tmp_path, speedups=(40.0, 60.0))
    ctx = stages.read_results(stages.ClaimsConfig(**params),
                              paths["bench"], paths["scaling"], paths["timed_results"], paths["flipflop"])
    rec = {r["id"]: r for r in evaluate_claims(CLAIMS, ctx, "quick", "cornn")}
    assert rec["cornn.speedup_vs_adam"]["status"] == "does not hold"
    assert rec["cornn.speedup_vs_adam"]["ours"]["median"] == 50.0


def test_truncated_timed_results_fail_the_claims_stage_naming_the_file(tmp_path):
    """A results CSV cut at a line break (whole rows lost, still ends in a newline) must
    make `python -m cornn claims` fail naming the file, not flip a claim silently."""
    import subprocess
    import sys

    paths, params = claims_inputs(tmp_path)
    lines = paths["timed_results"].read_text().splitlines(keepends=True)
    paths["timed_results"].write_text("".join(lines[:-1]))   # drop the last row
    cmd = [sys.executable, "-m", "cornn", "claims", "--params", json.dumps(params)]
    for k, p in paths.items():
        for f in (p if isinstance(p, list) else [p]):
            cmd += ["--out" if k == "claims_json" else "--in", f"{k}={f}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode != 0
    assert str(paths["timed_results"]) in proc.stderr and "missing" in proc.stderr
    assert not paths["claims_json"].exists()


def test_flipflop_fixed_points_recovered_by_itself_not_by_a_scrambled_network():
    """The generator matches itself 2^K of 2^K; a network with its recurrent weights
    shuffled has lost the memory states."""
    rng = np.random.default_rng(0)
    # a hand-built 3-bit flip-flop (zero diagonal): 3 mutually exciting pairs of neurons,
    # each pair's readout one bit
    n, K = 6, 3
    W = np.zeros((n, n))
    for k in range(K):
        W[2 * k, 2 * k + 1] = W[2 * k + 1, 2 * k] = 2.0
    W_in = np.zeros((n, K))
    W_out = np.zeros((K, n))
    for k in range(K):
        W_in[2 * k:2 * k + 2, k] = 4.0
        W_out[k, 2 * k:2 * k + 2] = 0.5
    gen = {"W": W, "W_in": W_in, "W_out": W_out}
    same = flipflop.fixed_point_recovery(gen, W, W_in, alpha=0.5)
    assert same == {"fp_states": 8, "fp_generator": 8, "fp_recovered": 8}
    W_bad = rng.permutation(W.ravel()).reshape(n, n) * 0.1
    bad = flipflop.fixed_point_recovery(gen, W_bad, W_in, alpha=0.5)
    assert bad["fp_generator"] == 8 and bad["fp_recovered"] < 8


def _figure_inputs(tmp_path):
    paths, params = claims_inputs(tmp_path)
    traces = []
    for exp in params["experiments"]:
        t = tmp_path / f"{exp}_rep0.csv"
        pd.DataFrame([{"exp": exp, "rep": 0, "method": m, "iteration": i, "time_s": 0.1 * (i + 1),
                       "r": np.nan if (m == "force" and i == 0) else 0.9 + 0.01 * i,
                       "slope": 1.0, "rmse": 0.1, "r_star": 0.95, "r_cornn_final": 0.985}
                      for m in params["methods"] for i in range(3)]
                     ).to_csv(t, index=False)
        traces.append(t)
    params = {k: v for k, v in params.items() if k != "scale"}
    sc = pd.read_csv(paths["scaling"])
    sc.assign(weights=sc["n"] ** 2).to_csv(paths["scaling"], index=False)
    out = {"scaling": paths["scaling"], "timed_results": paths["timed_results"], "traces": traces,
           "flipflop": paths["flipflop"],
           **{k: tmp_path / f"{k}.png" for k in ("fig_accuracy", "fig_scaling", "fig_flipflop", "fig_timed")}}
    return out, params


def test_figures_draw_complete_tables_and_refuse_a_trace_without_a_method(tmp_path):
    """The figures stage checks every table against the configured grid before drawing: a fit
    trace that lost a method's rows (a run cut short) fails naming the file, and no figure is left."""
    from repro_core.io import IncompleteTableError

    paths, params = _figure_inputs(tmp_path)
    run_stage(stages.STAGES["figures"], "figures", params, paths)
    assert all(paths[k].stat().st_size > 1000 for k in paths if k.startswith("fig_"))
    for k in paths:
        if k.startswith("fig_"):
            paths[k].unlink()
    bad = paths["traces"][1]
    df = pd.read_csv(bad)
    df[df["method"] != "adam_ce"].to_csv(bad, index=False)
    with pytest.raises(IncompleteTableError, match=bad.name):
        run_stage(stages.STAGES["figures"], "figures", params, paths)
    assert not any(paths[k].exists() for k in paths if k.startswith("fig_"))


def test_benchmark_stage_reads_traces_with_their_methods(tmp_path):
    paths, params = _figure_inputs(tmp_path)
    t = paths["traces"][0]
    t.write_text(t.read_text()[:-5])  # cut mid-line
    from repro_core.io import IncompleteTableError

    with pytest.raises(IncompleteTableError, match=t.name):
        stages.read_traces(paths["traces"], params["methods"])


def test_adam_starts_where_the_authors_started_it():
    from cornn import baselines

    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.uniform(-1, 1, size=(500, 20)), dtype=torch.float32)
    D = torch.as_tensor(rng.uniform(-0.9, 0.9, size=(500, 20)), dtype=torch.float32)
    ridge = baselines.adam_init(X, D, "ridge", 1e-4).double().numpy()
    x, z = X.double().numpy(), np.arctanh(D.double().numpy())
    ref = np.linalg.solve(x.T @ x + 1e-4 * 500 * np.eye(20), x.T @ z)
    np.testing.assert_allclose(ridge, ref, rtol=1e-3, atol=1e-4)
    gen = torch.Generator().manual_seed(1)
    rand = baselines.adam_init(X, D, "default", 1e-4, gen)
    assert rand.abs().max() <= 1 / np.sqrt(20) and rand.std() > 0.5 / np.sqrt(3 * 20)
    with pytest.raises(ValueError):
        baselines.adam_init(X, D, "zeros", 1e-4)


def test_force_runs_free_from_the_ridge_fit():
    """One pass of FORCE equals the RLS recursion written out, with the network's own
    state (not the data) as presynaptic input; on noiseless data the exact ridge start
    is a fixed point of every pass."""
    from cornn import baselines, model, solver

    alpha, lam = 0.1, 200.0
    rng = np.random.default_rng(3)
    W, r = model.simulate_random(6, 40, 1.5, alpha, 0.05, 0.0, rng)
    x, d = model.design(r, None, alpha)
    X, D = solver.as_tensor(x, "cpu"), solver.as_tensor(d, "cpu")
    got = baselines.fit_force(X, D, alpha, lam=lam, passes=1).numpy()
    # reference: the recursion with the authors' variable names
    z = np.arctanh(d)
    T, p = x.shape
    w = np.linalg.solve(x.T @ x + lam / T * np.eye(p), x.T @ z).T       # W (n x n)
    P = np.eye(p) / lam
    s = x[0].copy()
    for i in range(T):
        e = w @ s - z[i]
        Ps = P @ s
        P = P - np.outer(Ps, Ps) / (1 + s @ Ps)
        w = w - np.outer(e, P @ s)
        s = (1 - alpha) * s + alpha * np.tanh(w @ s)
    np.testing.assert_allclose(got, w.T, rtol=1e-8, atol=1e-10)
    # noiseless data, exact start: nothing to correct
    W0, r0 = model.simulate_random(6, 60, 1.0, alpha, 0.0, 0.0, np.random.default_rng(4))
    x0, d0 = model.design(r0, None, alpha)
    X0, D0 = solver.as_tensor(x0, "cpu"), solver.as_tensor(d0, "cpu")
    th = baselines.fit_force(X0, D0, alpha, lam=1e-9, passes=2).numpy()
    np.testing.assert_allclose(th[:6].T, W0, atol=1e-5)


def test_r_star_is_a_fraction_of_cornns_final_r_and_baselines_stop_there():
    from cornn import model

    rng = np.random.default_rng(5)
    W, r = model.simulate_random(15, 600, 3.0, 0.1, 1e-2, 1e-4, rng)
    methods = {"cornn": {"l2": 1e-5, "threshold": 0.2, "n_iter": 5},
               "adam_ce": {"max_iter": 5, "init": "ridge", "init_ridge": 1e-4}}
    tr = random_nets.run_methods(W, r, 0.1, methods, "cpu", r_star_factor=0.9)
    final = tr[tr["method"] == "cornn"]["r"].iloc[-1]
    assert tr["r_star"].nunique() == 1 and tr["r_star"].iloc[0] == pytest.approx(0.9 * final)
    adam = tr[tr["method"] == "adam_ce"]
    assert (adam["r"].iloc[:-1] < final).all()   # stops at CORNN's final r, first hit
    assert (tr["r_cornn_final"] == final).all()
    with pytest.raises(ValueError, match="start with 'cornn'"):
        random_nets.run_methods(W, r, 0.1, dict(reversed(list(methods.items()))), "cpu")
