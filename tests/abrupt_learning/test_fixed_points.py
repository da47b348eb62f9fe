"""q-minimisation finds the known fixed points of simple systems."""

import jax.numpy as jnp
import numpy as np

from abrupt_learning import fixed_points as fpm


def test_linear_system_fixed_point():
    rng = np.random.default_rng(0)
    A = 0.5 * rng.standard_normal((4, 4)) / 2
    c = rng.standard_normal(4)
    x_star = np.linalg.solve(np.eye(4) - A, c)
    F = lambda x: jnp.asarray(A, jnp.float32) @ x + jnp.asarray(c, jnp.float32)  # noqa: E731
    X, q = fpm.find_fixed_points(F, rng.standard_normal((8, 4)), q_tol=1e-6, tol=0.05, steps=3000)
    assert len(X) == 1
    np.testing.assert_allclose(X[0], x_star, atol=1e-2)


def test_decoupled_bistable_units_have_nine_fixed_points_four_stable():
    """W = 2 I, b = 0: each unit solves x = tanh(2 x): {0 (unstable), +-x*}; for
    N = 2 that is 9 fixed points of which the 4 corners are stable. A second
    snapshot with W = 0, b = (0.3, -0.2) has the single stable point tanh(b)."""
    xs = 0.9575040240772687                                 # root of x = tanh(2 x)
    Ws = np.stack([2 * np.eye(2), np.zeros((2, 2))]).astype(np.float32)
    bs = np.array([[0.0, 0.0], [0.3, -0.2]], np.float32)
    g = np.linspace(-1.2, 1.2, 7)
    starts = np.array([[a, b] for a in g for b in g])
    starts = np.stack([starts, starts], axis=1)            # [M, S, N]
    res = fpm.snapshot_fixed_points(Ws, bs, 0.5, starts, q_tol=1e-8, tol=0.05, steps=3000, lr=1e-2)
    first = res[0]
    assert len(first["X"]) == 9 and first["stable"].sum() == 4
    corners = np.sort(np.abs(first["X"][first["stable"]]).ravel())
    np.testing.assert_allclose(corners, xs, atol=2e-3)
    second = res[1]
    assert len(second["X"]) == 1 and second["stable"].all()
    np.testing.assert_allclose(second["X"][0], np.tanh([0.3, -0.2]), atol=2e-3)


def test_memory_patterns_of_bistable_units_are_the_eight_corners():
    """Three decoupled units x -> 0.5 x + 0.5 tanh(2 x): stable fixed points at (+-r, +-r, +-r);
    read out by the identity they hold all 8 sign patterns; a readout that merges two units
    holds fewer, and a margin above r holds none."""
    import itertools

    from abrupt_learning.fixed_points import memory_patterns, snapshot_fixed_points

    N, alpha = 3, 0.5
    corners = np.array(list(itertools.product([-0.9, 0.9], repeat=N)))
    res = snapshot_fixed_points(2 * np.eye(N)[None], np.zeros((1, N)), alpha, corners[:, None], 1e-8, 0.05, 2000, 0.01)[0]
    X = res["X"][res["stable"]]
    assert len(X) == 8
    assert memory_patterns(X, np.eye(N), np.zeros(N)) == 8
    assert memory_patterns(X, np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), np.zeros(2)) == 4
    assert memory_patterns(X, np.eye(N), np.zeros(N), margin=1.0) == 0
    assert memory_patterns(np.zeros((0, N)), np.eye(N), np.zeros(N)) == 0


def test_end_fixed_points_of_every_flipflop_network(tmp_path):
    """A tiny flip-flop grid end to end: train, then run_table's end-of-training fixed points for
    every network (counts are whole numbers, memories at most 8 and at most the stable points)."""
    import repro_core

    from abrupt_learning import stages as S
    from tests.helpers import paper_section, stage_config

    task_spec = {**paper_section("abrupt_learning", "train.task_spec"), "T": 12, "p_flip": 0.2}
    cfg = stage_config("abrupt_learning", "train", task="flipflop", rule="bptt", N=6, batch=4, probe_batch=4,
                       n_seeds=2, gains=[0.6], lams=[0.0, 1.0], eval_every=5, snap_every=2, ckpt_every=100,
                       bptt={"lr": 1e-2, "n_steps": 20}, task_spec=task_spec)
    S.train(cfg, tmp_path / "ff.npz")
    z = repro_core.load_npz(tmp_path / "ff.npz")
    assert z["final_W"].shape == (4, 6, 6)
    df = S.run_table(z, stage_config("abrupt_learning", "analyse", fp_starts=8, fp_steps=200))
    assert df.n_stable_end.notna().all() and df.n_memories_end.notna().all()
    assert (df.n_memories_end <= np.minimum(df.n_stable_end, 8)).all()
    assert np.allclose(df.n_stable_end % 1, 0) and (df.n_stable_end >= 0).all()
    other = S.run_table(z, stage_config("abrupt_learning", "analyse", fp_end_tasks=[]))
    assert other.n_stable_end.isna().all()
