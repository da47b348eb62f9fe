"""Unit tests of stm_mechanisms: task, reduced-model theory, mechanism detectors,
jax training (vs torch, padding), and one smoke end-to-end run."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from stm_mechanisms import dynamics as dyn
from stm_mechanisms import rnn, theory
from stm_mechanisms import task as tk
from stm_mechanisms.analysis import boundary, fit_loglog
from stm_mechanisms.sweep import chunk_delays

from tests.helpers import stage_config

SPEC = tk.TaskSpec(cue=3, delay=7, resp=5, post=2, off_weight=5.0)


# ------------------------------------------------------------------ task
def test_trial_layout_and_weights():
    u, y, w = tk.trial(SPEC, 1, length=30)
    T = SPEC.length
    assert T == 17 and u.shape == (30, 2) and y.shape == (30, 2)
    assert u[:3, 1].tolist() == [1, 1, 1] and u[3:].sum() == 0 and u[:, 0].sum() == 0
    resp = np.arange(SPEC.resp_start, SPEC.resp_start + SPEC.resp)
    assert (y[resp, 1] == 1).all() and y.sum() == SPEC.resp and y[:, 0].sum() == 0
    np.testing.assert_allclose(w[resp], 1 - 5.0 / T)
    off = np.setdiff1d(np.arange(T), resp)
    np.testing.assert_allclose(w[off], 5.0 / T)
    assert (w[T:] == 0).all() and (u[T:] == 0).all() and (y[T:] == 0).all()   # padding


def test_batch_is_balanced_and_stacked_pads():
    u, y, w, cues, m = tk.batch(SPEC, 4)
    assert cues.tolist() == [0, 1, 0, 1] and m.sum() == SPEC.resp
    np.testing.assert_array_equal(u[:, 0].argmax(1), cues)
    st = tk.stacked([tk.TaskSpec(delay=2), tk.TaskSpec(delay=9)], 2)
    assert st["u"].shape[2] == tk.TaskSpec(delay=9).length
    assert st["pre"].tolist() == [8, 15]
    with pytest.raises(ValueError, match="multiple of 2"):
        tk.batch(SPEC, 3)


def test_chunks_partition_the_delays():
    delays = [1, 2, 3, 4, 6, 8, 11]
    parts = [chunk_delays(delays, 3, c) for c in range(3)]
    assert sorted(sum(parts, [])) == delays


# ------------------------------------------------------------------ theory
@pytest.mark.parametrize("delay", [1, 5, 20, 60])
def test_critical_lr_matches_gd_on_reduced_model(delay):
    spec = tk.TaskSpec(cue=3, delay=delay, resp=5, off_weight=5.0)
    eta = theory.critical_lr(spec)
    assert theory.reduced_gd(0.95 * eta, spec) < 1e-6          # returns to the solution
    assert theory.reduced_gd(1.05 * eta, spec) > 1e-3          # driven away
    assert theory.numeric_critical_lr(spec) == pytest.approx(eta, rel=0.01)


def test_curvature_is_second_derivative_of_reduced_loss():
    h, eps = theory.curvature(SPEC), 1e-4
    fd = (theory.reduced_loss(1 + eps, SPEC) - 2 * theory.reduced_loss(1.0, SPEC)
          + theory.reduced_loss(1 - eps, SPEC)) / eps ** 2
    assert fd == pytest.approx(h, rel=1e-4)


def test_predicted_slope_tends_to_minus_one():
    long = [tk.TaskSpec(cue=3, delay=d, resp=5, off_weight=5.0) for d in (2000, 4000, 8000)]
    assert theory.predicted_slope(long) == pytest.approx(-1.0, abs=0.01)
    assert theory.paper_eta(10, 5, "limit_cycle") == pytest.approx(5 / 4000)


# ------------------------------------------------------------------ detectors
def _ring(omega=2 * np.pi / 25, dt=0.2):
    """Discrete map with a stable limit cycle of radius 1 and period 2 pi / omega."""
    def F(x):
        r2 = jnp.sum(x ** 2)
        c, s = jnp.cos(omega), jnp.sin(omega)
        x = x * (1 + dt * (1 - r2))
        return jnp.array([c * x[0] - s * x[1], s * x[0] + c * x[1]])
    return F


def _line_attractor(c=0.5):
    """Every point of the x0-axis is fixed; the other direction contracts by c."""
    return lambda x: jnp.array([x[0], c * x[1]])


def test_slow_point_finder_recovers_line_attractor():
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(12, 2))
    xs, q = dyn.find_slow_points(_line_attractor(), x0, steps=3000, lr=0.02)
    assert float(q.max()) < 1e-8
    np.testing.assert_allclose(np.asarray(xs)[:, 1], 0, atol=2e-4)          # on the manifold
    assert np.ptp(np.asarray(xs)[:, 0]) > 1.0                               # a manifold, not one point


def test_slow_point_finder_finds_no_slow_point_on_a_limit_cycle():
    F = _ring()
    on_cycle = np.stack([np.cos(np.linspace(0, 6, 8)), np.sin(np.linspace(0, 6, 8))], 1)
    q_cycle = [0.5 * float(jnp.sum((F(jnp.asarray(x)) - x) ** 2)) for x in on_cycle]
    np.testing.assert_allclose(q_cycle, 2 * np.sin(np.pi / 25) ** 2, rtol=1e-4)  # speed on the cycle
    xs, q = dyn.find_slow_points(F, on_cycle, steps=3000, lr=0.02)
    # the only fixed point is the (unstable) origin: minimisers leave the cycle for it
    assert float(np.linalg.norm(np.asarray(xs), axis=1).max()) < 0.05 or float(q.min()) > 1e-4


def test_limit_cycle_detector_and_fft_classifier():
    cyc = np.asarray(dyn.iterate(_ring(), jnp.array([0.3, 0.0]), 600))
    ok, period = dyn.detect_limit_cycle(cyc)
    assert ok and period == 25
    lin = np.asarray(dyn.iterate(lambda x: 0.9 * x, jnp.array([1.0, -0.5]), 600))
    assert dyn.detect_limit_cycle(lin) == (False, 0)
    line = np.asarray(dyn.iterate(_line_attractor(0.9), jnp.array([1.0, 1.0]), 600))
    assert dyn.detect_limit_cycle(line) == (False, 0)
    # the paper's FFT criterion on the same trajectories (embedded in 5-D)
    emb = np.random.default_rng(1).normal(size=(2, 5))
    frac_c, lc_c = dyn.fft_mechanism(jnp.asarray(cyc @ emb))
    frac_s, lc_s = dyn.fft_mechanism(jnp.asarray(line @ emb))
    assert bool(lc_c) and not bool(lc_s) and float(frac_c) < 0.5 <= float(frac_s)


def test_peak_times_and_tiling():
    t = np.arange(40)[:, None]
    seq = np.exp(-0.5 * ((t - np.linspace(5, 34, 12)[None]) / 2.0) ** 2)   # a sequence over [5, 35)
    peaks = dyn.peak_times(seq, 5, 35)
    assert (np.diff(peaks) > 0).all()
    assert dyn.tiling(peaks, 5, 35, 10) == 1.0
    persistent = np.tile(np.r_[np.zeros(5), np.ones(35)][:, None], (1, 6))  # all jump at the cue
    assert dyn.tiling(dyn.peak_times(persistent, 4, 35), 4, 35, 10) == pytest.approx(0.1)


# ------------------------------------------------------------------ training
def _tiny(n=3, delay=4, length=None, model="paper"):
    spec = rnn.TrainSpec(n_hidden=6, epochs=4, noise=0.0, model=model, resample_r0=False)
    st = tk.stacked([tk.TaskSpec(cue=3, delay=delay, resp=5, off_weight=5.0)], 2)
    if length is not None:
        u, y, w, cues, m = tk.batch(tk.TaskSpec(cue=3, delay=delay, resp=5, off_weight=5.0), 2, length)
        st.update(u=u[None], y=y[None], w=w[None], cues=cues[None], m=m[None])
    task = {k: jnp.asarray(np.repeat(v, n, 0)) for k, v in st.items()}
    keys, nk = rnn.network_keys(0, np.arange(n))
    params, r0 = rnn.init_networks(keys, 6, model)
    return spec, params, r0, jnp.full(n, 0.5), nk, task


@pytest.mark.slow
@pytest.mark.parametrize("model", ["paper", "reduced"])
def test_vmapped_jax_matches_torch_loop(model):
    from stm_mechanisms.torch_ref import train_torch

    spec, params, r0, lr, nk, task = _tiny(model=model)
    p, losses, accs, rels = rnn.make_batched_trainer(spec)(params, r0, lr, nk, task)
    assert losses.shape == (3, 4) and accs.shape == (3, 4) and rels.shape == (3, 4)
    for i in range(3):
        one = {k: np.asarray(v[i]) for k, v in task.items()}
        tp, tl = train_torch({k: np.asarray(v[i]) for k, v in params.items()}, np.asarray(r0[i]),
                             0.5, one, 4, model=model)
        np.testing.assert_allclose(tl, np.asarray(losses[i]), rtol=1e-4)
        for k in rnn.PARAM_KEYS:
            np.testing.assert_allclose(tp[k], np.asarray(p[k][i]), atol=1e-5)
    assert not np.allclose(np.asarray(p["W"][0]), np.asarray(params["W"][0]))   # it trained
    frozen_moved = [not np.allclose(np.asarray(p[k]), np.asarray(params[k])) for k in ("b_in", "b_out")]
    assert frozen_moved == ([True, True] if model == "paper" else [False, False])


def test_padding_does_not_change_training():
    """Also with noise: each epoch's draw has a fixed length, so a network's
    training does not depend on how far its batch is padded."""
    _, params, r0, lr, nk, task = _tiny()
    _, _, _, _, _, padded = _tiny(length=30)
    spec = rnn.TrainSpec(n_hidden=6, epochs=4, noise=0.05, noise_len=30)   # start rates resampled too
    trainer = rnn.make_batched_trainer(spec)
    _, l1, a1, r1 = trainer(params, r0, lr, nk, task)
    _, l2, a2, r2 = trainer(params, r0, lr, nk, padded)
    np.testing.assert_allclose(np.asarray(r1), np.asarray(r2), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(l1), np.asarray(l2), rtol=1e-5)


def test_trial_correct_on_perfect_and_silent_outputs():
    u, y, w, cues, m = tk.batch(SPEC, 2)
    pre = SPEC.resp_start
    assert np.asarray(rnn.trial_correct(jnp.asarray(y), jnp.asarray(u), jnp.asarray(m), pre)).all()
    assert not np.asarray(rnn.trial_correct(jnp.zeros_like(y), jnp.asarray(u), jnp.asarray(m), pre)).any()
    early = y.copy()
    early[:, pre - 2] = 1.0                                   # fires before the response window
    assert not np.asarray(rnn.trial_correct(jnp.asarray(early), jnp.asarray(u), jnp.asarray(m), pre)).any()


def test_boundary_and_loglog_fit():
    import pandas as pd

    rows = []
    for d, top in [(2, 1.0), (4, 0.3), (8, 0.1)]:       # learned up to ``top``
        for lr in (0.03, 0.1, 0.3, 1.0, 3.0):
            rows.append(dict(delay=d, lr=lr, learned=lr <= top))
    bd = boundary(pd.DataFrame(rows))
    np.testing.assert_allclose(bd["eta_star"], [np.sqrt(3.0), np.sqrt(0.3), np.sqrt(0.03)])
    assert bd["none_learned_above"].all()
    fit = fit_loglog([2, 4, 8, 16], [1.0, 0.25, 0.0625, 0.015625])
    assert fit["slope"] == pytest.approx(-2.0) and fit["r2"] == pytest.approx(1.0)


# ------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    from tests.helpers import run_snakemake

    run_snakemake(tmp_workdir, ["stm_mechanisms", "--config", "scale=smoke"])
    res = tmp_workdir / "results/stm_mechanisms/smoke"
    claims = json.loads((res / "claims.json").read_text())
    assert all(c["status"] != "error" for c in claims["claims"])
    ids = {c["id"]: c for c in claims["claims"]}
    assert ids["stm_mechanisms.theory_matches_numerics"]["holds"] is True
    for f in ("phase_diagram", "mechanism_vs_delay", "rasters", "benchmark"):
        assert (res / "figures" / f"{f}.png").stat().st_size > 1000
    import pandas as pd
    idx = pd.read_csv(res / "tables/networks_index.csv")
    assert len(idx) == 3 * 3 * 2 and idx["learned"].any()
    assert set(idx["n_epochs"]) == {60} and not (idx["learned"] & idx["lost"]).any()
    bench = pd.read_csv(res / "tables/benchmark.csv")
    assert bench["max_rel_loss_diff"].iloc[0] < 1e-3
    _figures_reject_a_cut_index(res, tmp_workdir / "cut")


def _figures_reject_a_cut_index(res, cut):
    """The figures stage on the smoke outputs with the index's last network row lost: the grid
    the analyse stage recorded in rasters.npz finds it; IncompleteTableError names the file."""
    import shutil

    import pandas as pd
    import repro_core
    from stm_mechanisms import figures as F

    ras = repro_core.load_npz(res / "tables/rasters.npz")
    assert ras["grid_delay"].tolist() == [0, 8, 16] and len(ras["grid_lr"]) == 3
    cut.mkdir()
    for f in ("networks_index.csv", "rasters.npz", "benchmark.csv"):
        shutil.copy(res / "tables" / f, cut / f)
    idx = pd.read_csv(cut / "networks_index.csv")
    repro_core.save_csv(idx.iloc[:-1], cut / "networks_index.csv")
    figs = {k: cut / f"{k}.png" for k in ("fig_phase", "fig_mechanism", "fig_rasters", "fig_bench")}
    with pytest.raises(repro_core.IncompleteTableError, match="networks_index.csv"):
        F.figures(stage_config("stm_mechanisms", "figures", sweep={}), cut / "networks_index.csv", cut / "rasters.npz", cut / "benchmark.csv",
                  **figs)
    assert not any(f.exists() for f in figs.values())


@pytest.mark.slow
def test_sweep_resumes_from_checkpoint(tmp_path):
    """A sweep restarted with a checkpoint of its first batch gives the same file
    as an uninterrupted one (and removes the checkpoint)."""
    import repro_core
    from stm_mechanisms.sweep import sweep

    cfg = stage_config("stm_mechanisms", "sweep", delays=[2, 3], lrs=[0.1, 1.0], n_seeds=2, n_hidden=4,
                       n_trials=2, epochs=20, epochs_lr=0, segment=10, vmap_size=4, len_bucket=16, n_chunks=1, chunk=0,
                       task=dict(dt_ms=5.0, cue=3, resp=5, post=0, off_weight=5.0))
    full = tmp_path / "full.npz"
    sweep(cfg, full)
    a = repro_core.load_npz(full)
    assert len(a["lr"]) == 8 and not (tmp_path / "full.npz.ckpt.npz").exists()
    resumed = tmp_path / "resumed.npz"
    first = {k: (v[:4] if v.ndim else v) for k, v in a.items() if k not in ("n_hidden", "dt_ms")}
    first["W"] = first["W"] * 0 + 7.0       # marker: resumed rows must come from the checkpoint
    repro_core.save_npz(f"{resumed}.ckpt.npz", **first)
    sweep(cfg, resumed)
    b = repro_core.load_npz(resumed)
    assert (b["W"][:4] == 7.0).all()
    np.testing.assert_array_equal(b["W"][4:], a["W"][4:])
    np.testing.assert_array_equal(b["final_loss"][4:], a["final_loss"][4:])
    assert not (tmp_path / "resumed.npz.ckpt.npz").exists()


def test_slope_claims_need_power_and_compare_to_paper():
    from repro_core.claims import undefined
    from stm_mechanisms.claims import (_paper_slope, _paper_slope_holds, _slope, _slope_holds, _sp_slope,
                                       _sp_slope_holds)

    def paper(slope, stderr, n=10):
        ctx = {"no_solution_fit": {"slope": slope, "stderr": stderr, "r2": 0.9, "n": n},
               "slow_point_fit": {"slope": slope, "stderr": stderr, "r2": 0.9, "n": n}}
        return _paper_slope_holds(_paper_slope(ctx)), _sp_slope_holds(_sp_slope(ctx))

    assert paper(-1.05, 0.13) == (False, False)       # our earlier top edge: not the paper's exponent
    assert paper(-2.70, 0.10) == (True, False)        # a paper-like no-solution exponent
    assert paper(-4.0, 0.2) == (False, True)          # a paper-like slow-point exponent
    assert paper(-2.72, 1.2) == (False, False)        # a fit too noisy to test anything passes neither
    assert paper(float("nan"), float("nan")) == (False, False)
    few = {"no_solution_fit": {"slope": np.nan, "stderr": np.nan, "r2": np.nan, "n": 2}}
    assert undefined(_paper_slope(few)) == [] and not _paper_slope_holds(_paper_slope(few))
    v = _paper_slope({"no_solution_fit": {"slope": -2.5, "stderr": 0.1, "r2": 0.9, "n": 8}})
    assert v["z"] == pytest.approx(0.22 / np.hypot(0.1, 0.07)) and 0.05 < v["p"] < 1

    def reduced(slope, stderr, predicted=-1.0, n=10):
        return _slope_holds(_slope({"fit": {"slope": slope, "stderr": stderr, "r2": 0.9, "n": n},
                                    "predicted_slope": predicted}))

    assert reduced(-1.05, 0.13) and not reduced(-2.7, 0.1) and not reduced(-1.3, 0.67)
    assert not reduced(np.nan, np.nan, n=2) and undefined(_slope({"fit": {"n": 2}, "predicted_slope": -1})) == []


def test_mechanism_trend_constant_fraction_is_no_trend_not_an_error():
    import pandas as pd
    from types import SimpleNamespace

    from repro_core.claims import undefined
    from stm_mechanisms.claims import CLAIMS, _mechanism_trend

    idx = pd.DataFrame({"delay": np.repeat([10, 20, 30], 4), "learned": True, "mechanism": "limit_cycle"})
    v = _mechanism_trend({"index": idx, "cfg": SimpleNamespace(min_learned_per_delay=2)})
    assert undefined(v) == [] and v["spearman_rho"] == 0.0 and v["p"] == 1.0 and v["n_delays"] == 3
    too_few = _mechanism_trend({"index": idx[idx.delay < 30], "cfg": SimpleNamespace(min_learned_per_delay=2)})
    assert undefined(too_few) == [] and too_few["n_delays"] == 2   # two delays cannot show a trend
    mech = next(c for c in CLAIMS if c.id == "stm_mechanisms.mechanism_vs_delay")
    assert not mech.holds(too_few) and not mech.holds(v)
    kinds = {c.id.split(".")[1]: c.kind for c in CLAIMS}
    assert kinds == {"critical_lr_slope_paper": "paper", "slow_point_slope_paper": "paper",
                     "mechanism_vs_delay": "paper", "sequential_tiling": "paper",
                     "reduced_model_slope": "check", "theory_matches_numerics": "check", "vmap_speedup": "check"}


@pytest.mark.slow
def test_sweep_segment_longer_than_every_networks_epochs_gives_the_same_networks(tmp_path):
    """A batch whose networks all stop before `segment` epochs runs a program of their length
    (a calibration probe's few epochs no longer pay for a whole segment): same result as a
    segment of exactly that length."""
    import repro_core
    from stm_mechanisms.sweep import sweep

    def run(segment, name):
        cfg = stage_config("stm_mechanisms", "sweep", delays=[2], lrs=[0.1, 0.3], n_seeds=2, n_hidden=4,
                           n_trials=2, epochs=12, epochs_lr=0, segment=segment, vmap_size=4, len_bucket=16,
                           n_chunks=1, chunk=0, task=dict(dt_ms=5.0, cue=3, resp=5, post=0, off_weight=5.0))
        sweep(cfg, tmp_path / name)
        return repro_core.load_npz(tmp_path / name)

    a, b = run(12, "exact.npz"), run(250, "long.npz")
    for k in ("W", "b", "W_out", "final_loss", "loss_curve"):
        np.testing.assert_array_equal(a[k], b[k])
    assert a["loss_curve"].shape[-1] == rnn.TrainSpec.n_log


def test_sweep_stacks_networks_shorter_than_the_loss_curve(tmp_path):
    """Networks with different epoch counts below n_log (here 20 and 12 epochs: 30 / lr with
    epochs_lr 2) land in one nets file with one curve length; the 12-epoch curve is its own losses."""
    import repro_core
    from stm_mechanisms.sweep import sweep

    cfg = stage_config("stm_mechanisms", "sweep", delays=[2], lrs=[0.1, 0.3], n_seeds=2, n_hidden=4,
                       n_trials=2, epochs=12, epochs_lr=2, segment=30, vmap_size=4, len_bucket=16,
                       n_chunks=1, chunk=0, task=dict(dt_ms=5.0, cue=3, resp=5, post=0, off_weight=5.0))
    sweep(cfg, tmp_path / "nets.npz")
    a = repro_core.load_npz(tmp_path / "nets.npz")
    assert sorted(set(a["n_epochs"].tolist())) == [12, 20]
    assert a["loss_curve"].shape == (4, rnn.TrainSpec.n_log)
    short = a["n_epochs"] == 12
    np.testing.assert_array_equal(a["loss_curve"][short][:, -1], a["final_loss"][short])
