"""q-minimisation on maps whose fixed points are known in closed form."""

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

from repro_core.slow_points import find_slow_points, unique_points  # noqa: E402


def _contracting_affine_map(N: int = 5, seed: int = 0):
    """F(x) = A x + c with spectral radius 0.6: its one fixed point is (I - A)^-1 c."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(N, N))
    A *= 0.6 / np.max(np.abs(np.linalg.eigvals(A)))
    c = rng.normal(size=N)
    return rng, A, c, np.linalg.solve(np.eye(N) - A, c)


def test_linear_map_fixed_point():
    """F(x) = A x + c with spectral radius < 1 has the single fixed point (I - A)^-1 c."""
    import jax.numpy as jnp

    rng, A, c, x_star = _contracting_affine_map()
    N = len(c)
    Aj, cj = jnp.asarray(A, jnp.float32), jnp.asarray(c, jnp.float32)
    X, q = find_slow_points(lambda x: Aj @ x + cj, rng.normal(size=(6, N)) * 3, steps=3000, lr=0.02)
    X, q = np.asarray(X), np.asarray(q)
    assert np.all(q < 1e-8)
    assert np.allclose(X, x_star[None], atol=1e-3)


def test_tanh_network_known_zero():
    """A leaky tanh network built so that x* solves x = tanh(W x + b): b = artanh(x*) - W x*.
    With a weak W the map is a contraction, so x* is its only fixed point and every start ends there."""
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    N, alpha = 8, 0.5
    W = 0.3 * rng.normal(size=(N, N)) / np.sqrt(N)
    x_star = rng.uniform(-0.8, 0.8, size=N)
    b = np.arctanh(x_star) - W @ x_star
    Wj, bj = jnp.asarray(W, jnp.float32), jnp.asarray(b, jnp.float32)
    F = lambda x: (1 - alpha) * x + alpha * jnp.tanh(Wj @ x + bj)  # noqa: E731
    X, q = find_slow_points(F, rng.uniform(-1, 1, size=(10, N)), steps=4000, lr=0.01)
    X, q = np.asarray(X), np.asarray(q)
    # float32 Adam at lr 0.01 jitters around the zero (one start in a fresh venv ended at q 5e-8,
    # more steps do not lower it): the location is the exact check
    assert np.all(q < 1e-6)
    assert np.allclose(X, x_star[None], atol=2e-3)
    assert len(unique_points(X, 0.05)) == 1


def test_bistable_units_all_fixed_points():
    """Two decoupled units x -> tanh(2 x): fixed points at 0 and +-r with r = tanh(2 r) in each
    coordinate, 9 in all; starts in every quadrant and on the axes find all of them."""
    import jax.numpy as jnp
    from scipy.optimize import brentq

    r = brentq(lambda x: np.tanh(2 * x) - x, 0.5, 1.5)
    grid = np.array([-r, 0.0, r])
    truth = np.array([[a, b] for a in grid for b in grid])
    starts = truth + 0.05 * np.random.default_rng(2).normal(size=truth.shape)
    starts[np.abs(truth) < 1e-12] = 0.0          # the unstable point only from exactly its coordinate
    X, q = find_slow_points(lambda x: jnp.tanh(2 * x), starts, steps=3000, lr=0.01)
    X, q = np.asarray(X), np.asarray(q)
    assert np.all(q < 1e-8)
    keep = unique_points(X, 0.05)
    assert len(keep) == 9
    d = np.linalg.norm(X[keep][:, None] - truth[None], axis=-1).min(axis=1)
    assert np.all(d < 1e-3)


def test_unique_points_merges_within_tol():
    X = np.array([[0.0, 0.0], [0.01, 0.0], [1.0, 0.0], [1.0, 0.049], [1.0, 0.2]])
    assert unique_points(X, 0.05).tolist() == [0, 2, 4]
    assert unique_points(np.zeros((0, 3)), 0.1).tolist() == []


# ---------------------------------------------------------------- method="lbfgs" (scipy, float64)
def test_lbfgs_linear_map_fixed_point():
    """The same closed-form fixed point (I - A)^-1 c found by L-BFGS-B in float64 (numpy F and
    its vjp v -> A^T v), to far tighter tolerance than float32 Adam."""
    rng, A, c, x_star = _contracting_affine_map()
    N = len(c)
    X, q = find_slow_points(lambda x: A @ x + c, rng.normal(size=(6, N)) * 3, method="lbfgs",
                            vjp=lambda x, v: A.T @ v)
    assert isinstance(X, np.ndarray) and X.shape == (6, N) and q.shape == (6,)
    assert np.all(q < 1e-14)            # float32 Adam stops near 1e-8
    assert np.allclose(X, x_star[None], atol=1e-6)


def test_lbfgs_gradient_matches_finite_differences():
    """q_and_grad's analytic gradient (J_F - I)^T (F(x) - x) of a tanh network equals central
    differences of q."""
    from repro_core.slow_points import q_and_grad

    rng = np.random.default_rng(3)
    N = 6
    W, b = rng.normal(size=(N, N)), rng.normal(size=N)
    F = lambda x: np.tanh(W @ x + b)  # noqa: E731
    vjp = lambda x, v: W.T @ ((1 - np.tanh(W @ x + b) ** 2) * v)  # noqa: E731
    x = rng.normal(size=N)
    q, g = q_and_grad(F, vjp, x)
    assert q == pytest.approx(0.5 * np.sum((F(x) - x) ** 2))
    fd = [(q_and_grad(F, vjp, x + 1e-6 * e)[0] - q_and_grad(F, vjp, x - 1e-6 * e)[0]) / 2e-6 for e in np.eye(N)]
    assert np.allclose(g, fd, atol=1e-6)


def test_methods_agree_and_unknown_method_fails():
    """Adam and L-BFGS-B find the same bistable fixed points; lbfgs without vjp and an unknown
    method are errors."""
    import jax.numpy as jnp
    from scipy.optimize import brentq

    r = brentq(lambda x: np.tanh(2 * x) - x, 0.5, 1.5)
    starts = np.array([[0.8, -0.9], [-1.1, 1.2]])
    Xa, _ = find_slow_points(lambda x: jnp.tanh(2 * x), starts, steps=3000, lr=0.01)
    Xl, ql = find_slow_points(lambda x: np.tanh(2 * x), starts, method="lbfgs",
                              vjp=lambda x, v: 2 * (1 - np.tanh(2 * x) ** 2) * v)
    assert np.allclose(Xl, [[r, -r], [-r, r]], atol=1e-6) and np.all(ql < 1e-14)
    assert np.allclose(np.asarray(Xa), Xl, atol=1e-3)
    with pytest.raises(ValueError, match="vjp"):
        find_slow_points(lambda x: x, starts, method="lbfgs")
    with pytest.raises(ValueError, match="method"):
        find_slow_points(lambda x: x, starts, method="newton")
