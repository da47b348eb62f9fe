"""The reduced model and its critical learning rate (derivation in README.md).

One memory coordinate ``m`` is loaded to 1 by the cue and carried through the
delay by ``m <- a m`` with ``a = 1 - alpha + alpha * lam`` (the leaky RNN's
update along its memory mode, ``lam`` the recurrent gain on that mode, the
trained parameter). The cued output channel reads ``m`` on the response
window; the loss is the task's weighted MSE (:func:`stm_mechanisms.rnn.weighted_mse`)::

    L(lam) = (1 - c/T) / (K T) * sum_{s = D+1}^{D+R} (a^s - 1)^2

(``D`` delay, ``R`` response steps, ``T`` trial length, ``K = 2`` output
channels, ``c`` the off-window weight constant). The solution is ``lam = 1``;
its curvature is ``h = 2 alpha^2 (1 - c/T) S2 / (K T)`` with
``S2 = sum_{s=D+1}^{D+R} s^2``. Heavy-ball gradient descent (momentum ``mu``)
on a quadratic of curvature ``h`` is stable iff ``eta h < 2 (1 + mu)``, so::

    eta*(D) = (1 + mu) K T / (alpha^2 (1 - c/T) S2)  ~  (1 + mu) K / (alpha^2 R D)   (D >> R, C)

The paper's own reduced models (their Sec. 4) give ``eta_c = pi^4/4 R D^-5``
(slow-point manifold) and ``R D^-3 / 4`` (limit cycle) for their loss
normalisation; :func:`paper_eta` returns them for reference.
"""

from __future__ import annotations

import numpy as np

from .task import TaskSpec


def _s2(delay: int, resp: int) -> float:
    s = np.arange(delay + 1, delay + resp + 1, dtype=np.float64)
    return float(np.sum(s ** 2))


def curvature(spec: TaskSpec, leak: float = 0.5, n_out: int = 2) -> float:
    """``d^2 L / d lam^2`` at the solution ``lam = 1``."""
    T = spec.length
    return 2 * leak ** 2 * (1 - spec.off_weight / T) * _s2(spec.delay, spec.resp) / (n_out * T)


def critical_lr(spec: TaskSpec, momentum: float = 0.9, leak: float = 0.5, n_out: int = 2) -> float:
    """The reduced model's critical learning rate ``eta* = 2 (1 + mu) / h``."""
    return 2 * (1 + momentum) / curvature(spec, leak, n_out)


def reduced_loss(lam, spec: TaskSpec, leak: float = 0.5, n_out: int = 2):
    """The reduced model's loss as a function of the memory gain ``lam``."""
    a = 1 - leak + leak * lam
    s = np.arange(spec.delay + 1, spec.delay + spec.resp + 1)
    T = spec.length
    return (1 - spec.off_weight / T) / (n_out * T) * np.sum((a ** s - 1.0) ** 2)


def reduced_gd(eta, spec: TaskSpec, momentum: float = 0.9, leak: float = 0.5,
               lam0: float = 1.0 + 1e-4, steps: int = 3000, n_out: int = 2):
    """Run heavy-ball GD on the exact (non-quadratic) reduced loss from ``lam0``
    for every learning rate in ``eta`` (scalar or array, vectorised); return
    the final ``|lam - 1|`` (``inf`` where it left ``|lam - 1| < 1``). The
    gradient is exact: ``dL/dlam = (1-c/T)/(K T) * sum 2 (a^s - 1) s a^(s-1) alpha``."""
    eta = np.asarray(eta, dtype=np.float64)
    s = np.arange(spec.delay + 1, spec.delay + spec.resp + 1, dtype=np.float64)
    T = spec.length
    pref = (1 - spec.off_weight / T) / (n_out * T)
    lam = np.full(eta.shape, lam0)
    buf = np.zeros(eta.shape)
    alive = np.ones(eta.shape, bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(steps):
            a = (1 - leak + leak * lam)[..., None]
            g = pref * np.sum(2 * (a ** s - 1) * s * a ** (s - 1) * leak, axis=-1)
            buf = np.where(alive, momentum * buf + g, 0.0)
            lam = np.where(alive, lam - eta * buf, lam)
            alive &= np.abs(lam - 1) < 1.0
            if i % 100 == 99 and not np.any(alive & (np.abs(lam - 1) + np.abs(buf) > 1e-12)):
                break       # every run has either left or settled
    out = np.where(alive, np.abs(lam - 1), np.inf)
    return float(out) if out.ndim == 0 else out


def numeric_critical_lr(spec: TaskSpec, momentum: float = 0.9, leak: float = 0.5,
                        lo: float = 1e-4, hi: float = 1e3, rounds: int = 3, points: int = 33,
                        tol: float = 1e-5, **kw) -> float:
    """The largest learning rate at which GD on the exact reduced loss returns
    to the solution, by successive log-spaced grids (the numerical counterpart
    of :func:`critical_lr`; it never uses the closed form)."""
    for _ in range(rounds):
        grid = np.geomspace(lo, hi, points)
        ok = reduced_gd(grid, spec, momentum, leak, **kw) < tol
        if not ok[0] or ok[-1]:
            raise ValueError(f"stability edge not inside [{lo:g}, {hi:g}]")
        k = int(np.flatnonzero(ok)[-1])
        lo, hi = grid[k], grid[k + 1]
    return float(np.sqrt(lo * hi))


def predicted_slope(specs: list[TaskSpec], momentum: float = 0.9, leak: float = 0.5) -> float:
    """Least-squares slope of ``log eta*`` against ``log delay`` over the given
    tasks (delays > 0): the exponent the reduced model predicts on that grid
    (it tends to -1 for delays much longer than cue and response)."""
    d = np.array([s.delay for s in specs], float)
    e = np.array([critical_lr(s, momentum, leak) for s in specs])
    keep = d > 0
    return float(np.polyfit(np.log(d[keep]), np.log(e[keep]), 1)[0])


def paper_eta(delay: float, resp: float, mechanism: str) -> float:
    """The paper's reduced-model critical rates (in steps): slow-point manifold
    ``pi^4/4 R D^-5``, limit cycle ``R D^-3 / 4``."""
    if mechanism == "slow_point":
        return np.pi ** 4 / 4 * resp * delay ** -5.0
    if mechanism == "limit_cycle":
        return resp * delay ** -3.0 / 4
    raise ValueError(f"mechanism must be slow_point or limit_cycle, got {mechanism!r}")
