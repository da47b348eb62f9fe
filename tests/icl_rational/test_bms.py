"""The hierarchical Bayesian model: transition time, description lengths, and the fit
recovering known (alpha, beta, gamma) from synthetic transformer outputs."""

import numpy as np
import pytest

from icl_rational import bms, urns


def _synthetic(params, Ds=(4, 16, 64, 256), steps=None, seed=0):
    rng = np.random.default_rng(seed)
    steps = steps if steps is not None else np.unique(np.geomspace(20, 20000, 14).astype(int))
    rows = []
    for D in Ds:
        pool = urns.sample_pool(rng, D, 6)
        K = bms.complexities(pool)
        L_G, L_M = 1.70, 1.70 - 0.5 / np.sqrt(D)       # M's advantage shrinks with D
        tok = urns.sample_sequences(rng, pool[rng.integers(0, D, 8)], 12)
        M, G = urns.memorizing_probs(tok, pool), urns.generalizing_probs(tok, 6)
        for N in steps:
            w = bms.weight_m(params, N, K["K_M"], K["K_G"], L_M, L_G)
            rows.append({"N": float(N), "K_M": K["K_M"], "K_G": K["K_G"], "L_M": L_M, "L_G": L_G,
                         "M": M, "G": G, "T": w * M + (1 - w) * G, "w": float(w)})
    return rows


def test_transition_time_is_even_odds():
    p = (0.78, 0.3, 0.5)
    n = bms.transition_time(p, 40000, 2000, 1.60, 1.65)
    assert np.isfinite(n)
    assert bms.weight_m(p, n, 40000, 2000, 1.60, 1.65) == pytest.approx(0.5, abs=1e-9)
    assert bms.transition_time(p, 40000, 2000, 1.66, 1.65) == np.inf     # M never better


def test_complexity_grows_with_pool_size():
    rng = np.random.default_rng(0)
    ks = [bms.complexities(urns.sample_pool(rng, D, 8)) for D in (4, 64, 1024)]
    assert ks[0]["K_G"] == ks[1]["K_G"] == ks[2]["K_G"]
    assert ks[0]["K_G"] < ks[0]["K_M"] < ks[1]["K_M"] < ks[2]["K_M"]
    # random float64 pools barely compress: about 64 bits per entry
    assert 0.8 * 1024 * 8 * 64 < ks[2]["K_M"] - ks[2]["code_M"] < 1.1 * 1024 * 8 * 64


@pytest.mark.parametrize("true", [(0.7, 0.25, 1.0), (0.6, 0.2, 2.0)])
def test_fit_recovers_known_parameters(true):
    rows = _synthetic(true)
    w = np.array([r["w"] for r in rows])
    assert w.min() < 0.05 and w.max() > 0.95          # the data cross the transition
    fit = bms.fit(rows, init=[(0.5, 0.5, 1.0), (0.9, 0.1, 0.1)])
    assert fit["loss"] < 1e-7
    np.testing.assert_allclose([fit["alpha"], fit["beta"], fit["gamma"]], true, rtol=0.02)
