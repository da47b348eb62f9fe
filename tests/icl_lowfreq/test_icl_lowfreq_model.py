"""Closed forms and invariants of the exact fixed-attention averaging model (Track A)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from icl_lowfreq import model


@pytest.mark.parametrize("n", [5, 10, 16])
def test_ring_spectrum_closed_form(n):
    lam, _ = model.spectrum(model.make_graph(f"ring{n}").A)
    np.testing.assert_allclose(lam, model.ring_spectrum(n), atol=1e-10)
    assert lam[1] == pytest.approx(2 - 2 * math.cos(2 * math.pi / n))


@pytest.mark.parametrize("r,c", [(4, 4), (3, 5)])
def test_grid_spectrum_closed_form(r, c):
    lam, _ = model.spectrum(model.make_graph(f"grid{r}x{c}").A)
    np.testing.assert_allclose(lam, model.grid_spectrum(r, c), atol=1e-10)


def test_issue_floors():
    assert model.spectrum(model.make_graph("grid4x4").A)[0][1] == pytest.approx(0.586, abs=1e-3)
    assert model.spectrum(model.make_graph("ring10").A)[0][1] == pytest.approx(0.382, abs=1e-3)


@pytest.mark.parametrize("name", ["grid4x4", "ring10", "hex2x2"])
def test_eigenvector_energy_equals_eigenvalue(name):
    g = model.make_graph(name)
    lam, U = model.spectrum(g.A)
    L = model.laplacian(g.A)
    for k in range(1, g.n):
        X = np.outer(U[:, k], [1.0, -2.0, 0.5])       # any d: energy is a Rayleigh quotient
        assert model.dirichlet_energy(X, L) == pytest.approx(lam[k], rel=1e-9, abs=1e-9)
        frac = model.mode_fractions(X, U)
        assert frac[k] == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["grid4x4", "ring10", "hex2x2"])
def test_operator_fixed_point_and_limit(name):
    """W = I - eta L fixes constants; on centred inputs W^l X -> the Fiedler component,
    so the energy decreases monotonically to lambda_2 and never below it."""
    g = model.make_graph(name)
    lam, U = model.spectrum(g.A)
    L = model.laplacian(g.A)
    W = model.averaging_operator(g.A, 0.125)
    np.testing.assert_allclose(W @ np.ones(g.n), np.ones(g.n))
    np.testing.assert_allclose(W.sum(0), 1.0)                  # symmetric, doubly stochastic
    X0 = model.center(np.random.default_rng(0).standard_normal((g.n, 8)))
    Xs = model.propagate(W, X0, 400)
    e = np.array([model.dirichlet_energy(X, L) for X in Xs])
    assert np.all(np.diff(e) <= 1e-12) and np.all(e >= lam[1] - 1e-9)
    assert e[-1] == pytest.approx(lam[1], rel=1e-6)
    np.testing.assert_allclose(Xs[-1].mean(0), 0.0, atol=1e-12)   # stays centred


def test_fiedler_embedding_spacing_ratio_is_sqrt2():
    g = model.make_graph("grid4x4")
    _, U = model.spectrum(g.A)
    assert model.grid_spacing_ratio(U[:, 1:3], 4, 4) == pytest.approx(math.sqrt(2), rel=1e-9)
    # rotation/scaling inside the Fiedler pair leaves the ratio unchanged
    R = np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]]) * 3.0
    assert model.grid_spacing_ratio(U[:, 1:3] @ R, 4, 4) == pytest.approx(math.sqrt(2), rel=1e-9)
    assert model.pca_fiedler_overlap(U[:, 1:3] @ R, U) == pytest.approx(1.0)


def test_context_adjacency_is_unbiased_and_converges():
    g = model.make_graph("grid4x4")
    walks = model.random_walks(g.A, 40_000, 4, np.random.default_rng(1))
    # every step is along an edge
    assert np.all(g.A[walks[:, :-1], walks[:, 1:]] == 1)
    Ahat = np.mean([model.context_adjacency(w, g.n, g.n_edges) for w in walks], 0)
    assert np.all(Ahat[g.A == 0] == 0)
    np.testing.assert_allclose(Ahat[g.A == 1], 1.0, atol=0.12)


def test_band_noise_lives_in_its_modes():
    g = model.make_graph("ring10")
    _, U = model.spectrum(g.A)
    d = model.band_noise(U, np.arange(5, 10), 4, 2.5, np.random.default_rng(0))
    assert np.linalg.norm(d) == pytest.approx(2.5)
    np.testing.assert_allclose((U[:, :5].T @ d), 0.0, atol=1e-12)
