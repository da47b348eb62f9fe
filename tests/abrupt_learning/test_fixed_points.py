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
