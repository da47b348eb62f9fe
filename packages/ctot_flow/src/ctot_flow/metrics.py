"""Wasserstein distances between point clouds (exact OT, ``ot.emd2``) and the
trajectory error of a learned flow against true paths."""

from __future__ import annotations

import numpy as np
import ot


def wasserstein(X: np.ndarray, Y: np.ndarray, p: int = 2) -> float:
    """W_p between the empirical measures of X and Y (uniform weights), p in {1, 2}."""
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p}")
    M = ot.dist(X, Y, metric="sqeuclidean" if p == 2 else "euclidean")
    a, b = np.full(len(X), 1.0 / len(X)), np.full(len(Y), 1.0 / len(Y))
    cost = float(ot.emd2(a, b, M, numItermax=10_000_000))
    return float(np.sqrt(max(cost, 0.0))) if p == 2 else cost


def trajectory_error(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Mean Euclidean distance between predicted and true paths, per time: (n, T, d) -> (T,)."""
    return np.linalg.norm(pred - true, axis=-1).mean(0)
