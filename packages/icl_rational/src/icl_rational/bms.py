"""The hierarchical Bayesian model of strategy selection (paper, Sec. 4).

For strategy s in {M, G} after N training steps,
    log posterior_s = -ln2 * K_s**beta - gamma * N**(1 - alpha) * L_s,
with K_s the strategy's description length in bits (compressed code + compressed prior data) and
L_s its in-distribution loss (nats/token). The predicted model output is the posterior-weighted
mix w_M p_M + (1 - w_M) p_G, and w_M is the predicted relative distance (1 = M, 0 = G).
(alpha, beta, gamma) = exp of three free log-parameters, fitted with L-BFGS-B by minimising the
mean KL(transformer || mix) over the fit rows (the first 80% of checkpoints x the first 80% of
D values).
"""

from __future__ import annotations

import bz2
import inspect
import lzma
import zlib

import numpy as np
import torch
from scipy.optimize import minimize

from . import urns

LN2 = float(np.log(2.0))


def compressed_bits(data: bytes) -> int:
    """Description length upper bound: the smallest of several lossless compressors, in bits."""
    sizes = [len(data), len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)),
             len(bz2.compress(data, 9)), len(zlib.compress(data, 9))]
    return 8 * min(sizes)


def complexities(pool: np.ndarray) -> dict:
    """K_M, K_G in bits: the predictor's source code plus the data it needs (M: the pool of
    D tasks as float64; G: the Dirichlet parameters 1_V)."""
    code_m = compressed_bits(inspect.getsource(urns.memorizing_probs).encode())
    code_g = compressed_bits(inspect.getsource(urns.generalizing_probs).encode())
    data_m = compressed_bits(np.ascontiguousarray(pool, dtype=np.float64).tobytes())
    data_g = compressed_bits(np.ones(pool.shape[1], dtype=np.float64).tobytes())
    return {"K_M": code_m + data_m, "K_G": code_g + data_g, "code_M": code_m, "code_G": code_g}


def log_odds_m(params, N, K_M, K_G, L_M, L_G):
    """log posterior_M - log posterior_G; works on numpy arrays and torch tensors.
    params = (alpha, beta, gamma)."""
    a, b, g = params
    return LN2 * (K_G ** b - K_M ** b) + g * N ** (1 - a) * (L_G - L_M)


def weight_m(params, N, K_M, K_G, L_M, L_G):
    z = log_odds_m(params, np.asarray(N, float), K_M, K_G, L_M, L_G)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def transition_time(params, K_M, K_G, L_M, L_G):
    """N*(D): the step where the posterior odds of M and G are even (inf if M never wins)."""
    a, b, g = params
    num = LN2 * (np.asarray(K_M, float) ** b - np.asarray(K_G, float) ** b)
    den = g * (np.asarray(L_G, float) - np.asarray(L_M, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((den > 0) & (num > 0), (num / den) ** (1.0 / (1.0 - a)), np.inf)


def fit(rows: list[dict], init: list[tuple] | None = None, ftol: float = 1e-10,
        gtol: float = 1e-8) -> dict:
    """Fit (alpha, beta, gamma) to rows, each a dict with N, K_M, K_G, L_M, L_G and arrays
    T, M, G (model, memorizing and generalizing predictive distributions, same shape).

    Multi-start L-BFGS-B in log-parameters (the authors' start alpha=0.6, beta=0.2,
    gamma=0.85 first); returns the best fit."""
    dt = torch.float64
    T = torch.as_tensor(np.stack([r["T"] for r in rows]), dtype=dt).clamp_min(1e-12)
    M = torch.as_tensor(np.stack([r["M"] for r in rows]), dtype=dt)
    G = torch.as_tensor(np.stack([r["G"] for r in rows]), dtype=dt)
    negent = (T * T.log()).sum(-1).mean(dim=tuple(range(1, T.dim() - 1)))   # per row
    consts = torch.tensor([[r["N"], r["K_M"], r["K_G"], r["L_M"], r["L_G"]] for r in rows], dtype=dt)
    shape = (-1,) + (1,) * (T.dim() - 1)

    def objective(x):
        p = torch.tensor(x, dtype=dt, requires_grad=True)
        w = torch.sigmoid(log_odds_m(p.exp(), *consts.T)).view(shape)
        mix = (w * M + (1 - w) * G).clamp_min(1e-12)
        cross = (T * mix.log()).sum(-1).mean(dim=tuple(range(1, T.dim() - 1)))
        loss = (negent - cross).mean()       # mean over rows of KL(transformer || mix)
        loss.backward()
        return loss.item(), p.grad.numpy().copy()

    starts = init or [(0.6, 0.2, 0.85), (0.8, 0.3, 0.1), (0.5, 0.1, 2.0), (0.7, 0.5, 0.01),
                      (0.9, 0.15, 1.0), (0.3, 0.05, 0.5)]
    best = None
    for s in starts:
        res = minimize(objective, np.log(np.asarray(s, float)), jac=True, method="L-BFGS-B",
                       options={"maxiter": 1000, "maxfun": 2000, "ftol": ftol, "gtol": gtol})
        if best is None or res.fun < best.fun:
            best = res
    a, b, g = np.exp(best.x)
    return {"alpha": float(a), "beta": float(b), "gamma": float(g), "loss": float(best.fun),
            "success": bool(best.success), "n_rows": len(rows)}
