"""Optimal-transport pieces: exact partial OT (POT), Wasserstein distances, OT pairing."""

import numpy as np
import ot
import pytest
from scipy.linalg import sqrtm

import ctot_flow  # noqa: F401  (sets the POT backend switches before ot is used)
from ctot_flow.flow import ot_pair
from ctot_flow.labels import partial_plan, transported_fraction
from ctot_flow.metrics import trajectory_error, wasserstein


def test_pot_documented_partial_example():
    a, b = np.array([0.1, 0.2]), np.array([0.1, 0.1])
    M = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(partial_plan(a, b, M, 0.1), [[0.1, 0.0], [0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("m", [0.05, 0.3, 0.6, 0.999])
def test_partial_plan_carries_mass_m_within_marginals(m):
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 1.0
    a, b = np.full(40, 1 / 40), np.full(30, 1 / 30)
    G = partial_plan(a, b, ot.dist(A, B), m)
    assert G.min() >= -1e-12
    assert G.sum() == pytest.approx(m, abs=1e-9)
    assert np.all(G.sum(1) <= a + 1e-12) and np.all(G.sum(0) <= b + 1e-12)


def test_small_mass_goes_to_the_points_nearest_the_target():
    # 1-D: points of A to the right are nearest B; at small m only they move
    A = np.linspace(0, 1, 10)[:, None]
    B = np.linspace(2, 3, 10)[:, None]
    frac = transported_fraction(A, B, np.array([0.1, 0.3, 0.5, 0.7, 0.9]))
    assert np.all(np.diff(frac) >= -1e-12) and frac[-1] > frac[0]


@pytest.mark.parametrize("p", [1, 2])
def test_1d_wasserstein_is_the_sorted_difference(p):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=50), rng.exponential(size=50)
    closed = np.mean(np.abs(np.sort(x) - np.sort(y)) ** p) ** (1 / p)
    assert wasserstein(x[:, None], y[:, None], p=p) == pytest.approx(closed, rel=1e-9)


def test_gaussian_w2_matches_the_bures_closed_form():
    """X ~ N(m1, S1); T = the Gaussian OT map onto N(m2, S2). T is the gradient of a convex
    function, so the identity pairing of X and T(X) is optimal: our W2 equals the cost of T
    exactly, and that approaches the Bures-Wasserstein closed form."""
    rng = np.random.default_rng(3)
    m1, m2 = np.zeros(2), np.array([1.0, -0.5])
    S1 = np.array([[1.0, 0.3], [0.3, 0.5]])
    S2 = np.array([[0.4, -0.1], [-0.1, 0.8]])
    r1 = np.real(sqrtm(S1))
    r1i = np.linalg.inv(r1)
    A = r1i @ np.real(sqrtm(r1 @ S2 @ r1)) @ r1i
    X = rng.multivariate_normal(m1, S1, size=400)
    Y = m2 + (X - m1) @ A.T
    exact = np.sqrt(np.mean(np.sum((Y - X) ** 2, 1)))
    assert wasserstein(X, Y) == pytest.approx(exact, rel=1e-6)
    bures = np.sqrt(np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * np.real(sqrtm(r1 @ S2 @ r1))))
    assert wasserstein(X, Y) == pytest.approx(bures, rel=0.1)


def test_ot_pair_recovers_a_translation():
    rng = np.random.default_rng(4)
    x0 = rng.normal(size=(64, 3))
    perm = rng.permutation(64)
    x1 = (x0 + np.array([0.2, -0.1, 0.05]))[perm]
    j = ot_pair(x0, x1)
    np.testing.assert_allclose(x1[j] - x0, np.tile([0.2, -0.1, 0.05], (64, 1)), atol=1e-12)


def test_trajectory_error_per_time():
    pred = np.zeros((4, 3, 2))
    true = np.zeros((4, 3, 2))
    true[:, 1, 0] = 3.0
    true[:, 2] = [3.0, 4.0]
    np.testing.assert_allclose(trajectory_error(pred, true), [0.0, 3.0, 5.0])
