"""The paper's analytic toy model: the normal form of a saddle-node bifurcation.

Model (continuous time, x(0) = 0)::

    dx/dt = x**2 + r,          y(t) = sigmoid(a * (x(t) - x_th))

Task: y = 0 for t < T and y = 1 for T <= t < 2T (delayed activation). Loss
``L = (1/T) * integral_0^{2T} (y - target)**2 dt``.

Derivations (checked against numerics in tests/ghost_points/test_normal_form.py)
-------------------------------------------------------------------------------
* For r > 0 there is no fixed point; x = 0 is the *ghost* (speed r is minimal
  there). The exact solution is ``x(t) = sqrt(r) tan(sqrt(r) t)``, which blows
  up at ``t* = pi / (2 sqrt(r))``: the delay follows the saddle-node scaling
  ``t* ~ r**-1/2``. It crosses ``x_th`` at ``arctan(x_th / sqrt(r)) / sqrt(r)``,
  i.e. ``t*`` up to ``1/x_th`` (negligible for x_th >> sqrt(r)).
* Limit a -> infinity: y is a step at t*, so
  ``L(r) = |T - t*| / T`` if t* < 2T, else 1 (output never rises).
  Optimum ``t* = T``: ``r* = pi**2 / (4 T**2)``.
  No-learning zone ``t* >= 2T``: ``r <= r*/4 = pi**2 / (16 T**2)``; there
  ``L = 1`` and ``dL/dr = 0`` exactly (r <= 0 too: a stable fixed point at
  -sqrt(-r) traps x).
  Elsewhere ``|dL/dr| = pi / (4 T r**1.5)`` with sign(+) above r* and (-) below:
  the minimum is a kink, so gradient descent bounces across it.
* Critical learning rate. A GD step ``r <- r - eta dL/dr`` from r > r* lands at
  ``h(r) = r - eta pi / (4 T r**1.5)``, increasing in r, so the lowest landing
  point is ``h(r*+)``. GD can fall into the no-learning zone iff
  ``h(r*) < r*/4``, i.e. ``eta > eta_c = 3 r***2.5 T / pi = 3 pi**4 / (32 T**4)``
  (for the loss not divided by T: ``3 pi**4 / (32 T**5)``). Below eta_c no run
  can ever get stuck, whatever its start; above it a run gets stuck as soon as
  one approach from above lands in the window (r*, h^-1(r*/4)).
* Finite output confidence a: the sigmoid's tail gives the no-learning zone a
  gradient ~ exp(-a (x_th - x(2T))), so a lower confidence lets GD climb out.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


# ----------------------------------------------------------------- closed forms
def r_opt(T: float) -> float:
    """The optimum r* = pi^2 / (4 T^2) (t* = T)."""
    return np.pi ** 2 / (4 * T ** 2)


def r_nolearn(T: float) -> float:
    """Upper edge of the no-learning zone, r*/4 (t* = 2T)."""
    return np.pi ** 2 / (16 * T ** 2)


def lr_crit(T: float, normalised: bool = True) -> float:
    """Critical learning rate 3 pi^4 / (32 T^4) (loss divided by T) or / T^5."""
    return 3 * np.pi ** 4 / (32 * T ** (4 if normalised else 5))


def t_star(r):
    """Blow-up time pi / (2 sqrt(r)) of x(t) = sqrt(r) tan(sqrt(r) t); inf for r <= 0."""
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0, np.pi / (2 * np.sqrt(np.maximum(r, 1e-300))), np.inf)


def t_cross(r, x_th: float):
    """Exact time x(t) crosses x_th: arctan(x_th / sqrt(r)) / sqrt(r) (r > 0)."""
    r = np.asarray(r, dtype=float)
    s = np.sqrt(r)
    return np.arctan(x_th / s) / s


def loss_limit(r, T: float):
    """L(r) = |T - t*| / T outside the no-learning zone, 1 inside (a -> inf)."""
    r = jnp.asarray(r)
    ts = jnp.pi / (2 * jnp.sqrt(jnp.maximum(r, 1e-300)))
    return jnp.where(r > r_nolearn(T), jnp.abs(T - ts) / T, 1.0)


def grad_limit(r, T: float):
    """dL/dr of :func:`loss_limit`: +-pi / (4 T r^1.5), 0 in the no-learning zone."""
    r = jnp.asarray(r)
    rr = jnp.maximum(r, 1e-300)
    mag = jnp.pi / (4 * T * rr ** 1.5)
    sign = jnp.where(r > r_opt(T), 1.0, -1.0)
    return jnp.where(r > r_nolearn(T), sign * mag, 0.0)


# ------------------------------------------------------------------- numerics
def simulate(r, T: float, dt: float, conf: float, x_th: float, x_clip: float):
    """Euler simulation on [0, 2T): returns (x, y, target) at t_k = k dt.

    x is clipped at x_clip (>> x_th) after it has blown up; the output is
    saturated there, so the clip changes nothing but avoids overflow."""
    n = int(round(2 * T / dt))

    def step(x, _):
        x_new = jnp.minimum(x + dt * (x * x + r), x_clip)
        return x_new, x

    _, xs = jax.lax.scan(step, jnp.zeros_like(jnp.asarray(r, dtype=float)), None, length=n)
    t = jnp.arange(n) * dt
    y = jax.nn.sigmoid(conf * (xs - x_th))
    target = (t >= T).astype(y.dtype)
    return xs, y, target


def loss_sim(r, T: float, dt: float, conf: float, x_th: float, x_clip: float):
    """(1/T) sum_k dt (y_k - target_k)^2 from :func:`simulate` (differentiable in r)."""
    _, y, target = simulate(r, T, dt, conf, x_th, x_clip)
    return dt * jnp.sum((y - target) ** 2) / T


def crossing_time_sim(r, dt: float, x_th: float, t_max: float):
    """First time the Euler trajectory from x=0 reaches x_th (linear interpolation)."""
    n = int(round(t_max / dt))

    def step(carry, k):
        x, tc = carry
        x_new = jnp.minimum(x + dt * (x * x + r), 10 * x_th)
        hit = (x < x_th) & (x_new >= x_th) & jnp.isinf(tc)
        frac = (x_th - x) / jnp.maximum(x_new - x, 1e-300)
        tc = jnp.where(hit, (k + frac) * dt, tc)
        return (x_new, tc), None

    (_, tc), _ = jax.lax.scan(step, (jnp.asarray(0.0), jnp.asarray(jnp.inf)), jnp.arange(n))
    return tc


# ---------------------------------------------------------- gradient descent
def gd_scan(vg, p0, eta, n_steps: int):
    """``n_steps`` of plain GD ``p <- p - eta grad`` with ``vg(p) = (loss, grad)``;
    returns the iterates and their losses, both with n_steps + 1 entries."""
    def step(p, _):
        loss, g = vg(p)
        return p - eta * g, (p, loss)

    p_last, (ps, losses) = jax.lax.scan(step, p0, None, length=n_steps)
    return (jnp.concatenate([ps, p_last[None]]), jnp.concatenate([losses, vg(p_last)[0][None]]))


@partial(jax.jit, static_argnames=("n_steps", "T", "dt", "limit", "x_th", "x_clip", "record_every"))
def _gd_batch(r0, lr, conf, r_nl, n_steps: int, T: float, dt: float, limit: bool, x_th: float,
              x_clip: float, record_every: int):
    if limit:
        def vg(r):
            return loss_limit(r, T), grad_limit(r, T)
    else:
        vg = jax.value_and_grad(lambda r: loss_sim(r, T, dt, conf, x_th, x_clip))
    tail = max(1, n_steps // 10)

    def one(r_init, eta):
        rs, losses = gd_scan(vg, r_init, eta, n_steps)
        above = jnp.mean(rs[-tail:] > r_nl)
        return rs[::record_every], losses[::record_every], above

    return jax.vmap(one)(r0, lr)


def gd_runs(r0, lr, n_steps: int, T: float, dt: float, conf: float | None,
            x_th: float, x_clip: float, record_every: int, r_nl: float | None = None):
    """Plain GD on r for every pair (r0[i], lr[i]) at once (jax.vmap).

    conf=None uses the a -> inf closed form (:func:`loss_limit`,
    :func:`grad_limit`); otherwise the simulated loss with autodiff gradients
    (conf is traced: one compilation serves every confidence).
    Returns (r history, loss history) of shape (runs, n_steps // record_every + 1)
    and the fraction of the last 10% of steps each run spends above the
    no-learning edge ``r_nl`` (default r*/4)."""
    r_nl = r_nolearn(T) if r_nl is None else r_nl
    return _gd_batch(jnp.asarray(r0, dtype=float), jnp.asarray(lr, dtype=float),
                     jnp.asarray(1.0 if conf is None else conf, dtype=float), jnp.asarray(r_nl, dtype=float),
                     n_steps=int(n_steps), T=float(T), dt=float(dt), limit=conf is None, x_th=float(x_th),
                     x_clip=float(x_clip), record_every=int(record_every))


def learned_from_above(frac_above) -> np.ndarray:
    """A run learned if it spends most of its last 10% of steps outside the
    no-learning zone (r > r*/4)."""
    return np.asarray(frac_above) >= 0.5


def threshold_crossing(lrs, frac, level: float = 0.5) -> float:
    """Learning rate at which the learned fraction first falls below ``level``
    (log-linear interpolation); inf if it never does, nan if it starts below."""
    lrs, frac = np.asarray(lrs, float), np.asarray(frac, float)
    if frac[0] < level:
        return float("nan")
    for i in range(1, len(lrs)):
        if frac[i] < level:
            a, b = np.log(lrs[i - 1]), np.log(lrs[i])
            w = (frac[i - 1] - level) / (frac[i - 1] - frac[i])
            return float(np.exp(a + w * (b - a)))
    return float("inf")


def lr_crit_threshold(T: float, x_th: float) -> tuple[float, float, float]:
    """Critical learning rate when the output switches at x_th instead of at the
    blow-up: the crossing time is t_c(r) = arctan(x_th / sqrt r) / sqrt r.

    Same argument as :func:`lr_crit` with t* replaced by t_c: the optimum r^
    solves t_c = T, the no-learning edge r_nl solves t_c = 2T (both by scipy's
    brentq) and eta_c = T (r^ - r_nl) / |t_c'(r^)|. Returns (eta_c, r^, r_nl);
    x_th -> inf gives 3 pi^4 / (32 T^4), r*, r*/4."""
    from scipy.optimize import brentq

    def tc(r):
        return float(t_cross(r, x_th))

    lo, hi = 1e-12, 1e6
    r_hat = brentq(lambda r: tc(r) - T, lo, hi, xtol=1e-15, rtol=1e-13)
    r_nl = brentq(lambda r: tc(r) - 2 * T, lo, hi, xtol=1e-15, rtol=1e-13)
    s = np.sqrt(r_hat)
    # d/dr [arctan(x/s)/s] with s = sqrt(r)
    dtc = (-x_th / (s * s + x_th ** 2) / s - np.arctan(x_th / s) / s ** 2) / (2 * s)
    return T * (r_hat - r_nl) / abs(dtc), r_hat, r_nl
