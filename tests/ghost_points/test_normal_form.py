"""Closed forms of the normal-form toy model against numerics."""

import numpy as np
import jax
import jax.numpy as jnp
import pytest

from ghost_points import normal_form as nf

T = 10.0


def test_crossing_time_matches_exact_solution():
    for r in (0.01, 0.05, 0.2):
        tc = float(nf.crossing_time_sim(r, 1e-4, 5.0, 60.0))
        assert tc == pytest.approx(float(nf.t_cross(r, 5.0)), rel=2e-3)
    # x_th -> infinity: the crossing time tends to the blow-up time pi / (2 sqrt r)
    assert float(nf.t_cross(0.03, 1e7)) == pytest.approx(float(nf.t_star(0.03)), rel=1e-6)


def test_optimum_and_no_learning_zone():
    r_star = nf.r_opt(T)
    assert float(nf.t_star(r_star)) == pytest.approx(T)
    assert float(nf.t_star(nf.r_nolearn(T))) == pytest.approx(2 * T)
    assert float(nf.loss_limit(r_star, T)) == pytest.approx(0.0, abs=1e-12)
    for r in (-0.1, 0.0, 0.5 * nf.r_nolearn(T), 0.99 * nf.r_nolearn(T)):
        assert float(nf.loss_limit(r, T)) == 1.0
        assert float(nf.grad_limit(r, T)) == 0.0


def test_limit_gradient_against_finite_differences():
    for r in (0.3 * nf.r_opt(T), 0.7 * nf.r_opt(T), 2 * nf.r_opt(T), 10 * nf.r_opt(T)):
        h = 1e-7 * r
        fd = (float(nf.loss_limit(r + h, T)) - float(nf.loss_limit(r - h, T))) / (2 * h)
        assert float(nf.grad_limit(r, T)) == pytest.approx(fd, rel=1e-5)
        assert abs(float(nf.grad_limit(r, T))) == pytest.approx(np.pi / (4 * T * r ** 1.5), rel=1e-12)


def test_simulated_loss_autodiff_against_finite_differences():
    f = lambda r: nf.loss_sim(r, T, 0.025, 3.0, 1.0, 100.0)
    for r in (0.01, 0.03, 0.1):
        g = float(jax.grad(f)(jnp.asarray(r)))
        h = 1e-6
        fd = (float(f(r + h)) - float(f(r - h))) / (2 * h)
        assert g == pytest.approx(fd, rel=1e-4, abs=1e-8)


def test_simulated_loss_tends_to_closed_form_at_high_confidence():
    for r in (0.5 * nf.r_opt(T), 2 * nf.r_opt(T)):
        sim = float(nf.loss_sim(r, T, 0.002, 200.0, 1e3, 1e4))
        assert sim == pytest.approx(float(nf.loss_limit(r, T)), abs=0.01)


def test_critical_learning_rate_closed_form():
    eta_c = nf.lr_crit(T)
    assert eta_c == pytest.approx(3 * np.pi ** 4 / (32 * T ** 4))
    assert nf.lr_crit(T, normalised=False) == pytest.approx(eta_c / T)
    # at eta_c the step from r* lands exactly on the edge of the no-learning zone
    r = nf.r_opt(T)
    assert r - eta_c * float(nf.grad_limit(r * (1 + 1e-12), T)) == pytest.approx(nf.r_nolearn(T), rel=1e-6)
    # the threshold version reduces to the closed form as x_th -> infinity
    eta, r_hat, r_nl = nf.lr_crit_threshold(T, 1e8)
    assert eta == pytest.approx(eta_c, rel=1e-5)
    assert r_hat == pytest.approx(nf.r_opt(T), rel=1e-5) and r_nl == pytest.approx(nf.r_nolearn(T), rel=1e-5)


def test_gd_never_stuck_below_and_stuck_above_eta_c():
    eta_c = nf.lr_crit(T)
    r0 = nf.r_opt(T) * np.array([3.0, 5.0, 10.0, 20.0])
    factors = np.array([0.5, 0.9, 1.5, 3.0])
    F, R0 = np.meshgrid(factors, r0, indexing="ij")
    _, _, above = nf.gd_runs(R0.ravel(), (F * eta_c).ravel(), 3000, T, 0.05, None, 1.0, 100.0, 100)
    learned = nf.learned_from_above(above).reshape(F.shape)
    assert learned[:2].all()          # 0.5 and 0.9 eta_c: never stuck (a theorem)
    assert not learned[2:].any()      # 1.5 and 3 eta_c: stuck from these starts


def test_threshold_crossing():
    lrs = np.array([1.0, 2.0, 4.0])
    assert nf.threshold_crossing(lrs, [1.0, 0.0, 0.0]) == pytest.approx(np.sqrt(2.0))
    assert nf.threshold_crossing(lrs, [1.0, 1.0, 1.0]) == float("inf")
    assert np.isnan(nf.threshold_crossing(lrs, [0.0, 0.0, 0.0]))
