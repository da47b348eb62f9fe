"""Exact Bayes predictors and entropies against closed forms and brute force."""

import itertools
import math

import numpy as np
import pytest

from icl_emergence import processes as pr
from icl_emergence.analysis import loglog_slope, transition


def brute_force_myopic(mix, length):
    """H(X_l | X_<l) = H(X_0..X_l) - H(X_0..X_{l-1}) by enumerating every sequence."""
    joint = []
    for ell in range(1, length + 1):
        seqs = np.array(list(itertools.product(range(mix.vocab), repeat=ell)))
        logp = pr.sequence_logprob(mix, seqs)
        p = np.exp(logp)
        joint.append(-(p[p > 0] * logp[p > 0]).sum())
    return np.diff(np.concatenate([[0.0], joint]))


def test_mr_name_entropy_rate_closed_form():
    mix = pr.mr_name_mixture(0.4, 0.25)
    hmu = pr.mr_name_entropy_rate(0.4, 0.25)
    assert hmu == pytest.approx(0.835876, abs=5e-7)
    assert pr.component_entropy_rates(mix) == pytest.approx([hmu, hmu], abs=1e-12)
    # stationary distribution: pi(Mr.) = pi(name) = q/(1+2q), pi(S) = pi(B) = 1/(2(1+2q))
    pi = pr.stationary(mix.T[0].sum(0))
    assert pi == pytest.approx([0.25 / 1.5, 0.25 / 1.5, 1 / 3, 1 / 3])


def test_mr_name_bayes_curve_matches_issue_numbers():
    h = pr.myopic_entropy(pr.mr_name_mixture(0.4, 0.25), 200)
    assert h[0] == pytest.approx(1.44519, abs=5e-6)
    assert h[1] == pytest.approx(0.95142, abs=5e-5)     # = h_mu + ln2/6 = 0.951401
    assert h[1] == pytest.approx(pr.mr_name_entropy_rate(0.4, 0.25) + math.log(2) / 6, abs=1e-12)
    assert h[5] == pytest.approx(0.8846, abs=5e-5)
    assert h[20] == pytest.approx(0.8365, abs=5e-5)
    assert h[-1] == pytest.approx(0.835876, abs=1e-6)
    assert np.all(np.diff(h) <= 1e-12)                   # h_l never rises (conditioning)


@pytest.mark.parametrize("mix", [pr.mr_name_mixture(0.4, 0.25), pr.mr_name_mixture(0.1, 0.3),
                                 pr.coin_mixture(3)], ids=["mr_name", "mr_name_b", "coins3"])
def test_forward_filter_normalised_and_consistent(mix):
    L = 4
    seqs = np.array(list(itertools.product(range(mix.vocab), repeat=L)))
    with np.errstate(invalid="ignore", divide="ignore"):
        logp_direct = pr.sequence_logprob(mix, seqs)
        possible = np.isfinite(logp_direct)              # impossible prefixes have no posterior
        pred = pr.predictive(mix, seqs[possible])
    assert np.allclose(pred.sum(-1), 1.0)
    p_chain = np.exp(-pr.log_loss(pred, seqs[possible]).sum(1))   # prod_l Pr(x_l | x_<l)
    assert p_chain.sum() == pytest.approx(1.0, abs=1e-12)         # sums to 1 over all sequences
    assert np.allclose(np.log(p_chain), logp_direct[possible])


@pytest.mark.parametrize("mix", [pr.mr_name_mixture(0.4, 0.25), pr.coin_mixture(4)], ids=["mr_name", "coins4"])
def test_mixed_state_entropy_equals_enumeration(mix):
    assert pr.myopic_entropy(mix, 5) == pytest.approx(brute_force_myopic(mix, 5), abs=1e-10)


