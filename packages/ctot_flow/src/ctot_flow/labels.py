"""Within-window time labels from partial optimal transport, and temporal kernel
smoothing p_hat(x | t) = sum_i K_h(t - t_hat_i) delta_{x_i} / sum_i K_h(t - t_hat_i).

Partial OT score (our reading of CT-OT Flow, Sec. 3): transport only a fraction m
of the mass of window k onto window k+1 (exact partial OT, POT's
``ot.partial.partial_wasserstein`` with an explicit ``m``; ``m=None`` would switch
to a different, Lagrangian problem). The points of window k that carry mass at
small m are the ones closest to the next snapshot: they are late in the window.
Sweeping m over a grid and averaging the fraction of each point's mass that is
transported gives a "late" score in [0, 1]; the same against window k-1 gives an
"early" score. late - early orders the points of a window in time; ranks are
mapped to quantiles of the window's time interval (particles are spread
uniformly over a window).

Exact partial OT is O(n^3): we solve it on random mini-batches (pairs of
``batch``-sized chunks of the two windows) and average over ``n_rep`` random
batchings. POT's exact partial solver may stop at its iteration limit for
n >= 2000 unless ``nb_dummies`` and ``numItermax`` are raised; mini-batches keep n
far below that and we raise both anyway.
"""

from __future__ import annotations

import numpy as np
import ot
from scipy.stats import rankdata


def partial_plan(a: np.ndarray, b: np.ndarray, M: np.ndarray, m: float) -> np.ndarray:
    """Exact partial OT plan transporting total mass ``m`` (0 < m <= min(sum a, sum b))."""
    return ot.partial.partial_wasserstein(a, b, M, m=m, nb_dummies=max(1, len(a) // 10),
                                          numItermax=1_000_000)


def transported_fraction(A: np.ndarray, B: np.ndarray, m_grid: np.ndarray) -> np.ndarray:
    """For each point of A, the fraction of its mass sent to B by exact partial OT,
    averaged over the masses ``m_grid`` (fractions of the total mass, in (0, 1))."""
    a = np.full(len(A), 1.0 / len(A))
    b = np.full(len(B), 1.0 / len(B))
    M = ot.dist(A, B)  # squared Euclidean
    M = M / M.max()
    frac = np.zeros(len(A))
    for m in m_grid:
        G = partial_plan(a, b, M, float(m))
        frac += np.clip(G.sum(1) / a, 0.0, 1.0)
    return frac / len(m_grid)


def minibatch_fraction(A: np.ndarray, B: np.ndarray, m_grid: np.ndarray, batch: int, n_rep: int,
                       rng: np.random.Generator) -> np.ndarray:
    """:func:`transported_fraction` on random mini-batches: both sets are shuffled
    and cut into the same number of chunks (about ``batch`` points each); chunk c
    of A is transported to chunk c of B; averaged over ``n_rep`` shufflings."""
    n_chunks = max(1, int(np.ceil(max(len(A), len(B)) / batch)))
    n_chunks = min(n_chunks, len(A), len(B))
    score = np.zeros(len(A))
    for _ in range(n_rep):
        pa, pb = rng.permutation(len(A)), rng.permutation(len(B))
        for ca, cb in zip(np.array_split(pa, n_chunks), np.array_split(pb, n_chunks)):
            score[ca] += transported_fraction(A[ca], B[cb], m_grid)
    return score / n_rep


def partial_ot_time_labels(X: np.ndarray, window: np.ndarray, n_windows: int, m_grid,
                           batch: int, n_rep: int, rng: np.random.Generator,
                           progress=None) -> dict[str, np.ndarray]:
    """Refined time labels t_hat in [0, 1] for every point, plus the late/early scores."""
    m_grid = np.asarray(m_grid, float)
    late = np.zeros(len(X))
    early = np.zeros(len(X))
    t_hat = np.zeros(len(X))
    present = [k for k in range(n_windows) if np.any(window == k)]
    it = progress(present, desc="partial OT labels") if progress else present
    for k in it:
        idx = np.flatnonzero(window == k)
        nxt, prv = np.flatnonzero(window == k + 1), np.flatnonzero(window == k - 1)
        if len(nxt):
            late[idx] = minibatch_fraction(X[idx], X[nxt], m_grid, batch, n_rep, rng)
        if len(prv):
            early[idx] = minibatch_fraction(X[idx], X[prv], m_grid, batch, n_rep, rng)
        score = late[idx] - early[idx]
        t_hat[idx] = (k + (rankdata(score) - 0.5) / len(idx)) / n_windows
    return {"t_hat": t_hat, "late": late, "early": early}


def kernel_weights(t: float | np.ndarray, t_hat: np.ndarray, h: float) -> np.ndarray:
    """Gaussian kernel weights K_h(t - t_hat_i), normalised to sum to 1 (per row when t is an array)."""
    t = np.atleast_1d(np.asarray(t, float))
    logw = -0.5 * ((t[:, None] - t_hat[None, :]) / h) ** 2
    logw -= logw.max(1, keepdims=True)
    w = np.exp(logw)
    w /= w.sum(1, keepdims=True)
    return w if w.shape[0] > 1 else w[0]


def sample_smoothed(X: np.ndarray, t_hat: np.ndarray, t: float, h: float, n: int,
                    rng: np.random.Generator) -> np.ndarray:
    """n draws from the kernel-smoothed empirical p_hat(x | t)."""
    w = kernel_weights(t, t_hat, h)
    return X[rng.choice(len(X), size=n, p=w)]


def label_metrics(t_true: np.ndarray, t_hat: np.ndarray, t_mid: np.ndarray,
                  window: np.ndarray) -> dict[str, float]:
    """Mean absolute label errors (refined vs midpoint) and the mean within-window Spearman rho."""
    from scipy.stats import spearmanr

    rhos = []
    for k in np.unique(window):
        idx = window == k
        if idx.sum() > 2:
            rhos.append(spearmanr(t_true[idx], t_hat[idx]).statistic)
    mae_hat = float(np.mean(np.abs(t_hat - t_true)))
    mae_mid = float(np.mean(np.abs(t_mid - t_true)))
    return {"mae_refined": mae_hat, "mae_midpoint": mae_mid, "mae_ratio": mae_hat / mae_mid,
            "spearman_within": float(np.mean(rhos))}
