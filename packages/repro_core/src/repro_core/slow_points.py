"""Fixed and slow points of a map by q-minimisation (Sussillo & Barak 2013).

For a discrete-time map ``F`` (an RNN's autonomous step), the speed function
``q(x) = 1/2 |F(x) - x|^2`` is zero exactly at fixed points and small at slow
points. :func:`find_slow_points` minimises it from many starting states at
once (``jax.vmap`` of an ``optax.adam`` loop under ``lax.scan``, one
compilation); :func:`unique_points` merges minima closer than a tolerance.

jax and optax are imported when the finder is called, so importing
``repro_core`` never needs them; the papers that call it depend on both.
"""

from __future__ import annotations

import numpy as np


def find_slow_points(F, x0, steps: int = 2000, lr: float = 1e-2):
    """Minimise ``q(x) = 1/2 |F(x) - x|^2`` from every row of ``x0 [M, N]``
    (Adam, ``steps`` steps of learning rate ``lr``).

    ``F`` maps a state ``[N]`` to a state ``[N]`` and must be traceable by jax.
    Returns the minimisers ``[M, N]`` and their ``q [M]`` (jax arrays)."""
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
