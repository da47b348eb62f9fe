"""latent_units: closed forms, invariants, exact recoveries, and the smoke end-to-end run."""

import json

import numpy as np
import pytest

from latent_units import experiments as ex
from latent_units import scaling as sc
from latent_units.decoders import ridge_decoder
from latent_units.measures import crossing, participation_ratio, powerlaw_fit, r2, spectrum_from_gram
from latent_units.model import (activity, fit_readout, fit_samples, latent_flow, make_inputs,
                                ridge_dual_fit, ridge_fit, sample_embedding, simulate_latent)


# ------------------------------------------------------------------- participation ratio
def test_participation_ratio_known_spectra():
    assert participation_ratio(np.ones(7)) == pytest.approx(7.0)          # flat: rank
    assert participation_ratio([5.0, 0, 0, 0]) == pytest.approx(1.0)      # one dimension
    lam = 0.5 ** np.arange(200)                                           # geometric, ratio q
    q = 0.5
    assert participation_ratio(lam) == pytest.approx((1 + q) / (1 - q), rel=1e-9)


def test_spectrum_from_gram_matches_covariance():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((50, 8)) @ np.diag([5, 4, 3, 2, 1, 1, 1, 1])
    A -= A.mean(0)
    cov = np.sort(np.linalg.eigvalsh(A.T @ A))[::-1]
    np.testing.assert_allclose(spectrum_from_gram(A @ A.T)[:8], cov / cov.sum(), atol=1e-10)
    assert participation_ratio(spectrum_from_gram(A @ A.T)) == pytest.approx(participation_ratio(cov))


# ------------------------------------------------------------------------------- ridge
def test_ridge_recovers_planted_linear_map():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 20))
    W = rng.standard_normal((20, 3))
    b = np.array([1.0, -2.0, 0.5])
    Wh, bh = ridge_fit(X, X @ W + b, lam=1e-10)
    np.testing.assert_allclose(Wh, W, atol=1e-8)
    np.testing.assert_allclose(bh, b, atol=1e-8)
    Wd, bd = ridge_fit(X[:10], X[:10] @ W + b, lam=1e-10)      # dual branch (d > n) interpolates
    np.testing.assert_allclose(X[:10] @ Wd + bd, X[:10] @ W + b, atol=1e-6)


def test_ridge_decoder_with_validation_recovers_map():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((500, 30))
    W = rng.standard_normal((30, 2))
    Y = X @ W + 0.01 * rng.standard_normal((500, 2))
    Wh, _ = ridge_decoder(X, Y)
    np.testing.assert_allclose(Wh, W, atol=0.02)


def test_dual_chunked_ridge_equals_primal():
    rng = np.random.default_rng(3)
    Phi = rng.standard_normal((60, 9000))          # more features than one chunk
    Y = rng.standard_normal((60, 2))
    R = ridge_dual_fit(lambda sl: Phi[:, sl], Phi.shape[1], Y, ridge=1e-3)
    lam = 1e-3 * np.trace(Phi @ Phi.T) / 60
    R_ref = (Phi.T @ np.linalg.solve(Phi @ Phi.T + lam * np.eye(60), Y)).T
    np.testing.assert_allclose(R, R_ref, atol=1e-10)
    assert np.abs(Phi @ R.T - Y).max() < 0.5      # near interpolation at small penalty


# ---------------------------------------------------------------------- network model
@pytest.fixture(scope="module")
def small_net():
    rng = np.random.default_rng(4)
    net = sample_embedding(1500, 2, 2, 4.0, 2.0, rng)
    kap, u = fit_samples(2, 800, 2.0, 1.0, 0.0, rng)
    fit_readout(net, "integrator", 10.0, 0.15, kap, u, 1e-6)
    u_seq = make_inputs(2, 1500, 0.2, 0.0, 4.0, 1.0, 3.0, rng)
    kappa = simulate_latent(net, u_seq, np.zeros(2), 0.2)
    return net, kappa, u_seq


