"""The task and its two Bayes predictors: closed forms, brute-force Bayes, invariants."""

import itertools

import numpy as np
import pytest

from icl_rational import urns


def test_generalizing_expected_kl_matches_issue_numbers():
    # issue 6: E[KL] of G at positions 0/8/64/127 and summed over 128 positions (V = 8)
    v = urns.expected_kl_generalizing(8, 128)
    assert np.round(v[[0, 8, 64, 127]], 4).tolist() == [0.3616, 0.1925, 0.0463, 0.0251]
    assert round(float(v.sum()), 4) == 9.2335
    # position 0 in closed form: psi(2) - psi(V+1) + ln V
    from scipy.special import digamma
    assert v[0] == pytest.approx(digamma(2) - digamma(9) + np.log(8), abs=1e-12)


def test_generalizing_expected_kl_matches_monte_carlo():
    """Closed form vs. 40 000 simulated tasks and sequences; tolerance 5 standard errors."""
    rng = np.random.default_rng(0)
    V, C, n = 8, 12, 40_000
    theta = urns.sample_pool(rng, n, V)
    tok = urns.sample_sequences(rng, theta, C)
    kls = urns.kl(theta[:, None, :], urns.generalizing_probs(tok, V))       # [n, C]
    se = kls.std(0) / np.sqrt(n)
    assert np.all(np.abs(kls.mean(0) - urns.expected_kl_generalizing(V, C)) < 5 * se)


def test_generalizing_is_laplace_rule():
    tok = np.array([[0, 0, 2]])
    p = urns.generalizing_probs(tok, 3)
    np.testing.assert_allclose(p[0, 0], [1 / 3] * 3)
    np.testing.assert_allclose(p[0, 3], [3 / 6, 1 / 6, 2 / 6])


def test_memorizing_is_bayes_over_pool():
    """Brute force: posterior over the pool from explicit likelihood products."""
    rng = np.random.default_rng(1)
    pool = urns.sample_pool(rng, 3, 4)
    tok = np.array(list(itertools.product(range(4), repeat=3)))            # every length-3 sequence
    p = urns.memorizing_probs(tok, pool, chunk=7)
    for s, seq in enumerate(tok):
        for t in range(4):
            lik = np.array([np.prod(pool[k, seq[:t]]) for k in range(3)])
            post = lik / lik.sum()
            np.testing.assert_allclose(p[s, t], post @ pool, rtol=1e-10)
    # a pool of one task predicts that task everywhere
    np.testing.assert_allclose(urns.memorizing_probs(tok, pool[:1]), np.broadcast_to(pool[0], p.shape))


def test_memorizing_beats_generalizing_in_distribution_at_small_D():
    """Issue: at D=4, KL_M ~ 0.011 vs KL_G ~ 0.079 ID (128 positions), M's OOD KL ~ 0.53."""
    rng = np.random.default_rng(2)
    pool = urns.sample_pool(rng, 4, 8)
    th = pool[rng.integers(0, 4, 400)]
    tok = urns.sample_sequences(rng, th, 128)
    kl_m = urns.kl(th[:, None], urns.memorizing_probs(tok, pool)).mean()
    kl_g = urns.kl(th[:, None], urns.generalizing_probs(tok, 8)).mean()
    assert kl_m < 0.03 and 0.06 < kl_g < 0.09
    ood = urns.sample_pool(rng, 400, 8)
    tok = urns.sample_sequences(rng, ood, 128)
    assert urns.kl(ood[:, None], urns.memorizing_probs(tok, pool)).mean() > 0.3


def test_relative_distance_endpoints():
    rng = np.random.default_rng(3)
    pool = urns.sample_pool(rng, 4, 5)
    tok = urns.sample_sequences(rng, pool[rng.integers(0, 4, 20)], 10)
    m, g = urns.memorizing_probs(tok, pool), urns.generalizing_probs(tok, 5)
    assert urns.relative_distance(m, m, g) == pytest.approx(1.0)
    assert urns.relative_distance(g, m, g) == pytest.approx(0.0)
    mid = urns.relative_distance(0.5 * m + 0.5 * g, m, g)
    assert 0.3 < mid < 0.7
