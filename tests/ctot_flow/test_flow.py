"""Flow matching: targets, pair samplers, training, checkpoint resume, ODE integration."""

import numpy as np
import pytest
import torch

from ctot_flow.flow import MLP, PairSampler, TrainConfig, cfm_target, integrate, ot_pair, train_flow
from ctot_flow.processes import LINEAR_V, Process, observe


def test_linear_drift_with_exact_times_gives_the_drift_as_target():
    """Pairs of the same linear-drift particles at t and t + delta (exact times), OT-coupled
    after shuffling: the flow-matching target (x1 - x0) / delta equals the drift exactly."""
    proc = Process("linear", 2)
    rng = np.random.default_rng(0)
    x0 = proc.sample_x0(128, rng)
    t, delta = 0.3, 0.1
    xa = proc.flow_map(x0, np.full(128, t))
    xb = proc.flow_map(x0, np.full(128, t + delta))[rng.permutation(128)]
    xb = xb[ot_pair(xa, xb)]
    s = rng.uniform(size=128)
    xs, ts, u = cfm_target(xa, xb, np.full(128, t), np.full(128, delta), s, np.zeros_like(xa), 0.0)
    np.testing.assert_allclose(u, proc.velocity(xs, ts), atol=1e-10)
    np.testing.assert_allclose(ts, t + s * delta)
    np.testing.assert_allclose(xs, proc.flow_map(x0, ts))  # the straight path is the true path


def _linear_data(n=600):
    rng = np.random.default_rng(1)
    obs = observe(Process("linear", 2, spread=0.05), n, 5, 0.0, rng)
    return obs


@pytest.mark.parametrize("method", ["ctot", "otcfm"])
def test_pair_samplers_respect_their_time_gaps(method):
    obs = _linear_data()
    sampler = PairSampler(method, obs["X"], obs["t_true"], obs["window"], 5, h=0.01, delta=0.1)
    rng = np.random.default_rng(0)
    x0, x1, t0, dt = sampler(64, rng)
    assert x0.shape == x1.shape == (64, 2) and np.all(dt == (0.1 if method == "ctot" else 0.2))
    if method == "otcfm":
        assert np.isclose((t0[0] * 5 - 0.5) % 1, 0)  # a window midpoint
    # linear drift: the average displacement over dt is about v * dt
    assert np.mean(x1 - x0, 0) == pytest.approx(np.full(2, LINEAR_V * dt[0]), abs=0.03)


def test_pair_sampler_rejects_unknown_method():
    obs = _linear_data(100)
    with pytest.raises(ValueError, match="method='sf2m' unknown"):
        PairSampler("sf2m", obs["X"], obs["t_true"], obs["window"], 5)


def test_training_learns_a_constant_drift():
    obs = _linear_data()
    sampler = PairSampler("ctot", obs["X"], obs["t_true"], obs["window"], 5, h=0.01, delta=0.1)
    torch.manual_seed(0)
    net, losses = train_flow(sampler, 2, TrainConfig(steps=300, batch=64, lr=3e-3), np.random.default_rng(0))
    assert losses[-50:].mean() < losses[:10].mean()
    with torch.no_grad():
        v = net(torch.full((200,), 0.5), torch.as_tensor(obs["X"][:200], dtype=torch.float32)).numpy()
    assert np.abs(v.mean(0) - LINEAR_V).max() < 0.15


def test_checkpoint_resume_reproduces_an_uninterrupted_run(tmp_path):
    obs = _linear_data(300)
    cfg = TrainConfig(steps=30, batch=16, ckpt_every=10)

    def run(ckpt, stop_after=None):
        calls = {"n": 0}
        base = PairSampler("otcfm", obs["X"], obs["t_true"], obs["window"], 5)

        def sampler(batch, rng):
            calls["n"] += 1
            if stop_after is not None and calls["n"] > stop_after:
                raise KeyboardInterrupt("simulated preemption")
            return base(batch, rng)

        torch.manual_seed(0)
        return train_flow(sampler, 2, cfg, np.random.default_rng(5), ckpt=ckpt)

    ref, ref_losses = run(None)
    ckpt = tmp_path / "m.pt.ckpt"
    with pytest.raises(KeyboardInterrupt):
        run(ckpt, stop_after=25)
    assert ckpt.exists()
    net, losses = run(ckpt)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-6)
    for p, q in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q)


class _Const(torch.nn.Module):
    def forward(self, t, x):
        return torch.ones_like(x) * torch.tensor([1.0, -2.0])


def test_integrate_constant_field():
    x0 = np.zeros((3, 2))
    out = integrate(_Const(), x0, np.array([0.1, 0.3, 0.6]), step=0.05)
    np.testing.assert_allclose(out[:, -1], np.tile([0.5, -1.0], (3, 1)), atol=1e-6)
    assert out.shape == (3, 3, 2)


def test_mlp_shapes():
    net = MLP(5, 64, 3)
    assert net(torch.tensor(0.2), torch.zeros(7, 5)).shape == (7, 5)
    assert net(torch.rand(7), torch.zeros(7, 5)).shape == (7, 5)
    assert sum(isinstance(m, torch.nn.Linear) for m in net.modules()) == 4


def test_start_samples_use_only_what_each_method_knows():
    from ctot_flow.evaluation import start_samples

    obs = {**_linear_data(), "n_windows": 5}
    rng = np.random.default_rng(0)
    base = start_samples("otcfm", obs, obs["t_true"], 0.1, 0.02, 300, rng)
    first = obs["X"][obs["window"] == 0]
    assert np.isin(base[:, 0], first[:, 0]).all()  # the whole first snapshot, as if at t = 0.1
    sharp = start_samples("ctot", obs, obs["t_true"], 0.1, 0.01, 300, rng)
    # exact labels + narrow kernel: the estimate is concentrated near x(0.1) = x0 + 0.1
    assert sharp.mean(0) == pytest.approx(np.full(2, 0.1), abs=0.02)
    assert sharp[:, 0].std() < first[:, 0].std()
    with pytest.raises(ValueError, match="not a window midpoint"):
        start_samples("otcfm", obs, obs["t_true"], 0.15, 0.02, 10, rng)
