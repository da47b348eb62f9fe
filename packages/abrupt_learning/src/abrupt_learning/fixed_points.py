"""Fixed and slow points of a network's autonomous map by q-minimisation.

The minimiser is ``repro_core.slow_points.find_slow_points`` (vmapped optax
Adam on ``q(x) = |F(x) - x|^2 / 2``, Sussillo & Barak 2013) and the
de-duplication ``repro_core.slow_points.unique_points``; here: the network's
map, the starts and stability."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from repro_core.slow_points import find_slow_points, unique_points


def autonomous_map(params, alpha: float):
    """``F(x) = (1 - alpha) x + alpha tanh(W x + b)`` (no input)."""
    W, b = jnp.asarray(params["W"]), jnp.asarray(params["b"])
    return lambda x: (1 - alpha) * x + alpha * jnp.tanh(W @ x + b)


def jacobian(params, alpha: float, x) -> np.ndarray:
    W, b = np.asarray(params["W"], float), np.asarray(params["b"], float)
    d = 1 - np.tanh(W @ x + b) ** 2
    return (1 - alpha) * np.eye(len(x)) + alpha * d[:, None] * W


def find_fixed_points(F, starts, q_tol: float, tol: float, steps: int = 2000, lr: float = 1e-2):
    """Distinct minima of q below ``q_tol`` from ``starts [M, N]``: ``(X, q)``."""
    X, q = find_slow_points(F, np.asarray(starts, np.float32), steps=steps, lr=lr)
    X, q = np.asarray(X, float), np.asarray(q, float)
    ok = np.flatnonzero(q < q_tol)
    X, q = X[ok], q[ok]
    order = np.argsort(q)
    X, q = X[order], q[order]
    keep = unique_points(X, tol)
    return X[keep], q[keep]


def stacked_map(Ws, bs, alpha: float):
    """The autonomous maps of ``S`` networks (``Ws [S, N, N]``, ``bs [S, N]``)
    as one map on the concatenated state ``[S * N]``. Adam works coordinate by
    coordinate and ``q`` is the sum of the networks' ``q``, so minimising the
    stacked ``q`` runs the ``S`` q-minimisations exactly as separate runs would,
    with one compilation."""
    Ws, bs = jnp.asarray(Ws), jnp.asarray(bs)
    S, N = bs.shape

    def F(x):
        x = x.reshape(S, N)
        return ((1 - alpha) * x + alpha * jnp.tanh(jnp.einsum("snm,sm->sn", Ws, x) + bs)).reshape(-1)
    return F


def snapshot_fixed_points(Ws, bs, alpha: float, starts, q_tol: float, tol: float, steps: int,
                          lr: float) -> list[dict]:
    """Fixed points of ``S`` networks (snapshots) from ``starts [M, S, N]``
    (visited states of each): for each, positions ``X``, ``q`` and stability
    (spectral radius of the map's Jacobian below 1)."""
    M, S, N = np.shape(starts)
    X, _ = find_slow_points(stacked_map(Ws, bs, alpha), np.asarray(starts, np.float32).reshape(M, S * N),
                            steps=steps, lr=lr)
    X = np.asarray(X, float).reshape(M, S, N)
    out = []
    for s in range(S):
        p = {"W": np.asarray(Ws[s], float), "b": np.asarray(bs[s], float)}
        d = np.array([(1 - alpha) * x + alpha * np.tanh(p["W"] @ x + p["b"]) - x for x in X[:, s]])
        q = 0.5 * np.sum(d ** 2, axis=1)
        ok = np.flatnonzero(q < q_tol)
        ok = ok[np.argsort(q[ok])]
        keep = ok[unique_points(X[ok, s], tol)] if len(ok) else ok
        Xs = X[keep, s]
        stable = np.array([np.max(np.abs(np.linalg.eigvals(jacobian(p, alpha, x)))) < 1 for x in Xs], bool)
        out.append({"X": Xs, "q": q[keep], "stable": stable})
    return out


def memory_patterns(X, W_out, b_out, margin: float = 0.5) -> int:
    """Number of distinct sign patterns of the readout ``W_out x + b_out`` over the points ``X``
    whose every output is at least ``margin`` from 0 (a clear memory state). For the 3-bit
    flip-flop, 8 means the network holds all eight memories as (stable) fixed points."""
    if not len(X):
        return 0
    Y = np.asarray(X, float) @ np.asarray(W_out, float).T + np.asarray(b_out, float)
    clear = np.all(np.abs(Y) >= margin, axis=1)
    return len({tuple(row) for row in np.sign(Y[clear]).astype(int)})
