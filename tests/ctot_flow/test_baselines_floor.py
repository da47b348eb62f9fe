"""torchcfm baselines against our flow-matching targets, and the W2 sampling floor."""

import numpy as np
import pytest
import torch

import ctot_flow  # noqa: F401  (POT backend switches)
from ctot_flow.flow import PairSampler, TrainConfig, cfm_target, ot_pair, tcfm_matcher, tcfm_target, train_flow
from ctot_flow.metrics import wasserstein
from ctot_flow.processes import LINEAR_V, Process, observe
from ctot_flow.simulation import sampling_floor


def _batch(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=(n, 2))
    x1 = rng.normal(size=(n, 2)) + np.array([2.0, -1.0])
    return x0, x1, np.full(n, 0.3), np.full(n, 0.2), rng.uniform(size=n)


def test_icfm_target_equals_ours_without_coupling():
    x0, x1, t0, dt, s = _batch()
    ts, xs, u = tcfm_target(tcfm_matcher("tcfm_i", 0.0, 0.1), x0, x1, t0, dt, s)
    xs_o, ts_o, u_o = cfm_target(x0, x1, t0, dt, s, np.zeros_like(x0), 0.0)
    np.testing.assert_allclose(ts.numpy(), ts_o, rtol=1e-6)
    np.testing.assert_allclose(xs.numpy(), xs_o, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(u.numpy(), u_o, rtol=1e-5, atol=1e-5)


def test_torchcfm_otcfm_pairs_are_our_exact_ot_pairs():
    """Our OT-CFM against theirs on the same batch: with sigma 0 each of torchcfm's pairs
    (recovered from x_s and u_s) is a pair of our exact OT matching."""
    x0, x1, t0, dt, s = _batch(48, seed=3)
    np.random.seed(0)
    torch.manual_seed(0)
    ts, xs, u = tcfm_target(tcfm_matcher("tcfm_ot", 0.0, 0.1), x0, x1, t0, dt, s)
    disp = u.numpy().astype(float) * dt[:, None]
    a = xs.numpy() - s[:, None] * disp                      # the pair's x0
    b = a + disp                                            # its x1
    ours = {(i, int(j)) for i, j in enumerate(ot_pair(x0, x1))}
    i_of = [int(np.argmin(np.linalg.norm(x0 - p, axis=1))) for p in a]
    j_of = [int(np.argmin(np.linalg.norm(x1 - q, axis=1))) for q in b]
    np.testing.assert_allclose(a, x0[i_of], atol=1e-4)
    np.testing.assert_allclose(b, x1[j_of], atol=1e-4)
    assert set(zip(i_of, j_of)) <= ours


def test_sb_matcher_is_torchcfms_with_our_sigma():
    m = tcfm_matcher("tcfm_sb", 0.0, 0.3)
    # Brownian-bridge noise sigma sqrt(s (1 - s)): sigma / 2 at s = 1/2, 0 at the ends
    assert m.compute_sigma_t(torch.tensor(0.5)).item() == pytest.approx(0.15)
    assert m.compute_sigma_t(torch.tensor(0.0)).item() == pytest.approx(0.0)
    with pytest.raises(ValueError):
        tcfm_matcher("sf2m", 0.0, 0.1)


@pytest.mark.parametrize("method", ["tcfm_ot", "tcfm_i", "tcfm_sb"])
def test_torchcfm_baselines_learn_a_constant_drift(method):
    rng = np.random.default_rng(1)
    obs = observe(Process("linear", 2, spread=0.05), 600, 5, 0.0, rng)
    sampler = PairSampler(method, obs["X"], obs["t_true"], obs["window"], 5)
    x0, x1, t0, dt = sampler(32, np.random.default_rng(0))
    assert np.all(dt == 0.2) and np.isclose((t0[0] * 5 - 0.5) % 1, 0)   # window-midpoint pairs
    torch.manual_seed(0)
    np.random.seed(0)
    net, losses = train_flow(sampler, 2, TrainConfig(steps=300, batch=64, lr=3e-3, sb_sigma=0.05),
                             np.random.default_rng(0))
    assert losses[-50:].mean() < losses[:10].mean()
    with torch.no_grad():
        v = net(torch.full((200,), 0.5), torch.as_tensor(obs["X"][:200], dtype=torch.float32)).numpy()
    assert np.abs(v.mean(0) - LINEAR_V).max() < 0.15


def test_sampling_floor_is_what_a_perfect_model_reads():
    proc = Process("half_circle", 2, spread=0.05)
    times = np.array([0.1, 0.5, 0.9])

    def floor(n, seed=0):
        rng = np.random.default_rng(seed)
        test = proc.paths(proc.sample_x0(n, rng), times, rng)
        return test, sampling_floor(proc, test, times, 6, rng)

    test, f = floor(300)
    assert f.shape == (6, 2) and np.all(f > 0)
    # a "perfect model" (a further independent true sample) reads W2 within the floor's spread
    rng = np.random.default_rng(99)
    perfect = proc.paths(proc.sample_x0(300, rng), times, rng)
    w = np.array([wasserstein(perfect[:, j], test[:, j]) for j in (1, 2)])
    assert np.all(np.abs(w - f.mean(0)) < 4 * f.std(0, ddof=1) + 1e-3)
    # the floor shrinks with the evaluation sample size; halves of one sample overstate it
    assert floor(1200)[1].mean() < 0.75 * f.mean()
    half = np.mean([wasserstein(test[:150, j], test[150:, j]) for j in (1, 2)])
    assert half > f.mean()