def test_latent_equals_linear_readout_of_rates(small_net):
    """kappa = R r along the trajectory (after the initial mismatch has decayed)."""
    net, kappa, u = small_net
    rec = np.arange(400, 1500, 7)
    r = activity(net, kappa, u, 0.2, rec)
    np.testing.assert_allclose(r @ net.R.T, kappa[rec], atol=1e-8)


def test_fitted_network_carries_the_computation(small_net):
    net, kappa, u = small_net
    ideal = np.zeros_like(kappa)
    for t in range(len(u)):
        ideal[t + 1] = ideal[t] + 0.2 * latent_flow("integrator", ideal[t], u[t], 10.0, 0.15)
    assert r2(ideal[300:], kappa[300:]) > 0.9


def test_null_space_drift_keeps_readout_exactly_invariant(small_net):
    """Rotating population space inside null(R) changes rates but not R r or the latent."""
    net, kappa, u = small_net
    rec = np.arange(400, 1500, 5)
    bases = ex.drift_bases(net, kappa, u, 0.2, rec, pairs=4, rng=np.random.default_rng(0))
    U = bases["null-space"]
    np.testing.assert_allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-10)
    assert np.abs(net.R @ U).max() < 1e-10
    E = ex.rotation_minus_identity(np.array([0.3, -0.7, 1.1, 0.5]), 2.0)
    Q = np.eye(net.n) + U @ E @ U.T
    np.testing.assert_allclose(Q.T @ Q, np.eye(net.n), atol=1e-10)        # a rotation
    np.testing.assert_allclose(net.R @ Q, net.R, atol=1e-10)              # readout invariant
    r = activity(net, kappa, u, 0.2, rec)
    r_d = r @ Q.T
    assert np.abs(r_d - r).max() > 0.05                                    # tuning did change
    np.testing.assert_allclose(r_d @ net.R.T, kappa[rec], atol=1e-8)
    kap_d = simulate_latent(net, u, kappa[0], 0.2, net.R + (net.R @ U) @ E @ U.T)
    np.testing.assert_allclose(kap_d, kappa, atol=1e-9)
    T = bases["tangential"]                                                # tangential moves R
    assert np.abs(net.R @ T).max() > 1e-3


def test_linear_embedding_rank_bound(small_net):
    net, kappa, u = small_net
    rec = np.arange(400, 1500, 5)
    dims, spec = ex.dimensionality(net, kappa, u, 0.2, rec, [100, 500, 1500], 10)
    lin = dims[dims.embedding == "linear"]
    assert (lin.pr <= 4 + 1e-6).all()                                      # rank <= k + k_in
    nl = dims[dims.embedding == "nonlinear"]
    assert nl.pr.iloc[-1] > lin.pr.iloc[-1]


def test_random_drift_falls_mostly_in_the_coding_null_space(small_net):
    """The random model's displacement has a coding fraction of order k / N (random directions),
    the activity-aligned rotation's far more; the null-space model's is zero."""
    net, kappa, u = small_net
    rec = np.arange(400, 1500, 5)
    d = ex.drift(net, kappa, u, 0.2, rec, [0, 5], pairs=4, max_angle=1.0, n_tuning=50,
                 n_recorded=50, noise_rel=1.0, train_frac=0.7, rng=np.random.default_rng(1),
                 random_draws=2)
    last = d[d.day == 5].groupby("model")
    frac, disp = last.coding_fraction.mean(), last.displacement.mean()
    assert frac["null-space"] < 1e-20
    assert frac["random"] < 10 * 2 / net.n                       # ~ k / N for k = 2
    assert frac["activity-aligned"] > 10 * frac["random"]
    np.testing.assert_allclose(disp["random"], disp["null-space"], rtol=1e-6)   # same amount of drift
    assert (d[d.day == 0].readout_r2 > 1 - 1e-9).all() and (d[d.day == 0].tuning_corr > 1 - 1e-9).all()


