"""Generators (leaky firing-rate RNNs) and the regression design of CORNN.

Rate model (alpha = dt / tau)::

    z_t     = W r_t + W_in u_t + eps_in
    r_{t+1} = (1 - alpha) r_t + alpha tanh(z_t) + alpha eps_conv

Arrays are batched over trials: ``r`` has shape (trials, steps + 1, n), ``u`` has
shape (trials, steps, n_in) (``n_in`` may be 0).
"""

from __future__ import annotations

import numpy as np

NOISE_TYPES = ("gaussian", "laplace", "poisson")
CLIP = 1e-6  # targets d are clipped to +-(1 - CLIP) so that arctanh stays finite


def random_network(n: int, g: float, rng: np.random.Generator, n_in: int = 0):
    """W ~ N(0, g^2/n) with zero diagonal; W_in ~ N(0, g^2/n_in) (shape (n, n_in))."""
    W = rng.normal(0.0, g / np.sqrt(n), size=(n, n))
    np.fill_diagonal(W, 0.0)
    W_in = rng.normal(0.0, g / np.sqrt(max(n_in, 1)), size=(n, n_in))
    return W, W_in


def noise(rng: np.random.Generator, kind: str, scale: float, shape) -> np.ndarray:
    if scale == 0:
        return np.zeros(shape)
    if kind == "gaussian":
        return rng.normal(0.0, scale, size=shape)
    if kind == "laplace":
        return rng.laplace(0.0, scale, size=shape)
    if kind == "poisson":
        return rng.poisson(scale, size=shape).astype(float)
    raise ValueError(f"noise type must be one of {NOISE_TYPES}, got {kind!r}")


def simulate_rates(W, W_in, u, r0, alpha, sigma_in=0.0, sigma_conv=0.0, rng=None,
                   noise_type="gaussian") -> np.ndarray:
    """Run the rate generator. ``u``: (trials, steps, n_in); ``r0``: (trials, n);
    ``alpha`` a scalar or a per-neuron vector. Returns r: (trials, steps + 1, n)."""
    trials, steps, _ = u.shape
    n = W.shape[0]
    if rng is None and (sigma_in or sigma_conv):
        raise ValueError("a noisy simulation needs an rng")
    alpha = np.asarray(alpha, dtype=float)
    r = np.empty((trials, steps + 1, n))
    r[:, 0] = r0
    drive = u @ W_in.T if W_in.shape[1] else np.zeros((trials, steps, n))
    for t in range(steps):
        z = r[:, t] @ W.T + drive[:, t] + noise(rng, noise_type, sigma_in, (trials, n))
        r[:, t + 1] = ((1 - alpha) * r[:, t] + alpha * np.tanh(z)
                       + alpha * noise(rng, noise_type, sigma_conv, (trials, n)))
    return r


def simulate_currents(W, W_in, u, x0, alpha, sigma=0.0, rng=None) -> np.ndarray:
    """Current-based generator ``x <- (1-alpha) x + alpha (W r + W_in u + noise)``,
    ``r = tanh x``. Returns the rates r: (trials, steps + 1, n)."""
    trials, steps, _ = u.shape
    alpha = np.asarray(alpha, dtype=float)
    x = np.array(x0, dtype=float)
    r = np.empty((trials, steps + 1, W.shape[0]))
    r[:, 0] = np.tanh(x)
    for t in range(steps):
        eps = rng.normal(0.0, sigma, size=x.shape) if sigma else 0.0
        x = (1 - alpha) * x + alpha * (r[:, t] @ W.T + u[:, t] @ W_in.T + eps)
        r[:, t + 1] = np.tanh(x)
    return r


def design(r: np.ndarray, u: np.ndarray | None, alpha: float, clip: float = CLIP):
    """CORNN's regression problem from observed rates.

    Returns ``X`` (rows = all trial time steps, columns = [r_t, u_t]) and the
    targets ``d_t = (r_{t+1} - (1 - alpha) r_t) / alpha`` clipped to +-(1 - clip)."""
    if r.ndim == 2:
        r = r[None]
        u = None if u is None else u[None]
    n = r.shape[-1]
    x = r[:, :-1].reshape(-1, n)
    if u is not None and u.shape[-1] > 0:
        x = np.concatenate([x, u.reshape(-1, u.shape[-1])], axis=1)
    d = (r[:, 1:] - (1 - alpha) * r[:, :-1]).reshape(-1, n) / alpha
    return x, np.clip(d, -1 + clip, 1 - clip)


def simulate_random(n: int, T: int, g: float, alpha: float, sigma_in: float,
                    sigma_conv: float, rng: np.random.Generator, noise_type: str = "gaussian"):
    """One random network and one trial of T steps; returns (W, r) with r: (T + 1, n)."""
    W, W_in = random_network(n, g, rng)
    r0 = rng.uniform(-1, 1, size=(1, n))
    u = np.zeros((1, T, 0))
    r = simulate_rates(W, W_in, u, r0, alpha, sigma_in, sigma_conv, rng, noise_type)
    return W, r[0]


def weight_metrics(W_true: np.ndarray, W_fit: np.ndarray) -> dict:
    """Pearson r, regression slope and RMSE between true and inferred weights (flattened)."""
    a, b = np.ravel(W_true), np.ravel(W_fit)
    r = float(np.corrcoef(a, b)[0, 1]) if np.std(b) > 0 else float("nan")
    return {"r": r, "slope": float(a @ b / (a @ a)), "rmse": float(np.sqrt(np.mean((a - b) ** 2)))}
