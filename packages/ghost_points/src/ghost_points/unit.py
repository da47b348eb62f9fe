"""A single leaky tanh rate unit: ``x_{t+1} = (1 - alpha) x_t + alpha tanh(w x_t + b)``.

Derivations (checked against numerics in tests/ghost_points/test_unit.py)
-----------------------------------------------------------------------
* Fixed points solve ``x = tanh(w x + b)``, i.e. ``b = B(x) := atanh(x) - w x``
  with x in (-1, 1). ``B'(x) = 1/(1 - x^2) - w`` vanishes at ``x = +-s``,
  ``s = sqrt(1 - 1/w)`` (only for w > 1). B rises from -inf to a local maximum
  ``b_hi = B(-s) = w s - atanh(s)``, falls to ``b_lo = B(s) = -b_hi`` and rises
  to +inf. Hence three fixed points for ``b_lo < b < b_hi`` and one otherwise;
  the lower pair (stable, unstable) collides at x = -s when b = b_hi
  (saddle-node bifurcation; condition f = 0 and f' = w (1 - x^2) - 1 = 0 with
  f(x) = tanh(w x + b) - x).
* Ghost. For ``b = b_hi + eps`` (eps > 0 small) expand f at x = -s:
  ``df/db = 1 - x^2 = 1/w``, ``f'' = -2 w^2 x (1 - x^2) = 2 w s`` so
  ``f ~ eps / w + w s d^2`` (d = x + s). Each step moves x by alpha f, so in the
  continuum limit the passage through the bottleneck takes
  ``pi / (alpha sqrt(eps s))`` steps: the saddle-node ``eps^{-1/2}`` law with an
  explicit prefactor. The speed minimum at x = -s is the ghost: not a fixed
  point (f = eps/w > 0) but where trajectories linger.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

from .normal_form import gd_scan

jax.config.update("jax_enable_x64", True)


def flow(x, w, b):
    """f(x) = tanh(w x + b) - x; one map step moves x by alpha f(x)."""
    return np.tanh(w * x + b) - x


def fixed_points(w: float, b: float, n_grid: int = 4001) -> np.ndarray:
    """All fixed points in (-1, 1): sign changes of f on a grid, refined by brentq."""
    xs = np.linspace(-1 + 1e-9, 1 - 1e-9, n_grid)
    f = flow(xs, w, b)
    roots = [xs[i] for i in np.flatnonzero(f == 0.0)]
    for i in np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0):
        roots.append(brentq(flow, xs[i], xs[i + 1], args=(w, b), xtol=1e-14))
    return np.array(sorted(roots))


def saddle_node(w: float) -> tuple[float, float, float]:
    """(s, b_lo, b_hi) of the saddle-node pair for w > 1: three fixed points iff
    b_lo < b < b_hi; the lower pair collides at x = -s when b = b_hi."""
    if w <= 1:
        raise ValueError(f"saddle-node bifurcations need w > 1, got w={w}")
    s = np.sqrt(1 - 1 / w)
    b_hi = w * s - np.arctanh(s)
    return float(s), float(-b_hi), float(b_hi)


def passage_time_theory(eps, w: float, alpha: float):
    """Steps to pass the ghost at b = b_hi + eps: pi / (alpha sqrt(eps s))."""
    s = np.sqrt(1 - 1 / w)
    return np.pi / (alpha * np.sqrt(np.asarray(eps) * s))


@partial(jax.jit, static_argnames=("max_steps",))
def passage_time_sim(b, w, alpha, x0, x_exit, max_steps: int):
    """Number of map steps from x0 until x first exceeds x_exit (vmappable in b)."""
    def step(carry, _):
        x, n, done = carry
        x = (1 - alpha) * x + alpha * jnp.tanh(w * x + b)
        done_now = done | (x > x_exit)
        return (x, n + jnp.where(done, 0, 1), done_now), None

    (_, n, done), _ = jax.lax.scan(step, (jnp.asarray(x0, float), 0, False), None, length=max_steps)
    return jnp.where(done, n, -1)


# ------------------------------------------------- delayed-activation task on (w, b)
def task_loss(params, T: int, alpha: float, x0: float, conf: float):
    """(1/T) sum_{t=1}^{2T} (sigmoid(conf x_t) - target_t)^2, target = [t > T]."""
    w, b = params[0], params[1]

    def step(x, _):
        x = (1 - alpha) * x + alpha * jnp.tanh(w * x + b)
        return x, x

    _, xs = jax.lax.scan(step, jnp.asarray(x0, dtype=params.dtype), None, length=2 * T)
    y = jax.nn.sigmoid(conf * xs)
    target = (jnp.arange(1, 2 * T + 1) > T).astype(y.dtype)
    return jnp.sum((y - target) ** 2) / T


def landscape(ws, bs, T: int, alpha: float, x0: float, conf: float) -> np.ndarray:
    """task_loss on the grid (len(ws), len(bs)), vmapped."""
    W, B = np.meshgrid(ws, bs, indexing="ij")
    P = jnp.stack([jnp.asarray(W.ravel()), jnp.asarray(B.ravel())], axis=1)
    f = jax.jit(jax.vmap(partial(task_loss, T=T, alpha=alpha, x0=x0, conf=conf)))
    return np.asarray(f(P)).reshape(W.shape)


def gd_paths(p0, lrs, n_steps: int, T: int, alpha: float, x0: float, conf: float,
             record_every: int = 1):
    """GD on (w, b) from every p0[i] with learning rate lrs[i] (vmapped); returns
    (paths (runs, steps/record_every + 1, 2), losses (runs, steps/record_every + 1))."""
    vg = jax.value_and_grad(partial(task_loss, T=T, alpha=alpha, x0=x0, conf=conf))

    def one(p, eta):
        ps, ls = gd_scan(vg, p, eta, n_steps)
        return ps[::record_every], ls[::record_every]

    return jax.jit(jax.vmap(one))(jnp.asarray(p0, float), jnp.asarray(lrs, float))