def test_null_perturbation_decays_at_the_euler_rate(small_net):
    """In the full rate network W = M R annihilates null(R): a null-space perturbation decays as
    (1 - dt)^s exactly, while a coding perturbation persists on the integrator's time scale."""
    net, kappa, u = small_net
    rec = np.arange(400, 1500, 5)
    p = ex.perturbation(net, kappa, u, 0.2, rec, draws=1, horizon=6.0, size=0.3,
                        rng=np.random.default_rng(2))
    nul = p[p.kind == "null-space"]
    np.testing.assert_allclose(nul.null_norm.values / nul.null_norm.values[0],
                               0.8 ** np.arange(len(nul)), rtol=1e-8)
    assert nul.latent_norm.max() < 1e-10
    assert ex.decay_time(nul.time.values, nul.null_norm.values) == pytest.approx(-0.2 / np.log(0.8))
    cod = p[p.kind == "coding"]
    assert ex.decay_time(cod.time.values, cod.latent_norm.values) > 5.0


def test_mlp_positive_control_has_power():
    """The MLP of the decoding comparison finds a non-linear target (product of two latents) that
    a linear decoder of a linear embedding cannot; on a linear target both agree."""
    from latent_units.decoders import mlp_decoder

    rng = np.random.default_rng(6)
    lat = rng.standard_normal((3000, 2))
    X = lat @ rng.standard_normal((2, 40)) + 0.1 * rng.standard_normal((3000, 40))
    yc = ex.control_target(lat)
    tr, te = slice(0, 2400), slice(2400, None)
    W, b = ridge_decoder(X[tr], yc[tr])
    pred = mlp_decoder(X[tr], yc[tr], hidden=64, seed=0, max_iter=300)
    assert r2(yc[te], X[te] @ W + b) < 0.05
    assert r2(yc[te], pred(X[te])) > 0.6
    W, b = ridge_decoder(X[tr], lat[tr])
    pred = mlp_decoder(X[tr], lat[tr], hidden=64, seed=0, max_iter=300)
    assert r2(lat[te], X[te] @ W + b) > 0.98 and r2(lat[te], pred(X[te])) > 0.95


def test_tost_equivalence_and_missing_scaling_value_is_an_error():
    from repro_core import evaluate_claims
    from latent_units import claims as cl

    assert cl._tost_p([0.001, -0.002, 0.0, 0.002, -0.001], 0.02) < 0.01      # tightly inside
    assert cl._tost_p([0.05, 0.06, 0.04, 0.05, 0.055], 0.02) > 0.5           # outside
    ctx = {"scaling": {"n_decode": 2000.0, "n_trajectory": None, "beta_main": 100.0,
                       "n_trajectory_extrapolated": True, "max_simulated_n_main": 1000}}
    claim = [c for c in cl.CLAIMS if c.id.endswith("trajectory_needs_far_more")]
    rec = evaluate_claims(claim, ctx, "smoke", paper="latent_units")[0]
    assert rec["status"] == "error" and "n_trajectory" in rec["error"]


# ----------------------------------------------------------------------------- scaling
def test_mean_field_flow_is_slow_bistable():
    """beta (G_inf(kappa) - kappa) = kappa - kappa^3 + 2 kappa^5 / (beta + 1) + O(1 / beta^2)
    (Taylor series of tanh with the Gaussian moments E m^4 = 3, E m^6 = 15)."""
    k = np.linspace(-1.5, 1.5, 31)
    for beta in (50.0, 200.0):
        F = sc.g_mean_field(k, beta) - k
        np.testing.assert_allclose(F * beta, k - k ** 3 + 2 * k ** 5 / (beta + 1), atol=100 / beta ** 2)


def test_sampled_flow_converges_to_mean_field():
    rng = np.random.default_rng(5)
    grid = np.linspace(-1.5, 1.5, 21)
    G = sc.g_sampled_nested(grid, 10.0, rng.standard_normal(200000), [1000, 200000])
    err = np.abs(G - sc.g_mean_field(grid, 10.0)).max(1)
    assert err[1] < err[0] and err[1] < 0.02


def test_integrate_linear_flow_exactly():
    grid = np.linspace(-3, 3, 601)
    out = sc.integrate(grid, -0.5 * grid, np.array([1.0, -2.0]), 4.0, 0.05)
    np.testing.assert_allclose(out[-1], np.array([1.0, -2.0]) * np.exp(-2.0), rtol=1e-6)


