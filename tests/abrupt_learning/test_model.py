"""Regulariser value and gradient by hand; RFLO = BPTT where they must agree;
Procrustes distance against scipy."""

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial import procrustes

from abrupt_learning import model, tasks
from tests.helpers import paper_section

BPTT = jax.jit(model.bptt_grad, static_argnums=4)
RFLO = jax.jit(model.rflo_grad, static_argnums=4)


def task_spec(**kw) -> tasks.TaskSpec:
    """config/abrupt_learning.yaml's train.task_spec (smoke) with the test's changes."""
    return tasks.TaskSpec(**{**paper_section("abrupt_learning", "train.task_spec"), **kw})


def test_consistency_value_and_gradient_by_hand():
    # h_1 = (1, 0), h_2 = (1, 2), h_3 = (0, 2); hold on steps 2 and 3
    hs = jnp.array([[[1.0, 0.0], [1.0, 2.0], [0.0, 2.0]]])
    hold = jnp.array([[0.0, 1.0, 1.0]])
    # |h2 - h1|^2 = 4, |h3 - h2|^2 = 1: per unit (N = 2) 2 and 0.5, mean over the 2 hold steps
    assert float(model.consistency(hs, hold)) == 1.25
    g = np.asarray(jax.grad(model.consistency)(hs, hold))[0]
    # dR/dh_t = (hold_t (h_t - h_{t-1}) - hold_{t+1} (h_{t+1} - h_t)) * 2 / (N sum(hold))
    np.testing.assert_allclose(g, [[0.0, -1.0], [0.5, 1.0], [-0.5, 0.0]])


def test_consistency_is_per_unit():
    """Copies of the same units give the same penalty: its strength does not grow with N."""
    rng = np.random.default_rng(3)
    hs = jnp.asarray(rng.normal(size=(2, 7, 3)))
    hold = jnp.asarray((rng.random((2, 7)) < 0.6).astype(np.float32))
    R = float(model.consistency(hs, hold))
    assert np.isclose(float(model.consistency(jnp.concatenate([hs] * 4, axis=-1), hold)), R, rtol=1e-6)


def _net(W_scale, seed=0, N=6):
    params, fb = model.init_params(jax.random.key(seed), N, 2, 1, 1.0)
    params["W"] = params["W"] * W_scale
    params["b"] = 0.1 * jnp.arange(N, dtype=jnp.float32)
    return params, fb


def test_rflo_equals_bptt_without_recurrence():
    """With W = 0 the only path from h_s to later states is the leak, which is
    exactly RFLO's filter: with feedback B = W_out^T both give the same numbers."""
    params, _ = _net(0.0)
    batch = tasks.sample("addition", task_spec(T=12), jax.random.key(1), 5)
    for lam in (0.0, 0.7):
        g_b, (L_b, R_b) = BPTT(params, None, batch, lam, 0.3)
        g_r, (L_r, R_r) = RFLO(params, params["W_out"].T, batch, lam, 0.3)
        assert np.isclose(L_b, L_r) and np.isclose(R_b, R_r)
        for k in model.KEYS:
            np.testing.assert_allclose(g_r[k], g_b[k], rtol=2e-4, atol=1e-6, err_msg=k)


def test_rflo_differs_from_bptt_with_recurrence_but_readout_is_exact():
    params, fb = _net(1.0)
    batch = tasks.sample("evidence", task_spec(T=12), jax.random.key(2), 4)
    g_b, _ = BPTT(params, None, batch, 0.0, 0.5)
    g_r, _ = RFLO(params, fb, batch, 0.0, 0.5)
    np.testing.assert_allclose(g_r["W_out"], g_b["W_out"], rtol=1e-4, atol=1e-7)
    assert not np.allclose(g_r["W"], g_b["W"], rtol=1e-2)


def test_procrustes_matches_scipy_and_ignores_rotation_and_scale():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 5))
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    assert float(model.procrustes_disparity(jnp.asarray(X), jnp.asarray(3.0 * X @ Q + 1.0))) < 1e-5
    Y = rng.standard_normal((50, 5))
    np.testing.assert_allclose(float(model.procrustes_disparity(jnp.asarray(X), jnp.asarray(Y))),
                               procrustes(X, Y)[2], rtol=1e-4)


