"""Slow points of a trained RNN (Sussillo & Barak 2013, q-minimisation).

For the map ``x_{t+1} = x_t + alpha F(x_t)`` with
``F(x) = -x + tanh(U V^T x + b)`` the kinetic energy ``q(x) = |F(x)|^2 / 2`` is
zero exactly at fixed points; its other local minima are slow points. A slow
point with q > 0 on the path of the trial is a *ghost*: trajectories linger
there although nothing attracts them. We minimise q with
``repro_core.slow_points.find_slow_points(method="lbfgs")`` (scipy's L-BFGS-B on the map
``x -> tanh(U V^T x + b)``, whose step minus ``x`` is F; analytic gradient
``grad q = J^T F``, ``J = -I + diag(1 - phi^2) U V^T``), started from the states of the trial.

For rank-one networks the same structure is visible in the exact 1-D latent
flow ``g(kappa) = -kappa + n . tanh(m kappa + b)`` (see :mod:`ghost_points.rnn`):
its sign changes are the fixed points, and the two descriptions are checked
against each other in the tests.
"""

from __future__ import annotations

import numpy as np

from repro_core.slow_points import find_slow_points
from repro_core.slow_points import q_and_grad as _q_and_grad


def velocity(x, U, V, b):
    return -x + np.tanh(U @ (V.T @ x) + b)


def _map_and_vjp(U, V, b):
    """The map ``x -> tanh(U V^T x + b)`` (its step minus x is the velocity) and its
    vector-Jacobian product ``v -> V U^T diag(1 - phi^2) v``."""
    def F(x):
        return np.tanh(U @ (V.T @ x) + b)

    def vjp(x, v):
        phi = np.tanh(U @ (V.T @ x) + b)
        return V @ (U.T @ ((1 - phi ** 2) * v))
    return F, vjp


def q_and_grad(x, U, V, b):
    """q(x) = |F(x)|^2 / 2 with F the velocity, and its analytic gradient."""
    return _q_and_grad(*_map_and_vjp(U, V, b), x)


def trial_states(U, V, b, T: int, alpha: float, x0: float) -> np.ndarray:
    """x_0 .. x_{2T} (2T + 1, N) of the noiseless trial."""
    x = np.full(b.shape, x0, dtype=float)
    out = [x]
    for _ in range(2 * T):
        x = x + alpha * velocity(x, U, V, b)
        out.append(x)
    return np.array(out)


def minimise_q(x_init, U, V, b, tol: float = 1e-14, maxiter: int = 2000):
    """Local minimum of q from x_init: (x*, q*)."""
    U, V, b = (np.asarray(a, float) for a in (U, V, b))
    F, vjp = _map_and_vjp(U, V, b)
    X, q = find_slow_points(F, np.asarray(x_init, float)[None], steps=maxiter, method="lbfgs", vjp=vjp,
                            tol=tol, gtol=1e-12)
    return X[0], float(q[0])


def latent_flow(kappa, m, n, b):
    """g(kappa) = -kappa + n . tanh(m kappa + b) for rank one (kappa: array)."""
    kappa = np.asarray(kappa, float)
    return -kappa + np.tanh(np.outer(kappa, m) + b) @ n


def count_sign_changes(g) -> int:
    s = np.sign(g)
    s = s[s != 0]
    return int(np.sum(s[:-1] != s[1:]))


def latent_ghosts(g, v_ghost: float) -> np.ndarray:
    """Indices of interior local minima of |g| that are not zeros of g (no sign
    change between the neighbours) and are slower than ``v_ghost``."""
    a = np.abs(g)
    i = np.arange(1, len(g) - 1)
    is_min = (a[i] <= a[i - 1]) & (a[i] <= a[i + 1])
    no_zero = (np.sign(g[i - 1]) == np.sign(g[i])) & (np.sign(g[i]) == np.sign(g[i + 1]))
    return i[is_min & no_zero & (a[i] < v_ghost)]


def analyse_snapshot(U, V, b, T: int, alpha: float, x0: float, q_fp: float, v_ghost: float,
                     kappa_range=(-15.0, 15.0), n_kappa: int = 1000) -> dict:
    """Slow-point analysis of one network.

    q-minimisation is started from the slowest state of the trial *before* the
    readout latent reaches 1 (the delay period). The result is a fixed point if
    q* < q_fp, a ghost if q_fp <= q* and its speed sqrt(2 q*) < v_ghost (a
    speed minimum with no zero), otherwise no slow point on the path. For K = 1
    the fixed points are also counted from the latent flow on ``kappa_range``."""
    U, V, b = (np.asarray(a, float) for a in (U, V, b))
    xs = trial_states(U, V, b, T, alpha, x0)
    kap = xs @ V[:, 0]
    speeds = np.linalg.norm(np.array([velocity(x, U, V, b) for x in xs]), axis=1)
    before = np.flatnonzero(kap < 1.0)
    cut = before[-1] + 1 if before.size else 1
    i0 = int(np.argmin(speeds[:cut]))
    x_star, q_star = minimise_q(xs[i0], U, V, b)
    speed = float(np.sqrt(2 * q_star))
    kind = "fixed" if q_star < q_fp else ("ghost" if speed < v_ghost else "none")
    out = {"q": q_star, "speed": speed, "kind": kind, "kappa_star": float(x_star @ V[:, 0]),
           "min_traj_speed": float(speeds[:cut].min())}
    if U.shape[1] == 1:
        ks = np.linspace(*kappa_range, n_kappa)
        g = latent_flow(ks, U[:, 0], V[:, 0], b)
        out["n_fixed_latent"] = count_sign_changes(g)
        out["n_ghost_latent"] = int(len(latent_ghosts(g, v_ghost)))
    return out


# ------------------------------------------------- per-epoch latent flow (rank one)
FLOW_GRID = np.linspace(-15.0, 15.0, 1000)   # the authors' grid for counting fixed points


def path_flow(m, n, b, kappa0: float, n_path: int = 401) -> dict:
    """The rank-one latent flow ``g`` of one network, as the paper reads it.

    * ``n_fixed``: sign changes of g on [-15, 15] (1000 points): the number of
      latent fixed points.
    * On the trial's path ``[kappa0, 1]`` (from the initial latent to the
      readout threshold): ``fixed_on_path`` (g changes sign there: the trial is
      trapped before the output can rise), ``ghost_on_path`` (g > 0 on the whole
      path, no zero, and an interior local minimum of g: a slow point with no
      fixed point, the ghost of a saddle-node), and ``min_speed_path`` = min |g|
      on the path. No speed threshold: the paper gives none.
    """
    m, n, b = (np.asarray(a, float) for a in (m, n, b))
    g_all = latent_flow(FLOW_GRID, m, n, b)
    out = {"n_fixed": count_sign_changes(g_all), "fixed_on_path": False, "ghost_on_path": False,
           "min_speed_path": 0.0}
    if not kappa0 < 1.0:
        return out
    ks = np.linspace(kappa0, 1.0, n_path)
    g = latent_flow(ks, m, n, b)
    out["min_speed_path"] = float(np.abs(g).min())
    if count_sign_changes(g) > 0 or np.any(g == 0):
        out["fixed_on_path"] = True
    elif np.all(g > 0):
        i = np.arange(1, len(g) - 1)
        out["ghost_on_path"] = bool(np.any((g[i] < g[i - 1]) & (g[i] <= g[i + 1])))
    return out
