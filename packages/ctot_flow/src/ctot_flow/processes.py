"""Synthetic processes with a known continuous-time truth, and their coarse,
noisy snapshot observations.

Every process lives on t in [0, 1]. Each observed particle is seen once, at a
true time t_i ~ U(0, 1); its timestamp is noisy (t_i + N(0, time_noise^2)) and
only the window k = floor(K * noisy time) (clipped to 0..K-1) is reported, so a
window aggregates particles spread over its whole width and, with noise, a few
from its neighbours.

Processes
---------
half_circle  2-D, rigid rotation x(t) = R(pi t) x0, x0 ~ N((1, 0), s^2 I)
             (linear ODE dx/dt = pi J x).
branching    2-D, x(t) = x0 + (2 t, b * 1.5 t^2) with branch b = sign(x0_y):
             one Gaussian blob that splits into two along curved paths.
ou           d-D Ornstein-Uhlenbeck SDE dx = theta (mu(t) - x) dt + sigma dW around
             a moving centre mu(t) = (cos pi t, sin pi t, 0.5 sin 2 pi t, 0, ...),
             simulated by Euler-Maruyama; no deterministic true paths.
linear       d-D constant drift x(t) = x0 + v t (used by the unit tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro_core.seeding import derive_seed

def named_rng(seed: int, *names) -> np.random.Generator:
    """A generator for a named sub-task; numpy-only stages skip seed_everything,
    which imports torch (seconds per job on a loaded machine)."""
    return np.random.default_rng(derive_seed(seed, *names))


PROCESSES = ("half_circle", "branching", "ou", "linear")
DETERMINISTIC = {"half_circle": True, "branching": True, "ou": False, "linear": True}

OU_THETA = 4.0
OU_SIGMA = 0.3
EM_STEPS = 400  # Euler-Maruyama steps on [0, 1]
LINEAR_V = 1.0  # every coordinate of the linear process moves at this speed


@dataclass(frozen=True)
class Process:
    name: str
    dim: int
    spread: float = 0.1  # std of the initial blob
    sigma: float = OU_SIGMA  # diffusion of the ou process

    def __post_init__(self):
        if self.name not in PROCESSES:
            raise ValueError(f"process={self.name!r} unknown; allowed: {', '.join(PROCESSES)}")
        if self.name in ("half_circle", "branching") and self.dim != 2:
            raise ValueError(f"process {self.name} is 2-D, got dim={self.dim}")
        if self.name == "ou" and self.dim < 3:
            raise ValueError(f"process ou needs dim >= 3, got dim={self.dim}")

    @property
    def deterministic(self) -> bool:
        return DETERMINISTIC[self.name]

    def sample_x0(self, n: int, rng: np.random.Generator) -> np.ndarray:
        centre = np.zeros(self.dim)
        if self.name == "half_circle":
            centre[0] = 1.0
        elif self.name == "ou":
            centre = ou_centre(np.zeros(1), self.dim)[0]
        return centre + self.spread * rng.standard_normal((n, self.dim))

    def flow_map(self, x0: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Positions at times ``t`` (shape (n,) or broadcastable) of deterministic paths from ``x0``."""
        t = np.asarray(t, dtype=float)[..., None]
        if self.name == "half_circle":
            c, s = np.cos(np.pi * t[..., 0]), np.sin(np.pi * t[..., 0])
            return np.stack([c * x0[..., 0] - s * x0[..., 1], s * x0[..., 0] + c * x0[..., 1]], -1)
        if self.name == "branching":
            b = np.where(x0[..., 1] >= 0, 1.0, -1.0)
            return x0 + np.stack([2.0 * t[..., 0], b * 1.5 * t[..., 0] ** 2], -1)
        if self.name == "linear":
            return x0 + LINEAR_V * t
        raise ValueError(f"process {self.name} has no deterministic flow map")

    def velocity(self, x: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """The true drift (for the deterministic processes, the ODE velocity field)."""
        t = np.broadcast_to(np.asarray(t, dtype=float), x.shape[:-1])
        if self.name == "half_circle":
            return np.pi * np.stack([-x[..., 1], x[..., 0]], -1)
        if self.name == "branching":
            b = np.where(x[..., 1] >= 0, 1.0, -1.0)
            return np.stack([np.full_like(t, 2.0), 3.0 * b * t], -1)
        if self.name == "linear":
            return np.full_like(x, LINEAR_V)
        return OU_THETA * (ou_centre(t, self.dim) - x)

    def sample_at(self, x0: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One position per particle, particle i at its own time t[i]."""
        if self.deterministic:
            return self.flow_map(x0, t)
        return self._euler_maruyama(x0, np.asarray(t, float)[:, None], rng)[:, 0]

    def paths(self, x0: np.ndarray, times: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Positions of each particle at every time of the grid ``times``: (n, len(times), d)."""
        times = np.asarray(times, float)
        if self.deterministic:
            return self.flow_map(x0[:, None, :], np.broadcast_to(times, (len(x0), len(times))))
        return self._euler_maruyama(x0, np.broadcast_to(times, (len(x0), len(times))), rng)

    def _euler_maruyama(self, x0: np.ndarray, t_rec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Euler-Maruyama from t=0; particle i is recorded at its times t_rec[i, j]
        (sorted per row) by a final partial step of the exact length."""
        n, r = t_rec.shape
        out = np.full((n, r, self.dim), np.nan)
        dt = 1.0 / EM_STEPS
        # each recording time belongs to exactly one step [j dt, (j+1) dt) (t = 1: the last)
        step_of = np.minimum(np.floor(t_rec * EM_STEPS).astype(np.int64), EM_STEPS)
        x = x0.copy()
        for j in range(EM_STEPS + 1):
            t0 = j * dt
            rows, cols = np.nonzero(step_of == j)
            if len(rows):
                h = np.clip(t_rec[rows, cols] - t0, 0.0, None)
                noise = rng.standard_normal((len(rows), self.dim))
                out[rows, cols] = (x[rows] + self.velocity(x[rows], np.full(len(rows), t0)) * h[:, None]
                                   + self.sigma * np.sqrt(h)[:, None] * noise)
            if j < EM_STEPS:
                x = x + self.velocity(x, np.full(n, t0)) * dt \
                    + self.sigma * np.sqrt(dt) * rng.standard_normal(x.shape)
        if np.isnan(out).any():
            raise RuntimeError("Euler-Maruyama missed a recording time")
        return out


def ou_centre(t: np.ndarray, dim: int) -> np.ndarray:
    t = np.asarray(t, float)
    mu = np.zeros(t.shape + (dim,))
    mu[..., 0] = np.cos(np.pi * t)
    mu[..., 1] = np.sin(np.pi * t)
    mu[..., 2] = 0.5 * np.sin(2 * np.pi * t)
    return mu


def observe(process: Process, n: int, n_windows: int, time_noise: float,
            rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Coarse, noisy snapshots: positions X, true times, noisy timestamps and window labels."""
    x0 = process.sample_x0(n, rng)
    t_true = rng.uniform(0.0, 1.0, n)
    X = process.sample_at(x0, t_true, rng)
    t_noisy = t_true + time_noise * rng.standard_normal(n)
    window = np.clip(np.floor(n_windows * t_noisy), 0, n_windows - 1).astype(np.int64)
    order = np.argsort(window, kind="stable")
    return {"X": X[order], "t_true": t_true[order], "t_noisy": t_noisy[order], "window": window[order]}


def midpoint_labels(window: np.ndarray, n_windows: int) -> np.ndarray:
    return (window + 0.5) / n_windows
