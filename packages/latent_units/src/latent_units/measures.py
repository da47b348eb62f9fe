"""Dimensionality, decoding accuracy and power-law fits."""

from __future__ import annotations

import numpy as np


def participation_ratio(eigs: np.ndarray) -> float:
    """PR = (sum lambda)^2 / sum lambda^2 of a covariance spectrum (between 1 and its rank)."""
    lam = np.clip(np.asarray(eigs, dtype=float), 0.0, None)
    return float(lam.sum() ** 2 / (lam ** 2).sum())


def spectrum_from_gram(G: np.ndarray) -> np.ndarray:
    """Eigenvalues (descending) of a centred Gram matrix, normalised to sum to 1."""
    lam = np.clip(np.linalg.eigvalsh(G)[::-1], 0.0, None)
    return lam / lam.sum()


def r2(y: np.ndarray, yhat: np.ndarray) -> float:
    """Coefficient of determination pooled over output dimensions (1 - SSE / SST)."""
    y, yhat = np.atleast_2d(y.T).T, np.atleast_2d(yhat.T).T
    return float(1.0 - ((y - yhat) ** 2).sum() / ((y - y.mean(0)) ** 2).sum())


def powerlaw_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares fit of log y = log a + b log x; returns (a, b)."""
    b, loga = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(loga)), float(b)


def crossing(x: np.ndarray, y: np.ndarray, target: float, decreasing: bool = True) -> float:
    """First x at which y reaches ``target`` (y <= target if ``decreasing``), by log-log
    interpolation between the grid points on either side; NaN if never reached."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = y <= target if decreasing else y >= target
    if not ok.any():
        return float("nan")
    i = int(np.argmax(ok))
    if i == 0:
        return float(x[0])
    lx, ly = np.log(x[i - 1:i + 1]), np.log(np.abs(y[i - 1:i + 1]))
    lt = np.log(abs(target))
    if ly[1] == ly[0]:
        return float(x[i])
    return float(np.exp(lx[0] + (lt - ly[0]) * (lx[1] - lx[0]) / (ly[1] - ly[0])))
