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
    assert len(claims) == 11
    assert all(c["status"] != "error" for c in claims), [c["error"] for c in claims]
    for f in ("dimensionality", "decoding", "scaling", "drift"):
        assert (out / "figures" / f"{f}.png").stat().st_size > 10000
    # determinism: rerun the claims from scratch, same bytes
    run_snakemake(tmp_workdir, ["latent_units", "--config", "scale=smoke", "--forceall"])
    assert (out / "claims.json").read_bytes() == first