def test_coin_predictive_equals_hand_posterior():
    mix = pr.coin_mixture(2)                             # p = 1/3, 2/3
    pred = pr.predictive(mix, np.array([[1, 1, 0, 1]]))[0, :, 1]
    # posterior after 1,1,0 is proportional to p^2 (1-p): (2/27, 4/27) -> (1/3, 2/3)
    assert pred[0] == pytest.approx(0.5)
    assert pred[1] == pytest.approx((1 / 9 + 4 / 9) / (1 / 3 + 2 / 3))      # after "1": 5/9
    assert pred[3] == pytest.approx(1 / 3 * 1 / 3 + 2 / 3 * 2 / 3)
    # N = 1000 on a grid is close to the continuum (Beta(1,1)) prior: Laplace's rule
    seq = np.array([[1, 0, 1, 1, 1, 0, 1, 1]])
    p1 = pr.predictive(pr.coin_mixture(1000), seq)[0, :, 1]
    k = np.concatenate([[0], np.cumsum(seq[0])[:-1]])
    laplace = (k + 1) / (np.arange(seq.shape[1]) + 2)
    assert p1 == pytest.approx(laplace, abs=2e-3)


def test_coin_entropy_methods_agree():
    b = pr.coin_biases(10)
    h1 = pr.coin_myopic_entropy(b, 40)
    assert h1 == pytest.approx(pr.coin_myopic_entropy_closed_form(b, 40), abs=1e-12)
    assert h1 == pytest.approx(pr.myopic_entropy(pr.coin_mixture(10), 40), abs=1e-10)


def test_coin_excess_total_and_power_law():
    # N = 2: the total excess is the mixing entropy ln 2, decaying exponentially
    c2 = pr.coin_mixture(2)
    ex2 = pr.coin_myopic_entropy(pr.coin_biases(2), 400) - pr.asymptotic_entropy(c2)
    assert ex2.sum() == pytest.approx(math.log(2), abs=1e-9)
    # N = 1000: excess ~ 1/(2l)
    c = pr.coin_mixture(1000)
    ex = pr.coin_myopic_entropy(pr.coin_biases(1000), 400) - pr.asymptotic_entropy(c)
    assert 399 * ex[399] == pytest.approx(0.5, abs=0.01)
    ell = np.arange(8, 100)
    assert -1.1 <= loglog_slope(ell, ex[ell]) <= -0.9


def test_sampler_statistics():
    mix = pr.mr_name_mixture(0.4, 0.25)
    s = pr.sample(mix, 4000, 60, np.random.default_rng(0))
    freq = np.bincount(s.ravel(), minlength=5) / s.size
    assert freq == pytest.approx([1 / 6, 1 / 3, 1 / 3, 1 / 12, 1 / 12], abs=0.01)
    has_a, has_b = (s == pr.NAME_A).any(1), (s == pr.NAME_B).any(1)
    assert not np.any(has_a & has_b)                     # one component per sequence
    nxt = s[:, 1:][s[:, :-1] == pr.MR]
    assert np.all(np.isin(nxt, pr.NAME_TOKENS))          # Mr. is always followed by a name
    coins = pr.sample(pr.coin_mixture(2), 3000, 50, np.random.default_rng(1))
    assert set(np.unique(coins.mean(1).round(1))) <= set(np.round(np.linspace(0, 1, 11), 1))
    assert coins.mean() == pytest.approx(0.5, abs=0.02)


def test_name_masks_and_transition_detection():
    s = np.array([[0, 3, 1, 0, 3, 2, 0, 3]])
    first, second = pr.name_occurrence_masks(s)
    assert np.nonzero(first[0])[0].tolist() == [1] and np.nonzero(second[0])[0].tolist() == [4]
    steps = np.arange(0, 200, 10)
    curve = np.where(steps < 50, 1.5, np.log(2) * np.exp(-(steps - 50) / 20.0))
    t = transition(steps, curve)
    assert t["step"] == 70                                # first step with loss < ln2/2
    assert t["start"] == 60 and t["end"] == 100

