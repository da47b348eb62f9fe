"""Mechanism analysis of trained networks.

* :func:`find_slow_points` -- q-minimisation (Sussillo & Barak 2013): minimise
  ``q(x) = 1/2 |F(x) - x|^2`` from many starting states at once (optax Adam,
  vmapped); slow points are minima with small ``q``.
* :func:`detect_limit_cycle` -- a periodic orbit in a trajectory: the tail has
  not converged and its autocorrelation returns close to 1 at a positive lag
  (the period).
* :func:`fft_mechanism` -- the paper's classifier: top-2 PC projection of the
  autonomous run, time x time similarity matrix, its 2-D power spectrum; the
  fraction of power within radius 3 of the centre below 0.5 means a limit
  cycle, else a slow-point manifold.
* :func:`peak_times` / :func:`tiling` -- sequential activity: each modulated
  neuron's peak time and how evenly the peaks tile the delay.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from repro_core.slow_points import find_slow_points  # noqa: F401  (shared with abrupt_learning)

from .rnn import LEAK


def rnn_map(params, leak=LEAK):
    """The autonomous map ``F(x) = (1 - a) x + a tanh(W x + b + b_in)`` of a trained
    net (no input: the input layer contributes only its bias ``b_in``, if any)."""
    bias = params["b"] + params["b_in"] if "b_in" in params else params["b"]

    def F(x):
        return (1 - leak) * x + leak * jnp.tanh(params["W"] @ x + bias)
    return F


def iterate(F, x0, n: int):
    """The orbit ``[n, N]`` of ``x0`` under ``F`` (``x_1 ... x_n``)."""
    def body(x, _):
        x = F(x)
        return x, x
    return jax.lax.scan(body, jnp.asarray(x0), None, length=n)[1]


def detect_limit_cycle(traj, tail: float = 0.5, still_tol: float = 1e-4, corr_min: float = 0.9):
    """Is the tail of ``traj [T, N]`` a periodic orbit? Returns ``(is_cycle, period)``.

    The tail (last ``tail`` fraction) is projected on its first principal
    component; if it barely moves (std < ``still_tol``) it sits at a fixed
    point; otherwise the first lag >= 2 where the autocorrelation has a local
    maximum above ``corr_min`` is the period (0 when there is none)."""
    x = np.asarray(traj, np.float64)
    x = x[int(len(x) * (1 - tail)):]
    x = x - x.mean(0)
    if not np.isfinite(x).all() or np.sqrt((x ** 2).sum(1).mean()) < still_tol:
        return False, 0
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    z = x @ vt[0]
    n = len(z)
    ac = np.array([np.dot(z[:n - k], z[k:]) / np.sqrt(np.dot(z[:n - k], z[:n - k]) * np.dot(z[k:], z[k:]))
                   for k in range(n // 2)])
    for k in range(2, len(ac) - 1):
        if ac[k] >= ac[k - 1] and ac[k] >= ac[k + 1] and ac[k] > corr_min:
            return True, k
    return False, 0


def fft_mechanism(traj, radius: float = 3.0, threshold: float = 0.5, similarity: str = "cosine"):
    """The paper's classifier on an autonomous trajectory ``traj [T, N]``.

    Take the top-2 principal components, a time x time similarity of the
    projected states, and its centred 2-D power spectrum. Returns
    ``(central_fraction, is_limit_cycle)``: the fraction of power within
    ``radius`` frequency bins of the centre, and whether it is below
    ``threshold``. jax-traceable (vmap over networks).

    ``similarity``: ``"cosine"`` -- cosine similarity of the centred
    projections; ``"corrcoef"`` -- what the authors' code computes
    (``torch.corrcoef`` of the rows of the *uncentred* projection
    ``traj @ V[:, :2]``: each row is centred over its two components, so the
    matrix is ``s s^T`` with ``s = sign(z_1 - z_2)``)."""
    x = traj - jnp.mean(traj, axis=0)
    _, _, vt = jnp.linalg.svd(x, full_matrices=False)
    if similarity == "corrcoef":
        z = traj @ vt[:2].T
        z = z - jnp.mean(z, axis=1, keepdims=True)
    elif similarity == "cosine":
        z = x @ vt[:2].T
    else:
        raise ValueError(f"similarity must be cosine or corrcoef, got {similarity!r}")
    z = z / (jnp.linalg.norm(z, axis=1, keepdims=True) + 1e-12)
    C = z @ z.T
    P = jnp.abs(jnp.fft.fftshift(jnp.fft.fft2(C))) ** 2
    n = C.shape[0]
    k = jnp.arange(n) - n // 2
    inside = (k[:, None] ** 2 + k[None, :] ** 2) <= radius ** 2
    frac = jnp.sum(jnp.where(inside, P, 0.0)) / jnp.sum(P)
    return frac, frac < threshold


def peak_times(rates, start: int, stop: int, min_range: float = 0.1):
    """Peak time (step index in ``[start, stop)``) of every neuron of
    ``rates [T, N]`` whose rate range in that window is at least ``min_range``
    of the largest range; ``-1`` for unmodulated neurons."""
    r = np.asarray(rates)[start:stop]
    rng = r.max(0) - r.min(0)
    if r.size == 0 or rng.max() <= 0:
        return np.full(np.asarray(rates).shape[1], -1)
    z = (r - r.min(0)) / np.where(rng > 0, rng, 1)
    peaks = start + z.argmax(0)
    return np.where(rng >= min_range * rng.max(), peaks, -1)


def tiling(peaks, start: int, stop: int, n_bins: int = 10) -> float:
    """Fraction of ``n_bins`` equal bins of ``[start, stop)`` that hold at least
    one neuron's peak (1: peaks tile the whole window)."""
    p = np.asarray(peaks)
    p = p[(p >= start) & (p < stop)]
    n_bins = max(1, min(n_bins, stop - start))
    if p.size == 0:
        return 0.0
    b = np.floor((p - start) * n_bins / (stop - start)).astype(int)
    return len(np.unique(b)) / n_bins