def test_sgd_momentum_optimizer_by_hand():
    """The SGD variant is heavy-ball momentum: with a constant gradient g the updates are
    -lr g, then -lr (momentum g + g)."""
    import pytest

    tx = model.optimizer(0.1, 0.0, "sgd", 0.9)
    p = {"w": jnp.zeros(3)}
    g = {"w": jnp.array([1.0, -2.0, 0.5])}
    st = tx.init(p)
    u1, st = tx.update(g, st, p)
    u2, st = tx.update(g, st, p)
    np.testing.assert_allclose(u1["w"], -0.1 * g["w"], rtol=1e-6)
    np.testing.assert_allclose(u2["w"], -0.1 * 1.9 * g["w"], rtol=1e-6)
    with pytest.raises(ValueError, match="sgd"):
        model.optimizer(0.1, 0.0, "rmsprop")


def test_full_batch_sgd_is_plain_gradient_descent_on_the_fixed_set():
    """With ``train_trials > 0`` every step is a gradient step on the same fixed training set
    (the authors' full-batch SGD): the trained grid equals gradient descent by hand, and the
    training set is neither the probe batch nor a fresh batch."""
    from abrupt_learning import train

    spec = train.GridSpec(task="addition", rule="bptt", N=6, alpha=0.5, batch=4, probe_batch=4,
                          n_steps=3, eval_every=3, lr=0.05, clip=0.0, seeds=(0, 1), gains=(0.7,),
                          lams=(0.0,), task_spec=task_spec(T=12), optimizer="sgd", momentum=0.0,
                          train_trials=5)
    params, fb = train.init_grid(spec)
    chunk, tx = train.make_chunk(spec)
    out, _, L, _ = chunk(params, jax.vmap(tx.init)(params), fb, jnp.zeros(2), jnp.int32(0))
    data = train.train_set(spec)
    assert data[0].shape[0] == 5
    assert not np.allclose(data[0][:4], train.probe_batch(spec)[0])
    for n in range(2):
        p = {k: v[n] for k, v in params.items()}
        losses = []
        for _ in range(3):
            g, (l, _) = BPTT(p, None, data, 0.0, 0.5)
            losses.append(float(l))
            p = {k: p[k] - 0.05 * g[k] for k in model.KEYS}
        np.testing.assert_allclose(np.asarray(L[n]), losses, rtol=1e-5)
        assert losses[2] < losses[0]
        for k in model.KEYS:
            np.testing.assert_allclose(out[k][n], p[k], rtol=1e-4, atol=1e-6, err_msg=k)
    # fresh batches (train_trials = 0): the loss of an unchanged network differs from step to step
    fresh = train.GridSpec(**{**spec.__dict__, "train_trials": 0, "lr": 0.0})
    chunk0, tx0 = train.make_chunk(fresh)
    _, _, L0, _ = chunk0(params, jax.vmap(tx0.init)(params), fb, jnp.zeros(2), jnp.int32(0))
    assert np.ptp(np.asarray(L0[0])) > 1e-4


def test_initial_weights_depend_on_seed_and_gain_only():
    """Runs with and without the regulariser start from the same network (the paired speed-up
    test relies on it), and a network's weights do not depend on the rest of the grid."""
    from abrupt_learning import train

    def spec(seeds, lams):
        return train.GridSpec(task="addition", rule="bptt", N=5, alpha=0.5, batch=2, probe_batch=2, n_steps=2,
                              eval_every=2, lr=0.01, clip=1.0, seeds=seeds, gains=(0.6, 0.7), lams=lams,
                              task_spec=task_spec(T=8))

    big = spec((3, 4, 5), (0.0, 3.0))
    p, fb = train.init_grid(big)
    S, G, LAM = train.grid(big)
    small = spec((4,), (0.0,))
    q, fq = train.init_grid(small)
    S2, G2, _ = train.grid(small)
    for k in model.KEYS:
        v = np.asarray(p[k])
        np.testing.assert_array_equal(v[LAM == 0.0], v[LAM == 3.0], err_msg=k)
        for n in range(len(S2)):
            m = np.flatnonzero((S == S2[n]) & (G == G2[n]) & (LAM == 0.0))[0]
            np.testing.assert_array_equal(v[m], np.asarray(q[k])[n], err_msg=k)
    np.testing.assert_array_equal(np.asarray(fb)[LAM == 0.0], np.asarray(fb)[LAM == 3.0])
    assert not np.allclose(np.asarray(p["W"])[0], np.asarray(p["W"])[2])    # other gain, same seed: scaled copy
    np.testing.assert_allclose(np.asarray(p["W"])[2] / 0.7, np.asarray(p["W"])[0] / 0.6, rtol=1e-5)
    assert not np.allclose(np.asarray(p["W"])[0], np.asarray(p["W"])[4])    # another seed