def test_powerlaw_fit_and_crossing():
    n = np.array([10.0, 100.0, 1000.0])
    A, b = powerlaw_fit(n, 3.0 * n ** -0.5)
    assert A == pytest.approx(3.0) and b == pytest.approx(-0.5)
    assert crossing(n, 3.0 * n ** -0.5, 0.3) == pytest.approx(100.0)
    assert np.isnan(crossing(n, 3.0 * n ** -0.5, 1e-3))


# ----------------------------------------------------------------------------- config
def test_unknown_config_key_is_named():
    from repro_core.cli import run_stage
    from repro_core.config import ConfigError
    from latent_units.stages import STAGES

    with pytest.raises(ConfigError, match="networks.n_neuron"):
        run_stage(STAGES["networks"], "networks", {"n_neuron": 5}, {"data": "x.npz"})


# -------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    from tests.helpers import run_snakemake

    run_snakemake(tmp_workdir, ["latent_units", "--config", "scale=smoke"])
    out = tmp_workdir / "results/latent_units/smoke"
    first = (out / "claims.json").read_bytes()
    claims = json.loads(first)["claims"]
    from latent_units.claims import CLAIMS
    assert [c["id"] for c in claims] == [c.id for c in CLAIMS]
    assert all(c["status"] != "error" for c in claims), [c["error"] for c in claims]
    assert all(c["kind"] in ("paper", "check") for c in claims)
    for f in ("dimensionality", "decoding", "scaling", "drift"):
        assert (out / "figures" / f"{f}.png").stat().st_size > 10000
    _incomplete_tables_fail_naming_the_file(tmp_workdir, out)
    # determinism: rerun the claims from scratch, same bytes
    run_snakemake(tmp_workdir, ["latent_units", "--config", "scale=smoke", "--forceall"])
    assert (out / "claims.json").read_bytes() == first


def _incomplete_tables_fail_naming_the_file(workdir, out):
    """The claims stage reads every table with its expected grid: a table cut at a line break
    (rows of the grid lost) or mid-line fails, naming the file; the intact tables pass."""
    import shutil

    from repro_core import IncompleteTableError
    from repro_core.config import resolve_scale
    import yaml

    from latent_units.stages import ClaimsConfig, read_results
    from tests.helpers import REPO

    cfg = ClaimsConfig(scale="smoke", cfg=resolve_scale(
        yaml.safe_load((REPO / "config/latent_units.yaml").read_text())["latent_units"], "smoke", "latent_units"))
    t = out / "tables"
    names = {"dims": "dimensionality.csv", "redundancy": "redundancy.csv", "decoding": "decoding.csv",
             "drift": "drift.csv", "perturb": "perturbation.csv"}
    paths = {k: t / v for k, v in names.items()} | {"summary": t / "scaling_summary.json"}
    read_results(cfg, **paths)                                      # intact: no error
    for key in names:
        bad = workdir / f"cut_{names[key]}"
        lines = paths[key].read_text().splitlines(keepends=True)
        for text in ("".join(lines[:-3]), "".join(lines)[:-5]):     # lost rows / cut mid-line
            bad.write_text(text)
            with pytest.raises(IncompleteTableError, match=bad.name):
                read_results(cfg, **(paths | {key: bad}))
        shutil.copy(paths[key], bad)
    # the figures stage reads the same tables plus three more, all checked before drawing
    from latent_units.stages import FiguresConfig, read_figure_tables
    fcfg = FiguresConfig(cfg=cfg.cfg)
    fnames = {"spectra": "spectra.csv", "trajectories": "scaling_trajectories.csv",
              "decoding_1d": "scaling_decoding.csv"}
    fpaths = paths | {k: t / v for k, v in fnames.items()}
    read_figure_tables(fcfg, **fpaths)
    for key in fnames:
        bad = workdir / f"cut_{fnames[key]}"
        bad.write_text("".join(fpaths[key].read_text().splitlines(keepends=True)[:-1]))
        with pytest.raises(IncompleteTableError, match=bad.name):
            read_figure_tables(fcfg, **(fpaths | {key: bad}))
