"""Fixed and slow points of a map by q-minimisation (Sussillo & Barak 2013).

For a discrete-time map ``F`` (an RNN's autonomous step), the speed function
``q(x) = 1/2 |F(x) - x|^2`` is zero exactly at fixed points and small at slow
points. :func:`find_slow_points` minimises it from many starting states at
once; :func:`unique_points` merges minima closer than a tolerance.

Two methods, one entry point (``method=``):

* ``"adam"``: ``jax.vmap`` of an ``optax.adam`` loop under ``lax.scan`` (one
  compilation, float32); ``F`` must be traceable by jax.
* ``"lbfgs"``: scipy's L-BFGS-B in float64 from each start in turn, with the
  analytic gradient ``grad q = (J_F - I)^T (F(x) - x)`` from ``vjp(x, v) = J_F(x)^T v``
  (:func:`q_and_grad`); ``F`` is a numpy function.

jax and optax (or scipy) are imported when the finder is called, so importing
``repro_core`` never needs them; the papers that call it depend on them.
"""

from __future__ import annotations

import numpy as np


METHODS = ("adam", "lbfgs")


def find_slow_points(F, x0, steps: int = 2000, lr: float = 1e-2, method: str = "adam", vjp=None,
                     tol: float = 1e-14, gtol: float = 1e-12):
    """Minimise ``q(x) = 1/2 |F(x) - x|^2`` from every row of ``x0 [M, N]``.

    ``F`` maps a state ``[N]`` to a state ``[N]``. ``method="adam"``: ``steps`` Adam steps of
    learning rate ``lr`` (jax; returns jax arrays). ``method="lbfgs"``: L-BFGS-B with at most
    ``steps`` iterations, stopping tolerances ``tol`` (relative change of q) and ``gtol``
    (projected gradient); needs ``vjp(x, v) = J_F(x)^T v`` (returns numpy arrays).
    Returns the minimisers ``[M, N]`` and their ``q [M]``."""
    if method == "lbfgs":
        return _lbfgs(F, vjp, x0, steps, tol, gtol)
    if method != "adam":
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return _adam(F, x0, steps, lr)


def q_and_grad(F, vjp, x):
    """``q(x) = 1/2 |F(x) - x|^2`` and its gradient ``(J_F(x) - I)^T (F(x) - x)`` (numpy)."""
    d = F(x) - x
    return 0.5 * float(d @ d), -d + vjp(x, d)


def _lbfgs(F, vjp, x0, steps: int, tol: float, gtol: float):
    from scipy.optimize import minimize

    if vjp is None:
        raise ValueError("method='lbfgs' needs vjp(x, v) = J_F(x)^T v")
    X0 = np.atleast_2d(np.asarray(x0, float))
    xs, qs = [], []
    for x in X0:
        res = minimize(lambda z: q_and_grad(F, vjp, z), x, jac=True, method="L-BFGS-B",
                       options={"ftol": tol, "gtol": gtol, "maxiter": steps})
        xs.append(res.x)
        qs.append(float(res.fun))
    return np.array(xs), np.array(qs)


def _adam(F, x0, steps: int, lr: float):
    import jax
    import jax.numpy as jnp
    import optax

    def q(x):
        d = F(x) - x
        return 0.5 * jnp.dot(d, d)

    tx = optax.adam(lr)
    grad_q = jax.grad(q)

    def solve(x):
        def body(carry, _):
            x, s = carry
            u, s = tx.update(grad_q(x), s, x)
            return (optax.apply_updates(x, u), s), None
        (x, _), _ = jax.lax.scan(body, (x, tx.init(x)), None, length=steps)
        return x, q(x)

    return jax.jit(jax.vmap(solve))(jnp.asarray(x0, jnp.float32))


def unique_points(X, tol: float) -> np.ndarray:
    """Indices of a greedy de-duplication of the rows of ``X`` in their order:
    a row closer than ``tol`` (Euclidean) to a row already kept is dropped."""
    X = np.asarray(X, float)
    keep: list[int] = []
    for i, x in enumerate(X):
        if all(np.linalg.norm(x - X[k]) >= tol for k in keep):
            keep.append(i)
    return np.array(keep, int)
