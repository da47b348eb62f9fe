"""RNN model, BPTT gradients, latent reduction and slow-point search."""

import numpy as np
import jax
import jax.numpy as jnp
import pytest

from ghost_points import rnn, slow

jax.config.update("jax_enable_x64", True)  # finite differences need float64


def _params(seed=0, N=30, K=2):
    p = rnn.init_params(seed, N, K)
    p["b"] = np.random.default_rng(seed).normal(0, 0.3, N).astype(np.float32)
    return p


def test_bptt_gradient_against_finite_differences():
    p = {k: jnp.asarray(v, jnp.float64) for k, v in _params().items()}
    mask = jnp.ones(2)
    f = lambda q: rnn.loss_fn(q, mask, 3.0, 10, 0.5, -0.3)
    g = jax.grad(f)(p)
    rng = np.random.default_rng(1)
    for k in ("U", "V", "b"):
        d = jnp.asarray(rng.standard_normal(p[k].shape))
        h = 1e-6
        plus = {**p, k: p[k] + h * d}
        minus = {**p, k: p[k] - h * d}
        fd = (float(f(plus)) - float(f(minus))) / (2 * h)
        assert float(jnp.sum(g[k] * d)) == pytest.approx(fd, rel=1e-4, abs=1e-9)


def test_rank_mask_freezes_extra_columns():
    p = {k: jnp.asarray(v) for k, v in _params(K=3).items()}
    g = jax.grad(rnn.loss_fn)(p, jnp.asarray(rnn.rank_mask(1, 3)), 10.0, 10, 0.5, -0.3)
    assert np.all(np.asarray(g["U"])[:, 1:] == 0) and np.all(np.asarray(g["V"])[:, 1:] == 0)


def test_rank_one_latent_flow_is_exact():
    p = _params(K=1)
    U, V, b = (np.asarray(p[k], float) for k in ("U", "V", "b"))
    xs = slow.trial_states(U, V, b, 10, 0.5, -0.3)
    kap = xs @ V[:, 0]
    pred = kap[:-1] + 0.5 * slow.latent_flow(kap[:-1], U[:, 0], V[:, 0], b)
    assert kap[1:] == pytest.approx(pred, abs=1e-12)


def test_q_gradient_and_fixed_point_search():
    p = _params(K=2)
    U, V, b = (np.asarray(p[k], float) for k in ("U", "V", "b"))
    x = np.random.default_rng(2).normal(0, 0.5, 30)
    q, g = slow.q_and_grad(x, U, V, b)
    e = np.random.default_rng(3).standard_normal(30)
    fd = (slow.q_and_grad(x + 1e-6 * e, U, V, b)[0] - slow.q_and_grad(x - 1e-6 * e, U, V, b)[0]) / 2e-6
    assert g @ e == pytest.approx(fd, rel=1e-5)
    x_star, q_star = slow.minimise_q(x, U, V, b)
    assert q_star < 1e-16
    assert np.linalg.norm(slow.velocity(x_star, U, V, b)) < 1e-7


def test_ghost_is_found_as_nonzero_slow_point():
    # U = w 1, V = 1/N: kappa = mean(x) and F(x) = -x + tanh(w kappa + b) 1, so on the
    # diagonal x = c 1 the network is the tanh unit (|F| = sqrt(N) |f(c)|) and the
    # off-diagonal part decays: the unit's ghost at c = -s is a local minimum of q.
    N, w, eps = 40, 2.0, 1e-3
    s = np.sqrt(1 - 1 / w)
    b_hi = w * s - np.arctanh(s)
    U, V, b = np.full((N, 1), w), np.full((N, 1), 1.0 / N), np.full(N, b_hi + eps)
    x0 = np.full(N, -s) + np.random.default_rng(0).normal(0, 0.05, N)
    x_star, q_star = slow.minimise_q(x0, U, V, b)
    speed = np.sqrt(2 * q_star)
    assert speed > 1e-6                                    # not a fixed point
    assert speed == pytest.approx(np.sqrt(N) * eps / w, rel=0.01)
    assert x_star == pytest.approx(np.full(N, -s), abs=0.01)
    res = slow.analyse_snapshot(U, V, b, 20, 0.5, -0.9, q_fp=1e-10, v_ghost=0.05)
    assert res["kind"] == "ghost" and res["n_fixed_latent"] == 1 and res["n_ghost_latent"] == 1


def test_drop_epoch_and_learned():
    loss = np.array([1.0, 1.0, 0.99, 0.4, 0.005])
    assert rnn.drop_epoch(loss) == 3
    assert rnn.learned(loss)
    assert rnn.drop_epoch(np.ones(5)) == -1
