"""The authors' interpolation-threshold filter, the Fisher-z interval, the transformer's own
transition time and the bootstrap slope, on hand cases with known answers."""

import math

import numpy as np
import pandas as pd
import pytest

from icl_rational import analysis, urns


def _table(series: dict, steps):
    return pd.DataFrame([{"D": D, "step": s, "d_interp_id": v}
                         for D, vals in series.items() for s, v in zip(steps, vals)])


def test_interpolation_threshold_hand_case():
    steps = [20, 50, 100, 200, 400]
    # D=4: min 0.4, max 5 -> cut 0.4 + 0.2 * 4.6 = 1.32, first below at step 100
    # D=8: min 0.2, max 3 -> cut 0.2 + 0.2 * 2.8 = 0.76, first below at step 400
    tab = _table({4: [5, 4, 1.0, 0.5, 0.4], 8: [3, 3, 2.9, 1.0, 0.2]}, steps)
    assert analysis.interpolation_threshold(tab, 0.2) == 400          # the latest over D
    assert analysis.interpolation_threshold(tab[tab["D"] == 4], 0.2) == 100
    # a larger percentile admits earlier checkpoints: D=8 cut 0.2 + 0.5 * 2.8 = 1.6 -> step 200
    assert analysis.interpolation_threshold(tab, 0.5) == 200
    # row order does not matter (sorted by step inside)
    assert analysis.interpolation_threshold(tab.sample(frac=1, random_state=1), 0.2) == 400


def test_interpolation_threshold_constant_distance_excludes_everything():
    tab = _table({4: [1.0, 1.0, 1.0]}, [10, 20, 30])     # nothing strictly below min + 0.2 * 0
    assert analysis.interpolation_threshold(tab) == math.inf


def test_interpolation_distance_zero_on_mixtures_positive_off_them():
    rng = np.random.default_rng(0)
    pool = urns.sample_pool(rng, 4, 6)
    tok = urns.sample_sequences(rng, pool[rng.integers(0, 4, 16)], 10)
    M, G = urns.memorizing_probs(tok, pool), urns.generalizing_probs(tok, 6)
    for w in (0.0, 0.3, 1.0):
        assert urns.interpolation_distance(w * M + (1 - w) * G, M, G) == pytest.approx(0.0, abs=1e-3)
    uniform = np.full_like(M, 1 / 6)
    assert urns.interpolation_distance(uniform, M, G) > 0.05


def test_fisher_ci_closed_form():
    lo, hi = analysis.fisher_ci(0.5, 28)                  # z = atanh(.5), half-width 1.96/5
    z, h = math.atanh(0.5), 1.959963984540054 / 5
    assert (lo, hi) == pytest.approx((math.tanh(z - h), math.tanh(z + h)), abs=1e-12)
    assert all(math.isnan(x) for x in analysis.fisher_ci(0.5, 3))
    c = analysis.pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10.5])
    assert c["n"] == 5 and c["r"] > 0.99 and c["ci"][0] < c["r"] < c["ci"][1]


def test_last_crossing():
    steps = [10, 20, 30, 40, 50]
    assert analysis.last_crossing(steps, [0.1, 0.6, 0.4, 0.7, 0.8], 0.5) == 40
    assert analysis.last_crossing(steps, [0.1, 0.6, 0.4, 0.7, 0.3], 0.5) is None   # ends below
    assert analysis.last_crossing(steps, [0.6, 0.7, 0.8, 0.9, 0.9], 0.5) is None   # never below: not observed


def test_slope_bootstrap_exact_power_law_and_degenerate():
    D = [4, 4, 8, 8, 16, 16]
    N = [3 * d ** 1.5 for d in D]
    s = analysis.slope_bootstrap(D, N, 500, 0)
    assert s["slope"] == pytest.approx(1.5) and s["n_D"] == 3
    assert s["ci"] == pytest.approx([1.5, 1.5])
    noisy = analysis.slope_bootstrap(D, [n * f for n, f in zip(N, (0.7, 1.3, 1.2, 0.8, 0.9, 1.1))], 500, 0)
    assert noisy["ci"][0] < noisy["slope"] < noisy["ci"][1]
    one = analysis.slope_bootstrap([8, 8], [100, 120], 100, 0)
    assert one["n_D"] == 1 and math.isnan(one["slope"])


def test_noise_ceiling_closed_form():
    """Reliability 1 - mean(sd^2)/var(r): with var(r) = 0.01 and sd 0.05 everywhere it is 0.75,
    the ceiling sqrt(0.75), and a perfectly correlated predictor is disattenuated by it."""
    from icl_rational.analysis import noise_ceiling
    r = np.array([0.4, 0.6] * 50)
    r = (r - r.mean()) / r.std(ddof=1) * 0.1 + 0.5          # sample variance exactly 0.01
    out = noise_ceiling(r, 2 * r + 1, np.full(len(r), 0.05))
    assert out["reliability"] == pytest.approx(0.75)
    assert out["ceiling"] == pytest.approx(np.sqrt(0.75))
    assert out["disattenuated"] == pytest.approx(1 / np.sqrt(0.75))
    assert noise_ceiling(r, r, np.zeros(len(r)))["ceiling"] == pytest.approx(1.0)


def test_r_sampling_sd_zero_for_identical_sequences():
    """Bootstrap over identical evaluation sequences cannot move r; different ones do."""
    from icl_rational.analysis import r_sampling_sd
    rng = np.random.default_rng(0)
    mem = np.tile(rng.dirichlet(np.ones(4), size=(1, 5)), (6, 1, 1))
    gen = np.tile(rng.dirichlet(np.ones(4), size=(1, 5)), (6, 1, 1))
    probs = 0.3 * mem + 0.7 * gen
    assert r_sampling_sd(probs, mem, gen, 20, rng) == pytest.approx(0.0, abs=1e-12)
    probs2 = probs.copy()
    probs2[:3] = 0.9 * mem[:3] + 0.1 * gen[:3]
    assert r_sampling_sd(probs2, mem, gen, 50, rng) > 0.01
